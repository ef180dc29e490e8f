/**
 * A systematic Reed–Solomon erasure code over GF(2^8), written here as the research baseline
 * (cleaner and faster than driving `@digitaldefiance/reed-solomon-erasure.wasm`, which needs a
 * fresh instance per call and rebuilds its matrix every time).
 *
 * GF(2^8) limits a code word to 256 symbols, so a segment's K source symbols are interleaved
 * over B = ceil(K / blockSource) blocks: source symbol i belongs to block i mod B (a burst of
 * losses spreads over blocks). Block b with k_b sources has up to 256 − k_b repair rows; repair
 * row j is Σ_i C[j][i]·source_i with the Cauchy matrix C[j][i] = 1 / (x_j ⊕ y_i), y_i = i,
 * x_j = k_b + j. Every square submatrix of a Cauchy matrix is invertible, so any k_b distinct
 * symbols of a block decode it (MDS).
 *
 * Repair ESI K + m is row floor(m / B) of block m mod B. RS is not rateless: the encoder's repair
 * index n is m = n mod (B · (256 − k_max)), k_max = the largest block's sources, so it emits every
 * row the largest blocks have, each under one ESI, then cycles through the same ESIs again (a
 * repeat is a duplicate to a receiver that has it, by ESI as well as by row). The decoder still
 * maps any ESI to a row (wrapping rows past a block's last), for peers that number differently.
 */
import type { Codec, CodecParameters, EncodedSymbol, SegmentDecoder } from './codec.js';
import { CodecError } from './errors.js';
import { gfInv, gfInvert, gfMulAddInto } from './gf256.js';
import { checkSymbol, segmentFromSourceInOrder, sourceShape, SystematicEncoder, type SourceShape } from './sourceBlock.js';

export const RS_CODEC_NAME = 'rs';
export const RS_ENCODING_SYMBOL_ID_LIMIT = 1 << 24;
export const RS_MAX_SOURCE_SYMBOLS = 65536;
/** Sources per block: leaves 156 repair rows, enough for ~60 % loss. */
export const DEFAULT_RS_BLOCK_SOURCE = 100;

export interface RsOptions {
  /** Source symbols per interleaved block (1..255). @default DEFAULT_RS_BLOCK_SOURCE */
  blockSource?: number;
}

/** Interleaving and coefficients of one segment shape. */
class RsLayout {
  readonly blocks: number;

  constructor(
    readonly k: number,
    blockSource: number,
  ) {
    if (!Number.isInteger(blockSource) || blockSource < 1 || blockSource > 255) throw new CodecError(`rs: block source count ${blockSource} is outside 1..255`);
    this.blocks = Math.ceil(k / blockSource);
  }

  /** Sources in block b. */
  blockSize(b: number): number {
    return Math.floor((this.k - 1 - b) / this.blocks) + 1;
  }

  /** Distinct repair symbols the encoder cycles through: all rows of the largest blocks. */
  get repairPeriod(): number {
    return this.blocks * (256 - this.blockSize(0));
  }

  /** Block and (wrapped) row of repair index n. */
  repairRow(n: number): { block: number; row: number } {
    const block = n % this.blocks;
    const rows = 256 - this.blockSize(block);
    return { block, row: Math.floor(n / this.blocks) % rows };
  }

  coefficient(b: number, row: number, position: number): number {
    return gfInv((this.blockSize(b) + row) ^ position);
  }
}

class RsEncoder extends SystematicEncoder {
  constructor(
    data: Uint8Array,
    shape: SourceShape,
    private readonly layout: RsLayout,
  ) {
    super(data, shape, RS_CODEC_NAME);
  }

  repairSymbol(n: number): EncodedSymbol {
    // K + period <= 256 * B <= 2^24: every ESI of the cycle is in the RFC 6330 id space.
    const m = this.cyclicRepairIndex(n, this.layout.repairPeriod);
    const esi = this.firstRepairId + m;
    const { block, row } = this.layout.repairRow(m);
    const out = new Uint8Array(this.shape.symbolSize);
    const kb = this.layout.blockSize(block);
    for (let p = 0; p < kb; p++) gfMulAddInto(out, this.sourceSymbol(p * this.layout.blocks + block), this.layout.coefficient(block, row, p));
    return { encodingSymbolId: esi, data: out };
  }
}

class RsDecoder implements SegmentDecoder {
  private readonly t: number;
  private readonly source: Uint8Array;
  /** Source symbols known (received or solved). */
  private readonly have: Uint8Array;
  /** Source symbols received (distinct), for `received`. */
  private readonly got: Uint8Array;
  private readonly sourcesIn: Int32Array;
  /** Per block: received repair rows (row → data). */
  private readonly repairs: Map<number, Uint8Array>[];
  private readonly decoded: Uint8Array;
  private blocksDone = 0;
  private count = 0;

  constructor(
    private readonly shape: SourceShape,
    private readonly layout: RsLayout,
  ) {
    this.t = shape.symbolSize;
    this.source = new Uint8Array(shape.sourceSymbols * this.t);
    this.have = new Uint8Array(shape.sourceSymbols);
    this.got = new Uint8Array(shape.sourceSymbols);
    this.sourcesIn = new Int32Array(layout.blocks);
    this.repairs = Array.from({ length: layout.blocks }, () => new Map());
    this.decoded = new Uint8Array(layout.blocks);
  }

  get received(): number {
    return this.count;
  }

  add(esi: number, data: Uint8Array): boolean {
    checkSymbol(RS_CODEC_NAME, esi, RS_ENCODING_SYMBOL_ID_LIMIT, data, this.t);
    const k = this.shape.sourceSymbols;
    if (this.blocksDone === this.layout.blocks) return true;
    let block: number;
    if (esi < k) {
      if (this.got[esi]) return false;
      this.got[esi] = 1;
      this.count++;
      block = esi % this.layout.blocks;
      if (this.decoded[block]) return false; // already solved from repair rows
      this.have[esi] = 1;
      this.sourcesIn[block]!++;
      this.symbol(esi).set(data);
    } else {
      const r = this.layout.repairRow(esi - k);
      block = r.block;
      const rows = this.repairs[block]!;
      if (rows.has(r.row)) return false;
      this.count++;
      rows.set(r.row, data.slice());
    }
    if (!this.decoded[block] && this.sourcesIn[block]! + this.repairs[block]!.size >= this.layout.blockSize(block)) this.decodeBlock(block);
    return this.blocksDone === this.layout.blocks;
  }

  result(): Uint8Array | undefined {
    return this.blocksDone === this.layout.blocks ? this.source.subarray(0, this.shape.transferLength) : undefined;
  }

  free(): void {}

  private symbol(i: number): Uint8Array {
    return this.source.subarray(i * this.t, (i + 1) * this.t);
  }

  private decodeBlock(b: number): void {
    const L = this.layout;
    const kb = L.blockSize(b);
    const index = (p: number) => p * L.blocks + b;
    const missing: number[] = [];
    for (let p = 0; p < kb; p++) if (!this.have[index(p)]) missing.push(p);
    const r = missing.length;
    if (r > 0) {
      const rows = [...this.repairs[b]!.entries()].slice(0, r);
      // RHS: each repair row minus the known sources' share.
      const rhs = rows.map(([row, data]) => {
        const acc = data.slice();
        for (let p = 0; p < kb; p++) if (this.have[index(p)]) gfMulAddInto(acc, this.symbol(index(p)), L.coefficient(b, row, p));
        return acc;
      });
      const a = new Uint8Array(r * r);
      rows.forEach(([row], i) => missing.forEach((p, j) => (a[i * r + j] = L.coefficient(b, row, p))));
      const inv = gfInvert(a, r);
      if (!inv) throw new CodecError(`rs: singular Cauchy submatrix in block ${b} (cannot happen)`);
      missing.forEach((p, j) => {
        const out = this.symbol(index(p));
        for (let i = 0; i < r; i++) gfMulAddInto(out, rhs[i]!, inv[j * r + i]!);
        this.have[index(p)] = 1;
      });
    }
    this.decoded[b] = 1;
    this.blocksDone++;
  }
}

/** The Reed–Solomon `Codec`. */
export function rsCodec(options: RsOptions = {}): Codec {
  const blockSource = options.blockSource ?? DEFAULT_RS_BLOCK_SOURCE;
  const shape = (p: CodecParameters) => sourceShape(p, RS_MAX_SOURCE_SYMBOLS, RS_CODEC_NAME);
  return {
    name: RS_CODEC_NAME,
    encodingSymbolIdLimit: RS_ENCODING_SYMBOL_ID_LIMIT,
    maxSourceSymbols: RS_MAX_SOURCE_SYMBOLS,
    createEncoder(data, params) {
      const s = shape(params);
      return new RsEncoder(data, s, new RsLayout(s.sourceSymbols, blockSource));
    },
    createDecoder(params) {
      const s = shape(params);
      return new RsDecoder(s, new RsLayout(s.sourceSymbols, blockSource));
    },
    // A short block needs its own rows, which arrive one in B repair symbols.
    decodeRetryStep: (k) => Math.max(2, Math.ceil(0.01 * k)),
    segmentFromSourceSymbols: (sourceSymbols, params) => segmentFromSourceInOrder(sourceSymbols, shape(params), RS_CODEC_NAME),
  };
}

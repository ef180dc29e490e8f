/**
 * A systematic LT code written here (a research baseline; the product uses RaptorQ).
 *
 * Source symbols are sent as they are (ESI < K). Repair symbol n (ESI K + n) is the XOR of d
 * distinct source symbols, d drawn from the robust soliton distribution over K
 * (robustSoliton.ts) and the symbols chosen uniformly, both from a generator seeded by n alone,
 * so the decoder rebuilds every symbol's neighbours from its id. Past the 24-bit ESI space the
 * repair sequence starts again at n = 0 (repair index n is ESI K + (n mod (2^24 - K))).
 *
 * Decoder: belief propagation ("peeling") only, no Gaussian-elimination fallback. A known source
 * symbol is XORed out of every repair equation that holds it; an equation left with one unknown
 * solves it, and so on. When peeling stalls the decoder simply needs more symbols, which is the
 * honest cost of LT without inactivation decoding — RaptorQ's advantage shows exactly there.
 */
import type { Codec, CodecParameters, EncodedSymbol, SegmentDecoder } from './codec.js';
import { cumulative, DEFAULT_LT_C, DEFAULT_LT_DELTA, robustSolitonPmf, sampleDegree } from './robustSoliton.js';
import { checkSymbol, segmentFromSourceInOrder, sourceShape, SystematicEncoder, xorInto, type SourceShape } from './sourceBlock.js';
import { SeededRandom } from '../util/random.js';

export const LT_CODEC_NAME = 'lt';
/** The 24-bit ESI of the RFC 6330 payload id, as for RaptorQ. */
export const LT_ENCODING_SYMBOL_ID_LIMIT = 1 << 24;
export const LT_MAX_SOURCE_SYMBOLS = 65536;

export interface LtOptions {
  /** Robust soliton c. @default DEFAULT_LT_C */
  c?: number;
  /** Robust soliton δ. @default DEFAULT_LT_DELTA */
  delta?: number;
}

/** Neighbour lists an LtGraph remembers: enough for every repair id of a long research run. */
const NEIGHBOUR_CACHE_LIMIT = 1 << 16;

/**
 * Neighbour generator shared by encoder and decoder (same K, c, δ → same neighbours). It
 * remembers the first NEIGHBOUR_CACHE_LIMIT lists it computes: a simulation's thousand
 * receivers all ask for the same repair ids, and drawing a list costs a generator and a Set.
 */
export class LtGraph {
  private readonly cdf: Float64Array;
  private readonly cache = new Map<number, Uint32Array>();

  constructor(
    readonly sourceSymbols: number,
    options: LtOptions = {},
  ) {
    this.cdf = cumulative(robustSolitonPmf({ sourceSymbols, c: options.c ?? DEFAULT_LT_C, delta: options.delta ?? DEFAULT_LT_DELTA }));
  }

  /** The distinct source indices repair symbol `repairIndex` XORs together (do not modify). */
  neighbours(repairIndex: number): Uint32Array {
    const hit = this.cache.get(repairIndex);
    if (hit) return hit;
    const out = this.draw(repairIndex);
    if (this.cache.size < NEIGHBOUR_CACHE_LIMIT) this.cache.set(repairIndex, out);
    return out;
  }

  private draw(repairIndex: number): Uint32Array {
    const k = this.sourceSymbols;
    const rng = new SeededRandom((Math.imul(repairIndex + 1, 0x9e3779b1) ^ 0x7f4a7c15) >>> 0);
    const d = sampleDegree(this.cdf, rng.next());
    const out = new Uint32Array(d);
    if (d === k) {
      for (let i = 0; i < k; i++) out[i] = i;
      return out;
    }
    const seen = new Set<number>();
    for (let n = 0; n < d;) {
      const i = rng.nextInt(k);
      if (seen.has(i)) continue;
      seen.add(i);
      out[n++] = i;
    }
    return out;
  }
}

class LtEncoder extends SystematicEncoder {
  constructor(
    data: Uint8Array,
    shape: SourceShape,
    private readonly graph: LtGraph,
  ) {
    super(data, shape, LT_CODEC_NAME);
  }

  repairSymbol(n: number): EncodedSymbol {
    // Every ESI K..2^24-1 once, then the same sequence again.
    const m = this.cyclicRepairIndex(n, LT_ENCODING_SYMBOL_ID_LIMIT - this.firstRepairId);
    const out = new Uint8Array(this.shape.symbolSize);
    for (const i of this.graph.neighbours(m)) xorInto(out, this.sourceSymbol(i));
    return { encodingSymbolId: this.firstRepairId + m, data: out };
  }
}

/** A repair symbol still waiting for more than one of its source symbols. */
interface Equation {
  readonly data: Uint8Array;
  readonly neighbours: Uint32Array;
  unknown: number;
  done: boolean;
}

/**
 * Peeling in two passes. `add` peels the structure only — which source symbols are known and
 * which equation solved each, in order — with no symbol bytes touched; the bytes are XORed once,
 * in that order, when the structure completes. A receiver retries a stalled decode as more
 * symbols arrive (decodeRetryStep), so a failed attempt must be cheap: it costs index work, not
 * K·degree XORs of T bytes, and the one successful attempt does the XORs a single peel needs.
 */
class LtDecoder implements SegmentDecoder {
  private readonly k: number;
  private readonly t: number;
  private readonly source: Uint8Array;
  /** Structurally known (received, or solvable from what was received). */
  private readonly known: Uint8Array;
  /** Source symbols received (distinct): their bytes are in `source` already. */
  private readonly got: Uint8Array;
  private knownCount = 0;
  private readonly repairSeen = new Set<number>();
  /** Per source symbol, the equations still waiting for it (allocated on first use). */
  private readonly waiting: (Equation[] | undefined)[];
  /** Source symbols solved by an equation, in the order peeling solved them, with it. */
  private readonly solved: [number, Equation][] = [];
  private sourceReceived = 0;
  private assembled = false;

  constructor(
    private readonly shape: SourceShape,
    private readonly graph: LtGraph,
  ) {
    this.k = shape.sourceSymbols;
    this.t = shape.symbolSize;
    this.source = new Uint8Array(this.k * this.t);
    this.known = new Uint8Array(this.k);
    this.got = new Uint8Array(this.k);
    this.waiting = new Array<Equation[] | undefined>(this.k);
  }

  get received(): number {
    return this.sourceReceived + this.repairSeen.size;
  }

  add(esi: number, data: Uint8Array): boolean {
    checkSymbol(LT_CODEC_NAME, esi, LT_ENCODING_SYMBOL_ID_LIMIT, data, this.t);
    if (this.knownCount === this.k) return true;
    if (esi < this.k) {
      // A source symbol can arrive after peeling already found it: still one distinct symbol.
      if (this.got[esi]) return false;
      this.got[esi] = 1;
      this.sourceReceived++;
      this.symbol(esi).set(data);
      this.learn(esi);
      return this.knownCount === this.k;
    }
    if (this.repairSeen.has(esi)) return false;
    this.repairSeen.add(esi);
    const neighbours = this.graph.neighbours(esi - this.k);
    const eq: Equation = { data: data.slice(), neighbours, unknown: 0, done: false };
    for (const i of neighbours) if (!this.known[i]) eq.unknown++;
    if (eq.unknown === 1) this.solve(eq);
    else if (eq.unknown > 1) for (const i of neighbours) if (!this.known[i]) (this.waiting[i] ??= []).push(eq);
    return this.knownCount === this.k;
  }

  result(): Uint8Array | undefined {
    if (this.knownCount !== this.k) return undefined;
    if (!this.assembled) this.assemble();
    return this.source.subarray(0, this.shape.transferLength);
  }

  free(): void {}

  private symbol(i: number): Uint8Array {
    return this.source.subarray(i * this.t, (i + 1) * this.t);
  }

  /** `eq` has one unknown left: that source symbol is solved by it. */
  private solve(eq: Equation): void {
    eq.done = true;
    for (const i of eq.neighbours) {
      if (!this.known[i]) {
        this.solved.push([i, eq]);
        return this.learn(i);
      }
    }
  }

  /** Source symbol `first` is now known; peel every equation it unlocks (iteratively, indices only). */
  private learn(first: number): void {
    const pending = [first];
    while (pending.length > 0) {
      const i = pending.pop()!;
      if (this.known[i]) continue;
      this.known[i] = 1;
      this.knownCount++;
      const eqs = this.waiting[i];
      if (eqs === undefined) continue;
      this.waiting[i] = undefined;
      for (const eq of eqs) {
        if (eq.done || --eq.unknown !== 1) continue;
        eq.done = true;
        for (const j of eq.neighbours) {
          if (!this.known[j]) {
            this.solved.push([j, eq]);
            pending.push(j);
            break;
          }
        }
      }
    }
  }

  /**
   * The bytes: every solved symbol is its equation XOR all its other neighbours, each of which
   * was known before it (received, or solved earlier in this order).
   */
  private assemble(): void {
    for (const [i, eq] of this.solved) {
      if (this.got[i]) continue; // it also arrived itself
      const out = this.symbol(i);
      out.set(eq.data);
      for (const j of eq.neighbours) if (j !== i) xorInto(out, this.symbol(j));
    }
    this.assembled = true;
  }
}

/** The LT `Codec`. `options` fix c and δ for both ends. */
export function ltCodec(options: LtOptions = {}): Codec {
  const graphs = new Map<number, LtGraph>();
  const graph = (k: number) => {
    let g = graphs.get(k);
    if (!g) graphs.set(k, (g = new LtGraph(k, options)));
    return g;
  };
  const shape = (p: CodecParameters) => sourceShape(p, LT_MAX_SOURCE_SYMBOLS, LT_CODEC_NAME);
  return {
    name: LT_CODEC_NAME,
    encodingSymbolIdLimit: LT_ENCODING_SYMBOL_ID_LIMIT,
    maxSourceSymbols: LT_MAX_SOURCE_SYMBOLS,
    createEncoder(data, params) {
      const s = shape(params);
      return new LtEncoder(data, s, graph(s.sourceSymbols));
    },
    createDecoder(params) {
      const s = shape(params);
      return new LtDecoder(s, graph(s.sourceSymbols));
    },
    // Peeling stalls by a few percent of K, not by a symbol or two.
    decodeRetryStep: (k) => Math.max(2, Math.ceil(0.02 * k)),
    segmentFromSourceSymbols: (sourceSymbols, params) => segmentFromSourceInOrder(sourceSymbols, shape(params), LT_CODEC_NAME),
  };
}

/**
 * RaptorQ segment encoder over the wasm build, or native code where the install built it
 * (encoder/raptorqNative.ts: the same repair symbols, from any ESI in one call).
 *
 * Source symbols never touch wasm: the code is systematic, so they come straight from the data
 * (re-arranged only when the crate sub-blocks, see raptorqParameters.ts). The wasm Encoder is
 * created on the first repair request, so a lossless transfer does no codec work at all.
 *
 * The wasm API has no "repair symbols from ESI x": `encode(R)` always returns all K source packets
 * plus R repair packets, so reaching repair symbol r costs O(K + r) work and as many packets of
 * transient memory. Fresh ESIs up to 2^24 are therefore out of reach with bounded memory, and the
 * repair sequence is a fixed window of W repair ESIs that repeats (docs/protocol.md, "Repair
 * symbols over a segment's life"): repair index n is ESI K + (n mod W). A repeat is a duplicate
 * to a receiver that has it and a fresh symbol to one that lost it.
 *
 * The wasm build labels repair symbol r with K' + r, its internal symbol id; RFC 6330 (section
 * 5.3.1) numbers it K + r on the wire. Every packet's label is checked and rewritten here.
 *
 * Bounds: every encode() returns at most K + W packets (transient, JS and wasm heap), and the
 * pool keeps at most P of them (a contiguous run of window offsets, valid in every pass). The
 * pool first grows by doubling (amortised 2x); past P it moves forward in chunks of P, each
 * costing one encode() of at most K + W symbols, so a symbol costs at most (K + W) / P
 * generations amortised, however long the stream runs.
 */
import { Encoder } from 'raptorq/raptorq.js';
import type { EncodedSymbol, SegmentEncoder } from './codec.js';
import { CodecError } from './errors.js';
import { nativeRaptorQEncoder, type NativeRaptorQEncoder } from './raptorqNative.js';
import { RAPTORQ_ENCODING_SYMBOL_ID_LIMIT, sourceSymbolBlock, type RaptorQObjectInformation } from './raptorqParameters.js';

/** Repair bytes (T + 4 per symbol) of one window: W = this / (T + 4), at least K. */
export const REPAIR_WINDOW_BYTES = 64 * 1024 * 1024;
/** Bytes (T + 4 per symbol) the pool may hold: P = this / (T + 4), at least 64, at most W. */
export const REPAIR_POOL_BYTES = 16 * 1024 * 1024;
/** Payload id (SBN u8 + ESI u24) in front of every packet the wasm returns. */
const PAYLOAD_ID_LENGTH = 4;
const MIN_POOL_SYMBOLS = 64;

/** Overrides of the derived window and pool sizes (in symbols), for tests. */
export interface RaptorQEncoderLimits {
  /** W: distinct repair ESIs before the sequence repeats (1..RAPTORQ_ENCODING_SYMBOL_ID_LIMIT - K). */
  readonly repairWindow?: number;
  /** P: most repair symbols the pool holds at once (1..W). */
  readonly repairPoolLimit?: number;
}

/** W for one segment: REPAIR_WINDOW_BYTES worth of symbols, at least K, within the ESI space. */
export function raptorqRepairWindow(info: RaptorQObjectInformation): number {
  const byMemory = Math.floor(REPAIR_WINDOW_BYTES / (info.symbolSize + PAYLOAD_ID_LENGTH));
  return Math.min(RAPTORQ_ENCODING_SYMBOL_ID_LIMIT - info.sourceSymbols, Math.max(info.sourceSymbols, byMemory));
}

export class RaptorQSegmentEncoder implements SegmentEncoder {
  readonly sourceSymbols: number;
  /** K: RFC 6330's first repair ESI. */
  readonly firstRepairId: number;
  /** W: repair index n is ESI firstRepairId + (n mod W). */
  readonly repairWindow: number;
  /** P: the pool never holds more repair symbols than this. */
  readonly repairPoolLimit: number;

  private readonly symbolSize: number;
  /** Padded/interleaved copy of all source symbols, built only when slicing `data` is wrong. */
  private sourceBlock: Uint8Array | undefined;
  private paddedLast: Uint8Array | undefined;
  private wasm: Encoder | undefined;
  /** The native encoder once made; null when this build has none (the wasm encodes). */
  private native: NativeRaptorQEncoder | null | undefined;
  /** pool[i] is window offset poolStart + i (the same symbol in every pass). */
  private pool: EncodedSymbol[] = [];
  private poolStart = 0;
  /** Repair indices (not offsets) below this were released. */
  private releasedBelow = 0;
  private freed = false;

  constructor(
    private readonly data: Uint8Array,
    private readonly info: RaptorQObjectInformation,
    limits: RaptorQEncoderLimits = {},
  ) {
    this.sourceSymbols = info.sourceSymbols;
    this.firstRepairId = info.sourceSymbols;
    this.symbolSize = info.symbolSize;
    const window = limits.repairWindow ?? raptorqRepairWindow(info);
    const maxWindow = RAPTORQ_ENCODING_SYMBOL_ID_LIMIT - this.firstRepairId;
    if (!Number.isInteger(window) || window < 1 || window > maxWindow) {
      throw new CodecError(`repair window ${window} is outside 1..${maxWindow}`);
    }
    const byMemory = Math.floor(REPAIR_POOL_BYTES / (info.symbolSize + PAYLOAD_ID_LENGTH));
    const pool = limits.repairPoolLimit ?? Math.min(window, Math.max(MIN_POOL_SYMBOLS, byMemory));
    if (!Number.isInteger(pool) || pool < 1 || pool > window) throw new CodecError(`repair pool limit ${pool} is outside 1..${window}`);
    this.repairWindow = window;
    this.repairPoolLimit = pool;
  }

  /**
   * Source symbol `esi`, T bytes. With one sub-block this is a view into the caller's data (the
   * data must not change while the encoder lives); the zero-padded last symbol is a copy.
   */
  sourceSymbol(encodingSymbolId: number): Uint8Array {
    this.assertLive();
    const k = this.sourceSymbols;
    if (!Number.isInteger(encodingSymbolId) || encodingSymbolId < 0 || encodingSymbolId >= k) {
      throw new CodecError(`source symbol id ${encodingSymbolId} is outside 0..${k - 1}`);
    }
    const t = this.symbolSize;
    const start = encodingSymbolId * t;
    if (this.info.subBlocks > 1) {
      this.sourceBlock ??= sourceSymbolBlock(this.data, this.info);
      return this.sourceBlock.subarray(start, start + t);
    }
    if (start + t <= this.data.length) return this.data.subarray(start, start + t);
    if (this.paddedLast === undefined) {
      this.paddedLast = new Uint8Array(t);
      this.paddedLast.set(this.data.subarray(start));
    }
    return this.paddedLast;
  }

  /**
   * Repair symbol n: ESI firstRepairId + (n mod W), for any n >= 0. Cheap when n rises; the same
   * n (or n + W) gives the same bytes.
   */
  repairSymbol(repairIndex: number): EncodedSymbol {
    this.assertLive();
    if (!Number.isSafeInteger(repairIndex) || repairIndex < 0) {
      throw new CodecError(`repair index ${repairIndex} is not a whole number >= 0`);
    }
    const pass = Math.floor(repairIndex / this.repairWindow);
    const offset = repairIndex - pass * this.repairWindow;
    const i = offset - this.poolStart;
    if (i >= 0 && i < this.pool.length) return this.pool[i]!;
    this.fill(offset, pass);
    return this.pool[offset - this.poolStart]!;
  }

  /**
   * The caller will not ask for repair indices below `repairIndex` again (a stream only moves
   * forward): the pool may drop them. Asking anyway still works, by re-encoding.
   */
  releaseRepairBelow(repairIndex: number): void {
    if (!Number.isSafeInteger(repairIndex) || repairIndex <= this.releasedBelow) return;
    this.releasedBelow = repairIndex;
    const offset = repairIndex % this.repairWindow;
    const drop = Math.min(offset - this.poolStart, this.pool.length);
    // Compact only when at least half the pool is dead: amortised O(1) per released symbol.
    if (drop > 0 && drop * 2 >= this.pool.length) {
      this.pool = this.pool.slice(drop);
      this.poolStart += drop;
    }
  }

  /** Symbols currently held by the pool (for memory accounting and tests); <= repairPoolLimit. */
  get pooledRepairSymbols(): number {
    return this.pool.length;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.wasm?.free();
    this.wasm = undefined;
    this.native?.free();
    this.native = undefined;
    this.pool = [];
    this.sourceBlock = undefined;
    this.paddedLast = undefined;
  }

  /** Runs encode() so that window offset `offset` (asked for in pass `pass`) is in the pool. */
  private fill(offset: number, pass: number): void {
    const w = this.repairWindow;
    const p = this.repairPoolLimit;
    // Doubling from a small first batch keeps early repair cheap; past P the pool slides forward
    // in chunks of P; encode() never goes beyond the window.
    let target = Math.max(MIN_POOL_SYMBOLS, Math.ceil(this.sourceSymbols / 16));
    while (target <= offset) target *= 2;
    target = Math.min(target, offset + p, w);
    // Keep unreleased offsets below `offset` of this pass too, as far as P allows.
    const passStart = pass * w;
    const released = this.releasedBelow <= passStart ? 0 : Math.min(w, this.releasedBelow - passStart);
    const keepFrom = Math.max(target - p, Math.min(offset, released));
    if (this.native === undefined) this.native = nativeRaptorQEncoder(this.data, this.info) ?? null;
    if (this.native !== null) {
      const t = this.symbolSize;
      const count = target - keepFrom;
      const bytes = new Uint8Array(count * t);
      this.native.repair(keepFrom, count, bytes);
      const pool: EncodedSymbol[] = new Array(count);
      for (let i = 0; i < count; i++) pool[i] = { encodingSymbolId: this.firstRepairId + keepFrom + i, data: bytes.subarray(i * t, (i + 1) * t) };
      this.pool = pool;
      this.poolStart = keepFrom;
      return;
    }
    let packets: Uint8Array[];
    try {
      this.wasm ??= Encoder.with_defaults(this.data, this.symbolSize);
      packets = this.wasm.encode(target);
    } catch (cause) {
      // A wasm trap: parameters were validated, so this is a library surprise (or heap exhaustion).
      throw new CodecError(`raptorq encode(${target}) failed for K=${this.sourceSymbols}`, { cause });
    }
    const k = this.sourceSymbols;
    if (packets.length !== k + target) {
      throw new CodecError(`raptorq returned ${packets.length} packets for K=${k}, R=${target}`);
    }
    const firstLabel = this.info.extendedSourceSymbols;
    const pool: EncodedSymbol[] = new Array(target - keepFrom);
    for (let r = keepFrom; r < target; r++) {
      const packet = packets[k + r]!;
      const label = (packet[1]! << 16) | (packet[2]! << 8) | packet[3]!;
      if (packet.length !== PAYLOAD_ID_LENGTH + this.symbolSize || packet[0] !== 0 || label !== firstLabel + r) {
        throw new CodecError(
          `raptorq repair packet ${r} has SBN ${packet[0]}, ESI ${label}, length ${packet.length}; ` +
            `expected SBN 0, ESI ${firstLabel + r}, length ${PAYLOAD_ID_LENGTH + this.symbolSize}`,
        );
      }
      // The wasm's label K' + r is RFC 6330's ESI K + r.
      pool[r - keepFrom] = { encodingSymbolId: this.firstRepairId + r, data: packet.subarray(PAYLOAD_ID_LENGTH) };
    }
    this.pool = pool;
    this.poolStart = keepFrom;
  }

  private assertLive(): void {
    if (this.freed) throw new CodecError('encoder was freed');
  }
}

/**
 * RaptorQ segment encoder over the wasm build.
 *
 * Source symbols never touch wasm: the code is systematic, so they come straight from the data
 * (re-arranged only when the crate sub-blocks, see raptorqParameters.ts). The wasm Encoder is
 * created on the first repair request, so a lossless transfer does no codec work at all.
 *
 * The wasm API has no "repair symbols from index n": `encode(R)` always returns all K source
 * packets plus repair ESIs K'..K'+R-1. Repair symbols therefore live in a pool that grows by
 * doubling R (amortised cost 2x, ids never repeat). Memory: the pool holds every repair symbol
 * below the highest index asked for (T + 4 bytes each) unless the caller calls
 * `releaseRepairBelow(n)`; a released symbol asked for again is regenerated (correct, but it
 * re-encodes from index 0). Each growth also needs ~(K + R) * (T + 4) bytes transiently in JS and
 * in the wasm heap (which never shrinks), hence the `repairSymbolLimit` cap.
 */
import { Encoder } from 'raptorq/raptorq.js';
import type { EncodedSymbol, SegmentEncoder } from './codec.js';
import { CodecError } from './errors.js';
import {
  RAPTORQ_ENCODING_SYMBOL_ID_LIMIT,
  sourceSymbolBlock,
  type RaptorQObjectInformation,
} from './raptorqParameters.js';

/** Largest transient encode() output the pool may request (bytes, JS side). */
export const MAX_REPAIR_POOL_BYTES = 256 * 1024 * 1024;
/** Payload id (SBN u8 + ESI u24) in front of every packet the wasm returns. */
const PAYLOAD_ID_LENGTH = 4;

export class RaptorQSegmentEncoder implements SegmentEncoder {
  readonly sourceSymbols: number;
  readonly firstRepairId: number;
  /** Exclusive bound on `repairIndex` (ESI space and the pool's memory cap). */
  readonly repairSymbolLimit: number;

  private readonly symbolSize: number;
  /** Padded/interleaved copy of all source symbols, built only when slicing `data` is wrong. */
  private sourceBlock: Uint8Array | undefined;
  private paddedLast: Uint8Array | undefined;
  private wasm: Encoder | undefined;
  /** R of the last encode() call: repair indices [0, generated) exist in the wasm's eyes. */
  private generated = 0;
  /** pool[i] is repair index poolStart + i. */
  private pool: EncodedSymbol[] = [];
  private poolStart = 0;
  private releasedBelow = 0;
  private freed = false;

  constructor(
    private readonly data: Uint8Array,
    private readonly info: RaptorQObjectInformation,
  ) {
    this.sourceSymbols = info.sourceSymbols;
    this.firstRepairId = info.extendedSourceSymbols;
    this.symbolSize = info.symbolSize;
    const byMemory = Math.floor(MAX_REPAIR_POOL_BYTES / (info.symbolSize + PAYLOAD_ID_LENGTH)) - info.sourceSymbols;
    this.repairSymbolLimit = Math.max(1, Math.min(RAPTORQ_ENCODING_SYMBOL_ID_LIMIT - this.firstRepairId, byMemory));
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

  /** Repair symbol n (ESI firstRepairId + n). Cheap when n rises; the same n gives the same bytes. */
  repairSymbol(repairIndex: number): EncodedSymbol {
    this.assertLive();
    if (!Number.isInteger(repairIndex) || repairIndex < 0 || repairIndex >= this.repairSymbolLimit) {
      throw new CodecError(`repair index ${repairIndex} is outside 0..${this.repairSymbolLimit - 1}`);
    }
    const i = repairIndex - this.poolStart;
    if (i >= 0 && i < this.pool.length) return this.pool[i]!;
    this.fill(repairIndex);
    return this.pool[repairIndex - this.poolStart]!;
  }

  /**
   * The caller will not ask for repair indices below `repairIndex` again (a stream only moves
   * forward): the pool may drop them. Asking anyway still works, by re-encoding.
   */
  releaseRepairBelow(repairIndex: number): void {
    if (!Number.isInteger(repairIndex) || repairIndex <= this.releasedBelow) return;
    this.releasedBelow = repairIndex;
    const drop = Math.min(repairIndex - this.poolStart, this.pool.length);
    // Compact only when at least half the pool is dead: amortised O(1) per released symbol.
    if (drop > 0 && drop * 2 >= this.pool.length) {
      this.pool = this.pool.slice(drop);
      this.poolStart += drop;
    }
  }

  /** Symbols currently held by the pool (for memory accounting and tests). */
  get pooledRepairSymbols(): number {
    return this.pool.length;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.wasm?.free();
    this.wasm = undefined;
    this.pool = [];
    this.sourceBlock = undefined;
    this.paddedLast = undefined;
  }

  /** Runs encode() so that repair index n is in the pool. */
  private fill(n: number): void {
    let target = this.generated;
    if (n >= target) {
      target = Math.max(this.generated * 2, 64, Math.ceil(this.sourceSymbols / 16));
      while (target <= n) target *= 2;
      target = Math.min(target, this.repairSymbolLimit);
    }
    const keepFrom = Math.min(n, this.releasedBelow);
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
    const pool: EncodedSymbol[] = new Array(target - keepFrom);
    for (let r = keepFrom; r < target; r++) {
      const p = packets[k + r]!;
      const esi = (p[1]! << 16) | (p[2]! << 8) | p[3]!;
      if (p.length !== PAYLOAD_ID_LENGTH + this.symbolSize || p[0] !== 0 || esi !== this.firstRepairId + r) {
        throw new CodecError(
          `raptorq repair packet ${r} has SBN ${p[0]}, ESI ${esi}, length ${p.length}; ` +
            `expected SBN 0, ESI ${this.firstRepairId + r}, length ${PAYLOAD_ID_LENGTH + this.symbolSize}`,
        );
      }
      pool[r - keepFrom] = { encodingSymbolId: esi, data: p.subarray(PAYLOAD_ID_LENGTH) };
    }
    this.pool = pool;
    this.poolStart = keepFrom;
    this.generated = target;
  }

  private assertLive(): void {
    if (this.freed) throw new CodecError('encoder was freed');
  }
}

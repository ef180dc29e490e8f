/**
 * The symbols of one open segment, held as plain buffers until a decode attempt:
 * - source symbols (ESI < K) land in place in a K*T buffer, with a presence map;
 * - repair symbols (ESI >= K) are packed into a growable buffer with their ids, at most
 *   `maxRepairSymbols` of them (a peer must not make us buffer without bound);
 * - duplicates are caught by the presence map (source) and a growable bitmap of repair ids.
 *
 * `ready` once `received >= threshold` (K at first: RaptorQ decodes from K symbols ~99 % of the
 * time). `takeJob()` hands the buffers over to a decode job; while it is out, arriving symbols
 * go to a pending area so that a "need more" answer can retry with them (threshold + 2 per
 * failed attempt). A hash mismatch (or a dead worker) resets the segment to nothing.
 */
import { xorInto } from '../encoder/sourceBlock.js';
import type { DecodeBuffers, DecodeJob } from './decodeJob.js';

export type AddResult = 'added' | 'duplicate' | 'repair-overflow';
/**
 * Besides those: a combined symbol that lacks two or more of its ids here, or arrived while a
 * decode job holds the source buffer ('combined-undecodable'), or names an id that is not a
 * source id of this segment ('combined-not-source').
 */
export type AddCombinedResult = AddResult | 'combined-undecodable' | 'combined-not-source';

export interface SegmentCollectorInit {
  readonly segmentIndex: number;
  readonly transferLength: number;
  readonly symbolSize: number;
  /** K. */
  readonly sourceSymbols: number;
  /**
   * 32 bytes; copied (the caller's array may be a view into a larger one). Absent when the
   * digest is not known yet: takeJob then needs it.
   */
  readonly expectedDigest?: Uint8Array;
  /** Exclusive bound on ESIs (the intake has checked it). @default 2^24 */
  readonly encodingSymbolIdLimit?: number;
  /** Repair symbols kept at most. @default K + floor(K / 2) + 64 */
  readonly maxRepairSymbols?: number;
  /** Extra symbols before the next attempt after one that needed more. @default RETRY_EXTRA_SYMBOLS */
  readonly retryStep?: number;
  /**
   * Where the K·T-byte source buffer comes from (a recycling pool); need not be zeroed, since
   * only symbols marked present are ever read. @default a new zeroed buffer
   */
  readonly takeBuffer?: (bytes: number) => Uint8Array;
}

/** Threshold increase after each decode attempt that needed more symbols. */
export const RETRY_EXTRA_SYMBOLS = 2;
const MIN_REPAIR_CAPACITY = 16;

export function defaultMaxRepairSymbols(sourceSymbols: number): number {
  return sourceSymbols + Math.floor(sourceSymbols / 2) + 64;
}

export class SegmentCollector {
  readonly segmentIndex: number;
  readonly transferLength: number;
  readonly symbolSize: number;
  readonly sourceSymbols: number;
  readonly maxRepairSymbols: number;
  private readonly expectedDigest: Uint8Array | undefined;
  private readonly repairIdSpan: number;

  /** Undefined while a job holds it (or after release). */
  private source: Uint8Array | undefined;
  private readonly present: Uint8Array;
  private presentCount = 0;
  private repairIds: Uint32Array | undefined;
  private repair: Uint8Array | undefined;
  private repairCount = 0;
  /** Bit (esi - K) set once repair symbol esi was taken. */
  private repairSeen: Uint8Array;
  /** Symbols (source or repair) that arrived while a job was out. */
  private pendingIds: Uint32Array;
  private pendingData: Uint8Array;
  private pendingCount = 0;
  private pendingRepair = 0;

  /** Highest source id received, and whether any repair symbol came (the sender moved on). */
  private highestSource = -1;
  private sawRepair = false;
  private _threshold: number;
  private jobOut = false;
  private receivedAtJob = 0;
  /** Symbols dropped because the repair cap was reached (this segment, all attempts). */
  overflowed = 0;
  /** Times the collector started over (hash mismatch, failed decode, unreachable threshold). */
  resets = 0;
  /** Decode attempts that needed more symbols. */
  failedAttempts = 0;

  private readonly retryStep: number;
  private readonly takeBuffer: (bytes: number) => Uint8Array;

  constructor(init: SegmentCollectorInit) {
    const k = init.sourceSymbols;
    this.segmentIndex = init.segmentIndex;
    this.transferLength = init.transferLength;
    this.symbolSize = init.symbolSize;
    this.sourceSymbols = k;
    this.maxRepairSymbols = init.maxRepairSymbols ?? defaultMaxRepairSymbols(k);
    this.retryStep = Math.max(1, Math.floor(init.retryStep ?? RETRY_EXTRA_SYMBOLS));
    this.expectedDigest = init.expectedDigest?.slice();
    this.repairIdSpan = Math.max(0, (init.encodingSymbolIdLimit ?? 2 ** 24) - k);
    this.takeBuffer = init.takeBuffer ?? ((bytes) => new Uint8Array(bytes));
    this.source = this.takeBuffer(k * init.symbolSize);
    this.present = new Uint8Array(k);
    this.repairSeen = new Uint8Array(Math.min(Math.ceil(this.repairIdSpan / 8), Math.ceil((2 * k + 64) / 8)));
    this.pendingIds = new Uint32Array(0);
    this.pendingData = new Uint8Array(0);
    this._threshold = k;
  }

  /** Distinct symbols held (including those that arrived while a job was out). */
  get received(): number {
    return this.presentCount + this.repairCount + this.pendingCount;
  }

  get threshold(): number {
    return this._threshold;
  }

  get decoding(): boolean {
    return this.jobOut;
  }

  /**
   * Every code here is systematic: with all K source symbols the segment is there, whatever the
   * threshold says. (Without this, a receiver whose attempt failed and whose last holes were then
   * filled by resends would wait for "more" symbols the sender has no reason to send: its
   * missing list is empty, so it resends sources the receiver already holds, forever.)
   */
  private get allSourcesHeld(): boolean {
    return this.presentCount === this.sourceSymbols;
  }

  get ready(): boolean {
    return !this.jobOut && (this.received >= this._threshold || this.allSourcesHeld);
  }

  /** Symbols still wanted before the next attempt; 0 while one runs. */
  get needed(): number {
    return this.jobOut || this.allSourcesHeld ? 0 : Math.max(0, this._threshold - this.received);
  }

  /**
   * Source ids known lost — below the highest source id received, or all missing ones once a
   * repair symbol arrived or `sourcesAllSent` (the sender sends a segment's sources in order and
   * before any later segment's) — when there are at most `limit`; else undefined. An empty list
   * says there is no hole, so whatever is still missing are the highest source ids.
   */
  missingSource(limit: number, sourcesAllSent = false): number[] | undefined {
    if (this.jobOut || this.needed === 0 || limit <= 0) return undefined;
    const bound = this.sawRepair || sourcesAllSent ? this.sourceSymbols : this.highestSource;
    const out: number[] = [];
    for (let esi = 0; esi < bound; esi++) {
      if (this.present[esi] === 0) {
        if (out.length === limit) return undefined;
        out.push(esi);
      }
    }
    return out;
  }

  /** Takes one validated symbol (`data` is exactly T bytes; it is copied). */
  add(encodingSymbolId: number, data: Uint8Array): AddResult {
    const k = this.sourceSymbols;
    if (encodingSymbolId < k) {
      if (this.present[encodingSymbolId] !== 0) return 'duplicate';
      this.present[encodingSymbolId] = 1;
      if (encodingSymbolId > this.highestSource) this.highestSource = encodingSymbolId;
      if (this.jobOut) this.addPending(encodingSymbolId, data);
      else {
        this.source!.set(data, encodingSymbolId * this.symbolSize);
        this.presentCount++;
      }
      return 'added';
    }
    this.sawRepair = true;
    const rel = encodingSymbolId - k;
    const byte = rel >>> 3;
    const bit = 1 << (rel & 7);
    if (byte < this.repairSeen.length && (this.repairSeen[byte]! & bit) !== 0) return 'duplicate';
    if (this.repairCount + this.pendingRepair >= this.maxRepairSymbols) {
      this.overflowed++;
      return 'repair-overflow';
    }
    if (byte >= this.repairSeen.length) this.growRepairSeen(byte);
    this.repairSeen[byte]! |= bit;
    if (this.jobOut) {
      this.addPending(encodingSymbolId, data);
      this.pendingRepair++;
    } else {
      this.appendRepair(encodingSymbolId, data);
    }
    return 'added';
  }

  /**
   * Takes the XOR of the source symbols `ids` (validated ascending by the parser): when exactly
   * one of them is missing here, it is that symbol XOR the others, which are held. Costs c - 1
   * XORs of T bytes and no codec work.
   */
  addCombined(ids: readonly number[], data: Uint8Array): AddCombinedResult {
    let missing = -1;
    for (const esi of ids) {
      if (esi >= this.sourceSymbols) return 'combined-not-source';
      if (this.present[esi] !== 0) continue;
      if (missing >= 0) return 'combined-undecodable';
      missing = esi;
    }
    if (missing < 0) return 'duplicate';
    if (this.jobOut) return 'combined-undecodable';
    const t = this.symbolSize;
    const source = this.source!;
    const slot = source.subarray(missing * t, missing * t + t);
    slot.set(data);
    for (const esi of ids) if (esi !== missing) xorInto(slot, source.subarray(esi * t, esi * t + t));
    this.present[missing] = 1;
    if (missing > this.highestSource) this.highestSource = missing;
    this.presentCount++;
    return 'added';
  }

  /** Hands the buffers to a decode job. Only when `ready`; `expectedDigest` when the init had none. */
  takeJob(expectedDigest: Uint8Array | undefined = this.expectedDigest): DecodeJob {
    if (!this.ready || this.source === undefined) throw new Error(`segment ${this.segmentIndex} is not ready to decode`);
    if (expectedDigest === undefined) throw new Error(`segment ${this.segmentIndex} has no expected digest yet`);
    this.ensureRepairBuffers(0);
    const job: DecodeJob = {
      segmentIndex: this.segmentIndex,
      transferLength: this.transferLength,
      symbolSize: this.symbolSize,
      sourceSymbols: this.sourceSymbols,
      source: this.source,
      // A copy: the collector keeps deduplicating source ids while the job is out.
      sourcePresent: this.present.slice(),
      repairIds: this.repairIds!.subarray(0, this.repairCount),
      repair: this.repair!.subarray(0, this.repairCount * this.symbolSize),
      expectedDigest,
    };
    this.source = undefined;
    this.repairIds = undefined;
    this.repair = undefined;
    this.jobOut = true;
    this.receivedAtJob = this.received;
    return job;
  }

  /**
   * The attempt needed more symbols: take the buffers back, merge what arrived meanwhile and
   * raise the threshold. Starts over when the threshold can no longer be reached.
   */
  handleNeedMore(buffers: DecodeBuffers): void {
    this.adopt(buffers);
    this.failedAttempts++;
    const t = this.symbolSize;
    for (let p = 0; p < this.pendingCount; p++) {
      const id = this.pendingIds[p]!;
      const data = this.pendingData.subarray(p * t, p * t + t);
      if (id < this.sourceSymbols) {
        this.source!.set(data, id * t);
        this.presentCount++;
      } else {
        this.appendRepair(id, data);
      }
    }
    this.pendingCount = 0;
    this.pendingRepair = 0;
    this._threshold = Math.max(this._threshold, this.receivedAtJob) + this.retryStep;
    if (this._threshold > this.sourceSymbols + this.maxRepairSymbols) this.reset(undefined);
  }

  /** Forgets every symbol (bad data somewhere): fresh symbols will be collected. */
  reset(buffers: DecodeBuffers | undefined): void {
    if (buffers !== undefined) this.adopt(buffers);
    else if (this.jobOut) {
      // The job's buffers are gone (its worker died): start with new ones.
      this.source = this.takeBuffer(this.sourceSymbols * this.symbolSize);
      this.repairIds = undefined;
      this.repair = undefined;
    }
    this.resets++;
    this.present.fill(0);
    this.presentCount = 0;
    this.repairCount = 0;
    this.repairSeen.fill(0);
    this.pendingCount = 0;
    this.pendingRepair = 0;
    this.jobOut = false;
    this._threshold = this.sourceSymbols;
  }

  /** Drops every buffer (segment decoded). The collector is not used afterwards. */
  release(): void {
    this.source = undefined;
    this.repairIds = undefined;
    this.repair = undefined;
    this.repairSeen = new Uint8Array(0);
    this.pendingIds = new Uint32Array(0);
    this.pendingData = new Uint8Array(0);
    this.pendingCount = 0;
    this.pendingRepair = 0;
  }

  private adopt(buffers: DecodeBuffers): void {
    if (!this.jobOut) throw new Error(`segment ${this.segmentIndex} has no decode job out`);
    if (buffers.source.length !== this.sourceSymbols * this.symbolSize) throw new Error('returned source buffer has the wrong size');
    this.source = buffers.source;
    // The job held views of the first repairCount entries; the memory behind them is the full capacity.
    const ids = buffers.repairIds;
    this.repairIds = new Uint32Array(ids.buffer, ids.byteOffset, (ids.buffer.byteLength - ids.byteOffset) >>> 2);
    const r = buffers.repair;
    const capacity = Math.min(this.repairIds.length, Math.floor((r.buffer.byteLength - r.byteOffset) / this.symbolSize));
    this.repairIds = this.repairIds.subarray(0, capacity);
    this.repair = new Uint8Array(r.buffer, r.byteOffset, capacity * this.symbolSize);
    this.jobOut = false;
  }

  private appendRepair(id: number, data: Uint8Array): void {
    this.ensureRepairBuffers(this.repairCount + 1);
    this.repairIds![this.repairCount] = id;
    this.repair!.set(data, this.repairCount * this.symbolSize);
    this.repairCount++;
  }

  /** Makes room for `count` repair symbols (doubling, up to the cap). */
  private ensureRepairBuffers(count: number): void {
    const have = this.repairIds?.length ?? 0;
    if (this.repairIds !== undefined && count <= have) return;
    const start = Math.max(MIN_REPAIR_CAPACITY, Math.ceil(this.sourceSymbols / 32));
    let capacity = Math.max(have, Math.min(start, this.maxRepairSymbols));
    while (capacity < count) capacity *= 2;
    capacity = Math.max(count, Math.min(capacity, this.maxRepairSymbols));
    const ids = new Uint32Array(capacity);
    const data = new Uint8Array(capacity * this.symbolSize);
    if (this.repairIds !== undefined) {
      ids.set(this.repairIds.subarray(0, this.repairCount));
      data.set(this.repair!.subarray(0, this.repairCount * this.symbolSize));
    }
    this.repairIds = ids;
    this.repair = data;
  }

  private addPending(id: number, data: Uint8Array): void {
    const t = this.symbolSize;
    if (this.pendingCount === this.pendingIds.length) {
      const capacity = Math.max(MIN_REPAIR_CAPACITY, this.pendingIds.length * 2);
      const ids = new Uint32Array(capacity);
      ids.set(this.pendingIds);
      const bytes = new Uint8Array(capacity * t);
      bytes.set(this.pendingData);
      this.pendingIds = ids;
      this.pendingData = bytes;
    }
    this.pendingIds[this.pendingCount] = id;
    this.pendingData.set(data, this.pendingCount * t);
    this.pendingCount++;
  }

  private growRepairSeen(byte: number): void {
    let size = Math.max(this.repairSeen.length, 64);
    while (size <= byte) size *= 2;
    const grown = new Uint8Array(Math.min(size, Math.ceil(this.repairIdSpan / 8)));
    grown.set(this.repairSeen);
    this.repairSeen = grown;
  }
}

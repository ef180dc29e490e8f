/**
 * UnicastStream: the sans-IO core of one receiver's symbol stream, a StreamCore (streamCore.ts)
 * with one member.
 *
 * Scheduling (what goes next):
 *  1. Repair owed to open segments (oldest first): first the source symbols the receiver listed
 *     as lost (a unicast shortcut: no encoder needed for a handful of losses), then fresh repair
 *     symbols, never a repeated repair ESI.
 *  2. Source symbols of open segments not yet fully sent (systematic: no coding work at all).
 *  3. Opening the next segment, when fewer than `window` are open and its bytes are loaded.
 *     In `fountain` recovery a new segment is owed repairFor(K, p) − K proactive repair symbols
 *     (mean plus two standard deviations of the binomial loss), where p is the loss estimate;
 *     none while p = 0, so a lossless stream never touches the codec. In `resend` recovery
 *     nothing is owed up front (unicastRecovery.ts).
 *  4. Stall guard (stallGuard.ts): when nothing is owed, segments are open and no Progress with
 *     news (a higher highestSequence) came for `stallTimeoutMs`, the oldest open segment is owed
 *     a burst of symbols, doubling while no news comes; then it waits again.
 *
 * Feedback (handleProgress): segments the receiver reports complete are freed; p, an EWMA of the
 * receiver's lost/(received+lost) deltas (lossEstimate.ts), and the report's highestSequence set
 * what each open segment is owed (unicastRecovery.ts).
 *
 * Pacing: a token bucket; pollTransmit returns nothing before its time and pollTimeout says when.
 */
import type { Progress } from '../control/messages.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import type { BitSet } from '../util/bitset.js';
import { DatagramEmitter } from './datagramEmitter.js';
import { nextLossEstimate, planningLoss, plausibleDelta } from './lossEstimate.js';
import { OpenSegment } from './openSegment.js';
import { RateController } from './rateController.js';
import { repairFor } from './recoveryPlanning.js';
import { ReportDelay } from './reportDelay.js';
import { SegmentLoader } from './segmentLoader.js';
import { StallGuard } from './stallGuard.js';
import { UnicastRecovery } from './unicastRecovery.js';
import { emptyStreamStats, type StreamCore, type StreamCoreInit, type StreamStats } from './streamCore.js';

export interface UnicastStreamInit extends StreamCoreInit {
  /** Segments open at once (the receiver's Hello.window). */
  window: number;
}

export { AUTO_RESEND_MAX_LOSS } from './unicastRecovery.js';

export class UnicastStream implements StreamCore {
  private readonly open = new Map<number, OpenSegment>();
  private readonly loader: SegmentLoader;
  private readonly emitter: DatagramEmitter;
  private readonly completeAbove = new Set<number>();
  /**
   * Segments the receiver held before it asked (Request.have): complete from the start. A bitmap
   * rather than completeAbove, whose every entry a report would otherwise walk.
   */
  private held: BitSet | undefined;
  private completeBelow = 0;
  /** The init's layout, or a growing object's larger one (extend). */
  private layout: SegmentLayout;
  /** A pipe still being read: more segments may come, so having all of `layout` is not the end. */
  private growing: boolean;
  private nextToOpen = 0;
  private nextToLoad = 0;
  private readonly rate: RateController | undefined;
  private readonly datagramBytes: number;
  private readonly inFlightHorizonMs: number;
  private readonly recovery: UnicastRecovery;
  private readonly delay = new ReportDelay();
  private readonly stall: StallGuard;
  /** The counters the loss estimate last took in, and the highestSequence they came with. */
  private lastReport: { received: number; lost: number; highest: number };
  private now: number;
  private _finished = false;
  private _finishReason = '';
  readonly stats: StreamStats = emptyStreamStats();
  /** The receiver's control connection id (informational: every report is this member's). */
  private memberId: string | undefined;

  constructor(private readonly init: UnicastStreamInit) {
    this.now = init.now;
    this.rate = init.fixedRate ? undefined : new RateController({ rateBytesPerSecond: init.rateBytesPerSecond, now: init.now });
    this.emitter = DatagramEmitter.forStream(init, this.rate?.bytesPerSecond ?? init.rateBytesPerSecond, this.stats);
    this.loader = new SegmentLoader({
      layout: init.layout,
      codec: init.codec,
      ahead: init.window + 2,
      onSegmentFreed: init.onSegmentFreed,
      ...(init.available ? { available: init.available } : {}),
    });
    this.datagramBytes = this.emitter.datagramBytes;
    this.stall = new StallGuard(init.stallTimeoutMs ?? 200, init.now);
    this.inFlightHorizonMs = init.inFlightHorizonMs ?? 50;
    this.recovery = new UnicastRecovery(init.recovery ?? 'auto', this.emitter);
    this.lastReport = { received: 0, lost: 0, highest: (init.firstSequence ?? 0) - 1 };
    this.layout = init.layout;
    this.growing = init.growing ?? false;
    if (this.allComplete()) this.finish('complete');
  }

  get finished(): boolean {
    return this._finished;
  }

  get finishReason(): string {
    return this._finishReason;
  }

  get openSegments(): number {
    return this.open.size;
  }

  /** Bytes of every datagram of this stream. */
  get datagramLength(): number {
    return this.datagramBytes;
  }

  /** The member has every segment and no more can come. */
  private allComplete(): boolean {
    return !this.growing && this.completeBelow >= this.layout.segmentCount;
  }

  /**
   * More of a growing object was announced to the receiver (see StreamCore.extend). The segments
   * it had were full, so their ranges stay; a layout that would move them is a bug here.
   */
  extend(now: number, layout: SegmentLayout, final: boolean): void {
    this.now = now;
    if (this._finished || !this.growing) return;
    const old = this.layout;
    if (
      layout.segmentSize !== old.segmentSize ||
      layout.symbolSize !== old.symbolSize ||
      layout.segmentCount < old.segmentCount ||
      layout.fileSize < old.fileSize
    )
      throw new RangeError(`a growing object cannot go from ${JSON.stringify(old)} to ${JSON.stringify(layout)}`);
    this.layout = layout;
    this.loader.extend(layout);
    this.growing = !final;
    if (this.allComplete()) this.finish('complete');
  }

  private isComplete(i: number): boolean {
    return i < this.completeBelow || this.completeAbove.has(i) || this.held?.has(i) === true;
  }

  /** A segment whose bytes the adapter should read next (keeps the reader ahead of the sender). */
  pollSegmentLoad(): number | undefined {
    if (this._finished) return undefined;
    const count = this.layout.segmentCount;
    return this.loader.poll(this.open.size, () => {
      while (this.nextToLoad < count && this.isComplete(this.nextToLoad)) this.nextToLoad++;
      // Not yet arrived (cut-through): wait for it, in order.
      return this.nextToLoad < count && this.loader.isAvailable(this.nextToLoad) ? this.nextToLoad++ : undefined;
    });
  }

  segmentAvailable(now: number, index: number): void {
    this.now = now;
    this.loader.makeAvailable(index);
  }

  provideSegment(now: number, index: number, data: Uint8Array): void {
    this.now = now;
    this.loader.provide(index, data, !this._finished && !this.isComplete(index));
  }

  /**
   * The one member: its id is recorded, its window is the init's, and what it holds (resume) is
   * complete from here on: never loaded, opened or sent.
   */
  addMember(now: number, id: string, _window: number, held?: BitSet): void {
    this.now = now;
    this.memberId ??= id;
    if (held === undefined || this._finished) return;
    this.held = held;
    this.advanceCompleteBelow();
    if (this.allComplete()) this.finish('complete');
  }

  /** completeBelow moves over held segments, as the receiver's own does (its window starts there). */
  private advanceCompleteBelow(): void {
    const count = this.layout.segmentCount;
    while (this.completeBelow < count && this.held?.has(this.completeBelow)) this.completeBelow++;
  }

  /** The member left: the stream ends. */
  removeMember(now: number, id: string): void {
    this.stop(now, `${id} left`);
  }

  /** One member: nobody is ever dropped for being slow (the control channel's timeouts end it). */
  pollDropped(): { id: string; reason: string }[] {
    return [];
  }

  handleProgress(now: number, _id: string, p: Progress): void {
    this.now = now;
    if (this._finished) return;
    // A highestSequence beyond anything sent came from a forged datagram: the last real one
    // stands (no news, no delay sample, the same symbols in flight).
    const highest = this.emitter.unwrapReported(p.highestSequence) ?? Math.max(this.delay.highest, this.lastReport.highest);
    this.stall.report(now, highest, this.delay.highest, this.emitter.nextSequence - 1);
    const delaySample = this.delay.update(now, highest, this.emitter.sentAt(highest), p.heldMs);
    this.takeCounts(now, p, highest, delaySample);
    this.stats.rateBytesPerSecond = this.emitter.rateBytesPerSecond;
    const count = this.layout.segmentCount;
    this.completeBelow = Math.max(this.completeBelow, Math.min(p.completeBelow, count));
    this.advanceCompleteBelow();
    for (const i of p.completeAbove) if (i < count) this.completeAbove.add(i);
    for (const i of [...this.completeAbove]) if (i < this.completeBelow) this.completeAbove.delete(i);
    for (const [i, seg] of this.open) if (this.isComplete(i)) this.close(seg, true);
    this.loader.discard((i) => this.isComplete(i));
    if (this.allComplete()) {
      this.finish('complete');
      return;
    }
    const lostBefore = now - this.delay.horizon(this.inFlightHorizonMs);
    const loss = planningLoss(this.stats.lossEstimate, this.emitter, highest, lostBefore);
    this.recovery.plan(p, this.open, highest, lostBefore, loss, this.resends());
  }

  /** The report's counters: the loss estimate and the pace learn from what they add. */
  private takeCounts(now: number, p: Progress, highest: number, delaySample: number | undefined): void {
    const dr = p.datagramsReceived - this.lastReport.received;
    const dl = p.datagramsLost - this.lastReport.lost;
    if (dr < 0 || dl < 0 || dr + dl === 0) return;
    const sentSince = this.emitter.nextSequence - 1 - this.lastReport.highest;
    this.lastReport = { received: p.datagramsReceived, lost: p.datagramsLost, highest };
    if (!plausibleDelta(dr, dl, sentSince)) {
      this.stats.implausibleReports++;
      return;
    }
    this.stall.sample(dl / (dr + dl));
    this.stats.lossEstimate = nextLossEstimate(this.stats.lossEstimate, dr, dl);
    if (this.rate) {
      this.emitter.setRate(now, this.rate.onReport(now, dr, dl, this.datagramBytes, delaySample));
      this.stats.congestionEvents = this.rate.congestionEvents;
    }
  }

  /**
   * The next datagram if one is due at `now`; undefined when paced, idle or waiting for data.
   * With `out` (at least datagramBytes long) the datagram is written there and a view returned,
   * so the adapter can recycle buffers instead of allocating one per datagram.
   */
  pollTransmit(now: number, out?: Uint8Array): Uint8Array | undefined {
    this.now = now;
    if (this._finished) return undefined;
    if (this.emitter.nextSendTime(now) > now) return undefined;
    let next = this.pick();
    if (!next && this.stall.due(now, this.open.size)) {
      const oldest = this.oldestOpen();
      if (oldest) {
        oldest.repairCredit = this.stall.burst(oldest.sourceSymbols, this.emitter.rateBytesPerSecond, this.datagramBytes);
        this.stats.stallBursts++;
        this.stall.fired(now);
        next = oldest;
      }
    }
    if (!next) return undefined;
    return this.emit(now, next, out);
  }

  /** When pollTransmit may next yield something (undefined: waiting for feedback or data). */
  pollTimeout(): number | undefined {
    if (this._finished) return undefined;
    if (this.pick()) return this.emitter.nextSendTime(this.now);
    // The stall burst is paced like everything else.
    if (this.open.size > 0) return Math.max(this.stall.deadline, this.emitter.nextSendTime(this.now));
    return undefined;
  }

  stop(now: number, reason: string): void {
    this.now = now;
    this.finish(reason);
  }

  private finish(reason: string): void {
    if (this._finished) return;
    this._finished = true;
    this._finishReason = reason;
    for (const seg of this.open.values()) this.close(seg, false);
    this.loader.clear();
  }

  /** Resend listed losses in this mode at the current loss (unicastRecovery.ts). */
  private resends(): boolean {
    return this.recovery.resends(this.lastReport, this.stats.lossEstimate);
  }

  private close(seg: OpenSegment, completed: boolean): void {
    this.loader.close(seg);
    this.open.delete(seg.index);
    if (completed) this.stats.segmentsCompleted++;
  }

  private oldestOpen(): OpenSegment | undefined {
    let oldest: OpenSegment | undefined;
    for (const seg of this.open.values()) if (!oldest || seg.index < oldest.index) oldest = seg;
    return oldest;
  }

  /** The segment whose symbol goes next, opening a new one if that is what is due. */
  private pick(): OpenSegment | undefined {
    let repair: OpenSegment | undefined;
    let source: OpenSegment | undefined;
    for (const seg of this.open.values()) {
      if (seg.repairCredit > 0 && (!repair || seg.index < repair.index)) repair = seg;
      if (seg.pendingSource > 0 && (!source || seg.index < source.index)) source = seg;
    }
    if (repair) return repair;
    if (source) return source;
    return this.openNext();
  }

  private openNext(): OpenSegment | undefined {
    const count = this.layout.segmentCount;
    while (this.nextToOpen < count && this.isComplete(this.nextToOpen)) this.nextToOpen++;
    // The receiver drops segments at or beyond its completeBelow + window: never open those.
    if (this.open.size >= this.init.window || this.nextToOpen >= count) return undefined;
    if (this.nextToOpen >= this.completeBelow + this.init.window) return undefined;
    const seg = this.loader.open(this.nextToOpen, (i, k, encoder) => new OpenSegment(i, k, encoder));
    if (!seg) return undefined;
    this.nextToOpen++;
    this.stats.segmentsOpened++;
    const p = this.stats.lossEstimate;
    if (p > 0 && !this.resends()) seg.repairCredit = Math.max(0, repairFor(seg.sourceSymbols, p) - seg.sourceSymbols);
    this.open.set(seg.index, seg);
    return seg;
  }

  private emit(now: number, seg: OpenSegment, into?: Uint8Array): Uint8Array {
    let esi: number;
    let symbol: Uint8Array;
    let resend: number | undefined;
    // Source symbols first within a segment (systematic); then owed repair.
    if (seg.pendingSource > 0) {
      esi = seg.nextSource++;
      symbol = seg.encoder.sourceSymbol(esi);
      this.stats.sourceSymbolsSent++;
    } else if ((resend = seg.nextResend()) !== undefined) {
      esi = resend;
      symbol = seg.encoder.sourceSymbol(esi);
      seg.resentAt.set(esi, this.emitter.nextSequence);
      seg.repairCredit = Math.max(0, seg.repairCredit - 1);
      this.stats.sourceRetransmits++;
    } else {
      const r = seg.encoder.repairSymbol(seg.nextRepair++);
      esi = r.encodingSymbolId;
      symbol = r.data;
      // Repair ids only move forward: let the pool drop what was sent (bounded memory).
      seg.encoder.releaseRepairBelow?.(seg.nextRepair);
      seg.repairCredit = Math.max(0, seg.repairCredit - 1);
      this.stats.repairSymbolsSent++;
    }
    seg.recordSent(this.emitter.nextSequence, now);
    return this.emitter.emit(now, seg.index, esi, symbol, into);
  }
}

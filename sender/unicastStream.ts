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
 *     (the unicast default) nothing is owed up front: see Recovery.
 *  4. Stall guard: when nothing is owed, segments are open and no Progress with news (a higher
 *     highestSequence) came for `stallTimeoutMs`, the oldest open segment is owed a few more
 *     symbols (feedback may be stale or lost with the receiver's socket buffer), doubling while
 *     no news comes (stallBurst); then it waits again.
 *
 * Feedback (handleProgress): segments the receiver reports complete are freed. For each open
 * segment reported as needing n more symbols, the symbols sent after the report's
 * highestSequence and within the last inFlightHorizonMs (in flight) and the source symbols not
 * yet sent will bring about
 * (inflight + unsent)·(1−p); only repairFor(shortfall) is owed as repair. p is an EWMA of the
 * receiver's lost/(received+lost) deltas.
 *
 * Recovery. Building a segment's RaptorQ encoder and decoding with repair cost tens of ms of CPU
 * per 4 MiB at each end, while a resent source symbol costs
 * neither side anything beyond the datagram. One receiver that lists its losses exactly is best
 * served by resending them (`resend`, the default): repair symbols are then used only where the
 * list cannot explain the shortfall (heavy loss beyond MAX_MISSING_LISTED, a lost tail of the
 * last segment, stalls). `fountain` sends only repair after the sources, proactively, which is
 * what many receivers with different losses need and what the research harness compares.
 *
 * Pacing: a token bucket; pollTransmit returns nothing before its time and pollTimeout says when.
 */
import type { Codec } from '../encoder/codec.js';
import type { IntegrityScheme } from '../encoder/integrity.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import { MAX_MISSING_LISTED, type Progress, type SegmentProgress } from '../control/messages.js';
import { DatagramEmitter } from './datagramEmitter.js';
import { OpenSegment } from './openSegment.js';
import { RateController } from './rateController.js';
import { MAX_LOSS_ESTIMATE, nextLossEstimate, plausibleDelta } from './lossEstimate.js';
import { lostTail, mayStillArrive, repairFor, tailIds } from './recoveryPlanning.js';
import { SegmentLoader } from './segmentLoader.js';
import { emptyStreamStats, type RecoveryMode, type StreamCore, type StreamStats } from './streamCore.js';

export interface UnicastStreamInit {
  /**
   * Called with a segment's bytes (as given to provideSegment) once its encoder is freed: nothing
   * reads them any more, so the adapter may reuse the buffer for a later read.
   */
  onSegmentFreed?: (data: Uint8Array) => void;
  sessionId: number;
  layout: SegmentLayout;
  codec: Codec;
  integrity: IntegrityScheme;
  /** Rate ceiling in bytes/s; 0 = no cap. The pace adapts below it (rateController.ts). */
  rateBytesPerSecond: number;
  /** Pace at exactly rateBytesPerSecond, never adapting (tests, fixed-rate links). @default false */
  fixedRate?: boolean;
  /** Segments open at once (the receiver's Hello.window). */
  window: number;
  now: number;
  /** @default 200 */
  stallTimeoutMs?: number;
  /**
   * A symbol sent longer ago than this before a report arrived, and not covered by the report's
   * highestSequence, counts as lost rather than in flight: receivers report at least every
   * 20 ms while data flows, so 50 ms covers that plus a LAN round trip. The horizon widens to
   * twice the observed report delay when socket buffers queue longer. @default 50
   */
  inFlightHorizonMs?: number;
  /** First sequence number (tests start near 2^32 to exercise the wrap). @default 0 */
  firstSequence?: number;
  /** How losses are made good (see Recovery above). @default 'auto' */
  recovery?: RecoveryMode;
}

/** `auto` resends listed losses up to this loss rate and turns to repair symbols above it. */
export const AUTO_RESEND_MAX_LOSS = 0.2;
/**
 * Behind heavy loss (the estimate at least HEAVY_LOSS), a run of at least SILENT_RUN datagrams
 * past a report's highestSequence, old enough to have arrived, says the loss is at least that
 * run's (handleProgress).
 */
const HEAVY_LOSS = 0.5;
const SILENT_RUN = 64;
/** Most symbols of one stall burst (see stallBurst). */
const MAX_STALL_BURST = 1 << 16;
/** Datagrams reported before `auto` trusts the long-run loss rate. */
const AUTO_MIN_SAMPLES = 1000;

export class UnicastStream implements StreamCore {
  private readonly open = new Map<number, OpenSegment>();
  private readonly loader: SegmentLoader;
  private readonly emitter: DatagramEmitter;
  private readonly completeAbove = new Set<number>();
  private completeBelow = 0;
  private nextToOpen = 0;
  private nextToLoad = 0;
  private readonly rate: RateController | undefined;
  private readonly datagramBytes: number;
  private readonly stallTimeoutMs: number;
  private readonly inFlightHorizonMs: number;
  private readonly recovery: RecoveryMode;
  /** Decaying maximum of "report arrival − send time of its highestSequence" (queueing delay). */
  private reportDelayMs = 0;
  private highestReported = -1;
  /** The loss repair is planned with (handleProgress). */
  private planLoss = 0;
  /** Stall bursts since a report last showed the path delivering (see stallBurst). */
  private stallsInARow = 0;
  private lastFeedbackAt: number;
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
    this.emitter = new DatagramEmitter({
      sessionId: init.sessionId,
      symbolSize: init.layout.symbolSize,
      integrity: init.integrity,
      rateBytesPerSecond: this.rate?.bytesPerSecond ?? init.rateBytesPerSecond,
      now: init.now,
      firstSequence: init.firstSequence,
      stats: this.stats,
    });
    this.loader = new SegmentLoader({ layout: init.layout, codec: init.codec, ahead: init.window + 2, onSegmentFreed: init.onSegmentFreed });
    this.datagramBytes = this.emitter.datagramBytes;
    this.stallTimeoutMs = init.stallTimeoutMs ?? 200;
    this.inFlightHorizonMs = init.inFlightHorizonMs ?? 50;
    this.recovery = init.recovery ?? 'auto';
    this.lastFeedbackAt = init.now;
    this.lastReport = { received: 0, lost: 0, highest: (init.firstSequence ?? 0) - 1 };
    if (init.layout.segmentCount === 0) this.finish('complete');
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

  private isComplete(i: number): boolean {
    return i < this.completeBelow || this.completeAbove.has(i);
  }

  /** A segment whose bytes the adapter should read next (keeps the reader ahead of the sender). */
  pollSegmentLoad(): number | undefined {
    if (this._finished) return undefined;
    const count = this.init.layout.segmentCount;
    return this.loader.poll(this.open.size, () => {
      while (this.nextToLoad < count && this.isComplete(this.nextToLoad)) this.nextToLoad++;
      return this.nextToLoad < count ? this.nextToLoad++ : undefined;
    });
  }

  provideSegment(now: number, index: number, data: Uint8Array): void {
    this.now = now;
    this.loader.provide(index, data, !this._finished && !this.isComplete(index));
  }

  /** The one member: its id is recorded, its window is the init's. */
  addMember(now: number, id: string, _window: number): void {
    this.now = now;
    this.memberId ??= id;
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
    const highest = this.emitter.unwrapReported(p.highestSequence) ?? Math.max(this.highestReported, this.lastReport.highest);
    // Only news holds the stall guard off: a report that repeats an old highestSequence while
    // later symbols went out says those did not come (heavy loss, or a dead path), and the
    // receiver may report like that for as long as its connection lives.
    if (highest > this.highestReported || highest >= this.emitter.nextSequence - 1) this.lastFeedbackAt = now;
    // Symbols queue in socket buffers for a while (8 MiB at 100 MB/s is 80 ms): learn how old
    // the newest symbol a report covers is, and do not call younger unreported symbols lost; the
    // rate controller reads the same sample as queueing delay. Only a report that advances
    // highestSequence measures delay: a keep-alive repeating an old one says the later symbols
    // did not come, not that they are slow.
    let delaySample: number | undefined;
    const sentAt = highest > this.highestReported ? this.emitter.sentAt(highest) : undefined;
    if (sentAt !== undefined) {
      this.highestReported = highest;
      const age = now - sentAt;
      this.reportDelayMs = Math.max(age, this.reportDelayMs * 0.95);
      // The receiver held that datagram heldMs before reporting: not a queue.
      delaySample = Math.max(0, age - (p.heldMs ?? 0));
    }
    const dr = p.datagramsReceived - this.lastReport.received;
    const dl = p.datagramsLost - this.lastReport.lost;
    if (dr >= 0 && dl >= 0 && dr + dl > 0 && !plausibleDelta(dr, dl, this.emitter.nextSequence - 1 - this.lastReport.highest)) {
      this.stats.implausibleReports++;
      this.lastReport = { received: p.datagramsReceived, lost: p.datagramsLost, highest };
    } else if (dr >= 0 && dl >= 0 && dr + dl > 0) {
      const sample = dl / (dr + dl);
      // Symbols arrive again: stall bursts start small. Behind heavy loss an arrival now and
      // then does not mean the path is back.
      if (sample < HEAVY_LOSS) this.stallsInARow = 0;
      this.stats.lossEstimate = nextLossEstimate(this.stats.lossEstimate, dr, dl);
      this.lastReport = { received: p.datagramsReceived, lost: p.datagramsLost, highest };
      if (this.rate) {
        this.emitter.setRate(now, this.rate.onReport(now, dr, dl, this.datagramBytes, delaySample));
        this.stats.congestionEvents = this.rate.congestionEvents;
      }
    }
    this.stats.rateBytesPerSecond = this.emitter.rateBytesPerSecond;
    const count = this.init.layout.segmentCount;
    this.completeBelow = Math.max(this.completeBelow, Math.min(p.completeBelow, count));
    for (const i of p.completeAbove) if (i < count) this.completeAbove.add(i);
    for (const i of [...this.completeAbove]) if (i < this.completeBelow) this.completeAbove.delete(i);
    for (const [i, seg] of this.open) if (this.isComplete(i)) this.close(seg, true);
    this.loader.discard((i) => this.isComplete(i));
    if (this.completeBelow >= count) {
      this.finish('complete');
      return;
    }
    const horizon = Math.max(this.inFlightHorizonMs, 2 * this.reportDelayMs + 10);
    // The receiver's counters learn of loss only when a datagram arrives: behind very heavy loss
    // they lag by thousands of datagrams. Then a long run the report has not passed though it
    // had time to arrive says the loss is at least that run's; plan repair with that.
    const silent = this.stats.lossEstimate >= HEAVY_LOSS ? this.emitter.sentBetween(highest, now - horizon) : 0;
    this.planLoss = silent >= SILENT_RUN ? Math.max(this.stats.lossEstimate, Math.min(MAX_LOSS_ESTIMATE, silent / (silent + 1))) : this.stats.lossEstimate;
    const survive = 1 - this.planLoss;
    const listed = new Set<number>();
    for (const entry of p.open) {
      listed.add(entry.index);
      const seg = this.open.get(entry.index);
      if (seg) this.planRecovery(seg, entry, highest, now - horizon, survive);
    }
    // A segment whose sources all went out but which the report neither lists nor counts as
    // complete reached the receiver with nothing (a receiver opens a segment on its first
    // symbol). Once none of its symbols can still be in flight, all of it is owed again, rather
    // than waiting for the stall burst.
    for (const [i, seg] of this.open) {
      if (listed.has(i) || seg.pendingSource > 0 || seg.inFlight(highest, now - horizon) > 0) continue;
      const k = seg.sourceSymbols;
      const missing = k <= MAX_MISSING_LISTED ? Array.from({ length: k }, (_, esi) => esi) : undefined;
      this.planRecovery(seg, missing ? { index: i, received: 0, needed: k, missing } : { index: i, received: 0, needed: k }, highest, now - horizon, survive);
    }
  }

  /** Sets what `seg` is owed beyond its sources from its report entry (see Recovery). */
  private planRecovery(seg: OpenSegment, entry: SegmentProgress, highest: number, lostBefore: number, survive: number): void {
    const coming = (seg.inFlight(highest, lostBefore) + seg.pendingSource) * survive;
    const shortfall = entry.needed - coming;
    const p = this.planLoss;
    seg.resendOnly = false;
    if (!this.resends()) {
      seg.resendQueue = [];
      seg.repairCredit = shortfall <= 0 ? 0 : repairFor(shortfall, p);
      return;
    }
    const queued = this.queueResends(seg, entry.missing, lostTail(entry.missing, entry.needed, shortfall, seg.pendingSource > 0), highest, lostBefore);
    if (shortfall <= 0) seg.repairCredit = 0;
    else if (queued > 0) {
      // Resend what the receiver listed, with as many extra copies as the loss calls for
      // (mean plus two standard deviations): an extra feedback round costs more than copies.
      // What the list does not explain yet (a tail the receiver cannot know is lost) it
      // will list once a later segment arrives, or the in-flight horizon passes.
      seg.resendOnly = true;
      seg.repairCredit = repairFor(Math.min(queued, Math.ceil(shortfall)), p);
    } else if (entry.missing) seg.repairCredit = 0; // nothing lost yet, or resends in flight
    // No list though one would fit: the report's listing budget went to older segments, and
    // this one is listed once they are done. Only a loss too large to list calls for repair.
    else if (entry.needed <= MAX_MISSING_LISTED) seg.repairCredit = 0;
    else seg.repairCredit = repairFor(shortfall, p);
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
    if (!next && this.stallDue(now)) {
      const oldest = this.oldestOpen();
      if (oldest) {
        oldest.repairCredit = this.stallBurst(oldest);
        this.stallsInARow++;
        this.stats.stallBursts++;
        this.lastFeedbackAt = now;
        next = oldest;
      }
    }
    if (!next) return undefined;
    return this.emit(now, next, out);
  }

  /** Bytes of every datagram of this stream. */
  get datagramLength(): number {
    return this.datagramBytes;
  }

  /** When pollTransmit may next yield something (undefined: waiting for feedback or data). */
  pollTimeout(): number | undefined {
    if (this._finished) return undefined;
    if (this.pick()) return this.emitter.nextSendTime(this.now);
    // The stall burst is paced like everything else.
    if (this.open.size > 0) return Math.max(this.lastFeedbackAt + this.stallTimeoutMs, this.emitter.nextSendTime(this.now));
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

  /** Resend listed losses in this mode at the current loss estimate (see Recovery). */
  private resends(): boolean {
    if (this.recovery === 'resend') return true;
    if (this.recovery === 'fountain') return false;
    // Both the long-run rate and the recent (EWMA) one must be high: a burst of socket-buffer
    // overflow (at start-up, say) must not flip a link that loses a few % to repair symbols and
    // their encoder builds.
    const { received, lost } = this.lastReport;
    if (received + lost < AUTO_MIN_SAMPLES) return true;
    return lost / (received + lost) <= AUTO_RESEND_MAX_LOSS || this.stats.lossEstimate <= AUTO_RESEND_MAX_LOSS;
  }

  /**
   * Rebuilds the resend queue from a report's list: ids already sent whose last resend (if any)
   * the report has passed or that is older than the in-flight horizon (`lostBefore`: nothing may
   * follow a lost resend to move highestSequence past it). Returns how many are queued.
   */
  private queueResends(seg: OpenSegment, missing: readonly number[] | undefined, tail: number, highest: number, lostBefore: number): number {
    const queue: number[] = [];
    const ids = tail > 0 ? [...(missing ?? []), ...tailIds(seg.sourceSymbols, tail)] : (missing ?? []);
    for (const esi of ids) {
      if (esi >= seg.nextSource) continue;
      if (!mayStillArrive(this.emitter, seg.resentAt.get(esi), highest, lostBefore)) queue.push(esi);
    }
    seg.resendQueue = queue;
    seg.resendHead = 0;
    return queue.length;
  }

  private close(seg: OpenSegment, completed: boolean): void {
    this.loader.close(seg);
    this.open.delete(seg.index);
    if (completed) this.stats.segmentsCompleted++;
  }

  /**
   * Symbols of one stall burst: a few, doubling with each burst while no report shows the path
   * delivering, up to what the pace sends in stallTimeoutMs. A receiver behind very heavy
   * loss gets almost nothing and so reports almost nothing: a fixed burst would hand it a few
   * symbols per stall for ever, while a fountain must keep flowing while it still needs symbols.
   */
  private stallBurst(seg: OpenSegment): number {
    const base = Math.max(4, Math.ceil(seg.sourceSymbols / 200));
    const rate = this.emitter.rateBytesPerSecond;
    const paced = rate > 0 ? Math.floor((rate * this.stallTimeoutMs) / 1000 / this.datagramBytes) : MAX_STALL_BURST;
    return Math.max(base, Math.min(base * 2 ** Math.min(this.stallsInARow, 30), paced, MAX_STALL_BURST));
  }

  private stallDue(now: number): boolean {
    // The same sum as pollTimeout's, so that deadline is never a float's width short.
    return this.open.size > 0 && now >= this.lastFeedbackAt + this.stallTimeoutMs;
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
    const count = this.init.layout.segmentCount;
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

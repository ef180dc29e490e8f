/**
 * SharedStream: the sans-IO core of one multicast/broadcast symbol stream that serves many
 * receivers at once (one sequence space, one token bucket), a StreamCore (streamCore.ts).
 *
 * Members. A receiver becomes a member when it sends Request (`addMember`) and leaves on Stop or
 * when its control connection dies (`removeMember`). A member that has not reported for
 * `inactiveAfterMs` is inactive: its needs neither keep segments open nor call for symbols, so a
 * stalled or dying receiver holds nobody hostage; when it reports again it catches up like a
 * late joiner.
 *
 * Which segment (the order adapts to what members need):
 *  - A new segment opens when fewer than `window` are open and every open one has sent its
 *    sources (receivers rely on that order to tell a lost tail). It is the lowest segment some
 *    active member still needs inside that member's window: the next new segment for members at
 *    the front, the first missing one for a late joiner. A segment nobody needs is closed.
 *  - A (re)opened segment sends its source symbols when no member needing it holds any symbol of
 *    it (new, or every needer joined late): systematic and free. Otherwise it sends repair only.
 *  - Open segments with work take turns (round robin), so a late joiner's catch-up and the
 *    front's new sources share the stream.
 *
 * How much (feedback as counts). For each open segment and active member needing it, a report
 * gives `needed` (K when the member has not started the segment). Symbols of that segment sent
 * after the report's highestSequence and within the in-flight horizon will bring
 * (inflight + unsent sources)·(1 − p_member); the member is owed repairFor(shortfall, p_member).
 * The segment sends fresh repair symbols (never a repeated ESI, even across re-opening) while
 * the largest amount owed to any member is positive: every symbol counts for every member, so
 * one repair symbol helps each receiver that lacks the segment, whatever it lost.
 *
 * Pacing: a token bucket at the session rate, or the slowest active member's adaptive rate.
 */
import type { Progress } from '../control/messages.js';
import type { Codec } from '../encoder/codec.js';
import { maxCombinedSymbols } from '../encoder/datagram.js';
import { xorInto } from '../encoder/sourceBlock.js';
import type { IntegrityScheme } from '../encoder/integrity.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import { rateFloorBytesPerSecond } from './constants.js';
import { DatagramEmitter } from './datagramEmitter.js';
import { Membership, type Member } from './membership.js';
import { OpenSegment } from './openSegment.js';
import { RateController } from './rateController.js';
import { lostTail, mayStillArrive, repairFor, tailIds } from './recoveryPlanning.js';
import { ResendQueue } from './resendQueue.js';
import { SegmentLoader } from './segmentLoader.js';
import { emptyStreamStats, type RecoveryMode, type StreamCore, type StreamStats } from './streamCore.js';

export interface SharedStreamInit {
  /** Called with a segment's bytes once its encoder is freed (see UnicastStreamInit). */
  onSegmentFreed?: (data: Uint8Array) => void;
  sessionId: number;
  layout: SegmentLayout;
  codec: Codec;
  integrity: IntegrityScheme;
  /** Bytes/s; 0 = unpaced. A ceiling, unless fixedRate. */
  rateBytesPerSecond: number;
  /**
   * Pace at exactly rateBytesPerSecond. Otherwise (`--rate auto` for a shared stream) every
   * member runs the unicast rate controller on its own reports and the stream goes at the
   * slowest active member's rate: loss above a member's learned baseline cuts it by 20 %, loss-free
   * reports raise it. It never goes below `floorBytesPerSecond`. @default false
   */
  fixedRate?: boolean;
  /** @default rateFloorBytesPerSecond(rateBytesPerSecond): max(1 MB/s, 5 % of the rate) */
  floorBytesPerSecond?: number;
  /**
   * A member whose own rate has sat at the floor this long is dropped (pollDropped says why):
   * one slow receiver must not hold everyone at the floor for ever. @default 10000
   */
  slowDropAfterMs?: number;
  /**
   * Keep cycling through the file (source symbols, segment after segment) while no member needs
   * anything, so receivers that join later find the stream running. @default false
   */
  carousel?: boolean;
  now: number;
  /** Segments open at once. @default 8 */
  window?: number;
  /** See UnicastStreamInit.inFlightHorizonMs. @default 50 */
  inFlightHorizonMs?: number;
  /** A member silent this long stops counting until it reports again. @default 500 */
  inactiveAfterMs?: number;
  /** Without any report for this long, the oldest open segment gets a few symbols. @default 200 */
  stallTimeoutMs?: number;
  firstSequence?: number;
  /**
   * How losses are made good: `auto` resends listed losses to small, mildly lossy groups and
   * sends repair otherwise (resendsPay); `resend` always resends listed losses and never asks the
   * codec for repair (selective-repeat ARQ: the research baseline); `fountain` always repairs.
   * @default 'auto'
   */
  recovery?: RecoveryMode;
  /**
   * Most lost source symbols one resend datagram combines (XOR) for different members
   * (resendQueue.ts); 1 resends each on its own. @default maxCombinedSymbols: as many as fit
   * without an extra IPv4 fragment (8 with the default symbol size)
   */
  combineMax?: number;
  /**
   * While other segments still have sources to send, a segment's resends wait until the oldest
   * has been queued this long, so that more members' reports are in and each datagram combines
   * more of their losses (GATHER_MS). 0 sends them at once.
   */
  gatherMs?: number;
}

/** See SharedStreamInit.gatherMs. */
export const GATHER_MS = 30;

/** Without combining, a member's listed losses above this fraction of K get repair symbols instead of resends. */
const RESEND_MAX_FRACTION = 0.25;
/**
 * When resends beat repair (resendsPay), by how many members need the segment and their loss
 * estimates. Resending each id alone costs the union of the members' losses, so only small,
 * mildly lossy groups. Combined resends (resendQueue.ts) cost about the worst member's losses
 * while the group fits one combination, about what the fountain sends; with many lossy members
 * (their summed loss above 1) they cost clearly more than repair: hence that cap.
 */
const RESEND_ALONE = { maxMembers: 4, maxLoss: 0.1 };
/** Bound on the second copies waiting per segment (finalPhase). */
const MAX_REPEATS = 4096;
const RESEND_COMBINED = { maxLoss: 0.3, maxSummedLoss: 1.0 };

class SharedSegment extends OpenSegment {
  /** Opened by the carousel: kept until its sources are out, whoever needs it. */
  carousel = false;
  /** Repair symbols owed to each active member that needs this segment. */
  readonly owedBy = new Map<string, number>();
  /** Whether losses are resent rather than repaired (resendsPay), once decided. */
  resendsPay: boolean | undefined;
  /** Listed losses to send again, with who lacks each (the base class's resendQueue is unused). */
  readonly resends = new ResendQueue();
  /** Resend datagrams (their ids) to send once more, after the queue: see finalPhase. */
  readonly repeats: number[][] = [];

  get resendsPending(): boolean {
    return this.resends.size > 0 || this.repeats.length > 0;
  }

  get owed(): number {
    let max = 0;
    for (const v of this.owedBy.values()) if (v > max) max = v;
    return max;
  }
}

export class SharedStream implements StreamCore {
  readonly members: Membership;
  readonly stats: StreamStats = emptyStreamStats();
  private readonly open = new Map<number, SharedSegment>();
  private readonly loader: SegmentLoader;
  private readonly emitter: DatagramEmitter;
  /** Next repair ESI offset per segment, kept across re-opening (no repeated ESI). */
  private readonly repairCursor = new Map<number, number>();
  private readonly datagramBytes: number;
  private readonly combineMax: number;
  /** The XOR of a combined resend is built here. */
  private readonly combinedSymbol: Uint8Array;
  private readonly window: number;
  private readonly horizonMs: number;
  private readonly stallTimeoutMs: number;
  private readonly gatherMs: number;
  private lastServed = -1;
  private carouselNext = 0;
  private readonly floor: number;
  private readonly atFloorSince = new Map<string, number>();
  private readonly dropped: { id: string; reason: string }[] = [];
  private lastFeedbackAt: number;
  private now: number;
  private stopReason: string | undefined;

  constructor(private readonly init: SharedStreamInit) {
    this.now = init.now;
    this.emitter = new DatagramEmitter({
      sessionId: init.sessionId,
      symbolSize: init.layout.symbolSize,
      integrity: init.integrity,
      rateBytesPerSecond: init.rateBytesPerSecond,
      now: init.now,
      firstSequence: init.firstSequence,
      stats: this.stats,
    });
    this.datagramBytes = this.emitter.datagramBytes;
    this.combineMax = Math.max(1, Math.floor(init.combineMax ?? maxCombinedSymbols(init.layout.symbolSize, init.integrity)));
    this.combinedSymbol = new Uint8Array(init.layout.symbolSize);
    this.window = init.window ?? 8;
    this.loader = new SegmentLoader({ layout: init.layout, codec: init.codec, ahead: this.window + 2, onSegmentFreed: init.onSegmentFreed });
    this.horizonMs = init.inFlightHorizonMs ?? 50;
    this.stallTimeoutMs = init.stallTimeoutMs ?? 200;
    this.gatherMs = Math.max(0, init.gatherMs ?? GATHER_MS);
    const floor = init.floorBytesPerSecond ?? rateFloorBytesPerSecond(init.rateBytesPerSecond);
    this.floor = floor;
    const cap = init.rateBytesPerSecond;
    const newRate = init.fixedRate ? undefined : (now: number) => new RateController({ rateBytesPerSecond: cap, now, floorBytesPerSecond: floor });
    this.members = new Membership(init.layout.segmentCount, init.inactiveAfterMs ?? 500, newRate, this.datagramBytes);
    this.lastFeedbackAt = init.now;
  }

  get datagramLength(): number {
    return this.datagramBytes;
  }

  get openSegments(): number {
    return this.open.size;
  }

  /** Only stop() ends a shared stream: members may join at any time. */
  get finished(): boolean {
    return this.stopReason !== undefined;
  }

  get finishReason(): string {
    return this.stopReason ?? '';
  }

  stop(now: number, reason: string): void {
    this.now = now;
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    for (const seg of this.open.values()) this.loader.close(seg);
    this.open.clear();
    this.loader.clear();
  }

  addMember(now: number, id: string, window: number): void {
    this.now = now;
    if (this.finished) return;
    this.members.add(id, window, now);
    for (const seg of this.open.values()) this.oweUnstarted(seg, id);
  }

  removeMember(now: number, id: string): void {
    this.now = now;
    this.members.remove(id);
    this.atFloorSince.delete(id);
    for (const seg of this.open.values()) {
      seg.owedBy.delete(id);
      seg.resends.forget(id);
    }
    this.closeUnneeded();
  }

  /** No active member needs anything more (all done, or none left). */
  get idle(): boolean {
    return !this.members.anyActiveNeeds(this.now);
  }

  handleProgress(now: number, id: string, p: Progress): void {
    this.now = now;
    if (this.finished) return;
    const known = this.members.get(id);
    if (!known) return;
    // A highestSequence beyond anything sent came from a forged datagram: the member's last real
    // one stands (no delay sample, the same symbols in flight).
    const highest = this.emitter.unwrapReported(p.highestSequence) ?? known.highestSeen;
    const m = this.members.report(id, now, p, highest, this.emitter.sentAt(highest), this.emitter.nextSequence)!;
    if (m.implausible) this.stats.implausibleReports++;
    this.lastFeedbackAt = now;
    let worst = 0;
    for (const a of this.members.active(now)) worst = Math.max(worst, a.lossEstimate);
    this.stats.lossEstimate = worst;
    if (m.rate && this.tooSlow(now, id, m.rate.bytesPerSecond)) return;
    if (!this.init.fixedRate) this.emitter.setRate(now, this.members.slowestRate(now) ?? this.init.rateBytesPerSecond);
    const horizon = Math.max(this.horizonMs, 2 * m.reportDelayMs + 10);
    const survive = 1 - m.lossEstimate;
    for (const seg of this.open.values()) {
      if (!m.needs(seg.index) || !m.inWindow(seg.index)) {
        seg.owedBy.delete(id);
        continue;
      }
      const entry = p.open.find((e) => e.index === seg.index);
      const needed = entry ? entry.needed : seg.sourceSymbols;
      const coming = (seg.inFlight(highest, now - horizon) + seg.pendingSource) * survive;
      seg.owedBy.set(id, this.owedRepair(seg, m, entry !== undefined, needed, coming, highest, now - horizon));
    }
    this.closeUnneeded();
    this.loader.discard((i) => !this.members.anyActiveNeedsSegment(i, now) && !(this.init.carousel && i === this.carouselNext));
  }

  /** Members dropped for being too slow since the last call, with the reason to tell them. */
  pollDropped(): { id: string; reason: string }[] {
    return this.dropped.splice(0);
  }

  private tooSlow(now: number, id: string, rate: number): boolean {
    if (rate > this.floor * 1.0001) {
      this.atFloorSince.delete(id);
      return false;
    }
    const since = this.atFloorSince.get(id) ?? now;
    this.atFloorSince.set(id, since);
    const limit = this.init.slowDropAfterMs ?? 10_000;
    if (now - since < limit) return false;
    this.atFloorSince.delete(id);
    this.removeMember(now, id);
    this.dropped.push({ id, reason: `too slow: its loss kept the shared stream at the ${(this.floor / 1e6).toFixed(1)} MB/s floor for ${limit} ms` });
    if (!this.init.fixedRate) this.emitter.setRate(now, this.members.slowestRate(now) ?? this.init.rateBytesPerSecond);
    return true;
  }

  /** A segment whose bytes the adapter should read next. */
  pollSegmentLoad(): number | undefined {
    if (this.finished) return undefined;
    return this.loader.poll(this.open.size, (held) => this.wanted((i) => this.open.has(i) || held(i)));
  }

  provideSegment(now: number, index: number, data: Uint8Array): void {
    this.now = now;
    this.loader.provide(index, data);
  }

  pollTransmit(now: number, out?: Uint8Array): Uint8Array | undefined {
    this.now = now;
    if (this.finished || this.emitter.nextSendTime(now) > now) return undefined;
    let seg = this.pick();
    // The same sum as pollTimeout's, so that deadline is never a float's width short.
    if (!seg && this.open.size > 0 && now >= this.lastFeedbackAt + this.stallTimeoutMs) {
      // Members may have gone quiet: what only inactive ones need is closed.
      this.closeUnneeded();
      if (this.open.size === 0) return undefined;
      // Reports may be lost or stale: a few symbols for the oldest open segment, then wait again.
      seg = [...this.open.values()].sort((a, b) => a.index - b.index)[0]!;
      for (const id of this.members.activeIds(now)) if (this.members.get(id)!.needs(seg.index)) seg.owedBy.set(id, Math.max(seg.owedBy.get(id) ?? 0, 4));
      this.stats.stallBursts++;
      this.lastFeedbackAt = now;
      if (seg.owed === 0) return undefined;
    }
    return seg ? this.emit(now, seg, out) : undefined;
  }

  pollTimeout(): number | undefined {
    if (this.finished) return undefined;
    if (this.pick()) return this.emitter.nextSendTime(this.now);
    if (this.open.size > 0) return Math.max(this.lastFeedbackAt + this.stallTimeoutMs, this.emitter.nextSendTime(this.now));
    return undefined;
  }

  /** Round robin over open segments with sources left or symbols owed; opens one if due. */
  private pick(): SharedSegment | undefined {
    // Called for every datagram: no allocation, two passes over the open segments (at most the
    // window's). The next busy segment after the last one served, else the lowest busy one (wrap
    // around). A segment gathering resends is passed over while another has sources to send; the
    // first pass finds out whether one has, so that gathering() (whose look at the resend queue
    // moves its head, hence which ids combine) runs only then.
    let next: SharedSegment | undefined;
    let lowest: SharedSegment | undefined;
    let sourcesLeft = false;
    for (const s of this.open.values()) if (s.pendingSource > 0) sourcesLeft = true;
    for (const s of this.open.values()) {
      if (s.pendingSource === 0 && !s.resendsPending && s.owed === 0) continue;
      if (sourcesLeft && this.gathering(s)) continue;
      if (!lowest || s.index < lowest.index) lowest = s;
      if (s.index > this.lastServed && (!next || s.index < next.index)) next = s;
    }
    return next ?? lowest ?? this.openNext();
  }

  /** Only resends are due for `s`, and the oldest of them is younger than gatherMs. */
  private gathering(s: SharedSegment): boolean {
    if (s.pendingSource > 0 || s.owed > 0 || s.repeats.length > 0) return false;
    const oldest = s.resends.oldestQueuedAt();
    return oldest !== undefined && this.now - oldest < this.gatherMs;
  }

  /** The lowest segment a member wants, else (carousel) the next one round the file. */
  private wanted(skip: (s: number) => boolean): number | undefined {
    const i = this.members.lowestWanted(this.now, skip);
    if (i !== undefined || !this.init.carousel || this.init.layout.segmentCount === 0) return i;
    return skip(this.carouselNext) ? undefined : this.carouselNext;
  }

  private openNext(): SharedSegment | undefined {
    if (this.init.carousel) this.closeUnneeded(); // nobody may report to trigger it
    if (this.open.size >= this.window) return undefined;
    for (const seg of this.open.values()) if (seg.pendingSource > 0) return undefined;
    const byMembers = this.members.lowestWanted(this.now, (s) => this.open.has(s));
    const i = this.wanted((s) => this.open.has(s));
    if (i === undefined) return undefined;
    const seg = this.loader.open(i, (index, k, encoder) => new SharedSegment(index, k, encoder));
    if (!seg) return undefined;
    seg.nextRepair = this.repairCursor.get(i) ?? 0;
    // Sources again only if nobody who needs it holds a symbol of it (they would be duplicates).
    if (this.members.anyStarted(i, this.now)) seg.nextSource = seg.sourceSymbols;
    if (byMembers === undefined) {
      seg.carousel = true;
      this.carouselNext = (i + 1) % this.init.layout.segmentCount;
    }
    this.open.set(i, seg);
    this.stats.segmentsOpened++;
    for (const id of this.members.activeIds(this.now)) this.oweUnstarted(seg, id);
    return seg.pendingSource > 0 || seg.owed > 0 ? seg : undefined;
  }

  /**
   * Repair symbols `m` is owed for `seg`, after queueing resends where they do instead. A member
   * whose losses are known and few gets those source symbols again (the union over members,
   * each id once per round): no encoder here and no decoding there, where repair costs tens of
   * ms of CPU per 4 MiB at each end. As in unicast, an empty list means the rest are the top ids,
   * and a started segment without a list (the report's budget went to older ones) waits for
   * it. So does a member that has not started the segment while its sources are still on their
   * way to it (sent after the report's highest sequence): its reports lag behind the stream, and
   * its list of losses will come. Repair is for losses too many to list cheaply, and segments the
   * member never started, whose sources all went past it.
   */
  private owedRepair(seg: SharedSegment, m: Member, started: boolean, needed: number, coming: number, highest: number, lostBefore: number): number {
    const shortfall = needed - coming;
    if (shortfall <= 0) return 0;
    if (!this.resendsPay(seg)) return repairFor(shortfall, m.lossEstimate);
    const listed = m.missing.get(seg.index);
    if (seg.pendingSource > 0) {
      // Sources still going out: resend what is listed lost so far, owe nothing yet.
      if (listed) this.queueResends(seg, m.id, listed.filter((esi) => esi < seg.nextSource), highest, lostBefore);
      return 0;
    }
    const arq = this.init.recovery === 'resend';
    // Resent alone, a member's many losses add to the others'; combined, they pair with them, and
    // a few repair symbols would cost this segment a RaptorQ decode at every member that got them.
    if (!arq && this.combineMax === 1 && needed > seg.sourceSymbols * RESEND_MAX_FRACTION) return repairFor(shortfall, m.lossEstimate);
    // A member behind the stream (its report not yet past the segment's sources) is owed nothing
    // yet: repair for its expected loss would cost that segment a RaptorQ decode at every member,
    // while its list of losses is on its way.
    if (!listed && (started || coming > 0)) return 0;
    if (!listed && !arq) return repairFor(shortfall, m.lossEstimate);
    // ARQ, and the member never started the segment though none of it can still arrive: its
    // sources went out while the segment lay beyond the member's window (it drops those), or all
    // were lost. It gets them again; without this only the stall guard's few symbols every
    // stallTimeoutMs would reach it, one segment per stall.
    if (!listed) {
      this.queueResends(seg, m.id, tailIds(seg.sourceSymbols, Math.min(needed, seg.sourceSymbols)), highest, lostBefore);
      return 0;
    }
    const tail = lostTail(listed, needed, shortfall, false);
    this.queueResends(seg, m.id, listed, highest, lostBefore);
    if (tail > 0) this.queueResends(seg, m.id, tailIds(seg.sourceSymbols, tail), highest, lostBefore);
    return 0;
  }

  /**
   * Resends beat repair while they cost about as many datagrams (RESEND_ALONE, RESEND_COMBINED):
   * no codec work at either end, where repair costs tens of ms of CPU per 4 MiB at each receiver.
   * Beyond that one repair symbol serves everyone and the codec's CPU is the better price.
   * Decided once per opening of a segment, for all its members: members whose estimates sit
   * either side of a threshold would otherwise get a mix, which costs the datagrams of resends
   * and the decoding of repair.
   */
  private resendsPay(seg: SharedSegment): boolean {
    if (this.init.recovery === 'resend') return true;
    if (this.init.recovery === 'fountain') return false;
    if (seg.resendsPay !== undefined) return seg.resendsPay;
    let needers = 0;
    let summed = 0;
    let worst = 0;
    for (const m of this.members.active(this.now)) {
      if (!m.needs(seg.index)) continue;
      needers++;
      summed += m.lossEstimate;
      worst = Math.max(worst, m.lossEstimate);
    }
    seg.resendsPay =
      this.combineMax > 1
        ? needers <= this.combineMax && worst <= RESEND_COMBINED.maxLoss && summed <= RESEND_COMBINED.maxSummedLoss
        : needers <= RESEND_ALONE.maxMembers && worst <= RESEND_ALONE.maxLoss;
    return seg.resendsPay;
  }

  /**
   * Nothing but resends is left to send: every open segment has sent its sources and no member
   * wants another one now (the file's end, or every member's window waiting for its oldest
   * segment). Then a lost resend costs a whole feedback round (a report, ~20 ms, plus the
   * in-flight horizon, 50 ms) during which the stream has nothing else to do, so each resend
   * datagram goes out a second time after the others: at 5 % loss a member misses both copies
   * 0.25 % of the time instead of 5 %.
   */
  private finalPhase(): boolean {
    for (const seg of this.open.values()) if (seg.pendingSource > 0) return false;
    return this.members.lowestWanted(this.now, (s) => this.open.has(s)) === undefined;
  }

  /** Queues ids `member` lacks unless resent so recently that the resend may still arrive. */
  private queueResends(seg: SharedSegment, member: string, ids: readonly number[], highest: number, lostBefore: number): void {
    for (const esi of ids) {
      if (esi >= seg.sourceSymbols) continue;
      if (mayStillArrive(this.emitter, seg.resentAt.get(esi), highest, lostBefore)) continue;
      seg.resends.add(esi, member, this.now);
    }
  }

  /** A member that needs `seg` and has reported nothing of it is owed all of it (if no sources come). */
  private oweUnstarted(seg: SharedSegment, id: string): void {
    const m = this.members.get(id);
    if (!m || !m.needs(seg.index) || !m.inWindow(seg.index) || m.started(seg.index)) return;
    // Sources are going out and listed losses will be resent: nothing is owed in advance. Repair
    // owed for the expected loss would stay owed when a busy member's first report of the
    // segment comes after its sources, and cost decodes.
    if (seg.pendingSource > 0 && this.resendsPay(seg)) {
      seg.owedBy.set(id, 0);
      return;
    }
    const shortfall = seg.sourceSymbols - seg.pendingSource * (1 - m.lossEstimate);
    seg.owedBy.set(id, shortfall > 0 ? repairFor(shortfall, m.lossEstimate) : 0);
  }

  private closeUnneeded(): void {
    for (const [i, seg] of this.open) {
      if (this.members.anyActiveNeedsSegment(i, this.now) || (seg.carousel && seg.pendingSource > 0)) continue;
      this.repairCursor.set(i, seg.nextRepair);
      this.loader.close(seg);
      this.open.delete(i);
    }
  }

  private emit(now: number, seg: SharedSegment, into?: Uint8Array): Uint8Array {
    let esi: number;
    let symbol: Uint8Array;
    let combined: number[] | undefined;
    if (seg.pendingSource > 0) {
      esi = seg.nextSource++;
      symbol = seg.encoder.sourceSymbol(esi);
      this.stats.sourceSymbolsSent++;
    } else if (seg.resendsPending) {
      let ids: number[];
      if (seg.resends.size > 0) {
        ids = seg.resends.take(this.combineMax)!;
        if (seg.repeats.length < MAX_REPEATS && this.finalPhase()) seg.repeats.push(ids);
      } else {
        ids = seg.repeats.shift()!;
      }
      for (const id of ids) seg.resentAt.set(id, this.emitter.nextSequence);
      this.stats.sourceRetransmits += ids.length;
      esi = ids[0]!;
      symbol = seg.encoder.sourceSymbol(esi);
      if (ids.length > 1) {
        combined = ids;
        this.combinedSymbol.set(symbol);
        for (let i = 1; i < ids.length; i++) xorInto(this.combinedSymbol, seg.encoder.sourceSymbol(ids[i]!));
        symbol = this.combinedSymbol;
        this.stats.combinedResends++;
      }
    } else {
      const r = seg.encoder.repairSymbol(seg.nextRepair++);
      esi = r.encodingSymbolId;
      symbol = r.data;
      seg.encoder.releaseRepairBelow?.(seg.nextRepair);
      for (const [id, v] of seg.owedBy) seg.owedBy.set(id, Math.max(0, v - 1));
      this.stats.repairSymbolsSent++;
    }
    this.lastServed = seg.index;
    seg.recordSent(this.emitter.nextSequence, now);
    this.stats.rateBytesPerSecond = this.emitter.rateBytesPerSecond;
    return combined ? this.emitter.emitCombined(now, seg.index, combined, symbol, into) : this.emitter.emit(now, seg.index, esi, symbol, into);
  }

}

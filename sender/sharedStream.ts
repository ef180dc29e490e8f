/**
 * SharedStream: the sans-IO core of one multicast/broadcast symbol stream that serves many
 * receivers at once (one sequence space, one token bucket), a StreamCore (streamCore.ts).
 *
 * Members. A receiver becomes a member when it sends Request (`addMember`) and leaves on Stop or
 * when its control connection dies (`removeMember`). A member that has not reported for
 * `inactiveAfterMs` is inactive: its needs neither keep segments open nor call for symbols, so a
 * stalled or dying receiver holds nobody hostage; when it reports again it catches up like a
 * late joiner. While no reporting member needs anything, silent members are served (membership.ts).
 *
 * Which segment: the open segments, the next one to open and their turns (sharedRotation.ts).
 *
 * How much (feedback as counts): each member is owed repair sized to its own loss, or gets its
 * listed losses resent, combined across members (sharedRecovery.ts). A segment sends fresh repair
 * symbols (never a repeated ESI, even across re-opening) while any member is owed some.
 *
 * Pacing: a token bucket at the session rate, or the slowest active member's adaptive rate.
 */
import type { Progress } from '../control/messages.js';
import type { BitSet } from '../util/bitset.js';
import { maxCombinedSymbols } from '../encoder/datagram.js';
import { rateFloorBytesPerSecond } from './constants.js';
import { DatagramEmitter } from './datagramEmitter.js';
import { planningLoss } from './lossEstimate.js';
import { Membership } from './membership.js';
import { RateController } from './rateController.js';
import { SegmentLoader } from './segmentLoader.js';
import { SharedRecovery, type SharedSegment } from './sharedRecovery.js';
import { SharedRotation } from './sharedRotation.js';
import { SlowMembers } from './slowMembers.js';
import { StallGuard } from './stallGuard.js';
import { emptyStreamStats, type StreamCore, type StreamCoreInit, type StreamStats } from './streamCore.js';

export interface SharedStreamInit extends StreamCoreInit {
  /** @default rateFloorBytesPerSecond(rateBytesPerSecond): max(1 MB/s, 5 % of the rate) */
  floorBytesPerSecond?: number;
  /** A member whose own rate has sat at the floor this long is dropped (slowMembers.ts). @default 10000 */
  slowDropAfterMs?: number;
  /**
   * Keep cycling through the file (source symbols, segment after segment) while no member needs
   * anything, so receivers that join later find the stream running. @default false
   */
  carousel?: boolean;
  /** Segments open at once. @default 8 */
  window?: number;
  /** A member silent this long stops counting until it reports again. @default 500 */
  inactiveAfterMs?: number;
  /**
   * Most lost source symbols one resend datagram combines (XOR) for different members
   * (resendQueue.ts); 1 resends each on its own. @default maxCombinedSymbols: as many as fit
   * without an extra IPv4 fragment (8 with the default symbol size)
   */
  combineMax?: number;
  /**
   * false: never send a segment's K source symbols, only repair, so the stream is a
   * non-systematic fountain (the research harness's literature LT, bench/research/schemes.ts).
   * @default true
   */
  sendSource?: boolean;
  /** @default true: see SendOptions.repeatFinalResends */
  repeatFinalResends?: boolean;
  /**
   * While other segments still have sources to send, a segment's resends wait until the oldest
   * has been queued this long, so that more members' reports are in and each datagram combines
   * more of their losses (GATHER_MS). 0 sends them at once.
   */
  gatherMs?: number;
}

/** See SharedStreamInit.gatherMs. */
export const GATHER_MS = 30;

export class SharedStream implements StreamCore {
  readonly members: Membership;
  readonly stats: StreamStats = emptyStreamStats();
  private readonly loader: SegmentLoader;
  private readonly emitter: DatagramEmitter;
  private readonly recovery: SharedRecovery;
  private readonly datagramBytes: number;
  private readonly horizonMs: number;
  private readonly rotation: SharedRotation;
  /** The open segments (the rotation's). */
  private readonly open: ReadonlyMap<number, SharedSegment>;
  private readonly slow: SlowMembers;
  private readonly stall: StallGuard;
  private now: number;
  private stopReason: string | undefined;

  constructor(private readonly init: SharedStreamInit) {
    this.now = init.now;
    this.emitter = DatagramEmitter.forStream(init, init.rateBytesPerSecond, this.stats);
    this.datagramBytes = this.emitter.datagramBytes;
    const window = init.window ?? 8;
    this.loader = new SegmentLoader({
      layout: init.layout,
      codec: init.codec,
      ahead: window + 2,
      onSegmentFreed: init.onSegmentFreed,
      ...(init.available ? { available: init.available } : {}),
    });
    this.horizonMs = init.inFlightHorizonMs ?? 50;
    this.stall = new StallGuard(init.stallTimeoutMs ?? 200, init.now);
    const floor = init.floorBytesPerSecond ?? rateFloorBytesPerSecond(init.rateBytesPerSecond);
    this.slow = new SlowMembers(floor, init.slowDropAfterMs ?? 10_000);
    const cap = init.rateBytesPerSecond;
    const newRate = init.fixedRate ? undefined : (now: number) => new RateController({ rateBytesPerSecond: cap, now, floorBytesPerSecond: floor });
    this.members = new Membership(init.layout.segmentCount, init.inactiveAfterMs ?? 500, newRate, this.datagramBytes);
    const combineMax = Math.max(1, Math.floor(init.combineMax ?? maxCombinedSymbols(init.layout.symbolSize, init.integrity)));
    this.recovery = new SharedRecovery(
      init.recovery ?? 'auto',
      this.members,
      this.emitter,
      combineMax,
      init.layout.symbolSize,
      this.stats,
      init.repeatFinalResends ?? true,
    );
    const gatherMs = Math.max(0, init.gatherMs ?? GATHER_MS);
    const { members, loader, recovery, stats } = this;
    this.rotation = new SharedRotation({
      members,
      loader,
      recovery,
      stats,
      segmentCount: init.layout.segmentCount,
      window,
      carousel: init.carousel ?? false,
      sendSource: init.sendSource ?? true,
      gatherMs,
    });
    this.open = this.rotation.open;
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
    this.rotation.closeAll();
    this.loader.clear();
  }

  /** `held` (resume): the segments it already holds; it waits only for the rest. */
  addMember(now: number, id: string, window: number, held?: BitSet): void {
    this.now = now;
    if (this.finished) return;
    this.members.add(id, window, now, held);
    for (const seg of this.open.values()) this.recovery.oweUnstarted(now, seg, id);
  }

  removeMember(now: number, id: string): void {
    this.now = now;
    this.members.remove(id);
    this.slow.forget(id);
    for (const seg of this.open.values()) {
      seg.owedBy.delete(id);
      seg.resends.forget(id);
    }
    this.rotation.closeUnneeded(now);
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
    const before = known.delay.highest;
    const m = this.members.report(id, now, p, highest, this.emitter.sentAt(highest), this.emitter.nextSequence)!;
    if (m.implausible) this.stats.implausibleReports++;
    // As in unicast: only news holds the stall guard off, and bursts grow while no member's
    // counters show the path delivering.
    this.stall.report(now, highest, before, this.emitter.nextSequence - 1);
    if (m.lastSample !== undefined) this.stall.sample(m.lastSample);
    let worst = 0;
    for (const a of this.members.active(now)) worst = Math.max(worst, a.lossEstimate);
    this.stats.lossEstimate = worst;
    if (m.rate && this.slow.tooSlow(now, id, m.rate.bytesPerSecond)) {
      this.removeMember(now, id);
      if (!this.init.fixedRate) this.emitter.setRate(now, this.members.slowestRate(now) ?? this.init.rateBytesPerSecond);
      return;
    }
    if (!this.init.fixedRate) this.emitter.setRate(now, this.members.slowestRate(now) ?? this.init.rateBytesPerSecond);
    const lostBefore = now - m.delay.horizon(this.horizonMs);
    const loss = planningLoss(m.lossEstimate, this.emitter, highest, lostBefore);
    const survive = 1 - loss;
    for (const seg of this.open.values()) {
      if (!m.needs(seg.index) || !m.inWindow(seg.index)) {
        seg.owedBy.delete(id);
        continue;
      }
      const entry = p.open.find((e) => e.index === seg.index);
      const needed = entry ? entry.needed : seg.sourceSymbols;
      const coming = (seg.inFlight(highest, lostBefore) + seg.pendingSource) * survive;
      seg.owedBy.set(id, this.recovery.owedRepair(now, seg, m, loss, entry !== undefined, needed, coming, highest, lostBefore));
    }
    this.rotation.closeUnneeded(now);
    this.loader.discard((i) => !this.members.anyActiveNeedsSegment(i, now) && !(this.init.carousel && i === this.rotation.carouselNext));
  }

  /** Members dropped for being too slow since the last call, with the reason to tell them. */
  pollDropped(): { id: string; reason: string }[] {
    return this.slow.poll();
  }

  /** A segment whose bytes the adapter should read next. */
  pollSegmentLoad(): number | undefined {
    if (this.finished) return undefined;
    return this.loader.poll(this.open.size, (held) => this.rotation.wanted(this.now, (i) => this.open.has(i) || held(i)));
  }

  provideSegment(now: number, index: number, data: Uint8Array): void {
    this.now = now;
    this.loader.provide(index, data);
  }

  segmentAvailable(now: number, index: number): void {
    this.now = now;
    this.loader.makeAvailable(index);
  }

  pollTransmit(now: number, out?: Uint8Array): Uint8Array | undefined {
    this.now = now;
    if (this.finished || this.emitter.nextSendTime(now) > now) return undefined;
    let seg = this.rotation.pick(now);
    if (!seg && this.stall.due(now, this.open.size)) {
      // Members may have gone quiet: what only inactive ones need is closed.
      this.rotation.closeUnneeded(now);
      if (this.open.size === 0) return undefined;
      // Reports may be lost or stale: a burst for the oldest open segment, then wait again.
      seg = [...this.open.values()].sort((a, b) => a.index - b.index)[0]!;
      const burst = this.stall.burst(seg.sourceSymbols, this.emitter.rateBytesPerSecond, this.datagramBytes);
      for (const id of this.members.activeIds(now)) if (this.members.get(id)!.needs(seg.index)) seg.owedBy.set(id, Math.max(seg.owedBy.get(id) ?? 0, burst));
      this.stats.stallBursts++;
      this.stall.fired(now);
      if (seg.owed === 0) return undefined;
    }
    return seg ? this.emit(now, seg, out) : undefined;
  }

  pollTimeout(): number | undefined {
    if (this.finished) return undefined;
    if (this.rotation.pick(this.now)) return this.emitter.nextSendTime(this.now);
    if (this.open.size > 0) return Math.max(this.stall.deadline, this.emitter.nextSendTime(this.now));
    return undefined;
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
      const resend = this.recovery.nextResend(seg, () => this.rotation.finalPhase(now));
      esi = resend.ids[0]!;
      symbol = resend.symbol;
      if (resend.ids.length > 1) combined = resend.ids;
    } else {
      const r = seg.encoder.repairSymbol(seg.nextRepair++);
      esi = r.encodingSymbolId;
      symbol = r.data;
      seg.encoder.releaseRepairBelow?.(seg.nextRepair);
      for (const [id, v] of seg.owedBy) seg.owedBy.set(id, Math.max(0, v - 1));
      this.stats.repairSymbolsSent++;
    }
    this.rotation.served(seg);
    seg.recordSent(this.emitter.nextSequence, now);
    this.stats.rateBytesPerSecond = this.emitter.rateBytesPerSecond;
    return combined ? this.emitter.emitCombined(now, seg.index, combined, symbol, into) : this.emitter.emit(now, seg.index, esi, symbol, into);
  }
}

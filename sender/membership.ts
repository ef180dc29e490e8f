/**
 * The receivers of a shared (multicast/broadcast) stream as the sender knows them from their
 * Progress reports: which segments each still needs, which it has started, its loss and report
 * delay, and whether it is active (reported within `inactiveAfterMs`).
 */
import type { Progress } from '../control/messages.js';
import type { BitSet } from '../util/bitset.js';
import { nextLossEstimate, plausibleDelta } from './lossEstimate.js';
import type { RateController } from './rateController.js';
import { ReportDelay } from './reportDelay.js';

export class Member {
  completeBelow = 0;
  readonly completeAbove = new Set<number>();
  /** Segments reported open with at least one symbol (re-sending sources would be duplicates). */
  private readonly startedSegments = new Set<number>();
  lossEstimate = 0;
  lastReportAt: number;
  /** Source ids the latest report listed as lost, per open segment (when it listed them). */
  readonly missing = new Map<number, readonly number[]>();
  private counts: { received: number; lost: number; highest: number } | undefined;
  /** How old the newest datagram its reports cover is (in-flight horizon, queueing delay). */
  readonly delay = new ReportDelay();
  /** The highest plausible highestSequence reported (unwrapped; -1 before any). */
  highestSeen = -1;
  /** The latest report's counters grew by more than was sent: its loss was ignored. */
  implausible = false;
  /** The loss sample of the latest report's counters (lost / (received + lost) of their growth), if it gave one. */
  lastSample: number | undefined;

  constructor(
    readonly id: string,
    readonly window: number,
    readonly segmentCount: number,
    readonly joinedAt: number,
    /** This member's view of a good pace (adaptive rate); the stream takes the slowest. */
    readonly rate?: RateController,
    private readonly datagramBytes = 1420,
    /**
     * Segments it held before it asked (Request.have): never needed, so the rotation never opens
     * one only for this member. A bitmap beside completeAbove, which every report walks.
     */
    private readonly held?: BitSet,
  ) {
    this.lastReportAt = joinedAt;
    this.advanceOverHeld();
  }

  needs(s: number): boolean {
    return s >= 0 && s < this.segmentCount && s >= this.completeBelow && !this.completeAbove.has(s) && this.held?.has(s) !== true;
  }

  /** completeBelow moves over held segments, as the receiver's own does (its window starts there). */
  private advanceOverHeld(): void {
    while (this.completeBelow < this.segmentCount && this.held?.has(this.completeBelow)) this.completeBelow++;
  }

  /** The receiver drops symbols of segments at or past completeBelow + window. */
  inWindow(s: number): boolean {
    return s < this.completeBelow + this.window;
  }

  started(s: number): boolean {
    return this.startedSegments.has(s);
  }

  get complete(): boolean {
    return this.completeBelow >= this.segmentCount;
  }

  /**
   * `highest`: the report's highestSequence unwrapped; `sentAt`: when that datagram was sent (if
   * still remembered). Together they give the report delay, which the rate controller reads as
   * queueing. `nextSequence`: the stream's next sequence number, which bounds how far the
   * counters can grow (plausibleDelta).
   */
  update(now: number, p: Progress, highest = -1, sentAt?: number, nextSequence = Infinity): void {
    this.lastReportAt = now;
    this.implausible = false;
    this.lastSample = undefined;
    this.highestSeen = Math.max(this.highestSeen, highest);
    const delaySample = this.delay.update(now, highest, sentAt, p.heldMs);
    this.completeBelow = Math.max(this.completeBelow, Math.min(p.completeBelow, this.segmentCount));
    this.advanceOverHeld();
    for (const i of p.completeAbove) if (i < this.segmentCount) this.completeAbove.add(i);
    for (const i of this.completeAbove) if (i < this.completeBelow) this.completeAbove.delete(i);
    for (const i of this.startedSegments) if (!this.needs(i)) this.startedSegments.delete(i);
    for (const e of p.open) if (e.received > 0 && this.needs(e.index)) this.startedSegments.add(e.index);
    this.missing.clear();
    for (const e of p.open) if (e.missing) this.missing.set(e.index, e.missing);
    const last = this.counts;
    this.counts = { received: p.datagramsReceived, lost: p.datagramsLost, highest };
    if (!last) return;
    const dr = p.datagramsReceived - last.received;
    const dl = p.datagramsLost - last.lost;
    if (dr < 0 || dl < 0 || dr + dl === 0) return;
    if (!plausibleDelta(dr, dl, nextSequence - 1 - last.highest)) {
      this.implausible = true;
      return;
    }
    this.rate?.onReport(now, dr, dl, this.datagramBytes, delaySample);
    this.lastSample = dl / (dr + dl);
    this.lossEstimate = nextLossEstimate(this.lossEstimate, dr, dl);
  }

  /** See ReportDelay.ms. */
  get reportDelayMs(): number {
    return this.delay.ms;
  }
}

/**
 * A member silent for `inactiveAfterMs` is inactive, so that a stalled or dying receiver holds
 * nobody hostage; but while no reporting member needs anything, the silent ones that still need
 * segments count: nobody is held up then, and a member behind very heavy loss reports only once
 * something arrives, so the fountain must keep flowing for it (as a unicast stream does).
 */
export class Membership {
  private readonly members = new Map<string, Member>();
  /** Bumped on every add, removal and report: the cached silentServed answer is for one version and time. */
  private version = 0;
  private served = { version: -1, now: NaN, silent: false };

  constructor(
    private readonly segmentCount: number,
    private readonly inactiveAfterMs: number,
    /** A rate controller per member (adaptive rate), or none (fixed rate). */
    private readonly newRate?: (now: number) => RateController,
    private readonly datagramBytes = 1420,
  ) {}

  get size(): number {
    return this.members.size;
  }

  /** `held`: the segments it already holds (resume), which it never needs. */
  add(id: string, window: number, now: number, held?: BitSet): Member {
    const m = new Member(id, window, this.segmentCount, now, this.newRate?.(now), this.datagramBytes, held);
    this.members.set(id, m);
    this.version++;
    return m;
  }

  remove(id: string): void {
    this.members.delete(id);
    this.version++;
  }

  get(id: string): Member | undefined {
    return this.members.get(id);
  }

  report(id: string, now: number, p: Progress, highest?: number, sentAt?: number, nextSequence?: number): Member | undefined {
    const m = this.members.get(id);
    m?.update(now, p, highest, sentAt, nextSequence);
    this.version++;
    return m;
  }

  isActive(m: Member, now: number): boolean {
    return this.reporting(m, now) || (!m.complete && this.silentServed(now));
  }

  private reporting(m: Member, now: number): boolean {
    return now - m.lastReportAt <= this.inactiveAfterMs;
  }

  /** No reporting member needs anything: silent members that still do count (see the class doc). */
  private silentServed(now: number): boolean {
    if (this.served.version !== this.version || this.served.now !== now) {
      let silent = true;
      for (const m of this.members.values()) {
        if (this.reporting(m, now) && !m.complete) {
          silent = false;
          break;
        }
      }
      this.served = { version: this.version, now, silent };
    }
    return this.served.silent;
  }

  *active(now: number): Generator<Member> {
    for (const m of this.members.values()) if (this.isActive(m, now)) yield m;
  }

  activeIds(now: number): string[] {
    return [...this.active(now)].map((m) => m.id);
  }

  /** The slowest active member's rate (adaptive mode), undefined when there is none. */
  slowestRate(now: number): number | undefined {
    let r: number | undefined;
    for (const m of this.active(now)) if (m.rate && !m.complete) r = Math.min(r ?? Infinity, m.rate.bytesPerSecond);
    return r;
  }

  anyActiveNeeds(now: number): boolean {
    for (const m of this.active(now)) if (!m.complete) return true;
    return false;
  }

  anyActiveNeedsSegment(s: number, now: number): boolean {
    for (const m of this.active(now)) if (m.needs(s)) return true;
    return false;
  }

  /** Some active member needing `s` already holds symbols of it. */
  anyStarted(s: number, now: number): boolean {
    for (const m of this.active(now)) if (m.needs(s) && m.started(s)) return true;
    return false;
  }

  /** The lowest segment an active member needs inside its window, skipping `skip` ones. */
  lowestWanted(now: number, skip: (s: number) => boolean): number | undefined {
    let best: number | undefined;
    for (const m of this.active(now)) {
      const end = Math.min(this.segmentCount, m.completeBelow + m.window, best ?? Infinity);
      for (let s = m.completeBelow; s < end; s++) {
        if (m.needs(s) && !skip(s)) {
          best = s;
          break;
        }
      }
    }
    return best;
  }
}

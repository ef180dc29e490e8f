/**
 * Which segments of a shared stream are open and whose turn it is (the order adapts to what
 * members need):
 *  - A new segment opens when fewer than `window` are open and every open one has sent its
 *    sources (receivers rely on that order to tell a lost tail). It is the lowest segment some
 *    active member still needs inside that member's window: the next new segment for members at
 *    the front, the first missing one for a late joiner. A segment nobody needs is closed.
 *  - A (re)opened segment sends its source symbols when no member needing it holds any symbol of
 *    it (new, or every needer joined late): systematic and free. Otherwise it sends repair only,
 *    from where its last opening stopped (never a repeated ESI).
 *  - Open segments with work take turns (round robin), so a late joiner's catch-up and the
 *    front's new sources share the stream.
 *  - With a carousel, while no member needs anything the file goes round, segment after segment.
 */
import type { Membership } from './membership.js';
import type { SegmentLoader } from './segmentLoader.js';
import { type SharedRecovery, SharedSegment } from './sharedRecovery.js';
import type { StreamStats } from './streamCore.js';

export interface SharedRotationInit {
  members: Membership;
  loader: SegmentLoader;
  recovery: SharedRecovery;
  stats: StreamStats;
  segmentCount: number;
  window: number;
  carousel: boolean;
  /** See SharedStreamInit.sendSource. */
  sendSource: boolean;
  /** See SharedStreamInit.gatherMs. */
  gatherMs: number;
}

export class SharedRotation {
  readonly open = new Map<number, SharedSegment>();
  /** Next repair ESI offset per segment, kept across re-opening (no repeated ESI). */
  private readonly repairCursor = new Map<number, number>();
  private lastServed = -1;
  /** The carousel's next segment round the file. */
  carouselNext = 0;

  constructor(private readonly o: SharedRotationInit) {}

  /** `seg` just sent a datagram: the others with work go first. */
  served(seg: SharedSegment): void {
    this.lastServed = seg.index;
  }

  /** Closes every open segment (the stream stopped). */
  closeAll(): void {
    for (const seg of this.open.values()) this.o.loader.close(seg);
    this.open.clear();
  }

  /** Round robin over open segments with sources left or symbols owed; opens one if due. */
  pick(now: number): SharedSegment | undefined {
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
      if (sourcesLeft && this.gathering(now, s)) continue;
      if (!lowest || s.index < lowest.index) lowest = s;
      if (s.index > this.lastServed && (!next || s.index < next.index)) next = s;
    }
    return next ?? lowest ?? this.openNext(now);
  }

  /** Only resends are due for `s`, and the oldest of them is younger than gatherMs. */
  private gathering(now: number, s: SharedSegment): boolean {
    if (s.pendingSource > 0 || s.owed > 0 || s.repeats.length > 0) return false;
    const oldest = s.resends.oldestQueuedAt();
    return oldest !== undefined && now - oldest < this.o.gatherMs;
  }

  /** The lowest segment a member wants, else (carousel) the next one round the file. */
  wanted(now: number, skip: (s: number) => boolean): number | undefined {
    const i = this.o.members.lowestWanted(now, skip);
    if (i !== undefined || !this.o.carousel || this.o.segmentCount === 0) return i;
    return skip(this.carouselNext) ? undefined : this.carouselNext;
  }

  private openNext(now: number): SharedSegment | undefined {
    if (this.o.carousel) this.closeUnneeded(now); // nobody may report to trigger it
    if (this.open.size >= this.o.window) return undefined;
    for (const seg of this.open.values()) if (seg.pendingSource > 0) return undefined;
    const byMembers = this.o.members.lowestWanted(now, (s) => this.open.has(s));
    const i = this.wanted(now, (s) => this.open.has(s));
    if (i === undefined) return undefined;
    const seg = this.o.loader.open(i, (index, k, encoder) => new SharedSegment(index, k, encoder));
    if (!seg) return undefined;
    seg.nextRepair = this.repairCursor.get(i) ?? 0;
    // Sources again only if nobody who needs it holds a symbol of it (they would be duplicates).
    // Never, on a non-systematic stream (SharedStreamInit.sendSource).
    if (!this.o.sendSource || this.o.members.anyStarted(i, now)) seg.nextSource = seg.sourceSymbols;
    if (byMembers === undefined) {
      seg.carousel = true;
      this.carouselNext = (i + 1) % this.o.segmentCount;
    }
    this.open.set(i, seg);
    this.o.stats.segmentsOpened++;
    for (const id of this.o.members.activeIds(now)) this.o.recovery.oweUnstarted(now, seg, id);
    return seg.pendingSource > 0 || seg.owed > 0 ? seg : undefined;
  }

  /**
   * Nothing but resends is left to send: every open segment has sent its sources and no member
   * wants another one now (the file's end, or every member's window waiting for its oldest
   * segment). See SharedRecovery.nextResend.
   */
  finalPhase(now: number): boolean {
    for (const seg of this.open.values()) if (seg.pendingSource > 0) return false;
    return this.o.members.lowestWanted(now, (s) => this.open.has(s)) === undefined;
  }

  /** Closes the open segments no active member needs (a carousel's keeps its sources going). */
  closeUnneeded(now: number): void {
    for (const [i, seg] of this.open) {
      if (this.o.members.anyActiveNeedsSegment(i, now) || (seg.carousel && seg.pendingSource > 0)) continue;
      this.repairCursor.set(i, seg.nextRepair);
      this.o.loader.close(seg);
      this.open.delete(i);
    }
  }
}

/**
 * The stall guard of a stream core: when nothing is owed, segments are open and no feedback with
 * news came for `timeoutMs`, the oldest open segment is owed a burst of symbols (reports may be
 * stale, or lost with the receiver's socket buffer); then it waits again. Sans-IO: `now` is an
 * argument.
 */

import { HEAVY_LOSS } from './lossEstimate.js';

/** Most symbols of one stall burst (see burst). */
const MAX_STALL_BURST = 1 << 16;

export class StallGuard {
  private lastFeedbackAt: number;
  /** Bursts since feedback last showed the path delivering (see burst). */
  private inARow = 0;

  constructor(
    private readonly timeoutMs: number,
    now: number,
  ) {
    this.lastFeedbackAt = now;
  }

  /**
   * A report written after datagram `highest` came at `now`; the receiver's previous highest was
   * `before` and the stream's last datagram is `lastSent` (all unwrapped). Only news holds the
   * guard off: a report that repeats an old highestSequence while later symbols went out says
   * those did not come (heavy loss, or a dead path), and a receiver may report like that for as
   * long as its connection lives.
   */
  report(now: number, highest: number, before: number, lastSent: number): void {
    if (highest > before || highest >= lastSent) this.lastFeedbackAt = now;
  }

  /**
   * A report's loss sample (lost / (received + lost) of its counters' growth). Symbols arrive
   * again: bursts start small. Behind heavy loss an arrival now and then does not mean the path
   * is back.
   */
  sample(loss: number): void {
    if (loss < HEAVY_LOSS) this.inARow = 0;
  }

  /** A burst is due at `now` (with `open` segments open). */
  due(now: number, open: number): boolean {
    // The same sum as deadline's, so that deadline is never a float's width short.
    return open > 0 && now >= this.lastFeedbackAt + this.timeoutMs;
  }

  /** When a burst is next due, unpaced (the caller paces it like everything else). */
  get deadline(): number {
    return this.lastFeedbackAt + this.timeoutMs;
  }

  /** A burst went out at `now`: wait again. */
  fired(now: number): void {
    this.inARow++;
    this.lastFeedbackAt = now;
  }

  /**
   * Symbols of one burst for a segment of `sourceSymbols`: a few, doubling with each burst while
   * no feedback shows the path delivering, up to what the pace sends in timeoutMs. A receiver
   * behind very heavy loss gets almost nothing and so reports almost nothing: a fixed burst would
   * hand it a few symbols per stall for ever, while a fountain must keep flowing while it still
   * needs symbols.
   */
  burst(sourceSymbols: number, rateBytesPerSecond: number, datagramBytes: number): number {
    const base = Math.max(4, Math.ceil(sourceSymbols / 200));
    const paced = rateBytesPerSecond > 0 ? Math.floor((rateBytesPerSecond * this.timeoutMs) / 1000 / datagramBytes) : MAX_STALL_BURST;
    return Math.max(base, Math.min(base * 2 ** Math.min(this.inARow, 30), paced, MAX_STALL_BURST));
  }
}

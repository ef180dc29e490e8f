/**
 * When a receiver sends Progress (sans-IO, times in ms):
 * - while data flows, at most one report per `intervalMs` (the first datagram after a quiet
 *   spell goes at once);
 * - at once when something completes (`urgent`): a decoded or written segment frees the
 *   sender's window;
 * - a keep-alive every 2 intervals while a segment still needs symbols but none arrive: the
 *   sender may believe enough are in flight, and only a fresh report tells it otherwise.
 */
export const DEFAULT_PROGRESS_INTERVAL_MS = 20;

export class ProgressSchedule {
  private lastAt = -Infinity;
  private dueAt: number | undefined;

  constructor(readonly intervalMs: number = DEFAULT_PROGRESS_INTERVAL_MS) {
    if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) throw new RangeError(`progress interval ${intervalMs} ms`);
  }

  /** A datagram was accepted. */
  noteData(now: number): void {
    if (this.dueAt === undefined) this.dueAt = Math.max(this.lastAt + this.intervalMs, now);
  }

  /** Something completed: report now. */
  urgent(now: number): void {
    this.dueAt = Math.min(this.dueAt ?? now, now);
  }

  /** When a report is next due; `waiting`: a segment needs symbols (keep-alive). */
  due(waiting: boolean): number | undefined {
    if (this.dueAt !== undefined) return this.dueAt;
    return waiting ? this.lastAt + 2 * this.intervalMs : undefined;
  }

  /** A report was sent at `now`. */
  sent(now: number): void {
    this.dueAt = undefined;
    this.lastAt = now;
  }
}

/**
 * How old the newest datagram a receiver's report covers is, and from it the in-flight horizon.
 * Symbols queue in socket buffers for a while (8 MiB at 100 MB/s is 80 ms): a symbol younger than
 * the horizon that a report does not cover is in flight, not lost, and the rate controller reads
 * the same sample as queueing delay.
 */
export class ReportDelay {
  /** The highest sequence number a delay was measured at (unwrapped; -1 before any). */
  highest = -1;
  /** Decaying maximum of "report arrival − send time of its highestSequence". */
  ms = 0;

  /**
   * Takes a report written after datagram `highest` (unwrapped), sent at `sentAt` (if still
   * remembered), that the receiver held `heldMs` before reporting. Only a report that advances
   * highestSequence measures delay: a keep-alive repeating an old one says the later symbols did
   * not come, not that they are slow. Returns the queueing-delay sample, if any.
   */
  update(now: number, highest: number, sentAt: number | undefined, heldMs: number | undefined): number | undefined {
    if (highest <= this.highest || sentAt === undefined) return undefined;
    this.highest = highest;
    const age = now - sentAt;
    this.ms = Math.max(age, this.ms * 0.95);
    // The receiver held that datagram heldMs before reporting: not a queue.
    return Math.max(0, age - (heldMs ?? 0));
  }

  /** Symbols sent longer ago than this before a report, and not covered by it, are lost. */
  horizon(baseMs: number): number {
    return Math.max(baseMs, 2 * this.ms + 10);
  }
}

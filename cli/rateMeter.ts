/**
 * The rate and ETA a progress line shows, from (time, bytes) samples: the rate over the last few
 * seconds, unknown until a second has passed since the count first moved (so no "ETA 0s" at
 * 2 % from the first burst, and no rate diluted by the wait for a first receiver), and an ETA
 * only while that rate is above zero. Pure: `now` is an argument.
 */

export interface RateMeterOptions {
  /** The rate is taken over about this much of the recent past. @default 5000 */
  windowMs?: number;
  /** No rate before this long after the first sample. @default 1000 */
  warmUpMs?: number;
}

export class RateMeter {
  private readonly samples: { t: number; bytes: number }[] = [];
  private readonly windowMs: number;
  private readonly warmUpMs: number;

  constructor(options: RateMeterOptions = {}) {
    this.windowMs = options.windowMs ?? 5000;
    this.warmUpMs = options.warmUpMs ?? 1000;
  }

  /** Bytes done so far at `now` (a count that may only grow; a smaller one is taken as no news). */
  sample(now: number, bytes: number): void {
    const last = this.samples.at(-1);
    if (last && bytes < last.bytes) bytes = last.bytes;
    // Nothing has moved yet (a sender waiting for its first receiver): the clock starts later.
    if (last && this.samples.length === 1 && bytes === last.bytes) {
      last.t = Math.max(last.t, now);
      return;
    }
    if (last && now <= last.t) {
      last.bytes = bytes;
      return;
    }
    this.samples.push({ t: now, bytes });
    // Keep one sample at or before the window's start as the base.
    while (this.samples.length > 2 && this.samples[1]!.t <= now - this.windowMs) this.samples.shift();
  }

  /** Bits per second over the window ending at `now`; undefined while warming up. */
  rateBitsPerSecond(now: number): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || now - first.t < this.warmUpMs) return undefined;
    let base = first;
    for (const s of this.samples) if (s.t <= now - this.windowMs) base = s;
    const seconds = (now - base.t) / 1000;
    return seconds > 0 ? ((last.bytes - base.bytes) * 8) / seconds : undefined;
  }

  /** Seconds left for `remainingBytes` at the current rate; undefined while it is unknown or zero. */
  etaSeconds(now: number, remainingBytes: number): number | undefined {
    const rate = this.rateBitsPerSecond(now);
    if (rate === undefined || rate <= 0) return undefined;
    return (Math.max(0, remainingBytes) * 8) / rate;
  }
}

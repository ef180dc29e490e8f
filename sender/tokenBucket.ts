/**
 * Token bucket in bytes. It computes when a datagram may go; it never sleeps and never reads a
 * clock (`now` is an argument, in ms, fractional). Rate 0 means no cap.
 *
 * Burst default: max(4 datagrams of 1500 bytes, 8 ms of rate). Node timers wake about once per
 * millisecond at best, and the adapter sends everything due at each wake-up. On a busy host the
 * wake-ups come late, and tokens beyond the bucket are lost: a bucket of only a couple of
 * milliseconds then delivers well below the configured rate. Being rate-proportional, 8 ms
 * stays well inside a switch port's buffer at the rate the stream is paced for (50 KB at
 * 50 Mbit/s, 1 MB at 1 Gbit/s, which a 1 GbE port drains as it arrives).
 */
export interface TokenBucketInit {
  rateBytesPerSecond: number;
  burstBytes?: number;
  now: number;
}

/** Default bucket depth in seconds of rate (see above). */
export const BURST_SECONDS = 0.008;

export function defaultBurstBytes(rateBytesPerSecond: number): number {
  return Math.max(4 * 1500, Math.ceil(rateBytesPerSecond * BURST_SECONDS));
}

export class TokenBucket {
  private rate: number;
  private burst: number;
  private tokens: number;
  private last: number;
  private readonly fixedBurst: number | undefined;

  constructor(init: TokenBucketInit) {
    this.rate = Math.max(0, init.rateBytesPerSecond);
    this.fixedBurst = init.burstBytes;
    this.burst = init.burstBytes ?? defaultBurstBytes(this.rate);
    this.tokens = this.burst;
    this.last = init.now;
  }

  get rateBytesPerSecond(): number {
    return this.rate;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
    }
  }

  /** Earliest time (>= now) at which `bytes` may be sent. */
  nextSendTime(now: number, bytes: number): number {
    if (this.rate === 0) return now;
    this.refill(now);
    if (this.tokens >= bytes) return now;
    return now + ((bytes - this.tokens) * 1000) / this.rate;
  }

  /** Takes `bytes` (call only when nextSendTime(now, bytes) <= now). */
  consume(now: number, bytes: number): void {
    if (this.rate === 0) return;
    this.refill(now);
    this.tokens -= bytes;
  }

  setRate(now: number, rateBytesPerSecond: number): void {
    this.refill(now);
    this.rate = Math.max(0, rateBytesPerSecond);
    this.burst = this.fixedBurst ?? defaultBurstBytes(this.rate);
    this.tokens = Math.min(this.tokens, this.burst);
  }
}

/**
 * Adaptive pacing rate for one stream (sans-IO), fed by the receiver's Progress counters.
 *
 * Rule (docs/protocol.md, "Pacing"): the stream starts at `initial` (the user's cap if given, else
 * 40 MB/s) and, until the first congestion signal, multiplies its rate by 1.5 per report
 * (slow start); afterwards it adds 4 % per report. A report whose loss exceeds the stream's
 * long-run loss by a margin — `baseline + 0.03 + 0.25·baseline` — and beyond sampling noise (5
 * binomial standard deviations of its datagram count, or 3 in two reports in a row; see lossZ)
 * is congestion (a receiver or link queue overflowing): the rate drops by 20 %, at most once
 * per 50 ms; above the margin but within the noise, the rate holds. The baseline is a
 * slow EWMA of per-report loss, so steady random loss on a lossy link (5 %, 20 %) is learned and
 * does not throttle the stream, while a jump above it does (the baseline is capped at 50 %:
 * a link losing more than that is treated as congested). The rate never exceeds the user's
 * cap and never drops below `floor` (rateFloorBytesPerSecond: max(1 MB/s, 5 % of the cap)), so
 * no receiver can stall a stream to zero; a
 * receiver that cannot keep up is dropped by the control channel's timeouts instead.
 *
 * Growth is also capped at 1.25 × the highest delivery rate (bytes the receiver got per second)
 * of the last second, divided by (1 − baseline loss), so the rate stays near what really arrives. Reports with fewer than 64
 * new datagrams are pooled with the next ones.
 *
 * Queueing delay, when the caller measures it (report arrival − send time of the newest datagram
 * the report covers), is read before loss: a receiver that cannot keep up first fills its socket
 * buffer (8 MiB is ~80 ms at 100 MB/s) and only then drops, and every drop costs a resend. The
 * delay above its lowest value of the last 10 s is the queue; a decision reads the smallest
 * sample since the previous one, so a receiver's brief pause (hashing a segment, a GC) is not
 * taken for a queue. Above 10 ms the rate stops growing; above 30 ms in two decisions in a
 * row it drops by 15 % (the queue then drains), at most once per max(50 ms, queue): a cut shows
 * in the delay only a queue later. (The delivery rate is not used for this cut: it is measured
 * on report arrival times, and reports arrive bunched.) In the first WARMUP_MS after its first
 * report a receiver is at its slowest (JIT warm-up, first allocations, its peers starting
 * beside it on a shared host), and a queue then is a transient its socket buffer holds: the cut
 * waits until the queue holds WARMUP_QUEUE_BYTES at the current rate (88 ms at 190 Mbit/s; at
 * rates above ~560 Mbit/s the 30 ms rule is the stricter one and applies). Loss cuts as always.
 * Without this allowance, receivers sharing cores with their sender would cut a capped stream
 * several times over in its first second, far below what they keep up with afterwards.
 */

import { rateFloorBytesPerSecond } from './constants.js';

/** Loss above this is never taken as a link's normal state (total loss must throttle). */
const MAX_BASELINE = 0.5;
const MIN_SPAN_MS = 15;
/** Queueing delay (ms) at which the rate stops growing. */
export const QUEUE_HOLD_MS = 10;
/** Queueing delay (ms) at which the rate drops below the delivery rate so the queue drains. */
export const QUEUE_DRAIN_MS = 30;
/** A receiver's warm-up, from its first report (see the header). */
export const WARMUP_MS = 2000;
/** In warm-up, a queue is cut for only once it holds this many bytes (a quarter of the 8 MiB receive buffer receivers ask for). */
export const WARMUP_QUEUE_BYTES = 2 * 1024 * 1024;
/** The lowest delay of this window is the path's own (no queue). */
const MIN_DELAY_WINDOW_MS = 10_000;

export interface RateControllerInit {
  /** The user's ceiling in bytes/s; 0 = none. */
  rateBytesPerSecond: number;
  now: number;
  /** @default 40e6 when uncapped */
  initialBytesPerSecond?: number;
  /** @default rateFloorBytesPerSecond(rateBytesPerSecond): max(1 MB/s, 5 % of the ceiling) */
  floorBytesPerSecond?: number;
  /** Ceiling when the user gave none. @default 1.25e9 */
  maxBytesPerSecond?: number;
}

/**
 * How many binomial standard deviations the loss of `n` datagrams lies above the baseline
 * (Infinity when no loss was learned and some is seen). A 20 ms report at a few MB/s covers only
 * ~80 datagrams, whose loss count at 5 % varies by ±2, and a shared stream goes at its slowest
 * member's rate: 8 members make 400 decisions a second, so even a 3 σ test fires on noise every
 * half second. Hence CONGESTION_Z at once, or SUSPECT_Z in two decisions in a row (a real
 * overflow keeps dropping until the rate falls; noise does not repeat).
 */
function lossZ(n: number, loss: number, baseline: number): number {
  const b = Math.max(0, baseline);
  const sd = Math.sqrt(n * b * (1 - b));
  const excess = (loss - b) * n;
  return sd > 0 ? excess / sd : excess > 0 ? Infinity : 0;
}
const CONGESTION_Z = 5;
const SUSPECT_Z = 3;

export class RateController {
  private rate: number;
  private readonly cap: number;
  private readonly floor: number;
  private slowStart = true;
  private baseline = -1;
  private pendingReceived = 0;
  private pendingLost = 0;
  private lastDecrease = -Infinity;
  /** Rate cuts, for loss or for a queue. */
  congestionEvents = 0;
  /** Of congestionEvents, those caused by queueing delay. */
  queueEvents = 0;
  /** Rising minima of recent delay samples: the front is the window's lowest. */
  private readonly delayFloor: { at: number; delay: number }[] = [];
  /** Lowest delay sample since the last decision (reports are pooled). */
  private pendingDelay: number | undefined;
  /** The previous decision saw a queue above QUEUE_DRAIN_MS. */
  private queuedBefore = false;
  /** The previous decision saw loss above the margin by more than SUSPECT_Z (see lossZ). */
  private suspectBefore = false;
  private lastQueueCut = -Infinity;
  private pendingSince: number | undefined;
  private firstReportAt: number | undefined;
  /** Delivery-rate samples (bytes/s) of recent reports, for a windowed maximum. */
  private readonly delivered: { at: number; rate: number }[] = [];

  private noteDelivery(now: number, rate: number): void {
    this.delivered.push({ at: now, rate });
    while (this.delivered.length > 0 && now - this.delivered[0]!.at > 1000) this.delivered.shift();
  }

  private maxDelivered(): number {
    let m = 0;
    for (const d of this.delivered) if (d.rate > m) m = d.rate;
    return m;
  }

  constructor(init: RateControllerInit) {
    this.cap = init.rateBytesPerSecond > 0 ? init.rateBytesPerSecond : (init.maxBytesPerSecond ?? 1.25e9);
    this.floor = Math.min(init.floorBytesPerSecond ?? rateFloorBytesPerSecond(init.rateBytesPerSecond), this.cap);
    this.rate = Math.min(this.cap, init.initialBytesPerSecond ?? (init.rateBytesPerSecond > 0 ? init.rateBytesPerSecond : 40e6));
  }

  get bytesPerSecond(): number {
    return this.rate;
  }

  get baselineLoss(): number {
    return Math.max(0, this.baseline);
  }

  /**
   * Counts new since the previous report, and the size of a datagram (to turn counts into a
   * delivery rate). Returns the (possibly changed) rate.
   */
  onReport(now: number, newReceived: number, newLost: number, datagramBytes = 1420, delayMs?: number): number {
    if (delayMs !== undefined && Number.isFinite(delayMs) && delayMs >= 0) {
      this.noteDelay(now, delayMs);
      this.pendingDelay = Math.min(this.pendingDelay ?? Infinity, delayMs);
    }
    this.pendingReceived += Math.max(0, newReceived);
    this.pendingLost += Math.max(0, newLost);
    const n = this.pendingReceived + this.pendingLost;
    // Decide on at least 64 datagrams and 15 ms: reports can arrive bunched up, and a delivery
    // rate over a sub-millisecond span means nothing.
    if (this.pendingSince === undefined) this.pendingSince = now;
    this.firstReportAt ??= now;
    if (n < 64 || now - this.pendingSince < MIN_SPAN_MS) return this.rate;
    const loss = this.pendingLost / n;
    this.noteDelivery(now, (this.pendingReceived * datagramBytes * 1000) / (now - this.pendingSince));
    this.pendingSince = now;
    this.pendingReceived = 0;
    this.pendingLost = 0;
    const queue = this.pendingDelay === undefined ? 0 : this.pendingDelay - this.delayFloor[0]!.delay;
    this.pendingDelay = undefined;
    const warmingUp = now - this.firstReportAt < WARMUP_MS;
    const queued = queue > (warmingUp ? Math.max(QUEUE_DRAIN_MS, (WARMUP_QUEUE_BYTES * 1000) / this.rate) : QUEUE_DRAIN_MS);
    const persistentQueue = queued && this.queuedBefore;
    this.queuedBefore = queued;
    if (this.baseline < 0) this.baseline = Math.min(loss, MAX_BASELINE);
    const threshold = this.baseline + 0.03 + 0.25 * this.baseline;
    const z = loss > threshold ? lossZ(n, loss, this.baseline) : 0;
    const congested = z > CONGESTION_Z || (z > SUSPECT_Z && this.suspectBefore);
    this.suspectBefore = z > SUSPECT_Z;
    if (loss > threshold) {
      // Beyond the noise: cut. Within it (not yet significant): neither grow nor cut.
      if (congested && now - this.lastDecrease >= 50) {
        this.rate = Math.max(this.floor, this.rate * 0.8);
        this.lastDecrease = now;
        this.slowStart = false;
        this.congestionEvents++;
      }
      // Samples above the margin teach the baseline only slowly.
      this.baseline = Math.min(MAX_BASELINE, this.baseline + (loss - this.baseline) * 0.01);
    } else if (persistentQueue) {
      if (now - this.lastQueueCut >= Math.max(50, queue)) {
        this.rate = Math.max(this.floor, this.rate * 0.85);
        this.lastQueueCut = now;
        this.slowStart = false;
        this.congestionEvents++;
        this.queueEvents++;
      }
      this.baseline = Math.min(MAX_BASELINE, this.baseline + (loss - this.baseline) * 0.1);
    } else if (queue > QUEUE_HOLD_MS) {
      this.baseline = Math.min(MAX_BASELINE, this.baseline + (loss - this.baseline) * 0.1);
    } else {
      // Grow, but never far past what actually arrives: a sender that cannot reach its nominal
      // rate (CPU-bound) must not believe it paces at it.
      // Delivery on a lossy link is (1 − baseline) of what was sent: scale that back out.
      // A ceiling on growth only, never a cut: early reports under-measure delivery (receivers
      // still starting, reports bunched), and cutting to 1.25x that would hold a young stream
      // far below its cap. Loss and queueing cut.
      const delivered = this.maxDelivered() / (1 - this.baselineLoss);
      const ceiling = delivered > 0 ? Math.max(this.floor, 1.25 * delivered) : this.cap;
      this.rate = Math.max(this.rate, Math.min(this.cap, ceiling, this.rate * (this.slowStart ? 1.5 : 1.04)));
      this.baseline = Math.min(MAX_BASELINE, this.baseline + (loss - this.baseline) * 0.1);
    }
    return this.rate;
  }

  private noteDelay(now: number, delay: number): void {
    const f = this.delayFloor;
    while (f.length > 0 && f[f.length - 1]!.delay >= delay) f.pop();
    f.push({ at: now, delay });
    while (f.length > 1 && now - f[0]!.at > MIN_DELAY_WINDOW_MS) f.shift();
  }
}

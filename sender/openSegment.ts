/**
 * Sender-side state of one open segment (sent, not yet confirmed complete): its encoder, which
 * source symbol goes next, how many repair symbols are still owed (`repairCredit`), and the
 * sequence number of every symbol of it sent so far, so a Progress report can tell which of them
 * were still in flight when the receiver wrote it.
 */
import type { SegmentEncoder } from '../encoder/codec.js';

export class OpenSegment {
  nextSource = 0;
  nextRepair = 0;
  /** Symbols owed beyond the sources: resends of `resendQueue` first, then repair (or more resends). */
  repairCredit = 0;
  /**
   * Source ids the receiver reported lost, rebuilt from each report; sent from `resendHead`.
   * With `resendOnly`, credit left after the queue is spent cycles through it again (redundant
   * copies against loss of the resends) instead of calling for the RaptorQ encoder.
   */
  resendQueue: number[] = [];
  resendHead = 0;
  resendOnly = false;
  /** Unwrapped sequence number of each source id's latest resend. */
  readonly resentAt = new Map<number, number>();
  /** The segment's bytes the encoder was made from (handed to onSegmentFreed once it is freed). */
  source: Uint8Array | undefined;

  /** The next source id to resend, if the credit goes to resends. */
  nextResend(): number | undefined {
    if (this.resendHead < this.resendQueue.length) return this.resendQueue[this.resendHead++];
    if (!this.resendOnly || this.resendQueue.length === 0) return undefined;
    this.resendHead = 1;
    return this.resendQueue[0];
  }
  private seqs = new Float64Array(256);
  private times = new Float64Array(256);
  private sent = 0;

  constructor(
    readonly index: number,
    readonly sourceSymbols: number,
    readonly encoder: SegmentEncoder,
  ) {}

  get pendingSource(): number {
    return this.sourceSymbols - this.nextSource;
  }

  get symbolsSent(): number {
    return this.sent;
  }

  /** Records that a symbol of this segment went out at `now` with (unwrapped) number `seq`. */
  recordSent(seq: number, now: number): void {
    if (this.sent === this.seqs.length) {
      const seqs = new Float64Array(this.seqs.length * 2);
      seqs.set(this.seqs);
      this.seqs = seqs;
      const times = new Float64Array(this.times.length * 2);
      times.set(this.times);
      this.times = times;
    }
    this.times[this.sent] = now;
    this.seqs[this.sent++] = seq;
  }

  /**
   * Symbols of this segment still possibly in flight for a report: sent with a sequence number
   * above `seq` and not before `since` (older ones would have shown up in the report had they
   * arrived, so they are lost). Both arrays rise, so two binary searches do.
   */
  inFlight(seq: number, since: number): number {
    return this.sent - Math.max(firstAbove(this.seqs, this.sent, seq), firstAtOrAfter(this.times, this.sent, since));
  }
}

function firstAbove(a: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function firstAtOrAfter(a: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

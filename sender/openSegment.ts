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
  repairCredit = 0;
  private seqs = new Float64Array(256);
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

  /** Records that a symbol of this segment went out with (unwrapped) sequence number `seq`. */
  recordSent(seq: number): void {
    if (this.sent === this.seqs.length) {
      const grown = new Float64Array(this.seqs.length * 2);
      grown.set(this.seqs);
      this.seqs = grown;
    }
    this.seqs[this.sent++] = seq;
  }

  /** Symbols of this segment sent with a sequence number above `seq` (sequence numbers rise). */
  sentAfter(seq: number): number {
    let lo = 0;
    let hi = this.sent;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid]! <= seq) lo = mid + 1;
      else hi = mid;
    }
    return this.sent - lo;
  }
}

/**
 * Datagram intake: validation (parseDatagram) plus the counters a receiver reports — every drop
 * by reason, and sequence-number accounting (received, lost, reordered, duplicated).
 *
 * Sequence rule (serial-number arithmetic mod 2^32, RFC 1982 style; d = seq - highest as int32):
 * - The first accepted datagram sets `highest`; nothing before it counts as lost (a late joiner
 *   of a multicast stream never saw the start).
 * - 0 < d <= MAX_SEQUENCE_JUMP: the stream moved on; the d - 1 numbers skipped are counted lost
 *   (until one arrives late).
 * - d > MAX_SEQUENCE_JUMP: implausible (in open mode anyone who knows the session id can forge a
 *   datagram): dropped as 'sequence-jump', neither loss nor a new highest. A real stream that did
 *   move on that far (a long outage), or real datagrams after a forged first one, re-anchor the
 *   count: see REANCHOR_SPACING.
 * - d <= 0 within the last HISTORY numbers: a seen number is a duplicate; an unseen one fills a
 *   gap (lost - 1, reordered + 1, received + 1), or, when it precedes the first datagram ever
 *   seen, it is a reordered early datagram (received + 1, no gap to fill).
 * - Older than HISTORY (or exactly 2^31 away, which is ambiguous): "stale": counted on its own,
 *   not in received/lost, since it can no longer be told apart from a duplicate.
 * So `received + lost` equals the span of numbers seen (re-anchoring starts a new span), and
 * `lost` never goes negative.
 * Only sequence statistics depend on this: the symbol of a stale datagram is still used.
 */
import { DATAGRAM_REJECT_REASONS, parseDatagram, type AcceptedDatagram, type DatagramExpectations } from '../encoder/datagram.js';

/** Drops counted after parsing, by the receiver's own state. */
export const STATE_DROP_REASONS = [
  'simulated-loss',
  'window-full',
  'duplicate',
  'segment-complete',
  /** A segment already holds the most repair symbols it keeps (SegmentCollector's cap). */
  'repair-overflow',
  /** A combined resend meant for others: this receiver lacks two or more of its symbols. */
  'combined-undecodable',
  /** A combined datagram naming a repair id or one beyond the segment's K (a buggy or hostile sender). */
  'combined-not-source',
  /** A sequence number implausibly far ahead of the highest seen (MAX_SEQUENCE_JUMP; forged, say). */
  'sequence-jump',
] as const;
export const RECEIVER_DROP_REASONS = [...DATAGRAM_REJECT_REASONS, ...STATE_DROP_REASONS] as const;
export type ReceiverDropReason = (typeof RECEIVER_DROP_REASONS)[number];
export type StateDropReason = (typeof STATE_DROP_REASONS)[number];

/** Sequence numbers remembered behind the highest one (bits; 8 KiB). */
export const SEQUENCE_HISTORY = 1 << 16;
const HISTORY_MASK = SEQUENCE_HISTORY - 1;
/**
 * Largest jump ahead counted as loss. Within the history a gap stays exact (late datagrams fill
 * it), so a forged number inside it is undone as the real stream fills its gaps; beyond it nothing
 * can undo it, and serial arithmetic puts a random forged number up to 2^31 ahead (half the time).
 * Real streams stay far inside: reordering spans hundreds, and at 99.9 % loss the gap between two
 * arrivals exceeds 2^16 with probability e^-65. A real outage longer than this (about a second at
 * 100 MB/s) is caught by re-anchoring.
 */
export const MAX_SEQUENCE_JUMP = SEQUENCE_HISTORY;
/**
 * Two out-of-range datagrams (beyond MAX_SEQUENCE_JUMP ahead, or older than the history) this
 * close to each other say the stream itself is there (after a long outage, or a forged first
 * datagram): the tracker re-anchors at the second. Independent forged numbers land this close with
 * probability 2^-21.
 */
export const REANCHOR_SPACING = 1024;

export interface SequenceStats {
  /** Highest sequence number seen (serial order); 0 before the first datagram. */
  readonly highestSequence: number;
  /** Distinct sequence numbers received. */
  readonly received: number;
  /** Numbers skipped and not (yet) filled by a late datagram. */
  readonly lost: number;
  /** Datagrams that arrived after a higher number and filled a gap. */
  readonly reordered: number;
  /** Datagrams whose sequence number was already seen. */
  readonly duplicateSequences: number;
  /** Datagrams too far behind to account for (see the rule above). */
  readonly stale: number;
}

export class SequenceTracker implements SequenceStats {
  highestSequence = 0;
  received = 0;
  lost = 0;
  reordered = 0;
  duplicateSequences = 0;
  stale = 0;
  private started = false;
  /** Distance from the earliest number seen to the highest (bounded by the history). */
  private span = 0;
  /** The last out-of-range number (see REANCHOR_SPACING). */
  private outOfRange: number | undefined;
  /** Bit (seq & mask) set when seq was seen; valid for numbers in (highest - HISTORY, highest]. */
  private readonly seen = new Uint32Array(SEQUENCE_HISTORY / 32);

  snapshot(): SequenceStats {
    const { highestSequence, received, lost, reordered, duplicateSequences, stale } = this;
    return { highestSequence, received, lost, reordered, duplicateSequences, stale };
  }

  /** Counts one datagram's number; false when it is an implausible jump (to be dropped). */
  record(sequenceNumber: number): boolean {
    const seq = sequenceNumber >>> 0;
    if (!this.started) {
      this.started = true;
      this.highestSequence = seq;
      this.received = 1;
      this.mark(seq);
      return true;
    }
    const d = (seq - this.highestSequence) | 0;
    if (d > MAX_SEQUENCE_JUMP || d <= -SEQUENCE_HISTORY) {
      const near = this.outOfRange === undefined ? 0 : Math.abs((seq - this.outOfRange) | 0);
      this.outOfRange = seq;
      if (near > 0 && near <= REANCHOR_SPACING) {
        this.reanchor(seq);
        return true;
      }
      if (d > 0) return false;
    }
    if (d > 0) {
      this.clear(this.highestSequence + 1, d);
      this.mark(seq);
      this.highestSequence = seq;
      this.lost += d - 1;
      this.received++;
      this.span = Math.min(this.span + d, SEQUENCE_HISTORY);
      return true;
    }
    const behind = -d;
    if (behind >= SEQUENCE_HISTORY) {
      this.stale++;
      return true;
    }
    if (this.isMarked(seq)) {
      this.duplicateSequences++;
      return true;
    }
    this.mark(seq);
    this.received++;
    this.reordered++;
    if (behind <= this.span) {
      this.lost--;
    } else {
      // Earlier than anything seen: the numbers between it and the old earliest are gaps now.
      this.lost += behind - this.span - 1;
      this.span = behind;
    }
    return true;
  }

  /**
   * The stream is at `seq`. The gap to the old highest is not counted as lost: which side of it
   * was forged cannot be told, and a real outage that long says nothing about the path's loss rate.
   */
  private reanchor(seq: number): void {
    this.seen.fill(0);
    this.mark(seq);
    this.highestSequence = seq;
    this.received++;
    this.span = 0;
    this.outOfRange = undefined;
  }

  private mark(seq: number): void {
    const bit = seq & HISTORY_MASK;
    this.seen[bit >>> 5]! |= 1 << (bit & 31);
  }

  private isMarked(seq: number): boolean {
    const bit = seq & HISTORY_MASK;
    return (this.seen[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /** Forgets `count` numbers from `from` on: whole words at a time, so a big jump costs O(HISTORY/32). */
  private clear(from: number, count: number): void {
    if (count >= SEQUENCE_HISTORY) {
      this.seen.fill(0);
      return;
    }
    let bit = from & HISTORY_MASK;
    let left = count;
    while (left > 0) {
      if ((bit & 31) === 0 && left >= 32) {
        this.seen[bit >>> 5] = 0;
        bit = (bit + 32) & HISTORY_MASK;
        left -= 32;
      } else {
        this.seen[bit >>> 5]! &= ~(1 << (bit & 31));
        bit = (bit + 1) & HISTORY_MASK;
        left--;
      }
    }
  }
}

export function emptyDropCounts(): Record<ReceiverDropReason, number> {
  const counts = {} as Record<ReceiverDropReason, number>;
  for (const r of RECEIVER_DROP_REASONS) counts[r] = 0;
  return counts;
}

export class DatagramIntake {
  /** Datagrams that passed every check of parseDatagram and the sequence check. */
  accepted = 0;
  readonly drops: Record<ReceiverDropReason, number> = emptyDropCounts();
  readonly sequence = new SequenceTracker();

  constructor(private readonly expect: DatagramExpectations) {}

  /**
   * Parses and counts; the accepted datagram, or undefined when it was dropped (and counted).
   * `crcChecked`: the reader found its CRC-32 tag right (parseDatagram then skips that check).
   */
  accept(bytes: Uint8Array, crcChecked?: boolean): AcceptedDatagram | undefined {
    const verdict = parseDatagram(bytes, this.expect, crcChecked);
    if (!verdict.ok) {
      this.drops[verdict.reason]++;
      return undefined;
    }
    if (!this.sequence.record(verdict.sequenceNumber)) {
      this.drops['sequence-jump']++;
      return undefined;
    }
    this.accepted++;
    return verdict;
  }

  /** Counts a drop decided after parsing (or before it, for simulated loss). */
  countDrop(reason: StateDropReason): void {
    this.drops[reason]++;
  }

  /** Sum of all drops. */
  get dropped(): number {
    let n = 0;
    for (const r of RECEIVER_DROP_REASONS) n += this.drops[r];
    return n;
  }
}

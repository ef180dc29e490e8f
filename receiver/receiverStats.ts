/** What a ReceiverCore counts, for summaries, logs and the benchmarks. */
import type { ReceiverDropReason, SequenceStats } from './intake.js';

export interface ReceiverStats {
  readonly datagramsAccepted: number;
  readonly datagramsDropped: number;
  readonly drops: Readonly<Record<ReceiverDropReason, number>>;
  readonly sequence: SequenceStats;
  /** Distinct datagram sequence numbers received (as in Progress). */
  readonly datagramsReceived: number;
  /** Sequence numbers skipped and not filled late (as in Progress). */
  readonly datagramsLost: number;
  /** Distinct symbols taken by collectors, summed over segments (and over restarts). */
  readonly symbolsReceived: number;
  /** Sum of K over all segments: the least any decoder needs. */
  readonly symbolsNeeded: number;
  readonly duplicates: number;
  readonly decodeJobs: number;
  /** Attempts that needed more symbols. */
  readonly decodeFailures: number;
  /** Attempts where the codec threw, or the job was lost with its worker. */
  readonly decodeErrors: number;
  readonly hashMismatches: number;
  readonly segmentsWritten: number;
  readonly segmentCount: number;
  readonly bytesWritten: number;
  /** Bytes on their way in open segments not yet written (SegmentSlots.bytesInFlight): for progress displays. */
  readonly bytesInFlight: number;
  /** Segments an earlier run wrote (resume): complete from the start, never received. */
  readonly segmentsHeld: number;
  readonly bytesHeld: number;
}

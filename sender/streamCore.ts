/**
 * The one interface of the sender's stream cores (sans-IO; `now` is always an argument). A
 * stream serves members (receivers) identified by their control connection's id:
 *  - UnicastStream (unicastStream.ts): one member, its own UDP destination, resends of its
 *    listed losses or proactive repair sized to its loss;
 *  - SharedStream (sharedStream.ts): any number of members on one multicast/broadcast stream,
 *    segments opened for whoever needs them, resends combined across members, or repair that
 *    helps them all.
 * Both are thin schedulers over the same parts: SegmentLoader (segment reads and encoders),
 * DatagramEmitter (numbering, send-time history, pacing, writing datagrams), recoveryPlanning
 * (repair sizing, lost tails, resends that may still arrive), lossEstimate (the EWMA, its ceiling,
 * plausible reports, the loss repair is planned with), ReportDelay (report delay and the in-flight
 * horizon) and StallGuard; each has its own recovery policy (unicastRecovery, sharedRecovery) and
 * the shared stream its segment rotation (sharedRotation) and slow-member policy. The worker
 * adapter (streamWorker.ts) drives either through this interface.
 */
import type { Progress } from '../control/messages.js';
import type { Codec } from '../encoder/codec.js';
import type { IntegrityScheme } from '../encoder/integrity.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import type { BitSet } from '../util/bitset.js';

export type RecoveryMode = 'auto' | 'resend' | 'fountain';
export const RECOVERY_MODES: readonly RecoveryMode[] = ['auto', 'resend', 'fountain'];

/** What every stream core is made from (UnicastStreamInit and SharedStreamInit add their own). */
export interface StreamCoreInit {
  /**
   * Called with a segment's bytes (as given to provideSegment) once its encoder is freed: nothing
   * reads them any more, so the adapter may reuse the buffer for a later read.
   */
  onSegmentFreed?: (data: Uint8Array) => void;
  sessionId: number;
  layout: SegmentLayout;
  codec: Codec;
  integrity: IntegrityScheme;
  /** Rate ceiling in bytes/s; 0 = no cap (unpaced). The pace adapts below it unless fixedRate. */
  rateBytesPerSecond: number;
  /**
   * Pace at exactly rateBytesPerSecond, never adapting (tests, fixed-rate links). Otherwise a
   * unicast stream runs the rate controller (rateController.ts) on its receiver's reports, and a
   * shared stream runs one per member and goes at the slowest active member's rate. @default false
   */
  fixedRate?: boolean;
  now: number;
  /** Without a report with news for this long, the oldest open segment gets a burst. @default 200 */
  stallTimeoutMs?: number;
  /**
   * A symbol sent longer ago than this before a report arrived, and not covered by the report's
   * highestSequence, counts as lost rather than in flight: receivers report at least every
   * 20 ms while data flows, so 50 ms covers that plus a LAN round trip. The horizon widens to
   * twice the observed report delay when socket buffers queue longer (reportDelay.ts). @default 50
   */
  inFlightHorizonMs?: number;
  /** First sequence number (tests start near 2^32 to exercise the wrap). @default 0 */
  firstSequence?: number;
  /**
   * How losses are made good: `resend` resends listed losses (selective-repeat ARQ) and asks the
   * codec for repair only where a list cannot say what is lost; `fountain` always sends repair;
   * `auto` resends while that is cheaper (unicastRecovery.ts, sharedRecovery.ts). @default 'auto'
   */
  recovery?: RecoveryMode;
  /**
   * The object is a pipe still being read (its receiver's Manifest said the length follows):
   * `layout` holds the segments announced so far, and the stream does not finish when they are
   * complete but waits for `extend`. Unicast only. @default false
   */
  growing?: boolean;
  /**
   * The segments the adapter can read now, when the object is still arriving (a relay serving
   * what it receives, cut-through): the others are neither loaded nor opened until
   * segmentAvailable names them; members simply wait longer for them. @default every segment
   */
  available?: BitSet;
}

export interface StreamStats {
  datagramsSent: number;
  bytesSent: number;
  sourceSymbolsSent: number;
  repairSymbolsSent: number;
  segmentsOpened: number;
  /** Segments every member reported complete while open. */
  segmentsCompleted: number;
  stallBursts: number;
  /** Listed-lost source symbols sent again (each one of a combined datagram counts). */
  sourceRetransmits: number;
  /** Resend datagrams that combined several members' losses (shared). */
  combinedResends: number;
  /** The loss estimate the stream plans with (shared: its worst active member's). */
  lossEstimate: number;
  /** Current pace, bytes/s (0 = unpaced). */
  rateBytesPerSecond: number;
  /** Adaptive-rate cuts (unicast). */
  congestionEvents: number;
  /**
   * Reports whose counters grew by more than the stream sent since the previous one (forged
   * datagrams reached the receiver): their loss was ignored.
   */
  implausibleReports: number;
}

export function emptyStreamStats(): StreamStats {
  return {
    datagramsSent: 0,
    bytesSent: 0,
    sourceSymbolsSent: 0,
    repairSymbolsSent: 0,
    segmentsOpened: 0,
    segmentsCompleted: 0,
    stallBursts: 0,
    sourceRetransmits: 0,
    combinedResends: 0,
    lossEstimate: 0,
    rateBytesPerSecond: 0,
    congestionEvents: 0,
    implausibleReports: 0,
  };
}

export interface StreamCore {
  readonly stats: StreamStats;
  /** Bytes of a single-symbol datagram (the adapter's recycled buffers have this length). */
  readonly datagramLength: number;
  readonly openSegments: number;
  /** Stopped, or (unicast) its member has everything. */
  readonly finished: boolean;
  /** 'complete' or the stop reason. */
  readonly finishReason: string;
  /**
   * A receiver that sent Request, with its segment window and (resume, Request.have) the
   * segments it already holds: complete for it from the start, never loaded or sent for it.
   */
  addMember(now: number, id: string, window: number, held?: BitSet): void;
  removeMember(now: number, id: string): void;
  handleProgress(now: number, id: string, p: Progress): void;
  /** The next datagram if one is due at `now` (written into `out` when it fits). */
  pollTransmit(now: number, out?: Uint8Array): Uint8Array | undefined;
  /** When pollTransmit may next yield something (undefined: waiting for feedback or data). */
  pollTimeout(): number | undefined;
  /** A segment whose bytes the adapter should read next. */
  pollSegmentLoad(): number | undefined;
  provideSegment(now: number, index: number, data: Uint8Array): void;
  /** Segment `index` of an object still arriving (StreamCoreInit.available) can be read now. */
  segmentAvailable(now: number, index: number): void;
  /**
   * A growing object (StreamCoreInit.growing) has more segments announced, each full but for the
   * last one of a `final` layout (the length is known: the stream finishes once its member has
   * every segment). Unicast streams only: a shared stream serves complete objects.
   */
  extend?(now: number, layout: SegmentLayout, final: boolean): void;
  /** Members dropped (too slow) since the last call, with the reason to tell them. */
  pollDropped(): { id: string; reason: string }[];
  stop(now: number, reason: string): void;
}

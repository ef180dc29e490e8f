/**
 * How a unicast stream makes good its receiver's losses, from each Progress report.
 *
 * For each open segment reported as needing n more symbols, the symbols sent after the report's
 * highestSequence and within the in-flight horizon (in flight) and the source symbols not yet
 * sent will bring about (inflight + unsent)·(1−p); only repairFor(shortfall) is owed.
 *
 * Building a segment's RaptorQ encoder and decoding with repair cost tens of ms of CPU per 4 MiB
 * at each end, while a resent source symbol costs neither side anything beyond the datagram. One
 * receiver that lists its losses exactly is best served by resending them (`resend`): repair
 * symbols are then used only where the list cannot explain the shortfall (heavy loss beyond
 * MAX_MISSING_LISTED, a lost tail of the last segment, stalls). `fountain` sends only repair
 * after the sources, proactively, which is what many receivers with different losses need and
 * what the research harness compares. `auto` resends while the loss is low.
 */
import { MAX_MISSING_LISTED, type Progress, type SegmentProgress } from '../control/messages.js';
import type { DatagramEmitter } from './datagramEmitter.js';
import type { OpenSegment } from './openSegment.js';
import { lostTail, repairFor, tailIds, toResend } from './recoveryPlanning.js';
import type { RecoveryMode } from './streamCore.js';

/** `auto` resends listed losses up to this loss rate and turns to repair symbols above it. */
export const AUTO_RESEND_MAX_LOSS = 0.2;
/** Datagrams reported before `auto` trusts the long-run loss rate. */
const AUTO_MIN_SAMPLES = 1000;

export class UnicastRecovery {
  constructor(
    private readonly mode: RecoveryMode,
    private readonly emitter: DatagramEmitter,
  ) {}

  /**
   * Whether listed losses are resent, given the receiver's counters so far and the loss
   * estimate. In `auto` both the long-run rate and the recent (EWMA) one must be high: a burst
   * of socket-buffer overflow (at start-up, say) must not flip a link that loses a few % to
   * repair symbols and their encoder builds.
   */
  resends(counts: { received: number; lost: number }, estimate: number): boolean {
    if (this.mode === 'resend') return true;
    if (this.mode === 'fountain') return false;
    const { received, lost } = counts;
    if (received + lost < AUTO_MIN_SAMPLES) return true;
    return lost / (received + lost) <= AUTO_RESEND_MAX_LOSS || estimate <= AUTO_RESEND_MAX_LOSS;
  }

  /**
   * Sets what each open segment is owed beyond its sources after report `p`, written after datagram
   * `highest`; symbols sent before `lostBefore` that it does not cover are lost. `loss`: the loss
   * repair is planned with.
   */
  plan(p: Progress, open: ReadonlyMap<number, OpenSegment>, highest: number, lostBefore: number, loss: number, resends: boolean): void {
    const survive = 1 - loss;
    const listed = new Set<number>();
    for (const entry of p.open) {
      listed.add(entry.index);
      const seg = open.get(entry.index);
      if (seg) this.planSegment(seg, entry, highest, lostBefore, survive, loss, resends);
    }
    // A segment whose sources all went out but which the report neither lists nor counts as
    // complete reached the receiver with nothing (a receiver opens a segment on its first
    // symbol). Once none of its symbols can still be in flight, all of it is owed again, rather
    // than waiting for the stall burst.
    for (const [i, seg] of open) {
      if (listed.has(i) || seg.pendingSource > 0 || seg.inFlight(highest, lostBefore) > 0) continue;
      const k = seg.sourceSymbols;
      const missing = k <= MAX_MISSING_LISTED ? Array.from({ length: k }, (_, esi) => esi) : undefined;
      this.planSegment(
        seg,
        missing ? { index: i, received: 0, needed: k, missing } : { index: i, received: 0, needed: k },
        highest,
        lostBefore,
        survive,
        loss,
        resends,
      );
    }
  }

  /** Sets what `seg` is owed beyond its sources from its report entry. */
  private planSegment(seg: OpenSegment, entry: SegmentProgress, highest: number, lostBefore: number, survive: number, p: number, resends: boolean): void {
    const coming = (seg.inFlight(highest, lostBefore) + seg.pendingSource) * survive;
    const shortfall = entry.needed - coming;
    seg.resendOnly = false;
    if (!resends) {
      seg.resendQueue = [];
      seg.repairCredit = shortfall <= 0 ? 0 : repairFor(shortfall, p);
      return;
    }
    const queued = this.queueResends(seg, entry.missing, lostTail(entry.missing, entry.needed, shortfall, seg.pendingSource > 0), highest, lostBefore);
    if (shortfall <= 0) seg.repairCredit = 0;
    else if (queued > 0) {
      // Resend what the receiver listed, with as many extra copies as the loss calls for
      // (mean plus two standard deviations): an extra feedback round costs more than copies.
      // What the list does not explain yet (a tail the receiver cannot know is lost) it
      // will list once a later segment arrives, or the in-flight horizon passes.
      seg.resendOnly = true;
      seg.repairCredit = repairFor(Math.min(queued, Math.ceil(shortfall)), p);
    } else if (entry.missing)
      seg.repairCredit = 0; // nothing lost yet, or resends in flight
    // No list though one would fit: the report's listing budget went to older segments, and
    // this one is listed once they are done. Only a loss too large to list calls for repair.
    else if (entry.needed <= MAX_MISSING_LISTED) seg.repairCredit = 0;
    else seg.repairCredit = repairFor(shortfall, p);
  }

  /**
   * Rebuilds the resend queue from a report's list (and `tail` top ids): ids already sent whose
   * last resend (if any) the report has passed or that is older than the in-flight horizon
   * (nothing may follow a lost resend to move highestSequence past it). Returns how many are queued.
   */
  private queueResends(seg: OpenSegment, missing: readonly number[] | undefined, tail: number, highest: number, lostBefore: number): number {
    const ids = tail > 0 ? [...(missing ?? []), ...tailIds(seg.sourceSymbols, tail)] : (missing ?? []);
    seg.resendQueue = toResend(this.emitter, seg, ids, seg.nextSource, highest, lostBefore);
    seg.resendHead = 0;
    return seg.resendQueue.length;
  }
}

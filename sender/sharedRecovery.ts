/**
 * How a shared stream makes good its members' losses: repair owed to each member, or their listed
 * losses resent (combined across members where that serves them at once).
 *
 * For each open segment and active member needing it, a report gives `needed` (K when the member
 * has not started the segment). Symbols of that segment sent after the report's highestSequence
 * and within the in-flight horizon will bring (inflight + unsent sources)·(1 − p_member); the
 * member is owed repairFor(shortfall, p_member). The segment sends fresh repair symbols while the
 * largest amount owed to any member is positive: every symbol counts for every member, so one
 * repair symbol helps each receiver that lacks the segment, whatever it lost.
 */
import { xorInto } from '../encoder/sourceBlock.js';
import type { DatagramEmitter } from './datagramEmitter.js';
import type { Member, Membership } from './membership.js';
import { OpenSegment } from './openSegment.js';
import { lostTail, repairFor, tailIds, toResend } from './recoveryPlanning.js';
import { ResendQueue } from './resendQueue.js';
import type { RecoveryMode, StreamStats } from './streamCore.js';

/** Without combining, a member's listed losses above this fraction of K get repair symbols instead of resends. */
const RESEND_MAX_FRACTION = 0.25;
/**
 * When resends beat repair (resendsPay), by how many members need the segment and their loss
 * estimates. Resending each id alone costs the union of the members' losses, so only small,
 * mildly lossy groups. Combined resends (resendQueue.ts) serve at most one lost id per member
 * each, up to combineMax members per datagram: they cost at least the worst member's losses and
 * at least the summed losses over combineMax. Repair costs about the worst member's losses too,
 * but every member that gets any decodes the segment (tens of ms of CPU per 4 MiB each, where a
 * datagram costs microseconds), so resends pay while they cost at most `maxCostRatio` times the
 * worst member's losses: up to 20 members at equal loss (20 p / 8 = 2.5 p), 4 at 30 %; not 32 at 5 %.
 */
const RESEND_ALONE = { maxMembers: 4, maxLoss: 0.1 };
/** Bound on the second copies waiting per segment (finalPhase). */
const MAX_REPEATS = 4096;
const RESEND_COMBINED = { maxLoss: 0.4, maxCostRatio: 2.5 };
/**
 * Each member's loss counts as at least this in that comparison: before any estimate (or on a
 * lossless start) a group of more than 20 still gets repair, as large groups did before.
 */
const MIN_PLANNED_LOSS = 0.01;

export class SharedSegment extends OpenSegment {
  /** Opened by the carousel: kept until its sources are out, whoever needs it. */
  carousel = false;
  /** Repair symbols owed to each active member that needs this segment. */
  readonly owedBy = new Map<string, number>();
  /** Whether losses are resent rather than repaired (resendsPay), once decided. */
  resendsPay: boolean | undefined;
  /** Listed losses to send again, with who lacks each (the base class's resendQueue is unused). */
  readonly resends = new ResendQueue();
  /** Resend datagrams (their ids) to send once more, after the queue: see finalPhase. */
  readonly repeats: number[][] = [];

  get resendsPending(): boolean {
    return this.resends.size > 0 || this.repeats.length > 0;
  }

  get owed(): number {
    let max = 0;
    for (const v of this.owedBy.values()) if (v > max) max = v;
    return max;
  }
}

export class SharedRecovery {
  /** The XOR of a combined resend is built here. */
  private readonly combinedSymbol: Uint8Array;

  constructor(
    private readonly mode: RecoveryMode,
    private readonly members: Membership,
    private readonly emitter: DatagramEmitter,
    /** Most source symbols one resend datagram combines. */
    readonly combineMax: number,
    symbolSize: number,
    private readonly stats: StreamStats,
    /** Send each resend datagram a second time once nothing else is left (see nextResend). */
    private readonly repeatFinalResends = true,
  ) {
    this.combinedSymbol = new Uint8Array(symbolSize);
  }

  /**
   * Repair symbols `m` is owed for `seg`, after queueing resends where they do instead. A member
   * whose losses are known and few gets those source symbols again (the union over members,
   * each id once per round): no encoder here and no decoding there, where repair costs tens of
   * ms of CPU per 4 MiB at each end. As in unicast, an empty list means the rest are the top ids,
   * and a started segment without a list (the report's budget went to older ones) waits for
   * it. So does a member that has not started the segment while its sources are still on their
   * way to it (sent after the report's highest sequence): its reports lag behind the stream, and
   * its list of losses will come. Repair is for losses too many to list cheaply, and segments the
   * member never started, whose sources all went past it. `loss`: the loss to plan repair with
   * for `m` (planningLoss).
   */
  owedRepair(
    now: number,
    seg: SharedSegment,
    m: Member,
    loss: number,
    started: boolean,
    needed: number,
    coming: number,
    highest: number,
    lostBefore: number,
  ): number {
    const shortfall = needed - coming;
    if (shortfall <= 0) return 0;
    if (!this.resendsPay(now, seg)) return repairFor(shortfall, loss);
    const listed = m.missing.get(seg.index);
    if (seg.pendingSource > 0) {
      // Sources still going out: resend what is listed lost so far, owe nothing yet.
      if (listed)
        this.queueResends(
          now,
          seg,
          m.id,
          listed.filter((esi) => esi < seg.nextSource),
          highest,
          lostBefore,
        );
      return 0;
    }
    const arq = this.mode === 'resend';
    // Resent alone, a member's many losses add to the others'; combined, they pair with them, and
    // a few repair symbols would cost this segment a RaptorQ decode at every member that got them.
    if (!arq && this.combineMax === 1 && needed > seg.sourceSymbols * RESEND_MAX_FRACTION) return repairFor(shortfall, loss);
    // A member behind the stream (its report not yet past the segment's sources) is owed nothing
    // yet: repair for its expected loss would cost that segment a RaptorQ decode at every member,
    // while its list of losses is on its way.
    if (!listed && (started || coming > 0)) return 0;
    if (!listed && !arq) return repairFor(shortfall, loss);
    // ARQ, and the member never started the segment though none of it can still arrive: its
    // sources went out while the segment lay beyond the member's window (it drops those), or all
    // were lost. It gets them again; without this only the stall guard's few symbols every
    // stallTimeoutMs would reach it, one segment per stall.
    if (!listed) {
      this.queueResends(now, seg, m.id, tailIds(seg.sourceSymbols, Math.min(needed, seg.sourceSymbols)), highest, lostBefore);
      return 0;
    }
    const tail = lostTail(listed, needed, shortfall, false);
    this.queueResends(now, seg, m.id, listed, highest, lostBefore);
    if (tail > 0) this.queueResends(now, seg, m.id, tailIds(seg.sourceSymbols, tail), highest, lostBefore);
    return 0;
  }

  /**
   * Resends beat repair while they cost about as many datagrams (RESEND_ALONE, RESEND_COMBINED):
   * no codec work at either end, where repair costs tens of ms of CPU per 4 MiB at each receiver.
   * Beyond that one repair symbol serves everyone and the codec's CPU is the better price.
   * Decided once per opening of a segment, for all its members: members whose estimates sit
   * either side of a threshold would otherwise get a mix, which costs the datagrams of resends
   * and the decoding of repair.
   */
  resendsPay(now: number, seg: SharedSegment): boolean {
    if (this.mode === 'resend') return true;
    if (this.mode === 'fountain') return false;
    if (seg.resendsPay !== undefined) return seg.resendsPay;
    let needers = 0;
    let summed = 0;
    let worst = 0;
    for (const m of this.members.active(now)) {
      if (!m.needs(seg.index)) continue;
      needers++;
      summed += Math.max(m.lossEstimate, MIN_PLANNED_LOSS);
      worst = Math.max(worst, m.lossEstimate);
    }
    seg.resendsPay =
      this.combineMax > 1
        ? worst <= RESEND_COMBINED.maxLoss && summed / this.combineMax <= RESEND_COMBINED.maxCostRatio * Math.max(worst, MIN_PLANNED_LOSS)
        : needers <= RESEND_ALONE.maxMembers && worst <= RESEND_ALONE.maxLoss;
    return seg.resendsPay;
  }

  /** A member that needs `seg` and has reported nothing of it is owed all of it (if no sources come). */
  oweUnstarted(now: number, seg: SharedSegment, id: string): void {
    const m = this.members.get(id);
    if (!m || !m.needs(seg.index) || !m.inWindow(seg.index) || m.started(seg.index)) return;
    // Sources are going out and listed losses will be resent: nothing is owed in advance. Repair
    // owed for the expected loss would stay owed when a busy member's first report of the
    // segment comes after its sources, and cost decodes.
    if (seg.pendingSource > 0 && this.resendsPay(now, seg)) {
      seg.owedBy.set(id, 0);
      return;
    }
    const shortfall = seg.sourceSymbols - seg.pendingSource * (1 - m.lossEstimate);
    seg.owedBy.set(id, shortfall > 0 ? repairFor(shortfall, m.lossEstimate) : 0);
  }

  /**
   * The ids of `seg`'s next resend datagram and its symbol (their XOR when several), the ids
   * marked as resent now. `finalPhase` says whether nothing but resends is left to send: then a
   * lost resend costs a whole feedback round (a report, ~20 ms, plus the in-flight horizon,
   * 50 ms) during which the stream has nothing else to do, so each resend datagram goes out a
   * second time after the others: at 5 % loss a member misses both copies 0.25 % of the time
   * instead of 5 %.
   */
  nextResend(seg: SharedSegment, finalPhase: () => boolean): { ids: number[]; symbol: Uint8Array } {
    let ids: number[];
    if (seg.resends.size > 0) {
      ids = seg.resends.take(this.combineMax)!;
      if (this.repeatFinalResends && seg.repeats.length < MAX_REPEATS && finalPhase()) seg.repeats.push(ids);
    } else {
      ids = seg.repeats.shift()!;
    }
    for (const id of ids) seg.resentAt.set(id, this.emitter.nextSequence);
    this.stats.sourceRetransmits += ids.length;
    const symbol = seg.encoder.sourceSymbol(ids[0]!);
    if (ids.length === 1) return { ids, symbol };
    this.combinedSymbol.set(symbol);
    for (let i = 1; i < ids.length; i++) xorInto(this.combinedSymbol, seg.encoder.sourceSymbol(ids[i]!));
    this.stats.combinedResends++;
    return { ids, symbol: this.combinedSymbol };
  }

  /** Queues ids `member` lacks unless resent so recently that the resend may still arrive. */
  private queueResends(now: number, seg: SharedSegment, member: string, ids: readonly number[], highest: number, lostBefore: number): void {
    for (const esi of toResend(this.emitter, seg, ids, seg.sourceSymbols, highest, lostBefore)) seg.resends.add(esi, member, now);
  }
}

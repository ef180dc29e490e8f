/**
 * Resend and repair planning shared by the stream cores: how many symbols to send so that enough
 * arrive, which source ids a receiver lost beyond its list, and whether a resend still in flight
 * may arrive (then it is not sent again).
 */
import type { DatagramEmitter } from './datagramEmitter.js';
import type { OpenSegment } from './openSegment.js';

/**
 * Symbols to send so that about `needed` arrive at loss p with high probability: the mean
 * needed/(1-p) plus two standard deviations of the binomial shortfall, plus one. An extra
 * feedback round costs far more time than a few spare symbols cost bandwidth.
 */
export function repairFor(needed: number, p: number): number {
  const survive = 1 - p;
  return Math.ceil((needed + 2 * Math.sqrt(needed * p) + 1) / survive);
}

/**
 * How many of a segment's highest source ids are lost beyond a receiver's list: it lists holes
 * below the highest source id it holds, so once every source was sent and the shortfall
 * outgrows the list, the rest are the top ids (at most `needed − listed` of them). 0 while
 * sources are still going out (`sourcesPending`) or when the receiver sent no list.
 */
export function lostTail(listed: readonly number[] | undefined, needed: number, shortfall: number, sourcesPending: boolean): number {
  if (!listed || sourcesPending) return 0;
  if (shortfall <= listed.length) return 0;
  return Math.max(0, Math.min(Math.ceil(shortfall - listed.length), needed - listed.length));
}

/** The `tail` highest source ids of a segment of `sourceSymbols` (see lostTail). */
export function tailIds(sourceSymbols: number, tail: number): number[] {
  return Array.from({ length: tail }, (_, i) => sourceSymbols - tail + i);
}

/**
 * Whether the resend sent as `lastResend` (unwrapped sequence number) may still arrive: the
 * report (its highest sequence `highest`) has not passed it and it went out no earlier than
 * `lostBefore` (the in-flight horizon: nothing may follow a lost resend to move highestSequence
 * past it). A resend no longer remembered counts as lost.
 */
export function mayStillArrive(emitter: DatagramEmitter, lastResend: number | undefined, highest: number, lostBefore: number): boolean {
  if (lastResend === undefined || lastResend <= highest) return false;
  const at = emitter.sentAt(lastResend);
  return at !== undefined && at >= lostBefore;
}

/**
 * The source ids of `ids` below `below` to send again for `seg`: those never resent, and those
 * whose last resend can no longer arrive (mayStillArrive).
 */
export function toResend(emitter: DatagramEmitter, seg: OpenSegment, ids: readonly number[], below: number, highest: number, lostBefore: number): number[] {
  const out: number[] = [];
  for (const esi of ids) {
    if (esi >= below) continue;
    if (!mayStillArrive(emitter, seg.resentAt.get(esi), highest, lostBefore)) out.push(esi);
  }
  return out;
}

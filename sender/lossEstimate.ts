/**
 * A receiver's loss as a stream core learns it from Progress counters, shared by the unicast
 * stream and the shared stream's members: the EWMA of its lost/(received+lost) deltas, its
 * ceiling, which deltas are plausible at all, and the loss repair is planned with.
 */
import type { DatagramEmitter } from './datagramEmitter.js';

/**
 * Ceiling of the loss estimate: repair is sized as needed/(1 − p), so p must stay below 1, but a
 * receiver behind 99.9 % loss needs ~1000 datagrams per symbol, and a lower ceiling would owe it
 * a small fraction of what it takes.
 */
export const MAX_LOSS_ESTIMATE = 0.999;

/**
 * Slack on top of the datagrams sent since the last report's highestSequence that a report's
 * received + lost may grow by: datagrams from before the receiver's first one that arrive late
 * (reordering) widen its span without moving its highestSequence.
 */
export const REPORT_SLACK = 4096;

/**
 * Whether counter deltas `dr` (received) and `dl` (lost) could be real: the receiver's
 * received + lost is the span of sequence numbers it saw, which cannot outgrow what was sent
 * after the last report's highestSequence (`sentSince`). More means numbers the stream never sent
 * reached it (forged datagrams, in open mode): their loss must not reach the estimate.
 */
export function plausibleDelta(dr: number, dl: number, sentSince: number): boolean {
  return dr + dl <= sentSince + REPORT_SLACK;
}

/** The loss estimate after a report's deltas (dr + dl > 0): an EWMA weighted by the sample's size. */
export function nextLossEstimate(estimate: number, dr: number, dl: number, ceiling = MAX_LOSS_ESTIMATE): number {
  const alpha = Math.min(0.5, (dr + dl) / (dr + dl + 2000));
  return Math.min(ceiling, estimate * (1 - alpha) + (dl / (dr + dl)) * alpha);
}

/**
 * Behind heavy loss (the estimate at least HEAVY_LOSS), a run of at least SILENT_RUN datagrams
 * past a report's highestSequence, old enough to have arrived, says the loss is at least that
 * run's (planningLoss).
 */
export const HEAVY_LOSS = 0.5;
const SILENT_RUN = 64;

/**
 * The loss to plan repair with after a report written after datagram `highest` (unwrapped):
 * the estimate, or more when behind heavy loss. The receiver's counters learn of loss only when a
 * datagram arrives, so behind very heavy loss they lag by thousands of datagrams; then a long run
 * the report has not passed, though it went out before `lostBefore` (the in-flight horizon), says
 * the loss is at least that run's.
 */
export function planningLoss(estimate: number, emitter: DatagramEmitter, highest: number, lostBefore: number): number {
  const silent = estimate >= HEAVY_LOSS ? emitter.sentBetween(highest, lostBefore) : 0;
  return silent >= SILENT_RUN ? Math.max(estimate, Math.min(MAX_LOSS_ESTIMATE, silent / (silent + 1))) : estimate;
}

/**
 * A receiver's loss as a stream core learns it from Progress counters, shared by the unicast
 * stream and the shared stream's members: the EWMA of its lost/(received+lost) deltas, its
 * ceiling, and which deltas are plausible at all.
 */

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

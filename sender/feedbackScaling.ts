/**
 * How often the receivers of one shared stream should report (Manifest.progressIntervalMs).
 * Every receiver reports at most once per interval while data flows, so a group of N sends up
 * to N / interval reports a second. Left at the receiver's own 20 ms, 500 receivers would send
 * 25,000 a second and the sender's control plane (one thread: frames, JSON, the sessions)
 * would spend its time reading them. As NORM and UFTP do, the interval grows with the group so
 * that the group's total stays near GROUP_REPORTS_PER_SECOND; completions are still reported at
 * once (they move the window), so what grows is only the delay of loss reports, which a large
 * group's shared repair does not wait on.
 */
import { DEFAULT_PROGRESS_INTERVAL_MS } from '../receiver/progressSchedule.js';

/** What a whole group may send in routine Progress reports, per second. */
export const GROUP_REPORTS_PER_SECOND = 800;
/** The slowest a receiver is asked to report (its keep-alive is twice this). */
export const MAX_GROUP_PROGRESS_INTERVAL_MS = 2_000;

/** The interval for a group of `receivers`: the receivers' own default up to 16 of them, then N × 1.25 ms. */
export function groupProgressIntervalMs(receivers: number): number {
  const scaled = Math.ceil((Math.max(1, receivers) * 1000) / GROUP_REPORTS_PER_SECOND);
  return Math.min(MAX_GROUP_PROGRESS_INTERVAL_MS, Math.max(DEFAULT_PROGRESS_INTERVAL_MS, scaled));
}

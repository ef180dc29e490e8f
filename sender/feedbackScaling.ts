/**
 * How often the receivers of one shared stream should report (Manifest.progressIntervalMs).
 * Every receiver reports at most once per interval while data flows, so a group of N sends up
 * to N / interval reports a second. Left at the receiver's own 20 ms, 500 receivers would send
 * 25,000 a second and the sender's control plane (one thread: frames, JSON, the sessions)
 * would spend its time reading them. As NORM and UFTP do, the interval grows with the group so
 * that the group's total stays near GROUP_REPORTS_PER_SECOND; completions are still reported at
 * once (they move the window), so what grows is only the delay of loss reports, which a large
 * group's shared repair does not wait on.
 *
 * A stream paced slowly brings each receiver little between two reports (at 47 Mbit/s, 80
 * datagrams in 20 ms), yet every report costs both ends about as much as at full speed: the
 * interval also grows to what REPORT_DATAGRAMS take at the stream's rate ceiling. At 200 Mbit/s
 * and above that is within the receivers' own 20 ms; a receiver's window of segments is seconds
 * of stream at such rates, so a loss reported tens of milliseconds later still comes in time.
 */
import { DEFAULT_PROGRESS_INTERVAL_MS } from '../receiver/progressSchedule.js';

/** What a whole group may send in routine Progress reports, per second. */
export const GROUP_REPORTS_PER_SECOND = 800;
/** The slowest a receiver is asked to report (its keep-alive is twice this). */
export const MAX_GROUP_PROGRESS_INTERVAL_MS = 2_000;

/** Datagrams a receiver should get, at the stream's rate ceiling, between two routine reports. */
export const REPORT_DATAGRAMS = 256;
/** The datagram size the rate term assumes (a default symbol with its header and tag). */
const DATAGRAM_BYTES = 1420;

/**
 * The interval for a group of `receivers`: the receivers' own default up to 16 of them, then
 * N × 1.25 ms; and at least the time REPORT_DATAGRAMS take at `rateBytesPerSecond` (0: no cap,
 * no such term).
 */
export function groupProgressIntervalMs(receivers: number, rateBytesPerSecond = 0): number {
  const scaled = Math.ceil((Math.max(1, receivers) * 1000) / GROUP_REPORTS_PER_SECOND);
  const paced = rateBytesPerSecond > 0 ? Math.ceil((REPORT_DATAGRAMS * DATAGRAM_BYTES * 1000) / rateBytesPerSecond) : 0;
  return Math.min(MAX_GROUP_PROGRESS_INTERVAL_MS, Math.max(DEFAULT_PROGRESS_INTERVAL_MS, scaled, paced));
}

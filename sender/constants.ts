/** Defaults shared by the sender's stream cores and the rate controller. */

/** Lowest pace when the rate controller has no rate to go by. */
export const MIN_RATE_FLOOR_BYTES_PER_SECOND = 1e6;
/** Share of the rate ceiling an adaptive stream never goes below. */
export const RATE_FLOOR_FRACTION = 0.05;

/**
 * The pace an adaptive stream never drops below, for a ceiling of `rateBytesPerSecond` (0 = no
 * ceiling): max(1 MB/s, 5 % of the ceiling). No receiver can stall a stream to a crawl; one that
 * cannot keep up even at the floor is dropped (shared) or ends by the control channel's timeouts.
 */
export function rateFloorBytesPerSecond(rateBytesPerSecond: number): number {
  return Math.max(MIN_RATE_FLOOR_BYTES_PER_SECOND, RATE_FLOOR_FRACTION * Math.max(0, rateBytesPerSecond));
}

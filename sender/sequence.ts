/** Sequence numbers: unwrapped (a JS number counting up) in the cores, u32 on the wire. */
/** Wire sequence numbers are u32: they count modulo 2^32. */
export const SEQUENCE_MODULUS = 2 ** 32;
/** Send times kept for this many recent sequence numbers (in-flight and delay estimates). */
export const SEND_TIME_HISTORY = 1 << 16;

/**
 * The unwrapped number of a wire sequence number that a receiver reports, given the last one
 * sent (`lastSent`, unwrapped): the closest one at or before it. -1 before anything was sent.
 */
export function unwrapSequence(lastSent: number, wire: number): number {
  if (lastSent < 0) return -1;
  return lastSent - (((lastSent % SEQUENCE_MODULUS) - wire + SEQUENCE_MODULUS) % SEQUENCE_MODULUS);
}

/**
 * One batch of the native recvmmsg reader (encoder/native/udpBatch.c, recvBatch) back into its
 * datagrams: message i sits in slot i of one buffer, `lengths[i]` bytes long (slotBytes + 1: cut
 * to the slot); with UDP GRO, `segments[i]` is the size of the datagrams the message coalesces.
 *
 * Pure, so that it can be fuzzed with lengths and counts no kernel reports
 * (bench/fuzz/batchSplitTarget.ts). Whatever it is given it never throws, hands out only views
 * inside their message's slot, and never a datagram it cannot vouch for: a cut one is dropped (a
 * GRO message keeps the whole segments before the cut). A lost datagram is what the protocol repairs; a
 * wrong one would be passed on to the parser.
 */

/**
 * One message of a GRO socket back into its datagrams: `length` bytes at `at`, cut every
 * `segment` bytes (the last may be shorter; 0: the message is one datagram). No piece is empty
 * (unless the message is: an empty datagram), none reaches outside the message; `stop` ends it
 * early (the reader was stopped). False, and nothing handed out, when the message or the segment
 * size is not a whole range of `buffer`.
 */
export function splitCoalesced(
  buffer: Uint8Array,
  at: number,
  length: number,
  segment: number,
  onDatagram: (bytes: Uint8Array) => void,
  stop: () => boolean = () => false,
): boolean {
  const end = at + length;
  if (!(Number.isSafeInteger(at) && Number.isSafeInteger(length) && Number.isSafeInteger(segment))) return false;
  if (at < 0 || length < 0 || segment < 0 || end > buffer.length) return false;
  if (segment === 0 || segment >= length) {
    onDatagram(buffer.subarray(at, end));
    return true;
  }
  for (let from = at; from < end && !stop(); from += segment) onDatagram(buffer.subarray(from, Math.min(from + segment, end)));
  return true;
}

/**
 * Hands out the datagrams of the first `count` messages of a batch, in order, until `stop`.
 * Returns how many messages were not handed out whole: cut ones, and those `count` claims beyond
 * what `lengths`, `segments` or the buffer's slots hold.
 */
export function splitBatch(
  buffer: Uint8Array,
  slotBytes: number,
  lengths: Uint32Array,
  segments: Uint32Array | undefined,
  count: number,
  onDatagram: (bytes: Uint8Array) => void,
  stop: () => boolean = () => false,
): number {
  if (!Number.isSafeInteger(count) || count <= 0) return 0;
  if (!Number.isSafeInteger(slotBytes) || slotBytes < 1) return count;
  const held = Math.min(count, lengths.length, segments?.length ?? count, Math.floor(buffer.length / slotBytes));
  let dropped = count - held;
  for (let i = 0; i < held && !stop(); i++) {
    const at = i * slotBytes;
    const length = lengths[i]!;
    const segment = segments?.[i] ?? 0;
    if (length <= slotBytes) {
      splitCoalesced(buffer, at, length, segment, onDatagram, stop);
      continue;
    }
    dropped++;
    // Cut: the kernel filled the slot. A GRO message's whole segments in it are datagrams as sent.
    const whole = segment > 0 && segment <= slotBytes ? slotBytes - (slotBytes % segment) : 0;
    if (whole > 0) splitCoalesced(buffer, at, whole, segment, onDatagram, stop);
  }
  return dropped;
}

/**
 * Fuzz target `loopback-batch`: the native sendBatch and recvBatch over 127.0.0.1 with GSO and
 * GRO on and off. Every datagram the kernel took must arrive byte for byte and in order; only a
 * datagram past the IPv4 limit may be refused (EMSGSIZE); with receive slots smaller than some
 * datagrams, those are dropped and what comes is still exact and in order.
 */
import fc from 'fast-check';
import { fail, type Of, type Target } from './asyncTarget.js';
import { EMSGSIZE, fill, loopback, MAX_DATAGRAM, native, receive, same } from './loopbackSockets.js';
import type { Verdict } from './targets.js';

const datagramLengths = fc.array(
  fc.oneof(
    { arbitrary: fc.constantFrom(0, 1, MAX_DATAGRAM), weight: 2 },
    { arbitrary: fc.integer({ min: 0, max: 2000 }), weight: 3 },
    { arbitrary: fc.constant(MAX_DATAGRAM + 1), weight: 1 },
    // A run of equal datagrams (what GSO sends as one), its last shorter or not.
    {
      arbitrary: fc
        .tuple(
          // Up to the 64 datagrams or 65,000 bytes one GSO send takes, and past them.
          fc.oneof(fc.integer({ min: 1, max: 1472 }), fc.integer({ min: 1473, max: 40_000 })),
          fc.integer({ min: 2, max: 70 }),
          fc.nat(40_000),
        )
        .map(([n, k, last]) => [...Array<number>(k).fill(n), last % (n + 1)]),
      weight: 3,
    },
  ),
  { minLength: 1, maxLength: 12 },
);

const loopbackInput = fc.record({
  lengths: datagramLengths.map((parts) => parts.flat()),
  gso: fc.boolean(),
  gro: fc.boolean(),
  // Send slots: just the longest datagram, or room to spare.
  spare: fc.oneof(fc.constant(0), fc.nat(3000)),
  // Receive slots: whole (every datagram fits) or small (cut ones).
  recvSlot: fc.oneof({ arbitrary: fc.constant(65_536), weight: 4 }, { arbitrary: fc.integer({ min: 1, max: 3000 }), weight: 1 }),
  seed: fc.nat(255),
});

/** Bytes the receive buffer may hold between reads (4 MiB asked; a datagram costs more than its payload). */
const IN_FLIGHT_BYTES = 1 << 20;

export const loopbackBatch: Target<Of<typeof loopbackInput>> = {
  name: 'loopback-batch',
  available: typeof native?.sendBatch === 'function' && typeof native.recvBatch === 'function' && typeof native.enableUdpGro === 'function',
  input: loopbackInput,
  check: async ({ lengths, gso, gro, spare, recvSlot, seed }) => {
    const pair = (await loopback())[gro ? 1 : 0]!;
    const datagrams = lengths.map((n, i) => {
      const d = new Uint8Array(n);
      fill(d, i, seed);
      return d;
    });
    const taken: Uint8Array[] = [];
    let refused = 0;
    let verdict: Verdict = 'accepted';
    const received: Uint8Array[] = [];
    for (let from = 0; from < datagrams.length;) {
      // A chunk the receive buffer holds, at most 256 (one call).
      let to = from + 1;
      for (let bytes = 2 * lengths[from]! + 2048; to < datagrams.length && to - from < 256 && bytes + 2 * lengths[to]! + 2048 < IN_FLIGHT_BYTES; to++)
        bytes += 2 * lengths[to]! + 2048;
      const chunk = datagrams.slice(from, to);
      const slot = Math.max(1, ...chunk.map((d) => d.length)) + spare;
      const buffer = new Uint8Array(chunk.length * slot);
      chunk.forEach((d, i) => buffer.set(d, i * slot));
      const l = Uint32Array.from(chunk, (d) => d.length);
      for (let at = 0, zero = 0; at < chunk.length;) {
        const sent = native!.sendBatch!(pair.txFd, buffer.subarray(at * slot), slot, l.subarray(at), chunk.length - at, gso);
        if (sent > chunk.length - at) fail(`sendBatch took ${sent} of ${chunk.length - at}`);
        if (sent === 0) {
          if (++zero > 100) fail('the send buffer stayed full');
          received.push(...(await receive(pair, recvSlot)));
          continue;
        }
        if (sent < 0) {
          // Only a datagram past the IPv4 limit may be refused, and only for its size.
          if (chunk[at]!.length <= MAX_DATAGRAM || -sent !== EMSGSIZE) fail(`a ${chunk[at]!.length}-byte datagram refused: errno ${-sent} (gso ${gso})`);
          refused++;
          verdict = 'rejected';
          at++;
          continue;
        }
        taken.push(...chunk.slice(at, at + sent));
        at += sent;
      }
      received.push(...(await receive(pair, recvSlot, recvSlot >= 65_536 ? taken.length - received.length : undefined)));
      from = to;
    }
    if (refused !== lengths.filter((n) => n > MAX_DATAGRAM).length) fail(`${refused} refused`);
    if (recvSlot >= 65_536) {
      if (received.length !== taken.length) fail(`${received.length} of ${taken.length} datagrams came`);
      for (const [i, d] of received.entries()) if (!same(d, taken[i]!)) fail(`datagram ${i} differs (${d.length} bytes, sent ${taken[i]!.length})`);
      return verdict;
    }
    // Small receive slots: cut datagrams are dropped; what comes is what was sent, in order.
    let next = 0;
    for (const d of received) {
      while (next < taken.length && !same(d, taken[next]!)) next++;
      if (next++ >= taken.length) fail(`a ${d.length}-byte datagram that was not sent, or out of order`);
    }
    // Without GRO, exactly those that fit a slot.
    if (!gro && received.length !== taken.filter((d) => d.length <= recvSlot).length) fail(`${received.length} datagrams came through ${recvSlot}-byte slots`);
    return 'rejected';
  },
};

/**
 * Fuzz target `batch-split`: receiver/batchSplit.ts with lengths, segment sizes and counts no
 * kernel reports (0, 1, a slot, a slot + 1, 2^32 - 1, NaN, negative; buffers that end inside a
 * slot), against an independent model of its contract.
 */
import fc from 'fast-check';
import { splitBatch, splitCoalesced } from '../../receiver/batchSplit.js';
import { fail, type Of, type Target } from './asyncTarget.js';

/** The pieces (offset, length) the documented contract gives, computed independently. */
function expectedPieces(bufferLength: number, slot: number, lengths: Uint32Array, segments: Uint32Array | undefined, count: number) {
  const pieces: [number, number][] = [];
  if (!Number.isSafeInteger(count) || count <= 0) return { pieces, dropped: 0 };
  if (!Number.isSafeInteger(slot) || slot < 1) return { pieces, dropped: count };
  const held = Math.min(count, lengths.length, segments ? segments.length : count, Math.floor(bufferLength / slot));
  let dropped = count - held;
  for (let i = 0; i < held; i++) {
    const at = i * slot;
    const length = lengths[i]!;
    const segment = segments ? segments[i]! : 0;
    if (length > slot) {
      dropped++;
      const whole = segment > 0 ? Math.floor(slot / segment) : 0;
      for (let k = 0; k < whole; k++) pieces.push([at + k * segment, segment]);
    } else if (segment === 0 || segment >= length) pieces.push([at, length]);
    else for (let k = 0; k * segment < length; k++) pieces.push([at + k * segment, Math.min(segment, length - k * segment)]);
  }
  return { pieces, dropped };
}

const hostileNumber = fc.constantFrom(-1, NaN, Infinity, 1.5, 2 ** 31, 2 ** 53);

const batchInput = fc
  .record({
    slot: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 64 }), weight: 4 },
      { arbitrary: fc.constantFrom(1400, 2048, 65_536), weight: 2 },
      { arbitrary: fc.oneof(fc.constant(0), hostileNumber), weight: 1 },
    ),
    slots: fc.nat(6),
    // A buffer that ends inside a slot, or short of what `count` claims.
    spare: fc.nat(63),
    lengthPicks: fc.array(fc.tuple(fc.nat(5), fc.nat(200)), { maxLength: 8 }),
    segmentPicks: fc.option(fc.array(fc.tuple(fc.nat(5), fc.nat(200)), { maxLength: 8 })),
    count: fc.oneof({ arbitrary: fc.nat(10), weight: 5 }, { arbitrary: hostileNumber, weight: 1 }),
  })
  .map(({ slot, slots, spare, lengthPicks, segmentPicks, count }) => {
    const s = Number.isSafeInteger(slot) && slot > 0 ? slot : 16;
    // 0, 1, slot - 1, slot, slot + 1 (cut), anything up to 2^32 - 1.
    const value = ([kind, n]: [number, number]) => [0, 1, Math.max(0, s - 1), s, s + 1, n % 4 === 0 ? 0xffffffff : n][kind]!;
    return {
      buffer: new Uint8Array(Math.min(s * slots + (spare % s), 1 << 20)),
      slot,
      lengths: Uint32Array.from(lengthPicks.map(value)),
      segments: segmentPicks === null ? undefined : Uint32Array.from(segmentPicks.map(value)),
      count,
    };
  });

const messageInput = fc.record({
  size: fc.nat(300),
  at: fc.oneof(fc.nat(300), hostileNumber),
  length: fc.oneof(fc.nat(300), hostileNumber),
  segment: fc.oneof(fc.constantFrom(0, 1, 2), fc.nat(400), hostileNumber),
});

type SplitCase = { batch: Of<typeof batchInput> } | { message: Of<typeof messageInput> };

export const batchSplit: Target<SplitCase> = {
  name: 'batch-split',
  available: true,
  input: fc.oneof(
    batchInput.map((batch) => ({ batch })),
    messageInput.map((message) => ({ message })),
  ),
  check: async (c) => {
    const got: [number, number][] = [];
    const on = (d: Uint8Array) => got.push([d.byteOffset, d.length]);
    if ('message' in c) {
      const { size, at, length, segment } = c.message;
      const buffer = new Uint8Array(size);
      const ok = splitCoalesced(buffer, at, length, segment, on);
      const inside = [at, length, segment].every(Number.isSafeInteger) && at >= 0 && length >= 0 && segment >= 0 && at + length <= size;
      if (ok !== inside) fail(`splitCoalesced(${size}-byte buffer, ${at}, ${length}, ${segment}) answered ${ok}`);
      if (!ok) return got.length === 0 ? 'rejected' : fail('handed out pieces of a refused message');
      let next = at;
      for (const [offset, n] of got) {
        if (offset !== next || (n === 0 && length > 0) || (segment > 0 && n > segment)) fail(`piece (${offset}, ${n}) of (${at}, ${length}) by ${segment}`);
        next += n;
      }
      if (next !== at + length) fail(`pieces end at ${next}, not ${at + length}`);
      return 'accepted';
    }
    const { buffer, slot, lengths, segments, count } = c.batch;
    const dropped = splitBatch(buffer, slot, lengths, segments, count, on);
    const want = expectedPieces(buffer.length, slot, lengths, segments, count);
    if (dropped !== want.dropped) fail(`dropped ${dropped}, expected ${want.dropped}`);
    if (JSON.stringify(got) !== JSON.stringify(want.pieces)) fail(`pieces ${JSON.stringify(got)}, expected ${JSON.stringify(want.pieces)}`);
    // Whatever the numbers, nothing outside the buffer or its message's slot.
    for (const [offset, n] of got) {
      const slotStart = Math.floor(offset / slot) * slot;
      if (offset + n > buffer.length || offset + n > slotStart + slot) fail(`piece (${offset}, ${n}) leaves its slot`);
    }
    return dropped === 0 ? 'accepted' : 'rejected';
  },
};

/**
 * Fuzz target `crc-tags`: the native CRC-32 tag batches (encoder/native/crc32Tags.c). checkCrc32Tags
 * gets datagrams sealed right, corrupted, naming another kind, too short, and ranges past the
 * buffer, with counts, kinds and arrays that do and do not fit; sealCrc32Tags gets slabs with
 * lengths and ranges that do and do not fit their slots. What the contract allows must give, for
 * every datagram, exactly node:zlib's answer (a verdict, or a tag written) and touch nothing else
 * (canaries after every array, the rest of the slab); anything else must throw
 * ERR_FOUNTCAST_NATIVE_CRC with nothing written.
 */
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { crc32Scheme } from '../../encoder/integrity.js';
import { fail, type Of, type Target } from './asyncTarget.js';
import { native } from './loopbackSockets.js';

const CRC_ERROR = 'ERR_FOUNTCAST_NATIVE_CRC';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const hostile = fc.constantFrom<unknown>(-1, 2 ** 31, 2 ** 40, NaN, Infinity, 1.5, '3', null, undefined, {}, 256, -0);

/** Datagram j of a case at `at`: 8..1600 bytes, naming `kind`, sealed or not, maybe a bit flipped after. */
const piece = fc.record({
  length: fc.oneof({ arbitrary: fc.integer({ min: 8, max: 1600 }), weight: 4 }, fc.nat(12)),
  kind: fc.oneof({ arbitrary: fc.constant(1), weight: 4 }, fc.nat(255)),
  sealed: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, fc.constant(false)),
  flip: fc.oneof({ arbitrary: fc.constant(-1), weight: 3 }, fc.nat(1600)),
  // Where it claims to be: its own place, or shifted (past the buffer, onto another).
  shift: fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, fc.integer({ min: -40, max: 40 }), fc.constant(1 << 20)),
});

const input = fc.record({
  op: fc.constantFrom('check', 'seal'),
  pieces: fc.array(piece, { maxLength: 12 }),
  seed: fc.nat(255),
  count: fc.oneof({ arbitrary: fc.constant<unknown>('fit'), weight: 6 }, fc.nat(20), hostile),
  kind: fc.oneof({ arbitrary: fc.constant<unknown>(1), weight: 6 }, fc.nat(255), hostile),
  arrays: fc.oneof({ arbitrary: fc.constant('fit'), weight: 6 }, fc.constantFrom('short-offsets', 'short-verdicts', 'i32', 'array')),
  slot: fc.oneof({ arbitrary: fc.constant<unknown>('fit'), weight: 6 }, fc.constantFrom<unknown>(3, 4, 7, 100), hostile),
  from: fc.oneof({ arbitrary: fc.constant<unknown>(0), weight: 6 }, fc.nat(14), hostile),
});

type Input = Of<typeof input>;

function throwsTyped(run: () => unknown): boolean {
  try {
    run();
    return false;
  } catch (e) {
    if ((e as { code?: string }).code !== CRC_ERROR) fail(`threw ${(e as Error).message} without ${CRC_ERROR}`);
    return true;
  }
}

const tagOf = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset + d.length - 4, 4).readUInt32BE(0);

function checkCase(x: Input): 'accepted' | 'rejected' {
  // Lay the pieces out one after another, each written as a datagram would be.
  const at: number[] = [];
  let size = 0;
  for (const p of x.pieces) {
    at.push(size);
    size += p.length;
  }
  const buffer = new Uint8Array(size + 64);
  for (let i = 0; i < buffer.length; i++) buffer[i] = (x.seed + i * 13) & 0xff;
  x.pieces.forEach((p, j) => {
    const d = buffer.subarray(at[j]!, at[j]! + p.length);
    if (d.length > 4) d[4] = p.kind;
    if (p.sealed && d.length >= 4) crc32Scheme.seal(d, d.length - 4);
    if (p.flip >= 0 && p.flip < d.length) d[p.flip]! ^= 1 << (p.flip & 7);
  });
  const n = x.pieces.length;
  const offsets = new Uint32Array(n + 1).fill(0xdeadbeef);
  const lengths = new Uint32Array(n + 1).fill(0xdeadbeef);
  x.pieces.forEach((p, j) => {
    offsets[j] = Math.max(0, at[j]! + p.shift);
    lengths[j] = p.length;
  });
  const verdicts = new Uint8Array(n + 1).fill(0x5a);
  const before = buffer.slice();
  const count = x.count === 'fit' ? n : x.count;
  const args: unknown[] = [
    buffer,
    x.arrays === 'short-offsets'
      ? offsets.subarray(0, Math.max(0, n - 1))
      : x.arrays === 'i32'
        ? new Int32Array(n)
        : x.arrays === 'array'
          ? [...offsets]
          : offsets.subarray(0, n),
    lengths.subarray(0, n),
    count,
    x.kind,
    x.arrays === 'short-verdicts' ? verdicts.subarray(0, Math.max(0, n - 1)) : verdicts.subarray(0, n),
  ];
  const typed = x.arrays !== 'i32' && x.arrays !== 'array';
  const room = Math.min((args[1] as ArrayLike<number>).length, n, (args[5] as Uint8Array).length);
  const allowed = typed && isInt(count) && count >= 0 && count <= room && isInt(x.kind) && x.kind >= 0 && x.kind <= 255;
  const threw = throwsTyped(() => native!.checkCrc32Tags!(...(args as Parameters<NonNullable<typeof native>['checkCrc32Tags'] & object>)));
  if (threw === allowed) fail(`checkCrc32Tags ${threw ? 'refused' : 'took'} ${x.arrays} count=${String(count)} kind=${String(x.kind)}`);
  if (!Buffer.from(buffer).equals(before)) fail('checkCrc32Tags wrote into the datagrams');
  if (threw) {
    if (verdicts.some((v) => v !== 0x5a)) fail('a refused call wrote verdicts');
    return 'rejected';
  }
  if (verdicts[n] !== 0x5a) fail('a verdict past the array');
  let right = 0;
  for (let j = 0; j < (count as number); j++) {
    const o = offsets[j]!;
    const len = lengths[j]!;
    const d = buffer.subarray(o, o + len);
    const expected = len >= 8 && o + len <= buffer.length && d[4] === x.kind && crc32(d.subarray(0, len - 4)) === tagOf(d) ? 1 : 0;
    if (verdicts[j] !== expected) fail(`datagram ${j} (${o}+${len}): verdict ${verdicts[j]}, zlib says ${expected}`);
    right += expected;
  }
  for (let j = count as number; j < n; j++) if (verdicts[j] !== 0x5a) fail(`a verdict for datagram ${j}, past the count`);
  return right > 0 ? 'accepted' : 'rejected';
}

function sealCase(x: Input): 'accepted' | 'rejected' {
  const n = x.pieces.length;
  const longest = Math.max(4, ...x.pieces.map((p) => p.length));
  const slot = x.slot === 'fit' ? longest : x.slot;
  const slots = isInt(slot) && slot > 0 && slot < 1 << 16 ? slot : 16;
  const slab = new Uint8Array(n * slots + 32);
  for (let i = 0; i < slab.length; i++) slab[i] = (x.seed * 7 + i) & 0xff;
  const lengths = Uint32Array.from(x.pieces, (p) => p.length);
  const to = x.count === 'fit' ? n : x.count;
  const before = slab.slice();
  const { from } = x;
  const allowed =
    isInt(slot) &&
    slot >= 4 &&
    slot <= 0x7fffffff &&
    isInt(from) &&
    isInt(to) &&
    from >= 0 &&
    to >= from &&
    to <= n &&
    to * slot <= slab.length &&
    x.arrays !== 'i32' &&
    x.arrays !== 'array'
      ? lengths.subarray(from, to).every((l) => l >= 4 && l <= slot)
      : false;
  const lengthArg = x.arrays === 'i32' ? new Int32Array(lengths) : x.arrays === 'array' ? [...lengths] : lengths;
  const threw = throwsTyped(() => native!.sealCrc32Tags!(slab, slot as number, lengthArg as Uint32Array, from as number, to as number));
  if (threw === allowed) fail(`sealCrc32Tags ${threw ? 'refused' : 'took'} slot=${String(slot)} ${String(from)}..${String(to)}`);
  if (threw) {
    if (!Buffer.from(slab).equals(before)) fail('a refused seal wrote into the slab');
    return 'rejected';
  }
  const expected = before.slice();
  for (let i = from as number; i < (to as number); i++) {
    const d = expected.subarray(i * (slot as number), i * (slot as number) + lengths[i]!);
    crc32Scheme.seal(d, d.length - 4);
  }
  if (!Buffer.from(slab).equals(expected)) fail('the sealed slab is not what node:zlib seals, tag for tag and nothing else');
  return (to as number) > (from as number) ? 'accepted' : 'rejected';
}

export const crcTags: Target<Input> = {
  name: 'crc-tags',
  available: typeof native?.checkCrc32Tags === 'function',
  input,
  check: (x) => Promise.resolve(x.op === 'check' ? checkCase(x) : sealCase(x)),
};

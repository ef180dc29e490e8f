/**
 * Fuzz targets for the batched datagram paths: the split of a recvmmsg batch into datagrams
 * (receiver/batchSplit.ts) and the native sendBatch / recvBatch / enableUdpGro
 * (encoder/native/udpBatch.c) over real loopback sockets. Each case must end in datagrams that
 * are byte for byte the ones sent, in order, or in a typed refusal (ERR_FOUNTCAST_NATIVE_UDP, a
 * negative errno): never a stray exception, a crash, a byte written outside the caller's arrays,
 * or a wrong byte handed on.
 *
 * Unlike the parser targets (targets.ts) these are async and hold sockets (127.0.0.1, port 0),
 * opened at the first case and released by closeBatchTargets(). CI runs a few seeded cases of
 * each (test/fuzz/batch.test.ts); `npm run fuzz` runs them longer.
 */
import { createSocket, type Socket } from 'node:dgram';
import fc from 'fast-check';
import { loadNativeCrypto } from '../../encoder/nativeCrypto.js';
import { splitBatch, splitCoalesced } from '../../receiver/batchSplit.js';
import { socketDescriptor } from '../../util/socketDescriptor.js';
import type { Verdict } from './targets.js';

export interface BatchFuzzTarget {
  readonly name: string;
  /** False where the native module is not built (the target needs it). */
  readonly available: boolean;
  property(): fc.IAsyncPropertyWithHooks<[unknown]>;
  census(seed: number, n: number): Promise<{ accepted: number; rejected: number }>;
}

interface Target<T> {
  readonly name: string;
  readonly available: boolean;
  readonly input: fc.Arbitrary<T>;
  /** Runs one case; throws on a violated invariant. */
  readonly check: (input: T) => Promise<Verdict>;
}

function runnable<T>(t: Target<T>): BatchFuzzTarget {
  return {
    name: t.name,
    available: t.available,
    property: () =>
      fc.asyncProperty(t.input, async (x) => {
        await t.check(x);
      }) as unknown as fc.IAsyncPropertyWithHooks<[unknown]>,
    async census(seed, n) {
      const counts = { accepted: 0, rejected: 0 };
      for (const x of fc.sample(t.input, { seed, numRuns: n })) counts[await t.check(x)]++;
      return counts;
    },
  };
}

/** The value type of an arbitrary. */
type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;

const native = loadNativeCrypto().module;
const UDP_ERROR = 'ERR_FOUNTCAST_NATIVE_UDP';
/** The largest UDP payload over IPv4; one more is EMSGSIZE. */
const MAX_DATAGRAM = 65_507;
const EMSGSIZE = 90;

function fail(why: string): never {
  throw new Error(why);
}

// ---- the split of a batch (pure) ----

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

const batchSplit: Target<SplitCase> = {
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

// ---- loopback sockets ----

interface Pair {
  rx: Socket;
  tx: Socket;
  rxFd: number;
  txFd: number;
  gro: boolean;
}

let pairs: Promise<Pair[]> | undefined;

async function openPair(gro: boolean): Promise<Pair> {
  const rx = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const tx = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => tx.connect(rx.address().port, '127.0.0.1', r));
  const rxHandle = socketDescriptor(rx) ?? fail('no descriptor for the receiving socket');
  rxHandle.recvStop();
  const txFd = socketDescriptor(tx)?.fd ?? fail('no descriptor for the sending socket');
  if (gro && native!.enableUdpGro!(rxHandle.fd) !== 0) fail('UDP GRO refused on loopback');
  return { rx, tx, rxFd: rxHandle.fd, txFd, gro };
}

/** Three pairs: plain receiver, GRO receiver (loopback target), and one for hostile arguments. */
function loopback(): Promise<Pair[]> {
  pairs ??= Promise.all([openPair(false), openPair(true), openPair(false)]);
  return pairs;
}

/** Closes the sockets the targets opened (after the last case). */
export async function closeBatchTargets(): Promise<void> {
  const open = pairs;
  pairs = undefined;
  for (const p of (await open) ?? []) {
    p.rx.close();
    p.tx.close();
  }
}

const RECV_SLOTS = 32;
const recvBuffer = new Uint8Array(65_536 * RECV_SLOTS);
const recvLengths = new Uint32Array(RECV_SLOTS);
const recvSegments = new Uint32Array(RECV_SLOTS);
const pause = () => new Promise((r) => setTimeout(r, 1));

/**
 * Reads `pair`'s receiver until `want` datagrams came (then one more poll: no extra one may
 * follow), or, without `want`, until a few polls find nothing; splits with `slot`-byte slots.
 */
async function receive(pair: Pair, slot: number, want?: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const slots = Math.min(RECV_SLOTS, Math.floor(recvBuffer.length / slot));
  for (let idle = 0; idle < (want === undefined ? 4 : 500);) {
    const got = native!.recvBatch!(pair.rxFd, recvBuffer, slot, recvLengths.subarray(0, slots), pair.gro ? recvSegments : undefined);
    if (got < 0) fail(`recvBatch failed: errno ${-got}`);
    if (got > slots) fail(`recvBatch reported ${got} messages in ${slots} slots`);
    splitBatch(recvBuffer, slot, recvLengths, pair.gro ? recvSegments : undefined, got, (d) => out.push(d.slice()));
    if (want !== undefined && out.length >= want) {
      if (out.length > want || native!.recvBatch!(pair.rxFd, recvBuffer, slot, recvLengths) !== 0) fail('more datagrams than were sent');
      return out;
    }
    if (got === 0) {
      idle++;
      await pause();
    } else idle = 0;
  }
  return want === undefined ? out : fail(`${out.length} of ${want} datagrams came`);
}

/** Datagram `i` of a case: its bytes tell its index and position apart. */
function fill(bytes: Uint8Array, i: number, seed: number): void {
  for (let j = 0; j < bytes.length; j++) bytes[j] = (seed + i * 131 + j * 7 + (j >> 8)) & 0xff;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

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

const loopbackBatch: Target<Of<typeof loopbackInput>> = {
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

// ---- the native functions' argument checks ----

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 2 ** 53;
const isU32 = (v: unknown): v is Uint32Array => v instanceof Uint32Array;
const fdOk = (fd: unknown) => isInt(fd) && fd >= 0 && fd <= 0x7fffffff;

/** Whether the module must take these arguments (the documented contract; else it must throw ERR_FOUNTCAST_NATIVE_UDP). */
function acceptable(fn: NativeFn, a: unknown[]): boolean {
  if (fn === 'enableUdpGro') return a.length >= 1 && fdOk(a[0]);
  const [fd, buffer, slot, lengths, count] = a;
  const types = isInt(fd) && buffer instanceof Uint8Array && isInt(slot) && isU32(lengths);
  if (!types || !fdOk(fd) || slot < 1 || slot > 0x7ffffffe) return false;
  if (fn === 'recvBatch') return a.length >= 4 && (a.length < 5 || a[4] === undefined || isU32(a[4]));
  if (a.length < 5 || !isInt(count) || (a.length >= 6 && a[5] !== undefined && typeof a[5] !== 'boolean')) return false;
  return count >= 0 && count <= 256 && count <= lengths.length && count * slot <= buffer.length && lengths.subarray(0, count).every((n) => n <= slot);
}

type NativeFn = 'recvBatch' | 'sendBatch' | 'enableUdpGro';

const hostileArg = fc.constantFrom<unknown>(-1, 2 ** 31, 2 ** 33, NaN, Infinity, -Infinity, 1.5, -0, '3', null, undefined, {}, [], 3n, true);
/** Descriptors that are surely not open (the test process's own, such as its IPC channel, are never tried). */
const closedFd = fc.constantFrom(999_999, 0x7fffffff);

const argsInput = fc.record({
  fn: fc.constantFrom<NativeFn>('recvBatch', 'sendBatch', 'enableUdpGro'),
  fd: fc.oneof({ arbitrary: fc.constant<unknown>('own'), weight: 6 }, closedFd, hostileArg),
  slot: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3000 }), weight: 6 }, fc.constantFrom<unknown>(0, -5, 0x7fffffff, 65_536), hostileArg),
  slots: fc.nat(8),
  spare: fc.nat(100),
  // The buffer as some other view, or nothing typed at all.
  bufferKind: fc.oneof(
    { arbitrary: fc.constant('u8'), weight: 8 },
    fc.constantFrom('buffer', 'u16', 'clamped', 'i8', 'dataview', 'arraybuffer', 'string', 'null'),
  ),
  lengthsKind: fc.oneof({ arbitrary: fc.constant('u32'), weight: 8 }, fc.constantFrom('i32', 'u16', 'f64', 'array', 'null')),
  lengthsCount: fc.oneof(fc.nat(10), fc.constantFrom(0, 256, 300)),
  // Datagram lengths relative to the slot: 0, 1, slot, slot + 1 (too long), any.
  lengthPicks: fc.array(fc.tuple(fc.nat(4), fc.nat(3000)), { maxLength: 10 }),
  count: fc.oneof({ arbitrary: fc.constant<unknown>('fit'), weight: 4 }, fc.nat(300), hostileArg),
  extra: fc.oneof(
    { arbitrary: fc.constant<unknown>('none'), weight: 3 },
    fc.constantFrom<unknown>(true, false, 'segments', 'short-segments', undefined, 1, 'yes', new Int32Array(4)),
  ),
  // Arguments dropped from the end.
  drop: fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, fc.nat(6)),
  queued: fc.array(fc.nat(3000), { maxLength: 6 }),
  seed: fc.nat(255),
});

const CANARY = 64;

/** A view with CANARY elements of pattern on each side, and the whole backing filled with it. */
function guarded<A extends Uint8Array | Uint32Array>(make: (n: number) => A, n: number): { view: A; backing: A; before: A } {
  const backing = make(n + 2 * CANARY);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 37 + 11) & 0xff;
  const before = backing.slice() as A;
  return { view: backing.subarray(CANARY, CANARY + n) as A, backing, before };
}

/** Elements of `backing` that changed outside [from, to) of the view. */
function changedOutside(g: { backing: Uint8Array | Uint32Array; before: Uint8Array | Uint32Array }, from: number, to: number): number {
  for (let i = 0; i < g.backing.length; i++) if ((i < CANARY + from || i >= CANARY + to) && g.backing[i] !== g.before[i]) return i - CANARY;
  return -1;
}

const nativeArgs: Target<Of<typeof argsInput>> = {
  name: 'native-args',
  available: loopbackBatch.available,
  input: argsInput,
  check: async (c) => {
    const pair = (await loopback())[2]!;
    const slotNumber = isInt(c.slot) && c.slot > 0 && c.slot <= 3000 ? c.slot : 16;
    const bufferBytes = slotNumber * c.slots + c.spare;
    const buffer = guarded((n) => new Uint8Array(n), bufferBytes);
    const lengths = guarded((n) => new Uint32Array(n), c.lengthsCount);
    c.lengthPicks.forEach(([kind, n], i) => {
      if (i < lengths.view.length) lengths.view[i] = [0, 1, slotNumber, slotNumber + 1, n][kind]!;
    });
    lengths.before.set(lengths.backing);
    const segments = guarded((n) => new Uint32Array(n), c.extra === 'short-segments' ? 1 : RECV_SLOTS);
    const bufferArg: unknown = {
      u8: buffer.view,
      buffer: Buffer.from(buffer.view.buffer, buffer.view.byteOffset, buffer.view.length),
      u16: new Uint16Array(8),
      clamped: new Uint8ClampedArray(bufferBytes),
      i8: new Int8Array(bufferBytes),
      dataview: new DataView(new ArrayBuffer(bufferBytes)),
      arraybuffer: new ArrayBuffer(bufferBytes),
      string: 'x'.repeat(bufferBytes),
      null: null,
    }[c.bufferKind];
    const lengthsArg: unknown = {
      u32: lengths.view,
      i32: new Int32Array(c.lengthsCount),
      u16: new Uint16Array(c.lengthsCount),
      f64: new Float64Array(c.lengthsCount),
      array: [...lengths.view],
      null: null,
    }[c.lengthsKind];
    const own = c.fn === 'recvBatch' ? pair.rxFd : pair.txFd;
    const fd = c.fd === 'own' ? own : c.fd;
    const fit = Math.min(lengths.view.length, Math.floor(bufferBytes / slotNumber), 256);
    const count = c.count === 'fit' ? fit : c.count;
    const extra = c.extra === 'segments' || c.extra === 'short-segments' ? segments.view : c.extra;
    const full =
      c.fn === 'enableUdpGro'
        ? [fd]
        : c.fn === 'recvBatch'
          ? [fd, bufferArg, c.slot, lengthsArg, ...(extra === 'none' || typeof extra === 'boolean' ? [] : [extra])]
          : [fd, bufferArg, c.slot, lengthsArg, count, ...(extra === 'none' ? [] : [extra])];
    const args = full.slice(0, Math.max(0, full.length - c.drop));
    // The segments array the call got, if any (it may have been dropped from the end).
    const given = c.fn === 'recvBatch' && args[4] === segments.view ? segments.view : undefined;

    // Datagrams waiting at the receiver (recvBatch must hand them over whole, or leave them).
    const queued = c.fn === 'recvBatch' ? c.queued.map((n, i) => Uint8Array.from({ length: n }, (_, j) => (c.seed + i * 131 + j * 7) & 0xff)) : [];
    if (queued.length > 0) {
      const slot = 3000;
      const b = new Uint8Array(queued.length * slot);
      queued.forEach((d, i) => b.set(d, i * slot));
      if (
        native!.sendBatch!(
          pair.txFd,
          b,
          slot,
          Uint32Array.from(queued, (d) => d.length),
          queued.length,
          false,
        ) !== queued.length
      )
        fail('could not queue the datagrams');
    }
    // What sendBatch would send, read before the call.
    const outgoing =
      c.fn === 'sendBatch' && isInt(count) && count >= 0 && count <= 256
        ? Array.from({ length: Math.min(count, lengths.view.length) }, (_, i) =>
            buffer.view.slice(i * slotNumber, i * slotNumber + Math.min(lengths.view[i]!, slotNumber)),
          )
        : [];

    const ok = acceptable(c.fn, args);
    let result: number;
    try {
      result = (native![c.fn] as unknown as (...a: unknown[]) => number)(...args);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== UDP_ERROR) fail(`${c.fn} threw ${String(e)} (code ${(e as NodeJS.ErrnoException).code})`);
      if (ok) fail(`${c.fn} refused arguments it must take: ${describe(args)}`);
      result = NaN;
    }
    if (!ok && !Number.isNaN(result)) fail(`${c.fn} took arguments it must refuse: ${describe(args)} -> ${result}`);
    if (!Number.isNaN(result) && !Number.isInteger(result)) fail(`${c.fn} returned ${result}`);

    // Nothing written outside what the call may write.
    let writable = 0;
    let reported = 0;
    if (c.fn === 'recvBatch' && result > 0 && fd === pair.rxFd) {
      const slot = c.slot as number;
      const limit = Math.min(lengths.view.length, Math.floor(bufferBytes / slot), 256, given ? given.length : 256);
      if (result > limit || result > queued.length) fail(`recvBatch read ${result} into ${limit} slots (${queued.length} queued)`);
      for (let i = 0; i < result; i++) {
        const d = queued[i]!;
        const kept = Math.min(d.length, slot);
        if (lengths.view[i] !== (d.length > slot ? slot + 1 : d.length)) fail(`length ${lengths.view[i]} reported for a ${d.length}-byte datagram`);
        if (!same(buffer.view.subarray(i * slot, i * slot + kept), d.subarray(0, kept))) fail(`datagram ${i} read wrong`);
        for (let j = i * slot + kept; j < (i + 1) * slot; j++)
          if (buffer.view[j] !== buffer.before[CANARY + j]) fail(`byte ${j} of slot ${i} written past the datagram`);
        if (given && given[i] !== 0) fail(`segment size ${given[i]} reported without GRO`);
      }
      writable = result * slot;
      reported = result;
    } else if (c.fn === 'recvBatch' && result < 0 && fd === pair.rxFd) fail(`recvBatch on the socket failed: errno ${-result}`);
    if (c.fn === 'recvBatch' && fd !== pair.rxFd && result > 0) fail(`recvBatch read ${result} from descriptor ${String(fd)}`);
    const at = changedOutside(buffer, 0, writable);
    if (at >= 0) fail(`${c.fn} wrote buffer byte ${at} (of ${bufferBytes}; ${writable} writable)`);
    if (changedOutside(lengths, 0, reported) >= 0) fail(`${c.fn} wrote lengths[${changedOutside(lengths, 0, reported)}]`);
    if (changedOutside(segments, 0, given ? reported : 0) >= 0) fail(`${c.fn} wrote segments[${changedOutside(segments, 0, reported)}]`);

    // The queue is whole: what was not read still comes, in order; a send delivered exactly what it said.
    if (c.fn === 'recvBatch') {
      const rest = await receive(pair, 65_536, queued.length - Math.max(0, reported));
      rest.forEach((d, i) => same(d, queued[reported + i]!) || fail(`queued datagram ${reported + i} came wrong`));
    } else if (c.fn === 'sendBatch') {
      const sent = fd === pair.txFd && result > 0 ? result : 0;
      if (fd === pair.txFd && result < 0 && !(outgoing[0]!.length > MAX_DATAGRAM && -result === EMSGSIZE)) fail(`sendBatch failed: errno ${-result}`);
      const came = await receive(pair, 65_536, sent);
      came.forEach((d, i) => same(d, outgoing[i]!) || fail(`sent datagram ${i} came wrong`));
    }
    return Number.isNaN(result) || result < 0 ? 'rejected' : 'accepted';
  },
};

function describe(args: unknown[]): string {
  return args
    .map((a) =>
      ArrayBuffer.isView(a)
        ? `${a.constructor.name}(${(a as Uint8Array).length ?? a.byteLength})`
        : typeof a === 'bigint'
          ? `${a}n`
          : (JSON.stringify(a) ?? String(a)),
    )
    .join(', ');
}

export const BATCH_FUZZ_TARGETS: readonly BatchFuzzTarget[] = [runnable(batchSplit), runnable(loopbackBatch), runnable(nativeArgs)];

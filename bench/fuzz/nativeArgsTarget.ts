/**
 * Fuzz target `native-args`: recvBatch, sendBatch and enableUdpGro with wrong types, numbers out
 * of range or not integers, buffers and arrays shorter than claimed, arguments missing. What the
 * documented contract allows must run (on the target's own sockets, or a descriptor surely not
 * open), anything else must throw ERR_FOUNTCAST_NATIVE_UDP; either way nothing is written outside
 * what the call may write (guard bytes around every array), and the socket's queue stays whole.
 */
import fc from 'fast-check';
import { fail, type Of, type Target } from './asyncTarget.js';
import { EMSGSIZE, loopback, MAX_DATAGRAM, native, receive, RECV_SLOTS, same, UDP_ERROR } from './loopbackSockets.js';
import { loopbackBatch } from './loopbackTarget.js';

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

export const nativeArgs: Target<Of<typeof argsInput>> = {
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

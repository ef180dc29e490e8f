import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { slotSealer, type SlotSealer } from '../../encoder/crc32Tags.js';
import { BATCH, DatagramBatchPump, nativeSendBatch, slotFor, type SendBatch } from '../../sender/datagramBatchPump.js';
import type { TransmitSource } from '../../sender/datagramPump.js';
import { socketDescriptor } from '../../util/socketDescriptor.js';
import { closeLoopbackPairs, loopbackPair } from '../helpers/loopbackPair.js';

/** A source with `n` datagrams due, datagram i 16 bytes of (i & 0xff); `own` ones in a buffer of the core's own, `len` bytes. */
function source(n: number, own: (i: number) => number | undefined = () => undefined): TransmitSource {
  let given = 0;
  return {
    datagramLength: 16,
    pollTransmit(_now: number, out: Uint8Array) {
      if (given >= n) return undefined;
      const i = given++;
      const len = own(i);
      if (len !== undefined) return new Uint8Array(len).fill(i & 0xff);
      return out.fill(i & 0xff);
    },
  };
}

/** A kernel that takes `takes(call)` datagrams per call (0: full; negative: -errno for the first). */
function kernel(takes: (call: number, count: number) => number) {
  const wire: number[][] = [];
  let calls = 0;
  const send: SendBatch = (_fd, buffer, slot, lengths, count) => {
    const n = takes(calls++, count);
    for (let i = 0; i < Math.min(n, count); i++) wire.push([...buffer.subarray(i * slot, i * slot + lengths[i]!)]);
    return Math.min(n, count);
  };
  return { send, wire, calls: () => calls };
}

function harness(takes: (call: number, count: number) => number) {
  const k = kernel(takes);
  const errors: Error[] = [];
  let drained = 0;
  const pump = new DatagramBatchPump(3, k.send, { onError: (e) => errors.push(e), onDrained: () => drained++ });
  return { pump, wire: k.wire, calls: k.calls, errors, drained: () => drained };
}

describe('DatagramBatchPump', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends everything due in batches of BATCH, in order, one call per batch', () => {
    const h = harness((_c, count) => count);
    expect(h.pump.pump(0, source(BATCH * 3 + 5))).toBe(true);
    expect(h.calls()).toBe(4);
    expect(h.wire.map((d) => d[0])).toEqual([...Array(BATCH * 3 + 5).keys()].map((i) => i & 0xff));
    expect(h.wire.every((d) => d.length === 16)).toBe(true);
    expect(h.pump.idle).toBe(true);
  });

  it('holds what a full send buffer left, in order, retries, and reports drained', () => {
    // Call 0 takes 10, call 1 finds the buffer full; the retry takes the rest.
    const h = harness((c, count) => (c === 0 ? 10 : c === 1 ? 0 : count));
    expect(h.pump.pump(0, source(BATCH + 4))).toBe(false);
    expect(h.pump.idle).toBe(false);
    expect(h.pump.pump(0, source(1))).toBe(false); // paused: takes nothing new
    expect(h.wire).toHaveLength(10);
    vi.advanceTimersByTime(1);
    expect(h.drained()).toBe(1);
    expect(h.wire.map((d) => d[0])).toEqual([...Array(BATCH).keys()]);
    expect(h.pump.pump(0, source(4))).toBe(true);
    expect(h.wire).toHaveLength(BATCH + 4);
  });

  it('drops a datagram the kernel refuses, reports it with its code, and sends the rest', () => {
    const h = harness((c, count) => (c === 0 ? -111 : count)); // ECONNREFUSED on Linux
    expect(h.pump.pump(0, source(5))).toBe(true);
    expect(h.wire.map((d) => d[0])).toEqual([1, 2, 3, 4]);
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]!.message).toMatch(/ECONNREFUSED/);
  });

  it('copies a datagram the core made in its own buffer into its slot, and drops one longer than a slot', () => {
    const h = harness((_c, count) => count);
    const slot = slotFor(16);
    expect(
      h.pump.pump(
        0,
        source(5, (i) => (i === 1 ? 9 : i === 2 ? slot + 1 : i === 3 ? slot : undefined)),
      ),
    ).toBe(true);
    expect(h.wire.map((d) => d.length)).toEqual([16, 9, slot, 16]);
    expect(h.wire[1]).toEqual(Array(9).fill(1));
    expect(h.wire[2]).toEqual(Array(slot).fill(3));
    expect(h.errors.map((e) => e.message)).toEqual([expect.stringMatching(new RegExp(`${slot + 1}-byte datagram exceeds`))]);
  });

  it('with a sealer, tags every datagram once, just before the kernel first sees it, through partial sends and retries', () => {
    // Call 0 takes 10, call 1 finds the buffer full, call 2 refuses the first, the rest take all.
    const k = kernel((c, count) => (c === 0 ? 10 : c === 1 ? 0 : c === 2 ? -1 : count));
    let sealed = 0;
    const seal = slotSealer();
    const counting: SlotSealer = (buffer, slot, lengths, from, to) => {
      sealed += to - from;
      seal(buffer, slot, lengths, from, to);
    };
    const errors: Error[] = [];
    const pump = new DatagramBatchPump(3, k.send, { onError: (e) => errors.push(e), onDrained: () => undefined }, false, counting);
    expect(
      pump.pump(
        0,
        source(BATCH + 4, (i) => (i === 5 ? 24 : undefined)),
      ),
    ).toBe(false);
    vi.advanceTimersByTime(5);
    expect(pump.pump(0, source(BATCH * 2))).toBe(true);
    expect(errors).toHaveLength(1);
    // The first source's last 4 were never polled (the pump paused at its first full batch).
    const total = BATCH * 3;
    expect(sealed).toBe(total);
    expect(k.wire).toHaveLength(total - 1);
    for (const d of k.wire) {
      const bytes = Uint8Array.from(d);
      const tag = Buffer.from(bytes.subarray(-4)).readUInt32BE(0);
      expect(tag).toBe(crc32(bytes.subarray(0, -4)));
    }
    expect(k.wire.some((d) => d.length === 24)).toBe(true);
  });

  it('stops retrying once closed', () => {
    const h = harness(() => 0);
    expect(h.pump.pump(0, source(3))).toBe(false);
    h.pump.close();
    vi.advanceTimersByTime(10);
    expect(h.calls()).toBe(1);
    expect(h.drained()).toBe(0);
  });
});

const sendBatch = nativeSendBatch();
afterEach(closeLoopbackPairs);

describe.runIf(sendBatch)('sendBatch (native sendmmsg) on a real connected socket (skipped without the native module)', () => {
  it('delivers every datagram whole and in order, and rejects bad arguments with a typed error', async () => {
    if (process.env.FOUNTCAST_REQUIRE_NATIVE === '1') expect(sendBatch).toBeDefined();
    const { rx, tx } = await loopbackPair({ bindSender: true });
    const got: Buffer[] = [];
    const all = new Promise<void>((r) => rx.on('message', (m) => got.push(m) === 70 && r()));
    const fd = socketDescriptor(tx)!.fd;
    const pump = new DatagramBatchPump(fd, sendBatch!, { onError: (e) => expect.fail(e.message), onDrained: () => undefined });
    expect(
      pump.pump(
        0,
        source(70, (i) => (i % 7 === 3 ? i % 16 : undefined)),
      ),
    ).toBe(true);
    await all;
    expect(got.map((d) => d[0] ?? -1)).toEqual([...Array(70).keys()].map((i) => (i % 7 === 3 && i % 16 === 0 ? -1 : i)));
    expect(got.map((d) => d.length)).toEqual([...Array(70).keys()].map((i) => (i % 7 === 3 ? i % 16 : 16)));

    const call = sendBatch as unknown as (...a: unknown[]) => number;
    const lengths = new Uint32Array([4, 4]);
    for (const args of [
      [],
      [fd, new Uint8Array(8), 4, lengths],
      [fd, new Uint8Array(8), 4, new Int32Array(2), 2],
      [fd, new Uint8Array(8), 4, lengths, 3], // more than lengths
      [fd, new Uint8Array(7), 4, lengths, 2], // the buffer does not hold the slots
      [fd, new Uint8Array(8), 4, new Uint32Array([4, 5]), 2], // longer than its slot
      [fd, new Uint8Array(8), 0, lengths, 2],
      [-1, new Uint8Array(8), 4, lengths, 2],
      [fd, new Uint8Array(8), 4, lengths, -1],
      [fd, new Uint8Array(8), 4, lengths, NaN], // not integers: no longer 0 and 1
      [fd, new Uint8Array(8), 4, lengths, 1.5],
      [fd, new Uint8Array(8), 4, lengths, 2, 1], // gso not a boolean
    ])
      expect(() => call(...args), JSON.stringify(args.map(String))).toThrow(expect.objectContaining({ code: 'ERR_FOUNTCAST_NATIVE_UDP' }));
    expect(call(999_999, new Uint8Array(8), 4, lengths, 2)).toBeLessThan(0); // -EBADF, no throw
    expect(call(fd, new Uint8Array(8), 4, lengths, 0)).toBe(0);
    expect(call(fd, new Uint8Array(8), 4, lengths, 0, undefined)).toBe(0); // an optional gso left undefined is absent
  });
});

describe.runIf(sendBatch)('sendBatch with UDP GSO on a real connected socket (skipped without the native module)', () => {
  it('delivers runs of equal datagrams, a shorter last, longer and empty ones between, each whole and in order', async () => {
    const { rx, tx } = await loopbackPair({ recvBufferSize: 4 << 20, bindSender: true });
    const fd = socketDescriptor(tx)!.fd;
    // Runs of 1400, a shorter one ending a run, a longer one (a combined resend) starting
    // another, an empty one alone, and more than a GSO send holds (64 x 1400 > 65,000 bytes).
    const lengths = [...Array(50).fill(1400), 900, 1400, 1400, 1472, 1400, 0, ...Array(120).fill(1400), 77];
    const slot = 2048;
    const got: Buffer[] = [];
    const all = new Promise<void>((r) => rx.on('message', (m) => got.push(m) === lengths.length && r()));
    let offered = 0;
    while (offered < lengths.length) {
      const count = Math.min(256, lengths.length - offered);
      const buffer = new Uint8Array(count * slot);
      const l = new Uint32Array(count);
      for (let i = 0; i < count; i++) {
        l[i] = lengths[offered + i]!;
        buffer.fill((offered + i) & 0xff, i * slot, i * slot + l[i]!);
      }
      const sent = sendBatch!(fd, buffer, slot, l, count, true);
      expect(sent).toBe(count);
      offered += count;
    }
    await Promise.race([all, new Promise((r) => setTimeout(r, 3000))]);
    expect(got.map((d) => d.length)).toEqual(lengths);
    for (const [i, d] of got.entries())
      expect(
        d.every((b) => b === (i & 0xff)),
        `datagram ${i}`,
      ).toBe(true);
  });

  it('falls back to plain sends for good when the kernel refuses GSO, dropping nothing', () => {
    const calls: (boolean | undefined)[] = [];
    const send: SendBatch = (_fd, _b, _s, _l, count, gso) => {
      calls.push(gso);
      return gso ? -22 : count; // EINVAL with GSO, as a device without it answers
    };
    let off: string | undefined;
    const pump = new DatagramBatchPump(9, send, { onError: (e) => expect.fail(e.message), onDrained: () => undefined, onGsoOff: (why) => (off = why) }, true);
    expect(
      pump.pump(
        0,
        source(40, () => undefined),
      ),
    ).toBe(true);
    expect(pump.segmenting).toBe(false);
    expect(off).toMatch(/EINVAL/);
    expect(calls[0]).toBe(true);
    expect(calls.slice(1).every((g) => g === false)).toBe(true);
  });
});

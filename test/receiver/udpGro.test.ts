/**
 * UDP GRO on the receiving socket: a sender's GSO sends (sender/datagramBatchPump.ts, native
 * sendBatch) arrive on loopback as whole runs, which the reader (receiver/datagramReader.ts)
 * splits at the segment size the kernel reports. Every datagram must come out whole, in order,
 * with its own length: runs of equal ones, a shorter one ending a run, longer ones between.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeCrypto } from '../../encoder/nativeCrypto.js';
import { splitBatch, splitCoalesced } from '../../receiver/batchSplit.js';
import { readDatagrams } from '../../receiver/datagramReader.js';
import { socketDescriptor } from '../../util/socketDescriptor.js';
import { closeLoopbackPairs, loopbackPair } from '../helpers/loopbackPair.js';

const native = loadNativeCrypto().module;
afterEach(closeLoopbackPairs);

describe.runIf(native?.enableUdpGro && native.sendBatch)('UDP GRO on the reader (skipped without the native module)', () => {
  it('splits coalesced runs back into the datagrams the sender sent', async () => {
    const { rx, tx } = await loopbackPair({ recvBufferSize: 4 << 20, bindSender: true });
    const lengths = [...Array(40).fill(1400), 900, 1400, 1400, 1472, ...Array(90).fill(1400), 77, 1400];
    const got: { length: number; first: number; uniform: boolean }[] = [];
    const all = new Promise<void>((resolve) => {
      const reader = readDatagrams(
        rx,
        (d) => {
          got.push({ length: d.length, first: d[0]!, uniform: d.every((b) => b === d[0]) });
          if (got.length === lengths.length) resolve();
        },
        (e) => expect.fail(e.message),
      );
      expect(reader).toMatchObject({ mode: 'batch', gro: true });
    });
    const slot = 2048;
    const buffer = new Uint8Array(lengths.length * slot);
    const l = new Uint32Array(lengths);
    lengths.forEach((n, i) => buffer.fill(i & 0xff, i * slot, i * slot + n));
    expect(native!.sendBatch!(socketDescriptor(tx)!.fd, buffer, slot, l, lengths.length, true)).toBe(lengths.length);
    await Promise.race([all, new Promise((r) => setTimeout(r, 3000))]);
    expect(got.map((g) => g.length)).toEqual(lengths);
    expect(got.map((g) => g.first)).toEqual(lengths.map((_, i) => i & 0xff));
    expect(got.every((g) => g.uniform)).toBe(true);
  });

  it('a socket without GRO (FOUNTCAST_GRO=0) gets the same datagrams one by one', async () => {
    process.env.FOUNTCAST_GRO = '0';
    try {
      const { rx } = await loopbackPair({ recvBufferSize: 4 << 20 });
      const reader = readDatagrams(
        rx,
        () => undefined,
        (e) => expect.fail(e.message),
      );
      expect(reader.gro).toBe(false);
      reader.stop();
    } finally {
      delete process.env.FOUNTCAST_GRO;
    }
  });
});

describe('splitting a coalesced message', () => {
  it('gives back exactly the message, cut every segment bytes, for any length and segment size the kernel may report', () => {
    const buffer = new Uint8Array(4096 + 70_000);
    fc.assert(
      fc.property(fc.nat(4096), fc.nat(70_000), fc.nat(65_536), (at, length, segment) => {
        const pieces: Uint8Array[] = [];
        splitCoalesced(buffer, at, length, segment, (d) => pieces.push(d));
        const split = segment > 0 && segment < length;
        if (pieces.length !== (split ? Math.ceil(length / segment) : 1)) return false;
        // Views of the message, in order, end to end, none empty unless the message is.
        let next = at;
        for (const [i, p] of pieces.entries()) {
          if (p.buffer !== buffer.buffer || p.byteOffset !== next) return false;
          if (split && p.length !== (i < pieces.length - 1 ? segment : length - segment * (pieces.length - 1))) return false;
          if (length > 0 && p.length === 0) return false;
          next += p.length;
        }
        return next === at + length;
      }),
      { seed: 25, numRuns: 20_000 },
    );
  });

  it('stops between pieces when the reader is stopped', () => {
    const pieces: number[] = [];
    splitCoalesced(
      new Uint8Array(100),
      0,
      100,
      10,
      (d) => pieces.push(d.length),
      () => pieces.length >= 3,
    );
    expect(pieces).toEqual([10, 10, 10]);
  });
});

describe('splitting a batch and hostile lengths', () => {
  const collect = (run: (on: (d: Uint8Array) => void) => unknown) => {
    const pieces: [number, number][] = [];
    const result = run((d) => pieces.push([d.byteOffset, d.length]));
    return { pieces, result };
  };

  it('refuses a message or segment size that is not a whole range of the buffer, handing out nothing', () => {
    const buffer = new Uint8Array(100);
    for (const [at, length, segment] of [
      [90, 20, 0],
      [-1, 5, 0],
      [0, -5, 0],
      [0, 10, -1],
      [0, 10, NaN],
      [0, 10.5, 2],
      [Infinity, 0, 0],
    ] as const)
      expect(collect((on) => splitCoalesced(buffer, at, length, segment, on))).toEqual({ pieces: [], result: false });
  });

  it('drops a cut message, keeps the whole segments of a cut GRO message, and ignores counts past the arrays or slots', () => {
    const buffer = new Uint8Array(4 * 10);
    // Slot 0: 10 bytes; slot 1: cut plain datagram; slot 2: cut GRO message of 3-byte segments; slot 3: GRO of 4-byte ones.
    const lengths = Uint32Array.of(10, 11, 11, 9);
    const segments = Uint32Array.of(0, 0, 3, 4);
    expect(collect((on) => splitBatch(buffer, 10, lengths, segments, 4, on))).toEqual({
      pieces: [
        [0, 10],
        [20, 3],
        [23, 3],
        [26, 3],
        [30, 4],
        [34, 4],
        [38, 1],
      ],
      result: 2,
    });
    // 6 claimed: 4 held; a buffer of 2.5 slots holds 2; no slot size, nothing.
    expect(collect((on) => splitBatch(buffer, 10, lengths, segments, 6, on)).result).toBe(4);
    expect(collect((on) => splitBatch(buffer.subarray(0, 25), 10, lengths, undefined, 4, on))).toEqual({ pieces: [[0, 10]], result: 3 });
    expect(collect((on) => splitBatch(buffer, 0, lengths, undefined, 4, on))).toEqual({ pieces: [], result: 4 });
    expect(collect((on) => splitBatch(buffer, 10, lengths, undefined, NaN, on))).toEqual({ pieces: [], result: 0 });
  });
});

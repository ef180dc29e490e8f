/**
 * The native batch reader (encoder/native/udpBatch.c, recvmmsg) against hostile arguments and
 * hostile datagrams: wrong types, out-of-range descriptors and slot sizes, buffers smaller than
 * a slot, empty length arrays, datagrams longer than their slot (cut, flagged, never written
 * past the slot), and seeded random batches of any length 0..65,507 read back byte for byte.
 */
import type { Socket } from 'node:dgram';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeCrypto } from '../../encoder/nativeCrypto.js';
import { closeLoopbackPairs, loopbackPair } from '../helpers/loopbackPair.js';

const recvBatch = loadNativeCrypto().module?.recvBatch?.bind(loadNativeCrypto().module);
afterEach(closeLoopbackPairs);

/** The bound socket's descriptor (Node's internals, as receiver/datagramReader.ts reads them); libuv's reading stopped. */
function descriptor(socket: Socket): number {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol')!;
  const handle = (socket as unknown as Record<symbol, { handle: { fd: number; recvStop(): number } }>)[state]!.handle;
  handle.recvStop();
  return handle.fd;
}

async function pair(): Promise<{ fd: number; tx: Socket }> {
  const { rx, tx } = await loopbackPair();
  return { fd: descriptor(rx), tx };
}

async function sendAll(tx: Socket, datagrams: Uint8Array[]): Promise<void> {
  for (const d of datagrams) await new Promise<void>((r, j) => tx.send(d, (e) => (e ? j(e) : r())));
}

/** Reads until `count` datagrams came (or 200 empty polls), in batches of `slots` slots of `slot` bytes. */
async function readAll(fd: number, count: number, slot: number, slots: number): Promise<{ lengths: number[]; bytes: Uint8Array[] }> {
  const buffer = new Uint8Array(slot * slots);
  const lengths = new Uint32Array(slots);
  const out = { lengths: [] as number[], bytes: [] as Uint8Array[] };
  for (let idle = 0; out.lengths.length < count && idle < 200;) {
    const got = recvBatch!(fd, buffer, slot, lengths);
    expect(got).toBeGreaterThanOrEqual(0);
    expect(got).toBeLessThanOrEqual(slots);
    if (got === 0) {
      idle++;
      await new Promise((r) => setTimeout(r, 2));
    }
    for (let i = 0; i < got; i++) {
      out.lengths.push(lengths[i]!);
      out.bytes.push(buffer.slice(i * slot, i * slot + Math.min(lengths[i]!, slot)));
    }
  }
  return out;
}

describe.runIf(recvBatch)('recvBatch (native recvmmsg) (skipped without the native module)', () => {
  it('rejects bad arguments with a typed error and reads nothing when no slot fits', async () => {
    const { fd, tx } = await pair();
    const lengths = new Uint32Array(4);
    const bad: unknown[][] = [
      [],
      [fd],
      ['3', new Uint8Array(16), 8, lengths],
      [fd, new Uint16Array(16), 8, lengths],
      [fd, new Uint8Array(16), 8, new Int32Array(4)],
      [fd, new Uint8Array(16), '8', lengths],
      [-1, new Uint8Array(16), 8, lengths],
      [2 ** 40, new Uint8Array(16), 8, lengths],
      [fd, new Uint8Array(16), 0, lengths],
      [fd, new Uint8Array(16), -5, lengths],
      [fd, new Uint8Array(16), 2 ** 33, lengths],
      // Not integers: napi would make NaN and ±Infinity descriptor 0 (stdin) and truncate 8.5.
      [NaN, new Uint8Array(16), 8, lengths],
      [-Infinity, new Uint8Array(16), 8, lengths],
      [fd, new Uint8Array(16), 8.5, lengths],
    ];
    const call = recvBatch as unknown as (...a: unknown[]) => number;
    for (const args of bad)
      expect(() => call(...args), JSON.stringify(args.map(String))).toThrow(expect.objectContaining({ code: 'ERR_FOUNTCAST_NATIVE_UDP' }));
    await sendAll(tx, [new Uint8Array(5)]);
    await new Promise((r) => setTimeout(r, 5));
    expect(recvBatch!(fd, new Uint8Array(7), 8, lengths)).toBe(0); // buffer smaller than a slot
    expect(recvBatch!(fd, new Uint8Array(16), 8, new Uint32Array(0))).toBe(0); // no length to report
    expect(recvBatch!(fd, new Uint8Array(16), 8, new Uint32Array(0), undefined)).toBe(0); // segments left undefined: absent
    expect(recvBatch!(999_999, new Uint8Array(16), 8, lengths)).toBeLessThan(0); // -EBADF, no throw
    const { lengths: got } = await readAll(fd, 1, 8, 2); // still queued
    expect(got).toEqual([5]);
  });

  it('cuts a datagram longer than its slot to the slot, flags it, and writes nothing past the slot', async () => {
    const { fd, tx } = await pair();
    await sendAll(tx, [new Uint8Array(100).fill(7), new Uint8Array(16).fill(8), new Uint8Array(17).fill(9)]);
    const buffer = new Uint8Array(16 * 3 + 8).fill(0xee);
    const lengths = new Uint32Array(3);
    let got = 0;
    for (let i = 0; i < 100 && got === 0; i++) {
      got = recvBatch!(fd, buffer.subarray(0, 48), 16, lengths);
      if (got === 0) await new Promise((r) => setTimeout(r, 2));
    }
    while (got < 3) {
      const more = recvBatch!(fd, buffer.subarray(got * 16, 48), 16, lengths.subarray(got));
      got += more;
      if (more === 0) await new Promise((r) => setTimeout(r, 2));
    }
    expect([...lengths]).toEqual([17, 16, 17]);
    expect(buffer.subarray(0, 16).every((b) => b === 7)).toBe(true);
    expect(buffer.subarray(16, 32).every((b) => b === 8)).toBe(true);
    expect(buffer.subarray(32, 48).every((b) => b === 9)).toBe(true);
    expect(buffer.subarray(48).every((b) => b === 0xee)).toBe(true);
  });

  it('reads seeded random batches of any datagram length back byte for byte, in order', async () => {
    const { fd, tx } = await pair();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 1300, max: 1500 }), fc.integer({ min: 0, max: 65_507 })), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 255 }),
        async (sizes, slots, fill) => {
          const sent = sizes.map((n, i) => new Uint8Array(n).fill((fill + i) & 0xff));
          // In groups a default-sized receive buffer (rmem_max 212,992 on many hosts) always holds.
          for (let from = 0; from < sent.length;) {
            let to = from + 1;
            for (let bytes = sent[from]!.length; to < sent.length && bytes + sent[to]!.length + 2048 * (to - from + 1) < 180_000; to++)
              bytes += sent[to]!.length;
            await sendAll(tx, sent.slice(from, to));
            const { lengths, bytes } = await readAll(fd, to - from, 65_536, slots);
            expect(lengths).toEqual(sizes.slice(from, to));
            for (let i = from; i < to; i++) expect(Buffer.from(bytes[i - from]!).equals(sent[i]!)).toBe(true);
            from = to;
          }
        },
      ),
      { seed: 25, numRuns: 40 },
    );
  });
});

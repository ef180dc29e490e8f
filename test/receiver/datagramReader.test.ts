import { afterEach, describe, expect, it } from 'vitest';
import { sealCrc32Datagram } from '../../encoder/crc32Tags.js';
import { TagKind } from '../../encoder/integrity.js';
import { loadNativeCrypto } from '../../encoder/nativeCrypto.js';
import { BATCH, readDatagrams, type DatagramReader } from '../../receiver/datagramReader.js';
import { closeLoopbackPairs, loopbackPair } from '../helpers/loopbackPair.js';

// The batched (recvmmsg) reader runs where the native module is built; CI requires it.
const batched = typeof loadNativeCrypto().module?.recvBatch === 'function';

afterEach(closeLoopbackPairs);

const pair = () => loopbackPair({ recvBufferSize: 4 << 20 });

/** Datagram i: its length and every byte derived from i. */
function datagram(i: number): Buffer {
  const length = [1, 1420, 9000, 65_507][i % 4]!;
  return Buffer.alloc(length, i & 0xff).fill(i >> 8, 0, 1);
}

async function deliver(options: { preferEvents?: boolean; noBatch?: boolean }, count: number): Promise<{ reader: DatagramReader; got: Buffer[] }> {
  const { rx, tx } = await pair();
  const got: Buffer[] = [];
  let reader!: DatagramReader;
  const all = new Promise<void>((resolve, reject) => {
    // Copies: the descriptor reader hands out a view of one reused buffer.
    reader = readDatagrams(rx, (d) => got.push(Buffer.from(d)) === count && resolve(), reject, options);
  });
  // Paced a little: the kernel's receive buffer may be as small as net.core.rmem_max allows.
  for (let i = 0; i < count; i++) {
    tx.send(datagram(i));
    if (i % 16 === 15) await new Promise((r) => setTimeout(r, 3));
  }
  await all;
  return { reader, got };
}

describe('readDatagrams', () => {
  it('reads the socket descriptor in batches (recvmmsg), every datagram whole and in order, more than a turn of them', async () => {
    if (process.env.FOUNTCAST_REQUIRE_NATIVE === '1') expect(batched).toBe(true);
    const count = BATCH * 2 + 3;
    const { reader, got } = await deliver({}, count);
    expect(reader.mode).toBe(batched ? 'batch' : 'descriptor');
    expect(got.map((d) => d.length)).toEqual(Array.from({ length: count }, (_, i) => datagram(i).length));
    for (let i = 0; i < count; i++) expect(got[i]!.equals(datagram(i)), `datagram ${i}`).toBe(true);
    reader.stop();
  });

  it('reads the socket descriptor a datagram per read without the native module, with the same result', async () => {
    const count = BATCH * 2 + 3;
    const { reader, got } = await deliver({ noBatch: true }, count);
    expect(reader.mode).toBe('descriptor');
    expect(got.map((d) => d.length)).toEqual(Array.from({ length: count }, (_, i) => datagram(i).length));
    for (let i = 0; i < count; i++) expect(got[i]!.equals(datagram(i)), `datagram ${i}`).toBe(true);
    reader.stop();
  });

  it('falls back to the message event, with the same result', async () => {
    const { reader, got } = await deliver({ preferEvents: true }, 20);
    expect(reader.mode).toBe('events');
    for (let i = 0; i < 20; i++) expect(got[i]!.equals(datagram(i))).toBe(true);
  });

  it.runIf(batched)('marks the datagrams whose CRC-32 tag it found right, in order, and no others (skipped without the native module)', async () => {
    const { rx, tx } = await pair();
    // Datagram i: 60 bytes naming CRC-32, sealed; every third corrupted after sealing, every fifth naming another kind.
    const count = 100;
    const sent = Array.from({ length: count }, (_, i) => {
      const d = Buffer.alloc(60, i);
      d[4] = i % 5 === 4 ? TagKind.Aes256Gcm : TagKind.Crc32;
      sealCrc32Datagram(d);
      if (i % 3 === 2) d[20]! ^= 1;
      return d;
    });
    const got: [number, boolean | undefined][] = [];
    const reader = readDatagrams(
      rx,
      (d, crcChecked) => got.push([d[0]!, crcChecked]),
      (e) => expect.fail(e.message),
    );
    for (let i = 0; i < count; i++) {
      tx.send(sent[i]!);
      if (i % 16 === 15) await new Promise((r) => setTimeout(r, 3));
    }
    await until(() => got.length === count);
    reader.stop();
    expect(got).toEqual(sent.map((_, i) => [i, i % 3 !== 2 && i % 5 !== 4]));
  });

  it('delivers nothing after stop, and stops by itself when the socket closes', async () => {
    const { rx, tx } = await pair();
    const got: number[] = [];
    const reader = readDatagrams(
      rx,
      (d) => got.push(d.length),
      (e) => got.push(-1, e.message.length),
    );
    tx.send(Buffer.alloc(10));
    await until(() => got.length === 1);
    reader.stop();
    tx.send(Buffer.alloc(11));
    await new Promise((r) => setTimeout(r, 30)); // several idle polls' worth
    expect(got).toEqual([10]);

    const second = await pair();
    const seen: number[] = [];
    readDatagrams(
      second.rx,
      (d) => seen.push(d.length),
      () => seen.push(-1),
    );
    second.rx.close();
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual([]); // no read of a closed (or reused) descriptor, no error either
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
}

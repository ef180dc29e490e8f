import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crc32TagImplementation, crc32Unsealed, nativeTagChecker, sealCrc32Datagram, slotSealer } from '../../encoder/crc32Tags.js';
import { parseDatagram, writeDatagram, datagramLength, type DatagramExpectations } from '../../encoder/datagram.js';
import { crc32Scheme, TagKind } from '../../encoder/integrity.js';
import { loadNativeCrypto } from '../../encoder/nativeCrypto.js';
import { SeededRandom } from '../../util/random.js';

const native = loadNativeCrypto().module;
const T = 64;

function expectations(): DatagramExpectations {
  return { sessionId: 7, symbolSize: T, integrity: crc32Scheme, segmentCount: 4, encodingSymbolIdLimit: 1 << 20 };
}

/** `count` datagrams of T-byte symbols in slots of `slot` bytes, written without their tags. */
function unsealedSlab(count: number, slot: number, random: SeededRandom): { slab: Uint8Array; lengths: Uint32Array } {
  const slab = random.fill(new Uint8Array(count * slot));
  const lengths = new Uint32Array(count);
  const symbol = new Uint8Array(T);
  for (let i = 0; i < count; i++) {
    random.fill(symbol);
    const header = { sessionId: 7, sequenceNumber: i, segmentIndex: i % 4, encodingSymbolId: i };
    lengths[i] = writeDatagram(slab.subarray(i * slot), header, symbol, crc32Unsealed);
  }
  return { slab, lengths };
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('CRC-32 tags a batch at a time', () => {
  it('run natively where the install was told to build the module (CI)', () => {
    if (process.env.FOUNTCAST_REQUIRE_NATIVE === '1') expect(crc32TagImplementation()).toBe('native');
    else expect(crc32TagImplementation()).toBe(native?.crc32 ? 'native' : 'javascript');
  });

  it.runIf(native?.crc32)('the native CRC is node:zlib’s for every length to 5000 bytes at every alignment mod 16 (skipped without the native module)', () => {
    const data = new SeededRandom(41).fill(new Uint8Array(5016));
    for (let n = 0; n <= 5000; n++) {
      for (let at = 0; at < 16; at++) {
        const v = data.subarray(at, at + n);
        if (native!.crc32!(v) !== crc32(v)) expect.fail(`length ${n} at ${at}`);
      }
    }
  });

  it('a sealed slab parses, datagram by datagram, exactly as datagrams the JS scheme sealed', () => {
    const random = new SeededRandom(3);
    const { slab, lengths } = unsealedSlab(40, 200, random);
    const unsealed = slab.slice();
    // Unsealed, none has a right tag (the slab's bytes were random where the tags go).
    for (let i = 0; i < 40; i++) expect(parseDatagram(slab.subarray(i * 200, i * 200 + lengths[i]!), expectations())).toEqual({ ok: false, reason: 'bad-tag' });
    slotSealer()(slab, 200, lengths, 0, 40);
    for (let i = 0; i < 40; i++) {
      const d = slab.subarray(i * 200, i * 200 + lengths[i]!);
      const js = unsealed.slice(i * 200, i * 200 + lengths[i]!);
      crc32Scheme.seal(js, js.length - 4);
      expect(Buffer.from(d).equals(Buffer.from(js)), `datagram ${i}`).toBe(true);
      expect(parseDatagram(d, expectations()).ok).toBe(true);
    }
  });

  it('seals only the range asked for, and the node:dgram path seals a whole datagram the same way', () => {
    const { slab, lengths } = unsealedSlab(6, 128, new SeededRandom(9));
    const before = slab.slice();
    slotSealer()(slab, 128, lengths, 2, 4);
    for (const i of [0, 1, 4, 5])
      expect(Buffer.from(slab.subarray(i * 128, (i + 1) * 128)).equals(Buffer.from(before.subarray(i * 128, (i + 1) * 128)))).toBe(true);
    for (const i of [2, 3]) expect(parseDatagram(slab.subarray(i * 128, i * 128 + lengths[i]!), expectations()).ok).toBe(true);
    const one = before.slice(5 * 128, 5 * 128 + lengths[5]!);
    sealCrc32Datagram(one);
    expect(parseDatagram(one, expectations()).ok).toBe(true);
  });

  it.runIf(native?.checkCrc32Tags)('the batch check marks exactly the right CRC-32 datagrams (skipped without the native module)', () => {
    const random = new SeededRandom(17);
    const slot = 160;
    const { slab, lengths } = unsealedSlab(12, slot, random);
    slotSealer()(slab, slot, lengths, 0, 12);
    slab[3 * slot + 30]! ^= 0x10; // a flipped symbol bit
    slab[5 * slot + lengths[5]! - 1]! ^= 1; // a flipped tag bit
    slab[7 * slot + 4] = TagKind.HmacSha256_128; // another tag kind (its CRC is no longer right either)
    const offsets = Uint32Array.from({ length: 12 }, (_, i) => i * slot);
    const sizes = lengths.slice();
    sizes[9] = 7; // too short to hold a kind byte and a tag
    offsets[10] = slab.length - 10; // runs past the buffer
    const verdicts = new Uint8Array(12).fill(9);
    nativeTagChecker()!(slab, offsets, sizes, 12, verdicts);
    expect([...verdicts]).toEqual([1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1]);
  });

  it('a datagram the reader marked skips the tag check only on a CRC-32 stream', () => {
    const { slab, lengths } = unsealedSlab(1, 128, new SeededRandom(1));
    const d = slab.subarray(0, lengths[0]);
    expect(parseDatagram(d, expectations(), true).ok).toBe(true);
    expect(parseDatagram(d, expectations(), false)).toEqual({ ok: false, reason: 'bad-tag' });
    // A keyed stream's parser never trusts the mark: its own check runs.
    const keyed = { ...expectations(), integrity: { ...crc32Scheme, kind: TagKind.HmacSha256_128, check: () => false } };
    d[4] = TagKind.HmacSha256_128;
    expect(parseDatagram(d, keyed, true)).toEqual({ ok: false, reason: 'bad-tag' });
  });

  it.runIf(native?.sealCrc32Tags)('the native functions refuse shapes that do not fit with a typed error (skipped without the native module)', () => {
    const m = native!;
    const seal = m.sealCrc32Tags as unknown as (...a: unknown[]) => number;
    const lengths = new Uint32Array([8, 8]);
    for (const args of [
      [],
      [new Uint8Array(16), 8, lengths, 0],
      [new Uint8Array(16), 8, lengths, 0, 3], // more than lengths
      [new Uint8Array(15), 8, lengths, 0, 2], // the buffer does not hold the slots
      [new Uint8Array(16), 8, new Uint32Array([8, 9]), 0, 2], // longer than its slot
      [new Uint8Array(16), 8, new Uint32Array([8, 3]), 0, 2], // shorter than a tag
      [new Uint8Array(16), 3, lengths, 0, 2],
      [new Uint8Array(16), 8, lengths, 1, 0],
      [new Uint8Array(16), 8, lengths, -1, 1],
      [new Uint8Array(16), 8, lengths, 0, NaN],
      [new Uint8Array(16), 8, new Int32Array(2), 0, 2],
    ])
      expect(() => seal(...args), JSON.stringify(args.map(String))).toThrow(expect.objectContaining({ code: 'ERR_FOUNTCAST_NATIVE_CRC' }));
    const check = m.checkCrc32Tags as unknown as (...a: unknown[]) => void;
    const offsets = new Uint32Array(2);
    for (const args of [
      [new Uint8Array(16), offsets, lengths, 3, 1, new Uint8Array(2)], // count past the arrays
      [new Uint8Array(16), offsets, lengths, 2, 1, new Uint8Array(1)],
      [new Uint8Array(16), offsets, lengths, -1, 1, new Uint8Array(2)],
      [new Uint8Array(16), offsets, lengths, 2, 256, new Uint8Array(2)],
      [new Uint8Array(16), offsets, lengths, 2, 1, new Uint32Array(2)],
    ])
      expect(() => check(...args), JSON.stringify(args.map(String))).toThrow(expect.objectContaining({ code: 'ERR_FOUNTCAST_NATIVE_CRC' }));
    expect(() => m.crc32!('text' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_FOUNTCAST_NATIVE_CRC' }));
  });

  it('FOUNTCAST_NATIVE_CRC=0: tags are sealed in JS, and the reader leaves every check to the parser', async () => {
    vi.stubEnv('FOUNTCAST_NATIVE_CRC', '0');
    const m = await import('../../encoder/crc32Tags.js');
    expect(m.crc32TagImplementation()).toBe('javascript');
    expect(m.nativeTagChecker()).toBeUndefined();
    const { slab, lengths } = unsealedSlab(3, 100, new SeededRandom(2));
    m.slotSealer()(slab, 100, lengths, 0, 3);
    for (let i = 0; i < 3; i++) expect(parseDatagram(slab.subarray(i * 100, i * 100 + lengths[i]!), expectations()).ok).toBe(true);
  });

  it('the datagram length is what a CRC-32 datagram of T bytes takes', () => {
    expect(datagramLength(T, crc32Unsealed)).toBe(datagramLength(T, crc32Scheme));
  });
});

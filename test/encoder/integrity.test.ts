import { describe, expect, it } from 'vitest';
import { crc32Scheme, TagKind } from '../../encoder/integrity.js';
import { SeededRandom } from '../../util/random.js';

describe('CRC-32 integrity tag', () => {
  it('seals the standard check value big-endian after the covered bytes', () => {
    const d = new Uint8Array(13);
    d.set(Buffer.from('123456789'));
    crc32Scheme.seal(d, 9);
    // CRC-32 (IEEE) of "123456789" is 0xCBF43926.
    expect([...d.subarray(9)]).toEqual([0xcb, 0xf4, 0x39, 0x26]);
    expect(crc32Scheme.check(d, 9)).toBe(true);
    expect(crc32Scheme.kind).toBe(TagKind.Crc32);
    expect(crc32Scheme.tagLength).toBe(4);
  });

  it('detects every single-bit flip in the covered bytes and in the tag', () => {
    const d = new SeededRandom(5).fill(new Uint8Array(1420 + 4));
    crc32Scheme.seal(d, 1420);
    expect(crc32Scheme.check(d, 1420)).toBe(true);
    for (let bit = 0; bit < d.length * 8; bit++) {
      d[bit >> 3]! ^= 1 << (bit & 7);
      if (crc32Scheme.check(d, 1420)) throw new Error(`flip of bit ${bit} went unnoticed`);
      d[bit >> 3]! ^= 1 << (bit & 7);
    }
    expect(crc32Scheme.check(d, 1420)).toBe(true);
  });

  it('only covers bytes before `end`, and a buffer too short for the tag fails the check', () => {
    const d = new SeededRandom(6).fill(new Uint8Array(40));
    crc32Scheme.seal(d, 30);
    d[35] ^= 0xff; // after the tag: not covered
    expect(crc32Scheme.check(d, 30)).toBe(true);
    expect(crc32Scheme.check(d.subarray(0, 33), 30)).toBe(false);
    expect(crc32Scheme.check(new Uint8Array(0), 0)).toBe(false);
  });
});

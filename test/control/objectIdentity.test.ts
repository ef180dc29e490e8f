import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestKindOf, segmentsDigest } from '../../control/objectIdentity.js';

const digests = (n: number, seed: number) => {
  const out = new Uint8Array(32 * n);
  for (let i = 0; i < out.length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
};

describe('object identity of kind segments', () => {
  it('is SHA-256 over the domain, the length (u64 BE), the segment size (u32 BE) and the digests', () => {
    const d = digests(3, 1);
    // 625,000 bytes = 0x98968, 1 MiB = 0x100000: written out here, not by the code under test.
    const head = Buffer.concat([Buffer.from('fountcast-object-v2\n'), Buffer.from([0, 0, 0, 0, 0, 0x09, 0x89, 0x68, 0, 0x10, 0, 0])]);
    const expected = createHash('sha256').update(head).update(d).digest('hex');
    expect(segmentsDigest(625_000, 1 << 20, d)).toBe(expected);
  });

  it('changes with any digest bit, the length or the segment size; an empty object has one too', () => {
    const d = digests(4, 2);
    const base = segmentsDigest(3 * 65536 + 5, 65536, d);
    const flipped = Uint8Array.from(d);
    flipped[100]! ^= 1;
    expect(segmentsDigest(3 * 65536 + 5, 65536, flipped)).not.toBe(base);
    expect(segmentsDigest(3 * 65536 + 6, 65536, d)).not.toBe(base);
    expect(segmentsDigest(3 * 65536 + 5, 65537, d)).not.toBe(base);
    expect(segmentsDigest(0, 65536, new Uint8Array(0))).toMatch(/^[0-9a-f]{64}$/);
    expect(() => segmentsDigest(10, 65536, new Uint8Array(31))).toThrow(RangeError);
  });

  it('the kind is segments only when the manifest says so', () => {
    expect(digestKindOf({ fileDigest: 'segments' })).toBe('segments');
    expect(digestKindOf({})).toBe('bytes');
  });
});

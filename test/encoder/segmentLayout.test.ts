import { describe, expect, it } from 'vitest';
import { crc32Scheme } from '../../encoder/integrity.js';
import { MAX_SOURCE_SYMBOLS_PER_SEGMENT, planSegments, segmentRange } from '../../encoder/segmentLayout.js';

describe('segment layout', () => {
  it('cuts a file into full segments and a shorter last one', () => {
    const l = planSegments(10 * 1392 + 5, { segmentSize: 4 * 1392, symbolSize: 1392 });
    expect(l.segmentCount).toBe(3);
    expect(segmentRange(l, 0)).toEqual({ index: 0, offset: 0, length: 4 * 1392, sourceSymbols: 4 });
    expect(segmentRange(l, 2)).toEqual({ index: 2, offset: 8 * 1392, length: 2 * 1392 + 5, sourceSymbols: 3 });
  });

  it('handles an empty file and an exact multiple', () => {
    expect(planSegments(0).segmentCount).toBe(0);
    const l = planSegments(8 << 20);
    expect(l.segmentCount).toBe(2);
    expect(segmentRange(l, 1).length).toBe(4 << 20);
  });

  it('refuses out-of-range parameters with LayoutError', () => {
    const bad: [number, object][] = [
      [-1, {}],
      [1.5, {}],
      [2 ** 51, {}],
      [100, { symbolSize: 1391 }],
      [100, { symbolSize: 0 }],
      [100, { symbolSize: 1392, segmentSize: 100 }],
      [100, { symbolSize: 1392, segmentSize: (MAX_SOURCE_SYMBOLS_PER_SEGMENT + 1) * 1392 }],
    ];
    for (const [size, o] of bad) expect(() => planSegments(size, o), JSON.stringify([size, o])).toThrow(expect.objectContaining({ name: 'LayoutError' }));
    expect(() => segmentRange(planSegments(10), 1)).toThrow(expect.objectContaining({ name: 'LayoutError' }));
  });

  it('detects every single-bit flip with the CRC-32 tag', () => {
    const d = new Uint8Array(100).map((_, i) => i * 7);
    crc32Scheme.seal(d, 96);
    expect(crc32Scheme.check(d, 96)).toBe(true);
    for (let bit = 0; bit < 96 * 8; bit++) {
      d[bit >> 3]! ^= 1 << (bit & 7);
      expect(crc32Scheme.check(d, 96)).toBe(false);
      d[bit >> 3]! ^= 1 << (bit & 7);
    }
  });
});

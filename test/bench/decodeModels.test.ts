import { describe, expect, it } from 'vitest';
import { segmentDecodeModel } from '../../bench/research/decodeModels.js';
import { schemeCodec } from '../../bench/research/schemes.js';
import { SeededRandom } from '../../util/random.js';

describe('decode models', () => {
  it('raptorq fails with probability 1/256^(h+1) after K + h symbols, and never below K', () => {
    const rng = new SeededRandom(1);
    const k = 10;
    for (const [h, p] of [
      [0, 1 / 256],
      [1, 1 / 65536],
    ] as const) {
      let failures = 0;
      const n = 300_000;
      for (let i = 0; i < n; i++) {
        const m = segmentDecodeModel('raptorq', schemeCodec('arq'), k);
        for (let s = 0; s < k + h; s++) m.add(s);
        if (!m.attempt(rng)) failures++;
      }
      expect(Math.abs(failures - n * p), `h = ${h}`).toBeLessThan(4 * Math.sqrt(n * p) + 1);
    }
    const short = segmentDecodeModel('raptorq', schemeCodec('arq'), k);
    for (let s = 0; s < k - 1; s++) short.add(s);
    expect(short.attempt(rng)).toBe(false);
  });

  it('rs decides per block like the real decoder: K symbols all from one block do not decode two', () => {
    const codec = schemeCodec('rs');
    const m = segmentDecodeModel('rs', codec, 200); // two blocks of 100
    for (let s = 0; s < 200; s += 2) m.add(s); // block 0's sources only
    for (let n = 0; n < 200; n += 2) m.add(200 + n); // block 0's repair rows only
    expect(m.attempt(new SeededRandom(1))).toBe(false);
    for (let s = 1; s < 200; s += 2) m.add(s);
    expect(m.attempt(new SeededRandom(1))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { LossSimulator } from '../../receiver/lossSimulator.js';

function pattern(p: number, seed: number, n: number): boolean[] {
  const sim = new LossSimulator(p, seed);
  return Array.from({ length: n }, () => sim.drop());
}

describe('LossSimulator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(pattern(0.3, 7, 2000)).toEqual(pattern(0.3, 7, 2000));
    expect(pattern(0.3, 7, 2000)).not.toEqual(pattern(0.3, 8, 2000));
  });

  it('drops about p of the datagrams (within 4 sigma)', () => {
    for (const p of [0.01, 0.1, 0.5]) {
      const n = 100_000;
      const sim = new LossSimulator(p, 12345);
      for (let i = 0; i < n; i++) sim.drop();
      const sigma = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(sim.droppedCount - n * p)).toBeLessThan(4 * sigma);
      expect(sim.seenCount).toBe(n);
    }
  });

  it('p = 0 never drops', () => {
    expect(pattern(0, 1, 10_000).some(Boolean)).toBe(false);
  });

  it('rejects p outside [0, 1) and bad seeds', () => {
    for (const p of [1, -0.01, Number.NaN, 1.5]) expect(() => new LossSimulator(p, 1)).toThrow(RangeError);
    for (const s of [-1, 1.5, 2 ** 32]) expect(() => new LossSimulator(0.1, s)).toThrow(RangeError);
  });
});

/** experiment --validate: the harness's figures against closed forms, on a small seeded grid. */
import { describe, expect, it } from 'vitest';
import { idealFountainSentPerK, runValidation, selectiveRepeatSendsPerPacket } from '../../bench/research/validation.js';

describe('validation against closed forms', () => {
  it('computes the closed forms: one receiver needs K/(1-p); many need more; ARQ as the sum over rounds', () => {
    expect(idealFountainSentPerK(754, 0.05, 1)).toBeCloseTo(1 / 0.95, 6);
    expect(idealFountainSentPerK(754, 0, 10)).toBe(1);
    const many = idealFountainSentPerK(754, 0.05, 100);
    expect(many).toBeGreaterThan(idealFountainSentPerK(754, 0.05, 10));
    expect(many).toBeLessThan(1.1);
    expect(selectiveRepeatSendsPerPacket(0.05, 1)).toBeCloseTo(1 / 0.95, 9);
    expect(selectiveRepeatSendsPerPacket(0.05, 100)).toBeCloseTo(2.2286, 3);
  });

  it('every row of the grid agrees within its tolerance, and the rows are what they say', () => {
    const rows = runValidation({ trials: 4, seed: 1 });
    expect(rows).toHaveLength(12);
    for (const r of rows) {
      expect(r.pass, `${r.check}: ${r.harness} vs ${r.theory}`).toBe(true);
      expect(Math.abs(r.relativeError)).toBeLessThanOrEqual(r.tolerance);
    }
    // The fountain rows are near-ideal: within half a percent, not merely within tolerance.
    for (const r of rows.filter((x) => x.check.startsWith('raptorq'))) expect(Math.abs(r.relativeError)).toBeLessThan(0.005);
    // A wrong theory would fail: the same harness figure against selective repeat's ARQ form.
    const fountain = rows.find((x) => x.check.startsWith('raptorq sent/K, p = 0.05, N = 100'))!;
    expect(Math.abs(fountain.harness / selectiveRepeatSendsPerPacket(0.05, 100) - 1)).toBeGreaterThan(0.3);
  });
});

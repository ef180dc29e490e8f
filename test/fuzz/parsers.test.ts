/**
 * Every parser of network input under ≥ 100,000 seeded property-based cases each (the targets
 * and their invariants are in bench/fuzz/targets.ts; `npm run fuzz` runs longer campaigns).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_TARGETS } from '../../bench/fuzz/targets.js';

const RUNS = 100_000;

describe('fuzzing the parsers of network input', () => {
  for (const [i, target] of FUZZ_TARGETS.entries()) {
    it(`${target.name}: ${RUNS} cases, no throw, typed verdicts, bounded`, () => {
      fc.assert(target.property(), { seed: 1000 + i, numRuns: RUNS });
    }, 300_000);
  }

  it('reaches past the first checks: every target sees both acceptances and rejections', () => {
    for (const target of FUZZ_TARGETS) {
      const c = target.census(7, 5000);
      expect(c.accepted, target.name).toBeGreaterThan(100);
      expect(c.rejected, target.name).toBeGreaterThan(100);
    }
  });
});

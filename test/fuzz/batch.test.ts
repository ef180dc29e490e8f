/**
 * The batched datagram paths under a few seeded fuzz cases each (bench/fuzz/batchTargets.ts;
 * `npm run fuzz` runs them longer): the split of a recvmmsg batch, real loopback sendBatch /
 * recvBatch with GSO and GRO on and off, and the native functions' argument checks.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH_FUZZ_TARGETS, closeBatchTargets } from '../../bench/fuzz/batchTargets.js';

const RUNS: Record<string, number> = { 'batch-split': 2000, 'loopback-batch': 60, 'native-args': 400, 'raptorq-native': 400, 'crc-tags': 3000 };

afterAll(closeBatchTargets);

describe('fuzzing the batched datagram paths', () => {
  for (const [i, target] of BATCH_FUZZ_TARGETS.entries()) {
    // The native RaptorQ codec needs Rust at install (CI requires it where it has Rust).
    const required = target.name === 'raptorq-native' ? process.env.FOUNTCAST_REQUIRE_NATIVE_RAPTORQ === '1' : process.env.FOUNTCAST_REQUIRE_NATIVE === '1';
    it.runIf(target.available || required)(
      `${target.name}: seeded cases, byte-exact or a typed refusal${target.name === 'batch-split' ? '' : ` (skipped without the native module${target.name === 'raptorq-native' ? ' built with Rust' : ''})`}`,
      async () => {
        await fc.assert(target.property(), { seed: 2500 + i, numRuns: RUNS[target.name] ?? 50 });
      },
      30_000,
    );
  }

  it('reaches both outcomes: every target sees acceptances and refusals', async () => {
    for (const target of BATCH_FUZZ_TARGETS.filter((t) => t.available)) {
      const c = await target.census(7, 200);
      expect(c.accepted, target.name).toBeGreaterThan(10);
      expect(c.rejected, target.name).toBeGreaterThan(10);
    }
  }, 30_000);
});

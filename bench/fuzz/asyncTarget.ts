/**
 * The shape of the async fuzz targets (bench/fuzz/batchTargets.ts): a fast-check input and a
 * check per case that throws on a violated invariant and says whether the code under test took
 * the case or refused it.
 */
import fc from 'fast-check';
import type { Verdict } from './targets.js';

export interface BatchFuzzTarget {
  readonly name: string;
  /** False where the native module is not built (the target needs it). */
  readonly available: boolean;
  property(): fc.IAsyncPropertyWithHooks<[unknown]>;
  census(seed: number, n: number): Promise<{ accepted: number; rejected: number }>;
}

export interface Target<T> {
  readonly name: string;
  readonly available: boolean;
  readonly input: fc.Arbitrary<T>;
  /** Runs one case; throws on a violated invariant. */
  readonly check: (input: T) => Promise<Verdict>;
}

export function runnable<T>(t: Target<T>): BatchFuzzTarget {
  return {
    name: t.name,
    available: t.available,
    property: () =>
      fc.asyncProperty(t.input, async (x) => {
        await t.check(x);
      }) as unknown as fc.IAsyncPropertyWithHooks<[unknown]>,
    async census(seed, n) {
      const counts = { accepted: 0, rejected: 0 };
      for (const x of fc.sample(t.input, { seed, numRuns: n })) counts[await t.check(x)]++;
      return counts;
    },
  };
}

/** The value type of an arbitrary. */
export type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;

export function fail(why: string): never {
  throw new Error(why);
}

import { describe, expect, it } from 'vitest';
import { RAPTORQ_MEASURED_FAILURES, segmentDecodeModel } from '../../bench/research/decodeModels.js';
import { runExperiment } from '../../bench/research/experiment.js';
import { measureFailures } from '../../bench/research/failureFit.js';
import { parseLossSpec } from '../../bench/research/lossModels.js';
import { schemeCodec } from '../../bench/research/schemes.js';
import { SeededRandom } from '../../util/random.js';

describe('decode models', () => {
  it('raptorq fails with probability 1/256^(h+1) after K + h symbols (a source symbol lost), and never below K', () => {
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
        // Source symbol 0 lost, made up by repair symbols K, K + 1, …
        for (let s = 1; s < k + h + 1; s++) m.add(s);
        if (!m.attempt(rng)) failures++;
      }
      expect(Math.abs(failures - n * p), `h = ${h}`).toBeLessThan(4 * Math.sqrt(n * p) + 1);
    }
    const short = segmentDecodeModel('raptorq', schemeCodec('arq'), k);
    for (let s = 0; s < k - 1; s++) short.add(s);
    expect(short.attempt(rng)).toBe(false);
  });

  it('raptorq never fails a receiver holding every source symbol (systematic: nothing to decode)', () => {
    const rng = new SeededRandom(2);
    for (let i = 0; i < 20_000; i++) {
      const m = segmentDecodeModel('raptorq', schemeCodec('arq'), 10);
      for (let s = 0; s < 10; s++) m.add(s);
      expect(m.attempt(rng)).toBe(true);
    }
    // The case: no loss, 100 receivers, 1 MiB: no decode failure, exactly K sent.
    const r = runExperiment({ schemes: ['raptorq'], losses: [parseLossSpec('0')], receivers: [100], sizeBytes: 1 << 20, trials: 3, seed: 1, decode: 'model' });
    for (const row of r.rows) {
      expect(row.completed).toBe(100);
      expect(row.decodeFailures).toBe(0);
      expect(row.symbolsSent).toBe(row.sourceSymbols);
    }
  });

  it("the model's 1/256 at K symbols agrees with the real codec: the recorded measurement and a fresh one", () => {
    // Within 3 standard errors of the binomial, pooled over the recorded K (failureFit.ts).
    const within = (failures: number, trials: number, p: number) => Math.abs(failures - trials * p) <= 3 * Math.sqrt(trials * p * (1 - p)) + 1;
    const pooled = RAPTORQ_MEASURED_FAILURES.reduce((a, m) => ({ f: a.f + m.failures[0], n: a.n + m.trials[0] }), { f: 0, n: 0 });
    expect(pooled.n).toBeGreaterThan(15_000);
    expect(within(pooled.f, pooled.n, 1 / 256)).toBe(true);
    // Not 1 %, the figure often quoted for K' symbols: the measurement tells them apart.
    expect(within(pooled.f, pooled.n, 1 / 100)).toBe(false);
    for (const m of RAPTORQ_MEASURED_FAILURES) expect(m.failures[1] + m.failures[2], `K=${m.k}`).toBe(0);
    // A fresh run of the real codec reproduces the recorded figures (same seeds, same draws).
    const fresh = measureFailures(26, 600);
    expect(fresh.trials[0]).toBeGreaterThan(590);
    expect(within(fresh.failures[0], fresh.trials[0], 1 / 256)).toBe(true);
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

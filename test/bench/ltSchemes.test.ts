import { describe, expect, it } from 'vitest';
import { runExperiment, validateConfig, type ExperimentConfig } from '../../bench/research/experiment.js';
import { parseLossSpec } from '../../bench/research/lossModels.js';

// K = 1,000 symbols of 1392 bytes in one segment.
// K = 1,000 symbols of 1392 bytes in one segment. `model` decodes exactly as `real` for LT (the
// last test here checks it) at a fraction of the time.
const K1000: ExperimentConfig = { schemes: ['lt'], losses: [parseLossSpec('0')], receivers: [1], sizeBytes: 1000 * 1392, trials: 20, seed: 1, decode: 'model' };

describe('LT schemes in the harness', () => {
  it('lt (non-systematic, c = 0.03, δ = 0.5) takes 10–20 % more than K at K = 1,000 without loss; lt-ge a few %; lt-systematic none', () => {
    const r = runExperiment({ ...K1000, schemes: ['lt', 'lt-systematic'] });
    const [lt, sys] = r.summaries;
    // Elimination runs at every attempt (every 2 symbols from K on): fewer trials.
    const ge = runExperiment({ ...K1000, schemes: ['lt-ge'], trials: 8 }).summaries[0]!;
    expect(ge.incomplete).toBe(0);
    for (const s of r.summaries) expect(s.incomplete, s.scheme).toBe(0);
    expect(r.rows[0]!.sourceSymbols).toBe(1000);
    expect(lt!.overhead.mean).toBeGreaterThan(0.1);
    expect(lt!.overhead.mean).toBeLessThan(0.2);
    // Without loss the sender sends what the receiver takes (plus what is in flight when it is done).
    expect(lt!.sentPerK.mean).toBeGreaterThan(1.1);
    // Each trial is its own graph (seeded by the trial): not one overhead twenty times.
    expect(new Set(r.rows.filter((x) => x.scheme === 'lt').map((x) => x.overheadMean)).size).toBeGreaterThan(5);
    expect(ge.overhead.mean).toBeLessThan(0.05);
    expect(sys!.sentPerK.mean).toBe(1);
  });

  it('c and δ are settable: a larger c costs more symbols at this K', () => {
    const base = runExperiment({ ...K1000, trials: 8 }).summaries[0]!;
    const big = runExperiment({ ...K1000, trials: 8, lt: { c: 0.1 } }).summaries[0]!;
    expect(big.overhead.mean).toBeGreaterThan(base.overhead.mean);
  });

  it('refuses what it cannot run: non-systematic LT over real sockets, c or δ out of range', () => {
    for (const bad of [
      { mode: 'real', schemes: ['lt'] },
      { mode: 'real', schemes: ['lt-ge'] },
      { lt: { c: 0 } },
      { lt: { delta: 1 } },
      { mode: 'real', schemes: ['raptorq'], lt: { c: 0.1 } },
    ]) {
      expect(() => validateConfig({ ...K1000, ...bad } as ExperimentConfig), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ name: 'ExperimentConfigError' }),
      );
    }
    expect(() => validateConfig({ ...K1000, mode: 'real', schemes: ['lt-systematic'], decode: 'real' })).not.toThrow();
  });

  it('--decode model is exact for every LT scheme: the same rows as real decoding, trial by trial', () => {
    const cfg: ExperimentConfig = {
      schemes: ['lt', 'lt-ge', 'lt-systematic'],
      losses: ['0.1', 'gilbert:0.02,0.3'].map(parseLossSpec),
      receivers: [3],
      sizeBytes: 250_000,
      trials: 2,
      seed: 11,
    };
    const real = runExperiment({ ...cfg, decode: 'real' });
    const model = runExperiment({ ...cfg, decode: 'model' });
    expect(model.rows.map((r) => ({ ...r, decode: 'real' }))).toEqual(real.rows);
    for (const r of real.rows) expect(r.completed, r.scheme).toBe(3);
  });
});

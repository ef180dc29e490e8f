import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../bench/research/experiment.js';
import { parseLossSpec } from '../../bench/research/lossModels.js';
import { gilbertElliottLoss, idealFountainSentPerK, mdsBlockFailure, selectiveRepeatSentPerK } from '../../bench/research/theory.js';
import { relativeCheck, runValidation, validationTable, withinSe } from '../../bench/research/validation.js';
import { SeededRandom } from '../../util/random.js';

describe('closed forms', () => {
  it('reduce to the obvious cases and agree with brute force', () => {
    // One receiver: a packet (or a symbol) costs 1/(1 − p) sends.
    expect(idealFountainSentPerK(754, 0.05, 1)).toBeCloseTo(1 / 0.95, 9);
    expect(selectiveRepeatSentPerK(0.05, 1)).toBeCloseTo(1 / 0.95, 12);
    expect(gilbertElliottLoss(0.01, 0.3)).toBeCloseTo(0.01 / 0.31, 12);
    // P(Bin(3, 0.5) > 1) = 4/8.
    expect(mdsBlockFailure(2, 1, 0.5)).toBeCloseTo(0.5, 12);
    // No loss: exactly K; more receivers need more, and at p = 0.05 still under 10 % more.
    expect(idealFountainSentPerK(754, 0, 10)).toBe(1);
    const many = idealFountainSentPerK(754, 0.05, 100);
    expect(many).toBeGreaterThan(idealFountainSentPerK(754, 0.05, 10));
    expect(many).toBeLessThan(1.1);
    // The figure for selective repeat to 100 receivers.
    expect(selectiveRepeatSentPerK(0.05, 100)).toBeCloseTo(2.2286, 3);
    // E[max of 5 negative binomials (K = 20, p = 0.2)] by simulation, within 4 standard errors.
    const rng = new SeededRandom(3);
    const draws = 20_000;
    let sum = 0;
    let sq = 0;
    for (let t = 0; t < draws; t++) {
      let max = 0;
      for (let i = 0; i < 5; i++) {
        let sent = 0;
        for (let got = 0; got < 20; sent++) if (rng.next() >= 0.2) got++;
        max = Math.max(max, sent);
      }
      sum += max;
      sq += max * max;
    }
    const mean = sum / draws;
    const se = Math.sqrt((sq / draws - mean * mean) / draws);
    expect(Math.abs(idealFountainSentPerK(20, 0.2, 5) * 20 - mean)).toBeLessThan(4 * se);
  });
});

describe('experiment --validate', () => {
  it('every row of the fixed grid (seed 1) is within its tolerance, and the figures are the recorded ones', () => {
    const rows = runValidation({ seed: 1 });
    expect(rows).toHaveLength(13);
    for (const r of rows) expect(r.pass, `${r.check} ${r.setting}: ${r.harness} vs ${r.theory}`).toBe(true);
    const find = (check: string, setting: string) => rows.find((r) => r.check === check && r.setting.includes(setting))!;
    // docs/research.md quotes these.
    expect(find('selective repeat sent/K', 'N = 100').harness).toBeCloseTo(2.2233, 3);
    expect(find('ideal fountain sent/K', 'N = 100').theory).toBeCloseTo(1.0754, 4);
    expect(find('ideal fountain sent/K', 'N = 100').relativeError).toBeGreaterThan(0); // feedback can only add
    expect(validationTable(rows)).not.toMatch(/FAIL/);
    // The fountain rows are near-ideal: within half a percent, not merely within tolerance.
    for (const r of rows.filter((x) => x.check === 'ideal fountain sent/K')) expect(Math.abs(r.relativeError)).toBeLessThan(0.005);
    // A wrong theory would fail: the same fountain figure against selective repeat's form.
    const fountain = find('ideal fountain sent/K', 'N = 100');
    expect(Math.abs(fountain.harness / selectiveRepeatSentPerK(0.05, 100) - 1)).toBeGreaterThan(0.3);
  });

  it('a row fails when the harness runs something other than the closed form models', () => {
    // arq-product sends each final resend twice: not selective repeat, and the check says so.
    const r = runExperiment({
      schemes: ['arq-product'],
      losses: [parseLossSpec('0.05')],
      receivers: [10],
      sizeBytes: 1 << 20,
      trials: 3,
      seed: 1,
      decode: 'model',
    });
    const row = relativeCheck('selective repeat sent/K', 'arq-product', r.summaries[0]!.sentPerK.mean, selectiveRepeatSentPerK(0.05, 10), 0.02);
    expect(row.pass).toBe(false);
    expect(row.relativeError).toBeLessThan(-0.02); // combining resends sends fewer (sent/K ≈ 1.17 vs 1.43)
    // RS with 10 repair symbols does not fail like a block with 12.
    const rs = runValidation({ seed: 1 }).find((x) => x.setting.startsWith('k = 100, r = 10'))!;
    expect(withinSe('RS', 'r = 12', rs.harness, mdsBlockFailure(100, 12, 0.1), Math.sqrt(0.25 / 2000)).pass).toBe(false);
  });

  it('the command prints the table and exits 0 when every row passes', () => {
    const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
    const run = spawnSync(process.execPath, [cli, 'experiment', '--validate', '--seed', '1'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^selective repeat sent\/K +arq, p = 0\.05, N = 10 +1\.4269 +1\.4273 +-0\.03 % +error within ±2 % +pass/m);
    expect(run.stdout.match(/ pass/g)).toHaveLength(13);
  });
});

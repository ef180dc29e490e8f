import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment, runExperimentAsync, validateConfig, type ExperimentConfig } from '../../bench/research/experiment.js';
import { parseLossSpec } from '../../bench/research/lossModels.js';
import { summaryTable, writeResults } from '../../bench/research/report.js';
import { summarize } from '../../bench/research/statistics.js';
import { writePlots } from '../../bench/research/plots.js';

const small: ExperimentConfig = {
  schemes: ['rs', 'arq'],
  losses: ['0.1', 'gilbert:0.02,0.3'].map(parseLossSpec),
  receivers: [1, 4],
  sizeBytes: 300_000,
  segmentSize: 1 << 20,
  trials: 2,
  seed: 7,
  lossSpread: 0.5,
  reorder: 0.01,
  duplicate: 0.01,
};

describe('research experiments', () => {
  it('write the same trials.csv for the same configuration and seed, and a different one for another seed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fountcast-exp-'));
    try {
      await writeResults(join(dir, 'a'), runExperiment(small));
      await writeResults(join(dir, 'b'), runExperiment(small));
      await writeResults(join(dir, 'c'), runExperiment({ ...small, seed: 8 }));
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((d) => readFile(join(dir, d, 'trials.csv'), 'utf8')));
      expect(a.split('\n')).toHaveLength(2 * 2 * 2 * 2 + 2); // header, 16 rows, trailing newline
      expect(b).toBe(a);
      expect(c).not.toBe(a);
      const json = JSON.parse(await readFile(join(dir, 'a', 'results.json'), 'utf8'));
      expect(json.config.seed).toBe(7);
      expect(json.rows).toHaveLength(16);
      expect(await readFile(join(dir, 'a', 'timings.csv'), 'utf8')).toMatch(/^scheme,loss,receivers,trial,encodeMs,decodeMs,wallMs,cpuMs,unsimulatedLoss\n/);
      // Plots: SVG with the chart's marks, PNG with the PNG signature and real content.
      const plots = await writePlots(join(dir, 'a'), runExperiment(small));
      expect(plots.filter((f) => f.endsWith('.svg'))).toHaveLength(4);
      for (const f of plots) {
        const bytes = await readFile(f);
        if (f.endsWith('.svg')) {
          expect(bytes.toString()).toMatch(/^<svg/);
          expect(bytes.toString()).toMatch(/class="mark-(line|symbol)/);
        } else {
          expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
          expect(bytes.length).toBeGreaterThan(5000);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('every receiver completes, and one repair serves many where ARQ must resend per loss', () => {
    const r = runExperiment({ schemes: ['raptorq', 'arq'], losses: [parseLossSpec('0.2')], receivers: [8], sizeBytes: 400_000, trials: 1, seed: 3 });
    for (const row of r.rows) expect(row.completed, row.scheme).toBe(8);
    const [rq, arq] = r.rows;
    // With 8 receivers each losing 20 % independently, ARQ resends the union of their losses.
    expect(arq!.symbolsSent / arq!.sourceSymbols).toBeGreaterThan(1.5);
    expect(rq!.symbolsSent / rq!.sourceSymbols).toBeLessThan(1.4);
    expect(summaryTable(r)).toMatch(/raptorq\s+0\.2\s+8/);
  });

  it('arq is textbook selective repeat: sent/K matches sum over k of 1 - (1 - p^k)^N within 2 % at p = 0.05, N = 1, 10, 100', () => {
    const selectiveRepeat = (p: number, n: number) => {
      let sum = 0;
      for (let k = 0; k < 200; k++) sum += 1 - (1 - p ** k) ** n;
      return sum;
    };
    const r = runExperiment({
      schemes: ['arq'],
      losses: [parseLossSpec('0.05')],
      receivers: [1, 10, 100],
      sizeBytes: 1 << 20,
      trials: 10,
      seed: 1,
      decode: 'model',
    });
    for (const n of [1, 10, 100]) {
      const rows = r.rows.filter((row) => row.receivers === n);
      expect(rows).toHaveLength(10);
      for (const row of rows) expect(row.completed).toBe(n);
      const mean = rows.reduce((a, row) => a + row.symbolsSent / row.sourceSymbols, 0) / rows.length;
      expect(Math.abs(mean / selectiveRepeat(0.05, n) - 1), `N = ${n}: ${mean}`).toBeLessThan(0.02);
    }
  });

  it("the product's refinements are schemes of their own: combined resends send far fewer symbols, each resend twice costs more alone", () => {
    const base: ExperimentConfig = {
      schemes: ['arq', 'arq-combined', 'arq-product'],
      losses: [parseLossSpec('0.2')],
      receivers: [8],
      sizeBytes: 400_000,
      trials: 1,
      seed: 3,
    };
    const [plain, combined, product] = runExperiment(base).rows;
    const [modelled] = runExperiment({ ...base, schemes: ['arq-combined'], decode: 'model' }).rows;
    for (const row of [plain!, combined!, product!, modelled!]) expect(row.completed).toBe(8);
    // 8 receivers at 20 %: each id alone resends the union of their losses (1 - 0.8^8 ≈ 83 % of K).
    expect(combined!.symbolsSent).toBeLessThan(plain!.symbolsSent * 0.85);
    expect(product!.symbolsSent).toBeGreaterThan(combined!.symbolsSent);
    expect(Math.abs(modelled!.symbolsSent - combined!.symbolsSent) / combined!.symbolsSent).toBeLessThan(0.05);
    expect(() => validateConfig({ ...base, schemes: ['arq-twice' as never] })).toThrow(expect.objectContaining({ name: 'ExperimentConfigError' }));
  });

  it('gives the same rows, in the same order, on several worker threads (--jobs)', async () => {
    const cfg: ExperimentConfig = {
      schemes: ['raptorq', 'lt', 'arq'],
      losses: ['0.1', 'gilbert:0.02,0.3'].map(parseLossSpec),
      receivers: [1, 3],
      sizeBytes: 120_000,
      trials: 3,
      seed: 21,
    };
    const one = runExperiment(cfg);
    const seen: number[] = [];
    const three = await runExperimentAsync(cfg, (row) => seen.push(row.trial), { jobs: 3 });
    expect(three.rows).toEqual(one.rows);
    expect(three.summaries).toEqual(one.summaries);
    expect(seen).toHaveLength(one.rows.length);
  });

  it('simulates 200 receivers on one stream', () => {
    const r = runExperiment({ schemes: ['arq'], losses: [parseLossSpec('0.05')], receivers: [200], sizeBytes: 100_000, trials: 1, seed: 1, decode: 'real' });
    expect(r.rows[0]!.completed).toBe(200);
    expect(r.rows[0]!.decodeFailures).toBe(0);
  });

  it('uses the configured symbol size: K follows T, and every receiver still completes', () => {
    const run = (symbolSize: number) =>
      runExperiment({
        schemes: ['raptorq'],
        losses: [parseLossSpec('0.05')],
        receivers: [2],
        sizeBytes: 100_000,
        symbolSize,
        trials: 1,
        seed: 1,
        decode: 'real',
      }).rows[0]!;
    const small = run(512);
    const large = run(1392);
    expect(small.sourceSymbols).toBe(Math.ceil(100_000 / 512));
    expect(large.sourceSymbols).toBe(Math.ceil(100_000 / 1392));
    expect(small.completed).toBe(2);
    expect(large.completed).toBe(2);
  });

  it('rejects bad configurations with a named error', () => {
    for (const bad of [{ schemes: [] }, { receivers: [0] }, { trials: 0 }, { sizeBytes: -1 }, { lossSpread: 2 }, { duplicate: -0.1 }]) {
      expect(() => validateConfig({ ...small, ...bad } as ExperimentConfig), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ name: 'ExperimentConfigError' }),
      );
    }
  });

  it('summaries give mean, median, p95 and a 95 % interval', () => {
    const s = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NaN]);
    expect(s.n).toBe(10);
    expect(s.mean).toBe(5.5);
    expect(s.median).toBe(5.5);
    expect(s.p95).toBeCloseTo(9.55, 10);
    expect(s.ci95).toBeCloseTo((1.96 * Math.sqrt(55 / 6)) / Math.sqrt(10), 10);
  });
});

describe('--decode model', () => {
  it('auto (the default) decodes for real up to 20 receivers and models above, and says so per row and line', () => {
    const r = runExperiment({ schemes: ['arq'], losses: [parseLossSpec('0.05')], receivers: [4, 50], sizeBytes: 50_000, trials: 1, seed: 3 });
    expect(r.rows.map((x) => [x.receivers, x.decode])).toEqual([
      [4, 'real'],
      [50, 'model'],
    ]);
    expect(r.rows.every((x) => x.completed === x.receivers)).toBe(true);
    const table = summaryTable(r);
    expect(table).toMatch(/decode: real up to 20 receivers, model above/);
    expect(table).toMatch(/^real +arq +0\.05 +4 /m);
    expect(table).toMatch(/^model +arq +0\.05 +50 /m);
  });

  it('predicts what real decoding gives on small runs (every scheme, same seeds)', () => {
    const cfg: ExperimentConfig = {
      schemes: ['raptorq', 'lt', 'rs', 'arq'],
      losses: ['0.1', 'gilbert:0.02,0.3'].map(parseLossSpec),
      receivers: [3],
      sizeBytes: 600_000,
      trials: 4,
      seed: 11,
    };
    const real = runExperiment(cfg);
    const model = runExperiment({ ...cfg, decode: 'model' });
    expect(model.rows.every((r) => r.decode === 'model')).toBe(true);
    for (let i = 0; i < real.summaries.length; i++) {
      const a = real.summaries[i]!;
      const b = model.summaries[i]!;
      const what = `${a.scheme} ${a.loss}`;
      expect(b.incomplete, what).toBe(0);
      if (a.scheme === 'raptorq') {
        // A probability model: agreement in distribution, not trial by trial.
        expect(Math.abs(a.overhead.mean - b.overhead.mean), what).toBeLessThan(0.01);
        expect(Math.abs(a.sentPerK.mean - b.sentPerK.mean) / a.sentPerK.mean, what).toBeLessThan(0.02);
      } else {
        // LT, RS, ARQ: their decoders on 1-byte symbols decide exactly as on real data, and the
        // ModelReceiver reports exactly as ReceiverCore does, so the trials are identical.
        expect(b.overhead.mean, what).toBe(a.overhead.mean);
        expect(b.sentPerK.mean, what).toBe(a.sentPerK.mean);
        expect(b.decodeFailures, what).toBe(a.decodeFailures);
      }
    }
  });

  it('runs 1,000 receivers on one stream', () => {
    const r = runExperiment({
      schemes: ['raptorq'],
      losses: [parseLossSpec('0.05')],
      receivers: [1000],
      sizeBytes: 1 << 20,
      trials: 1,
      seed: 2,
      decode: 'model',
    });
    expect(r.rows[0]!.completed).toBe(1000);
    expect(r.rows[0]!.overheadMax).toBeLessThan(0.05);
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment, type ExperimentConfig } from '../../bench/research/experiment.js';
import { parseLossSpec } from '../../bench/research/lossModels.js';
import { writePlots } from '../../bench/research/plots.js';
import { reportMarkdown, reproducingCommand } from '../../bench/research/reportPage.js';
import { idealFountainSentPerK, selectiveRepeatSentPerK } from '../../bench/research/theory.js';
import { IDEAL_FOUNTAIN, SELECTIVE_REPEAT, theoryCurves } from '../../bench/research/theoryCurves.js';
import { relativeCheck } from '../../bench/research/validation.js';

const cfg: ExperimentConfig = {
  schemes: ['raptorq', 'arq'],
  losses: ['0', '0.05', 'gilbert:0.02,0.3'].map(parseLossSpec),
  receivers: [1, 10, 100],
  sizeBytes: 200_000,
  trials: 1,
  seed: 4,
  decode: 'model',
};

describe('report page and plots', () => {
  it('theory curves: the closed forms at each Bernoulli rate over the receiver range, none for Gilbert–Elliott', () => {
    const pts = theoryCurves(cfg);
    expect(pts.some((p) => p.loss.startsWith('gilbert'))).toBe(false);
    const at = (series: string, loss: string, n: number) => pts.find((p) => p.series === series && p.loss === loss && p.receivers === n)!.sentPerK;
    expect(at(SELECTIVE_REPEAT, '0.05', 100)).toBe(selectiveRepeatSentPerK(0.05, 100));
    expect(at(IDEAL_FOUNTAIN, '0.05', 10)).toBeCloseTo(idealFountainSentPerK(144, 0.05, 10), 12); // 200,000 B: one segment, K = 144
    expect(at(IDEAL_FOUNTAIN, '0', 100)).toBe(1);
    // Large K, high loss, many receivers: the sum ends (its cdf's rounding must not stall it).
    expect(idealFountainSentPerK(3013, 0.2, 1000)).toBeGreaterThan(1.25);
  });

  it('report.md holds the reproducing command, the summary, the validation table and the plots; plots label log axes at powers of ten', async () => {
    const result = runExperiment(cfg);
    const row = relativeCheck('selective repeat sent/K', 'arq, p = 0.05, N = 10', 1.43, selectiveRepeatSentPerK(0.05, 10), 0.02);
    const command = reproducingCommand(['experiment', '--schemes', 'raptorq,arq', '--burst', 'gilbert:0.02,0.3'], 4, 'out dir');
    expect(command).toBe("fountcast experiment --schemes raptorq,arq --burst gilbert:0.02,0.3 --seed 4 --out 'out dir'");
    const dir = await mkdtemp(join(tmpdir(), 'fountcast-report-'));
    try {
      const files = await writePlots(dir, result);
      const md = reportMarkdown({ command, result, validation: [row], plots: files.filter((f) => f.endsWith('.png')) });
      expect(md).toContain(command);
      expect(md).toMatch(/^model +arq +0\.05 +100 /m);
      expect(md).toMatch(/^\| selective repeat sent\/K \| arq, p = 0\.05, N = 10 \| 1\.4300 \| 1\.4273 \| 0\.19 % \| error within ±2 % \| pass \|$/m);
      expect(md).toContain('![sent-per-k-vs-receivers](sent-per-k-vs-receivers.png)');
      const svg = await readFile(join(dir, 'sent-per-k-vs-receivers.svg'), 'utf8');
      // Tick labels 1, 10, 100 only (no 2, 3, … 90 crowding the log axis), and the theory legend.
      const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
      expect(labels).toContain('100');
      expect(labels).not.toContain('20');
      expect(labels).toContain(SELECTIVE_REPEAT);
      // One CDF panel per loss configuration.
      const cdf = await readFile(join(dir, 'overhead-cdf.svg'), 'utf8');
      for (const loss of ['0', '0.05', 'gilbert:0.02,0.3']) expect(cdf).toContain(`>${loss}</text>`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

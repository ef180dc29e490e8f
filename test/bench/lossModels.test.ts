import { describe, expect, it } from 'vitest';
import { BernoulliLoss, Channel, GilbertElliottLoss, parseLossSpec } from '../../bench/research/lossModels.js';
import { SeededRandom } from '../../util/random.js';

const N = 400_000;

describe('loss models', () => {
  it('Bernoulli loses its configured rate (within 4 sigma) and is reproducible', () => {
    for (const p of [0.01, 0.05, 0.2]) {
      const m = new BernoulliLoss(p, new SeededRandom(5));
      let lost = 0;
      for (let i = 0; i < N; i++) if (m.lost()) lost++;
      expect(Math.abs(lost - N * p)).toBeLessThan(4 * Math.sqrt(N * p * (1 - p)));
    }
    const a = new BernoulliLoss(0.1, new SeededRandom(9));
    const b = new BernoulliLoss(0.1, new SeededRandom(9));
    for (let i = 0; i < 1000; i++) expect(a.lost()).toBe(b.lost());
  });

  it('Gilbert–Elliott has its long-run rate and mean burst length', () => {
    const m = new GilbertElliottLoss({ p: 0.01, r: 0.3 }, new SeededRandom(7));
    let lost = 0;
    let bursts = 0;
    let prev = false;
    for (let i = 0; i < N; i++) {
      const l = m.lost();
      if (l) lost++;
      if (l && !prev) bursts++;
      prev = l;
    }
    expect(m.meanLoss).toBeCloseTo(0.01 / 0.31, 10);
    expect(lost / N).toBeGreaterThan(m.meanLoss * 0.9);
    expect(lost / N).toBeLessThan(m.meanLoss * 1.1);
    const meanBurst = lost / bursts;
    expect(meanBurst).toBeGreaterThan(m.meanBurst * 0.9);
    expect(meanBurst).toBeLessThan(m.meanBurst * 1.1);
  });

  it('a channel reorders and duplicates at its configured rates', () => {
    const c = new Channel(new BernoulliLoss(0, new SeededRandom(1)), { delayMs: 1, reorder: 0.1, reorderMs: 5, duplicate: 0.02 }, new SeededRandom(2));
    let dup = 0;
    let late = 0;
    for (let i = 0; i < 100_000; i++) {
      const at = c.deliver(i * 0.01);
      if (at.length === 2) dup++;
      if (at[0]! > i * 0.01 + 1) late++;
    }
    expect(dup / 1e5).toBeGreaterThan(0.017);
    expect(dup / 1e5).toBeLessThan(0.023);
    expect(late / 1e5).toBeGreaterThan(0.09);
    expect(late / 1e5).toBeLessThan(0.11);
  });

  it('parses loss specs and rejects nonsense', () => {
    expect(parseLossSpec('0.05')).toEqual({ kind: 'bernoulli', loss: 0.05 });
    expect(parseLossSpec('gilbert:0.01,0.3')).toEqual({ kind: 'gilbert', p: 0.01, r: 0.3 });
    for (const bad of ['', '1.5', '-0.1', 'gilbert:0.1', 'gilbert:2,0.3', 'gilbert:0,0', 'bursty']) expect(() => parseLossSpec(bad), bad).toThrow(RangeError);
  });
});

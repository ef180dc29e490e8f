import { describe, expect, it } from 'vitest';
import { RateController } from '../../sender/rateController.js';
import { SeededRandom } from '../../util/random.js';

/** A link that delivers at most `capacity` datagrams per report interval plus random loss. */
function simulate(c: RateController, capacityPerReport: number, randomLoss: number, reports: number, seed = 1) {
  const r = new SeededRandom(seed);
  const rates: number[] = [];
  for (let i = 0; i < reports; i++) {
    const sent = Math.round((c.bytesPerSecond * 0.02) / 1420); // datagrams in a 20 ms interval
    let received = 0;
    let lost = 0;
    for (let k = 0; k < sent; k++) {
      if (k >= capacityPerReport || r.next() < randomLoss) lost++;
      else received++;
    }
    rates.push(c.onReport(i * 20, received, lost));
  }
  return rates;
}

describe('RateController', () => {
  it('slow-starts, then settles near a bottleneck instead of overrunning it', () => {
    const c = new RateController({ capBytesPerSecond: 0, now: 0 });
    // Bottleneck: 1400 datagrams per 20 ms ≈ 99 MB/s.
    const rates = simulate(c, 1400, 0, 300);
    const tail = rates.slice(-100);
    const mean = tail.reduce((a, b) => a + b, 0) / tail.length;
    expect(mean).toBeGreaterThan(0.6 * 99e6);
    expect(mean).toBeLessThan(1.2 * 99e6);
    expect(c.congestionEvents).toBeGreaterThan(0);
  });

  it('learns steady random loss instead of throttling (lossy link, no bottleneck below the cap)', () => {
    for (const loss of [0.05, 0.2]) {
      const c = new RateController({ capBytesPerSecond: 100e6, now: 0, initialBytesPerSecond: 10e6 });
      const rates = simulate(c, Infinity, loss, 200, 3);
      expect(rates.at(-1), `loss ${loss}`).toBe(100e6);
    }
  });

  it('never exceeds the cap nor drops below the floor', () => {
    const c = new RateController({ capBytesPerSecond: 50e6, now: 0 });
    expect(c.bytesPerSecond).toBe(50e6);
    for (let i = 0; i < 500; i++) c.onReport(i * 100, 0, 1000); // everything lost, forever
    expect(c.bytesPerSecond).toBe(1e6);
    // Recovery is bounded by 1.25 x what arrives: 5000 datagrams per 100 ms is ~71 MB/s.
    for (let i = 500; i < 2000; i++) c.onReport(i * 100, 5000, 0);
    expect(c.bytesPerSecond).toBe(50e6);
  });

  it('pools tiny reports and decreases at most once per 50 ms', () => {
    const c = new RateController({ capBytesPerSecond: 0, now: 0 });
    expect(c.onReport(0, 10, 10)).toBe(40e6); // 20 datagrams: pooled, no decision
    c.onReport(1, 1000, 0); // baseline 0-ish, slow start
    const r1 = c.onReport(2, 500, 500);
    const r2 = c.onReport(3, 500, 500);
    expect(r1).toBeLessThan(60e6);
    expect(r2).toBe(r1);
  });
});

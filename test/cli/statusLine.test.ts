/** The status line and its rate: drawn in place, out of the way of other lines, closed for good; no rate or ETA before there is one. */
import { describe, expect, it } from 'vitest';
import { formatEta, percent, StatusLine, withBar } from '../../cli/progressBar.js';
import { RateMeter } from '../../cli/rateMeter.js';

function terminal(columns = 80) {
  const written: string[] = [];
  let now = 0;
  const line = new StatusLine({ write: (t) => written.push(t), columns: () => columns }, () => now);
  return { line, written, at: (t: number) => (now = t) };
}

describe('status line', () => {
  it('redraws in place, at most every 100 ms unless forced', () => {
    const t = terminal();
    t.line.update('a');
    t.at(50);
    t.line.update('b');
    t.at(60);
    t.line.update('c', true);
    expect(t.written).toEqual(['\ra\x1b[K', '\rc\x1b[K']);
  });

  it('prints other lines above it and draws it again below them', () => {
    const t = terminal();
    t.line.update('receiving 40%');
    t.line.print('a log line\n');
    expect(t.written).toEqual(['\rreceiving 40%\x1b[K', '\r\x1b[K', 'a log line\n', '\rreceiving 40%\x1b[K']);
  });

  it('once closed it is erased, and nothing draws it again: the next line starts clean', () => {
    const t = terminal();
    t.line.update('receiving 100%');
    t.line.close();
    t.at(1000);
    t.line.update('receiving 100%', true);
    t.line.print('received f.bin\n');
    expect(t.written).toEqual(['\rreceiving 100%\x1b[K', '\r\x1b[K', 'received f.bin\n']);
  });

  it('never wraps: cut to the columns less one', () => {
    const t = terminal(20);
    t.line.update('x'.repeat(50));
    expect(t.written[0]).toBe(`\r${'x'.repeat(18)}…\x1b[K`);
    expect(withBar(['receiving f.bin', ' 50%', '{bar}', '1.0 MiB / 2.0 MiB'], 0.5, 79).length).toBeLessThanOrEqual(79);
    expect(withBar(['receiving f.bin', ' 50%', '{bar}', '1.0 MiB'], 0.5, 30)).toBe('receiving f.bin   50%  1.0 MiB');
  });

  it('says 100 % only when done, and ETAs in minutes past a minute', () => {
    expect(percent(999, 1000)).toBe('99%');
    expect(percent(1000, 1000)).toBe('100%');
    expect(formatEta(42.4)).toBe('42s');
    expect(formatEta(185)).toBe('3m05s');
    expect(formatEta(3720)).toBe('1h02m');
  });
});

describe('rate meter', () => {
  it('has no rate (so no ETA) in its first second, whatever the first burst looked like', () => {
    const m = new RateMeter();
    m.sample(0, 0);
    m.sample(100, 2_000_000); // 2 % of 100 MB in 0.1 s
    expect(m.rateBitsPerSecond(100)).toBeUndefined();
    expect(m.etaSeconds(100, 98_000_000)).toBeUndefined();
    m.sample(1000, 10_000_000);
    expect(m.rateBitsPerSecond(1000)).toBe(80e6);
    expect(m.etaSeconds(1000, 90_000_000)).toBe(9);
  });

  it('starts its clock when the count first moves (a sender waiting for receivers)', () => {
    const m = new RateMeter();
    m.sample(0, 0);
    m.sample(30_000, 0);
    m.sample(30_500, 1_000_000);
    expect(m.rateBitsPerSecond(30_500)).toBeUndefined();
    m.sample(31_000, 2_000_000);
    expect(m.rateBitsPerSecond(31_000)).toBe(16e6);
  });

  it('takes the rate over the last few seconds, and a stall shows as a falling rate without an ETA at zero', () => {
    const m = new RateMeter({ windowMs: 2000 });
    for (let t = 0; t <= 10_000; t += 500) m.sample(t, t < 5000 ? t * 1000 : 5_000_000 + (t - 5000) * 100);
    expect(m.rateBitsPerSecond(10_000)).toBeCloseTo(800_000, -3);
    const stalled = new RateMeter();
    stalled.sample(0, 0);
    stalled.sample(500, 1000);
    expect(stalled.etaSeconds(20_000, 5000)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { Member, Membership } from '../../sender/membership.js';
import { RateController } from '../../sender/rateController.js';
import { progress as report } from './progressReport.js';

describe('Membership (shared stream receivers)', () => {
  it('wants the lowest segment an active member needs inside its window; silent members stop counting', () => {
    const ms = new Membership(100, 500);
    ms.add('front', 8, 0);
    ms.report('front', 10, report({ completeBelow: 40 }));
    expect(ms.lowestWanted(10, () => false)).toBe(40);
    ms.add('late', 8, 20);
    expect(ms.lowestWanted(20, () => false)).toBe(0);
    expect(ms.lowestWanted(20, (s) => s < 3)).toBe(3);
    // 'late' never reports: after 500 ms it no longer holds the stream back, 'front' still does.
    ms.report('front', 600, report({ completeBelow: 41 }));
    expect(ms.lowestWanted(600, () => false)).toBe(41);
    expect(ms.anyActiveNeedsSegment(0, 600)).toBe(false);
    // Segments outside a member's window are not wanted for it.
    expect(ms.lowestWanted(600, (s) => s < 49)).toBeUndefined();
  });

  it('knows which segments a member has started, and completion', () => {
    const ms = new Membership(4, 500);
    ms.add('a', 4, 0);
    ms.report(
      'a',
      1,
      report({
        completeAbove: [2],
        open: [
          { index: 0, received: 5, needed: 10 },
          { index: 1, received: 0, needed: 20 },
        ],
      }),
    );
    expect(ms.anyStarted(0, 1)).toBe(true);
    expect(ms.anyStarted(1, 1)).toBe(false);
    expect(ms.get('a')!.needs(2)).toBe(false);
    ms.report('a', 2, report({ completeBelow: 4 }));
    expect(ms.get('a')!.complete).toBe(true);
    expect(ms.anyActiveNeeds(2)).toBe(false);
  });

  it('paces at the slowest active member: a lossy one cuts only its own controller', () => {
    const ms = new Membership(10, 500, (now) => new RateController({ rateBytesPerSecond: 100e6, now, floorBytesPerSecond: 5e6 }));
    ms.add('clean', 8, 0);
    ms.add('lossy', 8, 0);
    let t = 0;
    let rx = 0;
    let lost = 0;
    for (let i = 1; i <= 20; i++) {
      t += 20;
      ms.report('clean', t, report({ datagramsReceived: i * 1000 }));
      // Clean at first (the controller learns a loss-free baseline), then 30 % loss: congestion.
      const l = i <= 5 ? 0 : 300;
      rx += 1000 - l;
      lost += l;
      ms.report('lossy', t, report({ datagramsReceived: rx, datagramsLost: lost }));
    }
    const clean = ms.get('clean')!.rate!.bytesPerSecond;
    const lossy = ms.get('lossy')!.rate!.bytesPerSecond;
    expect(lossy).toBeLessThan(clean);
    expect(ms.slowestRate(t)).toBe(lossy);
    expect(lossy).toBeGreaterThanOrEqual(5e6); // never below the floor
  });

  it("subtracts the receiver's heldMs from a report's age before the rate controller reads it as queue", () => {
    const run = (held: (age: number) => number) => {
      const rate = new RateController({ rateBytesPerSecond: 0, now: 0, initialBytesPerSecond: 10e6 });
      const m = new Member('r', 8, 100, 0, rate);
      let seq = 0;
      // 2 ms of path for 5 s, then every report is 60 ms old (a receiver holding its report, or a queue).
      for (let t = 20; t <= 10_000; t += 20) {
        const age = t < 5000 ? 2 : 60;
        seq += 100;
        m.update(t, report({ highestSequence: seq, datagramsReceived: seq, heldMs: held(age) }), seq, t - age);
      }
      return { queueEvents: rate.queueEvents, delay: m.reportDelayMs };
    };
    // Without heldMs the 58 ms rise is a standing queue and cuts the rate; with it, nothing.
    expect(run(() => 0).queueEvents).toBeGreaterThan(0);
    const held = run((age) => age - 2);
    expect(held.queueEvents).toBe(0);
    // The in-flight horizon still uses the raw age: those symbols did take 60 ms to be reported.
    expect(held.delay).toBeGreaterThanOrEqual(60);
  });
});

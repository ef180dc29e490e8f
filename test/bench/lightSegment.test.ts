/** The group load generator's light receivers count a segment's symbols as a real receiver does. */
import { describe, expect, it } from 'vitest';
import { LightSegment } from '../../bench/groups/lightSegment.js';
import { groupLine, spread, type GroupResult } from '../../bench/groups/groupBench.js';

describe('light segment', () => {
  it('counts distinct source and repair ids, lists the lost sources, and completes at K', () => {
    const s = new LightSegment(5);
    expect(s.add(0)).toBe('added');
    expect(s.add(0)).toBe('duplicate');
    expect(s.add(2)).toBe('added');
    // Only ids below the highest seen count as lost while no repair came.
    expect(s.missingSource(10)).toEqual([1]);
    expect(s.add(9)).toBe('added'); // a repair symbol: every absent source is lost now
    expect(s.missingSource(10)).toEqual([1, 3, 4]);
    expect(s.missingSource(2)).toBeUndefined(); // more than the limit: not listed
    expect([s.received, s.needed, s.complete]).toEqual([3, 2, false]);
    // A combined resend gives the one id this segment lacks of it, and nothing when it lacks two.
    expect(s.addCombined([0, 1])).toBe('added');
    expect(s.addCombined([3, 4])).toBe('combined-undecodable');
    expect(s.addCombined([0, 2])).toBe('duplicate');
    expect(s.addCombined([0, 7])).toBe('combined-not-source');
    expect(s.add(3)).toBe('added');
    expect([s.received, s.needed, s.complete, s.missingSource(10)]).toEqual([5, 0, true, undefined]);
  });

  it('spreads receivers over processes without empty ones, and prints one line per group', () => {
    expect(spread(10, 4)).toEqual([3, 3, 2, 2]);
    expect(spread(2, 4)).toEqual([1, 1]);
    const run: GroupResult = {
      receivers: 16,
      sender: { transferSeconds: 2, cpuSeconds: 0.5, mainThreadCpuSeconds: 0.1, otherThreadsCpuSeconds: 0.4, completed: 16, failed: 0 },
      frames: 1600,
      bytes: 320_000,
      progress: 1500,
      receiversFailed: 0,
      slowestReceiverSeconds: 2.1,
      generatorCpuSeconds: 1,
      failures: [],
      baseline: { transferSeconds: 2, cpuSeconds: 0.3, completed: 1, failed: 0 },
    };
    expect(groupLine(run, run)).toMatch(
      /^bench=groups receivers=16 transfer_s=2\.00 transfer_vs_first=1\.00 .*control_cores=0\.100 frames_per_s=800 progress_per_s=750 /,
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResendQueue } from '../../sender/resendQueue.js';

describe('ResendQueue', () => {
  it('pairs ids that different members alone lack into one datagram, oldest first, ascending', () => {
    const q = new ResendQueue();
    q.add(10, 'a');
    q.add(3, 'b');
    q.add(7, 'c');
    q.add(11, 'a');
    expect(q.size).toBe(4);
    // 10 (a) first; partners: b's 3 and c's 7; a's 11 cannot join (a would lack two).
    expect(q.take(8)).toEqual([3, 7, 10]);
    expect(q.take(8)).toEqual([11]);
    expect(q.take(8)).toBeUndefined();
    expect(q.size).toBe(0);
  });

  it('never combines two ids one member lacks, also when ids are lacked by several members', () => {
    const q = new ResendQueue();
    q.add(1, 'a');
    q.add(1, 'b'); // 1: a and b
    q.add(2, 'b');
    q.add(3, 'c');
    q.add(4, 'a');
    q.add(4, 'c'); // 4: a and c
    q.add(5, 'd');
    expect(q.take(8)).toEqual([1, 3, 5]); // 1 serves a, b; c alone lacks 3, d alone lacks 5
    expect(q.take(8)).toEqual([2, 4]); // 2 serves b; 4 (a, c) is disjoint from {b}
    expect(q.take(8)).toBeUndefined();
  });

  it('respects the size limit; 1 resends each id alone in queue order', () => {
    const q = new ResendQueue();
    for (const [esi, m] of [
      [5, 'a'],
      [6, 'b'],
      [7, 'c'],
      [8, 'd'],
    ] as const)
      q.add(esi, m);
    expect(q.take(2)).toEqual([5, 6]);
    const one = new ResendQueue();
    for (const [esi, m] of [
      [5, 'a'],
      [6, 'b'],
      [7, 'c'],
    ] as const)
      one.add(esi, m);
    expect([one.take(1), one.take(1), one.take(1), one.take(1)]).toEqual([[5], [6], [7], undefined]);
  });

  it('forgets a member that left: what only it lacked is dropped, shared ids stay', () => {
    const q = new ResendQueue();
    q.add(1, 'a');
    q.add(2, 'a');
    q.add(2, 'b');
    q.add(3, 'c');
    q.forget('a');
    expect(q.has(1)).toBe(false);
    expect(q.size).toBe(2);
    expect(q.take(8)).toEqual([2, 3]);
  });

  it('takes every queued id exactly once, and every member lacks at most one id of each datagram (seeded)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(200), fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j')), { maxLength: 400 }),
        fc.integer({ min: 1, max: 8 }),
        fc.nat(400),
        (adds, max, takeAfter) => {
          const q = new ResendQueue();
          const lackers = new Map<number, Set<string>>();
          const taken: number[] = [];
          const check = (ids: number[]) => {
            expect(ids.length).toBeLessThanOrEqual(max);
            for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
            const seen = new Set<string>();
            for (const esi of ids) {
              for (const m of lackers.get(esi)!) {
                expect(seen.has(m), `member ${m} lacks two ids of [${ids}]`).toBe(false);
                seen.add(m);
              }
              lackers.delete(esi);
            }
            taken.push(...ids);
          };
          adds.forEach(([esi, m], i) => {
            q.add(esi, m);
            const set = lackers.get(esi) ?? new Set<string>();
            set.add(m);
            lackers.set(esi, set);
            if (i === takeAfter) for (let ids = q.take(max); ids; ids = q.take(max)) check(ids);
          });
          for (let ids = q.take(max); ids; ids = q.take(max)) check(ids);
          expect(q.size).toBe(0);
          expect(lackers.size).toBe(0);
          // Re-queued after being taken is fine; within one drain no id is taken twice.
          expect(new Set(taken).size).toBe(taken.length - countRequeued(adds, takeAfter));
        },
      ),
      { seed: 17, numRuns: 2000 },
    );
  });
});

/** Ids added again after the mid-way drain took them (they are then taken a second time). */
function countRequeued(adds: readonly (readonly [number, string])[], takeAfter: number): number {
  if (takeAfter >= adds.length) return 0;
  const before = new Set(adds.slice(0, takeAfter + 1).map(([e]) => e));
  const after = new Set(adds.slice(takeAfter + 1).map(([e]) => e));
  let n = 0;
  for (const e of after) if (before.has(e)) n++;
  return n;
}

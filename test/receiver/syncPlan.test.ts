import { describe, expect, it } from 'vitest';
import type { TreeEntry } from '../../control/messages.js';
import { planSegments } from '../../encoder/segmentLayout.js';
import { segmentsCovered, wantedBytes, wantedFiles } from '../../receiver/syncPlan.js';
import { BitSet } from '../../util/bitset.js';

const file = (path: string, size: number): TreeEntry => ({ path, kind: 'file', size, mode: 0o644, mtimeMs: 0, sha256: '0'.repeat(64) });
const dir = (path: string): TreeEntry => ({ path, kind: 'dir', size: 0, mode: 0o755, mtimeMs: 0 });
const set = (n: number, members: number[]) => {
  const b = new BitSet(n);
  for (const m of members) b.add(m);
  return b;
};
const members = (b: BitSet) => Array.from({ length: b.size }, (_, i) => i).filter((i) => b.has(i));

describe('syncPlan', () => {
  // Object: a[0,128) b (empty) c[128,320) d[320,512); segments of 128 bytes: 0..3.
  const entries = [dir('d'), file('d/a', 128), file('d/b', 0), file('d/c', 192), file('d/d', 192)];
  const layout = planSegments(512, { segmentSize: 128, symbolSize: 64 });

  it('wants exactly the files not present, never dirs', () => {
    expect(members(wantedFiles(entries, set(5, [1, 3])))).toEqual([2, 4]);
    expect(wantedBytes(entries, wantedFiles(entries, set(5, [1, 3])))).toBe(192);
  });

  it('covers a segment only when every byte of it is in present files', () => {
    // a and c present: segment 0 (a), 1 (c) covered; 2 spans c and d: not; 3 is d: not.
    expect(members(segmentsCovered(entries, set(5, [1, 2, 3]), layout))).toEqual([0, 1]);
    // Only d present: segment 3 only (2 needs c's tail).
    expect(members(segmentsCovered(entries, set(5, [4]), layout))).toEqual([3]);
    expect(members(segmentsCovered(entries, set(5, []), layout))).toEqual([]);
    expect(members(segmentsCovered(entries, set(5, [1, 2, 3, 4]), layout))).toEqual([0, 1, 2, 3]);
  });

  it('an absent empty file keeps nothing from being covered', () => {
    expect(members(segmentsCovered(entries, set(5, [1, 3, 4]), layout))).toEqual([0, 1, 2, 3]);
  });
});

/**
 * The shared stream's resends, driven directly with a fake clock: combined datagrams on the wire,
 * and the second copy of each resend once nothing else is left to send (finalPhase).
 */
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../control/messages.js';
import { parseDatagram } from '../../encoder/datagram.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { planSegments } from '../../encoder/segmentLayout.js';
import { SharedStream } from '../../sender/sharedStream.js';
import { SeededRandom } from '../../util/random.js';

const T = 1392;
const K = 8;
const codec = raptorqCodec();

function stream(segments: number, gatherMs = 0, recovery: 'resend' | 'auto' = 'resend') {
  const layout = planSegments(segments * K * T, { segmentSize: K * T, symbolSize: T });
  return new SharedStream({
    sessionId: 9,
    layout,
    codec,
    integrity: crc32Scheme,
    rateBytesPerSecond: 0,
    fixedRate: true,
    now: 0,
    recovery,
    window: segments,
    gatherMs,
  });
}

/** Hands the stream every segment it asks for (as the worker's reads do). */
function load(s: SharedStream, now: number): void {
  for (let i = s.pollSegmentLoad(); i !== undefined; i = s.pollSegmentLoad()) s.provideSegment(now, i, new SeededRandom(i + 1).fill(new Uint8Array(K * T)));
}

/** Every datagram due at `now`, as [segment, ids]. */
function drain(s: SharedStream, now: number): [number, number[]][] {
  const out: [number, number[]][] = [];
  load(s, now);
  for (let d = s.pollTransmit(now); d; d = s.pollTransmit(now), load(s, now)) {
    const v = parseDatagram(d, { sessionId: 9, symbolSize: T, segmentCount: 64, encodingSymbolIdLimit: 1 << 24, integrity: crc32Scheme });
    if (!v.ok) throw new Error(v.reason);
    out.push([v.segmentIndex, v.combinedIds ? [...v.combinedIds] : [v.encodingSymbolId]]);
  }
  return out;
}

function report(segment: number, missing: number[], highestSequence: number): Progress {
  return {
    type: 'progress',
    completeBelow: 0,
    completeAbove: [],
    open: [{ index: segment, received: K - missing.length, needed: missing.length, missing }],
    highestSequence,
    datagramsReceived: 100,
    datagramsLost: 0,
  };
}

describe('shared stream resends', () => {
  it('combines what different members lost, and at the end sends each resend datagram twice', () => {
    const s = stream(1);
    s.addMember(0, 'a', 8);
    s.addMember(0, 'b', 8);
    expect(drain(s, 0)).toEqual(Array.from({ length: K }, (_, i) => [0, [i]])); // the sources
    // 100 ms later (past the in-flight horizon): a lost 1 and 2, b lost 5.
    s.handleProgress(100, 'a', report(0, [1, 2], 7));
    s.handleProgress(100, 'b', report(0, [5], 7));
    // Nothing else is left to send: every resend datagram goes out a second time.
    expect(drain(s, 100)).toEqual([
      [0, [1, 5]],
      [0, [2]],
      [0, [1, 5]],
      [0, [2]],
    ]);
    expect(s.stats.combinedResends).toBe(2);
  });

  it('while another segment still has sources to send, a resend goes out once', () => {
    const s = stream(2);
    s.addMember(0, 'a', 8);
    load(s, 0);
    for (let i = 0; i < K + 2; i++) expect(s.pollTransmit(0)).toBeDefined();
    // Segment 0's sources are out and segment 1's are going: a reports 3 of segment 0 lost.
    s.handleProgress(100, 'a', report(0, [3], K - 1));
    const rest = drain(s, 100);
    expect(rest.filter(([seg, ids]) => seg === 0 && ids.includes(3))).toHaveLength(1);
    expect(rest.filter(([seg]) => seg === 1)).toHaveLength(K - 2);
  });

  it('owes a member that has not reported a segment yet nothing in advance while its sources go out (auto: losses are resent once listed)', () => {
    const s = stream(3, 0, 'auto');
    s.addMember(0, 'a', 8);
    s.addMember(0, 'b', 8);
    load(s, 0);
    for (let i = 0; i < K; i++) expect(s.pollTransmit(0)).toBeDefined();
    // Both have all of segment 0; b's counters say it loses ~10 % (its estimate becomes 5 %).
    const done0 = { ...report(0, [], K - 1), open: [], completeBelow: 1 };
    s.handleProgress(4, 'a', done0);
    s.handleProgress(4, 'b', { ...done0, datagramsReceived: 0, datagramsLost: 0 });
    s.handleProgress(5, 'b', { ...done0, datagramsReceived: 1800, datagramsLost: 200 });
    // Segment 1 opens and its sources go out before b reports it: no repair for b's expected loss.
    const rest = drain(s, 6);
    expect(rest.filter(([seg]) => seg === 1)).toHaveLength(K);
    expect(rest.filter(([, ids]) => ids[0]! >= K)).toEqual([]);
  });

  it('owes a member whose reports lag behind a segment nothing once its sources are out, and resends what it then lists (auto)', () => {
    const s = stream(2, 0, 'auto');
    s.addMember(0, 'a', 8);
    s.addMember(0, 'b', 8);
    load(s, 0);
    for (let i = 0; i < 2 * K; i++) expect(s.pollTransmit(0)).toBeDefined(); // both segments' sources
    // a has it all; b (busy) reports only segment 0, at sequence K-1: segment 1's sources are on their way to it.
    s.handleProgress(10, 'a', { ...report(0, [], 2 * K - 1), open: [], completeBelow: 2 });
    const lagging = { ...report(0, [], K - 1), open: [], completeBelow: 1 };
    s.handleProgress(10, 'b', { ...lagging, datagramsReceived: 0, datagramsLost: 0 });
    s.handleProgress(11, 'b', { ...lagging, datagramsReceived: 1800, datagramsLost: 200 }); // its estimate: 5 %
    expect(drain(s, 12)).toEqual([]);
    // Its list of segment 1 comes: those ids are resent, with no repair symbol.
    s.handleProgress(40, 'b', { ...report(1, [2, 6], 2 * K - 1), completeBelow: 1, datagramsReceived: 1814, datagramsLost: 202 });
    const rest = drain(s, 40);
    expect(rest.filter(([, ids]) => ids[0]! >= K)).toEqual([]);
    expect(rest).toContainEqual([1, [2]]);
    expect(rest).toContainEqual([1, [6]]);
    // The same report long after the sources (past the in-flight horizon), without a list, still gets repair.
    const t = stream(1, 0, 'auto');
    t.addMember(0, 'b', 8);
    load(t, 0);
    for (let i = 0; i < K; i++) expect(t.pollTransmit(0)).toBeDefined();
    t.handleProgress(200, 'b', {
      type: 'progress',
      completeBelow: 0,
      completeAbove: [],
      open: [],
      highestSequence: -1,
      datagramsReceived: 0,
      datagramsLost: 0,
    });
    expect(drain(t, 200).filter(([, ids]) => ids[0]! >= K).length).toBeGreaterThan(0);
  });

  it("gathers: while sources flow, a resend waits gatherMs for other members' losses to combine with", () => {
    const s = stream(2, 30);
    s.addMember(0, 'a', 8);
    s.addMember(0, 'b', 8);
    load(s, 0);
    for (let i = 0; i < K + 2; i++) expect(s.pollTransmit(0)).toBeDefined();
    s.handleProgress(100, 'a', report(0, [3], K - 1));
    // Held: segment 1's sources go first.
    const first = parseDatagram(s.pollTransmit(100)!, {
      sessionId: 9,
      symbolSize: T,
      segmentCount: 64,
      encodingSymbolIdLimit: 1 << 24,
      integrity: crc32Scheme,
    });
    expect(first.ok && first.segmentIndex).toBe(1);
    s.handleProgress(110, 'b', report(0, [5], K));
    // 30 ms after a's loss was queued: one datagram for both members.
    const rest = drain(s, 131);
    expect(rest[0]).toEqual([0, [3, 5]]);
    expect(rest.filter(([seg]) => seg === 1)).toHaveLength(K - 3);
  });
});

/**
 * Resume on the sender (Request.have): segments a receiver already holds are never loaded,
 * opened or sent for it. Both stream cores are driven on virtual time against lossless model
 * receivers that report like the real one (completeBelow, completeAbove, open), and the
 * datagrams each segment got are counted.
 */
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../control/messages.js';
import { parseDatagram } from '../../encoder/datagram.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { planSegments } from '../../encoder/segmentLayout.js';
import { SharedStream } from '../../sender/sharedStream.js';
import type { StreamCore } from '../../sender/streamCore.js';
import { UnicastStream } from '../../sender/unicastStream.js';
import { BitSet } from '../../util/bitset.js';

const T = 1392;
const K = 8;
const SEGMENTS = 16;
const WINDOW = 4;
const codec = raptorqCodec();
const layout = planSegments(SEGMENTS * K * T, { segmentSize: K * T, symbolSize: T });
const common = { sessionId: 9, layout, codec, integrity: crc32Scheme, rateBytesPerSecond: 0, fixedRate: true, now: 0 };
const expectations = { sessionId: 9, symbolSize: T, segmentCount: SEGMENTS, encodingSymbolIdLimit: 1 << 24, integrity: crc32Scheme };

/** A lossless receiver: a segment is complete once K distinct symbols came; held ones from the start. */
class ModelReceiver {
  private readonly got = new Map<number, Set<number>>();
  private readonly done: BitSet;
  private completeBelow = 0;
  private received = 0;
  private highest = 0;
  /** Datagrams that carried a segment this receiver already had (held or complete). */
  wasted = 0;

  constructor(held?: BitSet) {
    this.done = held ? BitSet.fromBytes(SEGMENTS, held.toBytes())! : new BitSet(SEGMENTS);
    this.advance();
  }

  get complete(): boolean {
    return this.completeBelow >= SEGMENTS;
  }

  take(segment: number, id: number, sequence: number): void {
    this.received++;
    this.highest = Math.max(this.highest, sequence);
    if (this.done.has(segment)) {
      this.wasted++;
      return;
    }
    // Outside the window the real receiver drops it too (window-full).
    if (segment >= this.completeBelow + WINDOW) return;
    const ids = this.got.get(segment) ?? new Set<number>();
    ids.add(id);
    this.got.set(segment, ids);
    if (ids.size >= K) {
      this.done.add(segment);
      this.got.delete(segment);
      this.advance();
    }
  }

  report(): Progress {
    const end = Math.min(SEGMENTS, this.completeBelow + WINDOW);
    const completeAbove: number[] = [];
    for (let s = this.completeBelow + 1; s < end; s++) if (this.done.has(s)) completeAbove.push(s);
    const open = [...this.got].map(([index, ids]) => ({ index, received: ids.size, needed: K - ids.size }));
    return {
      type: 'progress',
      completeBelow: this.completeBelow,
      completeAbove,
      open,
      highestSequence: this.highest,
      datagramsReceived: this.received,
      datagramsLost: 0,
    };
  }

  private advance(): void {
    while (this.completeBelow < SEGMENTS && this.done.has(this.completeBelow)) this.completeBelow++;
  }
}

/**
 * Runs the stream until every receiver is complete (virtual ms steps, a report from each every
 * step); returns the datagrams sent per segment and the segments the stream asked to load.
 */
function run(stream: StreamCore, receivers: Map<string, ModelReceiver>): { perSegment: number[]; loaded: number[] } {
  const perSegment = new Array<number>(SEGMENTS).fill(0);
  const loaded: number[] = [];
  for (let now = 0; now < 10_000; now += 5) {
    for (let i = stream.pollSegmentLoad(); i !== undefined; i = stream.pollSegmentLoad()) {
      loaded.push(i);
      stream.provideSegment(now, i, new Uint8Array(K * T).fill(i));
    }
    for (let d = stream.pollTransmit(now); d; d = stream.pollTransmit(now)) {
      const v = parseDatagram(d, expectations);
      if (!v.ok) throw new Error(v.reason);
      perSegment[v.segmentIndex]!++;
      for (const r of receivers.values()) r.take(v.segmentIndex, v.encodingSymbolId, v.sequenceNumber);
      for (let i = stream.pollSegmentLoad(); i !== undefined; i = stream.pollSegmentLoad()) {
        loaded.push(i);
        stream.provideSegment(now, i, new Uint8Array(K * T).fill(i));
      }
    }
    for (const [id, r] of receivers) stream.handleProgress(now, id, r.report());
    if ([...receivers.values()].every((r) => r.complete)) return { perSegment, loaded };
  }
  throw new Error('the receivers did not complete within 10 s of virtual time');
}

function heldSet(segments: Iterable<number>): BitSet {
  const b = new BitSet(SEGMENTS);
  for (const s of segments) b.add(s);
  return b;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const EVEN = range(0, SEGMENTS).filter((s) => s % 2 === 0);
const ODD = range(0, SEGMENTS).filter((s) => s % 2 === 1);

describe('held segments (resume) on the sender', () => {
  it('unicast: a fresh receiver gets every segment, K datagrams each', () => {
    const s = new UnicastStream({ ...common, window: WINDOW });
    s.addMember(0, 'receiver', WINDOW);
    const { perSegment } = run(s, new Map([['receiver', new ModelReceiver()]]));
    expect(perSegment).toEqual(new Array(SEGMENTS).fill(K));
    expect(s.finished).toBe(true);
  });

  it('unicast: a receiver holding half the segments is sent only the other half', () => {
    for (const held of [EVEN, range(0, SEGMENTS / 2), range(SEGMENTS / 2, SEGMENTS)]) {
      const s = new UnicastStream({ ...common, window: WINDOW });
      const r = new ModelReceiver(heldSet(held));
      s.addMember(0, 'receiver', WINDOW, heldSet(held));
      const { perSegment, loaded } = run(s, new Map([['receiver', r]]));
      for (const i of held) expect(perSegment[i], `held segment ${i}`).toBe(0);
      expect(perSegment.reduce((a, b) => a + b, 0)).toBe((SEGMENTS / 2) * K);
      expect(loaded.filter((i) => held.includes(i))).toEqual([]);
      expect(r.wasted).toBe(0);
      expect(s.finished && s.finishReason).toBe('complete');
    }
  });

  it('unicast: a receiver that holds everything finishes the stream before a datagram is sent', () => {
    const s = new UnicastStream({ ...common, window: WINDOW });
    s.addMember(0, 'receiver', WINDOW, heldSet(range(0, SEGMENTS)));
    expect(s.finished && s.finishReason).toBe('complete');
    expect(s.pollSegmentLoad()).toBeUndefined();
    expect(s.pollTransmit(0)).toBeUndefined();
  });

  it('shared: two members holding overlapping halves: what both hold is never loaded or sent, the rest about once', () => {
    const s = new SharedStream({ ...common, window: WINDOW });
    const a = new ModelReceiver(heldSet(EVEN));
    const b = new ModelReceiver(heldSet(range(0, SEGMENTS / 2)));
    s.addMember(0, 'a', WINDOW, heldSet(EVEN));
    s.addMember(0, 'b', WINDOW, heldSet(range(0, SEGMENTS / 2)));
    const { perSegment, loaded } = run(
      s,
      new Map([
        ['a', a],
        ['b', b],
      ]),
    );
    // a lacks the odd segments, b the upper half: only segments both hold (even, lower half) are never sent.
    const neither = EVEN.filter((i) => i < SEGMENTS / 2);
    for (const i of neither) expect(perSegment[i], `segment ${i} held by both`).toBe(0);
    // Their windows sit apart (a from segment 1, b from 8): a segment opened for b that a lacks
    // but cannot take yet (past its window) is sent again when a gets there, as for a late joiner.
    const union = SEGMENTS - neither.length;
    const total = perSegment.reduce((x, y) => x + y, 0);
    expect(total).toBeGreaterThanOrEqual(union * K);
    expect(total).toBeLessThanOrEqual(1.25 * union * K);
    for (const i of range(0, SEGMENTS).filter((i) => !neither.includes(i))) expect(perSegment[i], `segment ${i}`).toBeGreaterThanOrEqual(K);
    expect(loaded.filter((i) => neither.includes(i))).toEqual([]);
  });

  it('shared: members holding complementary halves are each sent only what they lack', () => {
    const s = new SharedStream({ ...common, window: WINDOW });
    const a = new ModelReceiver(heldSet(EVEN));
    const b = new ModelReceiver(heldSet(ODD));
    s.addMember(0, 'a', WINDOW, heldSet(EVEN));
    s.addMember(0, 'b', WINDOW, heldSet(ODD));
    const { perSegment } = run(
      s,
      new Map([
        ['a', a],
        ['b', b],
      ]),
    );
    // The union is every segment, each sent once (K source symbols), and wasted only on the member holding it.
    expect(perSegment).toEqual(new Array(SEGMENTS).fill(K));
    expect(s.members.get('a')!.needs(0)).toBe(false);
  });
});

/**
 * Cut-through on the sender (StreamCoreInit.available, segmentAvailable): a stream over an object
 * still arriving loads, opens and sends only the segments named available, in order, each as
 * soon as it is named, and its members simply wait for the rest. Both stream cores are driven on
 * virtual time against lossless model receivers; segments "arrive" at set virtual times.
 */
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../control/messages.js';
import { parseDatagram } from '../../encoder/datagram.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { planSegments } from '../../encoder/segmentLayout.js';
import { SegmentLoader } from '../../sender/segmentLoader.js';
import { SharedStream } from '../../sender/sharedStream.js';
import type { StreamCore } from '../../sender/streamCore.js';
import { UnicastStream } from '../../sender/unicastStream.js';
import { BitSet } from '../../util/bitset.js';

const T = 1392;
const K = 8;
const SEGMENTS = 12;
const WINDOW = 4;
const codec = raptorqCodec();
const layout = planSegments(SEGMENTS * K * T, { segmentSize: K * T, symbolSize: T });
// Paced (1 datagram per ms or so) so that sending takes virtual time.
const common = { sessionId: 5, layout, codec, integrity: crc32Scheme, rateBytesPerSecond: 1_500_000, fixedRate: true, now: 0 };
const expectations = { sessionId: 5, symbolSize: T, segmentCount: SEGMENTS, encodingSymbolIdLimit: 1 << 24, integrity: crc32Scheme };

/** A lossless receiver: a segment is complete once K distinct symbols came (inside its window). */
class ModelReceiver {
  private readonly got = new Map<number, Set<number>>();
  private readonly done = new BitSet(SEGMENTS);
  private completeBelow = 0;
  private received = 0;
  private highest = 0;

  get complete(): boolean {
    return this.completeBelow >= SEGMENTS;
  }

  take(segment: number, id: number, sequence: number): void {
    this.received++;
    this.highest = Math.max(this.highest, sequence);
    if (this.done.has(segment) || segment >= this.completeBelow + WINDOW) return;
    const ids = this.got.get(segment) ?? new Set<number>();
    ids.add(id);
    this.got.set(segment, ids);
    if (ids.size < K) return;
    this.done.add(segment);
    this.got.delete(segment);
    while (this.completeBelow < SEGMENTS && this.done.has(this.completeBelow)) this.completeBelow++;
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
}

interface Trace {
  /** Virtual ms of each segment's first datagram. */
  firstSent: (number | undefined)[];
  loaded: number[];
  doneAt: number;
}

/**
 * Runs `stream` in 1 ms virtual steps; segment i becomes available at arrivals[i] (those not
 * available at the start). Returns when every receiver is complete.
 */
function run(stream: StreamCore, receivers: Map<string, ModelReceiver>, arrivals: Map<number, number>): Trace {
  const firstSent = new Array<number | undefined>(SEGMENTS).fill(undefined);
  const loaded: number[] = [];
  const load = (now: number) => {
    for (let i = stream.pollSegmentLoad(); i !== undefined; i = stream.pollSegmentLoad()) {
      loaded.push(i);
      stream.provideSegment(now, i, new Uint8Array(K * T).fill(i));
    }
  };
  for (let now = 0; now < 20_000; now++) {
    for (const [i, at] of arrivals) if (at === now) stream.segmentAvailable(now, i);
    load(now);
    for (let d = stream.pollTransmit(now); d; d = stream.pollTransmit(now)) {
      const v = parseDatagram(d, expectations);
      if (!v.ok) throw new Error(v.reason);
      firstSent[v.segmentIndex] ??= now;
      for (const r of receivers.values()) r.take(v.segmentIndex, v.encodingSymbolId, v.sequenceNumber);
      load(now);
    }
    if (now % 5 === 0) for (const [id, r] of receivers) stream.handleProgress(now, id, r.report());
    if ([...receivers.values()].every((r) => r.complete)) return { firstSent, loaded, doneAt: now };
  }
  throw new Error('the receivers did not complete within 20 s of virtual time');
}

/** Segments 0..2 at the start; segment i ≥ 3 arrives at 100·i ms (later than the stream could send it). */
function arriving(): { available: BitSet; arrivals: Map<number, number> } {
  const available = new BitSet(SEGMENTS);
  const arrivals = new Map<number, number>();
  for (let i = 0; i < SEGMENTS; i++) {
    if (i < 3) available.add(i);
    else arrivals.set(i, 100 * i);
  }
  return { available, arrivals };
}

function expectServedOnArrival(t: Trace, arrivals: Map<number, number>): void {
  expect(t.loaded.slice(0, SEGMENTS)).toEqual(Array.from({ length: SEGMENTS }, (_, i) => i));
  for (const [i, at] of arrivals) {
    expect(t.firstSent[i], `segment ${i}`).toBeGreaterThanOrEqual(at);
    // Served at once: it waits for nothing but its own arrival (and the pace).
    expect(t.firstSent[i]! - at, `segment ${i}`).toBeLessThan(10);
  }
  // Done shortly after the last arrival: the segments before it were served while it arrived.
  expect(t.doneAt - Math.max(...arrivals.values())).toBeLessThan(100);
}

describe('segments served as they arrive (cut-through)', () => {
  it('the loader takes no pick that is not available yet', () => {
    const available = new BitSet(4);
    available.add(0);
    const loader = new SegmentLoader({ layout, codec, ahead: 4, available });
    expect(loader.poll(0, () => 1)).toBeUndefined();
    expect(loader.poll(0, () => 0)).toBe(0);
    loader.makeAvailable(1);
    loader.makeAvailable(99); // out of range: ignored
    expect(loader.poll(0, () => 1)).toBe(1);
    expect(new SegmentLoader({ layout, codec, ahead: 4 }).isAvailable(7)).toBe(true);
  });

  it('unicast: each segment is sent as soon as it is available, in order; the receiver waits for the rest', () => {
    const { available, arrivals } = arriving();
    const s = new UnicastStream({ ...common, window: WINDOW, available });
    s.addMember(0, 'receiver', WINDOW);
    const r = new ModelReceiver();
    const t = run(s, new Map([['receiver', r]]), arrivals);
    expectServedOnArrival(t, arrivals);
    expect(s.finished && s.finishReason).toBe('complete');
  });

  it('unicast: waiting for a segment, it asks for no wake-up (the arrival brings it)', () => {
    const available = new BitSet(SEGMENTS);
    const s = new UnicastStream({ ...common, window: WINDOW, available });
    s.addMember(0, 'receiver', WINDOW);
    expect(s.pollSegmentLoad()).toBeUndefined();
    expect(s.pollTransmit(0)).toBeUndefined();
    expect(s.pollTimeout()).toBeUndefined();
    s.segmentAvailable(1, 0);
    expect(s.pollSegmentLoad()).toBe(0);
  });

  it('shared: two members get each segment as soon as it is available', () => {
    const { available, arrivals } = arriving();
    const s = new SharedStream({ ...common, window: WINDOW, available });
    s.addMember(0, 'a', WINDOW);
    s.addMember(0, 'b', WINDOW);
    const t = run(
      s,
      new Map([
        ['a', new ModelReceiver()],
        ['b', new ModelReceiver()],
      ]),
      arrivals,
    );
    expectServedOnArrival(t, arrivals);
  });
});

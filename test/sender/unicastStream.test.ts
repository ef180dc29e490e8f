import { describe, expect, it } from 'vitest';
import type { Codec, SegmentEncoder } from '../../encoder/codec.js';
import { datagramLength, parseDatagram } from '../../encoder/datagram.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { layoutSoFar, planSegments, segmentRange } from '../../encoder/segmentLayout.js';
import { repairFor } from '../../sender/recoveryPlanning.js';
import { UnicastStream } from '../../sender/unicastStream.js';
import { defaultBurstBytes } from '../../sender/tokenBucket.js';
import { progress } from './progressReport.js';

/** A codec whose repair symbol n is n repeated; counts encoders created and freed. */
class FakeCodec implements Codec {
  readonly name = 'fake';
  readonly encodingSymbolIdLimit = 2 ** 24;
  readonly maxSourceSymbols = 56403;
  created = 0;
  freed = 0;
  createEncoder(data: Uint8Array, params: { transferLength: number; symbolSize: number }): SegmentEncoder {
    this.created++;
    const k = Math.ceil(params.transferLength / params.symbolSize);
    const t = params.symbolSize;
    let live = true;
    return {
      sourceSymbols: k,
      firstRepairId: k + 3,
      sourceSymbol: (esi) => {
        const out = new Uint8Array(t);
        out.set(data.subarray(esi * t, Math.min(data.length, (esi + 1) * t)));
        return out;
      },
      repairSymbol: (n) => ({ encodingSymbolId: k + 3 + n, data: new Uint8Array(t).fill(n & 0xff) }),
      free: () => {
        if (!live) throw new Error('double free');
        live = false;
        this.freed++;
      },
    };
  }
  createDecoder(): never {
    throw new Error('not used');
  }
}

const T = 64;
const layout = planSegments(10 * 100 * T, { segmentSize: 100 * T, symbolSize: T }); // 10 segments, K = 100
const DG = datagramLength(T, crc32Scheme);
const expect_ = { sessionId: 9, symbolSize: T, segmentCount: layout.segmentCount, encodingSymbolIdLimit: 2 ** 24, integrity: crc32Scheme };

function stream(codec: Codec, over: Partial<ConstructorParameters<typeof UnicastStream>[0]> = {}) {
  return new UnicastStream({ sessionId: 9, layout, codec, integrity: crc32Scheme, rateBytesPerSecond: 0, fixedRate: true, window: 3, now: 0, ...over });
}

function feed(s: UnicastStream, now: number): void {
  for (let i = s.pollSegmentLoad(); i !== undefined; i = s.pollSegmentLoad()) s.provideSegment(now, i, new Uint8Array(segmentRange(layout, i).length).fill(i));
}

function drain(s: UnicastStream, now: number, max = 100_000) {
  const out = [];
  feed(s, now);
  for (let d = s.pollTransmit(now); d && out.length < max; d = s.pollTransmit(now)) {
    const v = parseDatagram(d, expect_);
    if (!v.ok) throw new Error(v.reason);
    out.push(v);
    feed(s, now);
  }
  return out;
}

/** A segment the receiver holds whole (decoded, not yet written): listed, needing nothing. */
const held = (index: number) => ({ index, received: 100, needed: 0 });

describe('UnicastStream', () => {
  it('sends exactly K source symbols per segment, no repair, and respects the window', () => {
    const codec = new FakeCodec();
    const s = stream(codec);
    const first = drain(s, 0);
    // Window 3: segments 0..2 fully, then it waits for the receiver.
    expect(first).toHaveLength(300);
    expect(new Set(first.map((d) => d.segmentIndex))).toEqual(new Set([0, 1, 2]));
    expect(first.filter((d) => d.segmentIndex === 1).map((d) => d.encodingSymbolId)).toEqual([...Array(100).keys()]);
    expect(first.map((d) => d.sequenceNumber)).toEqual([...Array(300).keys()]);
    expect(s.stats.repairSymbolsSent).toBe(0);
    // The receiver confirms 0..2: the next three segments go out.
    s.handleProgress(1, 'rx', progress({ completeBelow: 3, highestSequence: 299, datagramsReceived: 300 }));
    const next = drain(s, 1);
    expect(new Set(next.map((d) => d.segmentIndex))).toEqual(new Set([3, 4, 5]));
    expect(codec.freed).toBe(3);
  });

  it('never opens a segment at or past completeBelow + window even if later ones are done', () => {
    const s = stream(new FakeCodec());
    drain(s, 0);
    s.handleProgress(
      1,
      'rx',
      progress({ completeBelow: 0, completeAbove: [1, 2], open: [{ index: 0, received: 99, needed: 0 }], highestSequence: 299, datagramsReceived: 299 }),
    );
    const next = drain(s, 1);
    expect(next.every((d) => d.segmentIndex < 3)).toBe(true);
  });

  it('owes only the shortfall after in-flight symbols, sized at mean + 2 sd (fountain)', () => {
    const s = stream(new FakeCodec(), { recovery: 'fountain' });
    drain(s, 0); // seq 0..299
    // Report written after seq 149 (segment 1 half through): segment 0 is short by 10,
    // segment 1 has 50 in flight and needs 60.
    s.handleProgress(
      1,
      'rx',
      progress({
        open: [
          { index: 0, received: 90, needed: 10 },
          { index: 1, received: 40, needed: 60 },
        ],
        highestSequence: 149,
        datagramsReceived: 130,
        datagramsLost: 20,
      }),
    );
    const p = s.stats.lossEstimate;
    expect(p).toBeGreaterThan(0);
    const sent = drain(s, 1);
    const per = (i: number) => sent.filter((d) => d.segmentIndex === i).length;
    expect(per(0)).toBe(repairFor(10, p));
    // Segment 1: 50 in flight bring 50(1-p); only the rest is owed.
    const shortfall = 60 - 50 * (1 - p);
    expect(per(1)).toBe(repairFor(shortfall, p));
    // Repair ids never repeat and start at K' (fake: K + 3).
    const ids0 = sent.filter((d) => d.segmentIndex === 0).map((d) => d.encodingSymbolId);
    expect(ids0[0]).toBe(103);
    expect(new Set(ids0).size).toBe(ids0.length);
  });

  it('treats unreported symbols older than the horizon as lost, not in flight', () => {
    const s = stream(new FakeCodec(), { inFlightHorizonMs: 50, recovery: 'fountain' });
    drain(s, 0);
    s.handleProgress(1, 'rx', progress({ open: [held(0), { index: 1, received: 50, needed: 50 }, held(2)], highestSequence: 149, datagramsReceived: 150 }));
    expect(drain(s, 1)).toHaveLength(0); // 150 symbols in flight cover the need
    // At t=100 a report still only covers seq 149: the 150 later symbols are long overdue.
    s.handleProgress(100, 'rx', progress({ open: [held(0), { index: 1, received: 50, needed: 50 }, held(2)], highestSequence: 149, datagramsReceived: 150 }));
    expect(drain(s, 100).filter((d) => d.segmentIndex === 1)).toHaveLength(repairFor(50, 0));
  });

  it('fires the stall guard after stallTimeoutMs exactly, paced and bounded', () => {
    const s = stream(new FakeCodec(), { stallTimeoutMs: 200 });
    drain(s, 0);
    expect(s.pollTimeout()).toBe(200);
    expect(s.pollTransmit(199.9)).toBeUndefined();
    const burst = drain(s, 200);
    expect(burst.length).toBeGreaterThan(0);
    expect(burst.length).toBeLessThanOrEqual(10);
    expect(burst.every((d) => d.segmentIndex === 0)).toBe(true);
    expect(s.stats.stallBursts).toBe(1);
    expect(s.pollTimeout()).toBe(400);
  });

  it('paces at the configured rate', () => {
    const rate = 1_000_000;
    const s = stream(new FakeCodec(), { rateBytesPerSecond: rate, window: 10 });
    feed(s, 0);
    let now = 0;
    let n = 0;
    let last = 0;
    while (n < 1000) {
      const d = s.pollTransmit(now);
      if (d) {
        n++;
        last = now;
      } else now = s.pollTimeout()!;
      feed(s, now);
    }
    // 1000 datagrams minus the initial burst take (1000·DG − burst)/rate seconds, to a datagram.
    const expectedMs = ((1000 * DG - defaultBurstBytes(rate)) / rate) * 1000;
    expect(Math.abs(last - expectedMs)).toBeLessThanOrEqual((DG / rate) * 1000);
  });

  it('fires the stall burst exactly at the deadline pollTimeout gave (no float livelock)', () => {
    const s = stream(new FakeCodec(), { stallTimeoutMs: 200 });
    drain(s, 0);
    // 361.1468 - 161.1468 is 199.99999999999997 in doubles: the check must use the same sum.
    s.handleProgress(161.1468, 'rx', progress({ open: [held(0), held(1), held(2)], highestSequence: 299, datagramsReceived: 300 }));
    const due = s.pollTimeout()!;
    expect(due).toBe(361.1468);
    expect(s.pollTransmit(due)).toBeDefined();
    expect(s.stats.stallBursts).toBe(1);
  });

  it('resends a segment the report does not mention, once nothing of it can still be in flight', () => {
    // All of segment 1's datagrams were lost: the receiver never opened it, so it is neither
    // listed nor complete. (A file's last segment of a single symbol waited for the stall burst.)
    const s = stream(new FakeCodec(), { inFlightHorizonMs: 50 });
    drain(s, 0);
    const report = progress({ open: [held(0), held(2)], highestSequence: 299, datagramsReceived: 200, datagramsLost: 100 });
    s.handleProgress(1, 'rx', report);
    const resent = drain(s, 1);
    expect(new Set(resent.map((d) => d.segmentIndex))).toEqual(new Set([1]));
    expect(new Set(resent.map((d) => d.encodingSymbolId))).toEqual(new Set([...Array(100).keys()]));
    // Its symbols sent after the report's highest are in flight: no second resend yet.
    s.handleProgress(2, 'rx', report);
    expect(drain(s, 2)).toHaveLength(0);
  });

  it('wraps sequence numbers at 2^32', () => {
    const s = stream(new FakeCodec(), { firstSequence: 2 ** 32 - 2 });
    const d = drain(s, 0)
      .slice(0, 4)
      .map((x) => x.sequenceNumber);
    expect(d).toEqual([2 ** 32 - 2, 2 ** 32 - 1, 0, 1]);
    // A report naming wire sequence 1 is understood as the 4th datagram.
    s.handleProgress(1, 'rx', progress({ open: [{ index: 0, received: 4, needed: 96 }], highestSequence: 1, datagramsReceived: 4 }));
    // 96 symbols after it are in flight with no loss: nothing more owed for segment 0.
    expect(drain(s, 1).filter((x) => x.segmentIndex === 0)).toHaveLength(0);
  });

  it('hands the bytes of each segment to onSegmentFreed once, after its encoder is freed', () => {
    const codec = new FakeCodec();
    const freed: { data: Uint8Array; encodersFreed: number }[] = [];
    const s = stream(codec, { onSegmentFreed: (data) => freed.push({ data, encodersFreed: codec.freed }) });
    const given: Uint8Array[] = [];
    for (let i = s.pollSegmentLoad(); i !== undefined; i = s.pollSegmentLoad()) {
      const d = new Uint8Array(segmentRange(layout, i).length).fill(i);
      given.push(d);
      s.provideSegment(0, i, d);
    }
    drain(s, 0);
    expect(freed).toHaveLength(0); // all three still open
    s.handleProgress(1, 'rx', progress({ completeBelow: 2, open: [held(2)] }));
    expect(freed.map((f) => f.data)).toEqual([given[0], given[1]]);
    expect(freed.map((f) => f.encodersFreed)).toEqual([1, 2]); // after each free, not before
    s.stop(2, 'done');
    // The open segment 2, then the read-ahead ones never opened: every buffer comes back once.
    expect(given.length).toBeGreaterThan(3);
    expect(freed.map((f) => f.data)).toEqual(given);
  });

  it('finishes when every segment is confirmed, and on stop, freeing each encoder once', () => {
    const codec = new FakeCodec();
    const s = stream(codec);
    drain(s, 0);
    s.handleProgress(1, 'rx', progress({ completeBelow: 10 }));
    expect(s.finished).toBe(true);
    expect(s.finishReason).toBe('complete');
    expect(codec.freed).toBe(codec.created);
    const c2 = new FakeCodec();
    const s2 = stream(c2);
    drain(s2, 0);
    s2.stop(5, 'receiver left');
    expect(s2.pollTransmit(6)).toBeUndefined();
    expect(s2.pollTimeout()).toBeUndefined();
    expect(c2.freed).toBe(c2.created);
    expect(c2.created).toBe(3);
  });
});

/** A FakeCodec whose encoders count repairSymbol calls (a resend must not need one). */
function countingRepairs() {
  const codec = new FakeCodec();
  const repairs = { asked: 0 };
  const create = codec.createEncoder.bind(codec);
  codec.createEncoder = (d, p) => {
    const e = create(d, p);
    const repair = e.repairSymbol;
    return { ...e, repairSymbol: (n: number) => (repairs.asked++, repair(n)) };
  };
  return { codec, repairs };
}

describe('UnicastStream source resends (unicast shortcut)', () => {
  it('resends the listed lost source symbols (with copies sized for the loss), without building a repair encoder', () => {
    const { codec, repairs } = countingRepairs();
    const s = stream(codec);
    drain(s, 0);
    s.handleProgress(
      1,
      'rx',
      progress({
        open: [{ index: 0, received: 97, needed: 3, missing: [5, 17, 99] }, held(1), held(2)],
        highestSequence: 299,
        datagramsReceived: 297,
        datagramsLost: 3,
      }),
    );
    const resent = drain(s, 1);
    // The listed ids in order, then extra copies cycling through them: mean + 2 sd at the loss.
    const copies = repairFor(3, s.stats.lossEstimate);
    expect(copies).toBeGreaterThan(3);
    expect(resent.map((d) => [d.segmentIndex, d.encodingSymbolId])).toEqual(Array.from({ length: copies }, (_, i) => [0, [5, 17, 99][i % 3]]));
    expect(repairs.asked).toBe(0);
    expect(s.stats.sourceRetransmits).toBe(copies);
    // A report that has not yet passed the resends does not resend them again.
    s.handleProgress(
      2,
      'rx',
      progress({
        open: [{ index: 0, received: 97, needed: 3, missing: [5, 17, 99] }, held(1), held(2)],
        highestSequence: 299,
        datagramsReceived: 297,
        datagramsLost: 3,
      }),
    );
    expect(drain(s, 2)).toHaveLength(0);
    // Once a report passed them and 17 is still missing, 17 goes again.
    s.handleProgress(
      3,
      'rx',
      progress({
        open: [{ index: 0, received: 99, needed: 1, missing: [17] }, held(1), held(2)],
        highestSequence: 299 + copies,
        datagramsReceived: 299,
        datagramsLost: 4,
      }),
    );
    const again = drain(s, 3).map((d) => d.encodingSymbolId);
    expect(again.length).toBe(repairFor(1, s.stats.lossEstimate));
    expect(new Set(again)).toEqual(new Set([17]));
    expect(repairs.asked).toBe(0);
  });

  it('waits for a list that did not fit the report, but repairs a loss too large to list', () => {
    const s = stream(new FakeCodec(), { inFlightHorizonMs: 50 });
    drain(s, 0);
    // Segment 1 unlisted with 50 needed (the budget went elsewhere): nothing is owed yet.
    s.handleProgress(
      100,
      'rx',
      progress({ open: [held(0), { index: 1, received: 50, needed: 50 }, held(2)], highestSequence: 299, datagramsReceived: 250, datagramsLost: 50 }),
    );
    expect(drain(s, 100)).toHaveLength(0);
    // A report claiming more than a list can hold gets repair symbols instead.
    s.handleProgress(
      101,
      'rx',
      progress({ open: [held(0), { index: 1, received: 0, needed: 5000 }, held(2)], highestSequence: 299, datagramsReceived: 250, datagramsLost: 50 }),
    );
    expect(drain(s, 101).length).toBeGreaterThan(0);
    expect(s.stats.repairSymbolsSent).toBeGreaterThan(0);
  });

  it('resends the top source ids when the list has no hole but the last segment still falls short (lost tail)', () => {
    const { codec, repairs } = countingRepairs();
    const s = stream(codec);
    const sent = drain(s, 0);
    const last = sent.at(-1)!;
    const k = last.encodingSymbolId + 1;
    // The receiver has ids 0..k-3 of the last segment, no hole. At 5 ms the last two may be in
    // flight; a keep-alive at 100 ms, past the 50 ms horizon, shows they are lost.
    const report = progress({
      open: [held(0), held(1), { index: last.segmentIndex, received: k - 2, needed: 2, missing: [] }],
      highestSequence: sent.length - 3,
      datagramsReceived: sent.length - 2,
      datagramsLost: 0,
    });
    s.handleProgress(5, 'rx', report);
    expect(drain(s, 5)).toHaveLength(0);
    s.handleProgress(100, 'rx', report);
    const resent = drain(s, 100).map((d) => d.encodingSymbolId);
    expect(new Set(resent)).toEqual(new Set([k - 2, k - 1]));
    expect(repairs.asked).toBe(0);
  });
});

describe('UnicastStream: a growing object (a pipe whose length follows)', () => {
  const T2 = 64;
  const seg = 100 * T2;
  const at = (segments: number, fileSize?: number) => layoutSoFar(seg, T2, segments, fileSize);
  const grow = (s: UnicastStream, now: number, l: ReturnType<typeof at>) => {
    const out: number[] = [];
    for (let i = s.pollSegmentLoad(); i !== undefined; i = s.pollSegmentLoad()) s.provideSegment(now, i, new Uint8Array(segmentRange(l, i).length).fill(i));
    for (let d = s.pollTransmit(now); d; d = s.pollTransmit(now)) {
      const v = parseDatagram(d, { ...expect_, segmentCount: l.segmentCount });
      if (!v.ok) throw new Error(v.reason);
      out.push(v.segmentIndex);
      for (let i = s.pollSegmentLoad(); i !== undefined; i = s.pollSegmentLoad()) s.provideSegment(now, i, new Uint8Array(segmentRange(l, i).length).fill(i));
    }
    return out;
  };

  it('serves only what was announced, waits (not finished) when the receiver has it all, and ends after the final layout', () => {
    const s = stream(new FakeCodec(), { layout: at(0), growing: true });
    expect(s.finished).toBe(false); // no segment yet, but more will come
    expect(s.pollSegmentLoad()).toBeUndefined();
    s.extend(1, at(2), false);
    expect(new Set(grow(s, 1, at(2)))).toEqual(new Set([0, 1]));
    s.handleProgress(2, 'r', progress({ completeBelow: 2, highestSequence: 199, datagramsReceived: 200 }));
    expect(s.finished).toBe(false);
    expect(s.pollTimeout()).toBeUndefined(); // idle until told of more
    // The end: a short third segment.
    const last = at(3, 2 * seg + 10 * T2 + 1);
    s.extend(3, last, true);
    const third = grow(s, 3, last);
    expect(third).toHaveLength(11); // K of the short segment
    expect(new Set(third)).toEqual(new Set([2]));
    s.handleProgress(4, 'r', progress({ completeBelow: 3, highestSequence: 210, datagramsReceived: 211 }));
    expect(s.finished).toBe(true);
    expect(s.finishReason).toBe('complete');
  });

  it('a final layout the receiver already holds ends the stream at once', () => {
    const s = stream(new FakeCodec(), { layout: at(1), growing: true });
    grow(s, 0, at(1));
    s.handleProgress(1, 'r', progress({ completeBelow: 1, highestSequence: 99, datagramsReceived: 100 }));
    expect(s.finished).toBe(false);
    s.extend(2, at(1, seg), true);
    expect(s.finishReason).toBe('complete');
  });

  it('refuses a layout that would move or drop announced segments (a bug in the caller)', () => {
    const s = stream(new FakeCodec(), { layout: at(2), growing: true });
    expect(() => s.extend(1, at(1), false)).toThrow(RangeError);
    expect(() => s.extend(1, layoutSoFar(2 * seg, T2, 2), false)).toThrow(RangeError);
    // A stream that does not grow ignores it.
    const fixed = stream(new FakeCodec());
    fixed.extend(1, at(20), true);
    expect(fixed.pollSegmentLoad()).toBe(0);
  });
});

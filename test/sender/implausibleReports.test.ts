/**
 * Reports that forged datagrams (open mode) bent: counters that grew by more than the stream sent,
 * and a highestSequence beyond anything sent. Neither may reach the loss estimate or the in-flight
 * and delay reckoning.
 */
import { describe, expect, it } from 'vitest';
import { crc32Scheme } from '../../encoder/integrity.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { planSegments } from '../../encoder/segmentLayout.js';
import { DatagramEmitter } from '../../sender/datagramEmitter.js';
import { plausibleDelta, REPORT_SLACK } from '../../sender/lossEstimate.js';
import { SharedStream } from '../../sender/sharedStream.js';
import { UnicastStream } from '../../sender/unicastStream.js';
import { SeededRandom } from '../../util/random.js';
import { progress } from './progressReport.js';

const T = 1392;
const K = 8;
const codec = raptorqCodec();
const layout = planSegments(4 * K * T, { segmentSize: K * T, symbolSize: T });

function load(s: UnicastStream | SharedStream, now: number, k: number): void {
  for (let i = s.pollSegmentLoad(); i !== undefined; i = s.pollSegmentLoad()) s.provideSegment(now, i, new SeededRandom(i + 1).fill(new Uint8Array(k * T)));
}

function drain(s: UnicastStream | SharedStream, now: number, k = K): Uint8Array[] {
  const out: Uint8Array[] = [];
  load(s, now, k);
  for (let d = s.pollTransmit(now); d; d = s.pollTransmit(now), load(s, now, k)) out.push(Uint8Array.from(d));
  return out;
}

describe('plausibleDelta', () => {
  it('allows what was sent since the last report plus REPORT_SLACK, no more', () => {
    expect(plausibleDelta(900, 100, 1000)).toBe(true);
    expect(plausibleDelta(900, 100 + REPORT_SLACK, 1000)).toBe(true);
    expect(plausibleDelta(900, 101 + REPORT_SLACK, 1000)).toBe(false);
    expect(plausibleDelta(10, 2 ** 31, 1000)).toBe(false);
  });
});

describe('DatagramEmitter.unwrapReported', () => {
  it('unwraps what was sent, across the wrap, and refuses what lies ahead of it', () => {
    const e = new DatagramEmitter({
      sessionId: 1,
      symbolSize: 16,
      integrity: crc32Scheme,
      rateBytesPerSecond: 0,
      now: 0,
      firstSequence: 2 ** 32 - 3,
      stats: { datagramsSent: 0, bytesSent: 0 },
    });
    expect(e.unwrapReported(0)).toBeUndefined(); // nothing sent yet
    for (let i = 0; i < 6; i++) e.emit(0, 0, i, new Uint8Array(16));
    // Sent: 2^32-3 .. 2^32+2 (wire 4294967293..4294967295, 0..2).
    expect(e.unwrapReported(2 ** 32 - 2)).toBe(2 ** 32 - 2);
    expect(e.unwrapReported(2)).toBe(2 ** 32 + 2);
    expect(e.unwrapReported(3)).toBeUndefined();
    expect(e.unwrapReported(2 + 2 ** 31 - 1)).toBeUndefined();
    // unwrap alone reads a number ahead as one 2^32 back.
    expect(e.unwrap(3)).toBe(3);
  });
});

describe('UnicastStream and implausible reports', () => {
  const make = () =>
    new UnicastStream({ sessionId: 9, layout, codec, integrity: crc32Scheme, rateBytesPerSecond: 0, fixedRate: true, window: 4, now: 0, recovery: 'fountain' });

  it('ignores the loss of a report whose counters outgrew what was sent, and counts it', () => {
    const s = make();
    expect(drain(s, 0)).toHaveLength(4 * K);
    s.handleProgress(1, 'rx', progress({ open: [{ index: 3, received: 6, needed: 2 }], highestSequence: 31, datagramsReceived: 30, datagramsLost: 2 }));
    const p = s.stats.lossEstimate;
    expect(p).toBeGreaterThan(0);
    // A forged datagram 2^31 - 1 ahead pushed the receiver's lost count by that much.
    s.handleProgress(
      2,
      'rx',
      progress({ open: [{ index: 3, received: 6, needed: 2 }], highestSequence: 31, datagramsReceived: 31, datagramsLost: 2 + 2 ** 31 - 2 }),
    );
    expect(s.stats.lossEstimate).toBe(p);
    expect(s.stats.implausibleReports).toBe(1);
    // The next report counts from the forged one's counters: no backlog of forged loss.
    drain(s, 100);
    const sent = s.stats.datagramsSent;
    s.handleProgress(
      200,
      'rx',
      progress({
        open: [{ index: 3, received: 8, needed: 0 }],
        highestSequence: sent - 1,
        datagramsReceived: 31 + (sent - 32),
        datagramsLost: 2 + 2 ** 31 - 2,
      }),
    );
    expect(s.stats.implausibleReports).toBe(1);
    expect(s.stats.lossEstimate).toBeLessThan(p);
  });

  it('reads a highestSequence beyond what was sent as the last real one (no news)', () => {
    const big = planSegments(2 * 64 * T, { segmentSize: 64 * T, symbolSize: T });
    const run = (highestSequence: number) => {
      const s = new UnicastStream({
        sessionId: 9,
        layout: big,
        codec,
        integrity: crc32Scheme,
        rateBytesPerSecond: 0,
        fixedRate: true,
        window: 2,
        now: 0,
        recovery: 'fountain',
      });
      drain(s, 0, 64);
      // Heavy loss learnt (plausible counts), then a report 100 ms later.
      s.handleProgress(1, 'rx', progress({ open: [{ index: 0, received: 4, needed: 60 }], highestSequence: 9, datagramsReceived: 5, datagramsLost: 4000 }));
      s.handleProgress(2, 'rx', progress({ open: [{ index: 0, received: 5, needed: 59 }], highestSequence: 10, datagramsReceived: 6, datagramsLost: 8000 }));
      expect(s.stats.lossEstimate).toBeGreaterThan(0.5);
      s.handleProgress(
        100,
        'rx',
        progress({
          open: [
            { index: 0, received: 5, needed: 59 },
            { index: 1, received: 0, needed: 64 },
          ],
          highestSequence,
          datagramsReceived: 6,
          datagramsLost: 8000,
        }),
      );
      return { sent: drain(s, 100, 64).length, timeout: s.pollTimeout() };
    };
    const ahead = run(128 + 1000);
    expect(ahead).toEqual(run(10));
    expect(ahead.sent).toBeGreaterThan(0);
  });
});

describe('SharedStream and implausible reports', () => {
  it("ignores a member's loss from counters that outgrew what was sent, and counts it", () => {
    const s = new SharedStream({ sessionId: 9, layout, codec, integrity: crc32Scheme, rateBytesPerSecond: 0, fixedRate: true, now: 0, window: 4 });
    s.addMember(0, 'a', 4);
    drain(s, 0);
    s.handleProgress(1, 'a', progress({ highestSequence: 15, datagramsReceived: 14, datagramsLost: 2 }));
    s.handleProgress(2, 'a', progress({ highestSequence: 31, datagramsReceived: 28, datagramsLost: 4 }));
    const p = s.stats.lossEstimate;
    expect(p).toBeGreaterThan(0);
    s.handleProgress(3, 'a', progress({ highestSequence: 31, datagramsReceived: 28, datagramsLost: 4 + 2 ** 31 }));
    expect(s.stats.lossEstimate).toBe(p);
    expect(s.stats.implausibleReports).toBe(1);
  });
});

/**
 * Resume through both session machines and the real cores on virtual time (sessionPair.ts): a
 * receiver whose staging already holds segments tells the sender (Request.have), receives only
 * the rest, and verifies the whole object by reading it back.
 */
import { describe, expect, it } from 'vitest';
import type { Request } from '../../control/messages.js';
import { SessionPair, type PairOptions } from './sessionPair.js';

const SEGMENT = 16_384;
const SEGMENTS = 24;
const big = (o: PairOptions = {}): PairOptions => ({ fileSize: SEGMENTS * SEGMENT, segmentSize: SEGMENT, seed: 5, ...o });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const EVEN = range(0, SEGMENTS).filter((i) => i % 2 === 0);

function expectStored(p: SessionPair): void {
  expect(p.rx.state, p.rx.error?.message).toBe('done');
  expect(Buffer.compare(Buffer.from(p.disk.files.get('/out/file.bin')!), Buffer.from(p.data))).toBe(0);
  expect(p.tx?.state).toBe('done');
}

/** Records the Request as the sender gets it (in `seen.request`, once sent). */
function requestOf(p: SessionPair): { request?: Request } {
  const seen: { request?: Request } = {};
  p.toSender.rewrite = (m) => {
    if (m.type === 'request') seen.request = m;
    return undefined;
  };
  return seen;
}

describe('pair: resume (Request.have)', () => {
  it('a fresh receiver: every datagram it needs, no read-back', () => {
    const p = new SessionPair(big()).connect().run();
    expectStored(p);
    expect(p.readBacks).toBe(0);
    expect(p.rxActions.some((a) => a.type === 'verify-object')).toBe(false);
  });

  it.each([
    ['the even segments', EVEN],
    ['the first half', range(0, SEGMENTS / 2)],
    ['the second half', range(SEGMENTS / 2, SEGMENTS)],
  ])('a receiver holding %s receives at most half the datagrams a fresh one needs, and verifies by reading back', (_name, held) => {
    const fresh = new SessionPair(big()).connect().run();
    expectStored(fresh);
    const p = new SessionPair(big({ held }));
    const request = requestOf(p);
    p.connect().run();
    expectStored(p);
    expect(request.request?.have).toBeDefined();
    expect(p.txActions.find((a) => a.type === 'start-stream')).toHaveProperty('held');
    expect(p.datagrams.sent).toBeLessThanOrEqual(Math.ceil(0.5 * fresh.datagrams.sent) + 2);
    expect(p.datagrams.sent).toBeGreaterThan(0);
    // Nothing sent for a held segment reached a decoder: every drop of that kind is counted.
    expect(p.rx.core!.stats.segmentsHeld).toBe(held.length);
    expect(p.rx.core!.stats.segmentsWritten).toBe(SEGMENTS - held.length);
    expect(p.rx.core!.stats.drops['segment-complete']).toBe(0);
    expect(p.readBacks).toBe(1);
  });

  it('the read-back digest decides: a staging changed between runs is a HashMismatchError, nothing committed, the sender told', () => {
    const p = new SessionPair(big({ held: EVEN }));
    p.readBackCorrupt = true;
    p.connect().run();
    expect(p.rx.state).toBe('failed');
    expect(p.rx.error?.name).toBe('HashMismatchError');
    expect(p.disk.files.size).toBe(0);
    expect(p.readBacks).toBe(1);
    expect(p.stops.toSender).toEqual({ outcome: 'aborted', reason: 'object digest mismatch' });
  });

  it('a receiver holding every segment: no datagram, the read-back, done', () => {
    const p = new SessionPair(big({ held: range(0, SEGMENTS) })).connect().run();
    expectStored(p);
    expect(p.datagrams.sent).toBe(0);
    expect(p.readBacks).toBe(1);
  });

  it('shared stream: the member waits only for what it lacks', () => {
    const multicast = { group: '239.1.2.3', port: 7071 };
    const fresh = new SessionPair(big({ send: { multicast } })).connect().run();
    expectStored(fresh);
    const p = new SessionPair(big({ send: { multicast }, held: EVEN })).connect().run();
    expectStored(p);
    expect(p.txActions.find((a) => a.type === 'join-shared')).toHaveProperty('held');
    expect(p.datagrams.sent).toBeLessThanOrEqual(Math.ceil(0.5 * fresh.datagrams.sent) + 2);
  });

  it('digests that follow: what is staged cannot have been verified, so nothing is held and everything comes again', () => {
    const p = new SessionPair(big({ hashing: true, held: EVEN }));
    const request = requestOf(p);
    p.at(5, () => p.revealDigests(p.layout.segmentCount, true));
    p.connect().run();
    expectStored(p);
    expect(request.request).toBeDefined();
    expect(request.request?.have).toBeUndefined();
    expect(p.readBacks).toBe(0);
    expect(p.rx.core!.stats.segmentsWritten).toBe(SEGMENTS);
  });

  it('a receiver with resume state does not offer digestsFollow: it waits for the hashes', () => {
    const p = new SessionPair(big({ hashing: true, resumeCandidate: true, held: EVEN }));
    const hellos: unknown[] = [];
    p.toSender.rewrite = (m) => {
      if (m.type === 'hello') hellos.push(m);
      return undefined;
    };
    p.at(200, () => p.revealDigests(p.layout.segmentCount, true));
    p.connect().run();
    expectStored(p);
    expect(hellos).toHaveLength(1);
    expect(hellos[0]).not.toHaveProperty('digestsFollow');
    expect(p.toReceiver.types()).not.toContain('digests');
    expect(p.readBacks).toBe(1);
  });
});

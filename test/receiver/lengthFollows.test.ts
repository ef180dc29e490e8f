/**
 * A manifest whose length follows (a piped sender): the receiver core grows with each Digests
 * frame, drops datagrams of segments not announced, completes only once the length came, and
 * refuses every inconsistent announcement by name (never a throw).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Digests, Manifest } from '../../control/messages.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { ManifestRejectedError } from '../../receiver/errors.js';
import { ReceiverCore } from '../../receiver/receiverCore.js';
import { makeFile, makeManifest, pump, TestSender } from './receiverHarness.js';

const codec = raptorqCodec();
const SEG = 16_384;
const T = 1024;
const senders: TestSender[] = [];
afterEach(() => {
  for (const s of senders.splice(0)) s.free();
});

/** A core for a piped object of `size` bytes, and the frames its sender would announce it with. */
function piped(size: number, seed: number, init: Partial<ConstructorParameters<typeof ReceiverCore>[0]> = {}) {
  const data = makeFile(size, seed);
  const full = makeManifest(data, SEG, T);
  const { segmentDigests: _s, fileSha256: _f, ...rest } = full;
  const manifest: Manifest = { ...rest, fileSize: 0, digestsFollow: true, lengthFollows: true };
  const sender = new TestSender(data, SEG, T);
  senders.push(sender);
  const core = new ReceiverCore({ manifest, codec, integrity: crc32Scheme, window: 4, now: 0, ...init });
  const hashes = Buffer.from(full.segmentDigests!, 'base64');
  /** Digests of segments [first, end); `last`: the end frame (the length and the object's digest). */
  const frame = (first: number, end: number, last = false): Digests => ({
    type: 'digests',
    firstSegment: first,
    segmentDigests: hashes.subarray(32 * first, 32 * end).toString('base64'),
    ...(last ? { fileSha256: full.fileSha256!, fileSize: size } : {}),
  });
  return { data, core, sender, frame, out: new Uint8Array(size), segments: sender.layout.segmentCount };
}

describe('receiver core: a length that follows', () => {
  it('grows as segments are announced, drops symbols of unannounced ones, completes only with the length', () => {
    // 5 segments, the last one short (100,000 = 6 x 16,384 + 1,696: six full and a short seventh).
    const { data, core, sender, frame, out, segments } = piped(100_000, 31);
    expect(segments).toBe(7);
    expect(core.layout.segmentCount).toBe(0);
    for (const d of sender.allSource(0)) core.handleDatagram(1, d);
    expect(core.stats.drops['segment-out-of-range']).toBe(sender.allSource(0).length);
    expect(core.handleDigests(2, frame(0, 2))).toBeUndefined();
    expect(core.layout).toMatchObject({ segmentCount: 2, fileSize: 2 * SEG });
    for (let s = 0; s < 2; s++) for (const d of sender.allSource(s)) core.handleDatagram(3, d);
    pump(core, 3, out);
    expect(core.stats.segmentsWritten).toBe(2);
    expect(core.complete).toBe(false); // every announced segment is in, but more may come
    expect(core.handleDigests(4, frame(2, 6))).toBeUndefined();
    for (let s = 2; s < 6; s++) for (const d of sender.allSource(s)) core.handleDatagram(5, d);
    pump(core, 5, out);
    expect(core.stats.segmentsWritten).toBe(6);
    expect(core.complete).toBe(false);
    // The end: the short last segment, the length and the object's digest in one frame.
    expect(core.handleDigests(6, frame(6, 7, true))).toBeUndefined();
    expect(core.layout).toMatchObject({ segmentCount: 7, fileSize: 100_000 });
    for (const d of sender.allSource(6)) core.handleDatagram(7, d);
    pump(core, 7, out);
    expect(core.complete && core.fileHashMatches()).toBe(true);
    expect(core.announcedFileSha256).toBe(makeManifest(data, SEG, T).fileSha256);
    expect(Buffer.from(out).equals(data)).toBe(true);
    expect(core.stats).toMatchObject({ segmentCount: 7, bytesWritten: 100_000 });
  });

  it('a length at a segment boundary ends with no new digest; the end completes what was written', () => {
    const { data, core, sender, frame, out } = piped(3 * SEG, 32);
    expect(core.handleDigests(1, frame(0, 3))).toBeUndefined();
    for (let s = 0; s < 3; s++) for (const d of sender.allSource(s)) core.handleDatagram(2, d);
    pump(core, 2, out);
    expect(core.complete).toBe(false);
    expect(core.handleDigests(3, frame(3, 3, true))).toBeUndefined();
    expect(core.complete && core.fileHashMatches()).toBe(true);
    expect(Buffer.from(out).equals(data)).toBe(true);
  });

  it('an empty pipe: no segment, the end alone completes it', () => {
    const { core, frame } = piped(0, 33);
    expect(core.handleDigests(1, frame(0, 0, true))).toBeUndefined();
    expect(core.complete && core.fileHashMatches()).toBe(true);
    expect(core.layout).toMatchObject({ segmentCount: 0, fileSize: 0 });
  });

  it.each([
    [
      'shorter than the segments announced full',
      (f: ReturnType<typeof piped>['frame']) => [f(0, 3), { ...f(3, 3, true), fileSize: 3 * SEG - 1 }],
      /does not fit the 3 segments/,
    ],
    [
      'longer than its segments',
      (f: ReturnType<typeof piped>['frame']) => [f(0, 3), { ...f(3, 3, true), fileSize: 3 * SEG + 1 }],
      /does not fit the 3 segments/,
    ],
    [
      'a short segment ending a frame that is not the end',
      (f: ReturnType<typeof piped>['frame']) => [f(0, 2), { ...f(2, 4, true), fileSize: 2 * SEG + 5 }],
      /does not fit the 4/,
    ],
    ['the object digest without the length', (f: ReturnType<typeof piped>['frame']) => [{ ...f(0, 2, true), fileSize: undefined }], /come together/],
    ['a second end frame', (f: ReturnType<typeof piped>['frame']) => [f(0, 6), f(6, 7, true), f(7, 7, true)], /after all digests/],
    ['digests past the announced length', (f: ReturnType<typeof piped>['frame']) => [f(0, 6), f(6, 7, true), f(7, 8)], /after all digests/],
  ] as const)('refuses %s (a protocol violation, by name)', (_name, frames, problem) => {
    const p = piped(100_000, 34);
    const sent = frames(p.frame) as Digests[];
    for (const d of sent.slice(0, -1)) expect(p.core.handleDigests(1, d)).toBeUndefined();
    expect(p.core.handleDigests(1, sent.at(-1)!)).toMatch(problem);
    expect(p.core.complete).toBe(false);
  });

  it('refuses a length over its file size limit, and more segments than that limit allows', () => {
    const big = piped(100_000, 35, { maxFileSize: 4 * SEG });
    expect(big.core.handleDigests(1, big.frame(0, 5))).toMatch(/5 segments exceed this receiver's limit of 4/);
    const long = piped(100_000, 36, { maxFileSize: 100_000 - 1 });
    expect(long.core.handleDigests(1, long.frame(0, 6))).toBeUndefined();
    expect(long.core.handleDigests(1, long.frame(6, 7, true))).toMatch(/exceeds this receiver's limit/);
  });

  it('a length in Digests after a manifest that gave it is refused', () => {
    const data = makeFile(40_000, 37);
    const full = makeManifest(data, SEG, T);
    const { segmentDigests: _s, fileSha256: _f, ...rest } = full;
    const core = new ReceiverCore({ manifest: { ...rest, digestsFollow: true }, codec, integrity: crc32Scheme, window: 4, now: 0 });
    const frame: Digests = { type: 'digests', firstSegment: 0, segmentDigests: full.segmentDigests!, fileSha256: full.fileSha256!, fileSize: 40_000 };
    expect(core.handleDigests(1, frame)).toMatch(/a length in Digests after a manifest that gave it/);
  });

  it('a manifest whose length follows with a size, or its digests, is refused before anything is allocated', () => {
    const data = makeFile(40_000, 38);
    const full = makeManifest(data, SEG, T);
    const { segmentDigests: _s, fileSha256: _f, ...rest } = full;
    const make = (m: Manifest) => () => new ReceiverCore({ manifest: m, codec, integrity: crc32Scheme, window: 4, now: 0 });
    expect(make({ ...rest, digestsFollow: true, lengthFollows: true })).toThrow(ManifestRejectedError);
    expect(make({ ...full, fileSize: 0, lengthFollows: true })).toThrow(ManifestRejectedError);
  });

  it('segments past a gap wait inside the window; the window moves once the gap is filled', () => {
    const { data, core, sender, frame, out } = piped(8 * SEG, 39);
    expect(core.handleDigests(1, frame(0, 8))).toBeUndefined();
    // Segment 0 is missing its last symbol: 1..3 decode but completeBelow stays at 0.
    const first = sender.allSource(0);
    for (const d of first.slice(0, -1)) core.handleDatagram(2, d);
    for (let s = 1; s < 4; s++) for (const d of sender.allSource(s)) core.handleDatagram(2, d);
    for (const d of sender.allSource(4)) core.handleDatagram(2, d);
    expect(core.stats.drops['window-full']).toBe(sender.allSource(4).length);
    core.handleDatagram(3, first.at(-1)!);
    pump(core, 3, out);
    expect(core.stats.segmentsWritten).toBe(4);
    for (let s = 4; s < 8; s++) for (const d of sender.allSource(s)) core.handleDatagram(4, d);
    pump(core, 4, out);
    expect(core.handleDigests(5, frame(8, 8, true))).toBeUndefined();
    expect(core.complete && core.fileHashMatches()).toBe(true);
    expect(Buffer.from(out).equals(data)).toBe(true);
  });
});

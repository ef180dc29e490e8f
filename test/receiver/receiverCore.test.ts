import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Digests, Manifest, Progress } from '../../control/messages.js';
import { segmentsDigest } from '../../control/objectIdentity.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { segmentRange } from '../../encoder/segmentLayout.js';
import { jobBuffers } from '../../receiver/decodeJob.js';
import { ManifestRejectedError } from '../../receiver/errors.js';
import { LossSimulator } from '../../receiver/lossSimulator.js';
import { MAX_SEGMENT_COUNT } from '../../receiver/manifestCheck.js';
import { defaultMaxRepairSymbols } from '../../receiver/segmentCollector.js';
import { ReceiverCore, type ReceiverCoreInit } from '../../receiver/receiverCore.js';
import { SeededRandom } from '../../util/random.js';
import { makeFile, makeManifest, pump, SESSION, TestSender } from './receiverHarness.js';

const codec = raptorqCodec();
const SEG = 32 * 1024;
const T = 1024;

let senders: TestSender[] = [];
afterEach(() => {
  for (const s of senders) s.free();
  senders = [];
});

function setup(size: number, seed: number, init: Partial<ReceiverCoreInit> = {}, segmentSize = SEG, symbolSize = T) {
  const data = makeFile(size, seed);
  const manifest = makeManifest(data, segmentSize, symbolSize);
  const sender = new TestSender(data, segmentSize, symbolSize);
  senders.push(sender);
  const core = new ReceiverCore({ manifest, codec, integrity: crc32Scheme, window: 4, now: 0, ...init });
  return { data, manifest, sender, core, out: new Uint8Array(size) };
}

describe('ReceiverCore', () => {
  it.each<[string, { sha256?: boolean }, Partial<ReceiverCoreInit>, boolean]>([
    ['identity of its segment digests: no plain SHA-256', {}, {}, false],
    ['identity of its segment digests, the plain SHA-256 asked for (receive --sha256)', {}, { sha256: true }, true],
    ['identity of kind bytes (send --sha256): the plain SHA-256 is the identity', { sha256: true }, {}, true],
  ])('receives a file without loss: every byte, hash verified, no codec needed beyond K symbols; %s', (_, kind, init, plain) => {
    const data = makeFile(100_000, 1);
    const manifest = makeManifest(data, SEG, T, {}, kind);
    const sender = new TestSender(data, SEG, T);
    senders.push(sender);
    const core = new ReceiverCore({ manifest, codec, integrity: crc32Scheme, window: 4, now: 0, ...init });
    const out = new Uint8Array(data.length);
    expect(core.layout.segmentCount).toBe(4);
    let now = 0;
    for (let s = 0; s < 4; s++) {
      for (const d of sender.allSource(s)) core.handleDatagram((now += 0.01), d);
      pump(core, now, out);
    }
    expect(core.complete).toBe(true);
    expect(core.fileHashMatches()).toBe(true);
    const sha256 = createHash('sha256').update(data).digest('hex');
    expect(core.objectSha256).toBe(plain ? sha256 : undefined);
    expect(core.announcedFileSha256).toBe(kind.sha256 ? sha256 : segmentsDigest(data.length, SEG, Buffer.from(manifest.segmentDigests!, 'base64')));
    expect(Buffer.from(out).equals(data)).toBe(true);
    const st = core.stats;
    expect(st.symbolsReceived).toBe(st.symbolsNeeded);
    expect(st.symbolsNeeded).toBe(32 * 3 + 2);
    expect(st.bytesWritten).toBe(100_000);
    expect(st.segmentsWritten).toBe(4);
    expect(st.datagramsLost).toBe(0);
    expect(st.datagramsReceived).toBe(98);
    expect(st.hashMismatches + st.decodeErrors).toBe(0);
    expect(core.openSegments).toBe(0);
  });

  it('receives through 25 % simulated loss with fresh repair symbols', () => {
    const { data, sender, core, out } = setup(300_000, 2, { lossSimulator: new LossSimulator(0.25, 99), window: 3 });
    const n = core.layout.segmentCount;
    let now = 0;
    const progress: Progress[] = [];
    let guard = 0;
    while (!core.complete && guard++ < 100) {
      // round: every segment the sender believes open gets its sources once, then repair
      const p = core.pollProgress(now);
      if (p) progress.push(p);
      for (let s = 0; s < n; s++) {
        const k = segmentRange(core.layout, s).sourceSymbols;
        if (guard === 1) for (let i = 0; i < k; i++) core.handleDatagram((now += 0.01), sender.source(s, i));
        else for (let r = 0; r < 4; r++) core.handleDatagram((now += 0.01), sender.repair(s));
        pump(core, now, out);
      }
      now += 50;
    }
    expect(core.complete).toBe(true);
    expect(core.fileHashMatches()).toBe(true);
    expect(Buffer.from(out).equals(data)).toBe(true);
    const st = core.stats;
    expect(st.drops['simulated-loss']).toBeGreaterThan(0);
    // every simulated drop is a sequence gap, except drops after the last datagram taken
    expect(st.datagramsLost).toBeLessThanOrEqual(st.drops['simulated-loss']);
    expect(st.datagramsLost).toBeGreaterThan(st.drops['simulated-loss'] - 20);
    expect(st.drops['window-full']).toBeGreaterThan(0);
    expect(st.symbolsReceived).toBeGreaterThanOrEqual(st.symbolsNeeded);
    expect(progress.some((p) => p.datagramsLost > 0)).toBe(true);
    for (const p of progress) expect(p.open.length).toBeLessThanOrEqual(3);
  });

  it('drops symbols beyond the window, and takes them once the window moves', () => {
    const { sender, core, out, data } = setup(100_000, 3, { window: 1 });
    core.handleDatagram(1, sender.source(1, 0));
    expect(core.stats.drops['window-full']).toBe(1);
    expect(core.openSegments).toBe(0);
    for (const d of sender.allSource(0)) core.handleDatagram(2, d);
    pump(core, 2, out);
    expect(core.pollProgress(2)?.completeBelow).toBe(1);
    core.handleDatagram(3, sender.source(3, 0));
    expect(core.stats.drops['window-full']).toBe(2);
    for (let s = 1; s < 4; s++) {
      for (const d of sender.allSource(s)) core.handleDatagram(4, d);
      pump(core, 4, out);
    }
    expect(core.complete && core.fileHashMatches()).toBe(true);
    expect(Buffer.from(out).equals(data)).toBe(true);
  });

  it('a flood of 200,000 forged datagrams (valid CRC, in-window repair ids) keeps its buffers bounded and the file exact', () => {
    const { sender, core, out, data } = setup(100_000, 5, { window: 2 });
    const rnd = new SeededRandom(78);
    const garbage = rnd.fill(new Uint8Array(T));
    let seq = 5_000_000;
    // In open mode anyone can seal a CRC: forged repair symbols for every segment, random ids.
    for (let i = 0; i < 200_000; i++) core.handleDatagram(1, sender.packet(i % 4, 40 + rnd.nextInt(1 << 20), garbage, seq++));
    const flooded = core.stats;
    // Only the window's segments hold buffers, each up to its repair cap; the rest is counted.
    expect(core.openSegments).toBeLessThanOrEqual(2);
    expect(flooded.symbolsReceived).toBeLessThanOrEqual(2 * defaultMaxRepairSymbols(segmentRange(core.layout, 0).sourceSymbols));
    expect(flooded.drops['repair-overflow']).toBeGreaterThan(90_000);
    expect(flooded.drops['window-full']).toBeGreaterThan(90_000);
    // Every forged datagram is accounted for: held (bounded above), over the cap, outside the window, or a duplicate id.
    expect(flooded.symbolsReceived + flooded.drops['repair-overflow']! + flooded.drops['window-full']! + flooded.drops.duplicate!).toBe(200_000);
    // The genuine sources still make the exact file (forged symbols cost time, never bytes).
    for (let s = 0; s < 4; s++) {
      for (const d of sender.allSource(s)) core.handleDatagram(2, d);
      pump(core, 2, out);
    }
    expect(core.complete && core.fileHashMatches()).toBe(true);
    expect(Buffer.from(out).equals(data)).toBe(true);
  });

  it('counts hostile datagrams and stays correct', () => {
    const { sender, core, out, data } = setup(100_000, 4, { window: 4 });
    const rnd = new SeededRandom(77);
    const junk = () => rnd.fill(new Uint8Array(rnd.nextInt(1200)));
    const sym = new Uint8Array(T);
    let seq = 1_000_000;
    const hostile = () => {
      core.handleDatagram(1, junk());
      core.handleDatagram(1, sender.packet(0, 1, sym, seq++, SESSION + 1)); // wrong session
      core.handleDatagram(1, sender.packet(4, 0, sym, seq++)); // segment out of range
      const tampered = sender.packet(1, 2, sym, seq++);
      tampered[30]! ^= 1; // bad tag
      core.handleDatagram(1, tampered);
      core.handleDatagram(1, sender.packet(2, 0, sym, seq++).subarray(0, 100)); // truncated
    };
    for (let s = 0; s < 4; s++) {
      for (const d of sender.allSource(s)) {
        hostile();
        core.handleDatagram(1, d);
      }
      pump(core, 1, out);
    }
    const st = core.stats;
    expect(core.complete && core.fileHashMatches()).toBe(true);
    expect(Buffer.from(out).equals(data)).toBe(true);
    expect(st.drops['wrong-session']).toBe(98);
    expect(st.drops['segment-out-of-range']).toBe(98);
    expect(st.drops['bad-tag']).toBe(98);
    expect(st.drops['length-mismatch']).toBeGreaterThanOrEqual(98);
    expect(st.datagramsAccepted).toBe(98);
    expect(st.datagramsDropped).toBe(98 * 5);
  });

  it('recovers from forged symbols with a valid tag: hash mismatch, start over, fresh repair', () => {
    const { sender, core, out, data } = setup(30_000, 5, {}, 32 * 1024, 1024);
    const k = segmentRange(core.layout, 0).sourceSymbols;
    const forged = new SeededRandom(5).fill(new Uint8Array(T));
    // a forged "repair" symbol and all source symbols but one: K symbols, one poisoned
    core.handleDatagram(1, sender.packet(0, raptorqCodec().encodingSymbolIdLimit - 1, forged, 500));
    for (let i = 1; i < k; i++) core.handleDatagram(1, sender.source(0, i));
    pump(core, 1, out);
    expect(core.complete).toBe(false);
    expect(core.stats.hashMismatches + core.stats.decodeFailures).toBeGreaterThanOrEqual(1);
    for (let r = 0; r < k + 5 && !core.complete; r++) {
      core.handleDatagram(2, sender.repair(0));
      pump(core, 2, out);
    }
    expect(core.complete && core.fileHashMatches()).toBe(true);
    expect(Buffer.from(out).equals(data)).toBe(true);
  });

  it('counts duplicates and symbols for finished segments', () => {
    const { sender, core, out } = setup(100_000, 6);
    const first = sender.source(0, 0);
    core.handleDatagram(1, first);
    core.handleDatagram(1, first);
    core.handleDatagram(1, sender.source(0, 0));
    expect(core.stats.duplicates).toBe(2);
    for (let i = 1; i < 32; i++) core.handleDatagram(1, sender.source(0, i));
    pump(core, 1, out);
    core.handleDatagram(2, sender.repair(0));
    expect(core.stats.drops['segment-complete']).toBe(1);
    expect(core.stats.sequence.duplicateSequences).toBe(1);
  });

  it('hashes the whole file in order even when segments decode out of order (the plain SHA-256 asked for)', () => {
    const { sender, core, out, data } = setup(100_000, 7, { sha256: true });
    for (const s of [3, 2, 1, 0]) {
      for (const d of sender.allSource(s)) core.handleDatagram(1, d);
      pump(core, 1, out);
      expect(core.complete).toBe(s === 0);
    }
    expect(core.fileHashMatches()).toBe(true);
    expect(core.objectSha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(Buffer.from(out).equals(data)).toBe(true);
  });

  it('detects a whole-file hash that disagrees with the segment hashes', () => {
    const data = makeFile(50_000, 8);
    const manifest = makeManifest(data, SEG, T, { fileSha256: 'ab'.repeat(32) });
    const sender = new TestSender(data, SEG, T);
    senders.push(sender);
    const core = new ReceiverCore({ manifest, codec, integrity: crc32Scheme, window: 2, now: 0 });
    const out = new Uint8Array(data.length);
    for (let s = 0; s < 2; s++) for (const d of sender.allSource(s)) core.handleDatagram(1, d);
    pump(core, 1, out);
    expect(core.complete).toBe(true);
    expect(core.fileHashMatches()).toBe(false);
  });

  describe('digests that follow the manifest', () => {
    function deferred(size: number, seed: number) {
      const data = makeFile(size, seed);
      const full = makeManifest(data, SEG, T);
      const { segmentDigests: _s, fileSha256: _f, ...rest } = full;
      const manifest: Manifest = { ...rest, digestsFollow: true };
      const sender = new TestSender(data, SEG, T);
      senders.push(sender);
      const core = new ReceiverCore({ manifest, codec, integrity: crc32Scheme, window: 4, now: 0 });
      const hashes = Buffer.from(full.segmentDigests!, 'base64');
      const frame = (first: number, end: number, file = false): Digests => ({
        type: 'digests',
        firstSegment: first,
        segmentDigests: hashes.subarray(32 * first, 32 * end).toString('base64'),
        ...(file ? { fileSha256: full.fileSha256! } : {}),
      });
      return { data, core, sender, frame, out: new Uint8Array(size) };
    }

    it('holds complete segments until their digest comes, and completes only with the file digest', () => {
      const { data, core, sender, frame, out } = deferred(100_000, 21);
      for (let s = 0; s < 4; s++) for (const d of sender.allSource(s)) core.handleDatagram(1, d);
      expect(pump(core, 1, out)).toBe(0); // nothing verified or written without a digest
      expect(core.openSegments).toBe(4);
      expect(core.handleDigests(2, frame(0, 2))).toBeUndefined();
      pump(core, 2, out);
      expect(core.stats.segmentsWritten).toBe(2);
      expect(core.handleDigests(3, frame(2, 4))).toBeUndefined();
      pump(core, 3, out);
      expect(core.stats.segmentsWritten).toBe(4);
      expect(core.complete).toBe(false); // the whole-file digest has not come
      expect(core.handleDigests(4, frame(4, 4, true))).toBeUndefined();
      expect(core.complete && core.fileHashMatches()).toBe(true);
      expect(core.announcedFileSha256).toBe(segmentsDigest(data.length, SEG, Buffer.from(makeManifest(data, SEG, T).segmentDigests!, 'base64')));
      expect(Buffer.from(out).equals(data)).toBe(true);
      expect(core.handleDigests(5, frame(4, 4))).toMatch(/after all digests/);
    });

    it('gives a deadline while data waits for a digest, restarted by each digest frame, and none once all came', () => {
      const { core, sender, frame, out } = deferred(100_000, 24);
      expect(core.digestDeadline(30_000)).toBeUndefined(); // nothing waits yet
      for (let s = 0; s < 2; s++) for (const d of sender.allSource(s)) core.handleDatagram(10, d);
      pump(core, 10, out);
      expect(core.digestDeadline(30_000)).toBe(10 + 30_000);
      expect(core.handleDigests(50, frame(0, 1))).toBeUndefined();
      pump(core, 50, out);
      expect(core.digestDeadline(30_000)).toBe(50 + 30_000); // segment 1 still waits, afresh
      for (let s = 2; s < 4; s++) for (const d of sender.allSource(s)) core.handleDatagram(60, d);
      expect(core.handleDigests(70, frame(1, 4))).toBeUndefined();
      pump(core, 70, out);
      expect(core.stats.segmentsWritten).toBe(4);
      // Every segment written: the file digest is what waits now, since the last write.
      expect(core.digestDeadline(30_000)).toBe(70 + 30_000);
      expect(core.handleDigests(90, frame(4, 4, true))).toBeUndefined();
      expect(core.digestDeadline(30_000)).toBeUndefined();
      expect(core.complete && core.fileHashMatches()).toBe(true);
    });

    it('a wrong digest that comes late is a hash mismatch, and the segment is collected again', () => {
      const { core, sender, frame, out } = deferred(60_000, 22);
      for (const d of sender.allSource(0)) core.handleDatagram(1, d);
      const bad = frame(0, 1);
      const wrong: Digests = { ...bad, segmentDigests: Buffer.alloc(32, 7).toString('base64') };
      expect(core.handleDigests(1, wrong)).toBeUndefined();
      pump(core, 1, out);
      expect(core.stats.hashMismatches).toBe(1);
      expect(core.stats.segmentsWritten).toBe(0);
    });

    it('refuses digests out of order, past the last segment, or a file digest too early', () => {
      const { core, frame } = deferred(100_000, 23);
      expect(core.handleDigests(1, frame(1, 2))).toMatch(/expected 0/);
      expect(core.handleDigests(1, { type: 'digests', firstSegment: 0, segmentDigests: Buffer.alloc(32 * 5).toString('base64') })).toMatch(/run past/);
      expect(core.handleDigests(1, frame(0, 3, true))).toMatch(/before the last segment/);
      expect(core.handleDigests(1, frame(0, 4, true))).toBeUndefined();
    });
  });

  it('need-more raises the threshold by 2; a job lost with its worker restarts the segment', () => {
    const { sender, core, out, data } = setup(30_000, 9);
    const k = segmentRange(core.layout, 0).sourceSymbols;
    for (let i = 0; i < k - 1; i++) core.handleDatagram(1, sender.source(0, i));
    expect(core.pollDecodeJob()).toBeUndefined();
    core.handleDatagram(1, sender.repair(0));
    const job = core.pollDecodeJob()!;
    expect(job.segmentIndex).toBe(0);
    expect(core.pollProgress(1)!.open).toEqual([{ index: 0, received: k, needed: 0 }]);
    core.handleDatagram(2, sender.repair(0)); // arrives while the job is out
    core.handleDecodeOutcome(3, { type: 'need-more', segmentIndex: 0, buffers: jobBuffers(job) });
    expect(core.stats.decodeFailures).toBe(1);
    expect(core.pollDecodeJob()).toBeUndefined();
    // Source k-1 never came and repair did: it is listed as lost for a cheap resend.
    expect(core.pollProgress(60)!.open).toEqual([{ index: 0, received: k + 1, needed: 1, missing: [k - 1] }]);
    core.handleDatagram(61, sender.repair(0));
    const retry = core.pollDecodeJob()!;
    expect(retry.repairIds.length).toBe(3);
    core.handleDecodeOutcome(62, { type: 'failed', segmentIndex: 0, reason: 'worker died' });
    expect(core.stats.decodeErrors).toBe(1);
    expect(core.lastDecodeError).toBe('worker died');
    expect(core.pollDecodeJob()).toBeUndefined();
    // a stale outcome for a segment without a job out is ignored
    core.handleDecodeOutcome(63, { type: 'need-more', segmentIndex: 0, buffers: jobBuffers(retry) });
    expect(core.stats.decodeFailures).toBe(1);
    for (let r = 0; r < k + 3 && !core.complete; r++) {
      core.handleDatagram(64, sender.repair(0));
      pump(core, 64, out);
    }
    expect(core.complete && core.fileHashMatches()).toBe(true);
    expect(Buffer.from(out).equals(data)).toBe(true);
  });

  it('empty file: complete at once, hash of nothing', () => {
    const manifest = makeManifest(new Uint8Array(0), SEG, T);
    const core = new ReceiverCore({ manifest, codec, integrity: crc32Scheme, window: 2, now: 10 });
    expect(core.complete).toBe(true);
    expect(core.fileHashMatches()).toBe(true);
    expect(core.pollDecodeJob()).toBeUndefined();
    expect(core.pollWrite()).toBeUndefined();
    expect(core.pollProgress(10)).toMatchObject({ completeBelow: 0, open: [], completeAbove: [] });
    expect(core.stats.symbolsNeeded).toBe(0);
  });
});

describe('ReceiverCore progress cadence (fake clock)', () => {
  it('reports at most every interval while data flows, at once when a segment completes', () => {
    const { sender, core, out } = setup(100_000, 10, { progressIntervalMs: 50, window: 4 });
    expect(core.pollTimeout()).toBeUndefined();
    expect(core.pollProgress(1000)).toBeUndefined();
    core.handleDatagram(1000, sender.source(0, 0));
    expect(core.pollTimeout()).toBe(1000);
    const first = core.pollProgress(1000)!;
    expect(first).toMatchObject({ type: 'progress', completeBelow: 0, completeAbove: [], open: [{ index: 0, received: 1, needed: 31 }] });
    core.handleDatagram(1010, sender.source(0, 1));
    core.handleDatagram(1020, sender.source(1, 0));
    expect(core.pollTimeout()).toBe(1050);
    expect(core.pollProgress(1049)).toBeUndefined();
    const second = core.pollProgress(1050)!;
    // Segment 1 has begun, so every source of segment 0 was sent: the rest of it is listed lost.
    expect(second.open).toEqual([
      { index: 0, received: 2, needed: 30, missing: Array.from({ length: 30 }, (_, i) => i + 2) },
      // No hole below its highest source id: an empty list (the rest are the top ids).
      { index: 1, received: 1, needed: 31, missing: [] },
    ]);
    expect(second.highestSequence).toBe(sender.sequence - 1);
    // No data, but segments still need symbols: a keep-alive report every 2 intervals, so a
    // sender that wrongly believes enough symbols are in flight learns otherwise.
    expect(core.pollTimeout()).toBe(1150);
    expect(core.pollProgress(1149)).toBeUndefined();
    expect(core.pollProgress(1150)!.open).toEqual(second.open);
    expect(core.pollTimeout()).toBe(1250);
    // segment 1 completes before 0: immediate report, completeAbove lists it
    for (let i = 1; i < 32; i++) core.handleDatagram(5001, sender.source(1, i));
    expect(core.pollProgress(5001)).toBeDefined(); // first data after a quiet spell goes at once
    core.handleDatagram(5002, sender.source(0, 2));
    expect(core.pollTimeout()).toBe(5051);
    pump(core, 5003, out);
    expect(core.pollTimeout()).toBe(5003);
    const done1 = core.pollProgress(5003)!;
    expect(done1.completeBelow).toBe(0);
    expect(done1.completeAbove).toEqual([1]);
    expect(done1.open).toEqual([{ index: 0, received: 3, needed: 29, missing: Array.from({ length: 29 }, (_, i) => i + 3) }]);
  });

  it('a report right after completion says everything is done', () => {
    const { sender, core, out } = setup(40_000, 11, { progressIntervalMs: 50 });
    for (let s = 0; s < 2; s++) for (const d of sender.allSource(s)) core.handleDatagram(1, d);
    core.pollProgress(1);
    pump(core, 2, out);
    expect(core.complete).toBe(true);
    expect(core.pollProgress(2)).toMatchObject({ completeBelow: 2, completeAbove: [], open: [] });
  });
});

describe('ReceiverCore manifest checks (before allocating)', () => {
  const data = makeFile(1000, 12);
  const good = makeManifest(data, 512, 64);
  const make =
    (m: Partial<Manifest>, init: Partial<ReceiverCoreInit> = {}) =>
    () =>
      new ReceiverCore({ manifest: { ...good, ...m }, codec, integrity: crc32Scheme, window: 2, now: 0, ...init });

  it('accepts the good one', () => {
    expect(make({})).not.toThrow();
    expect(make({ segmentSize: 512 }, { window: 3, maxBufferBytes: 1536 })).not.toThrow();
  });

  const cases: [string, Partial<Manifest>, Partial<ReceiverCoreInit>?][] = [
    ['file over 2^50', { fileSize: 2 ** 50 + 1 }],
    ['file over the receiver limit', { fileSize: 1000 }, { maxFileSize: 999 }],
    ['segment over the receiver limit', { segmentSize: 1024 }, { maxSegmentSize: 512 }],
    ['window x segment size over the buffer budget', { segmentSize: 512 }, { window: 3, maxBufferBytes: 1535 }],
    ['too many segments (would need 2^44 bits of state)', { fileSize: 2 ** 50, segmentSize: 64 }],
    ['unknown codec', { codec: 'lt' }],
    ['symbol size too small', { symbolSize: 32 }],
    ['symbol size not aligned', { symbolSize: 100 }],
    ['symbol size too big', { symbolSize: 70_000, segmentSize: 70_000 }],
    ['segment smaller than a symbol', { segmentSize: 32 }],
    ['K over one source block', { segmentSize: 64 * 56_404 }],
    ['segment hashes too short', { segmentDigests: good.segmentDigests!.slice(0, -4) }],
    ['segment hashes not base64', { segmentDigests: '!'.repeat(good.segmentDigests!.length) }],
    ['file hash not hex', { fileSha256: 'z'.repeat(64) }],
    ['tag kind mismatch', { tagKind: 2 }],
    ['session id not u32', { sessionId: -1 }],
    ['negative size', { fileSize: -1 }],
    ['fractional size', { fileSize: 1.5 }],
  ];
  for (const [what, m, init] of cases) {
    it(`rejects: ${what}`, () => {
      expect(make(m, init)).toThrow(ManifestRejectedError);
    });
  }

  it('segment count cap is 2^24', () => {
    expect(MAX_SEGMENT_COUNT).toBe(2 ** 24);
    expect(make({ fileSize: 64 * (2 ** 24 + 1), segmentSize: 64, symbolSize: 64 })).toThrow(/segments exceed/);
  });

  it('rejects window and interval misuse as local errors', () => {
    expect(make({}, { window: 0 })).toThrow(RangeError);
    expect(make({}, { window: 1.5 })).toThrow(RangeError);
    expect(make({}, { progressIntervalMs: -1 })).toThrow(RangeError);
  });
});

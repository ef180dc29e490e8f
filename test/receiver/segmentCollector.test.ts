import { describe, expect, it } from 'vitest';
import { jobBuffers, type DecodeBuffers, type DecodeJob } from '../../receiver/decodeJob.js';
import { jobTransferList } from '../../receiver/decodeMessages.js';
import { defaultMaxRepairSymbols, SegmentCollector, type SegmentCollectorInit } from '../../receiver/segmentCollector.js';

const T = 16;

function sym(esi: number): Uint8Array {
  const s = new Uint8Array(T);
  for (let i = 0; i < T; i++) s[i] = (esi * 31 + i) & 0xff;
  return s;
}

function collector(k: number, extra: Partial<SegmentCollectorInit> = {}): SegmentCollector {
  return new SegmentCollector({
    segmentIndex: 7,
    transferLength: k * T - 3,
    symbolSize: T,
    sourceSymbols: k,
    expectedDigest: new Uint8Array(32).fill(0xaa),
    ...extra,
  });
}

/** Moves the job's buffers like a worker round trip does (the originals become detached). */
function roundTrip(job: DecodeJob): DecodeBuffers {
  return structuredClone(jobBuffers(job), { transfer: jobTransferList(job) });
}

function symbolsOf(job: DecodeJob): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let i = 0; i < job.sourceSymbols; i++) if (job.sourcePresent[i]) m.set(i, [...job.source.subarray(i * T, i * T + T)]);
  job.repairIds.forEach((id, j) => m.set(id, [...job.repair.subarray(j * T, j * T + T)]));
  return m;
}

describe('SegmentCollector', () => {
  it('is ready as soon as it holds every source symbol, whatever a failed attempt raised the threshold to', () => {
    // A stalled LT-like attempt: 10 sources of 12 and 4 repairs failed; the step asks for 6 more.
    const c = collector(12, { retryStep: 6 });
    for (let esi = 0; esi < 10; esi++) c.add(esi, sym(esi));
    for (let id = 12; id < 16; id++) c.add(id, sym(id));
    c.handleNeedMore(roundTrip(c.takeJob()));
    expect(c.threshold).toBe(20);
    expect(c.needed).toBe(6);
    expect(c.missingSource(100)).toEqual([10, 11]);
    // The sender resends the two listed sources: that is the whole segment, 16 < 20 symbols.
    c.add(10, sym(10));
    expect(c.ready).toBe(false);
    c.add(11, sym(11));
    expect(c.received).toBe(16);
    expect(c.ready).toBe(true);
    expect(c.needed).toBe(0);
    expect(c.missingSource(100)).toBeUndefined();
  });

  it('places source symbols in place and detects duplicates', () => {
    const c = collector(4);
    expect(c.add(2, sym(2))).toBe('added');
    expect(c.add(2, sym(2))).toBe('duplicate');
    expect(c.add(0, sym(0))).toBe('added');
    expect(c.received).toBe(2);
    expect(c.needed).toBe(2);
    expect(c.ready).toBe(false);
    c.add(1, sym(1));
    c.add(3, sym(3));
    expect(c.ready).toBe(true);
    const job = c.takeJob();
    expect([...job.sourcePresent]).toEqual([1, 1, 1, 1]);
    for (let i = 0; i < 4; i++) expect(job.source.subarray(i * T, i * T + T)).toEqual(sym(i));
    expect(job.repairIds.length).toBe(0);
    expect(job.repair.length).toBe(0);
    expect(job).toMatchObject({ segmentIndex: 7, transferLength: 4 * T - 3, symbolSize: T, sourceSymbols: 4 });
  });

  it('packs repair symbols with their ids, detects duplicates, grows past its first capacity', () => {
    const c = collector(100);
    const ids: number[] = [];
    for (let r = 0; r < 150; r++) {
      const id = 5000 - r * 3;
      ids.push(id);
      expect(c.add(id, sym(id))).toBe('added');
    }
    expect(c.add(ids[77]!, sym(0))).toBe('duplicate');
    expect(c.received).toBe(150);
    const job = c.takeJob();
    expect([...job.repairIds]).toEqual(ids);
    ids.forEach((id, j) => expect(job.repair.subarray(j * T, j * T + T)).toEqual(sym(id)));
  });

  it('caps the repair symbols it keeps and counts the overflow', () => {
    const c = collector(10, { maxRepairSymbols: 3 });
    expect(defaultMaxRepairSymbols(10)).toBe(10 + 5 + 64);
    for (const id of [20, 21, 22]) expect(c.add(id, sym(id))).toBe('added');
    expect(c.add(23, sym(23))).toBe('repair-overflow');
    expect(c.add(24, sym(24))).toBe('repair-overflow');
    expect(c.add(21, sym(21))).toBe('duplicate');
    expect(c.overflowed).toBe(2);
    expect(c.received).toBe(3);
    // source symbols are never capped beyond K
    for (let i = 0; i < 10; i++) expect(c.add(i, sym(i))).toBe('added');
  });

  it('keeps the highest ESI a datagram can carry', () => {
    const c = collector(4, { encodingSymbolIdLimit: 2 ** 24 });
    expect(c.add(2 ** 24 - 1, sym(1))).toBe('added');
    expect(c.add(2 ** 24 - 1, sym(1))).toBe('duplicate');
  });

  it('collects into a pending area while a job is out, merges on need-more, raises the threshold', () => {
    const c = collector(5);
    for (const id of [0, 1, 3, 9, 10]) c.add(id, sym(id));
    expect(c.ready).toBe(true);
    const job = c.takeJob();
    expect(c.decoding).toBe(true);
    expect(c.ready).toBe(false);
    expect(c.needed).toBe(0);
    expect(() => c.takeJob()).toThrow();
    const back = roundTrip(job);
    expect(job.source.length).toBe(0); // detached: the collector must not rely on it
    // arriving meanwhile: a source symbol, a repair symbol, and duplicates of both kinds
    expect(c.add(4, sym(4))).toBe('added');
    expect(c.add(11, sym(11))).toBe('added');
    expect(c.add(0, sym(0))).toBe('duplicate');
    expect(c.add(9, sym(9))).toBe('duplicate');
    expect(c.received).toBe(7);
    c.handleNeedMore(back);
    expect(c.failedAttempts).toBe(1);
    expect(c.threshold).toBe(5 + 2);
    expect(c.received).toBe(7);
    expect(c.ready).toBe(true);
    const retry = c.takeJob();
    const got = symbolsOf(retry);
    expect([...got.keys()].sort((a, b) => a - b)).toEqual([0, 1, 3, 4, 9, 10, 11]);
    for (const [id, bytes] of got) expect(bytes).toEqual([...sym(id)]);
  });

  it('threshold rises from the count the failed attempt had, not only by +2', () => {
    const c = collector(4);
    for (const id of [0, 1, 2, 10, 11, 12]) c.add(id, sym(id)); // 6 >= 4
    const job = c.takeJob();
    c.handleNeedMore(jobBuffers(job));
    expect(c.threshold).toBe(8);
    expect(c.ready).toBe(false);
    expect(c.needed).toBe(2);
    c.add(13, sym(13));
    expect(c.ready).toBe(false);
    c.add(3, sym(3));
    expect(c.ready).toBe(true);
  });

  it('grows the repair area after buffers came back from a worker', () => {
    const c = collector(40);
    for (let id = 100; id < 140; id++) c.add(id, sym(id));
    const back = roundTrip(c.takeJob());
    c.handleNeedMore(back);
    for (let id = 200; id < 260; id++) c.add(id, sym(id));
    const job = c.takeJob();
    expect(job.repairIds.length).toBe(100);
    const got = symbolsOf(job);
    for (const [id, bytes] of got) expect(bytes).toEqual([...sym(id)]);
  });

  it('reset forgets everything: ids seen before are taken again', () => {
    const c = collector(3);
    for (const id of [0, 1, 50]) c.add(id, sym(id));
    const job = c.takeJob();
    c.add(51, sym(51));
    c.reset(roundTrip(job));
    expect(c.resets).toBe(1);
    expect(c.received).toBe(0);
    expect(c.threshold).toBe(3);
    expect(c.decoding).toBe(false);
    expect(c.add(0, sym(0))).toBe('added');
    expect(c.add(50, sym(50))).toBe('added');
    expect(c.add(51, sym(51))).toBe('added');
    const again = c.takeJob();
    expect([...again.sourcePresent]).toEqual([1, 0, 0]);
    expect([...again.repairIds]).toEqual([50, 51]);
  });

  it('reset without buffers (the worker died with them) starts with fresh ones', () => {
    const c = collector(2);
    c.add(0, sym(0));
    c.add(1, sym(1));
    c.takeJob();
    c.reset(undefined);
    c.add(1, sym(1));
    c.add(9, sym(9));
    const job = c.takeJob();
    expect(symbolsOf(job).get(1)).toEqual([...sym(1)]);
    expect(symbolsOf(job).get(9)).toEqual([...sym(9)]);
  });

  it('starts over when the raised threshold can no longer be reached', () => {
    const c = collector(4, { maxRepairSymbols: 1 });
    for (const id of [0, 1, 2, 3]) c.add(id, sym(id));
    c.handleNeedMore(jobBuffers(c.takeJob())); // threshold 6 > K + 1
    expect(c.resets).toBe(1);
    expect(c.received).toBe(0);
    expect(c.threshold).toBe(4);
  });

  it('keeps its own copy of the expected hash', () => {
    const hash = new Uint8Array(64).fill(1);
    const c = collector(1, { expectedDigest: hash.subarray(32, 64) });
    hash.fill(2);
    c.add(0, sym(0));
    const job = c.takeJob();
    expect([...job.expectedDigest]).toEqual(new Array(32).fill(1));
    expect(job.expectedDigest.buffer.byteLength).toBe(32);
  });

  it('recovers the one missing source symbol of a combined resend by XOR, and no other', () => {
    const xor = (...ids: number[]) => {
      const out = new Uint8Array(T);
      for (const id of ids) sym(id).forEach((b, i) => (out[i]! ^= b));
      return out;
    };
    const c = collector(6);
    for (const esi of [0, 2, 3, 5]) c.add(esi, sym(esi));
    // Lacks 1 and 4: a combination of both is someone else's; 2 + 3 + 5 it holds entirely.
    expect(c.addCombined([1, 4], xor(1, 4))).toBe('combined-undecodable');
    expect(c.addCombined([2, 3, 5], xor(2, 3, 5))).toBe('duplicate');
    expect(c.addCombined([0, 6], xor(0))).toBe('combined-not-source');
    expect(c.received).toBe(4);
    expect(c.addCombined([0, 1, 3], xor(0, 1, 3))).toBe('added');
    expect(c.addCombined([2, 4, 5], xor(2, 4, 5))).toBe('added');
    expect(c.received).toBe(6);
    expect(c.ready).toBe(true);
    const job = c.takeJob();
    for (let esi = 0; esi < 6; esi++) expect([...job.source.subarray(esi * T, esi * T + T)], `esi ${esi}`).toEqual([...sym(esi)]);
    // While that job holds the source buffer, a combination cannot be undone.
    expect(c.addCombined([0, 1], xor(0, 1))).toBe('duplicate');
    const d = collector(3);
    d.add(0, sym(0));
    d.add(1, sym(1));
    d.add(5, sym(5)); // a repair symbol: 2 of 3 sources + 1 repair reach K
    d.takeJob();
    expect(d.addCombined([1, 2], xor(1, 2))).toBe('combined-undecodable');
  });
});

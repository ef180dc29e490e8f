import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Codec, CodecParameters, SegmentDecoder } from '../../encoder/codec.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { raptorqObjectInformation } from '../../encoder/raptorqParameters.js';
import { runDecodeJob, type DecodeJob } from '../../receiver/decodeJob.js';
import { SeededRandom } from '../../util/random.js';
import { segmentDigest } from '../../control/segmentHash.js';

const digestOf = (b: Uint8Array) => new Uint8Array(segmentDigest(b));

/** A codec that must not be used for decoding: proves the fast path, counts frees. */
function fakeCodec(decoder?: () => SegmentDecoder): Codec & { created: number } {
  const c = {
    name: 'fake',
    encodingSymbolIdLimit: 2 ** 24,
    maxSourceSymbols: 56403,
    created: 0,
    createEncoder(): never {
      throw new Error('no encoder');
    },
    createDecoder(): SegmentDecoder {
      c.created++;
      if (decoder === undefined) throw new Error('createDecoder must not be called on the fast path');
      return decoder();
    },
    segmentFromSourceSymbols(source: Uint8Array, params: CodecParameters) {
      return source.subarray(0, params.transferLength);
    },
  };
  return c;
}

/** Builds a job from the chosen source ESIs and repair indices of a real RaptorQ encoding. */
function raptorqJob(data: Uint8Array, T: number, keepSource: (esi: number) => boolean, repairCount: number, expected = digestOf(data)) {
  const codec = raptorqCodec();
  const enc = codec.createEncoder(data, { transferLength: data.length, symbolSize: T });
  const k = enc.sourceSymbols;
  const source = new Uint8Array(k * T);
  const sourcePresent = new Uint8Array(k);
  const repairIds = new Uint32Array(repairCount);
  const repair = new Uint8Array(repairCount * T);
  try {
    for (let i = 0; i < k; i++) {
      if (!keepSource(i)) continue;
      source.set(enc.sourceSymbol(i), i * T);
      sourcePresent[i] = 1;
    }
    for (let r = 0; r < repairCount; r++) {
      const s = enc.repairSymbol(r);
      repairIds[r] = s.encodingSymbolId;
      repair.set(s.data, r * T);
    }
  } finally {
    enc.free();
  }
  const job: DecodeJob = {
    segmentIndex: 3,
    transferLength: data.length,
    symbolSize: T,
    sourceSymbols: k,
    source,
    sourcePresent,
    repairIds,
    repair,
    expectedDigest: expected,
  };
  return { job, k, codec };
}

describe('runDecodeJob', () => {
  it('fast path: every source symbol present, no decoder at all', () => {
    const data = new SeededRandom(1).fill(new Uint8Array(1000));
    const T = 64;
    const k = Math.ceil(data.length / T);
    const source = new Uint8Array(k * T);
    source.set(data);
    const job: DecodeJob = {
      segmentIndex: 0,
      transferLength: data.length,
      symbolSize: T,
      sourceSymbols: k,
      source,
      sourcePresent: new Uint8Array(k).fill(1),
      repairIds: new Uint32Array(0),
      repair: new Uint8Array(0),
      expectedDigest: digestOf(data),
    };
    const codec = fakeCodec();
    const out = runDecodeJob(job, codec);
    expect(out.type).toBe('decoded');
    expect(out.type === 'decoded' && out.data).toEqual(data);
    expect(codec.created).toBe(0);
    // a wrong byte is caught by the hash on the fast path too
    source[5]! ^= 1;
    expect(runDecodeJob(job, codec).type).toBe('hash-mismatch');
    expect(codec.created).toBe(0);
  });

  it('hashes the segment into a copy of the running file hash alongside its own digest, and only when it matches', () => {
    const before = new SeededRandom(7).fill(new Uint8Array(5000));
    const data = new SeededRandom(8).fill(new Uint8Array(200_001)); // three 64 KiB chunks and a bit
    const T = 1000;
    const k = Math.ceil(data.length / T);
    const source = new Uint8Array(k * T);
    source.set(data);
    const job: DecodeJob = {
      segmentIndex: 1,
      transferLength: data.length,
      symbolSize: T,
      sourceSymbols: k,
      source,
      sourcePresent: new Uint8Array(k).fill(1),
      repairIds: new Uint32Array(0),
      repair: new Uint8Array(0),
      expectedDigest: digestOf(data),
    };
    const running = createHash('sha256').update(before);
    const out = runDecodeJob(job, fakeCodec(), running);
    expect(out.type).toBe('decoded');
    const after = out.type === 'decoded' ? out.fileHashAfter : undefined;
    expect(after?.digest('hex')).toBe(createHash('sha256').update(before).update(data).digest('hex'));
    // The running hash itself is untouched: a copy went forward.
    expect(running.copy().digest('hex')).toBe(createHash('sha256').update(before).digest('hex'));
    // A mismatch gives no hash back.
    source[100_000]! ^= 1;
    const bad = runDecodeJob(job, fakeCodec(), running);
    expect(bad.type).toBe('hash-mismatch');
    expect('fileHashAfter' in bad).toBe(false);
    // Without a running hash, none comes back.
    source[100_000]! ^= 1;
    const plain = runDecodeJob(job, fakeCodec());
    expect(plain.type === 'decoded' && plain.fileHashAfter).toBeUndefined();
  });

  it('decodes with loss (real RaptorQ: 10 % of source symbols missing, repair instead)', () => {
    const data = new SeededRandom(2).fill(new Uint8Array(200_000));
    const rnd = new SeededRandom(3);
    const { job, k, codec } = raptorqJob(data, 1392, () => rnd.next() >= 0.1, 40);
    expect(job.sourcePresent.reduce((a, b) => a + b, 0)).toBeLessThan(k);
    const out = runDecodeJob(job, codec);
    expect(out.type).toBe('decoded');
    expect(out.type === 'decoded' && Buffer.from(out.data).equals(data)).toBe(true);
  });

  it('decodes from repair symbols only', () => {
    const data = new SeededRandom(4).fill(new Uint8Array(30_000));
    const { job, k, codec } = raptorqJob(data, 512, () => false, 70);
    expect(k).toBe(59);
    const out = runDecodeJob(job, codec);
    expect(out.type === 'decoded' && Buffer.from(out.data).equals(data)).toBe(true);
  });

  it('says need-more (and hands the buffers back) when the symbols are not enough', () => {
    const data = new SeededRandom(5).fill(new Uint8Array(50_000));
    const { job, codec } = raptorqJob(data, 1000, (i) => i % 2 === 0, 10);
    const out = runDecodeJob(job, codec);
    expect(out.type).toBe('need-more');
    if (out.type !== 'need-more') return;
    expect(out.segmentIndex).toBe(3);
    expect(out.buffers.source).toBe(job.source);
    expect(out.buffers.repair).toBe(job.repair);
  });

  it('detects a hash mismatch after a real decode', () => {
    const data = new SeededRandom(6).fill(new Uint8Array(20_000));
    const wrong = digestOf(data);
    wrong[0]! ^= 0xff;
    const { job, codec } = raptorqJob(data, 256, (i) => i !== 4, 5, wrong);
    expect(runDecodeJob(job, codec).type).toBe('hash-mismatch');
  });

  it('a corrupted repair symbol gives a hash mismatch, not wrong data', () => {
    const data = new SeededRandom(7).fill(new Uint8Array(20_000));
    const { job, codec } = raptorqJob(data, 256, (i) => i >= 5, 8);
    job.repair[10]! ^= 0x40;
    const out = runDecodeJob(job, codec);
    expect(['hash-mismatch', 'need-more']).toContain(out.type);
    expect(out.type).not.toBe('decoded');
  });

  it('without the codec shortcut, sub-blocked segments (RFC 6330 N > 1) still come out right', () => {
    const data = new SeededRandom(8).fill(new Uint8Array(12 << 20));
    expect(raptorqObjectInformation(data.length, 1392).subBlocks).toBeGreaterThan(1);
    const { job, codec } = raptorqJob(data, 1392, () => true, 0);
    // Through the decoder (no shortcut), and through the codec's shortcut if it has one.
    const variants: Codec[] = [{ ...codec, segmentFromSourceSymbols: undefined }];
    if (codec.segmentFromSourceSymbols !== undefined) variants.push(codec);
    for (const c of variants) {
      const out = runDecodeJob(job, c);
      expect(out.type === 'decoded' && Buffer.from(out.data).equals(data)).toBe(true);
    }
  });

  it('frees the decoder on success, need-more and exceptions; a throwing codec gives "failed"', () => {
    let frees = 0;
    let mode: 'throw' | 'never' | 'done' = 'throw';
    const codec = fakeCodec(() => ({
      received: 0,
      add() {
        if (mode === 'throw') throw new Error('wasm trap');
        return mode === 'done';
      },
      result: () => new Uint8Array(10),
      free() {
        frees++;
      },
    }));
    const job: DecodeJob = {
      segmentIndex: 9,
      transferLength: 10,
      symbolSize: 8,
      sourceSymbols: 2,
      source: new Uint8Array(16),
      sourcePresent: new Uint8Array([1, 0]),
      repairIds: new Uint32Array([5]),
      repair: new Uint8Array(8),
      expectedDigest: digestOf(new Uint8Array(10)),
    };
    const failed = runDecodeJob(job, codec);
    expect(failed).toMatchObject({ type: 'failed', segmentIndex: 9 });
    expect(failed.type === 'failed' && failed.reason).toMatch(/wasm trap/);
    mode = 'never';
    expect(runDecodeJob(job, codec).type).toBe('need-more');
    mode = 'done';
    expect(runDecodeJob(job, codec).type).toBe('decoded');
    expect(codec.created).toBe(3);
    expect(frees).toBe(3);
  });

  it('refuses a malformed job before any codec call', () => {
    const codec = fakeCodec();
    const base: DecodeJob = {
      segmentIndex: 1,
      transferLength: 10,
      symbolSize: 8,
      sourceSymbols: 2,
      source: new Uint8Array(16),
      sourcePresent: new Uint8Array(2),
      repairIds: new Uint32Array([2]),
      repair: new Uint8Array(8),
      expectedDigest: new Uint8Array(32),
    };
    const bad: Partial<DecodeJob>[] = [
      { source: new Uint8Array(15) },
      { repairIds: new Uint32Array([1]) },
      { repairIds: new Uint32Array([2 ** 24]) },
      { repair: new Uint8Array(7) },
      { sourceSymbols: 3 },
      { sourcePresent: new Uint8Array(1) },
      { expectedDigest: new Uint8Array(31) },
    ];
    for (const b of bad) {
      const out = runDecodeJob({ ...base, ...b }, codec);
      expect(out.type, JSON.stringify(Object.keys(b))).toBe('failed');
    }
    expect(codec.created).toBe(0);
  });
});

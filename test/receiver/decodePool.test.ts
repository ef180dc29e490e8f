import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Codec } from '../../encoder/codec.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import type { DecodeJob } from '../../receiver/decodeJob.js';
import { DecodePool, defaultDecodePoolSize } from '../../receiver/decodePool.js';
import { DecodeWorkerError } from '../../receiver/errors.js';
import { SeededRandom } from '../../util/random.js';
import { segmentDigest } from '../../control/segmentHash.js';

const pools: DecodePool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
function pool(...args: ConstructorParameters<typeof DecodePool>): DecodePool {
  const p = new DecodePool(...args);
  pools.push(p);
  return p;
}

/** A job with every source symbol but the first, plus a few repair symbols (real RaptorQ). */
function lossyJob(segmentIndex: number, seed: number, size = 40_000, T = 512): { job: DecodeJob; data: Uint8Array } {
  const data = new SeededRandom(seed).fill(new Uint8Array(size));
  const enc = raptorqCodec().createEncoder(data, { transferLength: size, symbolSize: T });
  const k = enc.sourceSymbols;
  const source = new Uint8Array(k * T);
  const sourcePresent = new Uint8Array(k);
  for (let i = 1; i < k; i++) {
    source.set(enc.sourceSymbol(i), i * T);
    sourcePresent[i] = 1;
  }
  const repairIds = new Uint32Array(3);
  const repair = new Uint8Array(3 * T);
  for (let r = 0; r < 3; r++) {
    const s = enc.repairSymbol(r);
    repairIds[r] = s.encodingSymbolId;
    repair.set(s.data, r * T);
  }
  enc.free();
  const expectedDigest = new Uint8Array(segmentDigest(data));
  return { job: { segmentIndex, transferLength: size, symbolSize: T, sourceSymbols: k, source, sourcePresent, repairIds, repair, expectedDigest }, data };
}

/** A worker script as a data: URL (no build needed). */
function scriptUrl(body: string): URL {
  return new URL(`data:text/javascript,${encodeURIComponent(`import { parentPort } from 'node:worker_threads';\n${body}`)}`);
}

const echoWorker = scriptUrl(`
parentPort.postMessage({ type: 'ready' });
parentPort.on('message', (m) => {
  if (m.job.segmentIndex === 13) throw new Error('boom in worker');
  if (m.job.segmentIndex === 14) process.exit(3);
  const j = m.job;
  const buffers = { source: j.source, sourcePresent: j.sourcePresent, repairIds: j.repairIds, repair: j.repair };
  const transfer = [...new Set([j.source.buffer, j.sourcePresent.buffer, j.repairIds.buffer, j.repair.buffer])];
  parentPort.postMessage({ type: 'outcome', jobId: m.jobId, outcome: { type: 'need-more', segmentIndex: j.segmentIndex, buffers } }, transfer);
});`);

describe('DecodePool', () => {
  it('default size is 1..2 and sizes below 1 are refused', () => {
    expect(defaultDecodePoolSize()).toBeGreaterThanOrEqual(1);
    expect(defaultDecodePoolSize()).toBeLessThanOrEqual(2);
    expect(() => new DecodePool({ inline: true, size: 0 })).toThrow(RangeError);
  });

  it('inline mode decodes on the calling thread', async () => {
    const p = pool({ inline: true });
    const { job, data } = lossyJob(5, 1);
    const out = await p.submit(job);
    expect(out.type).toBe('decoded');
    expect(out.type === 'decoded' && Buffer.from(out.data).equals(data)).toBe(true);
    expect(job.source.length).toBeGreaterThan(0); // nothing was transferred
  });

  it('inline mode uses the given codec and reports its failures as outcomes', async () => {
    const broken: Codec = {
      ...raptorqCodec(),
      segmentFromSourceSymbols: undefined,
      createDecoder: () => {
        throw new Error('no decoder here');
      },
      decodeBlock: () => {
        throw new Error('no decoder here');
      },
    };
    const p = pool({ inline: true, codec: broken });
    const out = await p.submit(lossyJob(6, 2).job);
    expect(out).toMatchObject({ type: 'failed', segmentIndex: 6 });
  });

  it('a closed pool rejects new jobs', async () => {
    const p = pool({ inline: true });
    await p.close();
    await expect(p.submit(lossyJob(1, 3).job)).rejects.toBeInstanceOf(DecodeWorkerError);
  });

  it('moves buffers to workers and back with transfer lists', async () => {
    const p = pool({ size: 2, workerUrl: echoWorker });
    const { job } = lossyJob(1, 4);
    const copy = job.source.slice();
    const out = await p.submit(job);
    expect(job.source.length).toBe(0); // transferred, not copied: the caller's view is detached
    expect(out.type).toBe('need-more');
    if (out.type !== 'need-more') return;
    expect(Buffer.from(out.buffers.source).equals(copy)).toBe(true);
    expect(out.buffers.repairIds.length).toBe(3);
  });

  it('with a fast-path codec, serves complete-source jobs here and starts workers only for a real decode', async () => {
    const p = pool({ size: 2, workerUrl: echoWorker, fastPathCodec: raptorqCodec() });
    expect(p.workerCount).toBe(0);
    const { job, data } = lossyJob(1, 21);
    // Fill in the one missing source symbol: nothing left to decode.
    const enc = raptorqCodec().createEncoder(data, { transferLength: data.length, symbolSize: 512 });
    job.source.set(enc.sourceSymbol(0), 0);
    job.sourcePresent[0] = 1;
    enc.free();
    const out = await p.submit(job);
    expect(out.type).toBe('decoded');
    if (out.type === 'decoded') expect(Buffer.from(out.data).equals(data)).toBe(true);
    expect(p.fastPathJobs).toBe(1);
    expect(p.workerCount).toBe(0);
    // A job that needs RaptorQ goes to a worker (the echo worker answers need-more).
    const lossy = await p.submit(lossyJob(2, 22).job);
    expect(lossy.type).toBe('need-more');
    expect(p.workerCount).toBe(2);
    expect(p.fastPathJobs).toBe(1);
  });

  it('queues more jobs than workers and answers each', async () => {
    const p = pool({ size: 2, workerUrl: echoWorker });
    const outs = await Promise.all([1, 2, 3, 4, 5].map((i) => p.submit(lossyJob(i, 10 + i).job)));
    expect(outs.map((o) => o.segmentIndex)).toEqual([1, 2, 3, 4, 5]);
    expect(p.pending).toBe(0);
  });

  it('a crashing worker rejects its job clearly and is replaced', async () => {
    const p = pool({ size: 1, workerUrl: echoWorker });
    const crash = p.submit(lossyJob(13, 5).job);
    const after = p.submit(lossyJob(2, 6).job);
    const err = await crash.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeWorkerError);
    expect((err as Error).message).toMatch(/segment 13.*boom in worker/);
    expect((await after).segmentIndex).toBe(2);
    await expect(p.submit(lossyJob(14, 7).job)).rejects.toThrow(/segment 14.*exit code 3/);
    expect((await p.submit(lossyJob(3, 8).job)).segmentIndex).toBe(3);
    expect(p.replacedWorkers).toBe(2);
  });

  it('gives up when workers cannot start, instead of respawning forever', async () => {
    const p = pool({ size: 1, workerUrl: scriptUrl(`throw new Error('cannot start');`) });
    const err = await p.submit(lossyJob(1, 9).job).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeWorkerError);
    expect((err as Error).message).toMatch(/fail to start.*cannot start/);
    await expect(p.submit(lossyJob(2, 9).job)).rejects.toThrow(/fail to start/);
  });

  it('close rejects a job still running', async () => {
    // answers segment 1 at once, never answers anything else
    const p = pool({
      size: 1,
      workerUrl: scriptUrl(`parentPort.postMessage({ type: 'ready' });
parentPort.on('message', (m) => {
  if (m.job.segmentIndex === 1) parentPort.postMessage({ type: 'outcome', jobId: m.jobId, outcome: { type: 'failed', segmentIndex: 1, reason: 'x' } });
});`),
    });
    expect(await p.submit(lossyJob(1, 11).job)).toMatchObject({ type: 'failed', segmentIndex: 1 });
    const { job } = lossyJob(4, 10);
    const settled = p.submit(job).catch((e: unknown) => e);
    expect(job.source.length).toBe(0); // the worker is ready and idle: dispatched at once
    expect(p.pending).toBe(1);
    await p.close();
    const err = await settled;
    expect(err).toBeInstanceOf(DecodeWorkerError);
    expect((err as Error).message).toMatch(/closed while segment 4 was decoding/);
  });

  const builtWorker = join(import.meta.dirname, '..', '..', 'dist', 'receiver', 'decodeWorker.js');
  // npm test builds dist/ first; without it this fails rather than silently skipping.
  it('real decode workers (dist/) decode RaptorQ jobs', async () => {
    expect(existsSync(builtWorker), `${builtWorker} is missing: run npm run build`).toBe(true);
    const p = pool({ size: 2 });
    const jobs = [1, 2, 3].map((i) => lossyJob(i, 20 + i, 100_000, 1024));
    const outs = await Promise.all(jobs.map(({ job }) => p.submit(job)));
    outs.forEach((o, i) => {
      expect(o.type).toBe('decoded');
      expect(o.type === 'decoded' && Buffer.from(o.data).equals(jobs[i]!.data)).toBe(true);
    });
  });
});

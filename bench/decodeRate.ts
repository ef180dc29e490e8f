/**
 * Decode rate of a receiver that must decode: RaptorQ segments at 1 and 4 MiB with 10 % of their
 * source symbols lost, run as the receiver runs them (receiver/decodeJob.ts: decode, then the
 * segment's SHA-256). Reported per CPU-second (process user + system time, so "per core" holds
 * on a shared host) for one thread on each decoder the machine has (codec=wasm: the npm build;
 * codec=native: the crate built at install, encoder/raptorqNative.ts), and, in the same run,
 * through the receiver's DecodePool with one worker per core (wall-clock MB/s, and CPU-seconds
 * of every thread). One line each, e.g.
 *   decode_rate path=inline codec=wasm segment_mib=4 loss=0.10 mb_per_cpu_s=48.1 mb_per_s=47.9 segments=12
 * then the native decoder's rate per CPU-second as a ratio of the wasm's measured beside it.
 */
import { availableParallelism } from 'node:os';
import type { Codec } from '../encoder/codec.js';
import { raptorqCodec, wasmRaptorQ } from '../encoder/raptorq.js';
import { runDecodeJob, type DecodeJob } from '../receiver/decodeJob.js';
import { DecodePool } from '../receiver/decodePool.js';
import { SeededRandom } from '../util/random.js';
import { collectSymbols } from './collectSymbols.js';
import { segmentDigest } from '../control/segmentHash.js';

export interface DecodeRateResult {
  readonly subject: 'decode-rate';
  /** "inline": one thread, the receiver's job code; "pool": DecodePool with `workers` workers. */
  readonly path: 'inline' | 'pool';
  /** The decoder: the wasm build, or native code (only where the install built it). */
  readonly codec: 'wasm' | 'native';
  readonly workers: number;
  readonly segmentMiB: number;
  readonly loss: number;
  readonly segments: number;
  /** Segment bytes (10^6) per CPU-second of the whole process. */
  readonly mbPerCpuSecond: number;
  /** Segment bytes (10^6) per wall-clock second. */
  readonly mbPerSec: number;
}

const SYMBOL_SIZE = 1392;
const MIB = 1024 * 1024;
const LOSS = 0.1;

/** A decode job as SegmentCollector builds it: sources that survived Bernoulli(loss), then repair up to K + 4. */
function lossyJob(data: Uint8Array, loss: number, seed: number): DecodeJob {
  const encoder = raptorqCodec().createEncoder(data, { transferLength: data.length, symbolSize: SYMBOL_SIZE });
  // As many repair symbols as arrive for a need of K + 4 (the collector submits at K or a bit more).
  const { k, ...block } = collectSymbols(encoder, SYMBOL_SIZE, loss, 4, new SeededRandom(seed));
  encoder.free();
  return { segmentIndex: 0, transferLength: data.length, symbolSize: SYMBOL_SIZE, sourceSymbols: k, ...block, expectedDigest: segmentDigest(data) };
}

function copyJob(job: DecodeJob): DecodeJob {
  return { ...job, source: job.source.slice(), sourcePresent: job.sourcePresent.slice(), repairIds: job.repairIds.slice(), repair: job.repair.slice() };
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export async function decodeRateResults(quick: boolean, log: (line: string) => void): Promise<DecodeRateResult[]> {
  const codec = raptorqCodec();
  const decoders: [DecodeRateResult['codec'], Codec][] = [['wasm', wasmRaptorQ()]];
  if (codec.decodeBlock !== undefined) decoders.push(['native', codec]);
  const poolCodec = decoders[decoders.length - 1]![0];
  const results: DecodeRateResult[] = [];
  const minCpu = quick ? 0.3 : 2;
  const workers = Math.max(1, availableParallelism());
  for (const mib of [1, 4]) {
    const data = new SeededRandom(7 * mib).fill(new Uint8Array(mib * MIB));
    const job = lossyJob(data, LOSS, 100 + mib);
    let n = 0;
    for (const [name, decoder] of decoders) {
      const check = runDecodeJob(job, decoder);
      if (check.type !== 'decoded') throw new Error(`decode-rate check failed at ${mib} MiB on the ${name} decoder: ${check.type}`);
      const cpu0 = cpuSeconds();
      const wall0 = performance.now();
      n = 0;
      while (cpuSeconds() - cpu0 < minCpu || n < 2) {
        if (runDecodeJob(job, decoder).type !== 'decoded') throw new Error('decode failed');
        n++;
      }
      results.push(entry('inline', name, 1, mib, n, cpuSeconds() - cpu0, (performance.now() - wall0) / 1000));
    }

    const pool = new DecodePool({ size: workers });
    try {
      // Warm-up: every worker instantiated and decoding once.
      await Promise.all(Array.from({ length: workers }, () => pool.submit(copyJob(job))));
      const jobs = Array.from({ length: Math.max(workers * 2, n) }, () => copyJob(job));
      const cpu1 = cpuSeconds();
      const wall1 = performance.now();
      const outcomes = await Promise.all(jobs.map((j) => pool.submit(j)));
      const cpu = cpuSeconds() - cpu1;
      const wall = (performance.now() - wall1) / 1000;
      if (outcomes.some((o) => o.type !== 'decoded')) throw new Error('pool decode failed');
      results.push(entry('pool', poolCodec, workers, mib, jobs.length, cpu, wall));
    } finally {
      await pool.close();
    }
  }
  for (const r of results) {
    log(
      `decode_rate path=${r.path} codec=${r.codec} workers=${r.workers} segment_mib=${r.segmentMiB} loss=${r.loss.toFixed(2)} ` +
        `mb_per_cpu_s=${r.mbPerCpuSecond.toFixed(1)} mb_per_s=${r.mbPerSec.toFixed(1)} segments=${r.segments}`,
    );
  }
  for (const mib of [1, 4]) {
    const inline = (c: DecodeRateResult['codec']) => results.find((r) => r.path === 'inline' && r.codec === c && r.segmentMiB === mib);
    const wasm = inline('wasm');
    const native = inline('native');
    if (wasm && native) log(`decode_rate_ratio segment_mib=${mib} native_over_wasm_per_cpu_s=${(native.mbPerCpuSecond / wasm.mbPerCpuSecond).toFixed(2)}`);
  }
  return results;
}

function entry(
  path: 'inline' | 'pool',
  codec: DecodeRateResult['codec'],
  workers: number,
  mib: number,
  segments: number,
  cpu: number,
  wall: number,
): DecodeRateResult {
  const mb = (segments * mib * MIB) / 1e6;
  return { subject: 'decode-rate', path, codec, workers, segmentMiB: mib, loss: LOSS, segments, mbPerCpuSecond: mb / cpu, mbPerSec: mb / wall };
}

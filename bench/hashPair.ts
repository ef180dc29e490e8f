/**
 * Micro-benchmark: both ends hash every byte into two SHA-256 states (the segment's digest and
 * the whole file's). Over fresh 4 MiB segments (more of them than any cache holds), one full
 * pass after the other against util/hashAlongside.ts, which feeds both a 64 KiB chunk at a time.
 * Throughput is MB/s of segment data (both digests done). Lines like
 *   op=sha256-pair how=alongside segments=64 segment_mib=4 mb_per_s=897 vs_one_after_other=1.48 runs=8 rme=2.2%
 */
import Benchmark from 'benchmark';
import { createHash, randomFillSync } from 'node:crypto';
import { HASH_CHUNK_BYTES, hashAlongside } from '../util/hashAlongside.js';

export interface HashPairResult {
  readonly subject: 'sha256-pair';
  readonly op: 'one-after-other' | 'alongside';
  readonly segments: number;
  readonly segmentMiB: number;
  readonly chunkBytes?: number;
  readonly opsPerSec: number;
  readonly mbPerSec: number;
  readonly runs: number;
  readonly rmePercent: number;
}

const SEGMENT_BYTES = 4 * 1024 * 1024;

export function hashPairResults(quick: boolean, log: (line: string) => void): HashPairResult[] {
  // 256 MiB: past any CPU cache, as a file's segments are.
  const count = quick ? 16 : 64;
  // Random, not zeros: the bytes do not change SHA-256's speed, but pages must really exist.
  const segments = Array.from({ length: count }, () => randomFillSync(Buffer.allocUnsafe(SEGMENT_BYTES)));
  let sink = 0;
  const ways: [HashPairResult['op'], () => void][] = [
    [
      'one-after-other',
      () => {
        const whole = createHash('sha256');
        for (const s of segments) {
          sink ^= createHash('sha256').update(s).digest()[0]!;
          whole.update(s);
        }
        sink ^= whole.digest()[0]!;
      },
    ],
    [
      'alongside',
      () => {
        const whole = createHash('sha256');
        for (const s of segments) {
          const h = createHash('sha256');
          hashAlongside(s, h, whole);
          sink ^= h.digest()[0]!;
        }
        sink ^= whole.digest()[0]!;
      },
    ],
  ];
  const results: HashPairResult[] = [];
  for (const [op, fn] of ways) {
    const bench = new Benchmark(op, fn, { initCount: 1, minSamples: quick ? 2 : 4, maxTime: quick ? 0.5 : 3 });
    bench.run();
    if (bench.error) throw bench.error;
    const mbPerSec = (bench.hz * count * SEGMENT_BYTES) / 1e6;
    const r: HashPairResult = {
      subject: 'sha256-pair',
      op,
      segments: count,
      segmentMiB: SEGMENT_BYTES / 1024 / 1024,
      chunkBytes: op === 'alongside' ? HASH_CHUNK_BYTES : undefined,
      opsPerSec: bench.hz,
      mbPerSec,
      runs: bench.stats.sample.length,
      rmePercent: bench.stats.rme,
    };
    results.push(r);
    const ratio = op === 'alongside' ? ` vs_one_after_other=${(mbPerSec / results[0]!.mbPerSec).toFixed(2)}` : '';
    log(`op=sha256-pair how=${op} segments=${count} segment_mib=4 mb_per_s=${mbPerSec.toFixed(0)}${ratio} runs=${r.runs} rme=${r.rmePercent.toFixed(1)}%`);
  }
  if (sink === 256) log(''); // keeps the optimiser from dropping the digests
  return results;
}

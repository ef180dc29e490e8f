/**
 * Micro-benchmarks (benchmark.js): the RaptorQ codec per segment size and loss, the datagram
 * writer/parser, the CRC-32 tag, and the two SHA-256 passes over every byte (hashPair.ts). One line per configuration, e.g.
 *   codec=raptorq op=decode segment_mib=4 loss=0.10 mb_per_s=71.2 runs=5 rme=1.3%
 * and all results in bench/results/micro.json. Run directly (`node dist/bench/micro.js [--quick]`)
 * or through bench/run.ts via `runMicroBenchmarks`.
 *
 * What an op is:
 * - encode: create the encoder, then produce what a receiver at that loss needs: all K source
 *   symbols plus ceil(K*p/(1-p)) + 4 repair symbols (so even 0 % loss builds the wasm encoder,
 *   as a sender that keeps streaming until Stop does), then free it.
 * - decode: decode from a pre-generated symbol set that went through seeded Bernoulli(p) loss,
 *   fed in stream order until the decoder finishes.
 * Then the receiver's decode rate per CPU-second and through its worker pool (decodeRate.ts).
 */
import Benchmark from 'benchmark';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EncodedSymbol } from '../encoder/codec.js';
import { datagramLength, parseDatagram, writeDatagram, type DatagramExpectations } from '../encoder/datagram.js';
import { crc32Scheme } from '../encoder/integrity.js';
import { decodeSegment, raptorqCodec } from '../encoder/raptorq.js';
import { decodeRateResults, type DecodeRateResult } from './decodeRate.js';
import { hashPairResults, type HashPairResult } from './hashPair.js';
import { SeededRandom } from '../util/random.js';

export interface MicroResult {
  /** What was measured: "codec", "datagram" or "crc32". */
  readonly subject: string;
  readonly op: string;
  readonly codec?: string;
  readonly segmentMiB?: number;
  readonly loss?: number;
  readonly symbolSize?: number;
  readonly bytes?: number;
  readonly opsPerSec: number;
  /** Throughput in MB/s (10^6 bytes) where an op has a natural byte count. */
  readonly mbPerSec?: number;
  /** Symbols produced (encode) or consumed (decode) per op. */
  readonly symbolsPerOp?: number;
  /** benchmark.js samples (timed cycles) and relative margin of error in %. */
  readonly runs: number;
  readonly rmePercent: number;
}

export interface MicroOptions {
  /** Small configurations and short timings, for a smoke run (< 15 s). @default false */
  readonly quick?: boolean;
  /** Where to write the JSON. @default <project root>/bench/results/micro.json */
  readonly outFile?: string;
  /** Printing function for the one-line results. @default console.log */
  readonly log?: (line: string) => void;
}

const SYMBOL_SIZE = 1392;
const MIB = 1024 * 1024;
/** Repair symbols beyond the expected need (RaptorQ decodes from K + 0..2 with high probability). */
const EXTRA_REPAIR = 4;

/** Written to so the optimiser cannot drop the benchmarked work. */
let sink = 0;

function measure(name: string, fn: () => void, slow: boolean, quick: boolean): { hz: number; runs: number; rme: number } {
  const bench = new Benchmark(name, fn, {
    initCount: 1,
    minSamples: quick ? 2 : slow ? 4 : 5,
    maxTime: quick ? (slow ? 0.4 : 0.3) : slow ? 3 : 1.5,
  });
  bench.run();
  if (bench.error) throw bench.error;
  return { hz: bench.hz, runs: bench.stats.sample.length, rme: bench.stats.rme };
}

/** The symbols a receiver behind Bernoulli(loss) gets, in stream order, enough to decode. */
function lossySymbols(data: Uint8Array, loss: number, seed: number): EncodedSymbol[] {
  const codec = raptorqCodec();
  const params = { transferLength: data.length, symbolSize: SYMBOL_SIZE };
  const encoder = codec.createEncoder(data, params);
  const rng = new SeededRandom(seed);
  const k = encoder.sourceSymbols;
  const out: EncodedSymbol[] = [];
  for (let esi = 0; esi < k; esi++) {
    if (rng.next() >= loss) out.push({ encodingSymbolId: esi, data: encoder.sourceSymbol(esi).slice() });
  }
  for (let n = 0; out.length < k + EXTRA_REPAIR; n++) {
    if (rng.next() < loss) continue;
    const s = encoder.repairSymbol(n);
    out.push({ encodingSymbolId: s.encodingSymbolId, data: s.data.slice() });
  }
  encoder.free();
  return out;
}

function codecResults(quick: boolean, log: (line: string) => void): MicroResult[] {
  const codec = raptorqCodec();
  const results: MicroResult[] = [];
  const sizes = quick ? [1] : [1, 4, 16];
  const losses = [0, 0.1];
  for (const mib of sizes) {
    const data = new SeededRandom(mib).fill(new Uint8Array(mib * MIB));
    const params = { transferLength: data.length, symbolSize: SYMBOL_SIZE };
    const k = Math.ceil(data.length / SYMBOL_SIZE);
    for (const loss of losses) {
      const repair = Math.ceil((k * loss) / (1 - loss)) + EXTRA_REPAIR;
      const enc = measure(
        `encode ${mib} MiB ${loss}`,
        () => {
          const e = codec.createEncoder(data, params);
          let acc = 0;
          for (let esi = 0; esi < k; esi++) acc ^= e.sourceSymbol(esi)[0]!;
          for (let n = 0; n < repair; n++) acc ^= e.repairSymbol(n).data[0]!;
          e.free();
          sink ^= acc;
        },
        true,
        quick,
      );
      const symbols = lossySymbols(data, loss, 1000 * mib + Math.round(loss * 100));
      const check = decodeSegment(codec, params, symbols);
      if (check === undefined || Buffer.compare(check, data) !== 0) throw new Error(`decode check failed: ${mib} MiB, loss ${loss}`);
      let consumed = 0;
      const dec = measure(
        `decode ${mib} MiB ${loss}`,
        () => {
          const d = codec.createDecoder(params);
          for (const s of symbols) if (d.add(s.encodingSymbolId, s.data)) break;
          consumed = d.received;
          sink ^= d.result()![0]!;
          d.free();
        },
        true,
        quick,
      );
      for (const [op, m, perOp] of [
        ['encode', enc, k + repair],
        ['decode', dec, consumed],
      ] as const) {
        const r: MicroResult = {
          subject: 'codec',
          op,
          codec: codec.name,
          segmentMiB: mib,
          loss,
          symbolSize: SYMBOL_SIZE,
          opsPerSec: m.hz,
          mbPerSec: (m.hz * data.length) / 1e6,
          symbolsPerOp: perOp,
          runs: m.runs,
          rmePercent: m.rme,
        };
        results.push(r);
        log(
          `codec=${codec.name} op=${op} segment_mib=${mib} loss=${loss.toFixed(2)} mb_per_s=${r.mbPerSec!.toFixed(1)} ` +
            `symbols=${perOp} runs=${m.runs} rme=${m.rme.toFixed(1)}%`,
        );
      }
    }
  }
  return results;
}

function smallOpResults(quick: boolean, log: (line: string) => void): MicroResult[] {
  const results: MicroResult[] = [];
  const symbol = new SeededRandom(2).fill(new Uint8Array(SYMBOL_SIZE));
  const length = datagramLength(SYMBOL_SIZE, crc32Scheme);
  const out = new Uint8Array(length);
  const expect: DatagramExpectations = {
    sessionId: 0x12345678,
    symbolSize: SYMBOL_SIZE,
    segmentCount: 1000,
    encodingSymbolIdLimit: 2 ** 24,
    integrity: crc32Scheme,
  };
  const header = { sessionId: expect.sessionId, sequenceNumber: 0, segmentIndex: 7, encodingSymbolId: 0 };
  let seq = 0;
  const write = measure(
    'writeDatagram',
    () => {
      // Mutable header object reused: the sender's hot path does the same.
      (header as { sequenceNumber: number }).sequenceNumber = seq++ >>> 0;
      sink ^= writeDatagram(out, header, symbol, crc32Scheme);
    },
    false,
    quick,
  );
  const parsed = new Uint8Array(length);
  writeDatagram(parsed, header, symbol, crc32Scheme);
  if (!parseDatagram(parsed, expect).ok) throw new Error('parse check failed');
  const parse = measure(
    'parseDatagram',
    () => {
      const v = parseDatagram(parsed, expect);
      sink ^= v.ok ? v.encodingSymbolId : 1;
    },
    false,
    quick,
  );
  const crcBytes = 1420;
  const crcBuffer = new SeededRandom(3).fill(new Uint8Array(crcBytes + 4));
  const crc = measure(
    'crc32',
    () => {
      crc32Scheme.seal(crcBuffer, crcBytes);
      sink ^= crcBuffer[crcBytes]!;
    },
    false,
    quick,
  );
  for (const [op, m, bytes] of [
    ['writeDatagram', write, length],
    ['parseDatagram', parse, length],
    ['crc32', crc, crcBytes],
  ] as const) {
    const r: MicroResult = {
      subject: op === 'crc32' ? 'crc32' : 'datagram',
      op,
      symbolSize: op === 'crc32' ? undefined : SYMBOL_SIZE,
      bytes,
      opsPerSec: m.hz,
      mbPerSec: (m.hz * bytes) / 1e6,
      runs: m.runs,
      rmePercent: m.rme,
    };
    results.push(r);
    log(`op=${op} bytes=${bytes} ops_per_s=${Math.round(m.hz)} mb_per_s=${r.mbPerSec!.toFixed(0)} runs=${m.runs} rme=${m.rme.toFixed(1)}%`);
  }
  return results;
}

/** Nearest directory above this file holding fountcast's package.json, else the cwd. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fountcast') return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export async function runMicroBenchmarks(opts: MicroOptions = {}): Promise<(MicroResult | HashPairResult | DecodeRateResult)[]> {
  const quick = opts.quick ?? false;
  const log = opts.log ?? ((line: string) => console.log(line));
  const results = [...smallOpResults(quick, log), ...hashPairResults(quick, log), ...codecResults(quick, log), ...(await decodeRateResults(quick, log))];
  const file = opts.outFile ?? join(projectRoot(), 'bench', 'results', 'micro.json');
  mkdirSync(dirname(file), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    quick,
    results,
    sink, // keeps the optimiser honest; meaningless otherwise
  };
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  log(`results written to ${file}`);
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runMicroBenchmarks({ quick: process.argv.includes('--quick') });
}

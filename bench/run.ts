/**
 * `npm run bench`: micro-benchmarks (benchmark.js) then the end-to-end loopback benchmark.
 * Prints one line per configuration; writes everything to bench/results/bench-<timestamp>.json.
 * Flags: --quick (small sizes, for a smoke run), --micro-only, --e2e-only, --size MiB,
 * --receivers 1,4, --loss 0,0.05, --rate BITS (sender ceiling; 0 = none), --recovery auto,fountain (modes raced at each lossy
 * configuration), --repeat N (runs per configuration; the median is kept),
 * --research-only (scheme encode/decode rates and the 1,000-receiver simulation; also part of a
 * full run), --security-only (open vs MAC vs encrypted goodput, one receiver; also part of a
 * full run; --security-rate BITS sets the sender's ceiling, 0 = none), --tree-only (10,000 files of
 * 4 KiB against one 40 MiB file, and --sync of a 1,000-file tree with 1 % changed; also part
 * of a full run), --relay-only (a receiver behind a relay, cut-through and store and forward, against
 * one on the publisher, paced at 80 Mbit/s; also part of a full run), --decode-only (the receiver's
 * RaptorQ decode rate per core and through its worker pool, bench/decodeRate.ts; also part of the
 * micro-benchmarks).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runE2EBenchmarks } from './e2e.js';
import { runSecurityBench } from './securityBench.js';
import { decodeRateResults } from './decodeRate.js';
import { runMicroBenchmarks } from './micro.js';
import { runResearchBench } from './schemeBench.js';
import { runRelayBench } from './relayBench.js';
import { runTreeBench } from './treeBench.js';
import type { RecoveryMode } from '../sender/streamCore.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const sizeArg = args.indexOf('--size');
const sizeMiB = sizeArg >= 0 ? Number(args[sizeArg + 1]) : quick ? 32 : 256;
const listArg = (name: string): string[] | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]!.split(',') : undefined;
};
const receivers = listArg('--receivers')?.map(Number);
const recoveries = listArg('--recovery') as RecoveryMode[] | undefined;
const losses = listArg('--loss')?.map(Number);
const repeatArg = args.indexOf('--repeat');
const repeat = repeatArg >= 0 ? Number(args[repeatArg + 1]) : undefined;

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  quick,
};
const only = ['--micro-only', '--e2e-only', '--research-only', '--security-only', '--tree-only', '--relay-only', '--decode-only'].find((f) => args.includes(f));
if (!only || only === '--micro-only') results.micro = await runMicroBenchmarks({ quick });
if (only === '--decode-only') results.decodeRate = await decodeRateResults(quick, (line) => console.log(line));
if (!only || only === '--research-only') results.research = runResearchBench({ quick });
// --rate BITS: the sender's ceiling in the end-to-end runs (default: send()'s 1 Gbit/s; 0 = none).
const rateArg = args.indexOf('--rate');
const rateBits = rateArg >= 0 ? Number(args[rateArg + 1]) : undefined;
if (!only || only === '--e2e-only') results.e2e = await runE2EBenchmarks({ sizeMiB, receivers, losses, recoveries, repeat, rateBits });
// --security-rate BITS: the sender's ceiling in the security race (0 = none: CPU-bound on loopback).
const securityRateArg = args.indexOf('--security-rate');
const securityRate = securityRateArg >= 0 ? Number(args[securityRateArg + 1]) : undefined;
if (!only || only === '--security-only') results.security = await runSecurityBench({ sizeMiB, repeat, rateBits: securityRate });
if (!only || only === '--tree-only') results.tree = await runTreeBench({ repeat: repeat ?? 5 });
if (!only || only === '--relay-only') results.relay = await runRelayBench({ repeat: repeat ?? 3, ...(quick ? { fileMiB: 16 } : {}) });

const dir = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bench', 'results');
await mkdir(dir, { recursive: true });
const file = join(dir, `bench-${String(results.date).replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify(results, null, 2));
console.log(`results written to ${file}`);

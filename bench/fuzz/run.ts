/**
 * `npm run fuzz [-- --runs N --batch-runs M --seed S --target NAME]`: a longer fuzz campaign than
 * CI's 100,000 cases per parser, and M (default 20,000) of each batched-datagram target
 * (batchTargets.ts: real sockets, slower per case). Prints one line per target and writes
 * bench/results/fuzz-<time>.json. The seed is printed, so a failure reproduces with --seed.
 * Exit code 1 when any property fails (the counterexample is printed).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { BATCH_FUZZ_TARGETS, closeBatchTargets } from './batchTargets.js';
import { FUZZ_TARGETS } from './targets.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runs = Number(arg('runs') ?? 2_000_000);
const batchRuns = Number(arg('batch-runs') ?? 20_000);
const seed = Number(arg('seed') ?? Date.now() % 2 ** 31);
const only = arg('target');
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(batchRuns) || batchRuns < 1 || !Number.isInteger(seed)) {
  const names = [...FUZZ_TARGETS, ...BATCH_FUZZ_TARGETS].map((t) => t.name).join('|');
  console.error(`usage: npm run fuzz -- [--runs N] [--batch-runs M] [--seed S] [--target ${names}]`);
  process.exit(2);
}

const results = [];
let failed = false;
for (const [i, target] of FUZZ_TARGETS.entries()) {
  if (only && target.name !== only) continue;
  const t0 = performance.now();
  const census = target.census(seed + i, Math.min(runs, 20_000));
  const r = fc.check(target.property(), { seed: seed + i, numRuns: runs });
  const seconds = (performance.now() - t0) / 1000;
  const ok = !r.failed;
  failed ||= !ok;
  console.log(
    `fuzz=${target.name} runs=${r.numRuns} seed=${seed + i} accepted_share=${(census.accepted / (census.accepted + census.rejected)).toFixed(3)} seconds=${seconds.toFixed(1)} result=${ok ? 'pass' : 'FAIL'}`,
  );
  if (!ok) console.log(fc.defaultReportMessage(r), r.errorInstance);
  results.push({
    target: target.name,
    runs: r.numRuns,
    seed: seed + i,
    census,
    seconds,
    ok,
    counterexample:
      r.counterexample === null ? null : JSON.stringify(r.counterexample, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)),
  });
}
for (const [i, target] of BATCH_FUZZ_TARGETS.entries()) {
  if ((only && target.name !== only) || !target.available) {
    if (!target.available) console.log(`fuzz=${target.name} skipped (the native module is not built)`);
    continue;
  }
  const s = seed + FUZZ_TARGETS.length + i;
  const t0 = performance.now();
  const census = await target.census(s, Math.min(batchRuns, 2_000));
  const r = await fc.check(target.property(), { seed: s, numRuns: batchRuns });
  const seconds = (performance.now() - t0) / 1000;
  const ok = !r.failed;
  failed ||= !ok;
  console.log(
    `fuzz=${target.name} runs=${r.numRuns} seed=${s} accepted_share=${(census.accepted / (census.accepted + census.rejected)).toFixed(3)} seconds=${seconds.toFixed(1)} result=${ok ? 'pass' : 'FAIL'}`,
  );
  if (!ok) console.log(fc.defaultReportMessage(r), r.errorInstance);
  results.push({
    target: target.name,
    runs: r.numRuns,
    seed: s,
    census,
    seconds,
    ok,
    counterexample: r.counterexample === null ? null : JSON.stringify(r.counterexample),
  });
}
await closeBatchTargets();
const dir = join('bench', 'results');
await mkdir(dir, { recursive: true });
const file = join(dir, `fuzz-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify({ runs, batchRuns, seed, results }, null, 2));
console.log(`results: ${file}`);
process.exit(failed ? 1 : 0);

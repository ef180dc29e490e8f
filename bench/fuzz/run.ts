/**
 * `npm run fuzz [-- --runs N --seed S --target NAME]`: a longer fuzz campaign than CI's
 * 100,000 cases per parser. Prints one line per target and writes
 * bench/results/fuzz-<time>.json. The seed is printed, so a failure reproduces with --seed.
 * Exit code 1 when any property fails (the counterexample is printed).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { FUZZ_TARGETS } from './targets.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runs = Number(arg('runs') ?? 2_000_000);
const seed = Number(arg('seed') ?? Date.now() % 2 ** 31);
const only = arg('target');
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- [--runs N] [--seed S] [--target datagram|frames|control-messages|manifest]');
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
  if (!ok) console.log(fc.defaultReportMessage(r));
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
const dir = join('bench', 'results');
await mkdir(dir, { recursive: true });
const file = join(dir, `fuzz-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify({ runs, seed, results }, null, 2));
console.log(`results: ${file}`);
process.exit(failed ? 1 : 0);

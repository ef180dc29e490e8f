/**
 * `fountcast experiment --validate`: a fixed small grid whose every figure has a closed form
 * (theory.ts), run through the harness's own parts, one row per figure with the harness's
 * value, the theory's, the relative error and pass/fail against a stated tolerance.
 *
 * - ideal fountain: `raptorq` sent/K (decode model) against E[max of N negative binomials]/K.
 *   The harness can only be above it (feedback latency, the codec's rare failures at K): the
 *   tolerance is 1 %.
 * - selective repeat: `arq` sent/K against Σ_k (1 − (1 − p^k)^N), within 2 %.
 * - Gilbert–Elliott: the harness's loss model (lossModels.ts) over 10^6 datagrams, its loss
 *   rate against P/(P + R) and its mean burst against 1/R, within 3 standard errors (batch
 *   means over 100 batches: the chain's losses are correlated, so no binomial error).
 * - Reed–Solomon: one block of k = 100 sources and a fixed r repair symbols through the
 *   harness's Bernoulli loss, decoded by the product's RS decoder; the fraction that fails
 *   against P(Bin(k + r, p) > r), within 3 binomial standard errors.
 *
 * Deterministic for a seed (every draw is seeded), so a test can run the rows and assert on them.
 */
import { SeededRandom } from '../../util/random.js';
import { runExperiment } from './experiment.js';
import { lossModel, parseLossSpec } from './lossModels.js';
import { schemeCodec } from './schemes.js';
import { gilbertElliottLoss, gilbertElliottMeanBurst, idealFountainSentPerK, mdsBlockFailure, selectiveRepeatSentPerK } from './theory.js';

export interface ValidationRow {
  check: string;
  setting: string;
  harness: number;
  theory: number;
  /** harness / theory − 1 */
  relativeError: number;
  /** The rule, in words: "error within ±2 %" or "within 3 SE (SE 0.0012)". */
  tolerance: string;
  pass: boolean;
}

export interface ValidationOptions {
  /** @default 1 */
  seed?: number;
  /** Trials per harness configuration (fountain, ARQ). @default 10 */
  trials?: number;
  /** Blocks per Reed–Solomon row. @default 2000 */
  blocks?: number;
  /** Datagrams per Gilbert–Elliott row. @default 1_000_000 */
  datagrams?: number;
}

/** A row that passes when the relative error is within `limit`. */
export function relativeCheck(check: string, setting: string, harness: number, theory: number, limit: number): ValidationRow {
  const relativeError = harness / theory - 1;
  return { check, setting, harness, theory, relativeError, tolerance: `error within ±${limit * 100} %`, pass: Math.abs(relativeError) <= limit };
}

/** A row that passes when harness and theory differ by at most 3 standard errors `se`. */
export function withinSe(check: string, setting: string, harness: number, theory: number, se: number): ValidationRow {
  const relativeError = theory === 0 ? (harness === 0 ? 0 : Infinity) : harness / theory - 1;
  return { check, setting, harness, theory, relativeError, tolerance: `within 3 SE (SE ${se.toPrecision(2)})`, pass: Math.abs(harness - theory) <= 3 * se };
}

const RECEIVERS = [1, 10, 100];
const P = 0.05;

function sentPerK(scheme: 'raptorq' | 'arq', o: Required<ValidationOptions>): { receivers: number; k: number; mean: number }[] {
  const r = runExperiment({
    schemes: [scheme],
    losses: [parseLossSpec(String(P))],
    receivers: RECEIVERS,
    sizeBytes: 1 << 20,
    trials: o.trials,
    seed: o.seed,
    decode: 'model',
  });
  return r.summaries.map((s) => {
    const rows = r.rows.filter((x) => x.receivers === s.receivers);
    const incomplete = rows.some((x) => x.completed !== x.receivers);
    return { receivers: s.receivers, k: rows[0]!.sourceSymbols, mean: incomplete ? NaN : s.sentPerK.mean };
  });
}

function gilbertRows(spec: string, o: Required<ValidationOptions>): ValidationRow[] {
  const ge = parseLossSpec(spec);
  if (ge.kind !== 'gilbert') throw new Error(`${spec} is not a Gilbert–Elliott spec`);
  const model = lossModel(ge, new SeededRandom(o.seed));
  const batches = 100;
  const per = Math.floor(o.datagrams / batches);
  const rates: number[] = [];
  let lost = 0;
  let bursts = 0;
  let prev = false;
  for (let b = 0; b < batches; b++) {
    let batchLost = 0;
    for (let i = 0; i < per; i++) {
      const l = model.lost();
      if (l) batchLost++;
      if (l && !prev) bursts++;
      prev = l;
    }
    rates.push(batchLost / per);
    lost += batchLost;
  }
  const rate = lost / (per * batches);
  const se = Math.sqrt(rates.reduce((a, x) => a + (x - rate) ** 2, 0) / (batches - 1) / batches);
  // Mean burst = losses / bursts; its SE by the delta method from the bursts' count (geometric
  // lengths, variance (1 − R)/R²).
  const burst = lost / bursts;
  const burstSe = Math.sqrt((1 - ge.r) / ge.r ** 2 / bursts);
  return [
    withinSe('Gilbert–Elliott loss', `${spec}, ${per * batches} datagrams`, rate, gilbertElliottLoss(ge.p, ge.r, ge.lossGood, ge.lossBad), se),
    withinSe('Gilbert–Elliott mean burst', `${spec}, ${bursts} bursts`, burst, gilbertElliottMeanBurst(ge.r), burstSe),
  ];
}

function rsRow(p: number, r: number, o: Required<ValidationOptions>): ValidationRow {
  const k = 100;
  const codec = schemeCodec('rs');
  const params = { transferLength: k, symbolSize: 1 };
  const one = new Uint8Array(1);
  let failed = 0;
  for (let b = 0; b < o.blocks; b++) {
    const loss = lossModel({ kind: 'bernoulli', loss: p }, new SeededRandom((Math.imul(o.seed, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca6b)) >>> 0));
    const dec = codec.createDecoder(params);
    let done = false;
    // One block (K = 100 ≤ the codec's block size): repair n is row n of it, ESI K + n.
    for (let esi = 0; esi < k + r; esi++) if (!loss.lost() && !done) done = dec.add(esi, one);
    if (!done) failed++;
    dec.free();
  }
  const theory = mdsBlockFailure(k, r, p);
  const se = Math.sqrt((theory * (1 - theory)) / o.blocks);
  return withinSe('RS block failure', `k = ${k}, r = ${r}, p = ${p}, ${o.blocks} blocks`, failed / o.blocks, theory, se);
}

export class ValidationFailedError extends Error {
  override readonly name = 'ValidationFailedError';
}

/** The rows as CSV (validation.csv). */
export function validationCsv(rows: readonly ValidationRow[]): string {
  const q = (s: string) => (/[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return (
    [
      'check,setting,harness,theory,relativeError,tolerance,pass',
      ...rows.map((r) => [q(r.check), q(r.setting), r.harness, r.theory, r.relativeError, q(r.tolerance), r.pass].join(',')),
    ].join('\n') + '\n'
  );
}

export function runValidation(options: ValidationOptions = {}): ValidationRow[] {
  const o: Required<ValidationOptions> = { seed: 1, trials: 10, blocks: 2000, datagrams: 1_000_000, ...options };
  const rows: ValidationRow[] = [];
  for (const f of sentPerK('raptorq', o))
    rows.push(
      relativeCheck('ideal fountain sent/K', `raptorq, K = ${f.k}, p = ${P}, N = ${f.receivers}`, f.mean, idealFountainSentPerK(f.k, P, f.receivers), 0.01),
    );
  for (const a of sentPerK('arq', o))
    rows.push(relativeCheck('selective repeat sent/K', `arq, p = ${P}, N = ${a.receivers}`, a.mean, selectiveRepeatSentPerK(P, a.receivers), 0.02));
  rows.push(...gilbertRows('gilbert:0.01,0.3', o), ...gilbertRows('gilbert:0.05,0.5', o));
  rows.push(rsRow(0.05, 8, o), rsRow(0.1, 10, o), rsRow(0.2, 30, o));
  return rows;
}

/** The rows as an aligned text table (also the Markdown table's content). */
export function validationTable(rows: readonly ValidationRow[], markdown = false): string {
  const head = ['check', 'setting', 'harness', 'theory', 'error', 'tolerance', 'result'];
  const cells = rows.map((r) => [
    r.check,
    r.setting,
    r.harness.toPrecision(5),
    r.theory.toPrecision(5),
    `${(r.relativeError * 100).toFixed(2)} %`,
    r.tolerance,
    r.pass ? 'pass' : 'FAIL',
  ]);
  if (markdown) return [head, head.map(() => '---'), ...cells].map((c) => `| ${c.join(' | ')} |`).join('\n');
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

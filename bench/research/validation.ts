/**
 * `experiment --validate`: a fixed grid whose figures have closed forms, run through the harness
 * and compared with them, so a researcher can see the simulation is right before trusting its
 * comparisons.
 *
 * - Ideal fountain: a receiver with independent loss p needs S = K + NB(K, 1 − p) datagrams
 *   (negative binomial: datagrams lost before the K-th arrives); the stream must run until the
 *   last of N has K, so E[sent]/K = E[max_i S_i]/K = Σ_{s≥0} (1 − P(S ≤ s)^N) / K, with
 *   P(S ≤ s) = P(Bin(s, 1 − p) ≥ K). RaptorQ decodes from K symbols (or K + 1, rarely), so it
 *   must match within a small tolerance.
 * - Selective-repeat ARQ: a packet is sent until every one of N receivers has it; with
 *   independent loss the k-th send is needed with probability 1 − (1 − p^k)^N, so
 *   E[sends per packet] = Σ_{k≥0} (1 − (1 − p^k)^N).
 * - Gilbert–Elliott (Good loses nothing, Bad everything): long-run loss P/(P + R) and mean
 *   burst 1/R, measured on the loss model the harness's channels draw from.
 *
 * Each row: harness figure, theory, relative error, and pass when the error is within the
 * stated tolerance (2 %, or three standard errors of the harness's mean when that is larger).
 */
import { SeededRandom } from '../../util/random.js';
import { runExperiment, type ExperimentConfig } from './experiment.js';
import { GilbertElliottLoss, parseLossSpec } from './lossModels.js';
import { summarize } from './statistics.js';

export interface ValidationRow {
  check: string;
  harness: number;
  theory: number;
  /** (harness − theory) / theory */
  relativeError: number;
  /** The largest |relativeError| that passes. */
  tolerance: number;
  pass: boolean;
}

/** The tolerance: 2 %, or 3 standard errors of the mean relative to theory. */
const RELATIVE_TOLERANCE = 0.02;

/** E[max over n receivers of the datagrams each needs for k of them] / k, at independent loss p. */
export function idealFountainSentPerK(k: number, p: number, n: number): number {
  const q = 1 - p;
  if (p === 0) return 1;
  // Below s = k nobody is done (P(S ≤ s) = 0): those s add n·k·1 terms of 1 each.
  let expected = k;
  // P(Bin(s, q) = k − 1) at s = k − 1 is q^(k−1); the tail P(Bin(s, q) ≥ k) grows by q times it.
  let logPointMass = (k - 1) * Math.log(q);
  let cdf = 0;
  for (let s = k; ; s++) {
    const step = q * Math.exp(logPointMass);
    cdf += step;
    const term = 1 - Math.min(1, cdf) ** n;
    expected += term;
    // Past the mean, once the tail adds nothing (the summed CDF may stop a rounding error short of 1).
    if (s > k / q && (term < 1e-12 || step < 1e-17)) break;
    // From P(Bin(s−1, q) = k−1) to P(Bin(s, q) = k−1): times s/(s−k+1) · p.
    logPointMass += Math.log(s / (s - k + 1)) + Math.log(p);
  }
  return expected / k;
}

/** Σ_{k≥0} (1 − (1 − p^k)^n): sends per packet of selective-repeat ARQ to n receivers. */
export function selectiveRepeatSendsPerPacket(p: number, n: number): number {
  let sum = 0;
  for (let k = 0; k < 10_000; k++) {
    const term = 1 - (1 - p ** k) ** n;
    sum += term;
    if (term < 1e-15) break;
  }
  return sum;
}

function row(check: string, values: readonly number[], theory: number): ValidationRow {
  const s = summarize(values);
  const standardError = s.n > 1 ? s.ci95 / 1.96 : 0;
  const relativeError = (s.mean - theory) / theory;
  const tolerance = Math.max(RELATIVE_TOLERANCE, (3 * standardError) / theory);
  return { check, harness: s.mean, theory, relativeError, tolerance, pass: Math.abs(relativeError) <= tolerance };
}

/** The fixed grid: `trials` per configuration (the test runs a small one). */
export function runValidation(options: { trials?: number; seed?: number } = {}): ValidationRow[] {
  const trials = options.trials ?? 10;
  const seed = options.seed ?? 1;
  const base: Omit<ExperimentConfig, 'schemes' | 'losses' | 'receivers'> = { sizeBytes: 1 << 20, trials, seed, decode: 'model' };
  const rows: ValidationRow[] = [];
  const sentPerK = (schemes: ExperimentConfig['schemes'], p: number, n: number) =>
    runExperiment({ ...base, schemes, losses: [parseLossSpec(String(p))], receivers: [n] }).rows.map((r) => r.symbolsSent / r.sourceSymbols);
  for (const [p, n] of [
    [0.05, 1],
    [0.05, 10],
    [0.2, 10],
    [0.05, 100],
  ] as const) {
    const k = runExperiment({ ...base, trials: 1, schemes: ['raptorq'], losses: [parseLossSpec('0')], receivers: [1] }).rows[0]!.sourceSymbols;
    rows.push(row(`raptorq sent/K, p = ${p}, N = ${n} (ideal fountain)`, sentPerK(['raptorq'], p, n), idealFountainSentPerK(k, p, n)));
    rows.push(row(`arq sent/K, p = ${p}, N = ${n} (selective repeat)`, sentPerK(['arq'], p, n), selectiveRepeatSendsPerPacket(p, n)));
  }
  for (const [p, r] of [
    [0.01, 0.25],
    [0.05, 0.5],
  ] as const) {
    const losses: number[] = [];
    const bursts: number[] = [];
    for (let t = 0; t < trials; t++) {
      const model = new GilbertElliottLoss({ p, r }, new SeededRandom(seed * 1000 + t));
      let lost = 0;
      let run = 0;
      const runs: number[] = [];
      const samples = 200_000;
      for (let i = 0; i < samples; i++) {
        if (model.lost()) {
          lost++;
          run++;
        } else if (run > 0) {
          runs.push(run);
          run = 0;
        }
      }
      losses.push(lost / samples);
      bursts.push(runs.reduce((a, b) => a + b, 0) / runs.length);
    }
    rows.push(row(`Gilbert–Elliott P = ${p}, R = ${r}: long-run loss P/(P+R)`, losses, p / (p + r)));
    rows.push(row(`Gilbert–Elliott P = ${p}, R = ${r}: mean burst 1/R`, bursts, 1 / r));
  }
  return rows;
}

/** The rows as a fixed-width table. */
export function validationTable(rows: readonly ValidationRow[]): string {
  const width = Math.max(...rows.map((r) => r.check.length));
  const lines = [`${'check'.padEnd(width)}  harness   theory    error     tolerance  result`];
  for (const r of rows) {
    const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
    lines.push(
      `${r.check.padEnd(width)}  ${r.harness.toFixed(4).padEnd(9)} ${r.theory.toFixed(4).padEnd(9)} ${pct(r.relativeError).padEnd(9)} ±${pct(r.tolerance).padEnd(9)} ${r.pass ? 'pass' : 'FAIL'}`,
    );
  }
  return lines.join('\n');
}

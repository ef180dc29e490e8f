/**
 * Luby's robust soliton degree distribution (M. Luby, "LT Codes", FOCS 2002), for the LT code.
 *
 *   R = c · ln(K/δ) · √K
 *   ρ(1) = 1/K,  ρ(d) = 1/(d(d−1))                       for d = 2..K
 *   τ(d) = R/(d·K) for d < K/R,  τ(K/R) = R·ln(R/δ)/K,  0 above
 *   μ(d) = (ρ(d) + τ(d)) / β,   β = Σ_d (ρ(d) + τ(d))
 *
 * c and δ are the code's two knobs: δ bounds the decoder's failure probability after
 * K + O(√K · ln²(K/δ)) symbols, c scales the spike at K/R. Defaults c = 0.03, δ = 0.5: the
 * middle of the settings MacKay's histograms use (Information Theory, Inference and Learning
 * Algorithms, ch. 50: c = 0.01, 0.03, 0.1 with δ = 0.5), whose peeling needs about 10–20 %
 * more than K symbols at K = 1,000 (docs/research.md measures it). δ is the bound's
 * parameter, not the failure rate seen: δ = 0.5 does not fail half the time.
 */
import { CodecError } from './errors.js';

export const DEFAULT_LT_C = 0.03;
export const DEFAULT_LT_DELTA = 0.5;

export interface RobustSolitonParameters {
  /** K */
  readonly sourceSymbols: number;
  /** @default DEFAULT_LT_C */
  readonly c?: number;
  /** @default DEFAULT_LT_DELTA */
  readonly delta?: number;
}

/** μ(1..K) as an array indexed by degree (index 0 unused, 0). */
export function robustSolitonPmf(p: RobustSolitonParameters): Float64Array {
  const k = p.sourceSymbols;
  const c = p.c ?? DEFAULT_LT_C;
  const delta = p.delta ?? DEFAULT_LT_DELTA;
  if (!Number.isInteger(k) || k < 1) throw new CodecError(`robust soliton: K = ${k}`);
  if (!(c > 0) || !(delta > 0 && delta < 1)) throw new CodecError(`robust soliton: c = ${c}, δ = ${delta}`);
  const mu = new Float64Array(k + 1);
  mu[1] = 1 / k;
  for (let d = 2; d <= k; d++) mu[d] = 1 / (d * (d - 1));
  const r = c * Math.log(k / delta) * Math.sqrt(k);
  const spike = Math.round(k / r);
  if (r > 0 && spike >= 1 && spike <= k) {
    for (let d = 1; d < spike; d++) mu[d]! += r / (d * k);
    mu[spike]! += (r * Math.log(r / delta)) / k;
  }
  let beta = 0;
  for (let d = 1; d <= k; d++) beta += mu[d]!;
  for (let d = 1; d <= k; d++) mu[d]! /= beta;
  return mu;
}

/** Cumulative distribution for sampling: cdf[d] = P(degree ≤ d). */
export function cumulative(pmf: Float64Array): Float64Array {
  const cdf = new Float64Array(pmf.length);
  let acc = 0;
  for (let d = 1; d < pmf.length; d++) cdf[d] = acc += pmf[d]!;
  cdf[pmf.length - 1] = 1;
  return cdf;
}

/** The degree whose cumulative range holds u ∈ [0, 1) (binary search). */
export function sampleDegree(cdf: Float64Array, u: number): number {
  let lo = 1;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Closed forms the harness's figures are checked against (validation.ts, `experiment
 * --validate`). Each is exact for its idealised model; what the harness adds on top (feedback
 * latency, a real decoder's overhead) is what a validation row's tolerance has to allow.
 */

/**
 * Ideal fountain: symbols sent per K until each of `n` receivers, each losing every symbol
 * independently with probability p, holds any K (an MDS code, no decoding overhead, no
 * feedback delay). Receiver i needs S_i symbols sent, negative binomial (K successes of
 * probability 1 − p); the sender stops at max_i S_i, so the answer is
 * E[max_i S_i] / K = Σ_{s ≥ 0} (1 − F(s)^n) / K, F the negative binomial's distribution,
 * summed (in log space for the pmf, which underflows at large K) until the terms vanish.
 */
export function idealFountainSentPerK(k: number, p: number, n: number): number {
  if (p === 0) return 1;
  const logQ = Math.log1p(-p);
  const logP = Math.log(p);
  let sum = k; // s = 0 … K − 1: nobody can be done, each term is 1
  let logPmf = k * logQ; // P(S = K)
  let cdf = 0;
  for (let s = k; ; s++) {
    cdf = Math.min(1, cdf + Math.exp(logPmf));
    const term = 1 - cdf ** n;
    sum += term;
    // Past the mean, stop once the terms vanish, or once the pmf does: then the cdf has stopped
    // moving and its rounding (1 − 1e−16 or so, times n) would keep the terms from vanishing.
    if (s > k / (1 - p) && (term < 1e-13 || logPmf < -40)) break;
    // P(S = s + 1) / P(S = s) = s / (s − K + 1) · p
    logPmf += Math.log(s / (s - k + 1)) + logP;
  }
  return sum / k;
}

/**
 * Textbook selective-repeat ARQ to `n` receivers losing independently with probability p: a
 * packet goes out again while any receiver lacks it, so it is sent T = max_i G_i times, G_i
 * geometric; E[T] = Σ_{k ≥ 0} P(T > k) = Σ_{k ≥ 0} (1 − (1 − p^k)^n).
 */
export function selectiveRepeatSentPerK(p: number, n: number): number {
  let sum = 0;
  for (let k = 0; k < 10_000; k++) {
    const term = 1 - (1 - p ** k) ** n;
    sum += term;
    if (term < 1e-15) break;
  }
  return sum;
}

/** Gilbert–Elliott long-run loss: the Bad state's share P/(P + R), weighted by each state's loss. */
export function gilbertElliottLoss(p: number, r: number, lossGood = 0, lossBad = 1): number {
  return (r * lossGood + p * lossBad) / (p + r);
}

/** Mean length of a Bad spell in datagrams: geometric with success R, so 1/R. */
export function gilbertElliottMeanBurst(r: number): number {
  return 1 / r;
}

/**
 * An MDS block of k sources and a fixed r repair symbols, each of the k + r lost independently
 * with probability p, fails exactly when more than r are lost: P(Bin(k + r, p) > r).
 */
export function mdsBlockFailure(k: number, r: number, p: number): number {
  const n = k + r;
  let logC = 0; // log C(n, 0)
  let ok = 0;
  for (let j = 0; j <= r; j++) {
    ok += Math.exp(logC + j * Math.log(p) + (n - j) * Math.log1p(-p));
    logC += Math.log((n - j) / (j + 1));
  }
  return Math.max(0, 1 - ok);
}

/** Summary statistics for experiment tables: mean, median, p95 and a 95 % confidence interval. */

export interface Summary {
  n: number;
  mean: number;
  median: number;
  p95: number;
  /** Half-width of the 95 % confidence interval of the mean (normal approximation; 0 for n < 2). */
  ci95: number;
  min: number;
  max: number;
}

/** Linear-interpolated quantile of sorted values (q in [0, 1]). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = xs.length;
  if (n === 0) return { n, mean: NaN, median: NaN, p95: NaN, ci95: NaN, min: NaN, max: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return {
    n,
    mean,
    median: quantile(xs, 0.5),
    p95: quantile(xs, 0.95),
    ci95: n > 1 ? (1.96 * Math.sqrt(variance)) / Math.sqrt(n) : 0,
    min: xs[0]!,
    max: xs[n - 1]!,
  };
}

/**
 * The closed forms (theory.ts) as curves beside an experiment's measured lines: symbols sent
 * per K against receivers, for each Bernoulli loss rate, for the ideal fountain (what any
 * fountain scheme can at best do) and for textbook selective repeat (what `arq` should do).
 * Gilbert–Elliott configurations have no closed form here and get no curve.
 */
import { planSegments, segmentRange } from '../../encoder/segmentLayout.js';
import type { ExperimentConfig } from './experiment.js';
import { describeLoss } from './lossModels.js';
import { idealFountainSentPerK, selectiveRepeatSentPerK } from './theory.js';

export interface TheoryPoint {
  series: string;
  loss: string;
  receivers: number;
  sentPerK: number;
}

export const IDEAL_FOUNTAIN = 'ideal fountain (theory)';
export const SELECTIVE_REPEAT = 'selective repeat (theory)';

/** Receiver counts from `min` to `max`, about 8 per decade, including both ends. */
function logGrid(min: number, max: number): number[] {
  const out = new Set<number>([min, max]);
  for (let e = Math.log10(min); e < Math.log10(max); e += 0.125) out.add(Math.round(10 ** e));
  return [...out].sort((a, b) => a - b);
}

/** Points of each curve the configuration's schemes call for, over its receiver range. */
export function theoryCurves(config: ExperimentConfig): TheoryPoint[] {
  const fountain = config.schemes.some((s) => s !== 'arq' && !s.startsWith('arq-'));
  const arq = config.schemes.includes('arq');
  if (!fountain && !arq) return [];
  // The simulation's segments (multicastSim.ts: default symbol size): each is its own fountain.
  const layout = planSegments(config.sizeBytes, { segmentSize: config.segmentSize ?? 4 << 20 });
  const ks = Array.from({ length: layout.segmentCount }, (_, s) => segmentRange(layout, s).sourceSymbols);
  const total = ks.reduce((a, b) => a + b, 0);
  const grid = logGrid(Math.min(...config.receivers), Math.max(...config.receivers));
  const out: TheoryPoint[] = [];
  for (const spec of config.losses) {
    if (spec.kind !== 'bernoulli') continue;
    const loss = describeLoss(spec);
    for (const n of grid) {
      if (fountain)
        out.push({ series: IDEAL_FOUNTAIN, loss, receivers: n, sentPerK: ks.reduce((a, k) => a + k * idealFountainSentPerK(k, spec.loss, n), 0) / total });
      if (arq) out.push({ series: SELECTIVE_REPEAT, loss, receivers: n, sentPerK: selectiveRepeatSentPerK(spec.loss, n) });
    }
  }
  return out;
}

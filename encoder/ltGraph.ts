/**
 * Which source symbols each LT repair symbol XORs: the code's graph, shared by encoder and
 * decoder (same K, c, δ and seed → same neighbours), so a decoder rebuilds every symbol's
 * neighbours from its id alone (Luby, "LT Codes", FOCS 2002: the id seeds the degree and the
 * choice). Repair symbol n has degree d drawn from the robust soliton distribution over K
 * (robustSoliton.ts) and d distinct source symbols chosen uniformly, from a generator seeded
 * by n and the graph seed.
 */
import { cumulative, DEFAULT_LT_C, DEFAULT_LT_DELTA, robustSolitonPmf, sampleDegree } from './robustSoliton.js';
import { SeededRandom } from '../util/random.js';

export interface LtOptions {
  /** Robust soliton c. @default DEFAULT_LT_C */
  c?: number;
  /** Robust soliton δ. @default DEFAULT_LT_DELTA */
  delta?: number;
  /**
   * Mixed into every repair symbol's generator. Both ends must agree: the wire's `lt` uses 0.
   * The research harness draws one per trial, so trials without loss are not one and the same
   * graph. @default 0
   */
  seed?: number;
  /**
   * Decoder only: when peeling stalls, solve what is left by Gaussian elimination over GF(2)
   * (gf2Elimination.ts) at the end of each decode attempt (SegmentDecoder.settle). @default false
   */
  gaussianElimination?: boolean;
}

/** Neighbour lists an LtGraph remembers: enough for every repair id of a long research run. */
const NEIGHBOUR_CACHE_LIMIT = 1 << 16;

/**
 * The neighbour generator. It remembers the first NEIGHBOUR_CACHE_LIMIT lists it computes: a
 * simulation's thousand receivers all ask for the same repair ids, and drawing a list costs a
 * generator and a Set.
 */
export class LtGraph {
  private readonly cdf: Float64Array;
  private readonly cache = new Map<number, Uint32Array>();
  private readonly seed: number;

  constructor(
    readonly sourceSymbols: number,
    options: LtOptions = {},
  ) {
    this.cdf = cumulative(robustSolitonPmf({ sourceSymbols, c: options.c ?? DEFAULT_LT_C, delta: options.delta ?? DEFAULT_LT_DELTA }));
    this.seed = (options.seed ?? 0) >>> 0;
  }

  /** The distinct source indices repair symbol `repairIndex` XORs together (do not modify). */
  neighbours(repairIndex: number): Uint32Array {
    const hit = this.cache.get(repairIndex);
    if (hit) return hit;
    const out = this.draw(repairIndex);
    if (this.cache.size < NEIGHBOUR_CACHE_LIMIT) this.cache.set(repairIndex, out);
    return out;
  }

  private draw(repairIndex: number): Uint32Array {
    const k = this.sourceSymbols;
    const mixed = this.seed === 0 ? 0 : Math.imul(this.seed, 0x85ebca6b);
    const rng = new SeededRandom((Math.imul(repairIndex + 1, 0x9e3779b1) ^ 0x7f4a7c15 ^ mixed) >>> 0);
    const d = sampleDegree(this.cdf, rng.next());
    const out = new Uint32Array(d);
    if (d === k) {
      for (let i = 0; i < k; i++) out[i] = i;
      return out;
    }
    const seen = new Set<number>();
    for (let n = 0; n < d;) {
      const i = rng.nextInt(k);
      if (seen.has(i)) continue;
      seen.add(i);
      out[n++] = i;
    }
    return out;
  }
}

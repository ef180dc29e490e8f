/**
 * TEST/BENCH ONLY (`--simulate-loss P --seed S`): drops datagrams at intake, independently with
 * probability P, from a seeded generator so a run is reproducible. Applied before parsing, so the
 * receiver sees exactly what a lossy link would show (sequence gaps included).
 */
import { SeededRandom } from '../util/random.js';

/**
 * TEST/RESEARCH ONLY: anything that decides, datagram by datagram, whether intake drops it. The
 * research harness's `--real` mode passes its channel models (Gilbert–Elliott, ...) through it.
 */
export interface IntakeLoss {
  /** True when this datagram is to be dropped. */
  drop(): boolean;
}

export class LossSimulator implements IntakeLoss {
  private readonly random: SeededRandom;
  /** Drop when the next u32 is below this: one integer compare per datagram. */
  private readonly threshold: number;
  private dropped = 0;
  private seen = 0;

  constructor(
    readonly probability: number,
    readonly seed: number,
  ) {
    if (typeof probability !== 'number' || !(probability >= 0 && probability < 1)) {
      throw new RangeError(`simulated loss must be in [0, 1), not ${probability}`);
    }
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`simulated loss seed must be an integer in 0..2^32-1, not ${seed}`);
    }
    this.random = new SeededRandom(seed);
    this.threshold = Math.round(probability * 4294967296);
  }

  /** True when this datagram is to be dropped. */
  drop(): boolean {
    this.seen++;
    if (this.threshold === 0) return false;
    if (this.random.nextU32() < this.threshold) {
      this.dropped++;
      return true;
    }
    return false;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  get seenCount(): number {
    return this.seen;
  }
}

/**
 * Seeded channel models for the research harness. Every model draws from its own SeededRandom,
 * so a seed reproduces each receiver's losses bit for bit whatever the other receivers do.
 *
 * - Bernoulli: each datagram is lost with probability p, independently.
 * - Gilbert–Elliott: a two-state Markov chain per datagram. From Good it moves to Bad with
 *   probability p, from Bad back to Good with probability r; a datagram is lost with probability
 *   lossGood in Good and lossBad in Bad (the classic Gilbert model: 0 and 1). Long-run loss is
 *   (r·lossGood + p·lossBad)/(p + r); a Bad spell lasts 1/r datagrams on average.
 * - A Channel adds reordering (a datagram is held back by up to `reorderMs` with probability
 *   `reorder`) and duplication (delivered twice with probability `duplicate`) on top of a loss
 *   model and a fixed one-way delay.
 */
import { SeededRandom } from '../../util/random.js';

export interface LossModel {
  /** True if the next datagram is lost. */
  lost(): boolean;
  /** The configured long-run loss rate. */
  readonly meanLoss: number;
}

export class BernoulliLoss implements LossModel {
  constructor(
    readonly meanLoss: number,
    private readonly rng: SeededRandom,
  ) {
    if (!(meanLoss >= 0 && meanLoss <= 1)) throw new RangeError(`loss ${meanLoss} is outside [0, 1]`);
  }

  lost(): boolean {
    return this.meanLoss > 0 && this.rng.next() < this.meanLoss;
  }
}

export interface GilbertElliottParameters {
  /** P(Good → Bad) per datagram. */
  p: number;
  /** P(Bad → Good) per datagram. */
  r: number;
  /** @default 0 */
  lossGood?: number;
  /** @default 1 */
  lossBad?: number;
}

export class GilbertElliottLoss implements LossModel {
  private bad: boolean;
  private readonly lossGood: number;
  private readonly lossBad: number;

  constructor(
    readonly params: GilbertElliottParameters,
    private readonly rng: SeededRandom,
  ) {
    const { p, r } = params;
    this.lossGood = params.lossGood ?? 0;
    this.lossBad = params.lossBad ?? 1;
    for (const [name, v] of [
      ['p', p],
      ['r', r],
      ['lossGood', this.lossGood],
      ['lossBad', this.lossBad],
    ] as const) {
      if (!(v >= 0 && v <= 1)) throw new RangeError(`Gilbert–Elliott ${name} = ${v} is outside [0, 1]`);
    }
    if (p + r === 0) throw new RangeError('Gilbert–Elliott p + r must be > 0');
    // Start in the stationary distribution so short runs are not biased towards Good.
    this.bad = rng.next() < p / (p + r);
  }

  get meanLoss(): number {
    const { p, r } = this.params;
    return (r * this.lossGood + p * this.lossBad) / (p + r);
  }

  /** Mean length of a Bad spell, in datagrams. */
  get meanBurst(): number {
    return 1 / this.params.r;
  }

  lost(): boolean {
    this.bad = this.bad ? this.rng.next() >= this.params.r : this.rng.next() < this.params.p;
    const l = this.bad ? this.lossBad : this.lossGood;
    return l > 0 && this.rng.next() < l;
  }
}

export interface ChannelParameters {
  /** @default 0.25 ms */
  delayMs?: number;
  /** Probability a datagram is held back. @default 0 */
  reorder?: number;
  /** Longest hold-back. @default 2 ms */
  reorderMs?: number;
  /** Probability a datagram is delivered twice. @default 0 */
  duplicate?: number;
}

/** One receiver's path: loss, delay, reordering, duplication. */
export class Channel {
  private readonly delay: number;
  constructor(
    readonly loss: LossModel,
    private readonly params: ChannelParameters,
    private readonly rng: SeededRandom,
  ) {
    this.delay = params.delayMs ?? 0.25;
  }

  /** Arrival times of a datagram sent at `now`: none (lost), one, or two (duplicated). */
  deliver(now: number): number[] {
    if (this.loss.lost()) return [];
    let at = now + this.delay;
    if (this.params.reorder && this.rng.next() < this.params.reorder) at += this.rng.next() * (this.params.reorderMs ?? 2);
    if (this.params.duplicate && this.rng.next() < this.params.duplicate) return [at, at + this.rng.next() * 0.5];
    return [at];
  }
}

/** A loss specification as the CLI and config files give it. */
export type LossSpec = { kind: 'bernoulli'; loss: number } | { kind: 'gilbert'; p: number; r: number; lossGood?: number; lossBad?: number };

/** Parses "0.05" (Bernoulli) or "gilbert:P,R[,lossGood,lossBad]". */
export function parseLossSpec(text: string): LossSpec {
  const m = /^gilbert:([^,]+),([^,]+)(?:,([^,]+),([^,]+))?$/.exec(text.trim());
  if (m) {
    const [p, r, g, b] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? undefined : Number(x)));
    const spec: LossSpec = { kind: 'gilbert', p: p!, r: r!, ...(g !== undefined ? { lossGood: g, lossBad: b } : {}) };
    new GilbertElliottLoss(spec, new SeededRandom(0)); // validates
    return spec;
  }
  const loss = Number(text);
  if (text.trim() === '' || !(loss >= 0 && loss <= 1)) throw new RangeError(`loss "${text}" is neither a rate in [0, 1] nor gilbert:P,R`);
  return { kind: 'bernoulli', loss };
}

export function lossModel(spec: LossSpec, rng: SeededRandom): LossModel {
  return spec.kind === 'bernoulli' ? new BernoulliLoss(spec.loss, rng) : new GilbertElliottLoss(spec, rng);
}

export function describeLoss(spec: LossSpec): string {
  return spec.kind === 'bernoulli' ? String(spec.loss) : `gilbert:${spec.p},${spec.r}${spec.lossGood !== undefined ? `,${spec.lossGood},${spec.lossBad}` : ''}`;
}

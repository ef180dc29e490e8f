/**
 * When a shared (multicast/broadcast) stream starts, sans-IO: at the first Request, unless
 * `minReceivers` is set (start once that many have asked) or `waitMs` is set (start that long
 * after the session opened, with whoever is there, or with the first to come after it; with
 * both, whichever comes first). With `named` receivers (the sender reached them itself: send
 * --to) and no minReceivers, it starts once every one still running has asked, so a fleet gets
 * one pass of the stream rather than late joiners catching up; each that ends without asking
 * (its SSH failed) is no longer waited for. A carousel starts at once, with nobody. Members who
 * leave before the start are forgotten. The deadline is handed out (pollTimeout), never waited
 * for here.
 */
import type { SharedStreamConfig } from './sendConfig.js';

export type StartPolicyConfig = Pick<SharedStreamConfig, 'minReceivers' | 'waitMs' | 'carousel'> & {
  /** How many receivers the sender reached itself (SendOptions.peers). */
  readonly named?: number;
};

export interface StartDecision {
  why: string;
  /** Those who asked before the start, in order, with their windows. */
  members: [id: string, window: number][];
}

export class StartPolicy {
  private readonly waiting = new Map<string, number>();
  private readonly deadline: number | undefined;
  private elapsed = false;
  private decision: StartDecision | undefined;
  private _started = false;
  private stopped = false;
  /** Named receivers that may still ask (undefined: none are named). */
  private named: number | undefined;

  constructor(
    private readonly config: StartPolicyConfig,
    now: number,
  ) {
    this.named = config.named;
    this.deadline = config.waitMs === undefined ? undefined : now + config.waitMs;
    if (config.carousel) this.start('carousel');
  }

  get started(): boolean {
    return this._started;
  }

  get waitingCount(): number {
    return this.waiting.size;
  }

  /** A member asked (Request). After the start the adapter joins it to the stream itself. */
  join(now: number, id: string, window: number): void {
    if (this._started || this.stopped) return;
    this.waiting.set(id, window);
    this.handleTimeout(now);
    this.startIfReady();
  }

  /** A named receiver ended (it asked and left, or never asked): it is no longer waited for. */
  namedEnded(now: number, id: string): void {
    if (this._started || this.stopped || this.named === undefined) return;
    this.waiting.delete(id);
    this.named = Math.max(0, this.named - 1);
    this.handleTimeout(now);
    this.startIfReady();
  }

  private startIfReady(): void {
    const min = this.config.minReceivers;
    const everyNamed = this.named !== undefined && this.waiting.size >= this.named;
    const ready = this.elapsed || (min !== undefined ? this.waiting.size >= min : this.named !== undefined ? everyNamed : this.config.waitMs === undefined);
    if (ready) this.start(`${this.waiting.size} receiver(s) ready`);
  }

  leave(id: string): void {
    this.waiting.delete(id);
  }

  handleTimeout(now: number): void {
    if (this._started || this.stopped || this.deadline === undefined || now < this.deadline || this.elapsed) return;
    this.elapsed = true;
    this.start(`--wait ${this.config.waitMs} ms elapsed`);
  }

  pollTimeout(): number | undefined {
    return this._started || this.stopped || this.elapsed ? undefined : this.deadline;
  }

  /** Once: the go, with whoever is waiting. */
  pollStart(): StartDecision | undefined {
    const d = this.decision;
    this.decision = undefined;
    return d;
  }

  stop(): void {
    this.stopped = true;
  }

  private start(why: string): void {
    if (this._started || this.stopped || (this.waiting.size === 0 && !this.config.carousel)) return;
    this._started = true;
    this.decision = { why, members: [...this.waiting] };
    this.waiting.clear();
  }
}

/**
 * The server's tally, sans-IO: which connections are still before their Hello (their own small
 * budget: when it is full the oldest is dropped for the newcomer, and each has the handshake
 * timeout), which receivers are served (counted from an accepted Hello, up to maxReceivers), how
 * many completed or failed, and when the server is finished: `receivers` completed, the
 * give-up bound ran out, or every named receiver (peers, which the server reaches itself and
 * which each end with an outcome) has ended.
 *
 * Give-up (with `receivers` N and giveUpAfterMs > 0): whenever no receiver is being served and
 * fewer than N have completed, a countdown of giveUpAfterMs runs from the moment the last one
 * ended (completed or failed); a receiver whose Hello is accepted cancels it. Before the first
 * receiver ever ends the sender waits as long as it takes, as udp-sender waits for receivers.
 */
import type { SendConfig } from './sendConfig.js';

export type AdmissionConfig = Pick<SendConfig, 'maxReceivers' | 'maxPendingHandshakes' | 'receivers' | 'giveUpAfterMs' | 'peers'>;

export class Admission {
  /** Connections before Hello, oldest first, with when they came. */
  private readonly pending = new Map<string, number>();
  private readonly served = new Set<string>();
  private _completed = 0;
  private _failed = 0;
  private giveUpAt: number | undefined;
  private finished: string | undefined;
  private finishTaken = false;

  constructor(private readonly config: AdmissionConfig) {}

  get completed(): number {
    return this._completed;
  }
  get failed(): number {
    return this._failed;
  }
  get servedCount(): number {
    return this.served.size;
  }
  get pendingCount(): number {
    return this.pending.size;
  }

  /** A new connection; returns the id of an older pre-Hello connection to drop, if the budget is full. */
  connected(now: number, id: string): string | undefined {
    let evict: string | undefined;
    if (this.pending.size >= this.config.maxPendingHandshakes) {
      evict = this.pending.keys().next().value;
      if (evict !== undefined) this.pending.delete(evict);
    }
    this.pending.set(id, now);
    return evict;
  }

  /** At a Hello the session would serve: true admits it (counted until it ends), false refuses it. */
  admit(id: string): boolean {
    this.pending.delete(id);
    if (this.served.size >= this.config.maxReceivers) return false;
    this.served.add(id);
    this.giveUpAt = undefined;
    return true;
  }

  /** The connection ended; `outcome` undefined when it never got past Hello. */
  ended(now: number, id: string, outcome?: 'completed' | 'failed'): void {
    this.pending.delete(id);
    this.served.delete(id);
    if (outcome === undefined) return;
    if (outcome === 'completed') this._completed++;
    else this._failed++;
    // Named receivers (peers) end the run once each has ended, completed or failed.
    const named = this.config.peers?.length;
    if (named !== undefined) {
      if (this._completed + this._failed >= named) this.finish(`${this._completed} of ${named} receiver(s) completed`);
      return;
    }
    const want = this.config.receivers;
    if (want === undefined) return;
    if (this._completed >= want) return this.finish(`${want} receiver(s) completed`);
    if (this.served.size === 0 && this.config.giveUpAfterMs > 0) this.giveUpAt = now + this.config.giveUpAfterMs;
  }

  handleTimeout(now: number): void {
    if (this.giveUpAt === undefined || now < this.giveUpAt) return;
    this.giveUpAt = undefined;
    const want = this.config.receivers!;
    this.finish(
      `gave up: ${this._completed} of ${want} receiver(s) completed (${this._failed} failed), and no receiver came for ${formatMs(this.config.giveUpAfterMs)} after the last one ended`,
    );
  }

  pollTimeout(): number | undefined {
    return this.finished === undefined ? this.giveUpAt : undefined;
  }

  /** Once: why the server should close now. */
  pollFinish(): string | undefined {
    if (this.finished === undefined || this.finishTaken) return undefined;
    this.finishTaken = true;
    return this.finished;
  }

  private finish(reason: string): void {
    this.finished ??= reason;
    this.giveUpAt = undefined;
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

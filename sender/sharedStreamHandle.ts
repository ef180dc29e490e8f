/** Main-thread side of the shared-stream worker: members in, stats and the end out. */
import { Worker } from 'node:worker_threads';
import type { Progress } from '../control/messages.js';
import { workerScriptUrl } from '../util/workerUrl.js';
import type { SharedStreamStats } from './sharedStreamCore.js';
import type { FromSharedWorker, SharedWorkerData, ToSharedWorker } from './sharedWorkerMessages.js';

export interface SharedStreamFinished {
  reason: 'stopped' | 'error';
  message?: string;
  stats: SharedStreamStats;
}

export class SharedStreamHandle {
  private readonly worker?: Worker;
  private ended = false;
  /** The stream dropped a member (too slow): the server ends its connection with `reason`. */
  onDrop?: (id: string, reason: string) => void;
  stats: SharedStreamStats = { datagramsSent: 0, bytesSent: 0, sourceSymbolsSent: 0, repairSymbolsSent: 0, segmentsOpened: 0, stallBursts: 0, sourceResends: 0, combinedResends: 0, rateBytesPerSecond: 0 };
  private resolve!: (f: SharedStreamFinished) => void;
  readonly finished = new Promise<SharedStreamFinished>((r) => (this.resolve = r));

  /** Never throws: a worker that cannot start is a stream that finished with an error. */
  constructor(init: SharedWorkerData, scriptUrl?: () => URL) {
    try {
      this.worker = new Worker((scriptUrl ?? (() => workerScriptUrl('sender/sharedStreamWorker')))(), { workerData: init });
    } catch (e) {
      this.end({ reason: 'error', message: `cannot start the shared stream worker: ${(e as Error).message}`, stats: this.stats });
      return;
    }
    this.worker.on('message', (m: FromSharedWorker) => {
      if (m.type === 'drop') return this.onDrop?.(m.id, m.reason);
      this.stats = m.stats;
      if (m.type === 'finished') this.end({ reason: m.reason, message: m.message, stats: m.stats });
    });
    this.worker.on('error', (e) => this.end({ reason: 'error', message: `shared stream worker crashed: ${e.message}`, stats: this.stats }));
    this.worker.on('exit', (code) => this.end({ reason: 'error', message: `shared stream worker exited with code ${code}`, stats: this.stats }));
  }

  /** Begins sending (the worker was booted with waitForStart). */
  start(): void {
    this.send({ type: 'start' });
  }

  join(id: string, window: number): void {
    this.send({ type: 'join', id, window });
  }

  leave(id: string): void {
    this.send({ type: 'leave', id });
  }

  progress(id: string, progress: Progress): void {
    this.send({ type: 'progress', id, progress });
  }

  stop(reason: string): void {
    this.send({ type: 'stop', reason });
  }

  private send(m: ToSharedWorker): void {
    if (!this.ended) this.worker?.postMessage(m);
  }

  private end(f: SharedStreamFinished): void {
    if (this.ended) return;
    this.ended = true;
    this.resolve(f);
  }
}

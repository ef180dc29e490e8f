/** Main-thread side of a stream worker (unicast or shared): members and reports in, stats and the end out. */
import { Worker } from 'node:worker_threads';
import type { Progress } from '../control/messages.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import { workerScriptUrl } from '../util/workerUrl.js';
import { emptyStreamStats, type StreamStats } from './streamCore.js';
import type { FromStreamWorker, StreamFinishReason, StreamWorkerData, ToStreamWorker } from './streamMessages.js';

export interface StreamFinished {
  reason: StreamFinishReason;
  message?: string;
  stats: StreamStats;
  /** The worker itself failed (could not start, crashed, exited): no stream can be trusted to run. */
  workerFailed?: boolean;
  /** The object is no longer as announced (changed, shorter, unreadable): no stream can serve it. */
  sourceChanged?: boolean;
}

export class StreamHandle {
  private readonly worker?: Worker;
  private ended = false;
  private statsCb?: (s: StreamStats) => void;
  /** The stream dropped a member (too slow): the server ends its connection with `reason`. */
  onDrop?: (id: string, reason: string) => void;
  /** The latest stats the worker sent. */
  stats: StreamStats = emptyStreamStats();
  private resolve!: (f: StreamFinished) => void;
  readonly finished = new Promise<StreamFinished>((r) => (this.resolve = r));

  /** Never throws: a worker that cannot start (script missing, out of memory) is a stream that finished with an error. */
  constructor(init: StreamWorkerData, scriptUrl?: () => URL) {
    const what = init.mode === 'shared' ? 'shared stream' : 'stream';
    try {
      this.worker = new Worker((scriptUrl ?? (() => workerScriptUrl('sender/streamWorker')))(), { workerData: init });
    } catch (e) {
      this.end({ reason: 'error', message: `cannot start the ${what} worker: ${(e as Error).message}`, stats: this.stats, workerFailed: true });
      return;
    }
    this.worker.on('message', (m: FromStreamWorker) => {
      if (m.type === 'drop') return this.onDrop?.(m.id, m.reason);
      this.stats = m.stats;
      if (m.type === 'stats') this.statsCb?.(m.stats);
      else this.end({ reason: m.reason, message: m.message, stats: m.stats, ...(m.sourceChanged ? { sourceChanged: true } : {}) });
    });
    this.worker.on('error', (e) => this.end({ reason: 'error', message: `${what} worker crashed: ${e.message}`, stats: this.stats, workerFailed: true }));
    this.worker.on('exit', (code) => this.end({ reason: 'error', message: `${what} worker exited with code ${code}`, stats: this.stats, workerFailed: true }));
  }

  /** Begins sending (the worker was booted with waitForStart). */
  start(): void {
    this.send({ type: 'start' });
  }

  join(id: string, window: number, held?: Uint8Array): void {
    this.send(held === undefined ? { type: 'join', id, window } : { type: 'join', id, window, held });
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

  /** A piped object grew (unicast stream of a Manifest whose length followed). */
  grow(layout: SegmentLayout, final: boolean): void {
    this.send({ type: 'grow', layout, final });
  }

  /** Segment `index` of an object still arriving can be read now (cut-through). */
  available(index: number): void {
    this.send({ type: 'available', index });
  }

  onStats(cb: (s: StreamStats) => void): void {
    this.statsCb = cb;
  }

  private send(m: ToStreamWorker): void {
    if (!this.ended) this.worker?.postMessage(m);
  }

  private end(f: StreamFinished): void {
    if (this.ended) return;
    this.ended = true;
    this.resolve(f);
  }
}

/** Main-thread side of a stream worker: start it, feed it Progress/Stop, learn how it ended. */
import { Worker } from 'node:worker_threads';
import type { Progress } from '../control/messages.js';
import { workerScriptUrl } from '../util/workerUrl.js';
import { emptyStreamStats, type SenderStreamStats } from './streamCore.js';
import type { FromStreamWorker, StreamFinishReason, StreamWorkerData, ToStreamWorker } from './workerMessages.js';

export interface StreamFinished {
  reason: StreamFinishReason;
  message?: string;
  stats: SenderStreamStats;
}

export interface StreamWorkerHandle {
  /** Begin sending (a worker started with waitForStart boots and waits for this). */
  start(): void;
  progress(p: Progress): void;
  stop(reason: string): void;
  onStats(cb: (s: SenderStreamStats) => void): void;
  readonly finished: Promise<StreamFinished>;
}

/**
 * Starts the worker. Never throws: a worker that cannot start (script missing, out of memory)
 * is a stream that finished with an error, which the caller reports to that receiver.
 */
export function startStreamWorker(init: StreamWorkerData, scriptUrl?: () => URL): StreamWorkerHandle {
  let worker: Worker;
  try {
    worker = new Worker((scriptUrl ?? (() => workerScriptUrl('sender/streamWorker')))(), { workerData: init });
  } catch (e) {
    return {
      start: () => undefined,
      progress: () => undefined,
      stop: () => undefined,
      onStats: () => undefined,
      finished: Promise.resolve({ reason: 'error', message: `cannot start the stream worker: ${(e as Error).message}`, stats: emptyStreamStats() }),
    };
  }
  let statsCb: ((s: SenderStreamStats) => void) | undefined;
  let last = emptyStreamStats();
  let ended = false;
  let resolve!: (f: StreamFinished) => void;
  const finished = new Promise<StreamFinished>((r) => (resolve = r));
  const end = (f: StreamFinished) => {
    if (ended) return;
    ended = true;
    resolve(f);
  };
  worker.on('message', (m: FromStreamWorker) => {
    if (m.type === 'stats') {
      last = m.stats;
      statsCb?.(m.stats);
    } else {
      last = m.stats;
      end({ reason: m.reason, message: m.message, stats: m.stats });
    }
  });
  worker.on('error', (e) => end({ reason: 'error', message: `stream worker crashed: ${e.message}`, stats: last }));
  worker.on('exit', (code) => end({ reason: 'error', message: `stream worker exited with code ${code}`, stats: last }));
  const send = (m: ToStreamWorker) => {
    if (!ended) worker.postMessage(m);
  };
  return {
    start: () => send({ type: 'start' }),
    progress: (p) => send({ type: 'progress', progress: p }),
    stop: (reason) => send({ type: 'stop', reason }),
    onStats: (cb) => (statsCb = cb),
    finished,
  };
}

/**
 * Runs decode jobs off the receiver thread: a few worker_threads, one job each at a time, jobs
 * queued FIFO. The wasm is compiled once here and handed to every worker (workerData). A worker
 * that dies rejects its job with DecodeWorkerError and is replaced; workers that die before ever
 * becoming ready three times in a row mark the pool broken (no respawn loop).
 *
 * `inline: true` runs jobs on the calling thread instead (simulated tests, no dist/ needed).
 *
 * A job holding every source symbol needs no decoding, only its SHA-256 (~3 ms per 4 MiB): with
 * a `fastPathCodec` it runs on the calling thread, and workers (each instantiating the wasm) are
 * only started for the first job that really decodes. A lossless or resend-recovered transfer
 * then starts none, saving their start-up and the buffer transfers on cores it may share.
 */
import type { Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Codec } from '../encoder/codec.js';
import type { CodecName } from '../encoder/codecs.js';
import { compileRaptorQModule, raptorqCodec, type RaptorQWasmModule } from '../encoder/raptorq.js';
import { workerScriptUrl } from '../util/workerUrl.js';
import { allSourcePresent, runDecodeJob, type DecodeJob, type DecodeOutcome } from './decodeJob.js';
import { jobTransferList, type DecodeReply, type DecodeRequest, type DecodeWorkerData } from './decodeMessages.js';
import { DecodeWorkerError } from './errors.js';

export interface DecodePoolInit {
  /** Worker threads, >= 1. @default max(1, min(2, availableParallelism() - 1)) */
  readonly size?: number;
  /** Run jobs synchronously on the calling thread. @default false */
  readonly inline?: boolean;
  /** Codec for inline mode. @default raptorqCodec() */
  readonly codec?: Codec;
  /** Worker script. @default workerScriptUrl('receiver/decodeWorker') (dist/receiver/decodeWorker.js) */
  readonly workerUrl?: URL;
  /** Compiled raptorq wasm for the workers. @default compileRaptorQModule() */
  readonly wasmModule?: RaptorQWasmModule;
  /** Codec whose `segmentFromSourceSymbols` serves complete-source jobs on this thread. */
  readonly fastPathCodec?: Codec;
  /** The scheme the workers decode. @default 'raptorq' */
  readonly codecName?: CodecName;
}

/** Consecutive workers dying before "ready" after which the pool gives up. */
const MAX_STARTUP_FAILURES = 3;

export function defaultDecodePoolSize(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

interface QueuedJob {
  readonly jobId: number;
  readonly job: DecodeJob;
  readonly resolve: (outcome: DecodeOutcome) => void;
  readonly reject: (error: Error) => void;
}

interface WorkerSlot {
  readonly worker: Worker;
  ready: boolean;
  busy: QueuedJob | undefined;
  lastError: Error | undefined;
}

export class DecodePool {
  readonly size: number;
  readonly inline: boolean;
  private readonly codec: Codec | undefined;
  private readonly workerUrl: URL | undefined;
  private readonly workerData: DecodeWorkerData | undefined;
  private readonly fastPathCodec: Codec | undefined;
  private started = false;
  /** Jobs served on this thread without a worker (complete source). */
  fastPathJobs = 0;
  private readonly workers = new Set<WorkerSlot>();
  private readonly queue: QueuedJob[] = [];
  private nextJobId = 1;
  private startupFailures = 0;
  private broken: Error | undefined;
  private closed = false;
  /** Workers replaced after dying (for stats and tests). */
  replacedWorkers = 0;

  constructor(init: DecodePoolInit = {}) {
    const size = init.size ?? defaultDecodePoolSize();
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`decode pool size must be an integer >= 1, not ${size}`);
    this.size = size;
    this.inline = init.inline ?? false;
    if (this.inline) {
      this.codec = init.codec ?? raptorqCodec();
      return;
    }
    this.workerUrl = init.workerUrl ?? workerScriptUrl('receiver/decodeWorker');
    this.workerData = { raptorqModule: init.wasmModule ?? compileRaptorQModule(), codecName: init.codecName };
    this.fastPathCodec = init.fastPathCodec?.segmentFromSourceSymbols ? init.fastPathCodec : undefined;
    if (this.fastPathCodec === undefined) this.start();
  }

  /** Workers running or starting (0 until a job needs one when a fast path is set). */
  get workerCount(): number {
    return this.workers.size;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    for (let i = 0; i < this.size; i++) this.spawn();
  }

  /** Jobs queued or running. */
  get pending(): number {
    let running = 0;
    for (const w of this.workers) if (w.busy !== undefined) running++;
    return this.queue.length + running;
  }

  /**
   * Decodes `job`. Its buffers are transferred to a worker (unusable here until they come back in
   * the outcome). Rejects with DecodeWorkerError when the worker dies or the pool is closed.
   * `fileHashBefore` (see runDecodeJob) is used only when the job runs on this thread.
   */
  submit(job: DecodeJob, fileHashBefore?: Hash): Promise<DecodeOutcome> {
    if (this.closed) return Promise.reject(new DecodeWorkerError('decode pool is closed'));
    if (this.broken !== undefined) return Promise.reject(this.broken);
    const here = this.inline ? this.codec : this.fastPathCodec && allSourcePresent(job) ? this.fastPathCodec : undefined;
    if (here !== undefined) {
      if (!this.inline) this.fastPathJobs++;
      try {
        return Promise.resolve(runDecodeJob(job, here, fileHashBefore));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    this.start();
    return new Promise<DecodeOutcome>((resolve, reject) => {
      this.queue.push({ jobId: this.nextJobId++, job, resolve, reject });
      this.dispatch();
    });
  }

  /** Terminates the workers; queued and running jobs reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failQueued(new DecodeWorkerError('decode pool closed'));
    const exits: Promise<number>[] = [];
    for (const w of this.workers) {
      w.busy?.reject(new DecodeWorkerError(`decode pool closed while segment ${w.busy.job.segmentIndex} was decoding`));
      w.busy = undefined;
      exits.push(w.worker.terminate());
    }
    await Promise.all(exits);
    this.workers.clear();
  }

  private spawn(): void {
    const worker = new Worker(this.workerUrl!, { workerData: this.workerData });
    const slot: WorkerSlot = { worker, ready: false, busy: undefined, lastError: undefined };
    this.workers.add(slot);
    worker.on('message', (reply: DecodeReply) => this.onReply(slot, reply));
    worker.on('error', (e) => {
      slot.lastError = e;
    });
    worker.on('messageerror', (e) => {
      slot.lastError = e;
      void worker.terminate();
    });
    worker.on('exit', (code) => this.onExit(slot, code));
  }

  private onReply(slot: WorkerSlot, reply: DecodeReply): void {
    if (reply.type === 'ready') {
      slot.ready = true;
      this.startupFailures = 0;
      this.dispatch();
      return;
    }
    const job = slot.busy;
    if (job === undefined || job.jobId !== reply.jobId) return;
    slot.busy = undefined;
    if (reply.type === 'outcome') job.resolve(reply.outcome);
    else job.reject(new DecodeWorkerError(`decoding segment ${job.job.segmentIndex} threw in the worker: ${reply.message}`));
    this.dispatch();
  }

  private onExit(slot: WorkerSlot, code: number): void {
    this.workers.delete(slot);
    if (this.closed) return;
    const why = slot.lastError?.message ?? `exit code ${code}`;
    if (slot.busy !== undefined) {
      slot.busy.reject(new DecodeWorkerError(`decode worker died while decoding segment ${slot.busy.job.segmentIndex}: ${why}`));
      slot.busy = undefined;
    }
    if (!slot.ready && ++this.startupFailures >= MAX_STARTUP_FAILURES) {
      this.broken = new DecodeWorkerError(`decode workers fail to start (${this.startupFailures} in a row): ${why}`);
      this.failQueued(this.broken);
      return;
    }
    this.replacedWorkers++;
    this.spawn();
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.workers) {
      while (slot.ready && slot.busy === undefined && this.queue.length > 0) {
        const next = this.queue.shift()!;
        slot.busy = next;
        const request: DecodeRequest = { type: 'decode', jobId: next.jobId, job: next.job };
        try {
          slot.worker.postMessage(request, jobTransferList(next.job));
        } catch (e) {
          // e.g. a buffer that cannot be transferred: that job fails, the worker stays free.
          slot.busy = undefined;
          next.reject(new DecodeWorkerError(`cannot send segment ${next.job.segmentIndex} to a decode worker: ${(e as Error).message}`));
        }
      }
    }
  }

  private failQueued(error: Error): void {
    for (const q of this.queue.splice(0)) q.reject(error);
  }
}

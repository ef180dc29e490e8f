/**
 * Messages between the decode pool (receiver thread) and its workers. Big buffers travel in
 * transfer lists, never copied: a job's source and repair buffers go to the worker and come back
 * inside the outcome (or as the decoded data).
 */
import type { RaptorQWasmModule } from '../encoder/raptorq.js';
import type { CodecName } from '../encoder/codecs.js';
import type { DecodeBuffers, DecodeJob, DecodeOutcome } from './decodeJob.js';

/** workerData of a decode worker. */
export interface DecodeWorkerData {
  /** The compiled raptorq wasm (structured-cloneable): the worker instantiates it, no recompile. */
  readonly raptorqModule: RaptorQWasmModule;
  /** The segment's scheme (Manifest.codec). @default 'raptorq' */
  readonly codecName?: CodecName;
}

export interface DecodeRequest {
  readonly type: 'decode';
  /** Pool-assigned, echoed in the reply. */
  readonly jobId: number;
  readonly job: DecodeJob;
}

export type DecodeReply =
  | { readonly type: 'ready' }
  | { readonly type: 'outcome'; readonly jobId: number; readonly outcome: DecodeOutcome }
  /** runDecodeJob threw (a bug, not a codec failure: those are 'failed' outcomes). */
  | { readonly type: 'error'; readonly jobId: number; readonly message: string };

/** ArrayBuffers of the views, each once (a buffer listed twice makes postMessage throw). */
function transferablesOf(views: readonly ArrayBufferView[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const v of views) {
    const b = v.buffer;
    // SharedArrayBuffers are shared, not transferred; zero-length buffers gain nothing.
    if (b instanceof ArrayBuffer && b.byteLength > 0 && !out.includes(b)) out.push(b);
  }
  return out;
}

/** What moves with a job. The expected hash is 32 bytes and is copied (it may share memory). */
export function jobTransferList(job: DecodeJob): ArrayBuffer[] {
  return transferablesOf([job.source, job.sourcePresent, job.repairIds, job.repair]);
}

function buffersOf(b: DecodeBuffers): ArrayBufferView[] {
  return [b.source, b.sourcePresent, b.repairIds, b.repair];
}

/** What moves back with an outcome (the decoded data may be a view into the source buffer). */
export function outcomeTransferList(outcome: DecodeOutcome): ArrayBuffer[] {
  if (outcome.type === 'decoded') return transferablesOf([outcome.data]);
  return outcome.buffers === undefined ? [] : transferablesOf(buffersOf(outcome.buffers));
}

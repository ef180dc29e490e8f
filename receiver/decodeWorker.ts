/**
 * Decode worker: runs `runDecodeJob` for the pool, one job at a time. Instantiates the raptorq
 * wasm from the Module the pool compiled (no recompile per worker) and says "ready".
 */
import { parentPort, workerData } from 'node:worker_threads';
import { codecByName } from '../encoder/codecs.js';
import { runDecodeJob } from './decodeJob.js';
import { outcomeTransferList, type DecodeReply, type DecodeRequest, type DecodeWorkerData } from './decodeMessages.js';

const port = parentPort;
if (port === null) throw new Error('decodeWorker.js must run in a worker thread');

const data = workerData as DecodeWorkerData;
const codec = codecByName(data.codecName ?? 'raptorq', data.raptorqModule);

port.on('message', (request: DecodeRequest) => {
  let reply: DecodeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const outcome = runDecodeJob(request.job, codec);
    reply = { type: 'outcome', jobId: request.jobId, outcome };
    transfer = outcomeTransferList(outcome);
  } catch (e) {
    reply = { type: 'error', jobId: request.jobId, message: (e as Error)?.message ?? String(e) };
  }
  port.postMessage(reply, transfer);
});

port.postMessage({ type: 'ready' } satisfies DecodeReply);

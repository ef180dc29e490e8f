/**
 * A worker thread of `fountcast experiment --jobs N`: runs simulated trials it is handed, one at
 * a time, and posts each trial's row and timing back. Trials are independent (their seeds
 * depend on the experiment seed and the trial only), so running them on several threads gives
 * the same rows as one thread; trialPool.ts puts them back in order.
 */
import { parentPort } from 'node:worker_threads';
import { runTrial } from './experiment.js';
import type { TrialReply, TrialRequest } from './trialPool.js';

const port = parentPort;
if (port === null) throw new Error('trialWorker.js must run in a worker thread');

port.on('message', (m: TrialRequest) => {
  let reply: TrialReply;
  try {
    reply = { id: m.id, ok: true, ...runTrial(m.config, m.scheme, m.loss, m.receivers, m.trial) };
  } catch (e) {
    reply = { id: m.id, ok: false, message: (e as Error).message ?? String(e) };
  }
  port.postMessage(reply);
});

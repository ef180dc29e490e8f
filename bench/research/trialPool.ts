/**
 * Runs simulated trials on `jobs` worker threads (trialWorker.ts) and returns them in the order
 * asked, so `--jobs` changes the wall time and nothing else: trials.csv stays identical. The
 * wall-clock timings of parallel trials share the machine's cores (timings.csv says so only by
 * being noisier; run `--jobs 1` to time schemes against each other).
 */
import { Worker } from 'node:worker_threads';
import { workerScriptUrl } from '../../util/workerUrl.js';
import type { ExperimentConfig, TrialRow, TrialTiming } from './trialTypes.js';
import type { LossSpec } from './lossModels.js';
import type { SchemeName } from './schemes.js';

export interface TrialTask {
  scheme: SchemeName;
  loss: LossSpec;
  receivers: number;
  trial: number;
}

export interface TrialRequest extends TrialTask {
  id: number;
  config: ExperimentConfig;
}

export type TrialReply = { id: number; ok: true; row: TrialRow; timing: TrialTiming } | { id: number; ok: false; message: string };

export class TrialError extends Error {
  override readonly name = 'TrialError';
}

export async function runTrialsInWorkers(
  config: ExperimentConfig,
  tasks: readonly TrialTask[],
  jobs: number,
  onTrial?: (row: TrialRow, timing: TrialTiming) => void,
): Promise<{ row: TrialRow; timing: TrialTiming }[]> {
  const url = workerScriptUrl('bench/research/trialWorker');
  const results = new Array<{ row: TrialRow; timing: TrialTiming }>(tasks.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(jobs, tasks.length)) }, () => new Worker(url));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= tasks.length) return resolve();
              const id = next++;
              w.postMessage({ id, config, ...tasks[id]! } satisfies TrialRequest);
            };
            w.on('message', (m: TrialReply) => {
              if (!m.ok) return reject(new TrialError(`trial ${describe(tasks[m.id]!)} failed: ${m.message}`));
              results[m.id] = { row: m.row, timing: m.timing };
              onTrial?.(m.row, m.timing);
              feed();
            });
            w.once('error', (e) => reject(new TrialError(`a trial worker crashed: ${e.message}`)));
            w.once('exit', (code) => (next < tasks.length || code !== 0 ? reject(new TrialError(`a trial worker exited (code ${code})`)) : undefined));
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

function describe(t: TrialTask): string {
  return `${t.scheme} ${t.loss.kind === 'bernoulli' ? t.loss.loss : 'gilbert'} ×${t.receivers} #${t.trial}`;
}

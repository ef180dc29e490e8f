/**
 * The research harness's CLI as the real-run tests drive it (test/bench/realExperiment.test.ts,
 * kernelLoss.test.ts): the built CLI, the one configuration both compare with its simulation,
 * and the rows of its results.json.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** RaptorQ and ARQ at 10 % loss, 1 and 3 receivers, 1 MiB in 512 KiB segments, seed 5, 100 Mbit/s. */
export function experimentArgs(trials: number): string[] {
  return [
    'experiment',
    '--schemes',
    'raptorq,arq',
    '--loss',
    '0.1',
    '--receivers',
    '1,3',
    '--size',
    '1M',
    '--segment-size',
    '512K',
    '--trials',
    String(trials),
    '--seed',
    '5',
    '--rate',
    '100M',
  ];
}

export interface ExperimentRow {
  mode: string;
  scheme: string;
  receivers: number;
  sourceSymbols: number;
  symbolsSent: number;
  completed: number;
}

/** The results.json an experiment wrote under `dir`. */
export async function experimentResults(dir: string): Promise<{ rows: ExperimentRow[]; timings: { unsimulatedLoss: number }[] }> {
  return JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as { rows: ExperimentRow[]; timings: { unsimulatedLoss: number }[] };
}

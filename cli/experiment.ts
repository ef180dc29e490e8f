/**
 * `fountcast experiment`: options (and an optional JSON config file whose keys are the options'
 * camelCase names) → an ExperimentConfig → the research harness (bench/research, loaded only
 * when this command runs: the product's library never imports bench code) → results on disk
 * and a summary table on stdout.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { ExperimentConfig, TrialRow, TrialTiming } from '../bench/research/experiment.js';
import { parseInteger, parseRate, parseSize, UnitError } from './units.js';

export interface ExperimentCliOptions {
  config?: string;
  schemes?: string;
  loss?: string;
  burst?: string[];
  size?: string;
  symbolSize?: string;
  segmentSize?: string;
  receivers?: string;
  trials?: string;
  seed?: string;
  lossSpread?: string;
  reorder?: string;
  duplicate?: string;
  decode?: string;
  rate?: string;
  ltC?: string;
  ltDelta?: string;
  real?: boolean;
  kernelLoss?: boolean;
  validate?: boolean;
  jobs?: string;
  out?: string;
}

const DEFAULTS = {
  schemes: 'raptorq,lt,rs,arq',
  loss: '0,0.01,0.05,0.2',
  size: '16M',
  symbolSize: '1392',
  segmentSize: '4M',
  receivers: '1,10',
  trials: '5',
  seed: '7',
};

const REAL_DEFAULT_SCHEMES = 'raptorq,lt-systematic,rs,arq';

function fraction(text: string, what: string): number {
  const v = Number(text);
  if (!(v >= 0 && v <= 1)) throw new UnitError(`${what} must be in [0, 1], not "${text}"`);
  return v;
}

/** --lt-c and --lt-delta as numbers (validateConfig checks their ranges); none: the defaults. */
function ltParameters(c: string | undefined, delta: string | undefined): ExperimentConfig['lt'] {
  if (c === undefined && delta === undefined) return undefined;
  const num = (t: string | undefined, what: string) => {
    if (t === undefined) return undefined;
    const v = Number(t);
    if (t.trim() === '' || !Number.isFinite(v)) throw new UnitError(`${what} must be a number, not "${t}"`);
    return v;
  };
  return { c: num(c, 'lt-c'), delta: num(delta, 'lt-delta') };
}

/** Merges file and command-line options (the command line wins) into a validated config. */
export async function experimentConfig(o: ExperimentCliOptions): Promise<{ config: ExperimentConfig; out: string; jobs: number }> {
  const { isScheme, SCHEMES } = await import('../bench/research/schemes.js');
  const { parseLossSpec } = await import('../bench/research/lossModels.js');
  const { validateConfig } = await import('../bench/research/experiment.js');
  let file: Record<string, unknown> = {};
  if (o.config) {
    try {
      file = JSON.parse(await readFile(o.config, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new UnitError(`cannot read experiment config ${o.config}: ${(e as Error).message}`);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new UnitError(`experiment config ${o.config} must be a JSON object`);
  }
  const pick = (key: keyof typeof DEFAULTS | 'lossSpread' | 'reorder' | 'duplicate' | 'decode' | 'rate' | 'ltC' | 'ltDelta' | 'out'): string | undefined => {
    const cli = o[key];
    if (cli !== undefined) return cli;
    const v = file[key];
    if (v === undefined) return (DEFAULTS as Record<string, string>)[key];
    return Array.isArray(v) ? v.join(',') : String(v);
  };
  const list = (text: string) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const real = o.real ?? file.real === true;
  // --real runs what send() can send: LT as it sends it (systematic) in the default list.
  const schemes = list(o.schemes === undefined && file.schemes === undefined && real ? REAL_DEFAULT_SCHEMES : pick('schemes')!);
  for (const s of schemes) if (!isScheme(s)) throw new UnitError(`unknown scheme "${s}" (${SCHEMES.join(', ')})`);
  const bursts = o.burst ?? (Array.isArray(file.burst) ? (file.burst as unknown[]).map(String) : typeof file.burst === 'string' ? [file.burst] : []);
  const losses = [...list(pick('loss')!), ...bursts].map((t) => {
    try {
      return parseLossSpec(t);
    } catch (e) {
      throw new UnitError((e as Error).message);
    }
  });
  const int = (key: Parameters<typeof pick>[0], min: number, max: number) => parseInteger(pick(key)!, key, min, max);
  const optional = (key: 'lossSpread' | 'reorder' | 'duplicate') => {
    const v = pick(key);
    return v === undefined ? undefined : fraction(v, key);
  };
  const config: ExperimentConfig = {
    schemes: schemes as ExperimentConfig['schemes'],
    losses,
    receivers: list(pick('receivers')!).map((t) => parseInteger(t, 'receivers', 1, 100_000)),
    sizeBytes: parseSize(pick('size')!),
    symbolSize: int('symbolSize', 8, 65528),
    segmentSize: parseSize(pick('segmentSize')!),
    trials: int('trials', 1, 100_000),
    seed: int('seed', 0, 2 ** 32 - 1),
    lossSpread: optional('lossSpread'),
    reorder: optional('reorder'),
    duplicate: optional('duplicate'),
    decode: pick('decode') as ExperimentConfig['decode'],
    rateBytesPerSecond: pick('rate') === undefined ? undefined : parseRate(pick('rate')!) / 8,
    lt: ltParameters(pick('ltC'), pick('ltDelta')),
    mode: real ? 'real' : 'sim',
    realLoss: (o.kernelLoss ?? file.kernelLoss === true) ? 'kernel' : undefined,
  };
  validateConfig(config);
  const jobs = o.jobs === undefined ? availableParallelism() : parseInteger(o.jobs, 'jobs', 1, 256);
  return { config, out: pick('out') ?? `results/experiment-${new Date().toISOString().replace(/[:.]/g, '-')}`, jobs };
}

/** Runs the validation grid (validation.ts), prints its table; throws ValidationFailedError if a row fails. */
async function validate(seed: number, log: Logger): Promise<import('../bench/research/validation.js').ValidationRow[]> {
  const { runValidation, validationTable } = await import('../bench/research/validation.js');
  log.info({ event: 'validation-start', seed }, `validation grid against closed forms, seed ${seed}`);
  const rows = runValidation({ seed });
  process.stdout.write(validationTable(rows) + '\n');
  return rows;
}

/** ValidationFailedError (exit 1) when a row is outside its tolerance. */
async function throwIfFailed(rows: { pass: boolean }[]): Promise<void> {
  const failed = rows.filter((r) => !r.pass).length;
  if (failed === 0) return;
  const { ValidationFailedError } = await import('../bench/research/validation.js');
  throw new ValidationFailedError(`validation: ${failed} of ${rows.length} rows outside their tolerance`);
}

/** `--validate`: the fixed grid alone (grid options are ignored), its files in --out if given; exit 1 if a row fails. */
async function runValidateCli(o: ExperimentCliOptions, log: Logger): Promise<void> {
  const seed = o.seed === undefined ? 1 : parseInteger(o.seed, 'seed', 0, 2 ** 32 - 1);
  const rows = await validate(seed, log);
  if (o.out !== undefined) {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { validationCsv } = await import('../bench/research/validation.js');
    const { reproducingCommand, writeReportPage } = await import('../bench/research/reportPage.js');
    await mkdir(o.out, { recursive: true });
    await writeFile(join(o.out, 'validation.csv'), validationCsv(rows));
    await writeReportPage(o.out, { command: reproducingCommand(process.argv.slice(2), seed, o.out), validation: rows, plots: [] });
    log.info({ event: 'validation-done', out: o.out }, `validation.csv and report.md in ${o.out}/`);
  }
  await throwIfFailed(rows);
}

export async function runExperimentCli(o: ExperimentCliOptions, log: Logger): Promise<void> {
  if (o.validate) return runValidateCli(o, log);
  const { config, out, jobs } = await experimentConfig(o);
  const { describeDecode, runExperimentAsync } = await import('../bench/research/experiment.js');
  const { describeMode } = await import('../bench/research/trialTypes.js');
  const { summaryTable, writeResults } = await import('../bench/research/report.js');
  const configs = config.schemes.length * config.losses.length * config.receivers.length;
  log.info(
    { event: 'experiment-start', configurations: configs, trials: config.trials, seed: config.seed, mode: config.mode },
    `${configs} configurations × ${config.trials} trials, seed ${config.seed} (${config.mode === 'real' ? describeMode(config) : `simulated on ${jobs} thread(s)`}; decode: ${describeDecode(config)})`,
  );
  const onTrial = (row: TrialRow, timing: TrialTiming) =>
    log.debug(
      { event: 'trial', ...row, wallMs: timing.wallMs },
      `${row.scheme} loss ${row.loss} rx ${row.receivers} trial ${row.trial}: ${row.completed}/${row.receivers} done`,
    );
  const result = await runExperimentAsync(config, onTrial, { jobs });
  const { writePlots } = await import('../bench/research/plots.js');
  const files = await writeResults(out, result); // makes `out`
  const plots = await writePlots(out, result);
  files.push(...plots);
  process.stdout.write(summaryTable(result) + '\n');
  // Every report carries the validation table of this build, run with the experiment's seed.
  const rows = await validate(config.seed, log);
  const { validationCsv } = await import('../bench/research/validation.js');
  const { reproducingCommand, writeReportPage } = await import('../bench/research/reportPage.js');
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await writeFile(join(out, 'validation.csv'), validationCsv(rows));
  files.push(
    join(out, 'validation.csv'),
    await writeReportPage(out, {
      command: reproducingCommand(process.argv.slice(2), config.seed, out),
      result,
      validation: rows,
      plots: plots.filter((f) => f.endsWith('.png')),
    }),
  );
  const note =
    config.mode === 'real' ? 'real transfers: every number is wall-clock, not reproducible' : 'trials.csv is reproducible; timings.csv is wall-clock';
  log.info({ event: 'experiment-done', files }, `results in ${out}/ (${note})`);
  await throwIfFailed(rows);
}

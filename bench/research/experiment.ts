/**
 * The research harness: every combination of scheme × loss × receiver count, `trials` times,
 * each a MulticastSimulation of the real SharedStream and ReceiverCores on virtual time. Seeds
 * derive from the experiment seed, the trial and the receiver only, so the same configuration
 * gives the same trial rows whatever else the run contains.
 *
 * `mode: 'real'` (the `--real` sanity check) runs each trial as a real transfer instead: the
 * product's send() and receive() over loopback sockets (realTrial.ts). Its rows are wall-clock
 * and not reproducible; compare them with the simulated rows of the same configuration.
 *
 * Two kinds of numbers come out, kept apart:
 * - trial rows: symbols sent, symbols received / K, decode failures, virtual completion time,
 *   bytes on the wire — deterministic, identical across runs of the same command and seed;
 * - timings: wall milliseconds of encoding and decoding — machine-dependent, never in the
 *   reproducible table.
 */
import { SeededRandom } from '../../util/random.js';
import { Channel, describeLoss, lossModel, type LossSpec } from './lossModels.js';
import { ModelReceiver } from './modelReceiver.js';
import { SharedSimulation } from './multicastSim.js';
import { isScheme, SCHEMES, schemeCodec, schemeIsSendable, schemeRecovery, schemeResends, schemeSendsSource, type SchemeName } from './schemes.js';
import { summarize, type Summary } from './statistics.js';
import { receiverLoss, receiverSeed, trialSeed, type DecodeMode, type ExperimentConfig, type TrialRow, type TrialTiming } from './trialTypes.js';

export {
  receiverLoss,
  receiverSeed,
  trialSeed,
  type DecodeMode,
  type ExperimentConfig,
  type ExperimentMode,
  type TrialRow,
  type TrialTiming,
} from './trialTypes.js';

/** `--decode auto` decodes for real up to this many receivers (16 MiB each decodes in seconds). */
export const AUTO_REAL_DECODE_MAX = 20;

/** How a configuration with `receivers` receivers decodes (real mode always really decodes). */
export function decodeFor(config: ExperimentConfig, receivers: number): DecodeMode {
  if (config.mode === 'real') return 'real';
  const d = config.decode ?? 'auto';
  return d === 'auto' ? (receivers <= AUTO_REAL_DECODE_MAX ? 'real' : 'model') : d;
}

/** The experiment's decode setting in words, for outputs. */
export function describeDecode(config: ExperimentConfig): string {
  if (config.mode === 'real') return 'real';
  const d = config.decode ?? 'auto';
  if (d !== 'auto') return d;
  const modes = new Set(config.receivers.map((n) => decodeFor(config, n)));
  return modes.size === 1 ? [...modes][0]! : `real up to ${AUTO_REAL_DECODE_MAX} receivers, model above`;
}

/** Real receivers run in this process, each parsing every datagram: more would measure the CPU. */
export const REAL_MAX_RECEIVERS = 20;
/** Real mode runs the whole object through the kernel and the disk. */
export const REAL_MAX_BYTES = 256 << 20;

export interface ConfigSummary {
  decode: DecodeMode;
  scheme: SchemeName;
  loss: string;
  receivers: number;
  overhead: Summary;
  sentPerK: Summary;
  completionMs: Summary;
  decodeFailures: number;
  incomplete: number;
}

export interface ExperimentResult {
  config: ExperimentConfig;
  rows: TrialRow[];
  timings: TrialTiming[];
  summaries: ConfigSummary[];
}

export function runTrial(
  config: ExperimentConfig,
  scheme: SchemeName,
  loss: LossSpec,
  receivers: number,
  trial: number,
): { row: TrialRow; timing: TrialTiming } {
  const wall0 = performance.now();
  const seed = trialSeed(config.seed, trial);
  const data = new SeededRandom(seed).fill(new Uint8Array(config.sizeBytes));
  const codec = schemeCodec(scheme, { lt: config.lt, graphSeed: seed });
  const spread = config.lossSpread ?? 0;
  const sim = new SharedSimulation({
    data,
    codec,
    segmentSize: config.segmentSize ?? 4 << 20,
    symbolSize: config.symbolSize,
    rateBytesPerSecond: config.rateBytesPerSecond ?? 125e6,
    seed,
    maxVirtualMs: config.maxVirtualMs ?? 600_000,
    quantumMs: config.quantumMs ?? 0.25,
    storeOutput: false,
    stream: {
      fixedRate: true,
      recovery: schemeRecovery(scheme),
      sendSource: schemeSendsSource(scheme),
      combineMax: schemeResends(scheme).combineResends ? undefined : 1,
      repeatFinalResends: schemeResends(scheme).repeatFinalResends,
    },
    modelReceiver:
      decodeFor(config, receivers) === 'model'
        ? (layout, window, rSeed) => new ModelReceiver(layout, scheme, codec, window, new SeededRandom(rSeed))
        : undefined,
    receivers: Array.from({ length: receivers }, (_, i) => {
      const rSeed = receiverSeed(seed, i);
      const spec = receiverLoss(loss, spread, i, receivers);
      const channel = new Channel(
        lossModel(spec, new SeededRandom(rSeed)),
        { delayMs: config.delayMs, reorder: config.reorder, reorderMs: config.reorderMs, duplicate: config.duplicate },
        new SeededRandom(rSeed ^ 0x5bd1e995),
      );
      return { id: `r${i}`, loss: spec.kind === 'bernoulli' ? spec.loss : channel.loss.meanLoss, channel };
    }),
  }).run();
  const k = sim.receivers[0]?.core?.stats.symbolsNeeded ?? 0;
  const overheads: number[] = [];
  const completions: number[] = [];
  let failures = 0;
  let decodeMs = 0;
  for (const r of sim.receivers) {
    const st = r.core?.stats;
    failures += st?.decodeFailures ?? 0;
    decodeMs += r.decodeMs;
    if (r.completedAt !== undefined && st) {
      overheads.push(st.symbolsReceived / st.symbolsNeeded - 1);
      completions.push(r.completedAt);
    }
  }
  const stats = sim.stream.stats;
  const lossName = describeLoss(loss);
  return {
    row: {
      mode: 'sim',
      decode: decodeFor(config, receivers),
      scheme,
      loss: lossName,
      receivers,
      trial,
      seed,
      sourceSymbols: k,
      symbolsSent: stats.datagramsSent,
      bytesOnWire: stats.bytesSent,
      overheadMean: overheads.length ? overheads.reduce((a, b) => a + b, 0) / overheads.length : NaN,
      overheadMax: overheads.length ? Math.max(...overheads) : NaN,
      decodeFailures: failures,
      completed: completions.length,
      completionMs: completions.length === receivers ? Math.max(...completions) : NaN,
      completionMeanMs: completions.length ? completions.reduce((a, b) => a + b, 0) / completions.length : NaN,
    },
    timing: { scheme, loss: lossName, receivers, trial, encodeMs: sim.senderMs, decodeMs, wallMs: performance.now() - wall0, cpuMs: NaN, unsimulatedLoss: NaN },
  };
}

type TrialRunner = (config: ExperimentConfig, scheme: SchemeName, loss: LossSpec, receivers: number, trial: number) => { row: TrialRow; timing: TrialTiming };
type AsyncTrialRunner = (...args: Parameters<TrialRunner>) => Promise<ReturnType<TrialRunner>>;

/** Every configuration × trial in a fixed order, summarized per configuration. */
function* plan(config: ExperimentConfig) {
  for (const scheme of config.schemes) for (const loss of config.losses) for (const receivers of config.receivers) yield { scheme, loss, receivers };
}

function summarizeConfig(scheme: SchemeName, loss: LossSpec, receivers: number, mine: TrialRow[]): ConfigSummary {
  return {
    decode: mine[0]!.decode,
    scheme,
    loss: describeLoss(loss),
    receivers,
    overhead: summarize(mine.map((r) => r.overheadMean)),
    sentPerK: summarize(mine.map((r) => r.symbolsSent / r.sourceSymbols)),
    completionMs: summarize(mine.map((r) => r.completionMs)),
    decodeFailures: mine.reduce((a, r) => a + r.decodeFailures, 0),
    incomplete: mine.reduce((a, r) => a + (receivers - r.completed), 0),
  };
}

/** The simulated experiment (synchronous: virtual time only). */
export function runExperiment(config: ExperimentConfig, onTrial?: (row: TrialRow, timing: TrialTiming) => void): ExperimentResult {
  validateConfig(config);
  if ((config.mode ?? 'sim') !== 'sim') throw new ExperimentConfigError('runExperiment simulates; a real-mode experiment runs through runExperimentAsync');
  const result: ExperimentResult = { config, rows: [], timings: [], summaries: [] };
  for (const { scheme, loss, receivers } of plan(config)) {
    const mine: TrialRow[] = [];
    for (let trial = 0; trial < config.trials; trial++) {
      const { row, timing } = runTrial(config, scheme, loss, receivers, trial);
      mine.push(row);
      result.timings.push(timing);
      onTrial?.(row, timing);
    }
    result.rows.push(...mine);
    result.summaries.push(summarizeConfig(scheme, loss, receivers, mine));
  }
  return result;
}

/**
 * Either mode. Simulated trials run on `jobs` worker threads (same rows, in the same order, as
 * one thread); real trials run one after another (each is a real transfer on this machine).
 */
export async function runExperimentAsync(
  config: ExperimentConfig,
  onTrial?: (row: TrialRow, timing: TrialTiming) => void,
  options: { jobs?: number } = {},
): Promise<ExperimentResult> {
  validateConfig(config);
  const real = config.mode === 'real';
  const jobs = options.jobs ?? 1;
  if (!real && jobs <= 1) return runExperiment(config, onTrial);
  const configs = [...plan(config)];
  const tasks = configs.flatMap((c) => Array.from({ length: config.trials }, (_, trial) => ({ ...c, trial })));
  let done: { row: TrialRow; timing: TrialTiming }[];
  if (real) {
    const run: AsyncTrialRunner =
      config.realLoss === 'kernel' ? (await import('./kernelLossTrial.js')).runKernelLossTrial : (await import('./realTrial.js')).runRealTrial;
    done = [];
    for (const t of tasks) {
      const r = await run(config, t.scheme, t.loss, t.receivers, t.trial);
      done.push(r);
      onTrial?.(r.row, r.timing);
    }
  } else {
    const { runTrialsInWorkers } = await import('./trialPool.js');
    done = await runTrialsInWorkers(config, tasks, jobs, onTrial);
  }
  const result: ExperimentResult = { config, rows: done.map((d) => d.row), timings: done.map((d) => d.timing), summaries: [] };
  for (const [i, { scheme, loss, receivers }] of configs.entries()) {
    result.summaries.push(summarizeConfig(scheme, loss, receivers, result.rows.slice(i * config.trials, (i + 1) * config.trials)));
  }
  return result;
}

export class ExperimentConfigError extends Error {
  override readonly name = 'ExperimentConfigError';
}

export function validateConfig(c: ExperimentConfig): void {
  const bad = (why: string) => {
    throw new ExperimentConfigError(why);
  };
  if (!Array.isArray(c.schemes) || c.schemes.length === 0) bad('no schemes');
  for (const s of c.schemes) if (!isScheme(String(s))) bad(`unknown scheme "${String(s)}" (${SCHEMES.join(', ')})`);
  if (!Array.isArray(c.losses) || c.losses.length === 0) bad('no loss configurations');
  if (!Array.isArray(c.receivers) || c.receivers.length === 0 || c.receivers.some((n) => !Number.isInteger(n) || n < 1 || n > 100_000))
    bad(`receivers ${c.receivers} must be integers in 1..100000`);
  if (!Number.isInteger(c.sizeBytes) || c.sizeBytes < 1 || c.sizeBytes > 1 << 30) bad(`size ${c.sizeBytes} must be 1 B..1 GiB`);
  if (!Number.isInteger(c.trials) || c.trials < 1) bad(`trials ${c.trials} must be a positive integer`);
  if (!Number.isInteger(c.seed)) bad(`seed ${c.seed} must be an integer`);
  if (c.decode !== undefined && c.decode !== 'real' && c.decode !== 'model' && c.decode !== 'auto') bad(`decode "${c.decode}" must be real, model or auto`);
  if (c.lossSpread !== undefined && !(c.lossSpread >= 0 && c.lossSpread <= 1)) bad(`loss spread ${c.lossSpread} must be in [0, 1]`);
  for (const [name, v] of [
    ['reorder', c.reorder],
    ['duplicate', c.duplicate],
  ] as const)
    if (v !== undefined && !(v >= 0 && v <= 1)) bad(`${name} ${v} must be in [0, 1]`);
  if (c.rateBytesPerSecond !== undefined && !(c.rateBytesPerSecond > 0 && c.rateBytesPerSecond <= 10e9))
    bad(`rate ${c.rateBytesPerSecond} B/s must be in (0, 10 GB/s]`);
  if (c.lt?.c !== undefined && !(c.lt.c > 0 && c.lt.c <= 10)) bad(`LT c = ${c.lt.c} must be in (0, 10]`);
  if (c.lt?.delta !== undefined && !(c.lt.delta > 0 && c.lt.delta < 1)) bad(`LT δ = ${c.lt.delta} must be in (0, 1)`);
  if (c.mode !== undefined && c.mode !== 'sim' && c.mode !== 'real') bad(`mode "${c.mode}" must be sim or real`);
  if (c.realLoss !== undefined && c.realLoss !== 'intake' && c.realLoss !== 'kernel') bad(`realLoss "${c.realLoss}" must be intake or kernel`);
  if (c.realLoss === 'kernel') {
    if (c.mode !== 'real') bad('--kernel-loss is a way to run --real; add --real');
    if (c.losses.some((l) => l.kind !== 'bernoulli')) bad('--kernel-loss drops datagrams independently (nftables): give --loss rates, not --burst');
  }
  if (c.mode === 'real') {
    // Real mode is a sanity check of the simulation on this machine, not a way to run big ones.
    if (c.receivers.some((n) => n > REAL_MAX_RECEIVERS)) bad(`--real runs at most ${REAL_MAX_RECEIVERS} receivers (in this process); simulate larger counts`);
    if (c.sizeBytes > REAL_MAX_BYTES) bad(`--real moves at most ${REAL_MAX_BYTES >> 20} MiB per trial`);
    if (c.decode === 'model') bad('--real decodes for real; --decode model is for simulations');
    if (c.reorder || c.duplicate) bad('--real cannot reorder or duplicate datagrams (the kernel delivers them); drop --reorder/--duplicate');
    for (const s of c.schemes)
      if (!schemeIsSendable(s)) bad(`--real runs what send() can send; "${s}" is simulated only (lt-systematic is LT as send() sends it)`);
    if (c.lt?.c !== undefined || c.lt?.delta !== undefined) bad('--real runs LT with its wire defaults; drop --lt-c/--lt-delta');
  }
}

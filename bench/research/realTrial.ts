/**
 * One `--real` trial: the experiment's configuration run as a real transfer on this machine, to
 * check the simulation against the product. The same seeded object goes through the product's
 * send() (one shared broadcast stream to 127.255.255.255, loopback only) to `receivers` receive()
 * calls in this process, each dropping datagrams at intake through the same seeded channel model
 * the simulation gives that receiver. Pacing is fixed, as in the simulation.
 *
 * What differs from the simulation, by design: time is the wall clock (report delays, worker
 * hand-offs and the kernel's own drops are real), so rows are not reproducible; the kernel may
 * lose datagrams on top of the model (reported as `unsimulatedLoss`, which should stay near 0 —
 * if not, lower `--rate`); reordering and duplication cannot be injected.
 */
import { createSocket } from 'node:dgram';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { planSegments, segmentRange } from '../../encoder/segmentLayout.js';
import { receive, type ReceiveSummary } from '../../receiver/receive.js';
import { send } from '../../sender/send.js';
import { SeededRandom } from '../../util/random.js';
import { receiverLoss, receiverSeed, trialSeed, type ExperimentConfig, type TrialRow, type TrialTiming } from './trialTypes.js';
import { describeLoss, lossModel, type LossSpec } from './lossModels.js';
import { schemeCodecName, schemeRecovery, schemeResends, type SchemeName } from './schemes.js';

/** Loopback broadcast: reaches every socket bound to the port on this host, nothing beyond it. */
export const REAL_BROADCAST_ADDRESS = '127.255.255.255';
/** Default pace: in-process receivers share one main thread, so it shrinks as they multiply. */
export function defaultRealRate(receivers: number): number {
  return Math.min(25e6, 50e6 / receivers);
}
/** A trial that has not finished by then is ended and counted incomplete. @default */
const REAL_TRIAL_TIMEOUT_MS = 120_000;

const silent = pino({ level: 'silent' });

/** A UDP port nobody on this host is bound to right now (the broadcast stream's port). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', resolve);
  });
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function runRealTrial(
  config: ExperimentConfig,
  scheme: SchemeName,
  loss: LossSpec,
  receivers: number,
  trial: number,
): Promise<{ row: TrialRow; timing: TrialTiming }> {
  const seed = trialSeed(config.seed, trial);
  const dir = await mkdtemp(join(tmpdir(), 'fountcast-real-'));
  const timeout = AbortSignal.timeout(config.maxVirtualMs ?? REAL_TRIAL_TIMEOUT_MS);
  try {
    const file = join(dir, 'object.bin');
    await writeFile(file, new SeededRandom(seed).fill(new Uint8Array(config.sizeBytes)));
    const dataPort = await freeUdpPort();
    const rate = config.rateBytesPerSecond ?? defaultRealRate(receivers);
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    let onPort!: (port: number) => void;
    const listening = new Promise<number>((r) => (onPort = r));
    const sending = send({
      file,
      host: '127.0.0.1',
      port: 0,
      codec: schemeCodecName(scheme),
      recovery: schemeRecovery(scheme),
      ...schemeResends(scheme),
      rateBitsPerSecond: rate * 8,
      fixedRate: true,
      streamNice: 0, // receivers on this host, and results comparable with earlier trials
      segmentSize: config.segmentSize ?? 4 << 20,
      symbolSize: config.symbolSize ?? 1392,
      receivers,
      // Everyone joins before the first symbol, as in the simulation.
      minReceivers: receivers,
      broadcast: { port: dataPort, address: REAL_BROADCAST_ADDRESS },
      signal: timeout,
      logger: silent,
      onListening: (a) => a && onPort(a.port),
    });
    const controlPort = await Promise.race([listening, sending.then(() => Promise.reject(new Error('the sender ended before listening')))]);
    const spread = config.lossSpread ?? 0;
    const outcomes = await Promise.all(
      Array.from({ length: receivers }, async (_, i) => {
        const model = lossModel(receiverLoss(loss, spread, i, receivers), new SeededRandom(receiverSeed(seed, i)));
        const out = join(dir, `r${i}`);
        await mkdir(out);
        try {
          const summary = await receive({
            host: '127.0.0.1',
            port: controlPort,
            out,
            receiverId: `r${i}`,
            intakeLoss: { drop: () => model.lost() },
            decodeWorkers: 1,
            signal: timeout,
            logger: silent,
          });
          return { summary, at: performance.now() - wall0 };
        } catch {
          return undefined;
        }
      }),
    );
    const sent = await sending;
    const cpu = process.cpuUsage(cpu0);
    const done = outcomes.filter((o): o is { summary: ReceiveSummary; at: number } => o !== undefined);
    const unsimulated = done.map(
      ({ summary: s }) => Math.max(0, s.datagramsLost - (s.drops['simulated-loss'] ?? 0)) / Math.max(1, s.datagramsLost + s.datagramsReceived),
    );
    return realTrialResult(
      { config, scheme, loss, receivers, trial, seed },
      done,
      { datagramsSent: sent.sharedStream?.datagramsSent ?? NaN, bytesSent: sent.sharedStream?.bytesSent ?? NaN },
      { wallMs: performance.now() - wall0, cpuMs: (cpu.user + cpu.system) / 1000, unsimulatedLoss: unsimulated },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a real trial measured, as the experiment's row and timing (also kernelLossTrial.ts). */
export function realTrialResult(
  t: { config: ExperimentConfig; scheme: SchemeName; loss: LossSpec; receivers: number; trial: number; seed: number },
  done: readonly { summary: Pick<ReceiveSummary, 'symbolsReceived' | 'symbolsNeeded' | 'decodeFailures'>; at: number }[],
  sent: { datagramsSent: number; bytesSent: number },
  measured: { wallMs: number; cpuMs: number; unsimulatedLoss: readonly number[] },
): { row: TrialRow; timing: TrialTiming } {
  const { config, scheme, receivers, trial, seed } = t;
  const overheads = done.map((o) => o.summary.symbolsReceived / o.summary.symbolsNeeded - 1);
  const completions = done.map((o) => o.at);
  const layout = planSegments(config.sizeBytes, { segmentSize: config.segmentSize ?? 4 << 20, symbolSize: config.symbolSize ?? 1392 });
  let sourceSymbols = 0;
  for (let i = 0; i < layout.segmentCount; i++) sourceSymbols += segmentRange(layout, i).sourceSymbols;
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const lossName = describeLoss(t.loss);
  return {
    row: {
      mode: 'real',
      decode: 'real',
      scheme,
      loss: lossName,
      receivers,
      trial,
      seed,
      sourceSymbols,
      symbolsSent: sent.datagramsSent,
      bytesOnWire: sent.bytesSent,
      overheadMean: mean(overheads),
      overheadMax: overheads.length ? Math.max(...overheads) : NaN,
      decodeFailures: done.reduce((a, o) => a + o.summary.decodeFailures, 0),
      completed: done.length,
      completionMs: done.length === receivers ? Math.max(...completions) : NaN,
      completionMeanMs: mean(completions),
    },
    timing: {
      scheme,
      loss: lossName,
      receivers,
      trial,
      encodeMs: NaN,
      decodeMs: NaN,
      wallMs: measured.wallMs,
      cpuMs: measured.cpuMs,
      unsimulatedLoss: mean(measured.unsimulatedLoss),
    },
  };
}

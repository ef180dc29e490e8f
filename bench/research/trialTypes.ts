/**
 * The experiment's configuration, its trial rows and timings, and the seed and loss derivations
 * that simulated (experiment.ts) and real (realTrial.ts) trials share. A file of its own so the
 * trial runners import it rather than the experiment that dynamically imports them.
 */
import type { LossSpec } from './lossModels.js';
import type { LtParameters, SchemeName } from './schemes.js';

export interface ExperimentConfig {
  schemes: SchemeName[];
  /** Each is one channel configuration: a Bernoulli rate or a Gilbert–Elliott chain. */
  losses: LossSpec[];
  receivers: number[];
  sizeBytes: number;
  /** @default 1392 */
  symbolSize?: number;
  /** @default 4 MiB */
  segmentSize?: number;
  trials: number;
  seed: number;
  /** LT's robust soliton c and δ (lt, lt-ge, lt-systematic). @default c 0.03, δ 0.5 */
  lt?: LtParameters;
  /** Simulated link rate, bytes/s (fixed pacing). @default 125e6 (1 Gbit/s) */
  rateBytesPerSecond?: number;
  /**
   * Heterogeneous receivers: receiver i of n gets the Bernoulli rate × (1 − s + 2s·i/(n−1)),
   * so the mean stays the configured rate. 0 = all alike. @default 0
   */
  lossSpread?: number;
  /** @default 0.25 */
  delayMs?: number;
  /** Probability a datagram is held back by up to reorderMs. @default 0 */
  reorder?: number;
  reorderMs?: number;
  /** Probability a datagram is delivered twice. @default 0 */
  duplicate?: number;
  /** Virtual-time limit per trial. @default 600000 */
  maxVirtualMs?: number;
  /**
   * `real`: every receiver runs a ReceiverCore and really decodes and hashes. `model`: receivers
   * are ModelReceivers whose decode success is predicted (decodeModels.ts) — for runs too large
   * to decode. `auto`: real up to AUTO_REAL_DECODE_MAX receivers, model above; every row says
   * which. @default 'auto'
   */
  decode?: DecodeMode | 'auto';
  /** Simulation time step (see SharedSimOptions.quantumMs). @default 0.25 */
  quantumMs?: number;
  /**
   * `sim`: virtual time, reproducible. `real`: real transfers over loopback sockets (one
   * broadcast stream on 127.255.255.255), wall-clock; at most REAL_MAX_RECEIVERS receivers.
   * @default 'sim'
   */
  mode?: ExperimentMode;
  /**
   * Real mode only: where datagrams are lost. `intake`: at each receiver's intake, by the same
   * seeded model the simulation uses (one process, loopback). `kernel`: by nftables in each
   * receiver's own network namespace on a virtual LAN, one process per host
   * (kernelLossTrial.ts; root, iproute2 and nftables; independent loss only). @default 'intake'
   */
  realLoss?: 'intake' | 'kernel';
}

export type DecodeMode = 'real' | 'model';
export type ExperimentMode = 'sim' | 'real';

export interface TrialRow {
  mode: ExperimentMode;
  decode: DecodeMode;
  scheme: SchemeName;
  loss: string;
  receivers: number;
  trial: number;
  seed: number;
  /** K summed over segments. */
  sourceSymbols: number;
  symbolsSent: number;
  bytesOnWire: number;
  /** Mean and max over receivers of symbols received / K − 1. */
  overheadMean: number;
  overheadMax: number;
  decodeFailures: number;
  completed: number;
  /** Ms until the last receiver completed (the session's length): virtual in sim, wall in real. */
  completionMs: number;
  completionMeanMs: number;
}

export interface TrialTiming {
  scheme: SchemeName;
  loss: string;
  receivers: number;
  trial: number;
  /** Sim: wall ms spent in the sender core and in decoding (NaN in real mode: threads overlap). */
  encodeMs: number;
  decodeMs: number;
  wallMs: number;
  /** Real mode: this process's CPU ms (user + system, every thread) over the trial. */
  cpuMs: number;
  /** Real mode: mean over receivers of the loss the kernel added to the simulated loss. */
  unsimulatedLoss: number;
}

/** Seed of one trial's data and channels: depends on the experiment seed and trial only. */
export function trialSeed(seed: number, trial: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(trial + 1, 0x85ebca6b)) >>> 0;
}

/** Receiver i's seed for its channel (the same in sim and real mode). */
export function receiverSeed(trialSeed: number, i: number): number {
  return (trialSeed ^ Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
}

export function receiverLoss(spec: LossSpec, spread: number, i: number, n: number): LossSpec {
  if (spec.kind !== 'bernoulli' || spread === 0 || n < 2) return spec;
  return { kind: 'bernoulli', loss: Math.min(1, spec.loss * (1 - spread + (2 * spread * i) / (n - 1))) };
}

/** How a configuration's trials ran, in words (reports and logs). */
export function describeMode(c: Pick<ExperimentConfig, 'mode' | 'realLoss'>): string {
  if (c.mode !== 'real') return 'simulated on virtual time';
  return c.realLoss === 'kernel'
    ? 'real transfers on a virtual LAN of network namespaces, loss dropped by nftables'
    : 'real transfers over loopback, loss at intake';
}

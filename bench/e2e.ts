/**
 * End-to-end loopback benchmark: a 256 MiB file to 1 and 4 unicast receivers (separate
 * processes) at 0 % and 5 % simulated loss, with the raw node:dgram ceiling and the standalone
 * codec decode rate measured in the same run as baselines. The receivers start first and wait for
 * the sender (as the ceiling's receivers are up before its clock starts). Goodput is file bytes
 * over the time from the sender listening (its one-off start-up, reported apart) to every
 * receiver done; the median of `repeat` runs of every configuration. One line per
 * configuration; results returned for bench/run.ts to write as JSON.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datagramLength } from '../encoder/datagram.js';
import { crc32Scheme } from '../encoder/integrity.js';
import type { RecoveryMode } from '../sender/streamCore.js';
import { SeededRandom } from '../util/random.js';
import { codecDecodeRate, hostHashRates } from './hostRates.js';
import { runRawBlast, type BlastFlavour, type BlastResult } from './rawBlast.js';
import { segmentHashImplementation } from '../control/segmentHash.js';

export interface E2EResult {
  receivers: number;
  loss: number;
  recovery: RecoveryMode;
  sizeMiB: number;
  /** Sender start-up: process, reading and hashing the file, listening (once per file served). */
  prepareSeconds: number;
  /** From the sender listening to every receiver done (receiver process start-up included). */
  wallSeconds: number;
  /**
   * The slowest receiver's own transfer time: from its Request (manifest checked, output file
   * created) to the file verified, fsynced and renamed. Process start-up, module loading and the
   * handshake are outside it, as they are outside the raw blast's time (its receivers are
   * started before the clock). `transferGoodputMBps` is size / this.
   */
  transferSeconds: number;
  transferGoodputMBps: number;
  /** Goodput of every repeat of this configuration; `goodputMBps` is their median. */
  goodputRunsMBps?: number[];
  goodputMBps: number;
  receptionOverhead: number;
  senderCpuSeconds: number;
  receiverCpuSeconds: number[];
  /** Sender CPU ms per MiB per stream, and the busiest receiver's CPU ms per MiB (both whole processes). */
  senderCpuMsPerMiB?: number;
  receiverCpuMsPerMiB?: number;
  senderPeakRssMiB: number;
  receiverPeakRssMiB: number[];
  allIdentical: boolean;
  /** Per process (sender, then receivers): the implementation MAC and encrypted modes ran on. */
  crypto: { mac?: string; encrypt?: string }[];
}

interface ChildReport {
  type: string;
  result?: { symbolsReceived?: number; symbolsNeeded?: number; path?: string; seconds?: number };
  cpuSeconds: number;
  maxRssMiB: number;
  message?: string;
  port?: number;
  /** The implementations the process's MAC and encrypted modes use (native or node:crypto). */
  crypto?: { mac?: string; encrypt?: string };
}

const child = fileURLToPath(new URL('./e2eChild.js', import.meta.url));

function spawnRole(args: string[], onMessage?: (m: ChildReport) => void, env?: NodeJS.ProcessEnv): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    // FOUNTCAST_BENCH_CPU_PROF=DIR: every sender and receiver process writes a V8 CPU profile there.
    const profDir = process.env.FOUNTCAST_BENCH_CPU_PROF;
    const execArgv = profDir ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${profDir}`] : undefined;
    const p = fork(child, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: env && { ...process.env, ...env }, execArgv });
    let final: ChildReport | undefined;
    p.on('message', (m: ChildReport) => {
      if (m.type === 'done' || m.type === 'failed') final = m;
      else onMessage?.(m);
    });
    p.on('exit', (code) => {
      if (final?.type === 'done') resolve(final);
      else reject(new Error(`${args[0]} process failed (exit ${code}): ${final?.message ?? 'no report'}`));
    });
  });
}

/** A TCP port free on 127.0.0.1 just now (the receivers must know it before the sender starts). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

export async function makeFile(dir: string, sizeMiB: number): Promise<string> {
  const path = join(dir, `src-${sizeMiB}MiB.bin`);
  const fh = await open(path, 'w');
  const r = new SeededRandom(1234);
  const chunk = new Uint8Array(1 << 20);
  for (let i = 0; i < sizeMiB; i++) await fh.write(r.fill(chunk), 0, chunk.length, i << 20);
  await fh.close();
  return path;
}

/** Security mode of a transfer: open (CRC), mac (enrolled receivers, HMAC) or encrypt (AES-GCM). */
export type SecurityMode = 'open' | 'mac' | 'encrypt';

export async function runTransfer(
  file: string,
  dir: string,
  sizeMiB: number,
  receivers: number,
  loss: number,
  sourceHash: string,
  recovery: RecoveryMode = 'auto',
  opts: { security?: { mode: SecurityMode; keysDir: string; keyFiles: string[] }; rateBits?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<E2EResult> {
  const { security } = opts;
  const port = await freePort();
  const rate = opts.rateBits === undefined ? '-' : String(opts.rateBits);
  const secure = security && security.mode !== 'open' ? [security.mode, security.keysDir] : [];
  const outs = await Promise.all(
    Array.from({ length: receivers }, async (_, i) => {
      const out = join(dir, `out-${receivers}-${loss}-${i}`);
      await mkdir(out, { recursive: true });
      return out;
    }),
  );
  // The receivers are up first and wait for the sender, as the ceiling's receivers are before
  // its clock starts (and as the peers race starts them): their process start-up is not the
  // transfer's. They get 0.2 + 0.05 N s after reporting ready.
  let ready = 0;
  let allReady!: () => void;
  const receiversReady = new Promise<void>((r) => (allReady = r));
  const rxDone = outs.map((out, i) =>
    spawnRole(
      ['receive', String(port), out, String(loss), String(100 + i), ...(secure.length ? [security!.keyFiles[i]!] : [])],
      (m) => m.type === 'ready' && ++ready === receivers && allReady(),
      opts.env,
    ),
  );
  await Promise.race([receiversReady, Promise.all(rxDone)]);
  await new Promise((r) => setTimeout(r, 200 + 50 * receivers));
  let resolveListening!: () => void;
  const listeningNow = new Promise<void>((r) => (resolveListening = r));
  const start = performance.now();
  const sender = spawnRole(
    ['send', file, String(receivers), recovery, rate, String(port), ...secure],
    (m) => m.type === 'listening' && resolveListening(),
    opts.env,
  );
  await Promise.race([listeningNow, sender]);
  const listening = performance.now();
  const rx = await Promise.all(rxDone);
  const wallSeconds = (performance.now() - listening) / 1000;
  const tx = await sender;
  const hashes = await Promise.all(rx.map((r) => sha256(r.result!.path!)));
  await Promise.all(outs.map((o) => rm(o, { recursive: true, force: true })));
  const transferSeconds = Math.max(...rx.map((r) => r.result!.seconds!));
  const overheads = rx.map((r) => r.result!.symbolsReceived! / r.result!.symbolsNeeded! - 1);
  return {
    receivers,
    loss,
    recovery,
    sizeMiB,
    prepareSeconds: (listening - start) / 1000,
    wallSeconds,
    goodputMBps: (sizeMiB * 1.048576) / wallSeconds,
    transferSeconds,
    transferGoodputMBps: (sizeMiB * 1.048576) / transferSeconds,
    receptionOverhead: Math.max(...overheads),
    senderCpuSeconds: tx.cpuSeconds,
    receiverCpuSeconds: rx.map((r) => r.cpuSeconds),
    senderPeakRssMiB: tx.maxRssMiB,
    receiverPeakRssMiB: rx.map((r) => r.maxRssMiB),
    allIdentical: hashes.every((h) => h === sourceHash),
    crypto: [tx, ...rx].map((r) => r.crypto ?? {}),
  };
}

export interface E2EReport {
  /** Segment-digest (BLAKE3), SHA-256 and CRC-32 rates of this host, measured in the same run (hostHashRates). */
  hostHash: { segmentHashMBps: number; sha256MBps: number; crc32MBps: number };
  /** The plain node:dgram blast (the ceiling), by receiver count. */
  ceiling: Record<string, BlastResult>;
  /** The lean blast: the socket paths fountcast itself uses (rawBlast.ts). */
  leanCeiling: Record<string, BlastResult>;
  codecDecodeMBps: Record<string, number>;
  transfers: E2EResult[];
}

/** Runs a configuration `repeat` times and keeps the median run (the machine may be shared). */
async function medianOf(repeat: number, run: () => Promise<E2EResult>): Promise<E2EResult> {
  const runs: E2EResult[] = [];
  for (let i = 0; i < repeat; i++) runs.push(await run());
  runs.sort((a, b) => a.goodputMBps - b.goodputMBps);
  const median = runs[Math.floor((runs.length - 1) / 2)]!;
  return { ...median, allIdentical: runs.every((r) => r.allIdentical), goodputRunsMBps: runs.map((r) => r.goodputMBps) };
}

export async function runE2EBenchmarks(
  opts: { sizeMiB?: number; receivers?: number[]; losses?: number[]; recoveries?: RecoveryMode[]; repeat?: number; rateBits?: number } = {},
): Promise<E2EReport> {
  const sizeMiB = opts.sizeMiB ?? 256;
  const dir = await mkdtemp('/dev/shm/fountcast-bench-');
  try {
    const file = await makeFile(dir, sizeMiB);
    const sourceHash = await sha256(file);
    const datagrams = Math.ceil((sizeMiB << 20) / 1392);
    const size = datagramLength(1392, crc32Scheme);
    const report: E2EReport = { hostHash: hostHashRates(), ceiling: {}, leanCeiling: {}, codecDecodeMBps: {}, transfers: [] };
    console.log(
      `bench=host-hash blake3_mb_per_s=${report.hostHash.segmentHashMBps.toFixed(0)} (${segmentHashImplementation()}) sha256_mb_per_s=${report.hostHash.sha256MBps.toFixed(0)} crc32_mb_per_s=${report.hostHash.crc32MBps.toFixed(0)} (per-byte work both ends must do that the raw blasts do not)`,
    );
    for (const loss of opts.losses ?? [0, 0.05]) {
      const rate = codecDecodeRate(loss);
      report.codecDecodeMBps[String(loss)] = rate;
      console.log(`bench=codec op=decode segment_mib=4 loss=${loss} mb_per_s=${rate.toFixed(1)}`);
    }
    for (const receivers of opts.receivers ?? [1, 4]) {
      // The ceiling varies run to run as much as the transfers do: the median of as many blasts.
      // Both flavours (rawBlast.ts): node:dgram as documented, and the lean path fountcast uses.
      const ceiling = async (flavour: BlastFlavour): Promise<BlastResult> => {
        const blasts: BlastResult[] = [];
        for (let i = 0; i < (opts.repeat ?? 3); i++) blasts.push(await runRawBlast(receivers, datagrams, size, flavour));
        blasts.sort((a, b) => a.goodputMBps - b.goodputMBps);
        const blast = blasts[Math.floor((blasts.length - 1) / 2)]!;
        console.log(
          `bench=${flavour === 'plain' ? 'raw-dgram' : 'raw-lean'} receivers=${receivers} datagrams=${datagrams} bytes=${size} seconds=${blast.seconds.toFixed(3)} ` +
            `worst_received=${(blast.worstReceivedFraction * 100).toFixed(1)}% goodput_mb_per_s=${blast.goodputMBps.toFixed(1)} runs=${blasts.length} runs_mb_per_s=${blasts.map((b) => b.goodputMBps.toFixed(1)).join('/')} ` +
            `sender_cpu_ms_per_mib=${blast.senderCpuMsPerMiB.toFixed(2)} receiver_cpu_ms_per_mib=${blast.receiverCpuMsPerMiB.toFixed(2)}`,
        );
        return blast;
      };
      const blast = await ceiling('plain');
      const lean = await ceiling('lean');
      report.ceiling[String(receivers)] = blast;
      report.leanCeiling[String(receivers)] = lean;
      const runs = (opts.losses ?? [0, 0.05]).flatMap((loss) =>
        loss === 0 ? [{ loss, recovery: 'auto' as const }] : (opts.recoveries ?? ['auto', 'fountain']).map((recovery) => ({ loss, recovery })),
      );
      for (const { loss, recovery } of runs) {
        const r = await medianOf(opts.repeat ?? 3, () => runTransfer(file, dir, sizeMiB, receivers, loss, sourceHash, recovery, { rateBits: opts.rateBits }));
        report.transfers.push(r);
        const vsCeiling = r.goodputMBps / blast.goodputMBps;
        const vsCodec = r.goodputMBps / report.codecDecodeMBps[String(loss)]!;
        // The CPU figures: sender per stream (it serves `receivers` of them), the busiest receiver; beside the plain blast's.
        const senderMsPerMiB = (r.senderCpuSeconds * 1e3) / receivers / sizeMiB;
        const receiverMsPerMiB = (Math.max(...r.receiverCpuSeconds) * 1e3) / sizeMiB;
        const cpu =
          `sender_cpu_ms_per_mib=${senderMsPerMiB.toFixed(2)} receiver_cpu_ms_per_mib=${receiverMsPerMiB.toFixed(2)} ` +
          `sender_cpu_vs_raw=${(senderMsPerMiB / blast.senderCpuMsPerMiB).toFixed(2)} receiver_cpu_vs_raw=${(receiverMsPerMiB / blast.receiverCpuMsPerMiB).toFixed(2)}`;
        r.senderCpuMsPerMiB = senderMsPerMiB;
        r.receiverCpuMsPerMiB = receiverMsPerMiB;
        const transfer = `transfer_s=${r.transferSeconds.toFixed(2)} transfer_mb_per_s=${r.transferGoodputMBps.toFixed(1)} transfer_vs_raw=${(r.transferGoodputMBps / blast.goodputMBps).toFixed(2)} transfer_vs_raw_lean=${(r.transferGoodputMBps / lean.goodputMBps).toFixed(2)} transfer_vs_codec_decode=${(r.transferGoodputMBps / report.codecDecodeMBps[String(loss)]!).toFixed(2)}`;
        console.log(
          `bench=e2e receivers=${receivers} loss=${loss} recovery=${recovery} rate=${opts.rateBits ?? 'default'} size_mib=${sizeMiB} runs=${r.goodputRunsMBps!.length} prepare_s=${r.prepareSeconds.toFixed(2)} wall_s=${r.wallSeconds.toFixed(2)} goodput_mb_per_s=${r.goodputMBps.toFixed(1)} ` +
            `vs_raw=${vsCeiling.toFixed(2)} vs_raw_lean=${(r.goodputMBps / lean.goodputMBps).toFixed(2)} vs_codec_decode=${vsCodec.toFixed(2)} ${transfer} overhead=${(r.receptionOverhead * 100).toFixed(2)}% ` +
            `sender_cpu_s=${r.senderCpuSeconds.toFixed(2)} receiver_cpu_s=${r.receiverCpuSeconds.map((c) => c.toFixed(2)).join('/')} ${cpu} ` +
            `sender_rss_mib=${r.senderPeakRssMiB.toFixed(0)} receiver_rss_mib=${Math.max(...r.receiverPeakRssMiB).toFixed(0)} identical=${r.allIdentical}`,
        );
      }
    }
    return report;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

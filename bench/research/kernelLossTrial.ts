/**
 * One `--real --kernel-loss` trial: the real transfer of realTrial.ts, but with the loss where
 * a network has it. The sender and each receiver run as processes of their own, each in its
 * network namespace on a virtual LAN (netnsLab.ts), the sender on a multicast group; each
 * receiver's namespace drops its configured share of incoming UDP with nftables, so no
 * datagram the kernel dropped ever reaches the product's receive path. A researcher compares
 * these rows with the simulation's and with intake loss (`--real` alone).
 *
 * Only independent (Bernoulli) loss: nftables draws each drop on its own. `unsimulatedLoss` is
 * the loss a receiver saw beyond what its rule dropped (it should stay near 0; if not, lower
 * `--rate`). Wall-clock, not reproducible.
 */
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { SeededRandom } from '../../util/random.js';
import { distPath } from '../../util/workerUrl.js';
import { NetnsLab, LAB_INTERFACE } from './netnsLab.js';
import type { ReceiverPeerJob, ReceiverPeerResult, SenderPeerJob, SenderPeerResult } from './netnsPeer.js';
import { defaultRealRate, realTrialResult } from './realTrial.js';
import { schemeCodecName, schemeRecovery, schemeResends, type SchemeName } from './schemes.js';
import { receiverLoss, trialSeed, type ExperimentConfig, type TrialRow, type TrialTiming } from './trialTypes.js';
import type { LossSpec } from './lossModels.js';

// Under dist/ whether this module runs from its own file or from the CLI's bundle (scripts/bundleCli.mjs).
const PEER = distPath('bench/research/netnsPeer.js');
const CONTROL_PORT = 7070;
const DATA_PORT = 7071;
const GROUP = '239.255.42.77';
const TIMEOUT_MS = 120_000;

/** The JSON lines a peer prints: `listening` (the sender), then `result` or `error`. */
function peerLines(child: ChildProcess, onListening?: () => void): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let outcome: unknown;
    createInterface({ input: child.stdout! }).on('line', (l) => {
      let m: { listening?: boolean; result?: unknown; error?: string };
      try {
        m = JSON.parse(l) as typeof m;
      } catch {
        return; // not ours
      }
      if (m.listening) onListening?.();
      else if (m.error !== undefined) outcome = new Error(m.error);
      else if (m.result !== undefined) outcome = m.result;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (outcome instanceof Error) reject(outcome);
      else if (outcome !== undefined) resolve(outcome);
      else reject(new Error(`peer exited with ${code} and no result`));
    });
  });
}

export async function runKernelLossTrial(
  config: ExperimentConfig,
  scheme: SchemeName,
  loss: LossSpec,
  receivers: number,
  trial: number,
): Promise<{ row: TrialRow; timing: TrialTiming }> {
  const seed = trialSeed(config.seed, trial);
  const spread = config.lossSpread ?? 0;
  const losses = Array.from({ length: receivers }, (_, i) => {
    const spec = receiverLoss(loss, spread, i, receivers);
    if (spec.kind !== 'bernoulli') throw new Error('--kernel-loss drops datagrams independently (nftables): give --loss rates, not --burst');
    return spec.loss;
  });
  const dir = await mkdtemp(join(tmpdir(), 'fountcast-kernel-'));
  const lab = NetnsLab.create(receivers);
  const children: ChildProcess[] = [];
  const spawnPeer = (ns: string, job: SenderPeerJob | ReceiverPeerJob) => {
    const c = lab.spawnIn(ns, process.execPath, [PEER, JSON.stringify(job)]);
    children.push(c);
    return c;
  };
  try {
    const file = join(dir, 'object.bin');
    await writeFile(file, new SeededRandom(seed).fill(new Uint8Array(config.sizeBytes)));
    lab.receivers.forEach((ns, i) => lab.setLoss(ns, losses[i]!));
    const rate = config.rateBytesPerSecond ?? defaultRealRate(receivers);
    const wall0 = performance.now();
    let listening!: () => void;
    const ready = new Promise<void>((r) => (listening = r));
    const sender = spawnPeer(lab.sender, {
      role: 'sender',
      file,
      controlPort: CONTROL_PORT,
      group: GROUP,
      dataPort: DATA_PORT,
      interface: LAB_INTERFACE,
      receivers,
      rateBitsPerSecond: rate * 8,
      segmentSize: config.segmentSize ?? 4 << 20,
      symbolSize: config.symbolSize ?? 1392,
      codec: schemeCodecName(scheme),
      recovery: schemeRecovery(scheme),
      ...schemeResends(scheme),
      timeoutMs: TIMEOUT_MS,
    });
    const sending = peerLines(sender, listening) as Promise<SenderPeerResult>;
    await Promise.race([ready, sending.then(() => Promise.reject(new Error('the sender ended before listening')))]);
    const outcomes = await Promise.all(
      lab.receivers.map(async (ns, i) => {
        const out = join(dir, `r${i}`);
        await mkdir(out);
        const job: ReceiverPeerJob = {
          role: 'receiver',
          host: lab.senderAddress,
          controlPort: CONTROL_PORT,
          interface: LAB_INTERFACE,
          out,
          receiverId: `r${i}`,
          timeoutMs: TIMEOUT_MS,
        };
        try {
          const summary = (await peerLines(spawnPeer(ns, job))) as ReceiverPeerResult;
          return { summary, at: performance.now() - wall0, dropped: lab.dropped(ns) };
        } catch {
          return undefined;
        }
      }),
    );
    const sent = await sending;
    const done = outcomes.filter((o) => o !== undefined);
    return realTrialResult({ config, scheme, loss, receivers, trial, seed }, done, sent, {
      wallMs: performance.now() - wall0,
      cpuMs: sent.cpuMs + done.reduce((a, o) => a + o.summary.cpuMs, 0),
      unsimulatedLoss: done.map(({ summary: s, dropped }) => Math.max(0, s.datagramsLost - dropped) / Math.max(1, s.datagramsLost + s.datagramsReceived)),
    });
  } finally {
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of running) c.kill('SIGKILL');
    await Promise.all(running.map((c) => once(c, 'close')));
    lab.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

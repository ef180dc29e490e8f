/**
 * The large-group benchmark: one real sender (send(), one multicast stream at a fixed rate)
 * against N light receivers (lightClient.ts: a real control connection and a real multicast
 * socket each, counting and reporting like `receive`, never decoding or writing) spread over a
 * few processes. Must run inside a private network namespace with a multicast route (run.ts sets
 * it up). Per group size it measures the sender over the transfer (CPU seconds, its main
 * thread's apart), the control frames and bytes the receivers sent it, and the completion time;
 * with `baseline`, also a stream-only run — the same N sockets in the group, one receiver
 * reporting — whose sender CPU is subtracted to give the control plane's share.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { makeFile } from '../e2e.js';
import type { FromGroupChild, GroupChildTask } from './groupChild.js';
import type { LightOutcome } from './lightClient.js';
import type { FromSender, SenderMeasure, SenderTask } from './senderChild.js';

export interface GroupBenchOptions {
  groups: number[];
  sizeMiB: number;
  rateBits: number;
  segmentSize: number;
  /** Processes the light receivers are spread over. */
  children: number;
  /** Also run the stream-only baseline per group size. */
  baseline: boolean;
}

export interface GroupRun {
  receivers: number;
  sender: SenderMeasure;
  /** Control frames (every kind) and bytes the receivers sent, and how many were Progress. */
  frames: number;
  bytes: number;
  progress: number;
  receiversFailed: number;
  /** The slowest light receiver's time from connecting to its Stop(done), s. */
  slowestReceiverSeconds: number;
  /** CPU seconds of the generator's own processes. */
  generatorCpuSeconds: number;
  failures: string[];
}

export interface GroupResult extends GroupRun {
  /** The stream-only run's sender (same sockets in the group, one receiver reporting). */
  baseline?: SenderMeasure;
}

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const GROUP = '239.255.77.1';
/** No run may hang the benchmark: every process is killed past this. */
const RUN_LIMIT_MS = 300_000;

function child<T extends { type: string }>(
  script: string,
  args: string[],
  onMessage: (m: T, p: ChildProcess) => void,
): { p: ChildProcess; exited: Promise<void> } {
  const p = fork(here(script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const timer = setTimeout(() => p.kill('SIGKILL'), RUN_LIMIT_MS);
  p.on('message', (m: T) => onMessage(m, p));
  const exited = new Promise<void>((r) => p.on('exit', () => (clearTimeout(timer), r())));
  return { p, exited };
}

/** Splits n into `parts` near-equal counts (no zeros). */
export function spread(n: number, parts: number): number[] {
  const k = Math.max(1, Math.min(parts, n));
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/** One transfer: `reporting` light receivers, and `mute` extra sockets in the group. */
async function runOnce(o: GroupBenchOptions, file: string, dataPort: number, reporting: number, mute: number): Promise<GroupRun> {
  const failures: string[] = [];
  let generatorCpu = 0;
  const muteKids = mute > 0 ? spread(mute, o.children) : [];
  let ready = 0;
  let allReady!: () => void;
  const muteReady = new Promise<void>((r) => (allReady = r));
  const mutes = muteKids.map(() =>
    child<FromGroupChild>('./groupChild.js', [], (m) => {
      if (m.type === 'ready' && ++ready === muteKids.length) allReady();
      if (m.type === 'done') generatorCpu += m.cpuSeconds;
      if (m.type === 'failed') failures.push(`mute: ${m.message}`);
    }),
  );
  mutes.forEach(({ p }, i) => p.send({ role: 'mute', group: GROUP, dataPort, count: muteKids[i]! } satisfies GroupChildTask));
  if (mutes.length > 0) await muteReady;

  let measure: SenderMeasure | undefined;
  let onPort!: (port: number) => void;
  const port = new Promise<number>((r) => (onPort = r));
  const task: SenderTask = { file, group: GROUP, dataPort, receivers: reporting, rateBits: o.rateBits, segmentSize: o.segmentSize };
  const sender = child<FromSender>('./senderChild.js', [JSON.stringify(task)], (m) => {
    if (m.type === 'listening') onPort(m.port);
    else if (m.type === 'done') measure = m.measure;
    else failures.push(`sender: ${m.message}`);
  });
  const controlPort = await Promise.race([port, sender.exited.then(() => undefined)]);
  if (controlPort === undefined) throw new Error(`the sender exited before listening: ${failures.join('; ')}`);

  const outcomes: LightOutcome[] = [];
  const counts = spread(reporting, o.children);
  let next = 0;
  const kids = counts.map((count) => {
    const ids = Array.from({ length: count }, () => `light-${next++}`);
    const k = child<FromGroupChild>('./groupChild.js', [], (m) => {
      if (m.type === 'done') {
        outcomes.push(...m.outcomes);
        generatorCpu += m.cpuSeconds;
      } else if (m.type === 'failed') failures.push(`receivers: ${m.message}`);
    });
    k.p.send({ role: 'receivers', host: '127.0.0.1', port: controlPort, ids } satisfies GroupChildTask);
    return k;
  });
  await Promise.all([sender.exited, ...kids.map((k) => k.exited)]);
  for (const m of mutes) if (m.p.connected) m.p.send('stop');
  await Promise.all(mutes.map((m) => m.exited));
  if (!measure) throw new Error(`the sender did not report: ${failures.join('; ') || 'no reason'}`);
  const failed = outcomes.filter((x) => !x.ok);
  for (const f of failed.slice(0, 3)) failures.push(`${f.receiverId}: ${f.reason}`);
  return {
    receivers: reporting,
    sender: measure,
    frames: outcomes.reduce((n, x) => n + x.counts.framesSent, 0),
    bytes: outcomes.reduce((n, x) => n + x.counts.bytesSent, 0),
    progress: outcomes.reduce((n, x) => n + x.counts.progressSent, 0),
    receiversFailed: failed.length + (reporting - outcomes.length),
    slowestReceiverSeconds: Math.max(0, ...outcomes.map((x) => x.ms)) / 1000,
    generatorCpuSeconds: generatorCpu,
    failures,
  };
}

export async function runGroupBench(o: GroupBenchOptions, print: (line: string) => void = console.log): Promise<GroupResult[]> {
  const dir = await mkdtemp('/dev/shm/fountcast-groups-');
  const results: GroupResult[] = [];
  try {
    const file = await makeFile(dir, o.sizeMiB);
    let dataPort = 47_300;
    for (const n of o.groups) {
      const run: GroupResult = await runOnce(o, file, dataPort++, n, 0);
      if (o.baseline) run.baseline = (await runOnce(o, file, dataPort++, 1, n - 1)).sender;
      results.push(run);
      print(groupLine(run, results[0]!));
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Sender CPU per second of transfer (cores) attributable to the control plane: total minus the stream-only baseline's. */
export function controlCores(r: GroupResult): number | undefined {
  if (!r.baseline) return undefined;
  return r.sender.cpuSeconds / r.sender.transferSeconds - r.baseline.cpuSeconds / r.baseline.transferSeconds;
}

export function groupLine(r: GroupResult, first: GroupResult): string {
  const s = r.sender;
  const t = s.transferSeconds;
  const perS = (x: number) => x / t;
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  const control = controlCores(r);
  return (
    `bench=groups receivers=${r.receivers} transfer_s=${t.toFixed(2)} transfer_vs_first=${ratio(t, first.sender.transferSeconds)} ` +
    `sender_cpu_s=${s.cpuSeconds.toFixed(2)} sender_cores=${perS(s.cpuSeconds).toFixed(3)} main_thread_cores=${perS(s.mainThreadCpuSeconds ?? NaN).toFixed(3)} ` +
    `stream_threads_cores=${perS(s.otherThreadsCpuSeconds ?? NaN).toFixed(3)} ` +
    (control === undefined ? '' : `baseline_cores=${(r.baseline!.cpuSeconds / r.baseline!.transferSeconds).toFixed(3)} control_cores=${control.toFixed(3)} `) +
    `frames_per_s=${perS(r.frames).toFixed(0)} progress_per_s=${perS(r.progress).toFixed(0)} bytes_per_s=${perS(r.bytes).toFixed(0)} ` +
    `frames_vs_first=${ratio(perS(r.frames), first.frames / first.sender.transferSeconds)} repair=${s.repairSymbolsSent ?? '?'} ` +
    `completed=${s.completed}/${r.receivers} slowest_rx_s=${r.slowestReceiverSeconds.toFixed(2)} generator_cpu_s=${r.generatorCpuSeconds.toFixed(1)}` +
    (r.failures.length ? ` failures=${JSON.stringify(r.failures.slice(0, 3))}` : '')
  );
}

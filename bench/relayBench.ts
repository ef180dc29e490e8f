/**
 * Relays (issue 23's cut-through figure), one line per configuration, on loopback (tmpfs under
 * /dev/shm): a signed publisher paced at a fixed rate serves one receiver directly and a relay
 * (or a chain of two) paced at the same rate downstream (a link like the publisher's), and a
 * receiver behind the relay; both receivers' times are taken from
 * one 'go' to every process (each a process of its own, booted and waiting before the clock
 * starts), and their ratio reported. Cut-through aims at relayed ≤ 1.3 × direct: a relay costs
 * about one segment's time per hop, where store and forward costs one file's.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { generatePublisherKeys, parsePrivateKey } from '../control/publication.js';
import { send } from '../sender/send.js';
import { SeededRandom } from '../util/random.js';

const quiet = pino({ level: 'silent' });
const MiB = 1024 * 1024;
const child = fileURLToPath(new URL('./relayChild.js', import.meta.url));
let nextPort = 18_400 + (process.pid % 500);

export interface RelayConfig {
  mode: 'cut-through' | 'store-and-forward';
  hops: number;
  segmentBytes: number;
}

export interface RelayRun {
  directSeconds: number;
  relayedSeconds: number;
  /** When the relayed receiver stored its first segment, from the start. */
  relayedFirstSegmentSeconds: number;
}

export interface RelayBenchReport {
  fileBytes: number;
  rateBitsPerSecond: number;
  configs: (RelayConfig & { runs: RelayRun[]; directMedianSeconds: number; relayedMedianSeconds: number; ratio: number })[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

interface Done {
  type: 'ready' | 'done' | 'failed';
  at?: number;
  first?: number;
  message?: string;
}

/** A child process of `role`; `ready` resolves once it waits for 'go', `done` with its report. */
function start(args: string[]): { proc: ChildProcess; ready: Promise<void>; done: Promise<Done> } {
  const proc = fork(child, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const done = new Promise<Done>((resolve, reject) => {
    let last: Done | undefined;
    proc.on('message', (m: Done) => (m.type === 'ready' ? onReady() : (last = m)));
    proc.on('exit', (code) => (last?.type === 'done' ? resolve(last) : reject(new Error(`${args[0]} failed (exit ${code}): ${last?.message ?? 'no report'}`))));
  });
  return { proc, ready, done };
}

async function once(dir: string, file: string, pubFile: string, privatePem: string, rateBitsPerSecond: number, c: RelayConfig, run: number): Promise<RelayRun> {
  const out = join(dir, `run-${run}`);
  const publisherPort = nextPort++;
  const relayPorts = Array.from({ length: c.hops }, () => nextPort++);
  const procs = [
    start(['receive', String(publisherPort), join(out, 'direct'), pubFile]),
    ...relayPorts.map((port, i) =>
      start(['relay', String(i === 0 ? publisherPort : relayPorts[i - 1]), String(port), join(out, `cache${i}`), c.mode, String(rateBitsPerSecond)]),
    ),
    start(['receive', String(relayPorts[c.hops - 1]), join(out, 'relayed'), pubFile]),
  ];
  await mkdir(join(out, 'direct'), { recursive: true });
  await mkdir(join(out, 'relayed'), { recursive: true });
  await Promise.all(procs.map((p) => p.ready));
  const publisher = send({
    file,
    host: '127.0.0.1',
    port: publisherPort,
    receivers: 2,
    segmentSize: c.segmentBytes,
    rateBitsPerSecond,
    fixedRate: true,
    sign: { privateKey: parsePrivateKey(privatePem), publishedAt: Date.now() },
    logger: quiet,
  });
  // Listening (send() binds before it returns control to the loop that accepts).
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.timeOrigin + performance.now();
  for (const p of procs) p.proc.send('go');
  const [direct, ...rest] = await Promise.all(procs.map((p) => p.done));
  await publisher;
  const relayed = rest[rest.length - 1]!;
  await rm(out, { recursive: true, force: true });
  return { directSeconds: (direct.at! - t0) / 1000, relayedSeconds: (relayed.at! - t0) / 1000, relayedFirstSegmentSeconds: (relayed.first! - t0) / 1000 };
}

export async function runRelayBench(
  opts: { repeat?: number; fileMiB?: number; rateBitsPerSecond?: number; configs?: RelayConfig[] } = {},
): Promise<RelayBenchReport> {
  const repeat = opts.repeat ?? 3;
  const fileBytes = (opts.fileMiB ?? 32) * MiB;
  const rate = opts.rateBitsPerSecond ?? 80e6;
  const configs = opts.configs ?? [
    { mode: 'cut-through', hops: 1, segmentBytes: 4 * MiB },
    { mode: 'cut-through', hops: 1, segmentBytes: MiB },
    { mode: 'cut-through', hops: 2, segmentBytes: MiB },
    { mode: 'store-and-forward', hops: 1, segmentBytes: 4 * MiB },
  ];
  const dir = await mkdtemp('/dev/shm/fountcast-relay-bench-');
  try {
    const file = join(dir, 'image.bin');
    await writeFile(file, new SeededRandom(23).fill(new Uint8Array(fileBytes)));
    const keys = generatePublisherKeys();
    const pubFile = join(dir, 'publisher.pub');
    await writeFile(pubFile, keys.publicPem);
    const report: RelayBenchReport = { fileBytes, rateBitsPerSecond: rate, configs: [] };
    for (const c of configs) {
      const runs: RelayRun[] = [];
      for (let i = 0; i < repeat; i++) runs.push(await once(dir, file, pubFile, keys.privatePem, rate, c, i));
      const direct = median(runs.map((r) => r.directSeconds));
      const relayed = median(runs.map((r) => r.relayedSeconds));
      report.configs.push({ ...c, runs, directMedianSeconds: direct, relayedMedianSeconds: relayed, ratio: relayed / direct });
      console.log(
        `bench=relay mode=${c.mode} hops=${c.hops} segment_mib=${c.segmentBytes / MiB} file_mib=${fileBytes / MiB} rate_bits=${rate} ` +
          `direct_s=${direct.toFixed(3)} relayed_s=${relayed.toFixed(3)} ratio=${(relayed / direct).toFixed(2)} ` +
          `relayed_first_segment_s=${median(runs.map((r) => r.relayedFirstSegmentSeconds)).toFixed(3)} runs=${repeat}`,
      );
    }
    return report;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

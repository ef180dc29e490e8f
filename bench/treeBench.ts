/**
 * Trees (issue 20's figures), one line per configuration, in one run on loopback (tmpfs under
 * /dev/shm, so the shared host's disk does not decide): a tree of 10,000 files of 4 KiB against
 * one 40 MiB file, alternated, the median of `repeat` runs each; and --sync of a 1,000-file tree
 * with 1 % of the files changed, its datagrams against the full tree's in the same run. The
 * receiver is a process of its own (treeChild.ts), started and waiting before the clock starts;
 * wall time runs from the send() call (walking the source included; hashing runs beside the
 * stream, for a tree as for a single file, since the receiver takes their digests later) to
 * the receiver done; CPU is both
 * processes' (the sender's over that span, the receiver's whole run). The same pair is then run
 * again paced at a fixed 200 Mbit/s, where the link and not the two processes sharing the host's
 * cores is the limit, as between two machines on a LAN.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { fileURLToPath } from 'node:url';
import { send } from '../sender/send.js';
import { SeededRandom } from '../util/random.js';

const quiet = pino({ level: 'silent' });

export interface TreeRun {
  seconds: number;
  cpuSeconds: number;
  datagrams: number;
}

export interface TreeBenchReport {
  single: { bytes: number; runs: TreeRun[]; medianSeconds: number; medianCpuSeconds: number };
  tree: { files: number; fileBytes: number; runs: TreeRun[]; medianSeconds: number; medianCpuSeconds: number };
  /** tree / single, medians of the same run. */
  timeRatio: number;
  cpuRatio: number;
  /** The same comparison with the link as the limit: both paced at exactly LINK_BITS_PER_SECOND. */
  linkLimited: { bitsPerSecond: number; singleMedianSeconds: number; treeMedianSeconds: number; timeRatio: number };
  sync: { files: number; changed: number; fullDatagrams: number; syncDatagrams: number; treeBytes: number; syncStreamedBytes: number; fraction: number };
}

/** The link-limited comparison's pace: a fixed 200 Mbit/s, well under what this host's loopback carries. */
const LINK_BITS_PER_SECOND = 200e6;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** `count` seeded files of `bytes` each under `root`, 100 per directory. */
async function makeTree(root: string, count: number, bytes: number, seed: number): Promise<void> {
  const r = new SeededRandom(seed);
  for (let i = 0; i < count; i++) {
    const dir = join(root, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `f${String(i).padStart(5, '0')}.bin`), r.fill(new Uint8Array(bytes)));
  }
}

const child = fileURLToPath(new URL('./treeChild.js', import.meta.url));
let nextPort = 17_900 + (process.pid % 500);

interface ChildDone {
  type: 'done' | 'failed';
  datagrams: number;
  symbolsNeeded: number;
  cpuSeconds: number;
  message?: string;
}

/** One transfer of `paths` to a receiving process writing into `out`: wall and CPU time, datagrams. */
async function transfer(paths: string[], out: string, sync = false, rateBitsPerSecond?: number): Promise<{ run: TreeRun; symbolsNeeded: number }> {
  const port = nextPort++;
  const rx = fork(child, [String(port), out, sync ? '1' : '0'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const received = new Promise<ChildDone>((resolve, reject) => {
    let done: ChildDone | undefined;
    rx.on('message', (m: ChildDone) => (done = m));
    rx.on('exit', (code) => (done?.type === 'done' ? resolve(done) : reject(new Error(`receiver failed (exit ${code}): ${done?.message ?? 'no report'}`))));
  });
  // The receiver is up and retrying before the clock starts (its process start is not the transfer's).
  await new Promise((r) => setTimeout(r, 400));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sender = send({ paths, host: '127.0.0.1', port, receivers: 1, logger: quiet, ...(rateBitsPerSecond ? { rateBitsPerSecond, fixedRate: true } : {}) });
  const r = await received;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await sender;
  return { run: { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 + r.cpuSeconds, datagrams: r.datagrams }, symbolsNeeded: r.symbolsNeeded };
}

export async function runTreeBench(opts: { repeat?: number; files?: number; fileBytes?: number } = {}): Promise<TreeBenchReport> {
  const repeat = opts.repeat ?? 5;
  const files = opts.files ?? 10_000;
  const fileBytes = opts.fileBytes ?? 4096;
  const dir = await mkdtemp('/dev/shm/fountcast-tree-bench-');
  try {
    const single = join(dir, 'single.bin');
    await writeFile(single, new SeededRandom(9).fill(new Uint8Array(files * fileBytes)));
    const tree = join(dir, 'tree');
    await makeTree(tree, files, fileBytes, 10);
    const singleRuns: TreeRun[] = [];
    const treeRuns: TreeRun[] = [];
    for (let i = 0; i < repeat; i++) {
      // Alternated, so drift on a shared host falls on both alike.
      for (const which of ['single', 'tree'] as const) {
        const out = join(dir, `out-${which}-${i}`);
        await mkdir(out);
        const { run } = await transfer([which === 'single' ? single : `${tree}/`], out);
        (which === 'single' ? singleRuns : treeRuns).push(run);
        await rm(out, { recursive: true, force: true });
        console.log(`bench=tree config=${which} run=${i + 1} seconds=${run.seconds.toFixed(3)} cpu_s=${run.cpuSeconds.toFixed(3)} datagrams=${run.datagrams}`);
      }
    }
    // With the link as the limit (a LAN, not two processes sharing a 2-core host's loopback).
    const linkRuns = { single: [] as number[], tree: [] as number[] };
    for (let i = 0; i < repeat; i++) {
      for (const which of ['single', 'tree'] as const) {
        const out = join(dir, `out-link-${which}-${i}`);
        await mkdir(out);
        const { run } = await transfer([which === 'single' ? single : `${tree}/`], out, false, LINK_BITS_PER_SECOND);
        linkRuns[which].push(run.seconds);
        await rm(out, { recursive: true, force: true });
      }
    }
    const linkLimited = {
      bitsPerSecond: LINK_BITS_PER_SECOND,
      singleMedianSeconds: median(linkRuns.single),
      treeMedianSeconds: median(linkRuns.tree),
      timeRatio: median(linkRuns.tree) / median(linkRuns.single),
    };
    console.log(
      `bench=tree-link rate_bits=${LINK_BITS_PER_SECOND} single_s=${linkLimited.singleMedianSeconds.toFixed(3)} tree_s=${linkLimited.treeMedianSeconds.toFixed(3)} time_ratio=${linkLimited.timeRatio.toFixed(2)} runs=${repeat}`,
    );
    const s = { medianSeconds: median(singleRuns.map((r) => r.seconds)), medianCpuSeconds: median(singleRuns.map((r) => r.cpuSeconds)) };
    const t = { medianSeconds: median(treeRuns.map((r) => r.seconds)), medianCpuSeconds: median(treeRuns.map((r) => r.cpuSeconds)) };
    console.log(
      `bench=tree files=${files} file_bytes=${fileBytes} single_s=${s.medianSeconds.toFixed(3)} tree_s=${t.medianSeconds.toFixed(3)} time_ratio=${(t.medianSeconds / s.medianSeconds).toFixed(2)} ` +
        `single_cpu_s=${s.medianCpuSeconds.toFixed(3)} tree_cpu_s=${t.medianCpuSeconds.toFixed(3)} cpu_ratio=${(t.medianCpuSeconds / s.medianCpuSeconds).toFixed(2)} runs=${repeat}`,
    );

    // --sync: 1,000 files, 10 changed between two publications.
    const syncFiles = 1000;
    const syncBytes = 16 * 1024;
    const syncTree = join(dir, 'sync-tree');
    await makeTree(syncTree, syncFiles, syncBytes, 11);
    const syncOut = join(dir, 'sync-out');
    await mkdir(syncOut);
    const full = await transfer([`${syncTree}/`], syncOut);
    const r = new SeededRandom(12);
    for (let k = 0; k < syncFiles / 100; k++) {
      const i = k * 100 + 37;
      const path = join(syncTree, `d${String(Math.floor(i / 100)).padStart(3, '0')}`, `f${String(i).padStart(5, '0')}.bin`);
      await writeFile(path, r.fill(new Uint8Array(syncBytes)));
    }
    const synced = await transfer([`${syncTree}/`], syncOut, true);
    const changedHash = createHash('sha256')
      .update(await readFile(join(syncOut, 'd000', 'f00037.bin')))
      .digest('hex');
    const sourceHash = createHash('sha256')
      .update(await readFile(join(syncTree, 'd000', 'f00037.bin')))
      .digest('hex');
    if (changedHash !== sourceHash) throw new Error('--sync did not bring the changed file over');
    const treeBytes = syncFiles * syncBytes;
    const symbol = full.symbolsNeeded > 0 ? treeBytes / full.symbolsNeeded : 0;
    const syncStreamedBytes = synced.run.datagrams * symbol;
    const fraction = syncStreamedBytes / treeBytes;
    console.log(
      `bench=tree-sync files=${syncFiles} changed=${syncFiles / 100} full_datagrams=${full.run.datagrams} sync_datagrams=${synced.run.datagrams} streamed_fraction=${(fraction * 100).toFixed(2)}% ` +
        `full_s=${full.run.seconds.toFixed(3)} sync_s=${synced.run.seconds.toFixed(3)}`,
    );
    return {
      single: { bytes: files * fileBytes, runs: singleRuns, ...s },
      tree: { files, fileBytes, runs: treeRuns, ...t },
      timeRatio: t.medianSeconds / s.medianSeconds,
      cpuRatio: t.medianCpuSeconds / s.medianCpuSeconds,
      linkLimited,
      sync: {
        files: syncFiles,
        changed: syncFiles / 100,
        fullDatagrams: full.run.datagrams,
        syncDatagrams: synced.run.datagrams,
        treeBytes,
        syncStreamedBytes,
        fraction,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

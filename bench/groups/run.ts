/**
 * `npm run bench:groups`: the large-group benchmark (groupBench.ts), one line per group size,
 * the results in bench/results/groups-<time>.json.
 *
 * Multicast must not touch the host's network, so the run re-executes itself inside a private
 * network namespace (`unshare -rn`: loopback up, multicast on, a 224.0.0.0/4 route). Where
 * namespaces are refused it says so and exits 0: nothing else depends on it.
 *
 * Flags: --groups 16,64,256,500  --size MiB (8)  --rate BITS (6e6, fixed)  --segment MiB (1)
 *        --children N (4: processes the light receivers are spread over)  --no-baseline (skip
 *        the stream-only runs that split the sender's control plane from its data plane)
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlCores, runGroupBench, type GroupBenchOptions } from './groupBench.js';

const IN_NAMESPACE = 'FOUNTCAST_GROUPS_NAMESPACE';
const SETUP = 'set -e; ip link set lo up; ip link set lo multicast on; ip route add 224.0.0.0/4 dev lo src 127.0.0.1; exec node "$@"';

const args = process.argv.slice(2);
const value = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (process.env[IN_NAMESPACE] !== '1') {
  const probe = spawnSync('unshare', ['-rn', 'sh', '-c', SETUP.replace('exec node "$@"', 'true')], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    console.log(`bench=groups skipped: no private network namespace here (unshare -rn: ${probe.error?.message ?? probe.stderr.trim()})`);
    process.exit(0);
  }
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync('unshare', ['-rn', 'sh', '-c', SETUP, 'sh', self, ...args], { stdio: 'inherit', env: { ...process.env, [IN_NAMESPACE]: '1' } });
  process.exit(r.status ?? 1);
}

const options: GroupBenchOptions = {
  groups: (value('--groups') ?? '16,64,256,500').split(',').map(Number),
  sizeMiB: Number(value('--size') ?? 8),
  rateBits: Number(value('--rate') ?? 6e6),
  segmentSize: Number(value('--segment') ?? 1) * (1 << 20),
  children: Number(value('--children') ?? 4),
  baseline: !args.includes('--no-baseline'),
};
console.log(
  `bench=groups size_mib=${options.sizeMiB} rate_bits=${options.rateBits} segment_mib=${options.segmentSize / (1 << 20)} children=${options.children} baseline=${options.baseline}`,
);
const runs = await runGroupBench(options);
const first = runs[0]!;
const summary = runs.map((r) => ({
  receivers: r.receivers,
  transferVsFirst: r.sender.transferSeconds / first.sender.transferSeconds,
  senderCpuVsFirst: r.sender.cpuSeconds / first.sender.cpuSeconds,
  progressRateVsFirst: r.progress / r.sender.transferSeconds / (first.progress / first.sender.transferSeconds),
  controlCores: controlCores(r),
}));
const date = new Date().toISOString();
const dir = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'bench', 'results');
await mkdir(dir, { recursive: true });
const file = join(dir, `groups-${date.replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify({ date, node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, options, summary, runs }, null, 2));
console.log(`results written to ${file}`);

/**
 * Shared (multicast / broadcast) streams over real sockets. Every run happens inside a private
 * network namespace created for it (`unshare -rn`, which works unprivileged here and as root in
 * CI): loopback is brought up with multicast on and a 224.0.0.0/4 route (`src 127.0.0.1`
 * matters), so no datagram can reach the host's own network, and the namespace disappears with
 * the process. Where namespaces are refused the test fails and says so; it never skips.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runner = fileURLToPath(new URL('./sharedRun.mjs', import.meta.url));
const syncRunner = fileURLToPath(new URL('./sharedSyncRun.mjs', import.meta.url));
const SETUP = 'set -e; ip link set lo up; ip link set lo multicast on; ip route add 224.0.0.0/4 dev lo src 127.0.0.1; exec node "$0" "$1"';

interface SharedOutcome {
  ok: boolean;
  error?: string;
  identical: boolean[];
  killed?: string;
  drops: number[];
  badTags: number[];
  lossSeen: number[];
  doneAtMs: (number | null)[];
  completed: number;
  failed: number;
}

function inNamespace(cfg: Record<string, unknown>, script = runner): SharedOutcome {
  const r = spawnSync('unshare', ['-rn', 'sh', '-c', SETUP, script, JSON.stringify(cfg)], { encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`cannot run in a private network namespace (unshare -rn): ${r.error?.message ?? `exit ${r.status}`}\n${r.stderr}`);
  }
  const line = r.stdout.trim().split('\n').at(-1)!;
  const out = JSON.parse(line) as SharedOutcome;
  if (!out.ok) throw new Error(`shared run failed: ${out.error}`);
  return out;
}

describe('shared streams in a private network namespace', () => {
  it('multicast: 8 receivers at 0-30 % seeded loss, one joining late, all byte-identical', () => {
    const losses = Array.from({ length: 8 }, (_, i) => Math.round((30 * i) / 7) / 100);
    // 4 MB at 40 Mbit/s takes about a second; the eighth receiver asks 500 ms in.
    const out = inNamespace({
      mode: 'multicast',
      dataPort: 47071,
      sizeBytes: 4_000_000,
      losses,
      complete: 8,
      rateBits: 40e6,
      minReceivers: 7,
      lateIndex: 7,
      lateAfterMs: 500,
    });
    expect(out.identical).toEqual(Array(8).fill(true));
    // It really joined a running stream: nobody had finished when it asked.
    expect(Math.min(...out.doneAtMs.slice(0, 7).map(Number))).toBeGreaterThan(500);
    expect(out.completed).toBe(8);
    expect(out.failed).toBe(0);
    // The seeded loss really happened at every lossy receiver.
    for (const [i, d] of out.drops.entries()) if (losses[i]! > 0) expect(d).toBeGreaterThan(0);
    // No datagram arrived corrupt or went missing on the way: the sender never rewrites a buffer
    // the kernel has not sent yet (a reused buffer shows as loss at the loss-free receiver).
    expect(out.badTags).toEqual(Array(8).fill(0));
    expect(out.lossSeen[0]).toBeLessThan(0.01);
  }, 150_000);

  it('broadcast: a receiver killed mid-stream does not stall the others', () => {
    const out = inNamespace({
      mode: 'broadcast',
      dataPort: 47072,
      sizeBytes: 4_000_000,
      losses: [0, 0.1, 0.05],
      complete: 2,
      rateBits: 100e6,
      killIndex: 1,
      killAfterMs: 100,
    });
    expect(out.identical).toEqual([true, true]);
    expect(out.killed).toMatch(/^killed/);
    expect(out.completed).toBe(2);
    expect(out.badTags).toEqual([0, 0]);
    expect(out.lossSeen[0]).toBeLessThan(0.01);
  }, 150_000);

  it('multicast --sync: a receiver holding all but 3 of 200 files waits only for their segments; both trees identical', () => {
    const out = inNamespace({}, syncRunner) as unknown as SharedOutcome & { fullSent: number; syncSent: number };
    expect(out.identical).toEqual([true, true]);
    // 3 changed files of 20 KB touch at most 6 of the 16 segments of 256 KiB.
    expect(out.syncSent).toBeGreaterThan(0);
    expect(out.syncSent).toBeLessThan(out.fullSent * 0.45);
  });
});

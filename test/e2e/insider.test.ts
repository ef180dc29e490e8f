/**
 * In a shared (broadcast) stream the datagram key is the group's, so an enrolled insider can
 * forge validly tagged symbols. It can cost time, never the file: segments are checked against
 * the manifest's SHA-256 and collected again from fresh symbols. Runs in a private network
 * namespace (`unshare -rn`) like shared.test.ts, and fails loudly where that is refused.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runner = fileURLToPath(new URL('./insiderRun.mjs', import.meta.url));

describe('an insider of an authenticated broadcast group', () => {
  it('floods validly MACed garbage for every source symbol and corrupts nothing', () => {
    const cfg = { dataPort: 47073, sizeBytes: 3_000_000, rateBits: 40e6, forgeAfterMs: 150, forgeMs: 300 };
    const r = spawnSync('unshare', ['-rn', 'sh', '-c', 'set -e; ip link set lo up; exec node "$0" "$1"', runner, JSON.stringify(cfg)], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.error || r.status !== 0)
      throw new Error(`cannot run in a private network namespace (unshare -rn): ${r.error?.message ?? `exit ${r.status}`}\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      ok: boolean;
      error?: string;
      forged: number;
      identical: boolean[];
      hashMismatches: number[];
      completed: number;
      failed: number;
    };
    if (!out.ok) throw new Error(`insider run failed: ${out.error}`);
    expect(out.forged).toBeGreaterThan(1000);
    expect(out.identical).toEqual([true, true]);
    expect(out.completed).toBe(2);
    // The forgeries passed the MAC (the insider has the key) and were caught by the signed-in-manifest hashes.
    expect(out.hashMismatches.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 150_000);
});

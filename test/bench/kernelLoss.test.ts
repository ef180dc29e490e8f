/**
 * `fountcast experiment --real --kernel-loss`: each receiver in a network namespace of its own,
 * loss dropped by nftables in its kernel. Needs root, iproute2 and nftables (CI runs as root and
 * has them); elsewhere it says why it is skipped. Compared with the simulation of the same
 * configuration the way test/bench/realExperiment.test.ts compares intake loss.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, experimentArgs, experimentResults } from '../helpers/experimentCli.js';

const ARGS = experimentArgs(1);

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (ip netns needs it)';
  for (const tool of ['ip', 'nft'])
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  return undefined;
}

const labNamespaces = () =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^fcx\d+-/.test(l));

const why = missing();

describe.skipIf(why !== undefined)(`experiment --real --kernel-loss${why ? ` (skipped: ${why})` : ''}`, () => {
  it('drops in each receiver kernel: every receiver completes, the loss seen is the rule, sent/K agrees with the simulation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fountcast-kernel-test-'));
    const before = labNamespaces();
    try {
      const real = spawnSync(process.execPath, [cli, ...ARGS, '--real', '--kernel-loss', '--json', '--out', join(dir, 'real')], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(real.status, real.stderr).toBe(0);
      const sim = spawnSync(process.execPath, [cli, ...ARGS, '--json', '--out', join(dir, 'sim')], { encoding: 'utf8', timeout: 120_000 });
      expect(sim.status, sim.stderr).toBe(0);
      const load = (d: string) => experimentResults(join(dir, d));
      const r = await load('real');
      const s = await load('sim');
      expect(r.rows).toHaveLength(4);
      // The receivers lost what nftables dropped and nothing else.
      expect(r.timings.every((t) => t.unsimulatedLoss < 0.02)).toBe(true);
      for (const [i, x] of r.rows.entries()) {
        const y = s.rows[i]!;
        expect(x.mode).toBe('real');
        expect([x.scheme, x.receivers, x.sourceSymbols]).toEqual([y.scheme, y.receivers, y.sourceSymbols]);
        expect(x.completed).toBe(x.receivers);
        // 10 % loss in the kernel: more than K sent, and near the simulation (the drops are
        // nftables' own random draws, not the simulation's seeded ones, hence the wider band).
        expect(x.symbolsSent / x.sourceSymbols).toBeGreaterThan(1.05);
        const deviation = (x.symbolsSent - y.symbolsSent) / y.symbolsSent;
        expect(deviation, `${x.scheme} ${x.receivers} rx`).toBeGreaterThan(-0.1);
        expect(deviation, `${x.scheme} ${x.receivers} rx`).toBeLessThan(0.2);
      }
      expect(labNamespaces()).toEqual(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);

  it('refuses burst loss, which nftables cannot draw, by name', () => {
    const run = spawnSync(
      process.execPath,
      [cli, 'experiment', '--real', '--kernel-loss', '--burst', 'gilbert:0.01,0.3', '--loss', '0', '--receivers', '1', '--size', '64K'],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/--kernel-loss drops datagrams independently/);
  });
});

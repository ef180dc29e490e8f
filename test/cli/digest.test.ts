import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../cli/program.js';
import { prepareFile } from '../../sender/preparedFile.js';
import { seededFile, tempDir } from '../e2e/helpers.js';

const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await cleanup?.();
  cleanup = undefined;
});

/** Runs the CLI in this process, returning its exit code and what it wrote to stdout. */
async function cli(args: string[]) {
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
  const code = await runCli(['node', 'fountcast', ...args]);
  vi.restoreAllMocks();
  return { code, out: out.join('') };
}

describe('fountcast digest', () => {
  it("prints a file's identity exactly as send announces it, as sha256sum prints; --sha256 the plain SHA-256", async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const a = join(t.dir, 'a.bin');
    const b = join(t.dir, 'b.bin');
    await seededFile(a, 3 * (1 << 20) + 5, 1);
    await seededFile(b, 0, 2);
    const announced = async (path: string, segmentSize?: number) => (await prepareFile(path, segmentSize ? { segmentSize } : {})).digests.fileSha256;

    const r = await cli(['digest', a, b]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${await announced(a)}  ${a}\n${await announced(b)}  ${b}\n`);

    // The segment size is part of the identity (send's default is 4 MiB).
    const one = await cli(['digest', '--segment-size', '1M', a]);
    expect(one.out).toBe(`${await announced(a, 1 << 20)}  ${a}\n`);
    expect(one.out).not.toBe(r.out.split('\n')[0] + '\n');

    const plain = await cli(['digest', '--sha256', a]);
    expect(plain.out).toBe(
      `${createHash('sha256')
        .update(await readFile(a))
        .digest('hex')}  ${a}\n`,
    );
  });

  it('refuses what has no such identity: a directory, a missing file, a segment size send would refuse (exit 1)', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const a = join(t.dir, 'a.bin');
    await seededFile(a, 1000, 3);
    for (const [args, why] of [
      [['digest', t.dir], /is not a regular file/],
      [['digest', join(t.dir, 'nope')], /cannot read .*nope/],
      [['digest', '--segment-size', '100', a], /segment size 100/],
    ] as const) {
      // A process of its own: errors go to the descriptor, not through process.stderr.
      const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(why);
    }
  });
});

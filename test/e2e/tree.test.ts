/**
 * Trees on real sockets (127.0.0.1): a tree of nested directories, 500 small files, an empty
 * file, an empty directory, an executable and a 40 MiB file to three receivers at once (one at
 * 10 % simulated loss), each identical with modes kept; then `--sync` brings over only what
 * changed, over unicast.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { receive } from '../../receiver/receive.js';
import { SeededRandom } from '../../util/random.js';
import { quiet, seededFile, sendOnLoopback, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** The tree under `root` (seeded). */
async function makeTree(root: string): Promise<void> {
  const r = new SeededRandom(20);
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'empty-dir'));
  await mkdir(join(root, 'lib', 'deep', 'er'), { recursive: true });
  for (let i = 0; i < 500; i++) {
    const dir = join(root, 'lib', i % 2 === 0 ? 'deep' : join('deep', 'er'));
    await writeFile(join(dir, `m${String(i).padStart(3, '0')}.dat`), r.fill(new Uint8Array(1 + ((i * 131) % 6000))));
  }
  await writeFile(join(root, 'empty-file'), '');
  await writeFile(join(root, 'bin', 'run.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'bin', 'run.sh'), 0o755);
  await seededFile(join(root, 'image.bin'), 40 << 20, 21);
}

/** `diff -r` and the modes of every entry: the received tree is the sent one. */
async function expectSameTree(a: string, b: string): Promise<void> {
  execFileSync('diff', ['-r', a, b]);
  const walk = async (dir: string): Promise<string[]> =>
    (await readdir(dir, { withFileTypes: true }))
      .flatMap((d) => [join(dir, d.name)])
      .concat(...(await Promise.all((await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => walk(join(dir, d.name))))));
  for (const path of await walk(a)) {
    const rel = path.slice(a.length);
    expect((await stat(join(b, rel))).mode & 0o777, rel).toBe((await stat(path)).mode & 0o777);
  }
}

describe('trees', () => {
  it('a tree with 500 small files, empty file and dir, an executable and 40 MiB reaches 3 receivers (one at 10 % loss) identical, modes kept', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const src = join(t.dir, 'release');
    await makeTree(src);
    const { port, done } = await sendOnLoopback({ paths: [`${src}/`], receivers: 3 });
    const outs = [0, 1, 2].map((i) => join(t.dir, `out${i}`));
    const summaries = await Promise.all(
      outs.map((out, i) => receive({ host: '127.0.0.1', port, out, logger: quiet, ...(i === 2 ? { simulateLoss: 0.1, seed: 3 } : {}) })),
    );
    for (const out of outs) await expectSameTree(src, out);
    expect(summaries[2]!.datagramsLost + (summaries[2]!.drops['simulated-loss'] ?? 0)).toBeGreaterThan(0);
    expect((await done).completed).toBe(3);
    for (const out of outs) expect((await readdir(out)).filter((n) => n.includes('fountcast'))).toEqual([]);
  }, 120_000);

  it('--sync over unicast receives only the files that changed, and the tree ends identical', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const src = join(t.dir, 'app');
    await mkdir(join(src, 'd'), { recursive: true });
    const r = new SeededRandom(30);
    for (let i = 0; i < 100; i++) await writeFile(join(src, 'd', `f${String(i).padStart(3, '0')}`), r.fill(new Uint8Array(16_384)));
    const out = join(t.dir, 'out');
    const first = await sendOnLoopback({ paths: [`${src}/`], receivers: 1 });
    const full = await receive({ host: '127.0.0.1', port: first.port, out, logger: quiet });
    await first.done;
    // One file changed, one added; the receiver asks for those two only.
    await writeFile(join(src, 'd', 'f050'), r.fill(new Uint8Array(16_384)));
    await writeFile(join(src, 'd', 'new'), r.fill(new Uint8Array(5000)));
    const second = await sendOnLoopback({ paths: [`${src}/`], receivers: 1 });
    const synced = await receive({ host: '127.0.0.1', port: second.port, out, logger: quiet, sync: true });
    expect((await second.done).completed).toBe(1);
    execFileSync('diff', ['-r', src, out]);
    // 16,384 + 5,000 bytes of 1,655,384: a few datagrams against the full tree's ~1,200.
    expect(synced.datagramsReceived).toBeGreaterThan(0);
    expect(synced.datagramsReceived).toBeLessThanOrEqual(Math.ceil(full.datagramsReceived * 0.03));
    // Nothing changed: nothing received, done.
    const third = await sendOnLoopback({ paths: [`${src}/`], receivers: 1 });
    const unchanged = await receive({ host: '127.0.0.1', port: third.port, out, logger: quiet, sync: true });
    expect(unchanged.datagramsReceived).toBe(0);
    expect((await third.done).completed).toBe(1);
  }, 60_000);
});

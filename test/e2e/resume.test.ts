/**
 * Resume on real sockets (127.0.0.1): a receiver killed with SIGKILL halfway through a 128 MiB
 * file, started again, receives only what it lacked; a sender restarted mid-transfer does not
 * make a receiver with --wait-for-sender start over. No staging outlives the completed transfer.
 */
import { fork } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { totalSourceSymbols, planSegments } from '../../encoder/segmentLayout.js';
import { receive } from '../../receiver/receive.js';
import { quiet, seededFile, sendOnLoopback, sha256Of, tempDir } from './helpers.js';

const runner = fileURLToPath(new URL('./resumeRun.mjs', import.meta.url));
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** Starts the receiver process and kills it (SIGKILL) once it has written at least `fraction` of the file. */
function receiverKilledAt(port: number, out: string, fraction: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(runner, [JSON.stringify({ port, out })], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let written = 0;
    child.on('message', (m: { bytes?: number; total?: number; done?: boolean }) => {
      if (m.done) return reject(new Error('the receiver finished before it could be killed'));
      written = m.bytes!;
      if (written >= fraction * m.total!) child.kill('SIGKILL');
    });
    child.once('exit', () => resolve(written));
    child.once('error', reject);
  });
}

describe('resume', () => {
  it('a receiver killed at ~50 % of 128 MiB receives at most 60 % of the datagrams when started again', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const size = 128 << 20;
    const file = join(t.dir, 'big.bin');
    const hash = await seededFile(file, size, 7);
    const out = join(t.dir, 'out');
    await mkdir(out);
    // Paced so the kill lands mid-transfer on a busy host too; two receivers: the killed one and its restart.
    const { port, done } = await sendOnLoopback({ file, receivers: 1, rateBitsPerSecond: 800e6, fixedRate: true, giveUpAfterMs: 30_000 });
    const killedAt = await receiverKilledAt(port, out, 0.5);
    expect(killedAt).toBeGreaterThanOrEqual(size / 2);
    expect((await readdir(out)).some((n) => n.endsWith('.fountcast-part'))).toBe(true);

    const summary = await receive({ host: '127.0.0.1', port, out, logger: quiet });
    const datagramsForAll = totalSourceSymbols(planSegments(size));
    expect(summary.sha256).toBeUndefined(); // the identity is of its segment digests; the file itself is checked below
    expect(await sha256Of(join(out, 'big.bin'))).toBe(hash);
    expect(summary.datagramsReceived).toBeLessThanOrEqual(0.6 * datagramsForAll);
    expect(summary.datagramsReceived).toBeGreaterThan(0);
    expect(await readdir(out)).toEqual(['big.bin']);
    expect((await done).completed).toBe(1);
  }, 120_000);

  it('a sender restarted mid-transfer: a receiver with --wait-for-sender completes without starting over', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const size = 32 << 20;
    const file = join(t.dir, 'img.bin');
    const hash = await seededFile(file, size, 8);
    const out = join(t.dir, 'out');
    await mkdir(out);
    const first = new AbortController();
    const a = await sendOnLoopback({ file, rateBitsPerSecond: 200e6, fixedRate: true, signal: first.signal });
    let restarted: Promise<unknown> | undefined;
    let written = 0;
    const received = receive({
      host: '127.0.0.1',
      port: a.port,
      out,
      logger: quiet,
      waitForSenderMs: 30_000,
      onProgress: (_estimate, _total, stored) => {
        written = stored;
        if (restarted === undefined && stored >= size / 2) {
          // Kill the first sender and start another on the same port after a pause.
          first.abort();
          restarted = a.done.then(async () => {
            await new Promise((r) => setTimeout(r, 300));
            const { send } = await import('../../sender/send.js');
            return send({ file, host: '127.0.0.1', port: a.port, receivers: 1, logger: quiet });
          });
        }
      },
    });
    const summary = await received;
    expect(restarted).toBeDefined();
    expect(summary.sha256).toBeUndefined(); // the identity is of its segment digests; the file itself is checked below
    expect(await sha256Of(join(out, 'img.bin'))).toBe(hash);
    // The last run received only what the first had not: well under the whole file.
    expect(summary.datagramsReceived).toBeLessThanOrEqual(0.6 * totalSourceSymbols(planSegments(size)));
    expect(written).toBeGreaterThan(0);
    expect(await readdir(out)).toEqual(['img.bin']);
    await restarted;
  }, 120_000);
});

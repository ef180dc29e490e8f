/**
 * Interrupting a receiver on real sockets (127.0.0.1): the library rejects with
 * TransferAbortedError (not "sender vanished"), and `fountcast receive` on SIGINT prints one
 * line, "interrupted", and exits 130 (on SIGTERM "terminated" and 143). None leaves a file
 * behind. `fountcast send` stopped by a signal exits the same way.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { receive } from '../../receiver/receive.js';
import type { SendSummary } from '../../sender/send.js';
import { quiet, seededFile, sendOnLoopback, tempDir } from './helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** What a user sees in `dir`: the staging of a resumable transfer is hidden. */
const visible = async (dir: string) => (await readdir(dir)).filter((n) => !n.startsWith('.'));

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** A sender slow enough (2 Mbit/s for 2 MiB) that the receiver is mid-transfer when interrupted. */
async function slowSender(dir: string): Promise<{ port: number; stop: () => Promise<SendSummary> }> {
  const file = join(dir, 'slow.bin');
  await seededFile(file, 2 << 20, 21);
  const controller = new AbortController();
  const { port, done } = await sendOnLoopback({
    file,
    rateBitsPerSecond: 2e6,
    fixedRate: true,
    logger: quiet,
    signal: controller.signal,
  });
  return {
    port,
    stop: () => {
      controller.abort();
      return done;
    },
  };
}

describe('interrupting a receiver', () => {
  it('abort() rejects receive() with TransferAbortedError, tells the sender, and leaves no file', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const sender = await slowSender(t.dir);
    const out = join(t.dir, 'out');
    await mkdir(out);
    const controller = new AbortController();
    const err = await receive({
      host: '127.0.0.1',
      port: sender.port,
      out,
      logger: quiet,
      signal: controller.signal,
      // Mid-transfer: the 2 MiB take ~8 s at this rate.
      onManifest: () => setTimeout(() => controller.abort(new Error('interrupted by test')), 300),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TransferAbortedError', message: 'transfer aborted: interrupted by test' });
    // Interrupted, not failed: nothing under the final name, the partial transfer kept for a resume.
    expect(await visible(out)).toEqual([]);
    expect((await readdir(out)).some((n) => n.endsWith('.fountcast-part'))).toBe(true);
    const summary = await sender.stop();
    expect(summary.receivers[0]).toMatchObject({ outcome: 'failed' });
    expect(summary.receivers[0]!.reason).toMatch(/aborted.*interrupted by test/);
  });

  it.each([
    ['SIGINT', 130, 'interrupted'],
    ['SIGTERM', 143, 'terminated'],
  ] as const)('`fountcast receive` on %s exits %i and says "%s" once', async (signal, code, word) => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const sender = await slowSender(t.dir);
    const out = join(t.dir, 'out');
    await mkdir(out);
    const child = spawn(process.execPath, [cli, 'receive', `127.0.0.1:${sender.port}`, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const started = new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/receiving slow\.bin/.test(stderr)) resolve();
      }),
    );
    await started;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    child.kill(signal);
    expect(await exited).toBe(code);
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines.filter((l) => new RegExp(word).test(l))).toHaveLength(1);
    expect(stderr).not.toMatch(/vanished/);
    expect(await visible(out)).toEqual([]);
    await sender.stop();
  });

  it('`fountcast send` serving until stopped: SIGINT exits 130 with "interrupted"', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'f.bin');
    await seededFile(file, 4096, 3);
    const child = spawn(process.execPath, [cli, 'send', file, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const listening = new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/listening on/.test(stderr)) resolve();
      }),
    );
    await listening;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines.at(-1)).toMatch(/ERROR: interrupted$/);
    expect(lines.filter((l) => /ERROR/.test(l))).toHaveLength(1);
  });
});

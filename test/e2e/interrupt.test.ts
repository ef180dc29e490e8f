/**
 * Interrupting a receiver on real sockets (127.0.0.1): the library rejects with
 * TransferAbortedError (not "sender vanished"), and `fountcast receive` on SIGINT prints one
 * line, "interrupted", and exits 130 (on SIGTERM "terminated" and 143). None leaves a file
 * behind. `fountcast send` stopped by a signal exits the same way after its summary line, and
 * its receivers hear why ("sender interrupted"), not that it vanished.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { receive } from '../../receiver/receive.js';
import type { SendSummary } from '../../sender/send.js';
import { lines, spawnCli } from './cliProcess.js';
import { quiet, seededFile, sendOnLoopback, tempDir } from './helpers.js';

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
  ] as const)('`fountcast receive` on %s exits %i and says "%s" in its one line', async (signal, code, word) => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const sender = await slowSender(t.dir);
    const out = join(t.dir, 'out');
    await mkdir(out);
    const receiver = spawnCli(['receive', `127.0.0.1:${sender.port}`, '--out', out], { events: true });
    await receiver.next('start');
    receiver.child.kill(signal);
    expect(await receiver.exited).toBe(code);
    expect(lines(receiver.stderr())).toEqual([expect.stringMatching(new RegExp(`ERROR: ${word}$`))]);
    expect(receiver.events.slice(-2)).toEqual([
      { event: 'error', kind: 'interrupted', message: word, exitCode: code, signal },
      expect.objectContaining({ event: 'summary', role: 'receiver', exitCode: code }),
    ]);
    expect(await visible(out)).toEqual([]);
    await sender.stop();
  });

  it('`fountcast send` serving until stopped: SIGINT exits 130, its summary line then "interrupted"', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'f.bin');
    await seededFile(file, 4096, 3);
    const sender = spawnCli(['send', file, '--host', '127.0.0.1', '--port', '0'], { events: true });
    await sender.next('start');
    sender.child.kill('SIGINT');
    expect(await sender.exited).toBe(130);
    expect(lines(sender.stderr())).toEqual(['served f.bin (4.0 KiB): no receiver came', expect.stringMatching(/ERROR: interrupted$/)]);
    expect(sender.events.at(-1)).toMatchObject({ event: 'summary', role: 'sender', exitCode: 130, completed: 0 });
  });

  it("a receiver whose sender is interrupted says so (not 'vanished') and exits 1, storing nothing", async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'slow.bin');
    await seededFile(file, 2 << 20, 22);
    const sender = spawnCli(['send', file, '--host', '127.0.0.1', '--port', '0', '--rate', '2M', '--fixed-rate'], { events: true });
    const { port } = (await sender.next('start')) as unknown as { port: number };
    const out = join(t.dir, 'out');
    await mkdir(out);
    const receiver = spawnCli(['receive', `127.0.0.1:${port}`, '--out', out], { events: true });
    await receiver.next('start');
    sender.child.kill('SIGINT');
    expect(await sender.exited).toBe(130);
    expect(await receiver.exited).toBe(1);
    expect(lines(receiver.stderr())).toEqual([expect.stringMatching(/ERROR: sender stopped the transfer: sender interrupted \(SIGINT\)$/)]);
    expect(receiver.events.at(-2)).toMatchObject({ event: 'error', kind: 'transfer', exitCode: 1 });
    expect(await visible(out)).toEqual([]);
  });
});

/**
 * `send --receivers N` when fewer than N make it: after the last receiver ended and none is
 * being served, the sender waits --give-up-after and exits 1 saying how many completed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { receive } from '../../receiver/receive.js';
import { freeTcpPort, quiet, seededFile, tempDir } from '../e2e/helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('send --give-up-after', () => {
  it('exits 1 with how many of --receivers completed once none came for the bound', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'f.bin');
    await seededFile(file, 100_000, 8);
    const port = await freeTcpPort();
    const received = receive({ host: '127.0.0.1', port, out: join(t.dir, 'got.bin'), logger: quiet, waitForSenderMs: 10_000 });
    const child = spawn(
      process.execPath,
      [cli, 'send', file, '--host', '127.0.0.1', '--port', String(port), '--receivers', '2', '--give-up-after', '300ms', '--json', '--log-level', 'warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await received;
    const doneAt = performance.now();
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(performance.now() - doneAt).toBeGreaterThanOrEqual(250);
    expect(err).toMatch(
      /only 1 of 2 receiver\(s\) completed \(0 failed\): gave up: 1 of 2 receiver\(s\) completed \(0 failed\), and no receiver came for 300 ms after the last one ended/,
    );
  });
});

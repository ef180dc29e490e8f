/**
 * Real sockets on 127.0.0.1: a single file received through the staging (deterministic name
 * next to the target, renamed in at the end), and what happens to the old copy: --backup keeps
 * it, --no-clobber refuses before any data is streamed.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutputConflictError } from '../../receiver/errors.js';
import { receive } from '../../receiver/receive.js';
import { quiet, seededFile, sendOnLoopback, sha256Of, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('the old copy, end to end', () => {
  it('--backup: the new file is staged, renamed over the old one, the old one kept in the backup directory; no staging left', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'app.bin');
    const hash = await seededFile(file, (2 << 20) + 999, 21);
    const out = join(t.dir, 'out');
    const backup = join(t.dir, 'backup');
    await mkdir(out);
    await mkdir(backup);
    await writeFile(join(out, 'app.bin'), 'version 1');
    const { port, done } = await sendOnLoopback({ file, receivers: 1, segmentSize: 1 << 20 });
    const r = await receive({ host: '127.0.0.1', port, out, backupDir: backup, logger: quiet, decodeWorkers: 1 });
    expect(r.path).toBe(join(out, 'app.bin'));
    expect(await sha256Of(r.path)).toBe(hash);
    expect(await readFile(join(backup, 'app.bin'), 'utf8')).toBe('version 1');
    expect(await readdir(out)).toEqual(['app.bin']);
    expect((await done).completed).toBe(1);
  }, 30_000);

  it('--no-clobber: an existing target fails the receive at once, untouched, with nothing staged', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'app.bin');
    await seededFile(file, 1 << 20, 22);
    const out = join(t.dir, 'out');
    await mkdir(out);
    await writeFile(join(out, 'app.bin'), 'keep me');
    const stopSender = new AbortController();
    const { port, done } = await sendOnLoopback({ file, receivers: 1, segmentSize: 1 << 20, signal: stopSender.signal });
    const started = performance.now();
    const err = await receive({ host: '127.0.0.1', port, out, noClobber: true, logger: quiet, decodeWorkers: 1 }).catch((e: unknown) => e);
    // Refused at the offer, not after a transfer.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(OutputConflictError);
    expect((err as Error).message).toMatch(/app\.bin.*--no-clobber/);
    expect(await readFile(join(out, 'app.bin'), 'utf8')).toBe('keep me');
    expect(await readdir(out)).toEqual(['app.bin']);
    stopSender.abort();
    await done.catch(() => undefined);
  }, 30_000);
});

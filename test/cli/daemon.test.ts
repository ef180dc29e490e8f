/**
 * `receive --daemon` through the real CLI over 127.0.0.1: two signed publications served one
 * after the other on one port each land and run --on-complete (the first run of the command
 * fails: logged, the daemon goes on), one JSON line per publication, SIGTERM ends it with 0.
 * Usage errors: --daemon with --wait-for-sender, --poll-interval without --daemon.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { generatePublisherKeys, parsePrivateKey } from '../../control/publication.js';
import { freeTcpPort, seededFile, signedPublications, tempDir } from '../e2e/helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

function start(args: string[], cwd: string) {
  const p = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let waiter: { done: () => boolean; resolve: () => void } | undefined;
  p.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    const parts = stderr.split('\n');
    stderr = parts.pop()!;
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ text: line });
      }
    }
    if (waiter?.done()) waiter.resolve();
  });
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  return {
    process: p,
    lines,
    exited,
    /** Resolves once what has been logged satisfies `done`. */
    until: (done: () => boolean) => new Promise<void>((resolve) => (done() ? resolve() : (waiter = { done, resolve }))),
  };
}

describe('receive --daemon', () => {
  it('stores successive signed publications, runs --on-complete after each, survives its failure and exits 0 on SIGTERM', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const k = generatePublisherKeys();
    const privateKey = parsePrivateKey(k.privatePem);
    await writeFile(join(t.dir, 'publisher.pub'), k.publicPem);
    for (const v of ['v1', 'v2', 'out']) await mkdir(join(t.dir, v));
    const hash1 = await seededFile(join(t.dir, 'v1', 'app.bin'), 30_000, 11);
    const hash2 = await seededFile(join(t.dir, 'v2', 'app.bin'), 30_000, 12);
    const publications = signedPublications(t.dir, privateKey);
    const serve = publications.serve;

    const first = await serve('v1', 1_000_000);
    // The command records each run and fails the first time.
    const hook = 'echo "$FOUNTCAST_SHA256" >> "$PWD/runs.txt"; [ "$(wc -l < "$PWD/runs.txt")" -gt 1 ]';
    const daemon = start(
      [
        'receive',
        `127.0.0.1:${publications.port}`,
        '--out',
        join(t.dir, 'out'),
        '--trust',
        join(t.dir, 'publisher.pub'),
        '--trust-state',
        join(t.dir, 'state', 'trust.json'),
        '--daemon',
        '--poll-interval',
        '50ms',
        '--on-complete',
        hook,
        // The plain SHA-256 for the hook (FOUNTCAST_SHA256) and the log.
        '--sha256',
        '--json',
      ],
      t.dir,
    );
    const logged = (event: string) => daemon.lines.filter((l) => l.event === event).length;
    await daemon.until(() => logged('on-complete-failed') === 1);
    await first.done;
    const second = await serve('v2', 2_000_000);
    await daemon.until(() => logged('publication-stored') === 2);
    await second.done;
    // The daemon logs its next line (the sender gone, or still offering v2) only after --on-complete returned.
    await daemon.until(() => daemon.lines.map((l) => l.event).lastIndexOf('publication-stored') < daemon.lines.length - 1);
    daemon.process.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);

    expect((await readFile(join(t.dir, 'runs.txt'), 'utf8')).trim().split('\n')).toEqual([hash1, hash2]);
    const stored = daemon.lines.filter((l) => l.event === 'publication-stored');
    expect(stored).toMatchObject([
      { file: 'app.bin', sha256: hash1, publishedAt: 1_000_000 },
      { file: 'app.bin', sha256: hash2, publishedAt: 2_000_000 },
    ]);
    expect(daemon.lines.filter((l) => l.event === 'on-complete-failed')).toHaveLength(1);
    expect(daemon.lines.at(-1)).toMatchObject({ event: 'daemon-stopped', signal: 'SIGTERM' });
    // The transfers' own lines stay below the daemon's: one line per publication.
    expect(daemon.lines.filter((l) => typeof l.msg === 'string' && /^receiving /.test(l.msg))).toEqual([]);
    // Remembered beside the trust state.
    expect(await readFile(join(t.dir, 'state', 'standing-state.json'), 'utf8')).toContain(stored[1]!.digest as string);
  }, 30_000);

  it('waits for a sender that is not there, and exits 130 on SIGINT like an interrupted receive', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const port = await freeTcpPort();
    const daemon = start(['receive', `127.0.0.1:${port}`, '--daemon', '--daemon-state', join(t.dir, 'standing.json'), '--json'], t.dir);
    await daemon.until(() => daemon.lines.some((l) => l.event === 'waiting'));
    daemon.process.kill('SIGINT');
    expect(await daemon.exited).toBe(130);
    expect(daemon.lines.at(-1)).toMatchObject({ event: 'interrupted', signal: 'SIGINT' });
  });

  it('refuses options that make no sense with it (exit 2)', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const both = start(['receive', '127.0.0.1:9', '--daemon', '--wait-for-sender', '5s'], t.dir);
    expect(await both.exited).toBe(2);
    expect(both.lines.map((l) => l.text).join('\n')).toMatch(/'--daemon' cannot be used with option '--wait-for-sender/);
    const alone = start(['receive', '127.0.0.1:9', '--poll-interval', '1s'], t.dir);
    expect(await alone.exited).toBe(2);
    expect(alone.lines.map((l) => l.text).join('\n')).toMatch(/'--poll-interval' needs --daemon/);
  });
});

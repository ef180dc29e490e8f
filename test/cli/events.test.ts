/**
 * --events FILE|FD: where the JSON events go. A descriptor that is not open is a usage error
 * (one line, exit 2, an error event under --json); a file gets the events of a run that fails
 * (nothing listens on the port), ending with the summary and its exit code.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freeTcpPort, tempDir } from '../e2e/helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('--events', () => {
  it('a descriptor that is not open: one line, exit 2; under --json an error event of kind usage', () => {
    const r = run('receive', '127.0.0.1:9', '--events', '57');
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'fountcast: error: --events 57: file descriptor 57 is not open (e.g. run with 3>events.jsonl)',
      "(see 'fountcast receive --help')",
    ]);
    const json = run('receive', '127.0.0.1:9', '--events', '57', '--json');
    expect(lines(json.stdout).map((l) => JSON.parse(l) as unknown)).toEqual([
      { event: 'error', kind: 'usage', message: expect.stringMatching(/not open/), exitCode: 2 },
    ]);
  });

  it('a file gets the events (not stdout), the last one the summary with the exit code; stderr keeps the one error line', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const port = await freeTcpPort(); // nothing listens there
    const file = join(t.dir, 'events.jsonl');
    const r = run('receive', `127.0.0.1:${port}`, '--out', t.dir, '--events', file);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    const events = lines(await readFile(file, 'utf8')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toEqual([
      { event: 'error', kind: 'transfer', message: expect.any(String), exitCode: 1, name: expect.any(String) },
      { event: 'summary', role: 'receiver', exitCode: 1, name: null, path: t.dir, bytes: 0, seconds: 0, goodputBitsPerSecond: 0 },
    ]);
  });
});

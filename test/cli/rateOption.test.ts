import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../cli/program.js';
import { receive } from '../../receiver/receive.js';
import { freeTcpPort, quiet, seededFile, sha256Of, tempDir } from '../e2e/helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await cleanup?.();
  cleanup = undefined;
});

/** Runs the CLI with its output captured. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const capture = (chunk: unknown) => {
    out.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  const code = await runCli(['node', 'fountcast', ...args]);
  vi.restoreAllMocks();
  return { code, out: out.join('') };
}

describe('send --rate', () => {
  it('takes auto: the adaptive pace under the default ceiling, and the transfer completes', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'auto.bin');
    const hash = await seededFile(file, 200_000, 3);
    const port = await freeTcpPort();
    const received = receive({ host: '127.0.0.1', port, out: join(t.dir, 'got.bin'), logger: quiet, waitForSenderMs: 10_000 });
    const sent = await cli([
      'send',
      file,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--rate',
      'auto',
      '--receivers',
      '1',
      '--json',
      '--log-level',
      'warn',
    ]);
    expect(sent.code).toBe(0);
    expect(await sha256Of((await received).path)).toBe(hash);
  });

  it('refuses --fixed-rate with auto, and a rate it cannot read, as usage errors (exit 2)', async () => {
    const fixed = await cli(['send', 'x.bin', '--rate', 'auto', '--fixed-rate']);
    expect(fixed.code).toBe(2);
    expect(fixed.out).toMatch(/--fixed-rate needs a rate/);
    const bad = await cli(['send', 'x.bin', '--rate', 'fast']);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/cannot read rate "fast"/);
  });
});

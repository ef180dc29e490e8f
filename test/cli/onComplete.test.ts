/**
 * `receive --on-complete CMD` through the real CLI over 127.0.0.1: the receiving user's command
 * runs once the file is in place, gets the path as data (never as command text, whatever the
 * sender named the file), and its failure is the exit code.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../e2e/helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

function run(args: string[], cwd: string, onLine?: (line: string) => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const line of d.toString().split('\n')) if (line) onLine?.(line);
    });
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

async function serve(cwd: string, file: string) {
  let onPort!: (p: number) => void;
  const port = new Promise<number>((r) => (onPort = r));
  const done = run(['send', file, '--host', '127.0.0.1', '--port', '0', '--receivers', '1', '--json', '-v'], cwd, (line) => {
    const m = /"port":(\d+)/.exec(line);
    if (m && line.includes('listening on')) onPort(Number(m[1]));
  });
  return { port: await port, done };
}

describe('receive --on-complete', () => {
  it('runs the user command with the stored path as $1, safely, and fails the run when it fails', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    // A name a shell would love to interpret: it must arrive as one harmless argument.
    const name = 'a $(touch pwned) `id`;b.bin';
    await writeFile(join(t.dir, name), 'hello fountcast\n');
    const out = join(t.dir, 'out');
    await mkdir(out);
    const first = await serve(t.dir, name);
    const ok = await run(
      [
        'receive',
        `127.0.0.1:${first.port}`,
        '--out',
        out,
        '--json',
        '--on-complete',
        'printf "%s|%s|%s|%s|" "$1" "$FOUNTCAST_FILE" "$FOUNTCAST_DIGEST" "$FOUNTCAST_SHA256" > "$0.out"; cat "$1" >> "$0.out"',
      ],
      t.dir,
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect((await first.done).code).toBe(0);
    const [arg, env, digest, sha, content, rest] = (await readFile(join(t.dir, 'fountcast-on-complete.out'), 'utf8')).split('|');
    expect(arg).toBe(join(out, name));
    expect(env).toBe(arg);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    // The plain SHA-256 only when known: the sender identified the file by its segment digests and no --sha256 asked for it.
    expect(sha).toBe('');
    expect(content).toBe('hello fountcast\n');
    expect(rest).toBeUndefined();
    await expect(readFile(join(t.dir, 'pwned'))).rejects.toThrow();

    const second = await serve(t.dir, name);
    const failing = await run(['receive', `127.0.0.1:${second.port}`, '--out', join(t.dir, 'out2'), '--on-complete', 'exit 3'], t.dir);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/--on-complete failed \(exit 3\); the file is stored at/);
    expect(await readFile(join(t.dir, 'out2'), 'utf8')).toBe('hello fountcast\n');
  }, 30_000);
});

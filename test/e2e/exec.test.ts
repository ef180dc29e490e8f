/**
 * Control over a pipe pair: `fountcast send --exec "fountcast receive --stdio …"` on this host
 * (127.0.0.1), the CLI end to end. Identical files; a command that fails is named with its own
 * last line and exit status, and one that cannot say where its datagrams go is refused; the
 * datagrams are MACed by default, encrypted with --encrypt and bare CRC-32 with --anonymous.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { seededFile, sha256Of, tempDir } from './helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const receiver = (out: string, extra = '--address 127.0.0.1') => `${process.execPath} ${cli} receive --stdio ${extra} --out ${out}`;

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

function send(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const env = { ...process.env };
  delete env.SSH_CONNECTION;
  const p = spawn(process.execPath, [cli, 'send', '-v', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  let stdout = '';
  p.stderr.on('data', (b) => (stderr += b));
  p.stdout.on('data', (b) => (stdout += b));
  return new Promise((resolve) => p.once('exit', (code) => resolve({ code, stderr, stdout })));
}

describe('send --exec: control over a command’s stdin and stdout', () => {
  it('two receivers get identical files; a failing command and one without an address are named, exit 1', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'image.bin');
    const hash = await seededFile(file, 3_000_000, 2301);
    const r = await send([
      file,
      '--exec',
      receiver(join(t.dir, 'a.bin')),
      '--exec',
      receiver(join(t.dir, 'b.bin')),
      '--exec',
      "echo 'pc9: no route to host' >&2; exit 7",
      '--exec',
      receiver(join(t.dir, 'c.bin'), ''),
    ]);
    expect(await sha256Of(join(t.dir, 'a.bin')), r.stderr).toBe(hash);
    expect(await sha256Of(join(t.dir, 'b.bin'))).toBe(hash);
    expect(existsSync(join(t.dir, 'c.bin'))).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERROR: echo 'pc9: no route to host' >&2; exit 7: pc9: no route to host \(exit status 7\)/);
    expect(r.stderr).toMatch(/ERROR: .*c\.bin: refused: the receiver did not say its address[^;\n]*\n/);
    expect(r.stderr).toMatch(/2 of 4 receiver\(s\) have the file/);
    // Its own datagram key, through its own pipe: the stream is MACed without any key file.
    expect(r.stderr).toMatch(/INFO: datagram HMAC-SHA256/);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('--encrypt: AES-256-GCM under the key handed over in the pipe; --anonymous: CRC-32, no key', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'image.bin');
    const hash = await seededFile(file, 1_500_000, 2302);
    const encrypted = await send([file, '--encrypt', '--exec', receiver(join(t.dir, 'e.bin'))]);
    expect(encrypted.code, encrypted.stderr).toBe(0);
    expect(await sha256Of(join(t.dir, 'e.bin'))).toBe(hash);
    expect(encrypted.stderr).toMatch(/INFO: datagram AES-256-GCM/);
    const anonymous = await send([file, '--anonymous', '--exec', receiver(join(t.dir, 'o.bin'))]);
    expect(anonymous.code, anonymous.stderr).toBe(0);
    expect(await sha256Of(join(t.dir, 'o.bin'))).toBe(hash);
    expect(anonymous.stderr).not.toMatch(/HMAC|AES/);
  }, 60_000);

  it('usage errors: a malformed --to, --anonymous without --to or --exec, --stdio with host:port', async () => {
    const bad = await send(['x', '--to', 'ssh://-oProxyCommand=x/y']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--to "ssh:\/\/-oProxyCommand=x\/y" has no valid host/);
    expect((await send(['x', '--anonymous'])).stderr).toMatch(/--anonymous applies with --to or --exec/);
    const p = spawn(process.execPath, [cli, 'receive', '--stdio', '127.0.0.1:7070'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (b) => (stderr += b));
    expect(await new Promise((r) => p.once('exit', r))).toBe(2);
    expect(stderr).toMatch(/--stdio takes the control protocol on standard input and output: no host:port/);
  }, 30_000);
});

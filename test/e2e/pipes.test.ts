/**
 * Pipes on real sockets (127.0.0.1): `… | tee >(sha256sum) | fountcast send -` to
 * `fountcast receive --out - | sha256sum`, the two hashes identical, with the input still open
 * while the first segments are delivered (so the length does follow); a piped receiver whose
 * sender dies exits non-zero having written only whole verified segments; the library's send
 * of a stream to a receiver that stores a file, of a FIFO, and on a multicast stream.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../control/messages.js';
import { receive } from '../../receiver/receive.js';
import { SeededRandom } from '../../util/random.js';
import { freeTcpPort, quiet, sendOnLoopback, tempDir } from './helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const sharedRunner = fileURLToPath(new URL('./pipeSharedRun.mjs', import.meta.url));
/** A private namespace's loopback with multicast (as shared.test.ts): nothing reaches the host's network. */
const NAMESPACE_SETUP = 'set -e; ip link set lo up; ip link set lo multicast on; ip route add 224.0.0.0/4 dev lo src 127.0.0.1; exec node "$0"';
const MiB = 1 << 20;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let cleanup: (() => Promise<void>) | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await cleanup?.();
  cleanup = undefined;
});

function exited(p: ChildProcess): Promise<number | null> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve(p.exitCode) : new Promise((r) => p.once('exit', (code) => r(code)));
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sizeOf = (path: string) =>
  stat(path).then(
    (s) => s.size,
    () => 0,
  );

describe('pipes', () => {
  it('tee >(sha256sum) | send -  to  receive --out - | sha256sum: the same hash, the length following', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    // 24 MiB and a bit: six full 4 MiB segments and a short seventh, several in flight at once.
    const data = new SeededRandom(2101).fill(new Uint8Array(24 * MiB + 12_345));
    const input = join(t.dir, 'input.bin');
    await writeFile(input, data);
    const spool = join(t.dir, 'tmp');
    await mkdir(spool);
    const port = await freeTcpPort();
    const env = { ...process.env, CLI: cli, DATA: input, DIR: t.dir, PORT: String(port), TMPDIR: spool };
    // The producer writes the first segment, then holds the pipe open until the receiver has
    // written it to its stdout: so the manifest cannot have known the length.
    const sender = spawn(
      'bash',
      [
        '-c',
        'set -o pipefail; { head -c 4194304 "$DATA"; until [ -e "$DIR/go" ]; do sleep 0.05; done; tail -c +4194305 "$DATA"; } ' +
          '| tee >(sha256sum > "$DIR/sent.sha") | node "$CLI" send - --host 127.0.0.1 --port "$PORT" --receivers 1 2> "$DIR/send.log"',
      ],
      { env, stdio: 'ignore' },
    );
    children.push(sender);
    const receiver = spawn(
      'bash',
      [
        '-c',
        'node "$CLI" receive "127.0.0.1:$PORT" --out - --wait-for-sender 20s 2> "$DIR/recv.log" | tee "$DIR/received.bin" | sha256sum > "$DIR/recv.sha"; ' +
          'echo "${PIPESTATUS[0]}" > "$DIR/recv.rc"',
      ],
      { env, stdio: 'ignore' },
    );
    children.push(receiver);
    await until('the first segment on the receiver’s stdout', async () => (await sizeOf(join(t.dir, 'received.bin'))) >= 4 * MiB);
    expect(await sizeOf(join(t.dir, 'received.bin'))).toBe(4 * MiB); // nothing beyond what was read
    await writeFile(join(t.dir, 'go'), '');
    const [sent, received] = await Promise.all([exited(sender), exited(receiver)]);
    expect(sent, await readFile(join(t.dir, 'send.log'), 'utf8')).toBe(0);
    expect(received).toBe(0);
    expect((await readFile(join(t.dir, 'recv.rc'), 'utf8')).trim(), await readFile(join(t.dir, 'recv.log'), 'utf8')).toBe('0');
    // bash does not wait for a process substitution: its sha256sum may still be writing.
    await until('the sending side’s sha256sum', async () => (await sizeOf(join(t.dir, 'sent.sha'))) >= 64);
    const [sentSha, recvSha] = await Promise.all(['sent.sha', 'recv.sha'].map(async (f) => (await readFile(join(t.dir, f), 'utf8')).split(' ')[0]));
    expect(sentSha).toBe(sha256(data));
    expect(recvSha).toBe(sentSha);
    // The spool was the sender's to remove.
    expect(await readdir(spool)).toEqual([]);
  }, 90_000);

  it('a piped receiver whose sender dies exits non-zero, having written only whole verified segments', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const data = new SeededRandom(2102).fill(new Uint8Array(8 * MiB));
    const port = await freeTcpPort();
    const sender = spawn(process.execPath, [cli, 'send', '-', '--host', '127.0.0.1', '--port', String(port), '--segment-size', '1M'], {
      env: { ...process.env, TMPDIR: t.dir },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    children.push(sender);
    // Three and a half segments, the pipe left open: the sender can announce three.
    sender.stdin!.write(data.subarray(0, 3.5 * MiB));
    const receiver = spawn(process.execPath, [cli, 'receive', `127.0.0.1:${port}`, '--out', '-', '--wait-for-sender', '20s'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(receiver);
    const out: Buffer[] = [];
    let got = 0;
    receiver.stdout!.on('data', (c: Buffer) => {
      out.push(c);
      got += c.length;
    });
    let log = '';
    receiver.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    await until('three segments on the receiver’s stdout', async () => got >= 3 * MiB);
    sender.kill('SIGKILL');
    const code = await exited(receiver);
    expect(code, log).not.toBe(0);
    expect(code).not.toBeNull();
    const written = Buffer.concat(out);
    expect(written.length).toBe(3 * MiB);
    expect(written.equals(Buffer.from(data.subarray(0, 3 * MiB)))).toBe(true);
  }, 60_000);

  it('send() of a stream to a receiver that stores a file: written in order, renamed into place once verified', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const data = new SeededRandom(2103).fill(new Uint8Array(5 * MiB + 77));
    const stdin = new PassThrough();
    stdin.write(data.subarray(0, 2 * MiB));
    const { port, done } = await sendOnLoopback({ paths: ['-'], stdin, name: 'disk.img', receivers: 1, segmentSize: MiB });
    const out = join(t.dir, 'out');
    await mkdir(out);
    let manifest: Manifest | undefined;
    const summary = await receive({
      host: '127.0.0.1',
      port,
      out,
      logger: quiet,
      // The plain SHA-256 as well: a running hash over segments whose count grows with the digests.
      sha256: true,
      onManifest: (m) => {
        manifest = m;
        stdin.end(data.subarray(2 * MiB));
      },
    });
    expect(manifest).toMatchObject({ fileName: 'disk.img', fileSize: 0, lengthFollows: true, fileDigest: 'segments' });
    expect(summary).toMatchObject({ path: join(out, 'disk.img'), bytes: data.length, sha256: sha256(data) });
    expect(sha256(await readFile(summary.path))).toBe(sha256(data));
    expect(await readdir(out)).toEqual(['disk.img']);
    expect((await done).completed).toBe(1);
  }, 60_000);

  it('a multicast send - reads its input to the end, then serves it whole (in a private network namespace)', () => {
    const r = spawnSync('unshare', ['-rn', 'sh', '-c', NAMESPACE_SETUP, sharedRunner], { encoding: 'utf8', timeout: 120_000 });
    if (r.error || r.status !== 0)
      throw new Error(`cannot run in a private network namespace (unshare -rn): ${r.error?.message ?? `exit ${r.status}`}\n${r.stderr}`);
    const outcome = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      ok: boolean;
      error?: string;
      listenedAfterEnd: boolean;
      identical: boolean[];
      names: unknown[];
      completed: number;
    };
    expect(outcome.ok, outcome.error).toBe(true);
    expect(outcome.listenedAfterEnd).toBe(true);
    expect(outcome.identical).toEqual([true, true]);
    expect(outcome.names).toEqual(['-', true]);
    expect(outcome.completed).toBe(2);
  }, 120_000);

  it('a tree cannot be written to standard output: refused after the manifest, the sender told why', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    await mkdir(join(t.dir, 'tree'));
    await writeFile(join(t.dir, 'tree', 'a.txt'), 'a');
    const { port, done } = await sendOnLoopback({ paths: [join(t.dir, 'tree')], receivers: 1, giveUpAfterMs: 1 });
    const stdout = new PassThrough();
    await expect(receive({ host: '127.0.0.1', port, out: '-', stdout, logger: quiet })).rejects.toMatchObject({
      name: 'ManifestRejectedError',
      message: expect.stringMatching(/is a tree .*cannot be written to standard output/),
    });
    const summary = await done;
    expect(summary.receivers[0]).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/standard output/) });
  }, 30_000);

  it('a FIFO given as a path is read like standard input and named after it', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const fifo = join(t.dir, 'backup.tar');
    execFileSync('mkfifo', [fifo]);
    const data = new SeededRandom(2104).fill(new Uint8Array(3 * MiB + 5));
    // The sender opens the FIFO for reading, which waits for this writer.
    const writing = open(fifo, 'w').then(async (fh) => {
      await fh.write(data);
      await fh.close();
    });
    const { port, done } = await sendOnLoopback({ paths: [fifo], receivers: 1, segmentSize: MiB });
    await writing;
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const summary = await receive({ host: '127.0.0.1', port, out: '-', stdout, logger: quiet });
    expect(summary).toMatchObject({ path: '-', bytes: data.length });
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
    expect((await done).completed).toBe(1);
    expect(existsSync(fifo)).toBe(true); // a FIFO is read, never removed
  }, 60_000);
});

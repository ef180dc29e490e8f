/**
 * `fountcast bundle` and `enroll-server` for real: single-file executables (Node SEA) run with an
 * empty environment and a PATH without node, receiving from an in-process `--receiver-keys
 * --sign` sender on 127.0.0.1. Each bundle build copies the ~100 MB Node binary (seconds), so the
 * file builds four in all and runs its cases in order on them: the bundle receives; its bytes
 * hold its own secret and no other; --version; rebuilding refuses without --rotate; the enroll
 * server's bundles (another key directory: other names to this sender) are refused; --rotate
 * stops the old bundle; a deleted key stops the new one.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enroll, keygen, loadPrivateKeyFile, loadReceiverKeyFile, receiverKeyDirectory, receiverKeyFingerprint } from '../../control/keyFiles.js';
import { buildBundle, type BundleResult } from '../../cli/bundleBuild.js';
import { runEnrollServer } from '../../cli/enrollServer.js';
import { quiet, seededFile, sendOnLoopback, sha256Of, tempDir } from './helpers.js';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a bundle as on a bare machine: no environment but a PATH where no node is. */
function runBare(file: string, args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(file, args, { env: { PATH: '/nonexistent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let t: Awaited<ReturnType<typeof tempDir>>;
let keys: string;
let pubFile: string;
let privateKey: Awaited<ReturnType<typeof loadPrivateKeyFile>>;
let payload: string;
let payloadHash: string;
let first: BundleResult;
let publishedAt = Date.now();

beforeAll(async () => {
  t = await tempDir();
  keys = join(t.dir, 'receivers');
  const k = await keygen(join(t.dir, 'publisher'));
  pubFile = k.publicPath;
  privateKey = await loadPrivateKeyFile(k.privatePath);
  await enroll('lab-pc-02', keys); // another receiver in the same directory
  payload = join(t.dir, 'image.bin');
  payloadHash = await seededFile(payload, 3 * (1 << 20) + 77, 22);
  first = await buildBundle({
    name: 'lab-pc-01',
    keysDir: keys,
    trust: [pubFile],
    outDefault: join(t.dir, 'default-out'),
    out: join(t.dir, 'fountcast-lab-pc-01'),
  });
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

/** A signed sender for the enrolled receivers in `keys`, for one receiver, and a bundle run against it. */
async function receiveWith(bundle: string, extra: string[] = []): Promise<{ ran: Ran; out: string; completed: boolean }> {
  const stop = new AbortController();
  publishedAt += 1000;
  const { port, done } = await sendOnLoopback({
    file: payload,
    receivers: 1,
    receiverKeys: receiverKeyDirectory(keys),
    sign: { privateKey, publishedAt },
    segmentSize: 1 << 20,
    signal: stop.signal,
  });
  const out = join(t.dir, `out-${publishedAt}`);
  await mkdir(out);
  const ran = await runBare(bundle, [`127.0.0.1:${port}`, '--out', out, '--trust-state', join(t.dir, 'trust-state.json'), ...extra]);
  if (ran.code !== 0) stop.abort();
  const summary = await done.catch(() => undefined);
  return { ran, out, completed: (summary?.completed ?? 0) === 1 };
}

describe('fountcast bundle', () => {
  it('receives an identical file with no node on the machine, at 10 % loss', async () => {
    const { ran, out, completed } = await receiveWith(first.path, ['--simulate-loss', '0.1', '--seed', '3']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(completed).toBe(true);
    expect(await sha256Of(join(out, 'image.bin'))).toBe(payloadHash);
    console.log(`bundle: ${(first.bytes / 2 ** 20).toFixed(1)} MiB, built in ${(first.ms / 1000).toFixed(1)} s`);
    expect(first.bytes).toBeLessThanOrEqual(120 * 2 ** 20);
  });

  it('holds its own secret and no other receiver’s, nor the publisher’s private key', async () => {
    const bytes = await readFile(first.path);
    const own = await loadReceiverKeyFile(join(keys, 'lab-pc-01.key'));
    const other = await loadReceiverKeyFile(join(keys, 'lab-pc-02.key'));
    expect(bytes.includes(Buffer.from(Buffer.from(own.secret).toString('base64')))).toBe(true);
    expect(bytes.includes(Buffer.from(Buffer.from(other.secret).toString('base64')))).toBe(false);
    expect(bytes.includes(Buffer.from(other.secret))).toBe(false);
    const pem = await readFile(join(t.dir, 'publisher.key'), 'utf8');
    for (const line of pem.split('\n').filter((l) => l && !l.startsWith('-----'))) expect(bytes.includes(Buffer.from(line))).toBe(false);
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
    expect(bytes.includes(seed)).toBe(false);
    expect(bytes.includes(Buffer.from(seed.toString('base64')))).toBe(false);
  });

  it('--version prints its name and key fingerprint', async () => {
    const ran = await runBare(first.path, ['--version']);
    expect(ran.code).toBe(0);
    const own = await loadReceiverKeyFile(join(keys, 'lab-pc-01.key'));
    expect(ran.stdout).toContain(`lab-pc-01 key ${receiverKeyFingerprint(own.secret)}`);
    expect(first.fingerprint).toBe(receiverKeyFingerprint(own.secret));
    // The native module travels inside the bundle and loads from it (CI builds it).
    if (process.env.FOUNTCAST_REQUIRE_NATIVE === '1') expect(ran.stdout).toContain(', native module)');
  });

  it('rebuilding for an existing name refuses without --rotate and leaves the key alone', async () => {
    const before = await readFile(join(keys, 'lab-pc-01.key'), 'utf8');
    await expect(buildBundle({ name: 'lab-pc-01', keysDir: keys, trust: [pubFile], out: join(t.dir, 'again') })).rejects.toMatchObject({
      name: 'BundleError',
      message: expect.stringContaining('--rotate'),
    });
    expect(await readFile(join(keys, 'lab-pc-01.key'), 'utf8')).toBe(before);
  });

  it('the enroll server hands out one bundle per token, refuses a reused or unknown one; its bundles are other names here and refused', async () => {
    const serverKeys = join(t.dir, 'server-receivers');
    const tokenFile = join(t.dir, 'tokens.txt');
    await writeFile(tokenFile, '# one-time tokens\nA1b2C3d4E5f6G7h8-first\nZ9y8X7w6V5u4T3s2-second\n');
    const stop = new AbortController();
    let port = 0;
    const listening = new Promise<void>((r) => {
      void runEnrollServer({
        port: 0,
        keysDir: serverKeys,
        tokenFile,
        trust: [pubFile],
        logger: quiet,
        signal: stop.signal,
        onListening: (a) => {
          port = a.port;
          r();
        },
      });
    });
    await listening;
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
    try {
      const one = await get('/bundle/kiosk-1?token=A1b2C3d4E5f6G7h8-first');
      expect(one.status).toBe(200);
      const oneFile = join(t.dir, 'fountcast-kiosk-1');
      await writeFile(oneFile, Buffer.from(await one.arrayBuffer()), { mode: 0o755 });
      const two = await fetch(`http://127.0.0.1:${port}/bundle/kiosk-2`, { headers: { authorization: 'Bearer Z9y8X7w6V5u4T3s2-second' } });
      expect(two.status).toBe(200);
      expect(Number(two.headers.get('content-length'))).toBeGreaterThan(50 * 2 ** 20);
      await two.arrayBuffer();
      const reused = await get('/bundle/kiosk-3?token=A1b2C3d4E5f6G7h8-first');
      expect(reused.status).toBe(403);
      expect(await reused.text()).toMatch(/already been used/);
      expect((await get('/bundle/kiosk-3?token=not-a-token-at-all')).status).toBe(403);
      expect((await get('/bundle/kiosk-3')).status).toBe(403);
      expect((await get('/bundle/..?token=A1b2C3d4E5f6G7h8-first')).status).toBeGreaterThanOrEqual(400);
      expect((await get('/bundle/%E0%A4%A?token=x')).status).toBe(400);
      expect(await readFile(`${tokenFile}.used`, 'utf8')).toMatch(/^([0-9a-f]{64}\n){2}$/);
      const versions = await runBare(oneFile, ['--version']);
      expect(versions.stdout).toContain('kiosk-1 key ');
      // kiosk-1's key lives in the server's directory, not in this sender's: refused.
      const { ran, completed } = await receiveWith(oneFile, ['--connect-timeout', '5s']);
      expect(ran.code).toBe(1);
      expect(completed).toBe(false);
      expect(ran.stderr).toMatch(/not enrolled|refused|unknown|rejected/i);
    } finally {
      stop.abort();
    }
    // A restart does not take a spent token again.
    const again = new AbortController();
    await new Promise<void>((r) => {
      void runEnrollServer({
        port: 0,
        keysDir: serverKeys,
        tokenFile,
        trust: [pubFile],
        logger: quiet,
        signal: again.signal,
        onListening: (a) => ((port = a.port), r()),
      });
    });
    try {
      expect((await get('/bundle/kiosk-9?token=Z9y8X7w6V5u4T3s2-second')).status).toBe(403);
    } finally {
      again.abort();
    }
  });

  it('--rotate replaces the key: the old bundle is refused, the new one receives; deleting its key revokes it', async () => {
    const rotated = await buildBundle({ name: 'lab-pc-01', keysDir: keys, trust: [pubFile], out: join(t.dir, 'fountcast-lab-pc-01-new'), rotate: true });
    expect(rotated.rotated).toBe(true);
    expect(rotated.fingerprint).not.toBe(first.fingerprint);
    const old = await receiveWith(first.path, ['--connect-timeout', '5s']);
    expect(old.ran.code).toBe(1);
    expect(old.completed).toBe(false);
    const fresh = await receiveWith(rotated.path);
    expect(fresh.ran.code, fresh.ran.stderr).toBe(0);
    expect(await sha256Of(join(fresh.out, 'image.bin'))).toBe(payloadHash);
    await unlink(join(keys, 'lab-pc-01.key'));
    const revoked = await receiveWith(rotated.path, ['--connect-timeout', '5s']);
    expect(revoked.ran.code).toBe(1);
    expect(revoked.completed).toBe(false);
    console.log(`refusals: ${old.ran.stderr.trim().split('\n').pop()} / ${revoked.ran.stderr.trim().split('\n').pop()}`);
  }, 120_000);
});

/**
 * Dead peers on real sockets: a receiver process killed mid-transfer, a receiver that goes
 * silent with its socket open (caught by the idle timeout, i.e. missing heartbeats), and a
 * sender that goes silent after the manifest (the receiver fails cleanly, leaves no file).
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../control/framing.js';
import { decodeMessage, encodeMessage } from '../../control/messageCodec.js';
import type { ControlMessage, Manifest } from '../../control/messages.js';
import { receive } from '../../receiver/receive.js';
import { quiet, seededFile, sha256Of, sendOnLoopback, tempDir } from './helpers.js';
import { SAMPLE_MANIFEST } from '../../bench/fuzz/targets.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

function frame(m: ControlMessage): Buffer {
  return Buffer.from(encodeFrame(encodeMessage(m)));
}

describe('dead peers', () => {
  it('drops a receiver killed mid-transfer and still serves the next one', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'big.bin');
    const hash = await seededFile(file, 4 << 20, 3);
    // 16 Mbit/s: the 4 MiB transfer takes ~2 s, plenty of time to kill the first receiver.
    const { port, done } = await sendOnLoopback({
      file,
      receivers: 1,
      rateBitsPerSecond: 16e6,
      segmentSize: 1 << 20,
      idleTimeoutMs: 2000,
      logger: quiet,
    });

    const out1 = join(t.dir, 'victim');
    await mkdir(out1);
    const victim = spawn(process.execPath, [cli, 'receive', `127.0.0.1:${port}`, '--out', out1, '--json', '--log-level', 'debug'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Kill it as soon as it logs that data is arriving.
    await new Promise<void>((resolve) => {
      victim.stderr.on('data', (d: Buffer) => {
        if (/receiving big\.bin/.test(d.toString())) setTimeout(() => resolve(), 300);
      });
    });
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    // The killed receiver left no file under the final name.
    expect((await readdir(out1)).filter((n) => n === 'big.bin')).toEqual([]);

    const out2 = join(t.dir, 'ok');
    await mkdir(out2);
    const r = await receive({ host: '127.0.0.1', port, out: out2, logger: quiet });
    expect(await sha256Of(r.path)).toBe(hash);
    const summary = await done;
    expect(summary.completed).toBe(1);
    expect(summary.failed).toBe(1);
    const dead = summary.receivers.find((x) => x.outcome === 'failed')!;
    expect(dead.reason).toMatch(/peer closed the connection|connection error/);
  }, 30_000);

  it('drops a receiver that stops sending heartbeats (idle timeout) without stalling the sender', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'f.bin');
    await seededFile(file, 1 << 20, 4);
    const controller = new AbortController();
    const { port, done } = await sendOnLoopback({
      file,
      idleTimeoutMs: 600,
      heartbeatIntervalMs: 150,
      logger: quiet,
      signal: controller.signal,
    });
    const zombie = connect({ host: '127.0.0.1', port });
    const frames = new FrameDecoder(1 << 20);
    let manifest: Manifest | undefined;
    const closedAt = new Promise<number>((resolve) => zombie.on('close', () => resolve(performance.now())));
    zombie.on('data', (d) => {
      frames.push(d);
      for (let f = frames.next(); f; f = frames.next()) {
        const m = f.ok ? decodeMessage(f.frame) : undefined;
        if (m?.ok && m.message.type === 'manifest' && !manifest) {
          manifest = m.message;
          zombie.write(frame({ type: 'request' }));
        }
      }
    });
    zombie.on('error', () => undefined);
    zombie.write(frame({ type: 'hello', version: 4, receiverId: 'zombie', codecs: ['raptorq'], udpPort: 9, window: 4 }));
    const start = performance.now();
    const end = await closedAt;
    expect(manifest).toBeDefined();
    // Closed by the idle timeout (600 ms of silence), not instantly and not never.
    expect(end - start).toBeGreaterThanOrEqual(550);
    expect(end - start).toBeLessThan(5000);
    controller.abort();
    const summary = await done;
    expect(summary.receivers).toHaveLength(1);
    expect(summary.receivers[0]).toMatchObject({ receiverId: 'zombie', outcome: 'failed' });
    expect(summary.receivers[0]!.reason).toMatch(/idle timeout/);
  }, 15_000);

  it('fails cleanly when the sender goes silent after the manifest, leaving no file', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const port = await fakeSender({});
    const out = join(t.dir, 'out');
    await mkdir(out);
    await expect(receive({ host: '127.0.0.1', port, out, logger: quiet })).rejects.toThrow(/sender vanished: peer silent .*idle timeout/);
    // A vanished sender may come back: only the hidden staging remains, for a resume.
    expect((await readdir(out)).filter((n) => !n.startsWith('.'))).toEqual([]);
  });

  it('refuses a manifest naming a coding scheme it does not have, before allocating anything', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const port = await fakeSender({ codec: 'raptorq-2' });
    const out = join(t.dir, 'out');
    await mkdir(out);
    const err = await receive({ host: '127.0.0.1', port, out, logger: quiet }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ManifestRejectedError' });
    expect(String((err as Error).message)).toMatch(/codec "raptorq-2".*raptorq, lt, rs, arq/);
    expect(await readdir(out)).toEqual([]);
  });

  it.each([
    [
      'a link pointing out of the tree',
      [{ path: 'evil', kind: 'symlink', size: 0, mode: 0o777, mtimeMs: 0, target: '../../etc/passwd' }],
      /"evil" refused: the symlink target "\.\.\/\.\.\/etc\/passwd" leaves the tree/,
    ],
    [
      'a file under a path that is also a file',
      [
        { path: 'a', kind: 'file', size: 5000, mode: 0o644, mtimeMs: 0, sha256: 'a'.repeat(64) },
        { path: 'a/b', kind: 'file', size: 5000, mode: 0o644, mtimeMs: 0, sha256: 'b'.repeat(64) },
      ],
      /"a\/b"/,
    ],
    [
      'a path that climbs out',
      [{ path: 'a/../../x', kind: 'file', size: 10_000, mode: 0o644, mtimeMs: 0, sha256: 'c'.repeat(64) }],
      /tree entry "a\/\.\.\/\.\.\/x" has a \.\. component/,
    ],
    ['an absolute path', [{ path: '/x', kind: 'file', size: 10_000, mode: 0o644, mtimeMs: 0, sha256: 'c'.repeat(64) }], /tree entry "\/x" is absolute/],
    [
      'a duplicate path',
      [
        { path: 'x', kind: 'file', size: 5000, mode: 0o644, mtimeMs: 0, sha256: 'c'.repeat(64) },
        { path: 'x', kind: 'file', size: 5000, mode: 0o644, mtimeMs: 0, sha256: 'c'.repeat(64) },
      ],
      /"x" is not after "x"/,
    ],
  ])("a hostile sender's tree with %s is refused by name and nothing is written", async (_, entries, why) => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const fileSize = entries.reduce((n, e) => n + e.size, 0);
    const port = await fakeSender({
      fileName: 'tree',
      fileSize,
      entries,
      segmentDigests: Buffer.alloc(32 * Math.ceil(fileSize / (1 << 20))).toString('base64'),
    });
    const out = join(t.dir, 'out');
    await mkdir(out);
    const err = await receive({ host: '127.0.0.1', port, out, logger: quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(why);
    expect(await readdir(out)).toEqual([]);
    expect(await readdir(t.dir)).toEqual(['out']);
  });

  it('refuses digests that do not follow on from the manifest, leaving no file', async () => {
    const deferred = { segmentDigests: undefined, fileSha256: undefined, digestsFollow: true };
    const cases: [ControlMessage[], RegExp][] = [
      [[{ type: 'digests', firstSegment: 1, segmentDigests: Buffer.alloc(32).toString('base64') }], /digests from segment 1, expected 0/],
      // No Digests frame is held any more: the core exists as soon as a manifest whose digests
      // follow is accepted (such a manifest is never signed, so no replay check comes between).
    ];
    for (const [after, why] of cases) {
      const t = await tempDir();
      cleanup = t.cleanup;
      const port = await fakeSender(deferred, after);
      const out = join(t.dir, 'out');
      await mkdir(out);
      const err = await receive({ host: '127.0.0.1', port, out, logger: quiet }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'ManifestRejectedError' });
      expect(String((err as Error).message)).toMatch(why);
      await new Promise((r) => setTimeout(r, 50)); // a temporary file created late would show by now
      expect(await readdir(out)).toEqual([]);
      await cleanup();
      cleanup = undefined;
    }
  });
});

/** A TCP server that answers any Hello with one manifest (fields overridable), then `after` in the same write, and then says nothing. */
async function fakeSender(over: Record<string, unknown>, after: ControlMessage[] = []): Promise<number> {
  const server = createServer((s) => {
    s.once('data', () =>
      s.write(
        Buffer.concat([
          frame({
            ...SAMPLE_MANIFEST,
            sessionId: 1,
            fileName: 'ghost.bin',
            fileSize: 10_000,
            segmentSize: 1 << 20,
            segmentDigests: Buffer.alloc(32).toString('base64'),
            idleTimeoutMs: 500,
            heartbeatIntervalMs: 100,
            ...over,
          } as unknown as ControlMessage),
          ...after.map(frame),
        ]),
      ),
    );
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const previous = cleanup;
  cleanup = async () => {
    server.close();
    await previous?.();
  };
  return (server.address() as { port: number }).port;
}

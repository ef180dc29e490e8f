/**
 * A stream worker that fails ends the sender's session (loopback, a fake stream): every
 * connected receiver is told why, the listener closes, and the server reports the failure that
 * send() rejects with.
 */
import { mkdir, readdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileRaptorQModule } from '../../encoder/raptorq.js';
import { receive } from '../../receiver/receive.js';
import { openSource } from '../../sender/preparedFile.js';
import { resolveSendConfig } from '../../sender/sendConfig.js';
import { SenderServer } from '../../sender/server.js';
import type { StreamPort } from '../../sender/streamPort.js';
import { quiet, seededFile, tempDir } from '../e2e/helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('a stream worker that fails', () => {
  it('ends the session: both receivers told why, the server failed with it, newcomers refused', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'payload.bin');
    await seededFile(path, 200_000, 71);
    const { file } = await openSource([path], { segmentSize: 1 << 20, symbolSize: 1392 });
    await file.digests.done;
    // Streams that send nothing and fail when the test says (as a crashed worker's would), or stop when told.
    const ends: ((message: string) => void)[] = [];
    let opened!: () => void;
    const bothOpened = new Promise<void>((r) => (opened = r));
    const fake = (): StreamPort => {
      let end!: (e: { reason: 'error' | 'stopped'; message: string; stats: object; workerFailed?: boolean }) => void;
      const finished = new Promise<{ reason: 'error' | 'stopped'; message: string; stats: object; workerFailed?: boolean }>((r) => (end = r));
      ends.push((message) => end({ reason: 'error', message, stats: {}, workerFailed: true }));
      if (ends.length === 2) opened();
      return {
        progress: () => undefined,
        stop: (reason) => end({ reason: 'stopped', message: reason, stats: {} }),
        onStats: () => undefined,
        grow: () => undefined,
        finished,
      };
    };
    const config = resolveSendConfig({ file: path, host: '127.0.0.1', port: 0 });
    const server = await SenderServer.listen(config, { file, wasmModule: compileRaptorQModule(), logger: quiet, openUnicastStream: fake });
    const { port } = server.address()!;
    const rx = (name: string) =>
      mkdir(join(t.dir, name)).then(() =>
        receive({ host: '127.0.0.1', port, out: join(t.dir, name), receiverId: name, logger: quiet }).then(
          () => 'stored',
          (e: Error) => e.message,
        ),
      );
    const results = Promise.all([rx('a'), rx('b')]);
    await bothOpened;
    ends[0]!('stream worker crashed: out of memory');
    const summary = await server.done;
    expect(server.failure?.name).toBe('StreamFailedError');
    expect(server.failure?.message).toBe('a stream worker failed: stream worker crashed: out of memory');
    expect(summary.reason).toBe(server.failure!.message);
    // The one whose stream crashed hears of its stream; the other of the session's end.
    expect((await results).sort()).toEqual([
      'sender stopped the transfer: a stream worker failed: stream worker crashed: out of memory',
      'sender stopped the transfer: sender stream failed: stream worker crashed: out of memory',
    ]);
    const late = await receive({ host: '127.0.0.1', port, out: t.dir, logger: quiet }).catch((e: Error) => e.message);
    expect(late).toMatch(/ECONNREFUSED/);
  });
});

describe('a file that changes after it was hashed', () => {
  it('ends the session at the first read that finds it (a real stream worker): the receiver told why, the server failed with it', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'payload.bin');
    await seededFile(path, 3 << 20, 72);
    const { file } = await openSource([path], { segmentSize: 1 << 20, symbolSize: 1392 });
    await file.digests.done;
    await truncate(path, 1 << 20);
    const config = resolveSendConfig({ file: path, host: '127.0.0.1', port: 0 });
    const server = await SenderServer.listen(config, { file, wasmModule: compileRaptorQModule(), logger: quiet });
    const { port } = server.address()!;
    await mkdir(join(t.dir, 'r'));
    const received = receive({ host: '127.0.0.1', port, out: join(t.dir, 'r'), logger: quiet }).then(
      () => 'stored',
      (e: Error) => e.message,
    );
    // Before, the session went on waiting for a receiver it could never serve.
    const summary = await server.done;
    const why = `${path} changed while it was being served (${1 << 20} bytes, not the ${3 << 20} announced): serve it once it is complete`;
    expect(server.failure?.name).toBe('StreamFailedError');
    expect(server.failure?.message).toBe(`reading segment 0: ${why}`);
    expect(summary.reason).toBe(server.failure!.message);
    expect(await received).toBe(`sender stopped the transfer: sender stream failed: reading segment 0: ${why}`);
    // Nothing under the file's name (a staging part may stay, for a resume once the file is whole).
    expect(await readdir(join(t.dir, 'r'))).not.toContain('payload.bin');
  });
});

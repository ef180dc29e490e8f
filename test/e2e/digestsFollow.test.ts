/**
 * Real sockets on 127.0.0.1: the sender serves while it still hashes. The digests are held back
 * by the test (a FileDigests fed by hand), so the receiver gets a Manifest without hashes, takes
 * the whole stream, and must neither finish nor write the file until the digests come.
 */
import { existsSync, utimesSync } from 'node:fs';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../control/messages.js';
import { compileRaptorQModule } from '../../encoder/raptorq.js';
import { planSegments } from '../../encoder/segmentLayout.js';
import { receive } from '../../receiver/receive.js';
import { FileDigests } from '../../sender/fileDigests.js';
import { SourceFileError } from '../../sender/preparedFile.js';
import { resolveSendConfig, send } from '../../sender/send.js';
import { SenderServer } from '../../sender/server.js';
import { quiet, seededFile, tempDir } from './helpers.js';
import { segmentDigest } from '../../control/segmentHash.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const MiB = 1 << 20;

describe('digests that follow the manifest', () => {
  it('a receiver takes the stream before the hashes exist, and stores the file only once they came', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'payload.bin');
    const whole = await seededFile(path, 3 * MiB + 5, 41);
    const data = await readFile(path);
    const layout = planSegments(data.length, { segmentSize: MiB });
    const digests = new FileDigests(layout.segmentCount);
    const config = resolveSendConfig({ file: path, host: '127.0.0.1', port: 0, rateBitsPerSecond: 0, receivers: 1, maxReceivers: 4, heartbeatIntervalMs: 200 });
    const server = await SenderServer.listen(config, {
      file: { path, fileName: 'payload.bin', layout, digests, mtimeMs: 0, parts: [{ path, size: data.length, mtimeMs: (await stat(path)).mtimeMs }] },
      wasmModule: compileRaptorQModule(),
      logger: quiet,
    });
    let manifest: Manifest | undefined;
    let settled = false;
    const out = join(t.dir, 'out');
    await mkdir(out);
    const receiving = receive({
      host: '127.0.0.1',
      port: server.address()!.port,
      out: join(out, 'payload.bin'),
      logger: quiet,
      onManifest: (m) => (manifest = m),
    });
    void receiving.finally(() => (settled = true)).catch(() => undefined);
    // 3 MiB go in a few ms at an uncapped rate; half a second is ample for every datagram.
    await new Promise((r) => setTimeout(r, 500));
    expect(manifest?.digestsFollow).toBe(true);
    expect(manifest?.segmentDigests).toBeUndefined();
    expect(settled).toBe(false);
    expect(existsSync(join(out, 'payload.bin'))).toBe(false);

    digests.addSegments(0, Buffer.concat([segmentDigest(data.subarray(0, MiB)), segmentDigest(data.subarray(MiB, 2 * MiB))]));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false); // two digests of four, and no file digest
    digests.addSegments(2, Buffer.concat([segmentDigest(data.subarray(2 * MiB, 3 * MiB)), segmentDigest(data.subarray(3 * MiB))]));
    digests.setFile(whole);
    const r = await receiving;
    expect(r.sha256).toBe(whole);
    expect((await readFile(join(out, 'payload.bin'))).equals(data)).toBe(true);
    expect(await readdir(out)).toEqual(['payload.bin']);
    const summary = await server.done;
    expect(summary.completed).toBe(1);
  });

  it('send fails with SourceFileError when the file is written to while it is hashed (after listening)', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'growing.bin');
    await seededFile(path, 64 * MiB, 42);
    let listening!: () => void;
    const up = new Promise<void>((r) => (listening = r));
    const sending = send({ file: path, host: '127.0.0.1', port: 0, logger: quiet, onListening: () => listening() });
    await up; // it listens before the 64 MiB are hashed
    utimesSync(path, new Date(), new Date(Date.now() + 60_000));
    await expect(sending).rejects.toThrow(SourceFileError);
    // Named, whether the hashing read or the final check saw it first.
    await expect(sending).rejects.toThrow(/growing\.bin changed while it was being (hashed|served)/);
  });
});

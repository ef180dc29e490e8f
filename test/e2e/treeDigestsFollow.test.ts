/**
 * Real sockets on 127.0.0.1: a tree served while it is still hashed. The digests are held back
 * by the test (a FileDigests fed by hand), so the receiver gets a Manifest whose digests follow
 * and whose entries carry no file digests, takes the whole stream, and must write no byte of any
 * file, nor put anything in place, until the digests have come and matched.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../control/messages.js';
import { compileRaptorQModule } from '../../encoder/raptorq.js';
import { planSegments, segmentRange } from '../../encoder/segmentLayout.js';
import { receive } from '../../receiver/receive.js';
import { helloOf } from '../../receiver/senderChecks.js';
import { resolveReceiveConfig } from '../../receiver/receiveConfig.js';
import { FileDigests } from '../../sender/fileDigests.js';
import { resolveSendConfig } from '../../sender/send.js';
import { SenderServer } from '../../sender/server.js';
import { walkSourceTree } from '../../sender/sourceTree.js';
import { quiet, seededFile, tempDir } from './helpers.js';
import { segmentDigest } from '../../control/segmentHash.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** Every regular file below `dir` that holds at least one byte. */
function filesWithBytes(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isDirectory()) found.push(...filesWithBytes(path));
    else if (st.isFile() && st.size > 0) found.push(path);
  }
  return found;
}

describe("a tree's digests that follow the manifest", () => {
  it('a receiver takes the stream before the tree is hashed, writes no byte until the digests came, then stores the tree', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const src = join(t.dir, 'src');
    await mkdir(join(src, 'a'), { recursive: true });
    await mkdir(join(src, 'b'));
    for (let i = 0; i < 40; i++) await seededFile(join(src, i % 2 ? 'a' : 'b', `f${i}`), 3000 + 97 * i, 100 + i);
    await seededFile(join(src, 'empty'), 0, 1);
    const tree = await walkSourceTree([`${src}/`], 'skip');
    const object = Buffer.concat(await Promise.all(tree.parts.map((p) => readFile(p.path))));
    const layout = planSegments(object.length, { segmentSize: 32 * 1024 });
    expect(layout.segmentCount).toBeGreaterThan(2);
    const digests = new FileDigests(layout.segmentCount);
    const config = resolveSendConfig({ file: src, host: '127.0.0.1', port: 0, rateBitsPerSecond: 0, receivers: 1, maxReceivers: 4, heartbeatIntervalMs: 200 });
    const server = await SenderServer.listen(config, {
      file: { path: src, fileName: 'src', layout, digests, mtimeMs: 0, parts: tree.parts, entries: tree.entries },
      wasmModule: compileRaptorQModule(),
      logger: quiet,
    });
    let manifest: Manifest | undefined;
    let settled = false;
    const out = join(t.dir, 'out');
    const receiving = receive({ host: '127.0.0.1', port: server.address()!.port, out, logger: quiet, onManifest: (m) => (manifest = m) });
    void receiving.finally(() => (settled = true)).catch(() => undefined);
    // A few hundred KiB go in a few ms at an uncapped rate; half a second is ample for every datagram.
    await new Promise((r) => setTimeout(r, 500));
    expect(manifest?.digestsFollow).toBe(true);
    expect(manifest?.entries?.filter((e) => e.kind === 'file')).toHaveLength(41);
    expect(manifest?.entries?.some((e) => e.sha256 !== undefined)).toBe(false);
    expect(settled).toBe(false);
    // Only the staging is there, and no file in it holds a byte: nothing was verified yet.
    expect((await readdir(out)).every((n) => n.startsWith('.fountcast-'))).toBe(true);
    expect(filesWithBytes(out)).toEqual([]);

    const segment = (i: number) => {
      const { offset, length } = segmentRange(layout, i);
      return segmentDigest(object.subarray(offset, offset + length));
    };
    digests.addSegments(0, segment(0));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    expect((await readdir(out)).every((n) => n.startsWith('.fountcast-'))).toBe(true);
    const rest = Array.from({ length: layout.segmentCount - 1 }, (_, i) => segment(i + 1));
    digests.addSegments(1, Buffer.concat(rest));
    digests.setFile(createHash('sha256').update(object).digest('hex'));
    const r = await receiving;
    expect(r.sha256).toBe(createHash('sha256').update(object).digest('hex'));
    for (const e of tree.entries) {
      const got = join(out, e.path);
      if (e.kind === 'file') expect((await readFile(got)).equals(await readFile(join(src, e.path))), e.path).toBe(true);
      expect((await stat(got)).mode & 0o777, e.path).toBe(statSync(join(src, e.path)).mode & 0o777);
    }
    expect((await readdir(out)).sort()).toEqual(['a', 'b', 'empty']);
    expect((await server.done).completed).toBe(1);
  });

  it('a receiver offers it unless it compares files by their digests (--sync), may resume or relays', () => {
    const base = { host: '127.0.0.1', port: 1, out: '/tmp/x' };
    const nonce = new Uint8Array(32);
    expect(helloOf(resolveReceiveConfig(base), 5, nonce)).toMatchObject({ digestsFollow: true, treeDigestsFollow: true });
    expect(helloOf(resolveReceiveConfig({ ...base, sync: true }), 5, nonce)).toMatchObject({ digestsFollow: true });
    expect(helloOf(resolveReceiveConfig({ ...base, sync: true }), 5, nonce).treeDigestsFollow).toBeUndefined();
    expect(helloOf(resolveReceiveConfig(base), 5, nonce, true).treeDigestsFollow).toBeUndefined();
    // A relay re-serves the manifest as received: it takes no digests that follow at all.
    expect(helloOf(resolveReceiveConfig({ ...base, digestsFirst: true }), 5, nonce)).not.toHaveProperty('digestsFollow');
  });
});

/**
 * A tree as the sender serves it: openSource picks a single file or a tree, hashes the packed
 * object with each file's digest in the same pass, and the manifest a receiver gets carries the
 * entries, passes the wire checks and, signed, covers them.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { segmentsDigest } from '../../control/objectIdentity.js';
import { decodeMessage, encodeMessage, validateMessage } from '../../control/messageCodec.js';
import type { Manifest } from '../../control/messages.js';
import { generatePublisherKeys, parsePrivateKey, parsePublicKey, verifyPublication } from '../../control/publication.js';
import { manifestFor, signPublication } from '../../sender/manifest.js';
import { FileDigests } from '../../sender/fileDigests.js';
import { openSource, SourceFileError } from '../../sender/preparedFile.js';
import { seededFile, tempDir } from '../e2e/helpers.js';
import { segmentDigest } from '../../control/segmentHash.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const params = { sessionId: 1, codec: 'raptorq', rateBytesPerSecond: 0, tagKind: 1, idleTimeoutMs: 5000, heartbeatIntervalMs: 1000 };

/** 40 small files, a larger one, an empty file, an empty dir, an executable and a link. */
async function release(): Promise<string> {
  const t = await tempDir();
  cleanup = t.cleanup;
  const r = join(t.dir, 'release');
  await mkdir(join(r, 'small'), { recursive: true });
  await mkdir(join(r, 'empty'));
  for (let i = 0; i < 40; i++) await seededFile(join(r, 'small', `f${String(i).padStart(2, '0')}`), 100 + 37 * i, i);
  await seededFile(join(r, 'big.bin'), 300_000, 99);
  await writeFile(join(r, 'zero'), '');
  await writeFile(join(r, 'run.sh'), '#!/bin/sh\n');
  await chmod(join(r, 'run.sh'), 0o755);
  await symlink('big.bin', join(r, 'latest'));
  await utimes(join(r, 'big.bin'), 1000, 1_700_000_000);
  return t.dir;
}

describe('openSource', () => {
  for (const segmentSize of [16 * 1024, 1 << 20]) {
    it(`hashes a tree: each file's SHA-256, the object's is that of the files packed in entry order (${segmentSize === 1 << 20 ? 'one segment, inline' : 'many segments, worker'})`, async () => {
      const dir = await release();
      const { file, skipped } = await openSource([join(dir, 'release')], { segmentSize, symlinks: 'keep' });
      expect(skipped).toEqual([]);
      await file.digests.done;
      const entries = file.entries!;
      const files = entries.filter((e) => e.kind === 'file');
      expect(files).toHaveLength(43);
      const bytes = await Promise.all(files.map((e) => readFile(join(dir, e.path))));
      files.forEach((e, i) => expect(e.sha256, e.path).toBe(hex(bytes[i]!)));
      // The object's segment digests are those of the files packed in entry order, and its identity their digest.
      const object = Buffer.concat(bytes);
      const segments = Buffer.concat(
        Array.from({ length: Math.ceil(object.length / segmentSize) }, (_, i) => segmentDigest(object.subarray(i * segmentSize, (i + 1) * segmentSize))),
      );
      expect(Buffer.from(file.digests.segmentDigests).equals(segments)).toBe(true);
      expect(file.digests.fileSha256).toBe(segmentsDigest(object.length, segmentSize, segments));
      expect(file.layout.fileSize).toBe(bytes.reduce((n, b) => n + b.length, 0));
      expect(file.parts.map((p) => p.path)).toEqual(files.map((e) => join(dir, e.path)));
      expect(file.fileName).toBe('release');
      expect(entries.find((e) => e.path === 'release/run.sh')?.mode).toBe(0o755);
      expect(entries.find((e) => e.path === 'release/big.bin')?.mtimeMs).toBe(1_700_000_000_000);
      expect(entries.find((e) => e.path === 'release/latest')).toMatchObject({ kind: 'symlink', target: 'big.bin' });
      expect(entries.find((e) => e.path === 'release/empty')).toMatchObject({ kind: 'dir' });
    });
  }

  it('gives receivers a manifest with the entries that passes the wire checks, signed over them', async () => {
    const dir = await release();
    const { file, skipped } = await openSource([join(dir, 'release') + '/'], { segmentSize: 16 * 1024, fileName: 'app-1.2' });
    expect(skipped.map((s) => s.path)).toEqual([join(dir, 'release', 'latest')]);
    await file.digests.done;
    const keys = generatePublisherKeys();
    const publication = signPublication(file, 'raptorq', parsePrivateKey(keys.privatePem), 1_790_000_000_000);
    const m = manifestFor(file, { ...params, publication });
    const wire = decodeMessage(encodeMessage(m));
    expect(wire.ok).toBe(true);
    const got = (wire as { message: Manifest }).message;
    expect(got.fileName).toBe('app-1.2');
    expect(got.entries).toEqual(file.entries);
    expect(got.entries!.map((e) => e.path).slice(0, 3)).toEqual(['big.bin', 'empty', 'run.sh']);
    expect(verifyPublication(got, [parsePublicKey(keys.publicPem)]).ok).toBe(true);
    const altered = got.entries!.map((e) => (e.path === 'run.sh' ? { ...e, mode: 0o777 } : e));
    expect(verifyPublication({ ...got, entries: altered }, [parsePublicKey(keys.publicPem)]).ok).toBe(false);
  });

  it("gives a tree's manifest before its digests are known with digestsFollow and entries without file digests, then with both", async () => {
    const dir = await release();
    const { file } = await openSource([join(dir, 'release')], { segmentSize: 16 * 1024 });
    // The hashing thread has not started yet when openSource returns.
    expect(file.digests.complete).toBe(false);
    const early = manifestFor(file, params);
    expect(early).toMatchObject({ digestsFollow: true });
    expect(early.fileSha256).toBeUndefined();
    expect(early.entries!.some((e) => e.sha256 !== undefined)).toBe(false);
    expect(validateMessage(early).ok).toBe(true);
    await file.digests.done;
    const late = manifestFor(file, params);
    expect(late.digestsFollow).toBeUndefined();
    expect(late.entries).toHaveLength(file.entries!.length);
    expect(late.entries!.filter((e) => e.kind === 'file').every((e) => /^[0-9a-f]{64}$/.test(e.sha256!))).toBe(true);
    expect(() => signPublication({ ...file, digests: new FileDigests(1) }, 'raptorq', generateKeyPairSync('ed25519').privateKey, 1)).toThrow(
      /signed manifest needs every digest/,
    );
  });

  it('serves exactly one plain file as a single file (no entries), and anything else as a tree', async () => {
    const dir = await release();
    const big = join(dir, 'release', 'big.bin');
    const one = await openSource([big]);
    expect(one.file.entries).toBeUndefined();
    expect(one.file.fileName).toBe('big.bin');
    await one.file.digests.done;
    expect(manifestFor(one.file, params).entries).toBeUndefined();
    const two = await openSource([big, join(dir, 'release', 'zero')]);
    expect(two.file.entries?.map((e) => e.path)).toEqual(['big.bin', 'zero']);
    expect(two.file.fileName).toBe('big.bin');
    await two.file.digests.done;
  });

  it('fails naming a file written to while the tree is hashed', async () => {
    const dir = await release();
    const { file } = await openSource([join(dir, 'release')], { segmentSize: 16 * 1024 });
    await utimes(join(dir, 'release', 'small', 'f39'), 1, 2);
    await expect(file.digests.done).rejects.toThrow(SourceFileError);
    await expect(file.digests.done).rejects.toThrow(/small\/f39 changed while it was being (hashed|served)/);
  });

  it('refuses no path, and a tree it cannot name', async () => {
    await expect(openSource([])).rejects.toThrow(/nothing to send/);
    await expect(openSource(['/'])).rejects.toThrow(/cannot be named ""/);
  });
});

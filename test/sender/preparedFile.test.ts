import { utimesSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { segmentsDigest } from '../../control/objectIdentity.js';
import { manifestFor } from '../../sender/manifest.js';
import { openSourceFile, prepareFile, SourceFileError } from '../../sender/preparedFile.js';
import { seededFile, tempDir } from '../e2e/helpers.js';
import { segmentDigest } from '../../control/segmentHash.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('prepareFile', () => {
  it.each([
    ['the digest of its segment digests (native thread, where built)', false, false],
    ['the digest of its segment digests (hashing worker)', false, true],
    ['its plain SHA-256 (send --sha256, hashing worker)', true, false],
  ])('hashes every segment, the short last segment too; the identity is %s', async (_, plain, workerOnly) => {
    const t = await tempDir();
    cleanup = async () => {
      delete process.env.FOUNTCAST_NATIVE_FILE_HASH;
      await t.cleanup();
    };
    if (workerOnly) process.env.FOUNTCAST_NATIVE_FILE_HASH = '0';
    for (const size of [3 * (1 << 20) + 777, 1000, 0]) {
      const file = join(t.dir, `f${size}.bin`);
      const whole = await seededFile(file, size, size + 1);
      const p = await prepareFile(file, { segmentSize: 1 << 20, sha256: plain });
      const data = await readFile(file);
      const segments = Buffer.concat(Array.from({ length: Math.ceil(size / (1 << 20)) }, (_, i) => segmentDigest(data.subarray(i << 20, (i + 1) << 20))));
      expect(p.digests.kind).toBe(plain ? 'bytes' : 'segments');
      expect(p.digests.fileSha256).toBe(plain ? whole : segmentsDigest(size, 1 << 20, segments));
      expect(p.digests.known).toBe(p.layout.segmentCount);
      expect(p.layout.segmentCount).toBe(Math.ceil(size / (1 << 20)));
      for (let i = 0; i < p.layout.segmentCount; i++) {
        expect(
          Buffer.from(p.digests.segmentDigests.subarray(32 * i, 32 * i + 32)).equals(segmentDigest(data.subarray(i << 20, (i + 1) << 20))),
          `segment ${i} of ${size}`,
        ).toBe(true);
      }
    }
  });

  it('refuses a file written to while it was being hashed', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'growing.bin');
    await seededFile(file, 64 << 20, 3);
    const f = await openSourceFile(file, { segmentSize: 1 << 20 });
    // At the first digests: the file was described and opened, the check after hashing is to come.
    let touched = false;
    f.digests.subscribe(() => {
      if (touched) return;
      touched = true;
      utimesSync(file, new Date(), new Date(Date.now() + 60_000));
    });
    await expect(f.digests.done).rejects.toThrow(SourceFileError);
    expect(touched).toBe(true);
    await expect(prepareFile(file)).resolves.toMatchObject({ fileName: 'growing.bin' });
  });

  it.each([
    ['native thread, where built', false],
    ['hashing worker', true],
  ])('stops hashing when the run ends first (%s): the digests fail with the reason, and no more come', async (_, workerOnly) => {
    const t = await tempDir();
    cleanup = async () => {
      delete process.env.FOUNTCAST_NATIVE_FILE_HASH;
      await t.cleanup();
    };
    if (workerOnly) process.env.FOUNTCAST_NATIVE_FILE_HASH = '0';
    const file = join(t.dir, 'big.bin');
    await seededFile(file, 64 << 20, 12);
    const f = await openSourceFile(file, { segmentSize: 1 << 18 });
    let known = -1;
    f.digests.subscribe(() => {
      if (known >= 0 || f.digests.known === 0) return;
      known = f.digests.known;
      f.digests.stop('the run ended');
    });
    await expect(f.digests.done).rejects.toThrow('the run ended');
    expect(known).toBeGreaterThan(0);
    expect(known).toBeLessThan(256);
    // Whatever was in flight is dropped: the digests stay where the stop found them.
    await new Promise((r) => setTimeout(r, 50));
    expect(f.digests.known).toBe(known);
    expect(f.digests.complete).toBe(false);
  });

  it('serves before the digests are known: they grow in segment order, the file digest last, and the manifest says they follow', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'big.bin');
    await seededFile(file, 48 << 20, 9);
    const f = await openSourceFile(file, { segmentSize: 1 << 20 });
    const params = { sessionId: 1, codec: 'raptorq', rateBytesPerSecond: 0, tagKind: 1, idleTimeoutMs: 5000, heartbeatIntervalMs: 1000 };
    // 48 MiB cannot be hashed between openSourceFile's return and this line.
    expect(f.digests.complete).toBe(false);
    const early = manifestFor(f, params);
    expect(early.digestsFollow).toBe(true);
    expect(early.segmentDigests).toBeUndefined();
    // The receiver must know how the identity is made before it comes.
    expect(early.fileDigest).toBe('segments');
    const seen: number[] = [];
    f.digests.subscribe(() => seen.push(f.digests.known));
    await f.digests.done;
    expect(seen.length).toBeGreaterThan(1);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    const whole = segmentsDigest(48 << 20, 1 << 20, f.digests.segmentDigests);
    expect(f.digests.fileSha256).toBe(whole);
    const frames = f.digests.framesSince(0, false);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ firstSegment: 0, fileSha256: whole });
    expect(Buffer.from(frames[0]!.segmentDigests, 'base64').length).toBe(48 * 32);
    const late = manifestFor(f, params);
    expect(late.digestsFollow).toBeUndefined();
    expect(late.fileSha256).toBe(whole);
    expect(late.fileDigest).toBe('segments');
  });
});

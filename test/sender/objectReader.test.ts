/** The object across files: ranges mapped to files, segments spanning many small files, and per-file digests in the same pass. */
import { createHash } from 'node:crypto';
import { readFile, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planSegments } from '../../encoder/segmentLayout.js';
import { hashObject } from '../../sender/objectHasher.js';
import { ObjectReader, type ObjectPart } from '../../sender/objectReader.js';
import { SourceFileError } from '../../sender/sourceFileError.js';
import { SeededRandom } from '../../util/random.js';
import { tempDir } from '../e2e/helpers.js';
import { segmentDigest } from '../../control/segmentHash.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** `sizes.length` files of seeded bytes; their parts, and the object (their concatenation). */
async function files(sizes: number[], seed: number): Promise<{ parts: ObjectPart[]; object: Buffer; dir: string }> {
  const t = await tempDir();
  cleanup = t.cleanup;
  const rng = new SeededRandom(seed);
  const parts: ObjectPart[] = [];
  for (const [i, size] of sizes.entries()) {
    const path = join(t.dir, `f${i}`);
    await writeFile(path, rng.fill(new Uint8Array(size)));
    const st = await stat(path);
    parts.push({ path, size, mtimeMs: st.mtimeMs });
  }
  return { parts, object: Buffer.concat(await Promise.all(parts.map((p) => readFile(p.path)))), dir: t.dir };
}

describe('ObjectReader', () => {
  it('maps ranges to pieces of files, skipping empty ones', async () => {
    const { parts } = await files([5, 0, 3, 0, 0, 4], 1);
    const r = new ObjectReader(parts);
    expect(r.size).toBe(12);
    expect(r.pieces(3, 7)).toEqual([
      { part: 0, partOffset: 3, length: 2, at: 0 },
      { part: 2, partOffset: 0, length: 3, at: 2 },
      { part: 5, partOffset: 0, length: 2, at: 5 },
    ]);
    expect(r.pieces(5, 3)).toEqual([{ part: 2, partOffset: 0, length: 3, at: 0 }]);
    expect(r.pieces(12, 0)).toEqual([]);
    expect(() => r.pieces(10, 3)).toThrow(RangeError);
    await r.close();
  });

  it('reads any range of an object of many small files (more than it keeps open), equal to their concatenation', async () => {
    const rng = new SeededRandom(7);
    const sizes = Array.from({ length: 120 }, () => (rng.next() < 0.2 ? 0 : Math.floor(rng.next() * 3000)));
    const { parts, object } = await files(sizes, 2);
    const r = new ObjectReader(parts, 4);
    for (let n = 0; n < 60; n++) {
      const offset = Math.floor(rng.next() * object.length);
      const length = Math.floor(rng.next() * (object.length - offset));
      expect(Buffer.from(await r.read(offset, length)).equals(object.subarray(offset, offset + length)), `${offset}+${length}`).toBe(true);
    }
    // Concurrent reads share and evict handles without closing one in use.
    const whole = await Promise.all(Array.from({ length: 10 }, (_, i) => r.read(0, object.length, i % 2 ? undefined : new Uint8Array(object.length))));
    for (const w of whole) expect(Buffer.from(w).equals(object)).toBe(true);
    await r.close();
  });

  it('fails naming a file that is shorter than announced, or changed since', async () => {
    const { parts } = await files([100, 100, 100], 3);
    await truncate(parts[1]!.path, 50);
    const r = new ObjectReader(parts);
    await expect(r.read(0, 300)).rejects.toThrow(SourceFileError);
    await expect(r.read(0, 300)).rejects.toThrow(`${parts[1]!.path} changed while it was being served (50 bytes, not the 100 announced)`);
    expect(Buffer.from(await r.read(0, 100)).length).toBe(100); // the others still read
    await r.close();
    // Checked when a file is opened: a fresh reader opens it again.
    await utimes(parts[2]!.path, 1, 1);
    const again = new ObjectReader(parts);
    await expect(again.read(200, 100)).rejects.toThrow(`${parts[2]!.path} changed while it was being served (a new mtime)`);
    await again.close();
  });

  it('fails naming a file cut short after it was opened', async () => {
    // Large enough to be read through open handles (small files are opened per read).
    const { parts } = await files([100_000, 100_000], 4);
    const r = new ObjectReader(parts);
    await r.read(0, 150_000); // both open
    await truncate(parts[1]!.path, 10);
    await expect(r.read(100_000, 100_000)).rejects.toThrow(`${parts[1]!.path} is shorter than the 100000 bytes announced`);
    await r.close();
  });

  it('fails naming a small file changed between reads', async () => {
    const { parts } = await files([100, 100], 4);
    const r = new ObjectReader(parts);
    await r.read(0, 200);
    await truncate(parts[1]!.path, 10);
    await expect(r.read(100, 100)).rejects.toThrow(`${parts[1]!.path} changed while it was being served (10 bytes, not the 100 announced)`);
    await r.close();
  });
});

describe('hashObject', () => {
  it('gives each file its SHA-256, every segment its own and the object the SHA-256 of the concatenation, in one pass', async () => {
    const sizes = [0, 1, 4095, 4096, 4097, 0, 10_000, 3, 65_536 * 2 + 17, 0];
    const { parts, object } = await files(sizes, 5);
    const layout = planSegments(object.length, { segmentSize: 8192, symbolSize: 1024 });
    const segments: string[] = [];
    const r = new ObjectReader(parts);
    const h = await hashObject(r, layout, true, true, (i, d) => segments.push(`${i}:${Buffer.from(d).toString('hex')}`));
    expect(h.sha256).toBe(hex(object));
    expect(h.partSha256).toEqual(await Promise.all(parts.map(async (p) => hex(await readFile(p.path)))));
    expect(segments).toEqual(
      Array.from({ length: layout.segmentCount }, (_, i) => `${i}:${segmentDigest(object.subarray(i * 8192, (i + 1) * 8192)).toString('hex')}`),
    );
    // A single file needs no per-part digest: the object's is the file's.
    const single = new ObjectReader([parts[8]!]);
    const one = await hashObject(single, planSegments(parts[8]!.size, { segmentSize: 8192, symbolSize: 1024 }), false, true, () => undefined);
    expect(one).toEqual({ sha256: hex(await readFile(parts[8]!.path)), partSha256: [] });
    // Without the whole object's digest (an identity of kind segments): the same segments and parts, no sha256.
    const again: string[] = [];
    const h2 = await hashObject(r, layout, true, false, (i, d) => again.push(`${i}:${Buffer.from(d).toString('hex')}`));
    expect(h2).toEqual({ sha256: undefined, partSha256: h.partSha256 });
    expect(again).toEqual(segments);
    await single.close();
    await r.close();
  });

  it('hashes a tree of only empty files (no segments)', async () => {
    const { parts } = await files([0, 0], 6);
    const r = new ObjectReader(parts);
    const h = await hashObject(r, planSegments(0, {}), true, true, () => undefined);
    expect(h.partSha256).toEqual([hex(new Uint8Array(0)), hex(new Uint8Array(0))]);
    expect(h.sha256).toBe(hex(new Uint8Array(0)));
  });
});

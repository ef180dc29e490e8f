/**
 * A tree through a cut-through relay: the relay keeps it packed (its object in one file) and
 * serves each segment as soon as it has verified it, so the receiver behind it starts while
 * the relay still receives, and unpacks the identical tree under the publisher's signature.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayCache } from '../../receiver/relayCache.js';
import { SeededRandom } from '../../util/random.js';
import { publisherTrust, receiveBehindRelay, relayOnLoopback, sendOnLoopback, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const MiB = 1024 * 1024;

/** Every file under `root` by relative path, with its bytes and mode. */
async function listing(root: string): Promise<Map<string, { bytes: Buffer; mode: number }>> {
  const out = new Map<string, { bytes: Buffer; mode: number }>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(root, p), { bytes: await readFile(p), mode: (await stat(p)).mode & 0o777 });
    }
  };
  await walk(root);
  return out;
}

describe('a tree through a relay', () => {
  it('is served while it arrives, kept packed in the cache, and lands identical behind the relay', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const src = join(t.dir, 'release');
    const r = new SeededRandom(77);
    for (let d = 0; d < 4; d++) {
      await mkdir(join(src, `d${d}`), { recursive: true });
      for (let f = 0; f < 25; f++) await writeFile(join(src, `d${d}`, `f${f}.txt`), r.fill(new Uint8Array(1 + r.nextInt(20_000))));
    }
    await writeFile(join(src, 'big.bin'), r.fill(new Uint8Array(8 * MiB)), { mode: 0o755 });
    const { privateKey, trust } = publisherTrust(t.dir);
    const publisher = await sendOnLoopback({
      paths: [src],
      receivers: 1,
      segmentSize: MiB,
      rateBitsPerSecond: 60e6,
      fixedRate: true,
      sign: { privateKey, publishedAt: 2_000 },
    });
    const cache = new RelayCache(join(t.dir, 'cache'), 100 * MiB);
    const relayed = relayOnLoopback({ upstreamPort: publisher.port, cache, trust: trust('relay') });
    const behind = join(t.dir, 'behind');
    await mkdir(behind);
    const receiver = receiveBehindRelay(await relayed.port, behind, trust('behind'));
    const got = await receiver.done;
    expect(relayed.seen.from).toBe('cut-through');
    expect(receiver.firstStored()!).toBeLessThan(relayed.seen.lastStored);
    const want = await listing(src);
    const have = await listing(join(behind, 'release'));
    expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [p, f] of want) {
      expect(have.get(p)!.bytes.equals(f.bytes), p).toBe(true);
      expect(have.get(p)!.mode, p).toBe(f.mode);
    }
    expect(await relayed.done).toMatchObject({ completed: 1 });
    expect(await publisher.done).toMatchObject({ completed: 1 });
    // The cache holds the tree's object, one file of the tree's size, under its content address.
    const [entry] = await cache.list();
    expect(entry!.manifest.entries!.length).toBeGreaterThan(100);
    expect((await stat(cache.objectPath(entry!.manifest))).size).toBe(got.bytes);
  }, 60_000);
});

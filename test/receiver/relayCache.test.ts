/** The relay cache: least recently used out past the size bound, the one served kept; content-addressed on disk. */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../control/messages.js';
import { planEvictions, RelayCache } from '../../receiver/relayCache.js';
import { tempDir } from '../e2e/helpers.js';

describe('planEvictions', () => {
  const e = (key: string, bytes: number, usedAt: number) => ({ key, bytes, usedAt });
  it('removes the least recently used until the rest fit', () => {
    expect(planEvictions([e('a', 40, 3), e('b', 40, 1), e('c', 40, 2)], 80)).toEqual(['b']);
    expect(planEvictions([e('a', 40, 3), e('b', 40, 1), e('c', 40, 2)], 40)).toEqual(['b', 'c']);
    expect(planEvictions([e('a', 40, 3), e('b', 40, 1)], 100)).toEqual([]);
  });
  it('never removes the one being served, even when it alone exceeds the bound', () => {
    expect(planEvictions([e('a', 40, 3), e('b', 200, 1)], 100, 'b')).toEqual(['a']);
  });
  it('breaks ties by key (deterministic)', () => {
    expect(planEvictions([e('b', 10, 1), e('a', 10, 1)], 10)).toEqual(['a']);
  });
});

describe('RelayCache', () => {
  it('keeps publications by content, evicts by use time from its clock', async () => {
    const t = await tempDir();
    try {
      let now = 1_000;
      const cache = new RelayCache(join(t.dir, 'cache'), 250, () => now);
      const manifest = (sha: string, size: number) => ({ fileName: 'app.bin', fileSize: size, fileSha256: sha.repeat(64) }) as unknown as Manifest;
      const fetch = async (m: Manifest) => {
        await writeFile(join(await cache.incoming(), m.fileName), Buffer.alloc(m.fileSize));
        return cache.commit(m);
      };
      const a = manifest('a', 100);
      const b = manifest('b', 100);
      expect(await fetch(a)).toBe(join(t.dir, 'cache', 'a'.repeat(64), 'app.bin'));
      now = 2_000;
      await fetch(b);
      now = 3_000;
      await cache.touch(a); // a served again: b is now the least recently used
      now = 4_000;
      await fetch(manifest('c', 100));
      expect((await cache.list()).map((x) => x.key[0])).toEqual(['c', 'a']);
      expect((await readdir(join(t.dir, 'cache'))).sort()).toEqual(['a'.repeat(64), `${'a'.repeat(64)}.json`, 'c'.repeat(64), `${'c'.repeat(64)}.json`]);
    } finally {
      await t.cleanup();
    }
  });
});

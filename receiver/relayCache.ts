/**
 * A relay's cache (`fountcast relay --cache DIR`): the publications it fetched, content-addressed
 * by the object's SHA-256, each with the manifest as received (so it is served again under the
 * publisher's unchanged signature), bounded by a size in bytes with the least recently used out.
 *
 *   DIR/incoming/           the publication being fetched (receive's --out; its staging is what a
 *                           restarted relay resumes from)
 *   DIR/<sha256>/           a complete publication: the file as received, or a tree's object
 *                           packed in one file named after the tree (ReceiveOptions.packedTree)
 *   DIR/<sha256>.json       its manifest and when it was last used
 *   DIR/<sha256>.serving    while a relay serves a publication as it arrives (cut-through): a
 *                           hard link to its staging, whose bytes it keeps naming when the
 *                           staging is renamed into the cache; removed when serving ends (one
 *                           left by a killed relay goes when that publication is served again)
 *
 * The eviction choice is pure (`planEvictions`, sizes and times in, keys out); the class does the
 * file work with an injected clock.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../control/messages.js';

export interface CacheEntry {
  /** The object's SHA-256 (hex): the manifest's fileSha256. */
  readonly key: string;
  readonly bytes: number;
  /** ms since the epoch, from the cache's clock. */
  readonly usedAt: number;
}

/**
 * The entries to remove so that the rest fit in `limitBytes`: least recently used first, never
 * `keep` (the one being served). The kept one alone may exceed the limit: it stays.
 */
export function planEvictions(entries: readonly CacheEntry[], limitBytes: number, keep?: string): string[] {
  let total = entries.reduce((n, e) => n + e.bytes, 0);
  const out: string[] = [];
  for (const e of [...entries].sort((a, b) => a.usedAt - b.usedAt || a.key.localeCompare(b.key))) {
    if (total <= limitBytes) break;
    if (e.key === keep) continue;
    out.push(e.key);
    total -= e.bytes;
  }
  return out;
}

interface Record {
  readonly manifest: Manifest;
  readonly usedAt: number;
}

export class RelayCache {
  constructor(
    readonly dir: string,
    readonly limitBytes: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Where a publication is fetched into (receive's --out); created if absent. */
  async incoming(): Promise<string> {
    const path = join(this.dir, 'incoming');
    await mkdir(path, { recursive: true });
    return path;
  }

  /** What a cached publication serves from: its file, or its tree's object packed in one. */
  objectPath(m: Manifest): string {
    return join(this.dir, m.fileSha256!, m.fileName);
  }

  /** The link a publication is served through while it arrives (see the layout above). */
  servingPath(m: Manifest): string {
    return join(this.dir, `${m.fileSha256!}.serving`);
  }

  /** Moves a publication fetched into incoming() under its content address, then evicts. */
  async commit(m: Manifest): Promise<string> {
    const key = m.fileSha256!;
    await rm(join(this.dir, key), { recursive: true, force: true });
    await rename(join(this.dir, 'incoming'), join(this.dir, key));
    await this.touch(m);
    await this.evict(key);
    return this.objectPath(m);
  }

  /** Marks a publication as used now (it is being served). */
  async touch(m: Manifest): Promise<void> {
    const record: Record = { manifest: m, usedAt: this.clock() };
    const path = join(this.dir, `${m.fileSha256!}.json`);
    await writeFile(`${path}.tmp`, JSON.stringify(record));
    await rename(`${path}.tmp`, path);
  }

  /** Every complete publication, most recently used first. */
  async list(): Promise<(CacheEntry & { manifest: Manifest })[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const found: (CacheEntry & { manifest: Manifest })[] = [];
    for (const n of names) {
      if (!/^[0-9a-f]{64}\.json$/.test(n)) continue;
      const r = JSON.parse(await readFile(join(this.dir, n), 'utf8')) as Record;
      found.push({ key: n.slice(0, 64), bytes: r.manifest.fileSize, usedAt: r.usedAt, manifest: r.manifest });
    }
    return found.sort((a, b) => b.usedAt - a.usedAt);
  }

  /** Removes least recently used publications beyond the size bound, never `keep`. */
  async evict(keep?: string): Promise<string[]> {
    const gone = planEvictions(await this.list(), this.limitBytes, keep);
    for (const key of gone) {
      await rm(join(this.dir, `${key}.json`), { force: true });
      await rm(join(this.dir, key), { recursive: true, force: true });
    }
    return gone;
  }
}

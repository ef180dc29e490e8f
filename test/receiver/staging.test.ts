import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TreeEntry } from '../../control/messages.js';
import { createHash } from 'node:crypto';
import { planSegments, segmentRange } from '../../encoder/segmentLayout.js';
import { HashMismatchError, OutputConflictError } from '../../receiver/errors.js';
import { segmentsCovered } from '../../receiver/syncPlan.js';
import { BitSet } from '../../util/bitset.js';
import type { ObjectStaging } from '../../receiver/objectStaging.js';
import { contentId, openStaging } from '../../receiver/openStaging.js';
import { dir, file, link, MTIME, pack, segmentOf, type Packed } from './stagingFixture.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'fountcast-staging-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const fresh = () => mkdtempSync(join(root, 't-'));

/** Writes segments `which` (all by default) in reverse order, noting each as written. */
async function writeSegments(s: ObjectStaging, p: Packed, which = Array.from({ length: p.layout.segmentCount }, (_, i) => i)): Promise<void> {
  for (const i of [...which].reverse()) {
    const { offset, data } = segmentOf(p, i);
    await s.write(offset, data);
    s.noteWritten(i);
  }
}

const heldList = (s: ObjectStaging) => Array.from({ length: s.held.size }, (_, i) => i).filter((i) => s.held.has(i));
const stagingNames = (d: string) => readdirSync(d).filter((n) => n.includes('fountcast'));

describe('single-file staging', () => {
  it('stages next to the final path under the content id, commits in place, leaves nothing', async () => {
    const out = fresh();
    const p = pack(undefined, 10_000, 1);
    const s = await openStaging(p.init(out));
    expect(s.finalPath).toBe(join(out, 'data.bin'));
    const id = contentId(p.init(out).manifest.fileSha256!);
    expect(readdirSync(out)).toEqual([`.data.bin.${id}.fountcast-part`]);
    expect(existsSync(join(out, 'data.bin'))).toBe(false);
    await writeSegments(s, p);
    expect(Buffer.from(await s.read(100, 5000)).equals(p.bytes.subarray(100, 5100))).toBe(true);
    await s.commit();
    expect(readFileSync(join(out, 'data.bin')).equals(p.bytes)).toBe(true);
    expect(readdirSync(out)).toEqual(['data.bin']);
  });

  it('abort(false) removes the part and the state', async () => {
    const out = fresh();
    const p = pack(undefined, 10_000, 2);
    const s = await openStaging(p.init(out));
    await writeSegments(s, p, [0, 1]);
    await s.abort(false);
    expect(readdirSync(out)).toEqual([]);
  });

  it('resume: abort(true) keeps part and state; reopened, only segments whose bytes still verify are held', async () => {
    const out = fresh();
    const p = pack(undefined, 20_000, 3);
    const s = await openStaging(p.init(out));
    expect(heldList(s)).toEqual([]);
    await writeSegments(s, p, [0, 1, 3]);
    await s.abort(true);
    expect(stagingNames(out).sort()).toEqual([expect.stringMatching(/\.fountcast-part$/), expect.stringMatching(/\.fountcast-state$/)]);

    const again = await openStaging(p.init(out));
    expect(heldList(again)).toEqual([0, 1, 3]);
    await again.abort(true);

    // Segment 1's bytes damaged on disk: claimed by the state, no longer held.
    const part = join(
      out,
      stagingNames(out).find((n) => n.endsWith('-part'))!,
    );
    const bytes = readFileSync(part);
    bytes[4096 + 7] ^= 0xff;
    writeFileSync(part, bytes);
    const third = await openStaging(p.init(out));
    expect(heldList(third)).toEqual([0, 3]);
    await writeSegments(third, p, [1, 2, 4]);
    await third.commit();
    expect(readFileSync(join(out, 'data.bin')).equals(p.bytes)).toBe(true);
    expect(readdirSync(out)).toEqual(['data.bin']);
  });

  it('removes stale staging of the same name (other content, older random names), keeps other names', async () => {
    const out = fresh();
    const other = 'f'.repeat(32);
    const stale = [`.data.bin.${other}.fountcast-part`, `.data.bin.${other}.fountcast-state`, '.data.bin.0123456789abcdef.fountcast-part'];
    for (const n of [...stale, '.other.bin.0123456789abcdef.fountcast-part', 'keep.txt']) writeFileSync(join(out, n), 'x');
    const s = await openStaging(pack(undefined, 100, 4).init(out));
    const names = readdirSync(out);
    for (const n of stale) expect(names).not.toContain(n);
    expect(names).toContain('.other.bin.0123456789abcdef.fountcast-part');
    expect(names).toContain('keep.txt');
    await s.abort(false);
  });

  it('a manifest whose digests follow is staged under its layout id; a later run with the digests adopts it and holds what verifies', async () => {
    const out = fresh();
    const p = pack(undefined, 5 * 4096 - 100, 5);
    const following = {
      ...p.init(out),
      segmentDigests: undefined,
      manifest: { ...p.init(out).manifest, fileSha256: undefined, segmentDigests: undefined, digestsFollow: true as const },
    };
    const s = await openStaging(following);
    expect(s.held.count()).toBe(0);
    await writeSegments(s, p, [0, 2]);
    s.noteWritten(0);
    s.noteWritten(2);
    await s.abort(true);
    expect(stagingNames(out)).toHaveLength(2);
    // Offered again with its digests: the staging is renamed to the content's id and re-verified.
    const resumed = await openStaging(p.init(out));
    expect(heldList(resumed)).toEqual([0, 2]);
    expect(stagingNames(out).every((n) => n.includes(contentId(p.init(out).manifest.fileSha256!)))).toBe(true);
    await writeSegments(resumed, p, [1, 3, 4]);
    await resumed.commit();
    expect(stagingNames(out)).toEqual([]);
    expect(readFileSync(join(out, 'data.bin')).equals(p.bytes)).toBe(true);
  });
});

describe('a tree whose digests follow', () => {
  it("is staged under its layout id; a later run with the digests adopts it and holds what verifies; another tree's staging is not adopted", async () => {
    const out = fresh();
    const entries = [dir('d'), ...Array.from({ length: 12 }, (_, i) => file(`d/f${String(i).padStart(2, '0')}`, 1500 + i))];
    const p = pack(entries, 0, 21);
    expect(p.layout.segmentCount).toBeGreaterThan(3);
    const following = (q: Packed) => ({
      ...q.init(out),
      segmentDigests: undefined,
      manifest: { ...q.init(out).manifest, fileSha256: undefined, segmentDigests: undefined, digestsFollow: true as const },
    });
    const s = await openStaging(following(p));
    expect(s.held.count()).toBe(0);
    await writeSegments(s, p, [0, 2]);
    await s.abort(true);
    expect(stagingNames(out)).toHaveLength(2);
    const id = contentId(p.init(out).manifest.fileSha256!);
    // Offered again with its digests: the staging is renamed to the content's id and re-verified.
    const resumed = await openStaging(p.init(out));
    expect(heldList(resumed)).toEqual([0, 2]);
    expect(stagingNames(out).every((n) => n.includes(id))).toBe(true);
    await writeSegments(resumed, p, [1, ...Array.from({ length: p.layout.segmentCount - 3 }, (_, i) => i + 3)]);
    await resumed.commit();
    expect(stagingNames(out)).toEqual([]);
    for (const [path, bytes] of p.fileBytes) expect(readFileSync(join(out, path)).equals(bytes), path).toBe(true);

    // A tree of the same size under other names is another layout: its staging is not adopted, but removed.
    const other = pack(
      entries.map((e) => ({ ...e, path: e.path.replace(/^d/, 'e') })),
      0,
      21,
    );
    const first = await openStaging(following(other));
    await writeSegments(first, other, [0]);
    await first.abort(true);
    const unrelated = await openStaging(p.init(out));
    expect(unrelated.held.count()).toBe(0);
    expect(stagingNames(out).every((n) => n.includes(id))).toBe(true);
    await unrelated.abort(false);
  });
});

describe('the old copy (single file)', () => {
  it('is replaced by default, refused with noClobber before anything is staged, moved with backupDir', async () => {
    const out = fresh();
    const p = pack(undefined, 3000, 6);
    writeFileSync(join(out, 'data.bin'), 'old');
    const err = await openStaging(p.init(out, { noClobber: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputConflictError);
    expect((err as Error).message).toMatch(/data\.bin.*--no-clobber/);
    expect(readdirSync(out)).toEqual(['data.bin']);

    const backup = fresh();
    const s = await openStaging(p.init(out, { backupDir: backup }));
    await writeSegments(s, p);
    await s.commit();
    expect(readFileSync(join(backup, 'data.bin'), 'utf8')).toBe('old');
    expect(readFileSync(join(out, 'data.bin')).equals(p.bytes)).toBe(true);
  });

  it('a directory in the way fails at once, naming it', async () => {
    const out = fresh();
    mkdirSync(join(out, 'data.bin'));
    await expect(openStaging(pack(undefined, 100, 7).init(out))).rejects.toThrow(/data\.bin: it is a directory/);
    expect(stagingNames(out)).toEqual([]);
  });

  it('an unwritable directory fails at once', async () => {
    if (process.getuid?.() === 0) return; // root writes anywhere
    const out = fresh();
    const ro = join(out, 'ro');
    mkdirSync(ro, 0o555);
    await expect(openStaging(pack(undefined, 100, 8).init(ro))).rejects.toThrow(OutputConflictError);
  });
});

/** A tree with nested dirs, many small files (so segments span files), an empty file and dir, an executable, a link. */
function sampleTree(): TreeEntry[] {
  const entries: TreeEntry[] = [
    dir('a'),
    dir('a/b', 0o750),
    file('a/b/big', 9000),
    dir('a/empty-dir', 0o700),
    file('a/empty-file', 0),
    file('a/run.sh', 300, 0o755),
  ];
  for (let i = 0; i < 40; i++) entries.push(file(`a/small${String(i).padStart(2, '0')}`, 100 + i * 37));
  entries.push(link('a/to-big', 'b/big'), file('z', 5000, 0o600));
  return entries;
}

function expectTreeIn(out: string, entries: readonly TreeEntry[], p: Packed): void {
  for (const e of entries) {
    const path = join(out, e.path);
    const st = lstatSync(path);
    if (e.kind === 'symlink') {
      expect(st.isSymbolicLink()).toBe(true);
      expect(readlinkSync(path)).toBe(e.target);
      continue;
    }
    expect(st.mode & 0o777, e.path).toBe(e.mode);
    // utimes takes seconds as a double: the ms survive, rounded.
    expect(Math.round(st.mtimeMs), e.path).toBe(e.mtimeMs);
    if (e.kind === 'file') expect(readFileSync(path).equals(p.fileBytes.get(e.path)!), e.path).toBe(true);
    else expect(st.isDirectory()).toBe(true);
  }
}

describe('tree staging', () => {
  it('a file filled by one write takes its mode and mtime at once; one its owner could not write, or filled in pieces, at the commit', async () => {
    const out = fresh();
    const entries = [file('a', 100), file('b', 100, 0o444), file('c', 6000, 0o640), file('d', 50, 0o755)];
    const p = pack(entries, 0, 31);
    const s = await openStaging(p.init(out));
    await writeSegments(s, p);
    const part = join(
      out,
      stagingNames(out).find((n) => n.endsWith('.part'))!,
    );
    const staged = (name: string) => statSync(join(part, name));
    expect(staged('a').mode & 0o777).toBe(0o644);
    expect(Math.round(staged('a').mtimeMs)).toBe(entries[0]!.mtimeMs);
    expect(staged('d').mode & 0o777).toBe(0o755);
    expect(staged('b').mode & 0o777).toBe(0o600); // 0444 while staged would lock a resumed run out
    expect(staged('c').mode & 0o777).toBe(0o600); // two segments: not filled by one write
    // Written again (the same bytes): its mtime moved, so the commit sets it again.
    const { offset, data } = segmentOf(p, 0);
    await s.write(offset, data);
    await s.commit();
    expectTreeIn(out, entries, p);
  });

  it('writes object ranges across files, commits each into --out with modes, mtimes, empty dir and file, link', async () => {
    const out = fresh();
    const entries = sampleTree();
    const p = pack(entries, 0, 10);
    expect(p.layout.segmentCount).toBeGreaterThan(3);
    const s = await openStaging(p.init(out));
    expect(s.finalPath).toBe(out);
    await writeSegments(s, p);
    // A read spanning several files returns the packed bytes.
    expect(Buffer.from(await s.read(8000, 6000)).equals(p.bytes.subarray(8000, 14000))).toBe(true);
    writeFileSync(join(out, 'z'), 'old z');
    await s.commit();
    expectTreeIn(out, entries, p);
    expect(readdirSync(out).sort()).toEqual(['a', 'z']);
  });

  it('a directory absent from --out arrives whole and settled; one that exists is filled entry by entry, its other files kept', async () => {
    const out = fresh();
    // 'a-x' sorts between 'a' and 'a/…': a fresh directory's entries need not be contiguous.
    const entries = [dir('a'), dir('a-x', 0o711), file('a-x/f', 700, 0o640), ...sampleTree().slice(1)];
    const p = pack(entries, 0, 14);
    mkdirSync(join(out, 'a'));
    writeFileSync(join(out, 'a', 'not-in-tree.txt'), 'local');
    const s = await openStaging(p.init(out));
    await writeSegments(s, p);
    await s.commit();
    expectTreeIn(out, entries, p);
    expect(readFileSync(join(out, 'a', 'not-in-tree.txt'), 'utf8')).toBe('local');
    expect(readdirSync(out).sort()).toEqual(['a', 'a-x', 'z']);
  });

  it('resume: reopened staging holds only verified segments; a damaged file costs its segments', async () => {
    const out = fresh();
    const entries = sampleTree();
    const p = pack(entries, 0, 11);
    const s = await openStaging(p.init(out));
    await writeSegments(s, p, [0, 1, 2]);
    await s.abort(true);
    const again = await openStaging(p.init(out));
    expect(heldList(again)).toEqual([0, 1, 2]);
    await again.abort(true);
    // a/b/big covers the first 9000 bytes: segments 0..2 (4096 each); damage byte 5000 (segment 1).
    const staged = readdirSync(out).find((n) => n.endsWith('.part'))!;
    const big = join(out, staged, 'a/b/big');
    const b = readFileSync(big);
    b[5000] ^= 1;
    writeFileSync(big, b);
    const third = await openStaging(p.init(out));
    expect(heldList(third)).toEqual([0, 2]);
    await third.abort(false);
    expect(readdirSync(out)).toEqual([]);
  });

  it('removes stale staging for other content in --out', async () => {
    const out = fresh();
    const other = 'e'.repeat(32);
    mkdirSync(join(out, `.fountcast-${other}.part`, 'deep'), { recursive: true });
    writeFileSync(join(out, `.fountcast-${other}.state`), '{}');
    const s = await openStaging(pack(sampleTree(), 0, 12).init(out));
    expect(stagingNames(out).every((n) => !n.includes(other))).toBe(true);
    await s.abort(false);
    expect(readdirSync(out)).toEqual([]);
  });

  it('--atomic-tree stages beside --out and swaps the whole tree in (old contents gone, nothing left beside)', async () => {
    const parent = fresh();
    const out = join(parent, 'app');
    mkdirSync(out);
    writeFileSync(join(out, 'old-only.txt'), 'old');
    const entries = sampleTree();
    const p = pack(entries, 0, 13);
    const s = await openStaging(p.init(out, { atomicTree: true }));
    expect(readdirSync(out)).toEqual(['old-only.txt']);
    expect(readdirSync(parent).sort()).toEqual([expect.stringMatching(/^\.app\.fountcast-[0-9a-f]{32}\.part$/), 'app']);
    await writeSegments(s, p);
    await s.commit();
    expectTreeIn(out, entries, p);
    expect(readdirSync(out).sort()).toEqual(['a', 'z']);
    expect(readdirSync(parent)).toEqual(['app']);
  });

  it('--atomic-tree with --backup keeps the whole old tree in the backup directory', async () => {
    const parent = fresh();
    const backup = fresh();
    const out = join(parent, 'app');
    mkdirSync(out);
    writeFileSync(join(out, 'v1.txt'), 'v1');
    const p = pack([file('v2.txt', 10)], 0, 14);
    const s = await openStaging(p.init(out, { atomicTree: true, backupDir: backup }));
    await writeSegments(s, p);
    await s.commit();
    expect(readFileSync(join(backup, 'app', 'v1.txt'), 'utf8')).toBe('v1');
    expect(readdirSync(out)).toEqual(['v2.txt']);
  });
});

describe('the old copies of a tree', () => {
  it('a directory where a file goes, a file where a directory goes, a symlinked directory: refused before anything is staged', async () => {
    for (const [setup, entries] of [
      [(out: string) => mkdirSync(join(out, 'x')), [file('x', 3)]],
      [(out: string) => writeFileSync(join(out, 'd'), 'f'), [dir('d'), file('d/x', 3)]],
      [(out: string) => symlinkSync(tmpdir(), join(out, 'd')), [dir('d'), file('d/x', 3)]],
    ] as const) {
      const out = fresh();
      setup(out);
      const before = readdirSync(out);
      const err = await openStaging(pack(entries, 0, 15).init(out)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutputConflictError);
      expect((err as OutputConflictError).path).toMatch(/\/(x|d)$/);
      expect(readdirSync(out)).toEqual(before);
    }
  });

  it('noClobber refuses an existing file of the tree; backupDir keeps each old copy at its relative path', async () => {
    const out = fresh();
    mkdirSync(join(out, 'a'));
    writeFileSync(join(out, 'a', 'f'), 'old f');
    const entries = [dir('a'), file('a/f', 20), file('a/g', 20)];
    await expect(openStaging(pack(entries, 0, 16).init(out, { noClobber: true }))).rejects.toThrow(/a\/f.*--no-clobber/);
    const backup = fresh();
    const p = pack(entries, 0, 16);
    const s = await openStaging(p.init(out, { backupDir: backup }));
    await writeSegments(s, p);
    await s.commit();
    expect(readFileSync(join(backup, 'a', 'f'), 'utf8')).toBe('old f');
    expect(existsSync(join(backup, 'a', 'g'))).toBe(false);
    expect(readFileSync(join(out, 'a', 'f')).equals(p.fileBytes.get('a/f')!)).toBe(true);
    expect(Math.round(statSync(join(out, 'a')).mtimeMs)).toBe(MTIME);
  });
});

describe('tree staging with --sync (files already in place are kept)', () => {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  /** The sample tree packed, files hashed, and the big file plus half the small ones already in `out`. */
  function withPresent(out: string) {
    const p = pack(sampleTree(), 0, 12);
    const manifest0 = p.init(out).manifest;
    const entries = manifest0.entries!.map((e) => (e.kind === 'file' ? { ...e, sha256: sha(p.fileBytes.get(e.path)!) } : e));
    const manifest = { ...manifest0, entries };
    const present = new BitSet(entries.length);
    entries.forEach((e, i) => {
      if (e.kind !== 'file' || !(e.path === 'a/b/big' || /small[01]\d$/.test(e.path))) return;
      mkdirSync(join(out, e.path, '..'), { recursive: true });
      writeFileSync(join(out, e.path), p.fileBytes.get(e.path)!);
      present.add(i);
    });
    return { p, entries, manifest, present };
  }

  it('shared stream: segments made only of present files are held; their bytes are read where they are; present files stay', async () => {
    const out = fresh();
    const { p, entries, manifest, present } = withPresent(out);
    const bigInode = statSync(join(out, 'a/b/big')).ino;
    const s = await openStaging({ ...p.init(out), manifest, sync: { present, subset: false } });
    const covered = segmentsCovered(entries, present, p.layout);
    expect(covered.count()).toBeGreaterThan(0);
    expect(heldList(s)).toEqual(heldList({ held: covered } as ObjectStaging));
    await writeSegments(
      s,
      p,
      Array.from({ length: p.layout.segmentCount }, (_, i) => i).filter((i) => !s.held.has(i)),
    );
    expect(Buffer.from(await s.read(0, p.bytes.length)).equals(p.bytes)).toBe(true);
    await s.commit();
    expectTreeIn(out, entries, p);
    expect(statSync(join(out, 'a/b/big')).ino).toBe(bigInode);
    expect(stagingNames(out)).toEqual([]);
  });

  it('unicast: the object holds only the wanted files; each is checked against its entry before anything is placed', async () => {
    for (const corrupt of [false, true]) {
      const out = fresh();
      const { p, entries, manifest, present } = withPresent(out);
      const wanted = entries.filter((e, i) => e.kind === 'file' && !present.has(i));
      const subset = Buffer.concat(wanted.map((e) => p.fileBytes.get(e.path)!));
      if (corrupt) subset[subset.length - 1]! ^= 1;
      const layout = planSegments(subset.length, { segmentSize: 4096, symbolSize: 512 });
      const s = await openStaging({ ...p.init(out), manifest, layout, segmentDigests: undefined, sync: { present, subset: true } });
      expect(s.held.count()).toBe(0);
      for (let i = 0; i < layout.segmentCount; i++) {
        const { offset, length } = segmentRange(layout, i);
        await s.write(offset, subset.subarray(offset, offset + length));
      }
      if (corrupt) {
        await expect(s.commit()).rejects.toThrow(HashMismatchError);
        await s.abort(false);
        expect(existsSync(join(out, 'z'))).toBe(false);
        expect(stagingNames(out)).toEqual([]);
        continue;
      }
      await s.commit();
      expectTreeIn(out, entries, p);
      expect(stagingNames(out)).toEqual([]);
    }
  });
});

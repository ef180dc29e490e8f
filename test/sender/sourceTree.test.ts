/** The sender's walk of `send a b dir/`: rsync semantics, lstat, symlink policies, special files, duplicates. */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SourceFileError } from '../../sender/sourceFileError.js';
import { walkSourceTree } from '../../sender/sourceTree.js';
import { tempDir } from '../e2e/helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** A release/ with nested dirs, an empty dir, an empty file, an executable and a link inside. */
async function fixture(): Promise<string> {
  const t = await tempDir();
  cleanup = t.cleanup;
  const r = join(t.dir, 'release');
  await mkdir(join(r, 'bin'), { recursive: true });
  await mkdir(join(r, 'lib', 'deep', 'er'), { recursive: true });
  await mkdir(join(r, 'empty'));
  await writeFile(join(r, 'bin', 'run'), '#!/bin/sh\necho hi\n');
  await chmod(join(r, 'bin', 'run'), 0o4755); // set-uid is never carried
  await writeFile(join(r, 'lib', 'deep', 'er', 'x.dat'), 'xyz');
  await writeFile(join(r, 'lib', 'a.txt'), 'aa');
  await writeFile(join(r, 'zero'), '');
  await utimes(join(r, 'zero'), 1_000, 1_700_000_000.1234);
  await symlink('../lib/a.txt', join(r, 'bin', 'a-link'));
  return t.dir;
}

describe('walkSourceTree', () => {
  it('lists a directory as its base name and everything under it, sorted, parents first, links skipped by default', async () => {
    const dir = await fixture();
    const t = await walkSourceTree([join(dir, 'release')], 'skip');
    expect(t.entries.map((e) => `${e.kind} ${e.path}`)).toEqual([
      'dir release',
      'dir release/bin',
      'file release/bin/run',
      'dir release/empty',
      'dir release/lib',
      'file release/lib/a.txt',
      'dir release/lib/deep',
      'dir release/lib/deep/er',
      'file release/lib/deep/er/x.dat',
      'file release/zero',
    ]);
    const run = t.entries.find((e) => e.path === 'release/bin/run')!;
    expect(run).toMatchObject({ size: 18, mode: 0o755 });
    expect(run.sha256).toBeUndefined(); // hashing adds it
    expect(t.entries.find((e) => e.path === 'release/zero')).toMatchObject({ size: 0, mtimeMs: 1_700_000_000_123 });
    expect(t.entries.find((e) => e.path === 'release/empty')).toMatchObject({ kind: 'dir', size: 0 });
    // The object: the files in entry order.
    expect(t.parts.map((p) => p.path.slice(dir.length + 1))).toEqual(['release/bin/run', 'release/lib/a.txt', 'release/lib/deep/er/x.dat', 'release/zero']);
    expect(t.parts.map((p) => p.size)).toEqual([18, 2, 3, 0]);
    expect(t.partEntries.map((i) => t.entries[i]!.path)).toEqual(t.parts.map((p) => p.path.slice(dir.length + 1)));
    expect(t.skipped).toEqual([{ path: join(dir, 'release', 'bin', 'a-link'), kind: 'symlink' }]);
  });

  it('takes a trailing slash as the contents, and several paths side by side', async () => {
    const dir = await fixture();
    await writeFile(join(dir, 'notes.md'), 'n');
    const t = await walkSourceTree([join(dir, 'release', 'lib') + '/', join(dir, 'notes.md'), join(dir, 'release', 'empty')], 'skip');
    expect(t.entries.map((e) => e.path)).toEqual(['a.txt', 'deep', 'deep/er', 'deep/er/x.dat', 'empty', 'notes.md']);
  });

  it('keeps a link that stays inside the tree (--symlinks keep)', async () => {
    const dir = await fixture();
    const t = await walkSourceTree([join(dir, 'release') + '/'], 'keep');
    expect(t.entries.find((e) => e.path === 'bin/a-link')).toEqual({
      path: 'bin/a-link',
      kind: 'symlink',
      size: 0,
      mode: expect.any(Number),
      mtimeMs: expect.any(Number),
      target: '../lib/a.txt',
    });
    expect(t.skipped).toEqual([]);
  });

  it('refuses, by name, a kept link that leaves the tree, is absolute, or names the root; skips them all under skip', async () => {
    for (const target of ['../../outside', '/etc/passwd', '..', '../bin/../..']) {
      const dir = await fixture();
      await symlink(target, join(dir, 'release', 'bin', 'out-link'));
      const keep = walkSourceTree([join(dir, 'release') + '/'], 'keep');
      await expect(keep, target).rejects.toThrow(SourceFileError);
      await expect(keep, target).rejects.toThrow(`${join(dir, 'release', 'bin', 'out-link')} -> ${target} does not stay inside the tree`);
      const skip = await walkSourceTree([join(dir, 'release') + '/'], 'skip');
      expect(skip.skipped.map((s) => s.path)).toContain(join(dir, 'release', 'bin', 'out-link'));
      expect(skip.entries.some((e) => e.path.endsWith('out-link'))).toBe(false);
      await cleanup!();
    }
    cleanup = undefined;
  });

  it('resolves a link against the tree as sent: the same link is inside under release/ and outside under release/bin/', async () => {
    const dir = await fixture();
    await expect(walkSourceTree([join(dir, 'release')], 'keep')).resolves.toBeDefined();
    await expect(walkSourceTree([join(dir, 'release', 'bin') + '/'], 'keep')).rejects.toThrow(/a-link -> \.\.\/lib\/a\.txt does not stay inside/);
  });

  it('leaves out special files and reports them', async (ctx) => {
    const dir = await fixture();
    try {
      execFileSync('mkfifo', [join(dir, 'release', 'pipe')]);
    } catch {
      ctx.skip(); // no mkfifo on this host
    }
    const t = await walkSourceTree([join(dir, 'release')], 'keep');
    expect(t.skipped).toEqual([{ path: join(dir, 'release', 'pipe'), kind: 'special' }]);
    expect(t.entries.some((e) => e.path.endsWith('pipe'))).toBe(false);
  });

  it('refuses two paths that land on the same entry, naming both', async () => {
    const dir = await fixture();
    await mkdir(join(dir, 'other'));
    await writeFile(join(dir, 'other', 'a.txt'), 'other');
    await expect(walkSourceTree([join(dir, 'release', 'lib') + '/', join(dir, 'other') + '/'], 'skip')).rejects.toThrow(
      `${join(dir, 'release', 'lib', 'a.txt')} and ${join(dir, 'other', 'a.txt')} would both be "a.txt" in the tree`,
    );
    await expect(walkSourceTree([join(dir, 'release'), join(dir, 'release')], 'skip')).rejects.toThrow(/would both be "release"/);
  });

  it('refuses what receivers would refuse (a name with a control character), a missing path, and contents of a file', async () => {
    const dir = await fixture();
    await writeFile(join(dir, 'release', 'bad\nname'), '');
    await expect(walkSourceTree([join(dir, 'release')], 'skip')).rejects.toThrow(/bad\\nname.*control character/);
    await expect(walkSourceTree([join(dir, 'nope')], 'skip')).rejects.toThrow(SourceFileError);
    await expect(walkSourceTree([join(dir, 'release', 'zero') + '/'], 'skip')).rejects.toThrow(SourceFileError);
  });

  it('gives an empty tree for an empty directory sent as its contents', async () => {
    const dir = await fixture();
    const t = await walkSourceTree([join(dir, 'release', 'empty') + '/'], 'skip');
    expect(t).toEqual({ entries: [], parts: [], partEntries: [], skipped: [] });
  });
});

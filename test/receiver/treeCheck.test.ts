import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TreeEntry } from '../../control/messages.js';
import { ManifestRejectedError, UnsafeOutputPathError } from '../../receiver/errors.js';
import { openStaging } from '../../receiver/openStaging.js';
import { checkTree, MAX_TREE_DEPTH } from '../../receiver/treeCheck.js';
import { dir, file, link, pack } from './stagingFixture.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'fountcast-treecheck-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const size = (entries: readonly TreeEntry[]) => entries.reduce((n, e) => n + (e.kind === 'file' ? e.size : 0), 0);

/** The hostile trees: each refused by name, and nothing written under --out. */
const HOSTILE: [string, TreeEntry[], RegExp][] = [
  ['../x', [file('../x', 3)], /"\.\.\/x".*"\.\." component/],
  ['/x', [file('/x', 3)], /"\/x".*absolute/],
  ['a/../../x', [dir('a'), file('a/../../x', 3)], /"a\/\.\.\/\.\.\/x"/],
  ['an empty component', [dir('a'), file('a//x', 3)], /"a\/\/x".*empty/],
  ['a "." component', [dir('a'), file('a/./x', 3)], /"a\/\.\/x".*empty or "\."/],
  ['a duplicate path', [file('x', 3), file('x', 3)], /"x".*listed twice/],
  ['a parent not listed before its child', [file('a/x', 3)], /"a\/x".*parent "a" is not listed/],
  ['a file under a path that is also a file', [file('a', 3), file('a/x', 3)], /"a\/x".*under "a", which is also a file/],
  ['a file under a symlink', [dir('d'), link('l', 'd'), file('l/x', 3)], /"l\/x".*under "l", which is a symlink/],
  ['a symlink pointing outside (..)', [dir('a'), link('a/l', '../../etc/passwd')], /"a\/l".*leaves the tree/],
  ['a symlink with an absolute target', [link('l', '/etc/passwd')], /"l".*absolute/],
  ['a symlink through another symlink', [dir('d'), link('d/up', '..'), link('l', 'd/up/../x')], /"l".*passes through "d\/up"/],
  ['a symlink through a file', [file('f', 1), link('l', 'f/../x')], /"l".*passes through "f"/],
  ['an unsorted tree', [file('b', 1), file('a', 1)], /"a".*not sorted/],
  ['a name reserved for staging', [file('.fountcast-0123456789abcdef0123456789abcdef.part', 1)], /reserved/],
  ['a path deeper than the limit', Array.from({ length: MAX_TREE_DEPTH + 1 }, (_, i) => dir(Array.from({ length: i + 1 }, () => 'd').join('/'))), /deeper/],
];

describe('checkTree refuses hostile trees by name', () => {
  for (const [what, entries, message] of HOSTILE) {
    it(`${what}: UnsafeOutputPathError naming the entry, nothing written`, async () => {
      expect(() => checkTree(entries, size(entries))).toThrow(UnsafeOutputPathError);
      expect(() => checkTree(entries, size(entries))).toThrow(message);
      const out = mkdtempSync(join(root, 'out-'));
      const err = await openStaging(pack(entries, 0, 1).init(out)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsafeOutputPathError);
      expect(readdirSync(out)).toEqual([]);
    });
  }

  it('sizes that do not add up to the object are a ManifestRejectedError', () => {
    expect(() => checkTree([file('a', 3)], 4)).toThrow(ManifestRejectedError);
    expect(() => checkTree([{ ...dir('d'), size: 5 }], 5)).toThrow(/directory|dir "d" has size 5/);
    expect(() => checkTree([], 0)).toThrow(ManifestRejectedError);
  });
});

describe('checkTree accepts ordinary trees', () => {
  it('places files in entry order and accepts links that stay inside through the tree’s dirs', () => {
    const entries = [dir('a'), file('a/b', 5), file('a/c', 0), dir('a/d'), link('a/l', '../x'), link('top', 'a/d/../b'), file('x', 7)];
    const checked = checkTree(entries, 12);
    expect(checked.files.map((f) => [f.path, f.offset, f.size])).toEqual([
      ['a/b', 0, 5],
      ['a/c', 5, 0],
      ['x', 5, 7],
    ]);
  });

  it('a link may name an entry listed after it, or a name that is not there (dangling inside)', () => {
    expect(() => checkTree([link('a', 'z'), link('b', 'nothing'), file('z', 1)], 1)).not.toThrow();
  });
});

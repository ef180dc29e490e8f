import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TreeEntry } from '../../control/messages.js';
import { fileMatches, presentEntries } from '../../receiver/localInventory.js';
import { segmentsDigest } from '../../control/objectIdentity.js';
import { segmentDigest } from '../../control/segmentHash.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const file = (path: string, content: string): TreeEntry => ({
  path,
  kind: 'file',
  size: Buffer.byteLength(content),
  mode: 0o644,
  mtimeMs: 0,
  sha256: sha(content),
});

describe('presentEntries', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'fc-inventory-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('counts only regular files with the same size and SHA-256, reached without links', async () => {
    await mkdir(join(root, 'a'));
    await writeFile(join(root, 'a', 'same'), 'hello');
    await writeFile(join(root, 'a', 'changed'), 'hellO');
    await writeFile(join(root, 'a', 'longer'), 'hello!');
    await mkdir(join(root, 'elsewhere'));
    await writeFile(join(root, 'elsewhere', 'x'), 'hello');
    await symlink('elsewhere', join(root, 'linked'));
    const entries: TreeEntry[] = [
      { path: 'a', kind: 'dir', size: 0, mode: 0o755, mtimeMs: 0 },
      file('a/changed', 'hello'),
      file('a/longer', 'hello'),
      file('a/missing', 'hello'),
      file('a/same', 'hello'),
      { path: 'linked', kind: 'dir', size: 0, mode: 0o755, mtimeMs: 0 },
      file('linked/x', 'hello'),
    ];
    const present = await presentEntries(root, entries);
    expect(entries.map((_, i) => present.has(i))).toEqual([false, false, false, false, true, false, false]);
  });

  it('finds nothing when the root does not exist', async () => {
    const present = await presentEntries(join(root, 'nope'), [file('x', 'a')]);
    expect(present.has(0)).toBe(false);
  });

  it('fileMatches checks size and hash of a single file', async () => {
    await writeFile(join(root, 'f'), 'content');
    expect(await fileMatches(join(root, 'f'), 7, sha('content'))).toBe(true);
    expect(await fileMatches(join(root, 'f'), 7, sha('contenT'))).toBe(false);
    expect(await fileMatches(join(root, 'g'), 7, sha('content'))).toBe(false);
  });

  it('fileMatches checks an identity of kind segments against the file cut in that segment size', async () => {
    const bytes = Buffer.from('0123456789abcdefghij'); // 20 bytes: segments of 8, 8 and 4
    await writeFile(join(root, 's'), bytes);
    const digests = Buffer.concat([0, 8, 16].map((at) => segmentDigest(bytes.subarray(at, at + 8))));
    const identity = segmentsDigest(20, 8, digests);
    expect(await fileMatches(join(root, 's'), 20, identity, 8)).toBe(true);
    expect(await fileMatches(join(root, 's'), 20, identity, 16)).toBe(false);
    expect(await fileMatches(join(root, 's'), 20, sha(bytes.toString()))).toBe(true);
    await writeFile(join(root, 's'), '0123456789abcdefghiJ');
    expect(await fileMatches(join(root, 's'), 20, identity, 8)).toBe(false);
  });
});

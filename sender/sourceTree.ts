/**
 * What `send a b dir/` serves when it is more than one plain file: the paths walked into a
 * tree. rsync's convention: a path contributes its base name (file `a` is entry `a`, directory
 * `d` is `d` and everything under it), a directory with a trailing slash (or `.`) contributes
 * its contents. Nothing is followed (lstat): a symlink is left out (`skip`, reported so the
 * caller can log it) or stored as a link (`keep`) whose target must be relative and stay
 * strictly inside the tree; fifos, sockets and devices are left out and reported. Entries come
 * sorted by path, which puts every directory before what it holds.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { treePathProblem, treeTargetProblem } from '../control/messageCodec.js';
import { MAX_TREE_ENTRIES, type TreeEntry } from '../control/messages.js';
import type { ObjectPart } from './objectReader.js';
import { SourceFileError } from './sourceFileError.js';

export type SymlinkPolicy = 'skip' | 'keep';
export const SYMLINK_POLICIES: readonly SymlinkPolicy[] = ['skip', 'keep'];

/** A path left out of the tree: a symlink under `skip`, or a special file (fifo, socket, device). */
export interface SkippedPath {
  /** As found on disk (under the path given). */
  readonly path: string;
  readonly kind: 'symlink' | 'special';
}

export interface SourceTree {
  /** Sorted by path; files without sha256 (hashing adds it). */
  readonly entries: readonly TreeEntry[];
  /** The files in entry order: the object is their bytes back to back. */
  readonly parts: readonly ObjectPart[];
  /** The entry index of each part. */
  readonly partEntries: readonly number[];
  readonly skipped: readonly SkippedPath[];
}

interface Found {
  readonly entry: TreeEntry;
  readonly diskPath: string;
  readonly stats: Stats;
}

/** True when `path` names a directory's contents rather than the directory (`dir/`, `.`, `..`). */
export function meansContents(path: string): boolean {
  return path.endsWith('/') || basename(path) === '.' || basename(path) === '..';
}

export async function walkSourceTree(paths: readonly string[], symlinks: SymlinkPolicy): Promise<SourceTree> {
  const found = new Map<string, Found>();
  const skipped: SkippedPath[] = [];
  let stats = 0;

  const add = async (rel: string, diskPath: string, st: Stats): Promise<void> => {
    const problem = treePathProblem(rel);
    if (problem) throw new SourceFileError(`${diskPath} cannot be sent: its path in the tree, ${JSON.stringify(rel)}, ${problem}`);
    const earlier = found.get(rel);
    if (earlier) throw new SourceFileError(`${earlier.diskPath} and ${diskPath} would both be ${JSON.stringify(rel)} in the tree`);
    const base = { path: rel, size: 0, mode: st.mode & 0o777, mtimeMs: Math.round(st.mtimeMs) };
    let entry: TreeEntry;
    if (st.isFile()) entry = { ...base, kind: 'file', size: st.size };
    else if (st.isDirectory()) entry = { ...base, kind: 'dir' };
    else if (st.isSymbolicLink()) {
      if (symlinks === 'skip') return void skipped.push({ path: diskPath, kind: 'symlink' });
      entry = { ...base, kind: 'symlink', target: await linkTarget(rel, diskPath) };
    } else return void skipped.push({ path: diskPath, kind: 'special' });
    if (found.size >= MAX_TREE_ENTRIES) throw new SourceFileError(`the tree has more than ${MAX_TREE_ENTRIES} entries`);
    found.set(rel, { entry, diskPath, stats: st });
    if (entry.kind === 'dir') await addChildren(rel, diskPath);
  };

  const addChildren = async (rel: string, diskPath: string): Promise<void> => {
    let names: string[];
    try {
      names = readdirSync(diskPath);
    } catch (e) {
      throw new SourceFileError(`cannot read the directory ${diskPath}: ${(e as Error).message}`);
    }
    for (const name of names) {
      // Synchronous: a few microseconds each, against a thread-pool round trip per entry; the
      // caller's event loop gets a turn every STATS_PER_YIELD.
      if (++stats % STATS_PER_YIELD === 0) await new Promise((r) => setImmediate(r));
      await add(rel === '' ? name : `${rel}/${name}`, join(diskPath, name), lstatOf(join(diskPath, name)));
    }
  };

  for (const p of paths) {
    const st = lstatOf(p);
    if (meansContents(p)) {
      // lstat of `link/` follows the link: the contents of the directory it names, as rsync.
      if (!st.isDirectory()) throw new SourceFileError(`${p} is not a directory (a trailing / sends a directory's contents)`);
      await addChildren('', p);
    } else await add(basename(p), p, st);
  }

  const sorted = [...found.values()].sort((a, b) => (a.entry.path < b.entry.path ? -1 : a.entry.path > b.entry.path ? 1 : 0));
  const parts: ObjectPart[] = [];
  const partEntries: number[] = [];
  sorted.forEach((f, i) => {
    if (f.entry.kind !== 'file') return;
    parts.push({ path: f.diskPath, size: f.stats.size, mtimeMs: f.stats.mtimeMs });
    partEntries.push(i);
  });
  return { entries: sorted.map((f) => Object.freeze(f.entry)), parts, partEntries, skipped };
}

/** Entries examined between turns of the event loop. */
const STATS_PER_YIELD = 512;

function lstatOf(path: string): Stats {
  try {
    return lstatSync(path);
  } catch (e) {
    throw new SourceFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/**
 * A kept link's target: relative and, resolved from the link's directory, strictly inside the
 * tree. The tree's root itself is refused too: through `link/..` it would lead out of the tree.
 */
async function linkTarget(rel: string, diskPath: string): Promise<string> {
  let target: string;
  try {
    target = await readlink(diskPath);
  } catch (e) {
    throw new SourceFileError(`cannot read the symlink ${diskPath}: ${(e as Error).message}`);
  }
  const problem = treeTargetProblem(target);
  const resolved = posix.normalize(posix.join(posix.dirname(rel), target));
  if (problem || resolved === '.' || resolved === '..' || resolved.startsWith('../'))
    throw new SourceFileError(
      `the symlink ${diskPath} -> ${target} does not stay inside the tree (--symlinks keep takes only relative links to entries of the tree; --symlinks skip leaves links out)`,
    );
  return target;
}

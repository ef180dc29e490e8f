/**
 * Putting a verified, durable staged tree in place (treeStaging.ts decides when): per entry into
 * --out, or, with --atomic-tree, the whole staged directory swapped in for --out. Files kept in
 * place by --sync get their mode and mtime where they are (or are copied into the staged tree
 * that replaces --out).
 */
import { chmodSync, constants, copyFileSync, lutimesSync, mkdirSync, renameSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { TreeEntry } from '../control/messages.js';
import { toDiskError } from './diskError.js';
import { OutputConflictError } from './errors.js';
import { SYNC_BATCH, syncDirectorySync, syncFilesystemOf, yieldToLoop } from './objectFiles.js';
import { backUp, lstatOrUndefined, type OldCopyPolicy } from './oldCopy.js';

/** What placing needs: the entries, where they go and where they are staged. */
export interface Placement {
  readonly entries: readonly TreeEntry[];
  /** --out. */
  readonly out: string;
  /** The staging directory. */
  readonly staged: string;
  readonly policy: OldCopyPolicy;
  /** Entry `i` is a file kept in place (--sync). */
  present(i: number): boolean;
  /** Entry `i` is a staged file that already has its mode and mtime (ObjectFiles.settled). */
  settled(i: number): boolean;
}

/**
 * Per entry into --out: each file's rename is atomic, the tree as a whole is not. A directory
 * absent from --out arrives whole: its staged copy, every file settled, is renamed in at once
 * (one rename instead of one per file below it, and nothing below it is ever seen half there).
 */
export async function placeEach(c: Placement): Promise<void> {
  const { entries } = c;
  const { out } = c;
  const { staged } = c;
  const touched = new Set<string>([out]);
  const fresh = freshDirectories(c);
  const inFresh = (path: string) => fresh.size > 0 && topFresh(path, fresh) !== undefined;
  // What a fresh directory brings is settled where it is staged, before the directory is renamed in.
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind === 'dir' || !inFresh(e.path) || c.settled(i)) continue;
    const path = join(staged, e.path);
    fsStep(path, () => (e.kind === 'file' ? settle(path, e) : makeLink(path, e)));
    if (i % SYNC_BATCH === SYNC_BATCH - 1) await yieldToLoop();
  }
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const target = join(out, e.path);
    if (fresh.has(e.path)) {
      fsStep(target, () => {
        if (lstatOrUndefined(target) !== undefined) throw new OutputConflictError(`cannot put a directory at ${target}: something appeared there`, target);
        renameSync(join(staged, e.path), target);
      });
      touched.add(dirname(target));
      continue;
    }
    if (inFresh(e.path)) continue;
    fsStep(target, () => {
      if (e.kind === 'dir') {
        const st = lstatOrUndefined(target);
        if (st === undefined) mkdirSync(target, 0o700);
        else if (!st.isDirectory()) throw new OutputConflictError(`cannot put a directory at ${target}: something else appeared there`, target);
        return;
      }
      if (c.present(i)) return settle(target, e);
      const from = join(staged, e.path);
      if (e.kind === 'symlink') makeLink(from, e);
      else if (!c.settled(i)) settle(from, e);
      if (c.policy.backupDir !== undefined) backUp(target, e.path, c.policy.backupDir);
      renameSync(from, target);
      touched.add(dirname(target));
    });
    if (i % SYNC_BATCH === SYNC_BATCH - 1) await yieldToLoop();
  }
  settleDirs(entries, out);
  await makeDurable(out, touched, entries.length);
  if (c.policy.backupDir !== undefined) syncDirectorySync(c.policy.backupDir);
}

/**
 * The topmost directory entries absent from --out, none of whose entries is kept in place (a
 * parent comes before its children in entry order, so one pass finds them). Below a fresh
 * directory nothing exists, so nothing there needs a backup or a clobber check.
 */
function freshDirectories(c: Placement): Set<string> {
  const fresh = new Set<string>();
  for (let i = 0; i < c.entries.length; i++) {
    const e = c.entries[i]!;
    const top = topFresh(e.path, fresh);
    if (top !== undefined) {
      // A kept file below it would be lost with the rename: that directory goes entry by entry.
      if (c.present(i)) fresh.delete(top);
      continue;
    }
    if (e.kind === 'dir' && !c.present(i) && lstatOrUndefined(join(c.out, e.path)) === undefined) fresh.add(e.path);
  }
  return fresh;
}

/** The fresh directory `path` lies below, if any. */
function topFresh(path: string, fresh: ReadonlySet<string>): string | undefined {
  let found: string | undefined;
  for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
    const parent = path.slice(0, slash);
    if (fresh.has(parent)) found = parent;
  }
  return found;
}

/** The whole staged tree replaces --out (see treeStaging.ts for the window). */
export async function swapIn(c: Placement): Promise<void> {
  const { entries } = c;
  const { out } = c;
  const { staged } = c;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const path = join(staged, e.path);
    // The whole tree is swapped in, so the files already in place are copied into it (a clone where the filesystem can).
    if (c.present(i)) fsStep(path, () => copyFileSync(join(out, e.path), path, constants.COPYFILE_FICLONE));
    if (e.kind === 'file' && (c.present(i) || !c.settled(i))) fsStep(path, () => settle(path, e));
    else if (e.kind === 'symlink') fsStep(path, () => makeLink(path, e));
    if (i % SYNC_BATCH === SYNC_BATCH - 1) await yieldToLoop();
  }
  settleDirs(entries, staged);
  const old = lstatOrUndefined(out);
  fsStep(staged, () => chmodSync(staged, old?.isDirectory() ? old.mode & 0o7777 : 0o755));
  await makeDurable(staged, new Set([staged, ...entries.filter((e) => e.kind === 'dir').map((e) => join(staged, e.path))]), entries.length);

  const parked =
    old === undefined ? undefined : c.policy.backupDir !== undefined ? join(c.policy.backupDir, basename(out)) : c.staged.replace(/\.part$/, '.old');
  if (old !== undefined) {
    if (!old.isDirectory()) throw new OutputConflictError(`cannot replace ${out}: it is no longer a directory`, out);
    if (c.policy.backupDir !== undefined) backUp(out, basename(out), c.policy.backupDir);
    else fsStep(out, () => renameSync(out, parked!));
  }
  try {
    renameSync(staged, out);
  } catch (e) {
    if (parked !== undefined) renameSync(parked, out);
    throw toDiskError(e, `renaming ${staged} to`, out);
  }
  syncDirectorySync(dirname(out));
  if (c.policy.backupDir !== undefined) syncDirectorySync(c.policy.backupDir);
  else if (parked !== undefined) rmSync(parked, { recursive: true, force: true });
}

/** Runs one filesystem step; a raw errno becomes a DiskError naming `path`. */
export function fsStep(path: string, step: () => void): void {
  try {
    step();
  } catch (e) {
    if (e instanceof OutputConflictError) throw e;
    throw toDiskError(e, 'placing', path);
  }
}

/** A staged file gets its mode and mtime before it is renamed in (the rename keeps both). */
function settle(path: string, e: TreeEntry): void {
  chmodSync(path, e.mode);
  utimesSync(path, e.mtimeMs / 1000, e.mtimeMs / 1000);
}

/** A link is made in the staging directory (the rename then replaces any old one atomically). */
function makeLink(path: string, e: TreeEntry): void {
  rmSync(path, { force: true });
  symlinkSync(e.target!, path);
  lutimesSync(path, e.mtimeMs / 1000, e.mtimeMs / 1000);
}

/** Directory modes and mtimes, deepest first (placing children changes a directory's mtime). */
function settleDirs(entries: readonly TreeEntry[], root: string): void {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.kind !== 'dir') continue;
    const path = join(root, e.path);
    fsStep(path, () => {
      chmodSync(path, e.mode);
      utimesSync(path, e.mtimeMs / 1000, e.mtimeMs / 1000);
    });
  }
}

/** The renames and creations durable: one syncfs for a large tree, else each touched directory. */
async function makeDurable(root: string, dirs: ReadonlySet<string>, count: number): Promise<void> {
  if (count >= 64 && (await syncFilesystemOf(root))) return;
  for (const d of dirs) syncDirectorySync(d);
}

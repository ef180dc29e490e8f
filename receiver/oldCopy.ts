/**
 * What happens to what is already at a target: checked before any data is streamed, so a
 * transfer never runs for minutes to fail at the rename. A target may be replaced when it is
 * absent or of the same kind (a regular file for a file, a real directory for a directory, a
 * file or link for a link) and its directory is writable; `noClobber` refuses any existing
 * target; `backupDir` moves each old copy there (keeping its relative path) just before the new
 * one is renamed in. A directory on the way that is a symlink is never written through.
 */
import { accessSync, constants, lstatSync, mkdirSync, renameSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TreeEntry } from '../control/messages.js';
import { OutputConflictError } from './errors.js';
import { toDiskError } from './diskError.js';

export interface OldCopyPolicy {
  /** Refuse to replace anything that exists. */
  readonly noClobber: boolean;
  /** Move each old copy here (same filesystem) before the new one goes in. */
  readonly backupDir: string | undefined;
}

export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw toDiskError(e, 'inspecting', path);
  }
}

function kindOf(st: Stats): string {
  if (st.isFile()) return 'a file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'a special file (not a regular file)';
}

/** Throws unless entries can be created in (or renamed into) directory `dir`. */
export function checkWritableDir(dir: string): void {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new OutputConflictError(`cannot write into ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, dir, { cause: e });
  }
}

/**
 * An existing target that rename can replace but that is immutable (chattr +i) shows as EPERM on
 * access(W_OK); EACCES (a read-only mode) does not stop a rename, so it is no refusal.
 */
function checkNotImmutable(path: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPERM')
      throw new OutputConflictError(`cannot replace ${path}: it is immutable or not ours (EPERM)`, path, { cause: e });
  }
}

/**
 * Checks one target: `want` is what will be put there. Returns whether something exists there
 * (the caller knows a directory target's children may go in without creating it).
 */
export function checkTarget(path: string, want: TreeEntry['kind'], policy: OldCopyPolicy): boolean {
  const st = lstatOrUndefined(path);
  if (st === undefined) return false;
  const same = want === 'file' ? st.isFile() : want === 'dir' ? st.isDirectory() : st.isSymbolicLink() || st.isFile();
  if (!same) throw new OutputConflictError(`cannot put a ${want === 'dir' ? 'directory' : want} at ${path}: ${kindOf(st)} is in the way`, path);
  // A directory is merged into, never replaced: only files and links are old copies.
  if (want !== 'dir') {
    if (policy.noClobber) throw new OutputConflictError(`refusing to replace ${path}: it exists (--no-clobber)`, path);
    checkNotImmutable(path);
  }
  return true;
}

/** --backup DIR: an existing directory on the same filesystem as `near` (so old copies move by rename). */
export function checkBackupDir(backupDir: string, near: string): void {
  let st: Stats;
  try {
    st = statSync(backupDir);
  } catch (e) {
    throw new OutputConflictError(`backup directory ${backupDir} does not exist`, backupDir, { cause: e });
  }
  if (!st.isDirectory()) throw new OutputConflictError(`backup directory ${backupDir} is not a directory`, backupDir);
  checkWritableDir(backupDir);
  if (statSync(near).dev !== st.dev) throw new OutputConflictError(`backup directory ${backupDir} is not on the same filesystem as ${near}`, backupDir);
}

/**
 * Moves the old copy at `path` (if any) to `<backupDir>/<relative>`, replacing an earlier backup
 * of the same path; a directory there (a whole tree's backup) is removed first.
 */
export function backUp(path: string, relative: string, backupDir: string): void {
  if (lstatOrUndefined(path) === undefined) return;
  const to = join(backupDir, relative);
  try {
    mkdirSync(dirname(to), { recursive: true });
    if (lstatOrUndefined(to)?.isDirectory()) rmSync(to, { recursive: true, force: true });
    renameSync(path, to);
  } catch (e) {
    throw toDiskError(e, `backing up ${path} to`, to);
  }
}

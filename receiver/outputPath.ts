/**
 * Where the received file goes. The manifest's file name comes from the peer, so it is confined:
 * a bare base name, nothing that climbs out of the output directory or names a device. The file
 * is staged under a hidden name in the same directory (same filesystem, so the final rename is
 * atomic), derived from the content identity so a restarted receiver finds it again, and only a
 * regular file may be replaced by it.
 */
import { lstatSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve, sep, win32 } from 'node:path';
import { UnsafeOutputPathError } from './errors.js';

export interface OutputPaths {
  /** Where the file ends up after the atomic rename. */
  readonly finalPath: string;
}

/** Where one file is staged, next to its final path. */
export interface StagingPaths {
  /** `.<name>.<id>.fountcast-part`: the file's bytes. */
  readonly partPath: string;
  /** `.<name>.<id>.fountcast-state`: the resume state (stagingState.ts). */
  readonly statePath: string;
  /** `.<name>.` (the name shortened as in both): every staging name of this file starts so. */
  readonly prefix: string;
}

/** NAME_MAX of common filesystems (bytes of one path component). */
const MAX_NAME_BYTES = 255;
const PART_SUFFIX = '.fountcast-part';
const STATE_SUFFIX = '.fountcast-state';
/** What follows the prefix in a staging name: the id (16 hex in older versions' random names, 32 now), the suffix. */
const STAGING_TAIL = /^([0-9a-f]{16}|[0-9a-f]{32})\.fountcast-(part|state)(\.tmp)?$/;

/**
 * Throws UnsafeOutputPathError unless `name` is a plain file name: non-empty, not "." or "..",
 * without separators ("/" or "\"), NUL, or a drive prefix, and at most 255 UTF-8 bytes.
 */
export function checkFileName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new UnsafeOutputPathError('file name is empty');
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  if (name === '.' || name === '..') throw new UnsafeOutputPathError(`file name ${shown} names a directory`);
  if (name.includes('\0')) throw new UnsafeOutputPathError(`file name ${shown} contains NUL`);
  if (name.includes('/') || name.includes('\\')) {
    throw new UnsafeOutputPathError(`file name ${shown} contains a path separator; only a base name is allowed`);
  }
  // "C:x" is relative to drive C's cwd on Windows: as unsafe as an absolute path.
  if (win32.isAbsolute(name) || /^[A-Za-z]:/.test(name)) throw new UnsafeOutputPathError(`file name ${shown} is absolute`);
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    throw new UnsafeOutputPathError(`file name ${shown} is longer than ${MAX_NAME_BYTES} bytes`);
  }
}

/**
 * `out` is a directory (it exists as one, or ends with a separator: then it must exist) and the
 * file is `<out>/<manifestName>`; otherwise `out` is the exact file path and its parent must be an
 * existing directory. The manifest name is checked in both cases: a hostile name is a reason to
 * refuse the transfer even when it would not be used.
 */
export function resolveOutputPath(out: string, manifestName: string): OutputPaths {
  checkFileName(manifestName);
  if (typeof out !== 'string' || out.length === 0) throw new UnsafeOutputPathError('output path is empty');
  if (out.includes('\0')) throw new UnsafeOutputPathError('output path contains NUL');

  let finalPath: string;
  const wantsDirectory = out.endsWith('/') || out.endsWith(sep);
  const outStat = statOrUndefined(out, statSync);
  if (wantsDirectory || outStat?.isDirectory()) {
    if (!outStat?.isDirectory()) throw new UnsafeOutputPathError(`output directory ${out} does not exist`);
    finalPath = join(resolve(out), manifestName);
  } else {
    finalPath = resolve(out);
    const parent = dirname(finalPath);
    if (!statOrUndefined(parent, statSync)?.isDirectory()) {
      throw new UnsafeOutputPathError(`directory ${parent} of output file ${out} does not exist`);
    }
  }

  const existing = statOrUndefined(finalPath, lstatSync);
  if (existing !== undefined && !existing.isFile()) {
    const kind = existing.isSymbolicLink() ? 'a symbolic link' : existing.isDirectory() ? 'a directory' : 'not a regular file';
    throw new UnsafeOutputPathError(`refusing to replace ${finalPath}: it is ${kind}`);
  }
  return { finalPath };
}

/**
 * The staging names of `finalPath` for content `id` (32 hex), the name shortened (by code points)
 * so the longer of them fits NAME_MAX.
 */
export function stagingPaths(finalPath: string, id: string): StagingPaths {
  const overhead = Buffer.byteLength(`..${id}${STATE_SUFFIX}`, 'utf8');
  let stem = basename(finalPath);
  while (Buffer.byteLength(stem, 'utf8') + overhead > MAX_NAME_BYTES) stem = Array.from(stem).slice(0, -1).join('');
  const dir = dirname(finalPath);
  return { partPath: join(dir, `.${stem}.${id}${PART_SUFFIX}`), statePath: join(dir, `.${stem}.${id}${STATE_SUFFIX}`), prefix: `.${stem}.` };
}

/** The id of a directory entry `entryName` that is a staging name under `prefix` (ours or an older version's), else undefined. */
export function stagingIdOf(entryName: string, prefix: string): string | undefined {
  if (!entryName.startsWith(prefix)) return undefined;
  return STAGING_TAIL.exec(entryName.slice(prefix.length))?.[1];
}

function statOrUndefined(path: string, stat: (p: string) => Stats): Stats | undefined {
  try {
    return stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UnsafeOutputPathError(`cannot inspect ${path}: ${(e as Error).message}`, { cause: e });
  }
}

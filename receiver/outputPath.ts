/**
 * Where the received file goes. The manifest's file name comes from the peer, so it is confined:
 * a bare base name, nothing that climbs out of the output directory or names a device. The file
 * is assembled under a hidden temp name in the same directory (same filesystem, so the final
 * rename is atomic) and only a regular file may be replaced by it.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve, sep, win32 } from 'node:path';
import { UnsafeOutputPathError } from './errors.js';

export interface OutputPaths {
  /** Where the file ends up after the atomic rename. */
  readonly finalPath: string;
  /** Where it is assembled: `.<name>.<random hex>.fountcast-part` next to finalPath. */
  readonly tempPath: string;
}

/** NAME_MAX of common filesystems (bytes of one path component). */
const MAX_NAME_BYTES = 255;
const TEMP_SUFFIX = '.fountcast-part';

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
  return { finalPath, tempPath: join(dirname(finalPath), tempFileName(basename(finalPath))) };
}

/** `.<name>.<16 hex>.fountcast-part`, the name shortened (by code points) to fit NAME_MAX. */
function tempFileName(name: string): string {
  // A file name, not a secret: unpredictable so two receivers into one directory never collide.
  const tag = randomBytes(8).toString('hex');
  const overhead = Buffer.byteLength(`.${'.'}${tag}${TEMP_SUFFIX}`, 'utf8');
  let stem = name;
  while (Buffer.byteLength(stem, 'utf8') + overhead > MAX_NAME_BYTES) stem = Array.from(stem).slice(0, -1).join('');
  return `.${stem}.${tag}${TEMP_SUFFIX}`;
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

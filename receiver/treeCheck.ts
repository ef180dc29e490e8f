/**
 * The receiver's own judgement of a tree (Manifest.entries) before anything is written: the
 * codec has checked each entry's shape, this checks what the entries mean together. Every path
 * stays inside --out (component by component), every entry's parent is a directory listed
 * before it, no path is listed twice, no symlink leaves the tree, and the files' sizes add up to
 * the object the segments carry. A path refusal is an UnsafeOutputPathError naming the entry;
 * sizes and counts that do not add up are a ManifestRejectedError.
 */
import { MAX_TREE_ENTRIES, MAX_TREE_PATH_BYTES, type TreeEntry } from '../control/messages.js';
import { ManifestRejectedError, UnsafeOutputPathError } from './errors.js';

/** Deepest path accepted (components): keeps recursion-free walks and path lengths modest. */
export const MAX_TREE_DEPTH = 64;
/** NAME_MAX of common filesystems (bytes of one path component). */
const MAX_NAME_BYTES = 255;
/** Names this receiver stages under in --out: a tree may not bring its own. */
const STAGING_NAME = /^\.fountcast-[0-9a-f]{32}\.(part|state)$/;

/** One file of the tree and where its bytes sit in the object. */
export interface TreeFile {
  /** Index into the entries. */
  readonly index: number;
  readonly path: string;
  /** Offset of the file's first byte in the object. */
  readonly offset: number;
  readonly size: number;
}

export interface CheckedTree {
  readonly entries: readonly TreeEntry[];
  /** The file entries in object order (entry order), empty files included. */
  readonly files: readonly TreeFile[];
}

function shown(path: string): string {
  return JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}…` : path);
}

function refuse(path: string, why: string): never {
  throw new UnsafeOutputPathError(`tree entry ${shown(path)} refused: ${why}`);
}

/** The components of a relative entry path, or the refusal. */
function components(path: string): string[] {
  if (typeof path !== 'string' || path.length === 0) refuse(String(path), 'the path is empty');
  if (path.startsWith('/')) refuse(path, 'the path is absolute');
  if (path.includes('\0')) refuse(path, 'the path contains NUL');
  if (path.includes('\\')) refuse(path, 'the path contains a backslash');
  if (Buffer.byteLength(path, 'utf8') > MAX_TREE_PATH_BYTES) refuse(path, `the path is longer than ${MAX_TREE_PATH_BYTES} bytes`);
  const parts = path.split('/');
  if (parts.length > MAX_TREE_DEPTH) refuse(path, `the path is deeper than ${MAX_TREE_DEPTH} components`);
  for (const c of parts) {
    if (c === '' || c === '.') refuse(path, 'the path has an empty or "." component');
    if (c === '..') refuse(path, 'the path has a ".." component');
    if (Buffer.byteLength(c, 'utf8') > MAX_NAME_BYTES) refuse(path, `a component is longer than ${MAX_NAME_BYTES} bytes`);
  }
  // "C:x" names a drive-relative path on Windows: as unsafe as an absolute one.
  if (/^[A-Za-z]:/.test(parts[0]!)) refuse(path, 'the path starts with a drive prefix');
  if (parts.length === 1 && STAGING_NAME.test(parts[0]!)) refuse(path, "the name is reserved for the receiver's staging");
  return parts;
}

/**
 * A symlink's target, resolved lexically against the link's directory. Every directory it
 * passes through must be one of the tree's own directories, so the resolution the kernel does
 * (which follows links and real `..`) agrees with this one and cannot leave the tree.
 */
function checkLinkTarget(entry: TreeEntry, kinds: ReadonlyMap<string, TreeEntry['kind']>): void {
  const target = entry.target;
  if (typeof target !== 'string' || target.length === 0) refuse(entry.path, 'the symlink has no target');
  if (target.startsWith('/')) refuse(entry.path, `the symlink target ${shown(target)} is absolute`);
  if (target.includes('\0') || target.includes('\\')) refuse(entry.path, `the symlink target ${shown(target)} contains NUL or a backslash`);
  if (Buffer.byteLength(target, 'utf8') > MAX_TREE_PATH_BYTES) refuse(entry.path, `the symlink target is longer than ${MAX_TREE_PATH_BYTES} bytes`);
  const stack = entry.path.split('/').slice(0, -1);
  const parts = target.split('/');
  for (let i = 0; i < parts.length; i++) {
    const c = parts[i]!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (stack.length === 0) refuse(entry.path, `the symlink target ${shown(target)} leaves the tree`);
      stack.pop();
      continue;
    }
    stack.push(c);
    const last = parts.slice(i + 1).every((p) => p === '' || p === '.');
    if (!last && kinds.get(stack.join('/')) !== 'dir') {
      refuse(entry.path, `the symlink target ${shown(target)} passes through ${shown(stack.join('/'))}, which is not a directory of the tree`);
    }
  }
}

/**
 * Throws (UnsafeOutputPathError for a path, ManifestRejectedError for sizes) unless `entries`
 * is a tree this receiver can write under its output directory; `objectSize` is the manifest's
 * fileSize, the files' bytes packed in entry order.
 */
export function checkTree(entries: readonly TreeEntry[], objectSize: number): CheckedTree {
  if (!Array.isArray(entries) || entries.length === 0) throw new ManifestRejectedError('manifest rejected: the tree has no entries');
  if (entries.length > MAX_TREE_ENTRIES) throw new ManifestRejectedError(`manifest rejected: ${entries.length} tree entries exceed ${MAX_TREE_ENTRIES}`);
  const kinds = new Map<string, TreeEntry['kind']>();
  const files: TreeFile[] = [];
  let offset = 0;
  let previous: string | undefined;
  entries.forEach((e, index) => {
    const parts = components(e.path);
    if (kinds.has(e.path)) refuse(e.path, 'the path is listed twice');
    if (previous !== undefined && !(previous < e.path)) refuse(e.path, `it is not sorted after ${shown(previous)}`);
    previous = e.path;
    if (parts.length > 1) {
      const parent = parts.slice(0, -1).join('/');
      const kind = kinds.get(parent);
      if (kind === undefined) refuse(e.path, `its parent ${shown(parent)} is not listed as a directory before it`);
      if (kind === 'file') refuse(e.path, `it lies under ${shown(parent)}, which is also a file`);
      if (kind === 'symlink') refuse(e.path, `it lies under ${shown(parent)}, which is a symlink`);
    }
    kinds.set(e.path, e.kind);
    if (!Number.isSafeInteger(e.size) || e.size < 0) throw new ManifestRejectedError(`manifest rejected: tree entry ${shown(e.path)} has size ${e.size}`);
    if (e.kind === 'file') {
      files.push({ index, path: e.path, offset, size: e.size });
      offset += e.size;
    } else if (e.size !== 0) {
      throw new ManifestRejectedError(`manifest rejected: the ${e.kind} ${shown(e.path)} has size ${e.size}`);
    } else if (e.kind !== 'dir' && e.kind !== 'symlink') {
      throw new ManifestRejectedError(`manifest rejected: tree entry ${shown(e.path)} has kind ${String(e.kind)}`);
    }
    if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o777)
      throw new ManifestRejectedError(`manifest rejected: tree entry ${shown(e.path)} has mode ${e.mode}`);
    if (!Number.isFinite(e.mtimeMs)) throw new ManifestRejectedError(`manifest rejected: tree entry ${shown(e.path)} has mtime ${e.mtimeMs}`);
  });
  // Links last: a target may name entries listed after the link.
  for (const e of entries) if (e.kind === 'symlink') checkLinkTarget(e, kinds);
  if (offset !== objectSize) throw new ManifestRejectedError(`manifest rejected: the tree's files hold ${offset} bytes, the object ${objectSize}`);
  return { entries, files };
}

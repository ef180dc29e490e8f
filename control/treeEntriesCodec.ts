/**
 * Manifest.entries on the wire (docs/protocol.md, "Trees"): the shape of every entry, the path
 * and target rules, strict order, and sizes that add up to the object. Where the entries may
 * land on disk is the receiver's check (receiver/treeCheck.ts).
 */
import { MAX_TREE_ENTRIES, MAX_TREE_PATH_BYTES, type TreeEntry } from './messages.js';
import { RemoteProtocolError } from './errors.js';
import { BAD_NAME_CHARS, HEX_SHA256, intValue, list, obj, own, strValue, type Obj } from './wireValues.js';

/** UTF-8 length without encoding (a lone surrogate counts 3 bytes, as TextEncoder writes it). */
const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Why `path` is not a valid TreeEntry.path (see messages.ts), or undefined when it is. */
export function treePathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'is absolute';
  if (utf8Bytes(path) > MAX_TREE_PATH_BYTES) return `is longer than ${MAX_TREE_PATH_BYTES} UTF-8 bytes`;
  for (const part of path.split('/')) {
    if (part === '') return 'has an empty component';
    if (part === '.' || part === '..') return `has a ${part} component`;
    if (BAD_NAME_CHARS.test(part)) return 'has a backslash, control character or lone surrogate';
    if (utf8Bytes(part) > 255) return 'has a component longer than 255 UTF-8 bytes';
  }
  return undefined;
}

/** Why `target` is not a valid TreeEntry.target, or undefined. Whether it stays inside the tree is the receiver's call. */
export function treeTargetProblem(target: string): string | undefined {
  if (target === '') return 'is empty';
  if (target.includes('\u0000')) return 'has a NUL';
  if (LONE_SURROGATE.test(target)) return 'has a lone surrogate';
  if (target.startsWith('/')) return 'is absolute';
  if (utf8Bytes(target) > MAX_TREE_PATH_BYTES) return `is longer than ${MAX_TREE_PATH_BYTES} UTF-8 bytes`;
  return undefined;
}

const LONE_SURROGATE = /\p{Surrogate}/u;
const TREE_KINDS: readonly string[] = ['file', 'dir', 'symlink'];

/** A path quoted for an error message, cut short (the detail goes into a bounded Error frame). */
const quoted = (path: string): string => JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}...` : path);

/**
 * Manifest.entries: well-formed entries, strictly sorted, whose files add up to the object's
 * size. `hashed`: every file carries its sha256; otherwise (the manifest's digests follow) none does.
 */
export function treeEntries(o: Obj, fileSize: number, hashed = true): readonly TreeEntry[] {
  const entries = list(o, 'entries', MAX_TREE_ENTRIES, (v) => treeEntry(v, hashed));
  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    // Strictly increasing also rules out duplicates.
    if (i > 0 && !(entries[i - 1]!.path < e.path))
      throw new RemoteProtocolError(
        'bad-message',
        `entries[${i}] ${quoted(e.path)} is not after ${quoted(entries[i - 1]!.path)}: entries must be strictly sorted by path`,
      );
    total += e.size;
  }
  if (total !== fileSize) throw new RemoteProtocolError('bad-message', `the tree's files add up to ${total} bytes, not fileSize ${fileSize}`);
  return entries;
}

function treeEntry(v: unknown, hashed: boolean): TreeEntry {
  const o = obj(v, 'entries[]');
  const path = own(o, 'path');
  if (typeof path !== 'string') throw new RemoteProtocolError('bad-message', 'entries[].path must be a string');
  const pathProblem = treePathProblem(path);
  if (pathProblem) throw new RemoteProtocolError('bad-message', `tree entry ${quoted(path)} ${pathProblem}`);
  const kind = own(o, 'kind');
  if (typeof kind !== 'string' || !TREE_KINDS.includes(kind))
    throw new RemoteProtocolError('bad-message', `tree entry ${quoted(path)}: kind must be one of ${TREE_KINDS.join(', ')}`);
  const at = (what: string) => `tree entry ${quoted(path)} ${what}`;
  const size = intValue(own(o, 'size'), at('size'), 0, kind === 'file' ? Number.MAX_SAFE_INTEGER : 0);
  const mode = intValue(own(o, 'mode'), at('mode'), 0, 0o777);
  const mtimeMs = intValue(own(o, 'mtimeMs'), at('mtimeMs'), Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const sha256 = own(o, 'sha256');
  const target = own(o, 'target');
  if ((kind === 'file' && hashed) !== (sha256 !== undefined))
    throw new RemoteProtocolError(
      'bad-message',
      at(kind !== 'file' ? 'has a sha256 (files only)' : hashed ? 'has no sha256' : "has a sha256, but the manifest's digests follow"),
    );
  if ((kind === 'symlink') !== (target !== undefined))
    throw new RemoteProtocolError('bad-message', at(kind === 'symlink' ? 'has no target' : 'has a target (symlinks only)'));
  const entry: TreeEntry = { path, kind: kind as TreeEntry['kind'], size, mode, mtimeMs };
  if (kind === 'file' && hashed) return Object.freeze({ ...entry, sha256: strValue(sha256, at('sha256'), 64, HEX_SHA256) });
  if (kind === 'symlink') {
    if (typeof target !== 'string') throw new RemoteProtocolError('bad-message', at('target must be a string'));
    const problem = treeTargetProblem(target);
    if (problem) throw new RemoteProtocolError('bad-message', at(`target ${problem}`));
    return Object.freeze({ ...entry, target });
  }
  return Object.freeze(entry);
}

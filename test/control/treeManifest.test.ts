/** Manifest.entries on the wire: a good tree round-trips; every malformed shape is refused with a reason. */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../control/messageCodec.js';
import { MAX_TREE_ENTRIES, MAX_TREE_PATH_BYTES, type Manifest, type TreeEntry } from '../../control/messages.js';
import { SAMPLE_MANIFEST } from '../../bench/fuzz/targets.js';

const sha = (c: string) => c.repeat(64);
const ENTRIES: TreeEntry[] = [
  { path: 'bin', kind: 'dir', size: 0, mode: 0o755, mtimeMs: 1_700_000_000_000 },
  { path: 'bin/run', kind: 'file', size: 10, mode: 0o755, mtimeMs: 1_700_000_000_001, sha256: sha('a') },
  { path: 'bin/run-latest', kind: 'symlink', size: 0, mode: 0o777, mtimeMs: -5, target: 'run' },
  { path: 'empty', kind: 'dir', size: 0, mode: 0o700, mtimeMs: 0 },
  { path: 'notes.txt', kind: 'file', size: 0, mode: 0o644, mtimeMs: 1_700_000_000_002, sha256: sha('b') },
  { path: 'é/ü', kind: 'file', size: 5, mode: 0, mtimeMs: 3, sha256: sha('c') },
];
const tree: Manifest = { ...SAMPLE_MANIFEST, fileName: 'release', fileSize: 15, segmentDigests: Buffer.alloc(32, 7).toString('base64'), entries: ENTRIES };

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
/** The manifest with entries replaced; fileSize follows their files unless given. */
function withEntries(entries: unknown[], fileSize?: number): Uint8Array {
  const total = entries.reduce<number>(
    (n, e) => n + (typeof (e as TreeEntry).size === 'number' && (e as TreeEntry).kind === 'file' ? (e as TreeEntry).size : 0),
    0,
  );
  const size = fileSize ?? total;
  return json({ ...tree, entries, fileSize: size, segmentDigests: Buffer.alloc(size === 0 ? 0 : 32, 7).toString('base64') });
}
function refusal(bytes: Uint8Array): string {
  const r = decodeMessage(bytes);
  if (r.ok) throw new Error('accepted');
  expect(r.code).toBe('bad-message');
  return r.detail;
}
const file = (path: string, extra: Partial<TreeEntry> = {}) => ({ path, kind: 'file', size: 1, mode: 0o644, mtimeMs: 1, sha256: sha('d'), ...extra });

describe('Manifest.entries on the wire', () => {
  it('round-trips a tree (dirs, files, an empty file, a symlink, non-ASCII names), frozen', () => {
    const r = decodeMessage(encodeMessage(tree));
    expect(r).toEqual({ ok: true, message: tree });
    const m = (r as { message: Manifest }).message;
    expect(Object.isFrozen(m.entries)).toBe(true);
    expect(m.entries!.every((e) => Object.isFrozen(e))).toBe(true);
    // An empty tree (the contents of an empty directory) is a tree too.
    expect(decodeMessage(withEntries([])).ok).toBe(true);
  });

  it('keeps only the known fields of an entry', () => {
    const r = decodeMessage(withEntries([{ ...file('a'), extra: 1, __proto__: { kind: 'dir' } }]));
    expect(r.ok && r.message.type === 'manifest' && r.message.entries).toEqual([file('a')]);
  });

  it.each([
    ['a/../b', 'has a .. component'],
    ['..', 'has a .. component'],
    ['./a', 'has a . component'],
    ['/etc/passwd', 'is absolute'],
    ['a//b', 'has an empty component'],
    ['a/', 'has an empty component'],
    ['', 'has an empty component'],
    ['a\\b', 'backslash'],
    ['a\u0000b', 'control character'],
    ['a\nb', 'control character'],
    ['a\u007fb', 'control character'],
    ['a\ud800', 'lone surrogate'],
    ['x'.repeat(256), 'longer than 255'],
    ['é'.repeat(128), 'longer than 255'],
    [Array(20).fill('y'.repeat(250)).join('/'), `longer than ${MAX_TREE_PATH_BYTES}`],
  ])('refuses the path %j', (path, why) => {
    expect(refusal(withEntries([file(path)]))).toContain(why);
  });

  it('accepts a component of exactly 255 bytes and a path of exactly MAX_TREE_PATH_BYTES', () => {
    expect(decodeMessage(withEntries([file('x'.repeat(255))])).ok).toBe(true);
    const long = Array(16).fill('z'.repeat(254)).join('/') + '/' + 'w'.repeat(MAX_TREE_PATH_BYTES - 16 * 255);
    expect(Buffer.byteLength(long)).toBe(MAX_TREE_PATH_BYTES);
    expect(decodeMessage(withEntries([file(long)])).ok).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a kind outside file|dir|symlink', { kind: 'fifo' }, 'kind must be one of'],
    ['a path that is no string', { path: 7 }, 'path must be a string'],
    ['a negative size', { size: -1 }, 'size'],
    ['a fractional size', { size: 1.5 }, 'size'],
    ['mode bits beyond 0o777', { mode: 0o4755 }, 'mode'],
    ['a fractional mtime', { mtimeMs: 1.5 }, 'mtimeMs'],
    ['an unsafe mtime', { mtimeMs: 2 ** 60 }, 'mtimeMs'],
    ['a file without sha256', { sha256: undefined }, 'has no sha256'],
    ['an upper-case sha256', { sha256: 'A'.repeat(64) }, 'sha256'],
    ['a short sha256', { sha256: 'a'.repeat(63) }, 'sha256'],
    ['a file with a target', { target: 'x' }, 'symlinks only'],
  ])('refuses a file entry with %s', (_, change, why) => {
    expect(refusal(withEntries([file('a', change as Partial<TreeEntry>)], 1))).toContain(why);
  });

  it('refuses dirs and symlinks with a size, a sha256, or the wrong target', () => {
    const dir = { path: 'd', kind: 'dir', size: 0, mode: 0o755, mtimeMs: 0 };
    const link = { path: 'l', kind: 'symlink', size: 0, mode: 0o777, mtimeMs: 0, target: 'd' };
    expect(refusal(withEntries([{ ...dir, size: 4096 }], 0))).toContain('size must be an integer in [0, 0]');
    expect(refusal(withEntries([{ ...dir, sha256: sha('e') }]))).toContain('has a sha256 (files only)');
    expect(refusal(withEntries([{ ...dir, target: 'x' }]))).toContain('has a target (symlinks only)');
    expect(refusal(withEntries([{ ...link, target: undefined }]))).toContain('has no target');
    expect(refusal(withEntries([{ ...link, target: '/etc/passwd' }]))).toContain('target is absolute');
    expect(refusal(withEntries([{ ...link, target: '' }]))).toContain('target is empty');
    expect(refusal(withEntries([{ ...link, target: 'a\u0000' }]))).toContain('target has a NUL');
    expect(refusal(withEntries([{ ...link, target: 5 }]))).toContain('target must be a string');
    expect(refusal(withEntries([{ ...link, target: 'x'.repeat(MAX_TREE_PATH_BYTES + 1) }]))).toContain('target is longer');
    expect(decodeMessage(withEntries([link])).ok).toBe(true);
  });

  it('refuses unsorted and duplicate paths, naming them', () => {
    expect(refusal(withEntries([file('b'), file('a')]))).toMatch(/entries\[1\] "a" is not after "b"/);
    expect(refusal(withEntries([file('a'), file('a')]))).toMatch(/entries\[1\] "a" is not after "a"/);
    // UTF-16 order, as JS compares strings: 'Z' < 'a', and a parent before its children.
    expect(decodeMessage(withEntries([file('Z'), file('a'), file('a b'), file('a.txt')])).ok).toBe(true);
  });

  it('refuses files that do not add up to fileSize', () => {
    expect(refusal(withEntries([file('a', { size: 3 })], 4))).toContain('add up to 3 bytes, not fileSize 4');
  });

  it('refuses entries that are not an array of objects, or too many', () => {
    expect(refusal(json({ ...tree, entries: {} }))).toContain('entries must be an array of at most');
    expect(refusal(json({ ...tree, entries: [null] }))).toContain('entries[] must be an object');
    const tooMany = Array.from({ length: MAX_TREE_ENTRIES + 1 }, (_, i) => ({
      path: `d${String(i).padStart(7, '0')}`,
      kind: 'dir',
      size: 0,
      mode: 0,
      mtimeMs: 0,
    }));
    expect(refusal(withEntries(tooMany, 0))).toContain(`at most ${MAX_TREE_ENTRIES}`);
  });
});

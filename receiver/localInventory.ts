/**
 * --sync, the survey: which of a tree's files already sit at their place under the output
 * directory with exactly the manifest's content (same size, same SHA-256 or object identity). Only a regular file
 * reached without passing through a symbolic link counts: a link in the way is the tree check's
 * business (it refuses to write through one), never a reason to trust what it points at.
 */
import { open, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Manifest, TreeEntry } from '../control/messages.js';
import { digestKindOf, segmentsDigest } from '../control/objectIdentity.js';
import { readBackDigests } from './objectDigest.js';
import { resolveOutputPath } from './outputPath.js';
import { BitSet } from '../util/bitset.js';

/** Files hashed at once: enough to keep a disk busy, few enough for the descriptor limit. */
const CONCURRENCY = 8;
const READ_BYTES = 1024 * 1024;

/** The entries (by index) whose file under `root` matches; `root` is the tree's final root. */
export async function presentEntries(root: string, entries: readonly TreeEntry[]): Promise<BitSet> {
  const present = new BitSet(entries.length);
  let rootReal: string;
  try {
    rootReal = await realpath(root);
  } catch {
    return present; // no output directory yet: nothing is present
  }
  const files = entries.flatMap((e, i) => (e.kind === 'file' ? [i] : []));
  let next = 0;
  const buffer = () => Buffer.allocUnsafe(READ_BYTES);
  const worker = async () => {
    const buf = buffer();
    while (next < files.length) {
      const i = files[next++]!;
      if (await matches(rootReal, entries[i]!, buf)) present.add(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
  return present;
}

/**
 * The single file of a plain manifest: is it at `path` with this size and identity? `identity`
 * is the plain SHA-256, or with `segmentSize` the digest of its segment digests
 * (control/objectIdentity.ts).
 */
export async function fileMatches(path: string, size: number, identity: string, segmentSize?: number): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return false;
  }
  if (real !== path) return false;
  return (await digestIfSize(path, size, Buffer.allocUnsafe(READ_BYTES), segmentSize)) === identity.toLowerCase();
}

async function matches(rootReal: string, e: TreeEntry, buf: Buffer): Promise<boolean> {
  const path = join(rootReal, ...e.path.split('/'));
  try {
    // realpath differs when any component is a link (or the path does not exist).
    if ((await realpath(path)) !== path) return false;
  } catch {
    return false;
  }
  return (await digestIfSize(path, e.size, buf)) === e.sha256;
}

/**
 * The regular file at `path`, if it has `size` bytes: its plain SHA-256 (hex), or with
 * `segmentSize` its identity of kind segments; undefined otherwise (or unreadable, or short).
 */
async function digestIfSize(path: string, size: number, buf: Buffer, segmentSize?: number): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size !== size) return undefined;
    const read = async (offset: number, length: number) => buf.subarray(0, (await fh.read(buf, 0, length, offset)).bytesRead);
    const needs = { segments: segmentSize !== undefined, plain: segmentSize === undefined };
    const d = await readBackDigests(read, size, segmentSize ?? Math.max(1, size), needs, buf.length);
    return segmentSize === undefined ? d.sha256 : segmentsDigest(size, segmentSize, d.segmentDigests!);
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * --sync's survey of a manifest's targets under `out`: a tree's present files, or whether the
 * single file is already there with this content.
 */
export async function surveyTargets(out: string, m: Manifest): Promise<{ present: BitSet } | { current: boolean; path: string }> {
  if (m.entries !== undefined) return { present: await presentEntries(resolve(out), m.entries) };
  const { finalPath } = resolveOutputPath(out, m.fileName);
  const segmentSize = digestKindOf(m) === 'segments' ? m.segmentSize : undefined;
  return { current: await fileMatches(finalPath, m.fileSize, m.fileSha256!, segmentSize), path: finalPath };
}

/**
 * What is being served: one file, or a tree (sourceTree.ts) whose files, packed in entry order,
 * make the object; its segment layout, and BLAKE3 digest of every segment, the object's identity
 * (control/objectIdentity.ts) and, for a tree, of each file (node:crypto, about ten times
 * @noble/hashes, since this runs over every byte). The hashes are computed in the background,
 * at a lower priority, on a thread of the native module for a single file (nativeFileHash.ts),
 * else on a worker thread (one read of each segment feeds every digest, objectHasher.ts,
 * fileHashWorker.ts), while the server already serves: receivers that take digests later
 * (Hello.digestsFollow) get them as Digests frames, so the first datagram does not wait for the
 * last byte to be hashed. A tree's manifest carries each file's digest, so it waits for them.
 * Memory stays at one read buffer. A run that ends first stops the hashing (FileDigests.stop).
 */
import { open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { treePathProblem } from '../control/messageCodec.js';
import { planSegments, type SegmentLayout } from '../encoder/segmentLayout.js';
import { FileDigests } from './fileDigests.js';
import { segmentsDigest } from '../control/objectIdentity.js';
import type { BitSet } from '../util/bitset.js';
import { hashObject, type ObjectHashes } from './objectHasher.js';
import { hashFileNatively } from './nativeFileHash.js';
import { ObjectReader, SMALL_PART_BYTES, type ObjectPart } from './objectReader.js';
import { SourceFileError } from './sourceFileError.js';
import { openStreamSource } from './streamSource.js';
import { meansContents, walkSourceTree, type SkippedPath, type SourceTree, type SymlinkPolicy } from './sourceTree.js';
import { workerScriptUrl } from '../util/workerUrl.js';
import type { FileHashJob, FileHashReply } from './fileHashWorker.js';

export { SourceFileError } from './sourceFileError.js';

import { identityKind, type PreparedFile, type PrepareOptions } from './preparedObject.js';

export type { PreparedFile, PrepareOptions } from './preparedObject.js';

export interface SourceOptions extends PrepareOptions {
  /** A tree's symlinks: left out, or stored as links that stay inside the tree. @default 'skip' */
  symlinks?: SymlinkPolicy;
}

/** The path that means standard input (`send -`). */
export const STDIN_PATH = '-';

/** The file with every digest known (what a signed publication needs). */
export async function prepareFile(path: string, options: PrepareOptions = {}): Promise<PreparedFile> {
  const file = await openSourceFile(path, options);
  await file.digests.done;
  return file;
}

/**
 * What `paths` serve, its hashing started: one plain file (a path without a trailing slash
 * naming a regular file, followed if it is a link, as a single file always was) as itself,
 * anything else as a tree. `skipped`: what the tree left out, for the caller to log.
 */
export async function openSource(
  paths: readonly string[],
  options: SourceOptions & { stdin?: Readable } = {},
): Promise<{ file: PreparedFile; skipped: readonly SkippedPath[] }> {
  if (paths.length === 0) throw new SourceFileError('nothing to send: give at least one path');
  if (paths.includes(STDIN_PATH)) {
    if (paths.length > 1) throw new SourceFileError('- (standard input) is sent on its own, not with other paths');
    return { file: await openStreamSource(options.stdin ?? process.stdin, STDIN_PATH, options), skipped: [] };
  }
  if (paths.length === 1 && !meansContents(paths[0]!)) {
    const info = await stat(paths[0]!).catch(() => undefined);
    if (info?.isFile()) return { file: await openSourceFile(paths[0]!, options), skipped: [] };
    // A named pipe is read as a stream, like standard input (its length follows too).
    if (info?.isFIFO()) return { file: await openFifo(paths[0]!, options), skipped: [] };
  }
  const fileName = options.fileName ?? basename(resolve(paths[0]!));
  const problem = treePathProblem(fileName);
  if (problem) throw new SourceFileError(`the tree cannot be named ${JSON.stringify(fileName)} (after ${paths[0]}): it ${problem}; give it a name`);
  const tree = await walkSourceTree(paths, options.symlinks ?? 'skip');
  return { file: openSourceTree(tree, { ...options, fileName, path: paths[0]! }), skipped: tree.skipped };
}

/** A FIFO given as a path, read like standard input; named after it unless --name says. */
async function openFifo(path: string, options: PrepareOptions): Promise<PreparedFile> {
  let input: Readable;
  try {
    // Opening a FIFO waits for its writer: done here, before the sender listens.
    const handle = await open(path, 'r');
    input = handle.createReadStream();
  } catch (e) {
    throw new SourceFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return openStreamSource(input, path, { ...options, fileName: options.fileName ?? basename(path) });
}

/** The file, its hashing started in the background (see PreparedFile.digests). */
export async function openSourceFile(path: string, options: PrepareOptions = {}): Promise<PreparedFile> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw new SourceFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (!info.isFile()) throw new SourceFileError(`${path} is not a regular file`);
  const layout = planSegments(info.size, { segmentSize: options.segmentSize, symbolSize: options.symbolSize });
  // Opened once here so that an unreadable file fails now, not in a worker later.
  try {
    await (await open(path, 'r')).close();
  } catch (e) {
    throw new SourceFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const digests = new FileDigests(layout.segmentCount, identityKind(options));
  const parts = [{ path, size: info.size, mtimeMs: info.mtimeMs }];
  void hashInBackground(path, parts, false, layout, digests, () => undefined);
  return { path, fileName: options.fileName ?? basename(path), layout, digests, mtimeMs: info.mtimeMs, parts };
}

/** A walked tree, its hashing started; `fileName` names the publication, `path` (the first path given) stands for it in logs. */
export function openSourceTree(tree: SourceTree, options: PrepareOptions & { fileName: string; path: string }): PreparedFile {
  const size = tree.parts.reduce((n, p) => n + p.size, 0);
  const layout = planSegments(size, { segmentSize: options.segmentSize, symbolSize: options.symbolSize });
  const digests = new FileDigests(layout.segmentCount, identityKind(options));
  let entries = tree.entries;
  const withDigests = (partSha256: readonly string[]) => {
    const hashed = [...tree.entries];
    tree.partEntries.forEach((e, p) => (hashed[e] = Object.freeze({ ...hashed[e]!, sha256: partSha256[p]! })));
    entries = Object.freeze(hashed);
  };
  void hashInBackground(options.path, tree.parts, true, layout, digests, withDigests);
  return {
    path: options.path,
    fileName: options.fileName,
    layout,
    digests,
    mtimeMs: tree.parts.reduce((newest, p) => Math.max(newest, p.mtimeMs), 0), // no spread: 200,000 arguments overflow the stack
    parts: tree.parts,
    get entries() {
      return entries;
    },
  };
}

/**
 * The object packed from a tree's `want` files alone (Request.want: a receiver syncing over
 * unicast), laid out with the tree's segment and symbol sizes, its hashing started.
 */
export function openSubset(file: PreparedFile, want: BitSet): PreparedFile {
  const parts: ObjectPart[] = [];
  let part = 0;
  // The tree's parts are its file entries, in entry order.
  for (const [i, e] of (file.entries ?? []).entries()) {
    if (e.kind !== 'file') continue;
    if (want.has(i)) parts.push(file.parts[part]!);
    part++;
  }
  const size = parts.reduce((n, p) => n + p.size, 0);
  const layout = planSegments(size, { segmentSize: file.layout.segmentSize, symbolSize: file.layout.symbolSize });
  const digests = new FileDigests(layout.segmentCount, file.digests.kind);
  void hashInBackground(file.path, parts, false, layout, digests, () => undefined);
  return { path: file.path, fileName: file.fileName, layout, digests, mtimeMs: file.mtimeMs, parts };
}

/**
 * Feeds `digests` and settles it (after `onParts` got each part's digest, for a tree). A native
 * thread hashes a single file (nativeFileHash.ts), a worker anything else; without either (or
 * with a single segment) this thread does. A write during hashing could pair hashes of
 * different contents: a small part is checked as it is read, a large one again at the end.
 */
async function hashInBackground(
  what: string,
  parts: readonly ObjectPart[],
  perPart: boolean,
  layout: SegmentLayout,
  digests: FileDigests,
  onParts: (partSha256: readonly string[]) => void,
): Promise<void> {
  try {
    const whole = digests.kind === 'bytes';
    const native = !perPart && !whole && parts.length === 1 && layout.segmentCount > 1 ? hashFileNatively(parts[0]!, layout, digests) : undefined;
    const hashes = await (native ?? hashWorker({ parts, perPart, whole, layout }, digests) ?? hashInline(parts, perPart, whole, layout, digests));
    // Small files were checked by the read itself (ObjectReader.readSmall: fstat after reading),
    // and the stream checks them again at each read; a tree's 10,000 stats here cost more than
    // its hashing. Large ones are read in many pieces through a handle kept open, and the native
    // thread checks nothing itself: checked here.
    const large = native ? parts : parts.filter((p) => p.size > SMALL_PART_BYTES);
    for (let i = 0; i < large.length; i += 64) {
      await Promise.all(
        large.slice(i, i + 64).map(async (p) => {
          const after = await stat(p.path).catch(() => undefined);
          if (after?.mtimeMs !== p.mtimeMs || after.size !== p.size)
            throw new SourceFileError(`${p.path} changed while it was being hashed: serve it once it is complete`);
        }),
      );
    }
    if (perPart) onParts(hashes.partSha256);
    digests.setFile(whole ? hashes.sha256! : segmentsDigest(layout.fileSize, layout.segmentSize, digests.segmentDigests));
  } catch (e) {
    digests.fail(e instanceof SourceFileError ? e : new SourceFileError(`hashing ${what} failed: ${(e as Error).message}`));
  }
}

/** Every digest on this thread, one read buffer. */
async function hashInline(parts: readonly ObjectPart[], perPart: boolean, whole: boolean, layout: SegmentLayout, digests: FileDigests): Promise<ObjectHashes> {
  const reader = new ObjectReader(parts);
  try {
    return await hashObject(reader, layout, perPart, whole, (i, d) => digests.addSegments(i, d));
  } finally {
    await reader.close();
  }
}

/**
 * The hashing worker: segment digests go straight into `digests`; resolves with the object's
 * (and the parts') digests. Undefined instead of a promise when no worker can start.
 */
function hashWorker(job: FileHashJob, digests: FileDigests): Promise<ObjectHashes> | undefined {
  if (job.layout.segmentCount < 2) return undefined; // one segment: not worth a thread
  let worker: Worker;
  try {
    worker = new Worker(workerScriptUrl('sender/fileHashWorker'), { workerData: job });
  } catch {
    return undefined;
  }
  const unstop = digests.onStop(() => void worker.terminate());
  return new Promise<ObjectHashes>((resolve, reject) => {
    worker.once('exit', unstop);
    worker.on('message', (reply: FileHashReply) => {
      try {
        if (reply.type === 'segments') digests.addSegments(reply.first, reply.digests);
        else if (reply.type === 'file') {
          if (digests.known !== job.layout.segmentCount)
            throw new Error(`the hash worker gave the file's digest after ${digests.known} of ${job.layout.segmentCount} segments`);
          resolve(reply.hashes);
        } else reject(reply.sourceError ? new SourceFileError(reply.error) : new Error(reply.error));
      } catch (e) {
        reject(e as Error);
        void worker.terminate();
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the hash worker exited with code ${code}`)));
  });
}

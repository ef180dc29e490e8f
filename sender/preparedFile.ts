/**
 * The file being served: its segment layout, and SHA-256 of every segment and of the whole file
 * (node:crypto, about ten times @noble/hashes, since this runs over every byte). The hashes are
 * computed in the background on a worker thread (one read of each segment feeds both digests,
 * util/hashAlongside.ts; the thread runs at a lower priority, fileHashWorker.ts) while the
 * server already serves: receivers that take digests later (Hello.digestsFollow) get them as
 * Digests frames, so the first datagram does not wait for the last byte to be hashed. Memory
 * stays at one read buffer.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Worker } from 'node:worker_threads';
import { planSegments, segmentRange, type SegmentLayout } from '../encoder/segmentLayout.js';
import { FileDigests } from './fileDigests.js';
import { readSegment } from './segmentReader.js';
import { hashAlongside } from '../util/hashAlongside.js';
import { workerScriptUrl } from '../util/workerUrl.js';
import type { FileHashJob, FileHashReply } from './fileHashWorker.js';

export class SourceFileError extends Error {
  override readonly name = 'SourceFileError';
}

export interface PreparedFile {
  readonly path: string;
  readonly fileName: string;
  readonly layout: SegmentLayout;
  /** Grows while the file is hashed; `digests.done` settles when it is (or fails). */
  readonly digests: FileDigests;
  /** mtime when opened (hashing fails if the file is written to meanwhile). */
  readonly mtimeMs: number;
}

export interface PrepareOptions {
  segmentSize?: number;
  symbolSize?: number;
  /** Name announced in the manifest; defaults to the file's base name. */
  fileName?: string;
}

/** The file with every digest known (what a signed publication needs). */
export async function prepareFile(path: string, options: PrepareOptions = {}): Promise<PreparedFile> {
  const file = await openSourceFile(path, options);
  await file.digests.done;
  return file;
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
  const digests = new FileDigests(layout.segmentCount);
  void hashInBackground(path, layout, info, digests);
  return { path, fileName: options.fileName ?? basename(path), layout, digests, mtimeMs: info.mtimeMs };
}

/**
 * Feeds `digests` and settles it. A worker hashes; without the worker script (or with a single
 * segment) this thread does, a segment at a time. A write during hashing could pair hashes of
 * different contents: the mtime check at the end refuses that.
 */
async function hashInBackground(path: string, layout: SegmentLayout, info: { size: number; mtimeMs: number }, digests: FileDigests): Promise<void> {
  try {
    const fileSha256 = await (hashWorker({ path, layout }, digests) ?? hashInline(path, info.size, layout, digests));
    const after = await stat(path).catch(() => undefined);
    if (after?.mtimeMs !== info.mtimeMs || after.size !== info.size)
      throw new SourceFileError(`${path} changed while it was being hashed: serve it once it is complete`);
    digests.setFile(fileSha256);
  } catch (e) {
    digests.fail(e instanceof SourceFileError ? e : new SourceFileError(`hashing ${path} failed: ${(e as Error).message}`));
  }
}

/** The whole file's hash, and every segment's into `digests`, on this thread, one read buffer. */
async function hashInline(path: string, size: number, layout: SegmentLayout, digests: FileDigests): Promise<string> {
  const whole = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(layout.segmentSize, Math.max(1, size)));
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new SourceFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    for (let i = 0; i < layout.segmentCount; i++) {
      const data = await readSegment(fh, path, layout, i, buffer.subarray(0, segmentRange(layout, i).length));
      const segment = createHash('sha256');
      hashAlongside(data, segment, whole);
      digests.addSegments(i, segment.digest());
    }
    if ((await fh.stat()).size !== size) throw new SourceFileError(`${path} changed size while it was being hashed`);
  } finally {
    await fh.close();
  }
  return whole.digest('hex');
}

/**
 * The hashing worker: segment digests go straight into `digests`; resolves with the file's hex
 * digest. Undefined instead of a promise when no worker can start.
 */
function hashWorker(job: FileHashJob, digests: FileDigests): Promise<string> | undefined {
  if (job.layout.segmentCount < 2) return undefined; // one segment: not worth a thread
  let worker: Worker;
  try {
    worker = new Worker(workerScriptUrl('sender/fileHashWorker'), { workerData: job });
  } catch {
    return undefined;
  }
  return new Promise<string>((resolve, reject) => {
    worker.on('message', (reply: FileHashReply) => {
      try {
        if (reply.type === 'segments') digests.addSegments(reply.first, reply.digests);
        else if (reply.type === 'file') {
          if (digests.known !== job.layout.segmentCount)
            throw new Error(`the hash worker gave the file's digest after ${digests.known} of ${job.layout.segmentCount} segments`);
          resolve(reply.sha256);
        } else reject(new Error(reply.error));
      } catch (e) {
        reject(e as Error);
        void worker.terminate();
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the hash worker exited with code ${code}`)));
  });
}

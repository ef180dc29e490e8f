/**
 * One pass over the file before serving it: the segment layout, SHA-256 of every segment and of
 * the whole file (node:crypto: ~1.5 GB/s here, ten times @noble/hashes, and this is the hot path
 * at start-up), the two hashes on two threads. Memory stays at one read buffer per thread
 * whatever the file size.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DataPlane, Manifest, Publication } from '../control/messages.js';
import { signManifest } from '../control/publication.js';
import { planSegments, segmentRange, type SegmentLayout } from '../encoder/segmentLayout.js';
import { readSegment } from './segmentReader.js';
import { workerScriptUrl } from '../util/workerUrl.js';
import type { SegmentHashJob, SegmentHashReply } from './segmentHashWorker.js';

export class SourceFileError extends Error {
  override readonly name = 'SourceFileError';
}

export interface PreparedFile {
  readonly path: string;
  readonly fileName: string;
  readonly layout: SegmentLayout;
  /** 32 bytes per segment, in order. */
  readonly segmentSha256: Uint8Array;
  readonly fileSha256: string;
  /** mtime when hashed (prepareFile refuses a file written to while it was hashing it). */
  readonly mtimeMs: number;
}

export interface PrepareOptions {
  segmentSize?: number;
  symbolSize?: number;
  /** Name announced in the manifest; defaults to the file's base name. */
  fileName?: string;
}

export async function prepareFile(path: string, options: PrepareOptions = {}): Promise<PreparedFile> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw new SourceFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (!info.isFile()) throw new SourceFileError(`${path} is not a regular file`);
  const layout = planSegments(info.size, { segmentSize: options.segmentSize, symbolSize: options.symbolSize });
  // Two passes of SHA-256 (~0.13 s per 256 MiB each here) on two threads: the segment hashes in
  // a worker, the whole-file hash here. 256 MiB took 0.18 s so, against 0.26-0.29 s on one
  // thread; without the worker script (or if it fails) this thread does both. A write during
  // hashing could pair hashes of different contents: the mtime check below refuses that.
  const segments = segmentHashesInWorker({ path, layout });
  const inline = segments === undefined ? new Uint8Array(32 * layout.segmentCount) : undefined;
  let fileSha256: string;
  try {
    fileSha256 = await hashFile(path, info.size, layout, inline);
  } catch (e) {
    void segments?.catch(() => undefined);
    throw e;
  }
  let segmentSha256: Uint8Array | undefined = inline;
  if (segments !== undefined) {
    // A worker that failed (it read what this thread just read) is redone here, the slow way.
    segmentSha256 = await segments.catch(async () => {
      const digests = new Uint8Array(32 * layout.segmentCount);
      await hashFile(path, info.size, layout, digests);
      return digests;
    });
  }
  const after = await stat(path).catch(() => undefined);
  if (after?.mtimeMs !== info.mtimeMs || after.size !== info.size) throw new SourceFileError(`${path} changed while it was being hashed: serve it once it is complete`);
  return {
    path,
    fileName: options.fileName ?? basename(path),
    layout,
    segmentSha256: segmentSha256!,
    fileSha256,
    mtimeMs: info.mtimeMs,
  };
}

/** The whole file's SHA-256 (and, given `segmentDigests`, every segment's into it), one read buffer. */
async function hashFile(path: string, size: number, layout: SegmentLayout, segmentDigests?: Uint8Array): Promise<string> {
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
      whole.update(data);
      segmentDigests?.set(createHash('sha256').update(data).digest(), 32 * i);
    }
    if ((await fh.stat()).size !== size) throw new SourceFileError(`${path} changed size while it was being hashed`);
  } catch (e) {
    if (e instanceof SourceFileError) throw e;
    throw new SourceFileError(`reading ${path} failed: ${(e as Error).message}`);
  } finally {
    await fh.close();
  }
  return whole.digest('hex');
}

/** The segment hashes from a worker thread, or undefined when no worker can be started. */
function segmentHashesInWorker(job: SegmentHashJob): Promise<Uint8Array> | undefined {
  if (job.layout.segmentCount < 2) return undefined; // one segment: nothing to overlap
  let worker: Worker;
  try {
    worker = new Worker(workerScriptUrl('sender/segmentHashWorker'), { workerData: job });
  } catch {
    return undefined;
  }
  return new Promise<Uint8Array>((resolve, reject) => {
    worker.once('message', (reply: SegmentHashReply) => ('digests' in reply ? resolve(reply.digests) : reject(new Error(reply.error))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the segment hash worker exited with code ${code}`)));
  });
}

export interface ManifestParameters {
  sessionId: number;
  codec: string;
  rateBytesPerSecond: number;
  tagKind: number;
  idleTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Shared stream (multicast/broadcast); absent for unicast. */
  dataPlane?: DataPlane;
  /** The publisher's signature over the file's definition (publication.ts). */
  publication?: Publication;
}

/** The file's publication signed by `privateKey` at `publishedAt` (the same for every manifest). */
export function signPublication(file: PreparedFile, codec: string, privateKey: KeyObject, publishedAt: number): Publication {
  const unsigned = manifestFor(file, { sessionId: 0, codec, rateBytesPerSecond: 0, tagKind: 0, idleTimeoutMs: 0, heartbeatIntervalMs: 0 });
  return signManifest(unsigned, privateKey, publishedAt).publication!;
}

export function manifestFor(file: PreparedFile, p: ManifestParameters): Manifest {
  return {
    type: 'manifest',
    sessionId: p.sessionId,
    fileName: file.fileName,
    fileSize: file.layout.fileSize,
    segmentSize: file.layout.segmentSize,
    symbolSize: file.layout.symbolSize,
    codec: p.codec,
    segmentSha256: Buffer.from(file.segmentSha256).toString('base64'),
    fileSha256: file.fileSha256,
    rateBytesPerSecond: p.rateBytesPerSecond,
    tagKind: p.tagKind,
    idleTimeoutMs: p.idleTimeoutMs,
    heartbeatIntervalMs: p.heartbeatIntervalMs,
    ...(p.dataPlane ? { dataPlane: p.dataPlane } : {}),
    ...(p.publication ? { publication: p.publication } : {}),
  };
}

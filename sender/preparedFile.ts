/**
 * One pass over the file before serving it: the segment layout, SHA-256 of every segment and of
 * the whole file (node:crypto: ~1.5 GB/s here, ten times @noble/hashes, and this is the hot path
 * at start-up). Memory stays at one read buffer whatever the file size.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { DataPlane, Manifest, Publication } from '../control/messages.js';
import { signManifest } from '../control/publication.js';
import { planSegments, type SegmentLayout } from '../encoder/segmentLayout.js';

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
  /** mtime when hashed: the server refuses to serve a file that changed since. */
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
  const segmentSha256 = new Uint8Array(32 * layout.segmentCount);
  const whole = createHash('sha256');
  let segment = createHash('sha256');
  let segmentIndex = 0;
  let inSegment = 0;
  let total = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      whole.update(chunk);
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(chunk.length - at, layout.segmentSize - inSegment);
        segment.update(chunk.subarray(at, at + take));
        at += take;
        inSegment += take;
        total += take;
        if (inSegment === layout.segmentSize) {
          segmentSha256.set(segment.digest(), 32 * segmentIndex++);
          segment = createHash('sha256');
          inSegment = 0;
        }
      }
    }
  } catch (e) {
    throw new SourceFileError(`reading ${path} failed: ${(e as Error).message}`);
  }
  if (inSegment > 0) segmentSha256.set(segment.digest(), 32 * segmentIndex++);
  if (total !== info.size || segmentIndex !== layout.segmentCount) {
    throw new SourceFileError(`${path} changed size while it was being hashed (${info.size} -> ${total} bytes)`);
  }
  return {
    path,
    fileName: options.fileName ?? basename(path),
    layout,
    segmentSha256,
    fileSha256: whole.digest('hex'),
    mtimeMs: info.mtimeMs,
  };
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

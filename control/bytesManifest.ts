/**
 * The manifest of bytes held in memory, laid out as `layout`, with every digest computed:
 * CRC-tagged datagrams. For transfers that never touch a file: the research simulations and
 * tests.
 */
import { createHash } from 'node:crypto';
import { TagKind } from '../encoder/integrity.js';
import { segmentRange, type SegmentLayout } from '../encoder/segmentLayout.js';
import type { Manifest } from './messages.js';
import { segmentsDigest } from './objectIdentity.js';
import { segmentDigest } from './segmentHash.js';

export interface BytesManifestOptions {
  readonly sessionId: number;
  readonly fileName: string;
  /** @default 'raptorq' */
  readonly codec?: string;
  /** @default 0 (uncapped) */
  readonly rateBytesPerSecond?: number;
  /** @default 5000 */
  readonly idleTimeoutMs?: number;
  /** @default 1000 */
  readonly heartbeatIntervalMs?: number;
  /** The identity is the plain SHA-256 (kind `bytes`), not the digest of the segment digests. @default false */
  readonly sha256?: boolean;
}

export function manifestOfBytes(data: Uint8Array, layout: SegmentLayout, o: BytesManifestOptions): Manifest {
  const hashes = Buffer.alloc(32 * layout.segmentCount);
  for (let s = 0; s < layout.segmentCount; s++) {
    const r = segmentRange(layout, s);
    segmentDigest(data.subarray(r.offset, r.offset + r.length)).copy(hashes, 32 * s);
  }
  return {
    type: 'manifest',
    sessionId: o.sessionId,
    fileName: o.fileName,
    fileSize: data.length,
    segmentSize: layout.segmentSize,
    symbolSize: layout.symbolSize,
    codec: o.codec ?? 'raptorq',
    segmentDigests: hashes.toString('base64'),
    fileSha256: o.sha256 ? createHash('sha256').update(data).digest('hex') : segmentsDigest(data.length, layout.segmentSize, hashes),
    ...(o.sha256 ? {} : { fileDigest: 'segments' as const }),
    rateBytesPerSecond: o.rateBytesPerSecond ?? 0,
    tagKind: TagKind.Crc32,
    idleTimeoutMs: o.idleTimeoutMs ?? 5000,
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? 1000,
  };
}

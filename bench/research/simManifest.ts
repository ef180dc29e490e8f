/** The Manifest a simulated sender would send for `data` (real segment and file hashes). */
import { createHash } from 'node:crypto';
import type { Manifest } from '../../control/messages.js';
import { TagKind } from '../../encoder/integrity.js';
import { segmentRange, type SegmentLayout } from '../../encoder/segmentLayout.js';

export function simManifest(
  data: Uint8Array,
  layout: SegmentLayout,
  o: { sessionId: number; fileName: string; codec: string; rateBytesPerSecond: number; idleTimeoutMs?: number; heartbeatIntervalMs?: number },
): Manifest {
  const hashes = Buffer.alloc(32 * layout.segmentCount);
  for (let i = 0; i < layout.segmentCount; i++) {
    const r = segmentRange(layout, i);
    createHash('sha256').update(data.subarray(r.offset, r.offset + r.length)).digest().copy(hashes, 32 * i);
  }
  return {
    type: 'manifest',
    sessionId: o.sessionId,
    fileName: o.fileName,
    fileSize: data.length,
    segmentSize: layout.segmentSize,
    symbolSize: layout.symbolSize,
    codec: o.codec,
    segmentSha256: hashes.toString('base64'),
    fileSha256: createHash('sha256').update(data).digest('hex'),
    rateBytesPerSecond: o.rateBytesPerSecond,
    tagKind: TagKind.Crc32,
    idleTimeoutMs: o.idleTimeoutMs ?? 5000,
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? 1000,
  };
}

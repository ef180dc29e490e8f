/** The Manifest a sender hands a receiver, and the publisher's signature over it: pure, no I/O. */
import type { DataPlane, Manifest, Publication } from '../control/messages.js';
import type { KeyObject } from 'node:crypto';
import { signManifest } from '../control/publication.js';
import type { PreparedFile } from './preparedFile.js';

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

/**
 * The manifest of `file`: with every hash when they are all known, else (only for a receiver
 * that offered it: treeDigestsFollow too for a tree, whose entries then carry no file digests)
 * with digestsFollow and none; and for a piped object whose input has not ended (only for a
 * receiver that offered lengthFollows) with lengthFollows and fileSize 0 too.
 */
export function manifestFor(file: Pick<PreparedFile, 'fileName' | 'layout' | 'digests' | 'entries'>, p: ManifestParameters): Manifest {
  const d = file.digests;
  if (!d.complete && p.publication) throw new RangeError('a signed manifest needs every digest');
  const lengthFollows = d.lengthFollows && !d.complete;
  return {
    type: 'manifest',
    sessionId: p.sessionId,
    fileName: file.fileName,
    fileSize: lengthFollows ? 0 : file.layout.fileSize,
    segmentSize: file.layout.segmentSize,
    symbolSize: file.layout.symbolSize,
    codec: p.codec,
    ...(d.complete
      ? { segmentDigests: Buffer.from(d.segmentDigests).toString('base64'), fileSha256: d.fileSha256! }
      : { digestsFollow: true as const, ...(lengthFollows ? { lengthFollows: true as const } : {}) }),
    // Known before the digests: a receiver must know how to check the identity when it comes.
    ...(d.kind === 'segments' ? { fileDigest: 'segments' as const } : {}),
    rateBytesPerSecond: p.rateBytesPerSecond,
    tagKind: p.tagKind,
    idleTimeoutMs: p.idleTimeoutMs,
    heartbeatIntervalMs: p.heartbeatIntervalMs,
    ...(p.dataPlane ? { dataPlane: p.dataPlane } : {}),
    ...(p.publication ? { publication: p.publication } : {}),
    ...(file.entries ? { entries: file.entries } : {}),
  };
}

/** The file's publication signed by `privateKey` at `publishedAt` (the same for every manifest); every digest must be known. */
export function signPublication(
  file: Pick<PreparedFile, 'fileName' | 'layout' | 'digests' | 'entries'>,
  codec: string,
  privateKey: KeyObject,
  publishedAt: number,
): Publication {
  if (!file.digests.complete) throw new RangeError('a signed manifest needs every digest');
  const unsigned = manifestFor(file, { sessionId: 0, codec, rateBytesPerSecond: 0, tagKind: 0, idleTimeoutMs: 0, heartbeatIntervalMs: 0 });
  return signManifest(unsigned, privateKey, publishedAt).publication!;
}

/**
 * The object's identity (Manifest.fileSha256), one of two kinds (Manifest.fileDigest):
 *
 * - `segments` (the default): SHA-256 over a fixed prefix, the object's length, the segment
 *   size and the segment digests (BLAKE3) in order. Both ends hash every byte once, for its
 *   segment's digest, and derive the identity from those 32 bytes per segment: the segment digests
 *   already decide every byte a receiver writes, so a second pass over the bytes would verify
 *   nothing they do not.
 * - `bytes` (`send --sha256`): the plain SHA-256 of the object's bytes, what `sha256sum` prints,
 *   at the cost of a second hash over every byte at each end.
 *
 * Length and segment size are in the prefix so that one list of digests can never stand for two
 * objects: a digest list alone does not say where the last segment ends.
 */
import { createHash } from 'node:crypto';

export type FileDigestKind = 'segments' | 'bytes';

// v2: the segment digests are BLAKE3 (protocol 4), so an identity never stands for both kinds of list.
const DOMAIN = 'fountcast-object-v2\n';

/** Hex identity of an object of `fileSize` bytes cut in `segmentSize` segments with these digests (32 bytes each). */
export function segmentsDigest(fileSize: number, segmentSize: number, segmentDigests: Uint8Array): string {
  if (segmentDigests.length % 32 !== 0) throw new RangeError(`segment digests: ${segmentDigests.length} bytes is not a whole number of digests`);
  const head = Buffer.alloc(12);
  head.writeBigUInt64BE(BigInt(fileSize), 0);
  head.writeUInt32BE(segmentSize, 8);
  return createHash('sha256').update(DOMAIN).update(head).update(segmentDigests).digest('hex');
}

/** The kind a manifest's identity is (absent field: the plain SHA-256 of the bytes). */
export function digestKindOf(m: { readonly fileDigest?: 'segments' }): FileDigestKind {
  return m.fileDigest === 'segments' ? 'segments' : 'bytes';
}

/**
 * One pass over the object: every segment's digest (BLAKE3), the whole object's SHA-256 when asked, and each part's (a
 * tree's per-file digests, what --sync compares), from a single read of each segment into one
 * reused buffer (fresh 4 MiB buffers cost more in page faults than the reads themselves). The
 * hashing worker (fileHashWorker.ts) and the inline fallback (preparedFile.ts) both run it.
 */
import { createHash, type Hash } from 'node:crypto';
import { segmentRange, type SegmentLayout } from '../encoder/segmentLayout.js';
import { hashAlongside } from '../util/hashAlongside.js';
import type { ObjectReader } from './objectReader.js';
import { segmentHasher } from '../control/segmentHash.js';

export interface ObjectHashes {
  /** The whole object's SHA-256, hex; only when asked for (`whole`). */
  readonly sha256: string | undefined;
  /** Each part's SHA-256, hex, in part order (empty without `perPart`). */
  readonly partSha256: readonly string[];
}

/**
 * Hashes the object `reader` reads; `onSegment` gets each segment's digest, in order. `perPart`:
 * each part's digest too (a tree; a single file's would only repeat the whole digest). `whole`:
 * the object's plain SHA-256 too (an identity of kind `bytes`, control/objectIdentity.ts).
 */
export async function hashObject(
  reader: ObjectReader,
  layout: SegmentLayout,
  perPart: boolean,
  whole: boolean,
  onSegment: (index: number, digest: Buffer) => void,
): Promise<ObjectHashes> {
  const wholeHash = whole ? createHash('sha256') : undefined;
  const partSha256: string[] = new Array<string>(reader.parts.length);
  let open: { part: number; hash: Hash } | undefined;
  const buffer = Buffer.allocUnsafe(Math.min(layout.segmentSize, Math.max(1, layout.fileSize)));
  for (let i = 0; i < layout.segmentCount; i++) {
    const { offset, length } = segmentRange(layout, i);
    const data = await reader.read(offset, length, buffer.subarray(0, length));
    const segment = segmentHasher();
    if (!perPart) {
      if (wholeHash) hashAlongside(data, segment, wholeHash);
      else segment.update(data);
    } else {
      for (const piece of reader.pieces(offset, length)) {
        if (open?.part !== piece.part) open = { part: piece.part, hash: createHash('sha256') };
        const bytes = data.subarray(piece.at, piece.at + piece.length);
        if (wholeHash) hashAlongside(bytes, segment, open.hash, wholeHash);
        else hashAlongside(bytes, segment, open.hash);
        if (piece.partOffset + piece.length === reader.parts[piece.part]!.size) {
          partSha256[piece.part] = open.hash.digest('hex');
          open = undefined;
        }
      }
    }
    onSegment(i, segment.digest());
  }
  const sha256 = wholeHash?.digest('hex');
  if (!perPart) return { sha256, partSha256: [] };
  // Empty files have no bytes in the object: no piece ever reached them.
  const empty = createHash('sha256').digest('hex');
  for (let p = 0; p < reader.parts.length; p++) {
    if (partSha256[p] !== undefined) continue;
    if (reader.parts[p]!.size !== 0) throw new Error(`part ${p} was not hashed to its end`);
    partSha256[p] = empty;
  }
  return { sha256, partSha256 };
}

/**
 * The object's digests read back from where it is staged (adapter helper): what a resumed run
 * verifies, since part of the object was written by an earlier run and never passed through this
 * one's memory. Each segment's BLAKE3 digest (an identity of kind `segments`), the plain SHA-256, or
 * both from one read, in bounded chunks, in order.
 */
import { createHash } from 'node:crypto';
import type { ObjectReadBack, ReadBackNeeds } from './objectHash.js';
import { segmentHasher, type SegmentHasher } from '../control/segmentHash.js';

/** Bytes read per call: large enough for sequential throughput, small enough to not matter. */
export const READ_BACK_CHUNK = 4 * 1024 * 1024;

export type ObjectRead = (offset: number, length: number) => Promise<Uint8Array>;

/**
 * What `needs` asks for of bytes [0, size) cut in `segmentSize` segments, as `read` returns them;
 * a short read is an error, not a digest. Reads never cross a segment's end, so each segment's
 * hash is closed where it ends.
 */
export async function readBackDigests(
  read: ObjectRead,
  size: number,
  segmentSize: number,
  needs: ReadBackNeeds,
  chunk = READ_BACK_CHUNK,
): Promise<ObjectReadBack> {
  if (!Number.isSafeInteger(segmentSize) || segmentSize < 1) throw new RangeError(`segment size ${segmentSize}`);
  const whole = needs.plain ? createHash('sha256') : undefined;
  const segments = needs.segments ? new Uint8Array(32 * Math.ceil(size / segmentSize)) : undefined;
  let segment: SegmentHasher | undefined;
  for (let offset = 0; offset < size;) {
    const segmentEnd = Math.min(size, (Math.floor(offset / segmentSize) + 1) * segmentSize);
    const length = Math.min(chunk, segmentEnd - offset);
    const bytes = await read(offset, length);
    if (bytes.length !== length) throw new Error(`read back ${bytes.length} of ${length} bytes at offset ${offset}`);
    whole?.update(bytes);
    if (segments) {
      segment ??= segmentHasher();
      segment.update(bytes);
    }
    offset += length;
    if (segments && offset === segmentEnd) {
      segments.set(segment!.digest(), 32 * (Math.ceil(offset / segmentSize) - 1));
      segment = undefined;
    }
  }
  return { ...(segments ? { segmentDigests: segments } : {}), ...(whole ? { sha256: whole.digest('hex') } : {}) };
}

/**
 * The whole object's SHA-256 read back from where it is staged (adapter helper): what a resumed
 * run verifies, since part of the object was written by an earlier run and never passed through
 * this one's memory. Reads in bounded chunks, in order.
 */
import { createHash } from 'node:crypto';

/** Bytes read per call: large enough for sequential throughput, small enough to not matter. */
export const READ_BACK_CHUNK = 4 * 1024 * 1024;

export type ObjectRead = (offset: number, length: number) => Promise<Uint8Array>;

/** SHA-256 (hex) of bytes [0, size) as `read` returns them; a short read is an error, not a digest. */
export async function readBackSha256(read: ObjectRead, size: number, chunk = READ_BACK_CHUNK): Promise<string> {
  const hash = createHash('sha256');
  for (let offset = 0; offset < size;) {
    const length = Math.min(chunk, size - offset);
    const bytes = await read(offset, length);
    if (bytes.length !== length) throw new Error(`read back ${bytes.length} of ${length} bytes at offset ${offset}`);
    hash.update(bytes);
    offset += length;
  }
  return hash.digest('hex');
}

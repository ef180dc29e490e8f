/**
 * One segment's bytes into two SHA-256 states at once: the segment's own digest and the running
 * whole-file digest. Both ends hash every byte twice (the protocol carries both digests), and
 * doing it a chunk at a time means the second pass reads the chunk from the core's own cache
 * instead of memory. Where memory is slower than SHA-256 that saves the second read; where it is
 * not, both orders cost about the same. bench/hashPair.ts (in npm run bench's micro-benchmarks)
 * compares the two on a given host.
 */
import type { Hash } from 'node:crypto';

/** Small enough to stay in L1/L2 between the two updates, large enough that calls are few. */
export const HASH_CHUNK_BYTES = 64 * 1024;

/** Feeds `data` to `first`, `second` (and `third`: a tree file's own digest), chunk by chunk, in order. */
export function hashAlongside(data: Uint8Array, first: Hash, second: Hash, third?: Hash): void {
  for (let offset = 0; offset < data.length; offset += HASH_CHUNK_BYTES) {
    const chunk = data.subarray(offset, Math.min(data.length, offset + HASH_CHUNK_BYTES));
    first.update(chunk);
    second.update(chunk);
    third?.update(chunk);
  }
}

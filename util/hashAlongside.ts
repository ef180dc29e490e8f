/**
 * One segment's bytes into two hash states at once: the segment's own digest and the running
 * whole-file SHA-256 (only when the object's identity is its plain SHA-256, or for a tree
 * file's own digest). Doing it a chunk at a time means the second pass reads the chunk from the core's own cache
 * instead of memory. Where memory is slower than SHA-256 that saves the second read; where it is
 * not, both orders cost about the same. bench/hashPair.ts (in npm run bench's micro-benchmarks)
 * compares the two on a given host.
 */
/** What the three take: a node:crypto Hash or a segment hasher (control/segmentHash.ts). */
interface Updatable {
  update(data: Uint8Array): unknown;
}

/** Small enough to stay in L1/L2 between the two updates, large enough that calls are few. */
export const HASH_CHUNK_BYTES = 64 * 1024;

/** Feeds `data` to `first`, `second` (and `third`: a tree file's own digest), chunk by chunk, in order. */
export function hashAlongside(data: Uint8Array, first: Updatable, second: Updatable, third?: Updatable): void {
  for (let offset = 0; offset < data.length; offset += HASH_CHUNK_BYTES) {
    const chunk = data.subarray(offset, Math.min(data.length, offset + HASH_CHUNK_BYTES));
    first.update(chunk);
    second.update(chunk);
    third?.update(chunk);
  }
}

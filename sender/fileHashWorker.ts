/**
 * Worker thread entry (adapter): hashes the object being served (objectHasher.ts: every
 * segment's, the whole object's when asked and, for a tree, each file's SHA-256 from one read) while the
 * main thread already serves it (preparedFile.ts starts it). Segment digests are posted in
 * batches as they are done (the first at once, then every BATCH_MS) so Digests frames can go
 * out while the rest is hashed; the object's digest at the end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import { adjustThreadNice, HASH_NICE } from '../util/threadPriority.js';
import { hashObject, type ObjectHashes } from './objectHasher.js';
import { ObjectReader, type ObjectPart } from './objectReader.js';
import { SourceFileError } from './sourceFileError.js';

export interface FileHashJob {
  readonly parts: readonly ObjectPart[];
  /** Each part's digest too (a tree). */
  readonly perPart: boolean;
  /** The object's plain SHA-256 too (identity kind `bytes`). */
  readonly whole: boolean;
  readonly layout: SegmentLayout;
}

export type FileHashReply =
  | { readonly type: 'segments'; readonly first: number; readonly digests: Uint8Array }
  | { readonly type: 'file'; readonly hashes: ObjectHashes }
  /** sourceError: a SourceFileError (the file is missing, unreadable or changed), not a fault of the hashing. */
  | { readonly type: 'error'; readonly error: string; readonly sourceError?: boolean };

/** At most one batch of segment digests per this many ms (each one is a Digests frame per receiver). */
const BATCH_MS = 8;

async function hash(job: FileHashJob, post: (r: FileHashReply) => void): Promise<void> {
  const { layout } = job;
  const digests = new Uint8Array(32 * layout.segmentCount);
  let batchFirst = 0;
  let lastPost = -Infinity;
  const reader = new ObjectReader(job.parts);
  try {
    const hashes = await hashObject(reader, layout, job.perPart, job.whole, (i, digest) => {
      digests.set(digest, 32 * i);
      const now = performance.now();
      if (now - lastPost >= BATCH_MS || i === layout.segmentCount - 1) {
        post({ type: 'segments', first: batchFirst, digests: digests.slice(32 * batchFirst, 32 * (i + 1)) });
        batchFirst = i + 1;
        lastPost = now;
      }
    });
    post({ type: 'file', hashes });
  } finally {
    await reader.close();
  }
}

if (parentPort) {
  const port = parentPort;
  adjustThreadNice(HASH_NICE); // not Linux: hashes at normal priority
  hash(workerData as FileHashJob, (r) => port.postMessage(r)).catch((e: Error) =>
    port.postMessage({ type: 'error', error: e.message, sourceError: e instanceof SourceFileError } satisfies FileHashReply),
  );
}

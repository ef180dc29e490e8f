/**
 * Worker thread entry (adapter): hashes the file being served while the main thread already
 * serves it (preparedFile.ts starts it). It reads each segment once into one reused buffer
 * (fresh 4 MiB buffers cost more in page faults than the reads themselves) and feeds it to the
 * segment's SHA-256 and the whole file's at once, a chunk at a time (util/hashAlongside.ts).
 * Segment digests are posted in batches as they are done (the first at once, then every
 * BATCH_MS) so Digests frames can go out while the rest is hashed; the file's digest at the end.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { segmentRange, type SegmentLayout } from '../encoder/segmentLayout.js';
import { hashAlongside } from '../util/hashAlongside.js';
import { adjustThreadNice } from '../util/threadPriority.js';

export interface FileHashJob {
  readonly path: string;
  readonly layout: SegmentLayout;
}

export type FileHashReply =
  | { readonly type: 'segments'; readonly first: number; readonly digests: Uint8Array }
  | { readonly type: 'file'; readonly sha256: string }
  | { readonly type: 'error'; readonly error: string };

/** At most one batch of segment digests per this many ms (each one is a Digests frame per receiver). */
const BATCH_MS = 8;

function hash(job: FileHashJob, post: (r: FileHashReply) => void): void {
  const { path, layout } = job;
  const buffer = Buffer.allocUnsafe(Math.min(layout.segmentSize, Math.max(1, layout.fileSize)));
  const whole = createHash('sha256');
  const digests = new Uint8Array(32 * layout.segmentCount);
  let batchFirst = 0;
  let lastPost = -Infinity;
  const fd = openSync(path, 'r');
  try {
    for (let i = 0; i < layout.segmentCount; i++) {
      const { offset, length } = segmentRange(layout, i);
      for (let got = 0; got < length;) {
        const n = readSync(fd, buffer, got, length - got, offset + got);
        if (n === 0) throw new Error(`the file is shorter than ${layout.fileSize} bytes (changed while hashed)`);
        got += n;
      }
      const segment = createHash('sha256');
      hashAlongside(buffer.subarray(0, length), segment, whole);
      digests.set(segment.digest(), 32 * i);
      const now = performance.now();
      if (now - lastPost >= BATCH_MS || i === layout.segmentCount - 1) {
        post({ type: 'segments', first: batchFirst, digests: digests.slice(32 * batchFirst, 32 * (i + 1)) });
        batchFirst = i + 1;
        lastPost = now;
      }
    }
  } finally {
    closeSync(fd);
  }
  post({ type: 'file', sha256: whole.digest('hex') });
}

/**
 * Nice adjustment of the hashing thread, relative to the sender's own. It runs beside the
 * stream (and, on a test bed, beside the receivers) and only needs to stay ahead of it: at a
 * lower priority it hashes more slowly but yields the CPU to the stream and to local receivers,
 * and still finishes well ahead of the stream.
 */
const HASH_NICE = 10;

if (parentPort) {
  const port = parentPort;
  adjustThreadNice(HASH_NICE); // not Linux: hashes at normal priority
  try {
    hash(workerData as FileHashJob, (r) => port.postMessage(r));
  } catch (e) {
    port.postMessage({ type: 'error', error: (e as Error).message } satisfies FileHashReply);
  }
}

/**
 * Worker thread entry (adapter): SHA-256 of every segment of the file being prepared, while the
 * main thread hashes the whole file (preparedFile.ts). Reads each segment into one reused buffer
 * (fresh 4 MiB buffers cost more in page faults than the reads themselves) and answers with all
 * digests at once, or with the error that stopped it.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { segmentRange, type SegmentLayout } from '../encoder/segmentLayout.js';

export interface SegmentHashJob {
  readonly path: string;
  readonly layout: SegmentLayout;
}

export type SegmentHashReply = { readonly digests: Uint8Array } | { readonly error: string };

function hashSegments({ path, layout }: SegmentHashJob): Uint8Array {
  const digests = new Uint8Array(32 * layout.segmentCount);
  const buffer = Buffer.allocUnsafe(Math.min(layout.segmentSize, Math.max(1, layout.fileSize)));
  const fd = openSync(path, 'r');
  try {
    for (let i = 0; i < layout.segmentCount; i++) {
      const { offset, length } = segmentRange(layout, i);
      for (let got = 0; got < length; ) {
        const n = readSync(fd, buffer, got, length - got, offset + got);
        if (n === 0) throw new Error(`the file is shorter than ${layout.fileSize} bytes (changed while hashed)`);
        got += n;
      }
      digests.set(createHash('sha256').update(buffer.subarray(0, length)).digest(), 32 * i);
    }
  } finally {
    closeSync(fd);
  }
  return digests;
}

if (parentPort) {
  let reply: SegmentHashReply;
  try {
    reply = { digests: hashSegments(workerData as SegmentHashJob) };
  } catch (e) {
    reply = { error: (e as Error).message };
  }
  parentPort.postMessage(reply);
}

/**
 * An object read from a pipe (`send -`, or a FIFO given as a path): its length is unknown until
 * the input ends. The input is cut into segments as it is read; each segment, once full, is
 * hashed, written to a spool file and announced (FileDigests with its length to follow), so a
 * receiver that takes a Manifest whose length follows (Hello.lengthFollows) is served each
 * segment as soon as it exists. When the input ends, the last (possibly short) segment, the
 * length and the whole object's SHA-256 are announced together (FileDigests.end).
 *
 * The spool keeps every byte read, for resends, repair and receivers that connect later: a pipe
 * of many GiB does not fit in memory, so it is a file, in a private directory (mode 0700) under
 * os.tmpdir() (TMPDIR). It is removed by `spool.remove()` (send() does so when it returns) and,
 * failing that, when the process exits. Once the input has ended the spool is an ordinary file
 * and the object is served like one (`parts`); before that, stream workers read its announced
 * segments with spoolReader.ts.
 *
 * Memory: one segment buffer. Reading waits while a segment is written to the spool, so a fast
 * producer is held back by the disk, never by the network.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DEFAULT_SEGMENT_SIZE, DEFAULT_SYMBOL_SIZE, layoutSoFar, MAX_FILE_SIZE } from '../encoder/segmentLayout.js';
import { hashAlongside } from '../util/hashAlongside.js';
import { FileDigests } from './fileDigests.js';
import { identityKind, type PrepareOptions, type PreparedFile, type Spool } from './preparedObject.js';
import { segmentsDigest } from '../control/objectIdentity.js';
import { SourceFileError } from './sourceFileError.js';
import { segmentHasher } from '../control/segmentHash.js';

/** The name receivers give a piped object when --name does not say. */
export const DEFAULT_PIPE_NAME = 'stdin';

/** Where a piped object's bytes are kept while it is served. */
/** Spool directories not yet removed: the exit hook's list. */
const live = new Set<string>();
const removeLeftovers = () => {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
};

/**
 * Starts reading `input` into a spool; resolves once the spool exists (the object then grows in
 * the background: `digests` tells how far, and fails with a SourceFileError if reading fails).
 * `label` names the input in logs ('-' for standard input).
 */
export async function openStreamSource(input: Readable, label: string, options: PrepareOptions = {}): Promise<PreparedFile> {
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  const symbolSize = options.symbolSize ?? DEFAULT_SYMBOL_SIZE;
  layoutSoFar(segmentSize, symbolSize, 0); // a bad layout fails now, not after the input was read
  const dir = await mkdtemp(join(tmpdir(), 'fountcast-spool-'));
  if (live.size === 0) process.on('exit', removeLeftovers);
  live.add(dir);
  const path = join(dir, 'object');
  let removed = false;
  const spool: Spool = {
    path,
    remove: async () => {
      removed = true;
      input.destroy();
      if (!live.delete(dir)) return;
      if (live.size === 0) process.off('exit', removeLeftovers);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (e) {
    await spool.remove();
    throw new SourceFileError(`cannot create the spool for ${label} in ${tmpdir()}: ${(e as Error).message}`);
  }
  const digests = new FileDigests(undefined, identityKind(options));
  let mtimeMs = 0;
  void spoolInput(input, handle, digests, segmentSize, async () => {
    await handle.close();
    mtimeMs = (await stat(path)).mtimeMs;
  }).catch((e: Error) => {
    void handle.close().catch(() => undefined);
    // Stopped on purpose (the sender is done): no failure to report.
    if (removed) return;
    digests.fail(e instanceof SourceFileError ? e : new SourceFileError(`reading ${label} failed: ${e.message}`));
  });
  return {
    path: label,
    fileName: options.fileName ?? DEFAULT_PIPE_NAME,
    // The segments announced so far (all full), or the whole object once the input ended.
    get layout() {
      return layoutSoFar(segmentSize, symbolSize, digests.known, digests.fileSize);
    },
    digests,
    get mtimeMs() {
      return mtimeMs;
    },
    // Served as an ordinary file once complete; until then only through the spool reader.
    get parts() {
      return digests.complete ? [{ path, size: digests.fileSize!, mtimeMs }] : [];
    },
    spool,
  };
}

/**
 * Reads `input` to its end: each full segment hashed, written and announced; then `closed` (the
 * spool file is complete) and the end announced. Rejects on a read or write failure.
 */
async function spoolInput(input: Readable, handle: FileHandle, digests: FileDigests, segmentSize: number, closed: () => Promise<void>): Promise<void> {
  const whole = digests.kind === 'bytes' ? createHash('sha256') : undefined;
  const buffer = Buffer.allocUnsafe(segmentSize);
  let fill = 0;
  let offset = 0;
  let index = 0;
  const flush = async (): Promise<Buffer> => {
    const data = buffer.subarray(0, fill);
    const own = segmentHasher();
    if (whole) hashAlongside(data, own, whole);
    else own.update(data);
    for (let done = 0; done < data.length;) done += (await handle.write(data, done, data.length - done, offset + done)).bytesWritten;
    offset += fill;
    fill = 0;
    return own.digest();
  };
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    if (offset + fill + bytes.length > MAX_FILE_SIZE) throw new SourceFileError(`the input is longer than ${MAX_FILE_SIZE} bytes`);
    for (let at = 0; at < bytes.length;) {
      const n = Math.min(bytes.length - at, segmentSize - fill);
      bytes.copy(buffer, fill, at, at + n);
      fill += n;
      at += n;
      if (fill === segmentSize) digests.addSegments(index++, await flush());
    }
  }
  const tail = fill > 0 ? await flush() : new Uint8Array(0);
  await closed();
  const known = digests.segmentDigests;
  const all = new Uint8Array(known.length + tail.length);
  all.set(known);
  all.set(tail, known.length);
  digests.end(index, tail, offset, whole ? whole.digest('hex') : segmentsDigest(offset, segmentSize, all));
}

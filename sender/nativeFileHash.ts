/**
 * One file's segment digests on a thread of the native module (encoder/native/blake3File.c)
 * instead of the hashing worker (fileHashWorker.ts): no isolate to start (~30 ms of CPU per send,
 * more than hashing 100 MiB), the file read in L2-sized pieces, at the worker's priority
 * (HASH_NICE). Taken only where the worker would compute nothing else: a single file, without a
 * plain SHA-256 (`--sha256`) or per-file digests (a tree), with the native BLAKE3 that passed its
 * check (control/segmentHash.ts). FOUNTCAST_NATIVE_FILE_HASH=0 keeps the worker.
 */
import { getSystemErrorName } from 'node:util';
import { loadNativeCrypto } from '../encoder/nativeCrypto.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import { segmentHashImplementation } from '../control/segmentHash.js';
import { HASH_NICE } from '../util/threadPriority.js';
import type { FileDigests } from './fileDigests.js';
import type { ObjectHashes } from './objectHasher.js';
import { openPart, type ObjectPart } from './objectReader.js';
import { SourceFileError } from './sourceFileError.js';

/**
 * Hashes `part` (the whole object) into `digests` on a native thread; resolves once every segment
 * digest is in. Undefined when the native thread cannot do it (then the caller's worker does).
 */
export function hashFileNatively(part: ObjectPart, layout: SegmentLayout, digests: FileDigests): Promise<ObjectHashes> | undefined {
  if (process.env.FOUNTCAST_NATIVE_FILE_HASH === '0' || layout.fileSize !== part.size) return undefined;
  const m = loadNativeCrypto().module;
  const start = m?.blake3HashFile;
  const cancel = m?.blake3HashFileCancel;
  if (start === undefined || cancel === undefined || segmentHashImplementation() !== 'native') return undefined;
  return openPart(part).then(
    (fh) =>
      new Promise<ObjectHashes>((resolve, reject) => {
        const fail = (e: Error): void => {
          cancel(handle);
          unstop();
          reject(e);
        };
        // The thread reads its own copy of the descriptor: ours closes at once (also on a throw).
        const closed = (): void => void fh.close().catch(() => undefined);
        let handle: ReturnType<typeof start>;
        try {
          handle = start(fh.fd, 0, part.size, layout.segmentSize, HASH_NICE, onEvent);
        } finally {
          closed();
        }
        const unstop = digests.onStop(() => fail(new Error('stopped')));
        if (digests.failure !== undefined) fail(digests.failure); // stopped while the file was opened
        function onEvent(kind: 0 | 1 | 2, value: number, payload: Uint8Array | string | null): void {
          try {
            if (kind === 0) digests.addSegments(value, payload as Uint8Array);
            else if (kind === 1) {
              if (digests.known !== layout.segmentCount) throw new Error(`the hashing thread ended after ${digests.known} of ${layout.segmentCount} segments`);
              unstop();
              resolve({ sha256: undefined, partSha256: [] });
            } else {
              unstop();
              const why = value === 0 ? `it is shorter than the ${part.size} bytes announced` : payload || systemErrorName(value);
              reject(new SourceFileError(`cannot read ${part.path}: ${why}`));
            }
          } catch (e) {
            fail(e as Error);
          }
        }
      }),
  );
}

/** `EIO` for errno 5, say (Node names system errors by their negated numbers). */
function systemErrorName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

/**
 * The shapes of what is being served, shared by the sources that open it (preparedFile.ts for
 * files and trees, streamSource.ts for a pipe) and by everything that serves it.
 */
import type { FileDigestKind } from '../control/objectIdentity.js';
import type { TreeEntry } from '../control/messages.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import type { FileDigests } from './fileDigests.js';
import type { ObjectPart } from './objectReader.js';

export interface PreparedFile {
  /** The file; for a tree, the first path given (for logs). */
  readonly path: string;
  readonly fileName: string;
  readonly layout: SegmentLayout;
  /** Grows while the object is hashed; `digests.done` settles when it is (or fails). */
  readonly digests: FileDigests;
  /** mtime when opened (hashing fails if the file is written to meanwhile); a tree's newest. */
  readonly mtimeMs: number;
  /** The files whose bytes, back to back, are the object: the one file, or a tree's files in entry order. */
  readonly parts: readonly ObjectPart[];
  /** A tree's entries (absent for a single file); files carry their sha256 once `digests.complete`. */
  readonly entries?: readonly TreeEntry[];
  /**
   * A piped object (streamSource.ts): its bytes are spooled to a temporary file as they are
   * read, its length follows (`digests.lengthFollows`) and `layout` grows until the input ends.
   * Whoever opened it removes the spool when done.
   */
  readonly spool?: Spool;
  /**
   * An object still arriving (a relay serving what it receives, cut-through): its digests are all
   * known (the publisher's), its bytes are not all written yet. Streams read it from
   * `incoming.path` and serve each segment once it is stored.
   */
  readonly incoming?: IncomingObject;
}

/** The segments of an object still arriving that are stored, and news of each one that follows. */
export interface IncomingObject {
  /** The file being written (no size or mtime is checked: it is being written). */
  readonly path: string;
  /** The segments stored so far, as a bitmap (BitSet.toBytes). */
  stored(): Uint8Array;
  /** Calls `cb` with each segment stored from now on; returns the unsubscribe. */
  onStored(cb: (index: number) => void): () => void;
}

export interface PrepareOptions {
  segmentSize?: number;
  symbolSize?: number;
  /** Name announced in the manifest; defaults to the file's (or the first path's) base name. */
  fileName?: string;
  /**
   * The object's identity is its plain SHA-256 (what sha256sum prints), not the digest of its
   * segment digests (control/objectIdentity.ts): every byte is hashed twice, at each end.
   */
  sha256?: boolean;
}

export interface Spool {
  /** The spool file: the object's bytes read so far. */
  readonly path: string;
  /**
   * Stops reading the input (destroys it: a sender that is done must not wait for a pipe that
   * never ends) and removes the spool. Idempotent; never throws.
   */
  remove(): Promise<void>;
}

/** The identity an object gets: the digest of its segment digests unless the plain SHA-256 is asked for. */
export function identityKind(options: Pick<PrepareOptions, 'sha256'>): FileDigestKind {
  return options.sha256 ? 'bytes' : 'segments';
}

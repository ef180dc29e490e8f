/**
 * Where a received object (one file, or a tree's files packed in entry order) is assembled
 * before it is verified and put in place. The adapter (receive.ts) is its only user: it writes
 * decoded segments at their object offsets, reads them back (the resumed run's whole-object
 * SHA-256, --sync), records which segments are written so a later run can resume, and finally
 * commits (every file renamed into place) or aborts (staging kept for a resume, or removed).
 */
import type { BitSet } from '../util/bitset.js';

export interface ObjectStaging {
  /** Segments an earlier run wrote whose bytes still match the manifest's digests (resume); empty for a fresh start. */
  readonly held: BitSet;
  /** Where the object lands: the file's final path, or the tree's root directory. */
  readonly finalPath: string;
  /** Writes object bytes at `offset` (positional; may span several files of a tree). */
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Reads `length` object bytes at `offset` from what is staged. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Segment `index` is written: remembered for a resume (the state file follows, throttled). */
  noteWritten(index: number): void;
  /** Makes everything durable and puts it in place (per file atomically, or the whole tree with --atomic-tree). */
  commit(): Promise<void>;
  /** Ends without committing: `keep` leaves the staging (and its state) for a resume, else it is removed. Never throws. */
  abort(keep: boolean): Promise<void>;
}

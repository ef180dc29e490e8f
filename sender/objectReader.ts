/**
 * The object the segments carry is one file's bytes, or a tree's files packed back to back in
 * entry order (docs/protocol.md, "Trees"). ObjectReader maps an object range to the files under
 * it and reads it, so a segment may span many small files. It keeps a few files open (an LRU
 * of at most `maxOpen`; a tree may hold far more files than a process may open) and checks, at
 * each open, that a file still has the size and mtime it was announced with: the receivers
 * verify what they get against the hashes, so a file changed since would only fail them later.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { SourceFileError } from './sourceFileError.js';

/** One file of the object, as it was when the object was described. */
export interface ObjectPart {
  readonly path: string;
  readonly size: number;
  /** fs.Stats.mtimeMs as read then (compared exactly). */
  readonly mtimeMs: number;
}

/** Where `length` bytes of the object, at `at` within a read, come from: part `part` at `partOffset`. */
export interface ObjectPiece {
  readonly part: number;
  readonly partOffset: number;
  readonly length: number;
  readonly at: number;
}

/** Files kept open at once. @default 32 */
export const DEFAULT_MAX_OPEN_PARTS = 32;
/** Pieces of one read in flight at once (below DEFAULT_MAX_OPEN_PARTS, so reads rarely evict each other's files). */
const READ_LANES = 8;
/**
 * Files up to this size are read whole with synchronous calls (open, fstat, read, close: a few
 * microseconds each) instead of four thread-pool round trips: a segment of small files is
 * hundreds of them. The callers run on worker threads (stream, hashing), so blocking for one
 * small file costs nothing but that thread's time.
 */
export const SMALL_PART_BYTES = 64 * 1024;
/** Small files read before yielding to the thread's event loop (a stream's pacing timers). */
const SMALL_READS_PER_YIELD = 64;

interface Slot {
  readonly handle: Promise<FileHandle>;
  /** Reads using it now: never closed under them. */
  users: number;
}

export class ObjectReader {
  /** Object offset of each part. */
  private readonly starts: number[];
  readonly size: number;
  /** Open files, least recently used first (Map order). */
  private readonly slots = new Map<number, Slot>();
  private closed = false;

  constructor(
    readonly parts: readonly ObjectPart[],
    private readonly maxOpen = DEFAULT_MAX_OPEN_PARTS,
  ) {
    let at = 0;
    this.starts = parts.map((p) => {
      const start = at;
      at += p.size;
      return start;
    });
    this.size = at;
  }

  /** The non-empty pieces of object range [offset, offset + length), in order. */
  pieces(offset: number, length: number): ObjectPiece[] {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new RangeError(`object range ${offset}+${length} is outside 0..${this.size}`);
    const out: ObjectPiece[] = [];
    // The last part starting at or before offset (binary search: a tree may have 200,000 parts).
    let lo = 0;
    let hi = this.parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    for (let part = lo, at = 0; at < length && part < this.parts.length; part++) {
      const partOffset = offset + at - this.starts[part]!;
      const n = Math.min(length - at, this.parts[part]!.size - partOffset);
      if (n <= 0) continue; // an empty file, or the part ending exactly at offset
      out.push({ part, partOffset, length: n, at });
      at += n;
    }
    return out;
  }

  /**
   * Object bytes [offset, offset + length), into `into` when it has exactly that length. The
   * pieces are read a few at a time: a 4 MiB segment of 4 KiB files is a thousand opens and
   * reads, and one after another they would wait on the thread pool one at a time.
   */
  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const buf = into?.length === length ? into : new Uint8Array(length);
    const pieces: ObjectPiece[] = [];
    let small = 0;
    for (const piece of this.pieces(offset, length)) {
      if (this.parts[piece.part]!.size > SMALL_PART_BYTES || this.slots.has(piece.part)) {
        pieces.push(piece);
        continue;
      }
      this.readSmall(piece, buf);
      if (++small % SMALL_READS_PER_YIELD === 0) await new Promise((r) => setImmediate(r));
    }
    let next = 0;
    let failure: { error: unknown } | undefined;
    // A failure stops the other lanes; all settle before read() does, so nothing writes into
    // `buf` after it returned.
    const lane = async (): Promise<void> => {
      while (!failure && next < pieces.length) {
        try {
          await this.readPiece(pieces[next++]!, buf);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_LANES, pieces.length) }, lane));
    if (failure) throw failure.error;
    return buf;
  }

  /**
   * A small file's piece, synchronously: opened, read, checked and closed at once. Checked after
   * the read: a write that began before the fstat has already moved the mtime (the kernel stamps
   * it before copying the data in), so bytes read before a matching fstat are the announced ones.
   */
  private readSmall(piece: ObjectPiece, buf: Uint8Array): void {
    if (this.closed) throw new Error('the object reader is closed');
    const p = this.parts[piece.part]!;
    let fd: number;
    try {
      fd = openSync(p.path, 'r');
    } catch (e) {
      throw new SourceFileError(`cannot read ${p.path}: ${(e as Error).message}`);
    }
    try {
      let got = 0;
      while (got < piece.length) {
        const n = readSync(fd, buf, piece.at + got, piece.length - got, piece.partOffset + got);
        if (n === 0) break;
        got += n;
      }
      let st;
      try {
        st = fstatSync(fd);
      } catch (e) {
        throw new SourceFileError(`cannot read ${p.path}: ${(e as Error).message}`);
      }
      if (st.size !== p.size || st.mtimeMs !== p.mtimeMs) throw changedError(p, st.size);
      if (got < piece.length) throw new SourceFileError(`${p.path} is shorter than the ${p.size} bytes announced`);
    } finally {
      closeSync(fd);
    }
  }

  private async readPiece(piece: ObjectPiece, buf: Uint8Array): Promise<void> {
    const fh = await this.acquire(piece.part);
    try {
      for (let got = 0; got < piece.length;) {
        const { bytesRead } = await fh.read(buf, piece.at + got, piece.length - got, piece.partOffset + got);
        // It shrank since it was described: the stream cannot go on with what it announced.
        if (bytesRead === 0) throw new SourceFileError(`${this.parts[piece.part]!.path} is shorter than the ${this.parts[piece.part]!.size} bytes announced`);
        got += bytesRead;
      }
    } finally {
      this.release(piece.part);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const handles = [...this.slots.values()].map((s) => s.handle);
    this.slots.clear();
    await Promise.all(handles.map((h) => h.then((fh) => fh.close()).catch(() => undefined)));
  }

  private acquire(part: number): Promise<FileHandle> {
    if (this.closed) return Promise.reject(new Error('the object reader is closed'));
    let slot = this.slots.get(part);
    if (slot)
      this.slots.delete(part); // re-inserted below as the most recently used
    else slot = { handle: openPart(this.parts[part]!), users: 0 };
    this.slots.set(part, slot);
    slot.users++;
    this.evict();
    const s = slot;
    return s.handle.catch((e: unknown) => {
      if (this.slots.get(part) === s) this.slots.delete(part); // a later read tries again
      throw e;
    });
  }

  private release(part: number): void {
    const slot = this.slots.get(part);
    if (slot) slot.users--;
    this.evict();
  }

  /** Closes the least recently used idle files beyond maxOpen (files in use stay open). */
  private evict(): void {
    for (const [part, slot] of this.slots) {
      if (this.slots.size <= this.maxOpen) return;
      if (slot.users > 0) continue;
      this.slots.delete(part);
      void slot.handle.then((fh) => fh.close()).catch(() => undefined);
    }
  }
}

/** `p` opened for reading, once it is checked to have the size and mtime announced. */
export async function openPart(p: ObjectPart): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(p.path, 'r');
  } catch (e) {
    throw new SourceFileError(`cannot read ${p.path}: ${(e as Error).message}`);
  }
  const st = await fh.stat().catch(async (e: Error) => {
    await fh.close().catch(() => undefined);
    throw new SourceFileError(`cannot read ${p.path}: ${e.message}`);
  });
  if (st.size !== p.size || st.mtimeMs !== p.mtimeMs) {
    await fh.close().catch(() => undefined);
    throw changedError(p, st.size);
  }
  return fh;
}

function changedError(p: ObjectPart, size: number): SourceFileError {
  const what = size !== p.size ? `${size} bytes, not the ${p.size} announced` : 'a new mtime';
  return new SourceFileError(`${p.path} changed while it was being served (${what}): serve it once it is complete`);
}

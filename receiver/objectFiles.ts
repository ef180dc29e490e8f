/**
 * The staged files behind one object: a map from object offsets to (file, offset in file), and a
 * bounded set of open descriptors (least recently used closed first). A segment of a tree of
 * small files covers hundreds of files, so small pieces are written with synchronous calls (a
 * few microseconds each, far cheaper than a thread-pool round trip per piece) and large ones
 * asynchronously. The durable pass at the end flushes the whole filesystem at once (syncfs, via
 * `sync -f`) when there are many files: thousands of fsyncs cost seconds, one syncfs tens of ms.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, fsyncSync, futimesSync, openSync, read, readSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { toDiskError } from './diskError.js';

const writeAsync = promisify(write);
const readAsync = promisify(read);

/** One staged file: where it is, and which object bytes it holds. */
export interface ObjectFile {
  readonly path: string;
  readonly offset: number;
  readonly size: number;
  /**
   * Already in place with the right content (--sync on a shared stream): read from where it is,
   * never created, and writes into its range are dropped (they carry the same bytes).
   */
  readonly readOnly?: boolean;
  /**
   * The mode and mtime it ends with (a tree's file). Written whole by one write, it gets them at
   * once through its descriptor and is closed (`settled`): nothing writes it again, and the
   * commit then has 10,000 fewer path lookups to make for 10,000 small files.
   */
  readonly final?: { readonly mode: number; readonly mtimeMs: number };
}

/** Pieces at least this long go through the thread pool; shorter ones are written in place. */
const ASYNC_PIECE_BYTES = 256 * 1024;
/** Descriptors kept open at once. */
export const MAX_OPEN_FILES = 32;
/** Above this many files, one syncfs beats one fsync per file. */
const SYNCFS_MIN_FILES = 64;
/** Synchronous filesystem calls made before yielding to the event loop. */
export const SYNC_BATCH = 256;

export const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Piece {
  file: ObjectFile;
  /** Offset within the file. */
  at: number;
  /** Range within the caller's buffer. */
  from: number;
  length: number;
}

export class ObjectFiles {
  /** Files holding at least one byte, in object order (binary-searched by offset). */
  private readonly nonEmpty: ObjectFile[];
  private readonly open = new Map<string, { fd: number; busy: number }>();
  private closed = false;
  /** Files given their final mode and mtime by the write that filled them (ObjectFile.final). */
  readonly settled = new Set<ObjectFile>();
  /** Asynchronous writes and reads under way: their descriptors stay open until they finish. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    readonly files: readonly ObjectFile[],
    readonly size: number,
    /** Mode of files created (umask applies). */
    private readonly mode = 0o600,
  ) {
    this.nonEmpty = files.filter((f) => f.size > 0);
  }

  /**
   * Creates (or, `keepExisting`, reopens) the files with their final size and `mode` (0600:
   * private while staged). With `lazySmall`, files under ASYNC_PIECE_BYTES are left to their
   * first write (creating 10,000 inodes up front delays the transfer by up to seconds on a busy
   * disk; created as data arrives, it overlaps the network); empty ones are made here.
   * Synchronous calls in batches. Returns the paths that were there with their full size already.
   */
  async createAll(keepExisting: boolean, options: { mode?: number; lazySmall?: boolean } = {}): Promise<Set<string>> {
    const intact = new Set<string>();
    for (let i = 0; i < this.files.length; i++) {
      const f = this.files[i]!;
      if (f.readOnly || (options.lazySmall && f.size > 0 && f.size < ASYNC_PIECE_BYTES)) continue;
      let fd: number | undefined;
      try {
        fd = openSync(f.path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | (keepExisting ? 0 : constants.O_TRUNC), options.mode ?? this.mode);
        const st = fstatSync(fd);
        if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EEXIST' });
        if (st.size === f.size && keepExisting) intact.add(f.path);
        else ftruncateSync(fd, f.size);
      } catch (e) {
        throw toDiskError(e, 'creating', f.path);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      if (i % SYNC_BATCH === SYNC_BATCH - 1) await yieldToLoop();
    }
    return intact;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    const pieces = this.pieces(offset, data.length);
    const waits: Promise<void>[] = [];
    for (const p of pieces) {
      if (p.file.readOnly) continue;
      const fd = this.acquire(p.file, 'writing');
      if (p.length >= ASYNC_PIECE_BYTES) {
        waits.push(this.track(this.writeFully(fd, p, data).finally(() => this.release(p.file))));
        continue;
      }
      let whole = false;
      try {
        let done = 0;
        while (done < p.length) done += writeSync(fd, data, p.from + done, p.length - done, p.at + done);
        whole = p.at === 0 && p.length === p.file.size && settleable(p.file);
        if (whole) {
          fchmodSync(fd, p.file.final!.mode);
          futimesSync(fd, p.file.final!.mtimeMs / 1000, p.file.final!.mtimeMs / 1000);
        } else this.settled.delete(p.file); // written again: the commit settles it
      } catch (e) {
        throw toDiskError(e, 'writing', p.file.path);
      } finally {
        this.release(p.file);
      }
      if (whole) {
        this.settled.add(p.file);
        this.closeIdle(p.file);
      }
    }
    await Promise.all(waits);
  }

  /** Object bytes at `offset`; a file shorter than staged (changed underneath) reads as zeros there. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    for (const p of this.pieces(offset, length)) {
      const fd = this.acquire(p.file, 'reading');
      try {
        let done = 0;
        while (done < p.length) {
          const n =
            p.length >= ASYNC_PIECE_BYTES
              ? (await this.track(readAsync(fd, out, p.from + done, p.length - done, p.at + done))).bytesRead
              : readSync(fd, out, p.from + done, p.length - done, p.at + done);
          if (n === 0) break;
          done += n;
        }
      } catch (e) {
        throw toDiskError(e, 'reading', p.file.path);
      } finally {
        this.release(p.file);
      }
    }
    return out;
  }

  /**
   * Closes every descriptor once the operations under way on them are done (a descriptor number
   * closed under a pending write could be reused by the next open); later writes and reads fail.
   */
  async closeAll(): Promise<void> {
    this.closed = true;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    for (const [, h] of this.open) closeSync(h.fd);
    this.open.clear();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const forget = () => this.inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** Closes every descriptor and makes the files' bytes durable: one syncfs, or one fsync per file. */
  async syncAll(): Promise<void> {
    await this.closeAll();
    if (this.files.length >= SYNCFS_MIN_FILES && (await syncFilesystemOf(this.files[0]!.path))) return;
    for (let i = 0; i < this.files.length; i++) {
      if (this.files[i]!.readOnly) continue;
      const path = this.files[i]!.path;
      let fd: number | undefined;
      try {
        fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
        fsyncSync(fd);
      } catch (e) {
        throw toDiskError(e, 'syncing', path);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      if (i % SYNC_BATCH === SYNC_BATCH - 1) await yieldToLoop();
    }
  }

  /** The files a range covers, in order; a range outside the object is a RangeError. */
  private pieces(offset: number, length: number): Piece[] {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0 || offset + length > this.size) {
      throw new RangeError(`${length} bytes at ${offset} lie outside the ${this.size}-byte object`);
    }
    const out: Piece[] = [];
    if (length === 0) return out;
    // The last file starting at or before offset.
    let lo = 0;
    let hi = this.nonEmpty.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.nonEmpty[mid]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    const end = offset + length;
    for (let i = lo, at = offset; at < end; i++) {
      const file = this.nonEmpty[i]!;
      const n = Math.min(end, file.offset + file.size) - at;
      out.push({ file, at: at - file.offset, from: at - offset, length: n });
      at += n;
    }
    return out;
  }

  private acquire(file: ObjectFile, action: string): number {
    if (this.closed) throw new Error(`cannot do ${action}: the staged files are closed`);
    const h = this.open.get(file.path);
    if (h !== undefined) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.open.delete(file.path);
      this.open.set(file.path, h);
      h.busy++;
      return h.fd;
    }
    if (this.open.size >= MAX_OPEN_FILES) {
      for (const [path, old] of this.open) {
        if (old.busy > 0) continue;
        this.open.delete(path);
        closeSync(old.fd);
        if (this.open.size < MAX_OPEN_FILES) break;
      }
    }
    let fd: number;
    try {
      // O_CREAT: small files are created by their first write (createAll's lazySmall).
      const access = file.readOnly ? constants.O_RDONLY : constants.O_RDWR | constants.O_CREAT;
      fd = openSync(file.path, access | constants.O_NOFOLLOW, this.mode);
    } catch (e) {
      throw toDiskError(e, `opening for ${action}`, file.path);
    }
    this.open.set(file.path, { fd, busy: 1 });
    return fd;
  }

  /** Closes `file`'s descriptor now unless another operation uses it. */
  private closeIdle(file: ObjectFile): void {
    const h = this.open.get(file.path);
    if (h === undefined || h.busy > 0) return;
    this.open.delete(file.path);
    closeSync(h.fd);
  }

  private release(file: ObjectFile): void {
    const h = this.open.get(file.path);
    if (h !== undefined) h.busy--;
  }

  private async writeFully(fd: number, p: Piece, data: Uint8Array): Promise<void> {
    try {
      let done = 0;
      while (done < p.length) {
        const { bytesWritten } = await writeAsync(fd, data, p.from + done, p.length - done, p.at + done);
        if (bytesWritten <= 0) throw new Error('write made no progress');
        done += bytesWritten;
      }
    } catch (e) {
      throw toDiskError(e, 'writing', p.file.path);
    }
  }
}

/**
 * A file that may take its final mode while staged: one its owner can still read and write (a
 * resumed run reopens staged files for reading and writing), in a staging directory only the
 * owner can enter.
 */
function settleable(f: ObjectFile): boolean {
  return f.final !== undefined && (f.final.mode & 0o600) === 0o600;
}

/**
 * syncfs(2) of the filesystem holding `path`, through coreutils' `sync -f` (Node has no
 * binding). False where that is unavailable (not Linux, old coreutils): the caller fsyncs each file.
 */
export function syncFilesystemOf(path: string): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(false);
  return new Promise((resolve) => {
    execFile('sync', ['-f', path], { timeout: 120_000 }, (error) => resolve(error === null));
  });
}

/** fsync of a directory (makes renames and creations in it durable); platforms that cannot, skip. */
export function syncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw toDiskError(e, 'syncing directory', dir);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

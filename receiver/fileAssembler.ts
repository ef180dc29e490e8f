/**
 * Assembles the received file: a temp file created exclusively next to the final path, pre-sized,
 * written at segment offsets in any order, then fsynced and renamed into place atomically (and
 * the directory fsynced, so the rename survives a crash). An abort removes the temp file: no
 * partial file ever appears under the final name. Filesystem errors become DiskError with the
 * cause spelled out ("disk full writing /x/.y.fountcast-part").
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DiskError } from './errors.js';

/** The part of fs.promises.FileHandle this uses (tests inject failing ones). */
export interface FileHandleLike {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EIO: 'I/O error',
  EROFS: 'read-only filesystem',
  EFBIG: 'file too large for the filesystem',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file already exists',
  ENOENT: 'no such file or directory',
  EMFILE: 'too many open files',
};

/** Maps a filesystem error to a DiskError: "<what went wrong> <action> <path>". */
export function toDiskError(error: unknown, action: string, path: string): DiskError {
  if (error instanceof DiskError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const what = code !== undefined ? DESCRIPTIONS[code] : undefined;
  const detail = (error as Error | undefined)?.message ?? String(error);
  const message = what !== undefined ? `${what} ${action} ${path} (${code})` : `${action} ${path} failed: ${detail}`;
  return new DiskError(message, code, path, { cause: error });
}

type State = 'open' | 'committing' | 'committed' | 'aborted';

export class FileAssembler {
  private state: State = 'open';
  private readonly inFlight = new Set<Promise<void>>();
  private written = 0;
  private handleClosed = false;

  /** Prefer `FileAssembler.open`; this takes an already created and sized handle. */
  constructor(
    private readonly handle: FileHandleLike,
    readonly tempPath: string,
    readonly size: number,
  ) {}

  /** Creates `tempPath` (exclusive, mode 0644) and sizes it to `size` bytes. */
  static async open(tempPath: string, size: number): Promise<FileAssembler> {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`file size ${size}`);
    let handle: FileHandle;
    try {
      handle = await open(tempPath, 'wx', 0o644);
    } catch (e) {
      throw toDiskError(e, 'creating', tempPath);
    }
    try {
      await handle.truncate(size);
    } catch (e) {
      await handle.close().catch(() => undefined);
      await unlink(tempPath).catch(() => undefined);
      throw toDiskError(e, 'sizing', tempPath);
    }
    return new FileAssembler(handle, tempPath, size);
  }

  /** Bytes written so far (sum over write calls). */
  get bytesWritten(): number {
    return this.written;
  }

  /** Writes `data` at `offset` (positional; writes may overlap in time). */
  write(offset: number, data: Uint8Array): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new Error(`cannot write: file is ${this.state}`));
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + data.length > this.size) {
      return Promise.reject(new RangeError(`write of ${data.length} bytes at ${offset} is outside the ${this.size}-byte file`));
    }
    const p = this.writeFully(offset, data);
    this.inFlight.add(p);
    const forget = () => this.inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** fsync, close, rename over `finalPath` atomically, fsync the directory. */
  async commit(finalPath: string): Promise<void> {
    if (this.state !== 'open') throw new Error(`cannot commit: file is ${this.state}`);
    this.state = 'committing';
    await Promise.allSettled([...this.inFlight]);
    try {
      await this.handle.sync();
    } catch (e) {
      throw toDiskError(e, 'syncing', this.tempPath);
    }
    try {
      this.handleClosed = true;
      await this.handle.close();
    } catch (e) {
      throw toDiskError(e, 'closing', this.tempPath);
    }
    try {
      await rename(this.tempPath, finalPath);
    } catch (e) {
      throw toDiskError(e, `renaming ${this.tempPath} to`, finalPath);
    }
    this.state = 'committed';
    await syncDirectory(dirname(finalPath));
  }

  /** Closes and removes the temp file. Never throws; a no-op after commit. */
  async abort(): Promise<void> {
    if (this.state === 'committed' || this.state === 'aborted') return;
    this.state = 'aborted';
    await Promise.allSettled([...this.inFlight]);
    if (!this.handleClosed) {
      this.handleClosed = true;
      await this.handle.close().catch(() => undefined);
    }
    await unlink(this.tempPath).catch(() => undefined);
  }

  private async writeFully(offset: number, data: Uint8Array): Promise<void> {
    let done = 0;
    try {
      while (done < data.length) {
        const { bytesWritten } = await this.handle.write(data, done, data.length - done, offset + done);
        if (bytesWritten <= 0) throw new Error('write made no progress');
        done += bytesWritten;
      }
    } catch (e) {
      throw toDiskError(e, 'writing', this.tempPath);
    }
    this.written += done;
  }
}

/** Makes a rename durable. Platforms that cannot fsync a directory (EISDIR, EINVAL, EPERM) skip it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw toDiskError(e, 'syncing directory', dir);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

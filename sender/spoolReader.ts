/**
 * Reads a piped object's segments from its spool (streamSource.ts) while the spool still grows.
 * ObjectReader would refuse it (it checks that a file keeps the size and mtime it was announced
 * with); the spool is the sender's own private file, written only before a segment is
 * announced, so a read of an announced segment never meets bytes still being written. A relay's
 * object still arriving (cut-through) is read the same way: only segments already stored are read.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { SourceFileError } from './sourceFileError.js';

export class SpoolReader {
  private handle: Promise<FileHandle> | undefined;
  private closed = false;

  /** `what` names the file in errors: the spool, or an object still arriving (a relay's). */
  constructor(
    private readonly path: string,
    private readonly what = 'the spool',
  ) {}

  /** Bytes [offset, offset + length), into `into` when it has exactly that length. */
  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    if (this.closed) throw new Error('the spool reader is closed');
    const buf = into?.length === length ? into : new Uint8Array(length);
    this.handle ??= open(this.path, 'r');
    let fh: FileHandle;
    try {
      fh = await this.handle;
    } catch (e) {
      throw new SourceFileError(`cannot read ${this.what} ${this.path}: ${(e as Error).message}`);
    }
    for (let got = 0; got < length;) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) throw new SourceFileError(`${this.what} ${this.path} ends before byte ${offset + length}, which was announced`);
      got += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.handle?.then((fh) => fh.close()).catch(() => undefined);
  }
}

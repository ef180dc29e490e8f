/**
 * An object written in order, from its first byte to its last, to a sink that cannot seek:
 * standard output (`receive --out -`), or a file being received from a pipe whose length
 * follows (streamedFile.ts). The receiver core hands out verified segments in the order they
 * decode; a segment is written once it is verified and every earlier one is written, so the sink
 * only ever sees verified bytes, in order. A segment past a gap waits here, its write promise
 * pending; the core keeps its buffer (and its window slot) until that resolves, so what waits is
 * bounded by the receive window, and the sender, which never runs past the receiver's window,
 * is held back by a slow sink too.
 *
 * Nothing can be read back (so no resume, and no whole-object read-back: the running hash
 * covers the object, see ReceiverCore).
 */
import { BitSet } from '../util/bitset.js';
import type { ObjectStaging } from './objectStaging.js';

/** The --out that means standard output. */
export const STANDARD_OUTPUT = '-';

/** Where ordered bytes go: a stream (stdout) or a file. */
export interface OrderedSink {
  /** Resolves once `data` is handed to the OS (the caller may then reuse the buffer). */
  write(data: Uint8Array): Promise<void>;
  /** Everything was written and verified: make it durable or final (rename a file into place). */
  finish(): Promise<void>;
  /** Ends without finishing (removes a partial file). Never throws. */
  abort(): Promise<void>;
}

interface Waiting {
  readonly data: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export class OrderedStaging implements ObjectStaging {
  /** Nothing is ever held from an earlier run. */
  readonly held = new BitSet(0);
  /** Object bytes written to the sink so far. */
  private written = 0;
  /** Object bytes handed to the sink, the one write in flight included: nothing below may come again. */
  private handed = 0;
  private readonly waiting = new Map<number, Waiting>();
  private flushing = false;
  private failure: Error | undefined;
  private phase: 'open' | 'committing' | 'done' = 'open';

  constructor(
    /** '-' for standard output, else the file's final path. */
    readonly finalPath: string,
    private readonly sink: OrderedSink,
  ) {}

  /** Bytes handed to the sink so far (the verified prefix of the object). */
  get bytesWritten(): number {
    return this.written;
  }

  /** Resolves once these bytes (and every earlier byte) are in the sink. */
  write(offset: number, data: Uint8Array): Promise<void> {
    if (this.phase !== 'open') return Promise.reject(new Error(`cannot write: the output is ${this.phase}`));
    if (this.failure) return Promise.reject(this.failure);
    if (offset < this.handed || this.waiting.has(offset)) return Promise.reject(new Error(`object bytes at ${offset} were written already`));
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(offset, { data, resolve, reject });
      void this.flush();
    });
  }

  /** Hands the contiguous run after what is written to the sink, one segment at a time. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let w = this.waiting.get(this.written); w !== undefined && this.failure === undefined; w = this.waiting.get(this.written)) {
        this.waiting.delete(this.written);
        this.handed = this.written + w.data.length;
        try {
          await this.sink.write(w.data);
        } catch (e) {
          this.failAll(e as Error);
          w.reject(e as Error);
          return;
        }
        this.written += w.data.length;
        w.resolve();
      }
    } finally {
      this.flushing = false;
    }
  }

  private failAll(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return Promise.reject(new Error(`bytes ${offset}+${length} went to ${this.finalPath === '-' ? 'standard output' : 'a stream'}: they cannot be read back`));
  }

  /** No resume state: a stream cannot be resumed. */
  noteWritten(): void {}

  async commit(): Promise<void> {
    if (this.phase !== 'open') throw new Error(`cannot commit: the output is ${this.phase}`);
    if (this.waiting.size > 0) throw new Error(`cannot commit: ${this.waiting.size} segment(s) still wait for earlier ones`);
    this.phase = 'committing';
    await this.sink.finish();
    this.phase = 'done';
  }

  async abort(): Promise<void> {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.failAll(new Error('the transfer ended'));
    await this.sink.abort();
  }
}

/**
 * A writable stream as a sink (standard output). Its errors (EPIPE when the reader went away)
 * fail the write in progress instead of crashing the process; the listener stays, so a late one
 * cannot crash it either. Nothing is closed at the end: the stream is the caller's. Each write
 * is a copy: a stream may hold on to a chunk after its callback (a PassThrough hands the very
 * buffer to its reader), and the core reuses a segment's buffer once its write is done.
 */
export function streamSink(stream: NodeJS.WritableStream): OrderedSink {
  let failure: Error | undefined;
  stream.on('error', (e: Error) => (failure ??= e));
  return {
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        stream.write(Buffer.from(data), (e) => (e ? reject(e) : failure ? reject(failure) : resolve()));
      }),
    finish: async () => {
      if (failure) throw failure;
    },
    abort: async () => undefined,
  };
}

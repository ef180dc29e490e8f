/**
 * Recycles segment buffers: the receiver's K·T-byte collectors and the sender's file reads
 * (4 MiB each by default).
 *
 * Why: a fresh 4 MiB Uint8Array per segment is zero-filled, faults in fresh pages, and counts as
 * external memory to V8, which runs a full mark-compact each time that memory grows by a few
 * segments' worth: on a large transfer the receiver's main thread would spend far more time in
 * the garbage collector than a bare node:dgram receiver of the same datagrams. A receiver's
 * segment buffer is free again once its bytes are written and hashed, a sender's once the
 * segment's encoder is freed; the next segment takes it.
 *
 * A buffer is handed back only when nothing else holds it (the caller's promise), and taken
 * without zeroing: the collector tracks which symbols are present and never reads the others,
 * and a file read fills the whole buffer.
 */
export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Buffers this pool made: only those come back (never, say, a codec's or a transferred one). */
  private readonly mine = new WeakSet<ArrayBuffer>();
  /** Buffers handed out again instead of allocated (for stats and tests). */
  reused = 0;

  /** Keeps at most `maxPerSize` idle buffers of each size (memory bound). */
  constructor(private readonly maxPerSize = 4) {}

  /** A buffer of exactly `bytes` bytes: a recycled one if any, else a new (zeroed) one. */
  take(bytes: number): Uint8Array {
    const list = this.free.get(bytes);
    const recycled = list?.pop();
    if (recycled !== undefined) {
      this.reused++;
      return new Uint8Array(recycled);
    }
    const fresh = new Uint8Array(bytes);
    this.mine.add(fresh.buffer);
    return fresh;
  }

  /**
   * Returns the memory behind `view` (the whole ArrayBuffer, whatever part the view covers).
   * Ignored for buffers this pool did not make (a transfer to a worker and back makes a new
   * ArrayBuffer object too), detached or wrongly sized ones, and beyond the bound.
   */
  give(view: Uint8Array, bytes: number): void {
    const buffer = view.buffer;
    if (!(buffer instanceof ArrayBuffer) || !this.mine.has(buffer) || buffer.byteLength !== bytes || bytes === 0) return;
    let list = this.free.get(bytes);
    if (list === undefined) {
      list = [];
      this.free.set(bytes, list);
    }
    if (list.length < this.maxPerSize && !list.includes(buffer)) list.push(buffer);
  }

  /** Idle buffers held. */
  get idle(): number {
    let n = 0;
    for (const list of this.free.values()) n += list.length;
    return n;
  }
}

/**
 * Length-prefixed frames: a 4-byte big-endian payload length, then the payload (one UTF-8 JSON
 * message). The decoder checks the declared length against `maxFrameBytes` from the header alone,
 * before buffering or allocating anything for the payload, and keeps received chunks in a queue
 * so a frame arriving in many pieces is copied once, when it is complete.
 */
import { FrameTooLargeError } from './errors.js';

export const FRAME_HEADER_BYTES = 4;
/** The length field is a u32. */
export const MAX_ENCODABLE_FRAME_BYTES = 0xffff_ffff;

/** Header + payload in one buffer. Throws FrameTooLargeError above `maxFrameBytes`. */
export function encodeFrame(payload: Uint8Array, maxFrameBytes: number = MAX_ENCODABLE_FRAME_BYTES): Uint8Array {
  const n = payload.length;
  if (n > maxFrameBytes || n > MAX_ENCODABLE_FRAME_BYTES) throw new FrameTooLargeError(n, Math.min(maxFrameBytes, MAX_ENCODABLE_FRAME_BYTES));
  const out = new Uint8Array(FRAME_HEADER_BYTES + n);
  out[0] = n >>> 24;
  out[1] = (n >>> 16) & 0xff;
  out[2] = (n >>> 8) & 0xff;
  out[3] = n & 0xff;
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export type FrameRejection = 'frame-too-large' | 'empty-frame';

export type FrameResult =
  { readonly ok: true; readonly frame: Uint8Array } | { readonly ok: false; readonly reason: FrameRejection; readonly declaredLength: number };

export class FrameDecoder {
  /** Unconsumed chunks are chunks[head..]; the first may be partly consumed (a subarray). */
  private chunks: Uint8Array[] = [];
  private head = 0;
  private buffered = 0;
  private failed = false;

  /** Checked when each frame header is read, so it can change between frames (per protocol phase). */
  constructor(public maxFrameBytes: number) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** True after a rejection: the stream cannot be resynchronised, so all further input is dropped. */
  get hasFailed(): boolean {
    return this.failed;
  }

  /** Queues a chunk without copying it; the caller must not modify it afterwards. */
  push(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next complete frame, a rejection (after which the decoder stays failed and returns
   * undefined), or undefined when more bytes are needed. A frame may be a view into a pushed chunk.
   */
  next(): FrameResult | undefined {
    if (this.failed || this.buffered < FRAME_HEADER_BYTES) return undefined;
    const length = this.peekLength();
    if (length === 0) return this.fail('empty-frame', length);
    if (length > this.maxFrameBytes) return this.fail('frame-too-large', length);
    if (this.buffered < FRAME_HEADER_BYTES + length) return undefined;
    this.skip(FRAME_HEADER_BYTES);
    return { ok: true, frame: this.take(length) };
  }

  private fail(reason: FrameRejection, declaredLength: number): FrameResult {
    this.failed = true;
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    return { ok: false, reason, declaredLength };
  }

  private peekLength(): number {
    let n = 0;
    let got = 0;
    for (let i = this.head; got < FRAME_HEADER_BYTES; i++) {
      const c = this.chunks[i]!;
      for (let j = 0; j < c.length && got < FRAME_HEADER_BYTES; j++, got++) n = n * 256 + c[j]!;
    }
    return n;
  }

  private skip(n: number): void {
    while (n > 0) {
      const c = this.chunks[this.head]!;
      if (c.length <= n) {
        n -= c.length;
        this.buffered -= c.length;
        this.dropHead();
      } else {
        this.chunks[this.head] = c.subarray(n);
        this.buffered -= n;
        n = 0;
      }
    }
  }

  /** Removes and returns the next n buffered bytes (0 < n <= buffered); copies only across chunks. */
  private take(n: number): Uint8Array {
    const first = this.chunks[this.head]!;
    if (first.length >= n) {
      this.skip(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[this.head]!;
      const part = Math.min(c.length, n - at);
      out.set(part === c.length ? c : c.subarray(0, part), at);
      at += part;
      this.skip(part);
    }
    return out;
  }

  private dropHead(): void {
    this.chunks[this.head++] = undefined as unknown as Uint8Array;
    // Compact now and then instead of shift() per chunk (O(n) each) on long frames.
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

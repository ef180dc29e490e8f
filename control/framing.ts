/**
 * Length-prefixed frames: a 4-byte big-endian payload length, then the payload. The decoder
 * checks the declared length against `maxFrameBytes` before buffering a byte of it, and collects
 * chunks in a list (no quadratic re-copying) until a frame is complete.
 */

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  const n = payload.length;
  out[0] = n >>> 24;
  out[1] = (n >>> 16) & 0xff;
  out[2] = (n >>> 8) & 0xff;
  out[3] = n & 0xff;
  out.set(payload, 4);
  return out;
}

export type FrameResult =
  | { ok: true; frame: Uint8Array }
  | { ok: false; reason: 'frame-too-large' | 'empty-frame'; declaredLength: number };

export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private failed = false;

  constructor(public maxFrameBytes: number) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame, a rejection (after which the decoder stays failed), or undefined. */
  next(): FrameResult | undefined {
    if (this.failed || this.buffered < 4) return undefined;
    const head = this.peek(4);
    const length = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
    if (length === 0) return this.fail('empty-frame', length);
    if (length > this.maxFrameBytes) return this.fail('frame-too-large', length);
    if (this.buffered < 4 + length) return undefined;
    const all = this.take(4 + length);
    return { ok: true, frame: all.subarray(4) };
  }

  private fail(reason: 'frame-too-large' | 'empty-frame', declaredLength: number): FrameResult {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    return { ok: false, reason, declaredLength };
  }

  private peek(n: number): Uint8Array {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.chunks) {
      const take = Math.min(c.length, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
      if (at === n) break;
    }
    return out;
  }

  /** Removes and returns the first n buffered bytes (n <= buffered). */
  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0]!;
        const take = Math.min(c.length, n - at);
        out.set(c.subarray(0, take), at);
        at += take;
        if (take === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(take);
      }
    }
    this.buffered -= n;
    return out;
  }
}

import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../util/bufferPool.js';

describe('BufferPool', () => {
  it('hands a returned buffer out again, whole, whatever part of it the returned view covered', () => {
    const pool = new BufferPool();
    const a = pool.take(1000);
    a[999] = 7;
    pool.give(a.subarray(0, 10), 1000);
    const b = pool.take(1000);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(1000);
    expect(b[999]).toBe(7); // not zeroed: the callers never read what they did not write
    expect(pool.reused).toBe(1);
    // Empty again: a new, zeroed buffer.
    const c = pool.take(1000);
    expect(c.buffer).not.toBe(a.buffer);
    expect(c.every((x) => x === 0)).toBe(true);
  });

  it('keeps only its own buffers of the size asked for, once each, at most maxPerSize of them', () => {
    const pool = new BufferPool(2);
    pool.give(pool.take(999), 1000); // wrong size
    pool.give(new Uint8Array(1000), 1000); // not made by this pool (a codec's, a transferred one)
    pool.give(new Uint8Array(new SharedArrayBuffer(1000)), 1000); // shared: others may use it
    pool.give(pool.take(0), 0);
    expect(pool.idle).toBe(0);
    const x = pool.take(1000);
    pool.give(x, 1000);
    pool.give(x, 1000); // twice: still one entry (two takers would share it)
    expect(pool.idle).toBe(1);
    const [y, z, w] = [pool.take(1000), pool.take(1000), pool.take(1000)];
    for (const b of [y, z, w]) pool.give(b, 1000);
    expect(pool.idle).toBe(2);
  });

  it('ignores a buffer that was transferred away (detached)', () => {
    const pool = new BufferPool();
    const x = pool.take(1000);
    structuredClone(x.buffer, { transfer: [x.buffer as ArrayBuffer] });
    pool.give(x, 1000);
    expect(pool.idle).toBe(0);
  });
});

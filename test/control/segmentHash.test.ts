import { blake3 } from '@noble/hashes/blake3.js';
import { describe, expect, it, vi } from 'vitest';
import {
  KNOWN_INPUT_BLAKE3,
  knownInput,
  segmentDigest,
  segmentHasher,
  segmentHashImplementation,
  SEGMENT_DIGEST_BYTES,
  warnIfSlowSegmentHash,
} from '../../control/segmentHash.js';
import { loadNativeCrypto } from '../../encoder/nativeCrypto.js';
import { SeededRandom } from '../../util/random.js';

const native = loadNativeCrypto().module;

describe('segment digests (BLAKE3-256)', () => {
  it('run natively where the install was told to build the module (CI)', () => {
    if (process.env.FOUNTCAST_REQUIRE_NATIVE === '1') expect(segmentHashImplementation()).toBe('native');
    else expect(segmentHashImplementation()).toBe(native?.blake3Hash ? 'native' : 'javascript');
  });

  it.runIf(native?.blake3Hash)('with the native module, no start-up warning (skipped without the native module)', () => {
    const warned: string[] = [];
    warnIfSlowSegmentHash({ warn: (_, m) => warned.push(m) });
    expect(warned).toEqual([]);
  });

  it('the known answer the native module is checked against at load is the JavaScript BLAKE3 of the known input', () => {
    expect(Buffer.from(blake3(knownInput())).toString('hex')).toBe(KNOWN_INPUT_BLAKE3);
    expect(knownInput().length).toBe(3000);
  });

  it('match the BLAKE3 reference: the empty input, and inputs around its 1 KiB chunks and SIMD widths', () => {
    expect(segmentDigest(new Uint8Array(0)).toString('hex')).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
    const random = new SeededRandom(33);
    for (const n of [1, 63, 64, 65, 1023, 1024, 1025, 2048, 16 * 1024 + 1, 100_003, (1 << 20) + 7]) {
      const data = random.fill(new Uint8Array(n));
      const d = segmentDigest(data);
      expect(d.length).toBe(SEGMENT_DIGEST_BYTES);
      expect(d.equals(Buffer.from(blake3(data))), `n=${n}`).toBe(true);
    }
  });

  it('incrementally, whatever the pieces: the same digest as at once', () => {
    const random = new SeededRandom(5);
    const data = random.fill(new Uint8Array(300_000));
    const whole = segmentDigest(data);
    for (const cuts of [[0], [1], [1024, 1], [65_536, 1000, 3], [299_999]]) {
      const h = segmentHasher();
      let at = 0;
      for (const c of cuts) {
        h.update(data.subarray(at, at + c));
        at += c;
      }
      h.update(data.subarray(at));
      expect(h.digest().equals(whole), String(cuts)).toBe(true);
    }
  });

  it.runIf(native?.blake3Hash)('the native functions refuse what is not theirs with a typed error (skipped without the native module)', () => {
    const m = native!;
    const out = new Uint8Array(32);
    expect(() => m.blake3Hash!('text' as unknown as Uint8Array, out)).toThrow(expect.objectContaining({ code: 'ERR_FOUNTCAST_NATIVE_BLAKE3' }));
    expect(() => m.blake3Hash!(new Uint8Array(4), new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'ERR_FOUNTCAST_NATIVE_BLAKE3' }));
    expect(() => m.blake3Update!({} as never, new Uint8Array(4))).toThrow(expect.objectContaining({ code: 'ERR_FOUNTCAST_NATIVE_BLAKE3' }));
    const hmac = m.hmacCreate(new Uint8Array(32));
    expect(() => m.blake3Digest!(hmac as never, out)).toThrow(expect.objectContaining({ code: 'ERR_FOUNTCAST_NATIVE_BLAKE3' }));
  });

  it('FOUNTCAST_NATIVE_BLAKE3=0: the JavaScript BLAKE3 gives the same digests', async () => {
    vi.resetModules();
    vi.stubEnv('FOUNTCAST_NATIVE_BLAKE3', '0');
    try {
      const fresh = await import('../../control/segmentHash.js');
      expect(fresh.segmentHashImplementation()).toBe('javascript');
      const data = new SeededRandom(9).fill(new Uint8Array(70_000));
      expect(fresh.segmentDigest(data).equals(segmentDigest(data))).toBe(true);
      expect(fresh.segmentHasher().update(data.subarray(0, 5)).update(data.subarray(5)).digest().equals(segmentDigest(data))).toBe(true);
      // And the start-up warning says so, with the reason.
      const warned: [object, string][] = [];
      fresh.warnIfSlowSegmentHash({ warn: (o, m) => warned.push([o, m]) });
      expect(warned).toEqual([[{ segmentHash: 'javascript', reason: 'FOUNTCAST_NATIVE_BLAKE3=0' }, expect.stringContaining('~70 MB/s')]]);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

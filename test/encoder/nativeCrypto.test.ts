import { afterEach, describe, expect, it, vi } from 'vitest';
import { aes256GcmScheme, GCM_TRAILER_LENGTH, gcmImplementation } from '../../encoder/aes256Gcm.js';
import { hmacSha256Scheme, macImplementation } from '../../encoder/hmacSha256.js';
import { loadNativeCrypto, type NativeCrypto, type NativeGcmContext, type NativeHmacContext } from '../../encoder/nativeCrypto.js';
import { SeededRandom } from '../../util/random.js';

const HEADER = 24;
const native = loadNativeCrypto().module;

function datagram(random: SeededRandom, body: number): { bytes: Uint8Array; end: number } {
  const end = HEADER + body;
  const bytes = new Uint8Array(end + GCM_TRAILER_LENGTH);
  random.fill(bytes.subarray(0, end));
  return { bytes, end };
}

describe('datagram crypto: native module against node:crypto', () => {
  it('is built and in use where the install was told to require it (CI)', () => {
    // .ci/run sets FOUNTCAST_REQUIRE_NATIVE=1: there a missing or failing module is a failure,
    // not a silent fallback.
    if (process.env.FOUNTCAST_REQUIRE_NATIVE === '1') {
      expect(loadNativeCrypto().reason).toBeUndefined();
      expect(gcmImplementation()).toEqual({ implementation: 'native' });
      expect(macImplementation()).toEqual({ implementation: 'native' });
    } else {
      expect(gcmImplementation().implementation).toBe(native ? 'native' : 'node:crypto');
      expect(macImplementation().implementation).toBe(native ? 'native' : 'node:crypto');
    }
  });

  it.runIf(native)('what one seals the other opens, at every body length around the AES block (skipped without the native module)', () => {
    const random = new SeededRandom(11);
    const key = random.fill(new Uint8Array(32));
    const byNative = aes256GcmScheme(key, { native: true });
    const byNode = aes256GcmScheme(key, { native: false });
    expect(byNative.implementation).toBe('native');
    expect(byNode.implementation).toBe('node:crypto');
    for (const body of [0, 1, 15, 16, 17, 31, 32, 33, 1392, 1393, 9 * 1392 + 8]) {
      for (const [sealer, opener] of [
        [byNative, byNode],
        [byNode, byNative],
        [byNative, byNative],
      ] as const) {
        const { bytes, end } = datagram(random, body);
        const plain = bytes.slice(0, end);
        sealer.seal(bytes, end);
        if (body >= 8) expect(Buffer.compare(bytes.subarray(HEADER, end), plain.subarray(HEADER)), `body ${body} encrypted`).not.toBe(0);
        expect(Buffer.from(bytes.subarray(0, HEADER))).toEqual(Buffer.from(plain.subarray(0, HEADER)));
        expect(opener.check(bytes, end), `${sealer.implementation} -> ${opener.implementation}, body ${body}`).toBe(true);
        expect(Buffer.from(bytes.subarray(0, end))).toEqual(Buffer.from(plain));
      }
    }
  });

  it.runIf(native)('rejects every single flipped bit and leaves the datagram as it came (skipped without the native module)', () => {
    const random = new SeededRandom(12);
    const key = new Uint8Array(32).fill(9);
    const scheme = aes256GcmScheme(key, { native: true });
    const { bytes, end } = datagram(random, 100);
    scheme.seal(bytes, end);
    for (let at = 0; at < bytes.length; at++) {
      const bad = bytes.slice();
      bad[at]! ^= 1 << (at % 8);
      const before = bad.slice();
      expect(scheme.check(bad, end), `byte ${at}`).toBe(false);
      expect(Buffer.from(bad)).toEqual(Buffer.from(before));
    }
    // Another key, a truncated datagram, an end inside the header: refused, no throw.
    expect(aes256GcmScheme(new Uint8Array(32).fill(8), { native: true }).check(bytes.slice(), end)).toBe(false);
    expect(scheme.check(bytes.slice(0, bytes.length - 1), end)).toBe(false);
    expect(scheme.check(bytes.slice(), HEADER - 1)).toBe(false);
    expect(scheme.check(bytes.slice(), end)).toBe(true);
  });

  it('gives every datagram a fresh nonce: a fixed per-scheme prefix and a counter', () => {
    const scheme = aes256GcmScheme(new Uint8Array(32).fill(1));
    const nonces = Array.from({ length: 3 }, () => {
      const { bytes, end } = datagram(new SeededRandom(13), 32);
      scheme.seal(bytes, end);
      return Buffer.from(bytes.subarray(end, end + 12));
    });
    expect(nonces.map((n) => n.subarray(0, 4).toString('hex'))).toEqual(Array(3).fill(nonces[0]!.subarray(0, 4).toString('hex')));
    expect(nonces.map((n) => n.readBigUInt64BE(4))).toEqual([0n, 1n, 2n]);
  });

  it.runIf(native)('the raw GCM functions refuse misuse without touching memory outside the buffer (skipped without the native module)', () => {
    const m = native as NativeCrypto;
    expect(() => m.gcmCreate(new Uint8Array(31))).toThrow(/32-byte/);
    expect(() => m.gcmCreate('k'.repeat(32) as unknown as Uint8Array)).toThrow(/32-byte/);
    const context = m.gcmCreate(new Uint8Array(32));
    const bytes = new Uint8Array(HEADER + 10 + GCM_TRAILER_LENGTH);
    const nonce = new Uint8Array(12);
    expect(() => m.gcmSeal(context, bytes, HEADER, HEADER + 11, nonce)).toThrow(/bad arguments/); // trailer past the end
    expect(() => m.gcmSeal(context, bytes, HEADER, HEADER - 1, nonce)).toThrow(/bad arguments/); // end before header
    expect(() => m.gcmSeal(context, bytes, HEADER, HEADER + 10, new Uint8Array(11))).toThrow(/12-byte/);
    expect(() => m.gcmSeal({} as NativeGcmContext, bytes, HEADER, HEADER + 10, nonce)).toThrow(/bad arguments/);
    expect(() => m.gcmSeal(context, new Uint16Array(40) as unknown as Uint8Array, HEADER, HEADER + 10, nonce)).toThrow(/bad arguments/);
    expect(m.gcmOpen(context, bytes, HEADER, HEADER + 11)).toBe(false);
    expect(m.gcmOpen(context, bytes, HEADER, -1)).toBe(false);
    expect(m.gcmOpen(context, bytes, -1, HEADER)).toBe(false);
    expect(m.gcmOpen(context, bytes, HEADER, 2 ** 40)).toBe(false);
    expect(m.gcmOpen(context, [] as unknown as Uint8Array, HEADER, HEADER)).toBe(false);
    m.gcmSeal(context, bytes, HEADER, HEADER + 10, nonce);
    expect(m.gcmOpen(context, bytes, HEADER, HEADER + 10)).toBe(true);
  });
});

describe('native HMAC-SHA256', () => {
  it.runIf(native)('the raw HMAC functions refuse misuse, and contexts of the two kinds are not interchangeable (skipped without the native module)', () => {
    const m = native as NativeCrypto;
    expect(() => m.hmacCreate(new Uint8Array(15))).toThrow(/at least 16 bytes/);
    const context = m.hmacCreate(new Uint8Array(32).fill(1));
    const bytes = new Uint8Array(40 + 16);
    expect(() => m.hmacSeal(context, bytes, 41)).toThrow(/bad arguments/); // tag past the end
    expect(() => m.hmacSeal(context, bytes, -1)).toThrow(/bad arguments/);
    expect(() => m.hmacSeal({} as NativeHmacContext, bytes, 40)).toThrow(/bad arguments/);
    expect(m.hmacCheck(context, bytes, 41)).toBe(false);
    expect(m.hmacCheck(context, new Int8Array(56) as unknown as Uint8Array, 40)).toBe(false);
    m.hmacSeal(context, bytes, 40);
    expect(m.hmacCheck(context, bytes, 40)).toBe(true);
    // Both kinds are externals: each carries a type tag, so one kind is never read as the other.
    const gcm = m.gcmCreate(new Uint8Array(32));
    expect(() => m.hmacSeal(gcm as unknown as NativeHmacContext, bytes, 40)).toThrow(/bad arguments/);
    expect(m.hmacCheck(gcm as unknown as NativeHmacContext, bytes, 40)).toBe(false);
    const gcmBytes = new Uint8Array(24 + 10 + 28);
    expect(() => m.gcmSeal(context as unknown as NativeGcmContext, gcmBytes, 24, 34, new Uint8Array(12))).toThrow(/bad arguments/);
    expect(m.gcmOpen(context as unknown as NativeGcmContext, gcmBytes, 24, 34)).toBe(false);
  });

  it.runIf(native)('tags as node:crypto does, and the scheme reports native (skipped without the native module)', () => {
    const random = new SeededRandom(15);
    const key = random.fill(new Uint8Array(32));
    const byNative = hmacSha256Scheme(key, { native: true });
    const byNode = hmacSha256Scheme(key, { native: false });
    expect([byNative.implementation, byNode.implementation]).toEqual(['native', 'node:crypto']);
    for (const end of [0, 24, 1420, 65_000]) {
      const a = random.fill(new Uint8Array(end + 16));
      const b = a.slice();
      byNative.seal(a, end);
      byNode.seal(b, end);
      expect(Buffer.from(a)).toEqual(Buffer.from(b));
      expect(byNode.check(a, end) && byNative.check(b, end)).toBe(true);
    }
  });
});

describe('loading the native module', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('FOUNTCAST_NATIVE=0 turns it off, with the reason, and MAC and encrypted modes still work', async () => {
    vi.stubEnv('FOUNTCAST_NATIVE', '0');
    vi.resetModules();
    const gcm = await import('../../encoder/aes256Gcm.js');
    expect(gcm.gcmImplementation()).toEqual({ implementation: 'node:crypto', reason: 'disabled by FOUNTCAST_NATIVE=0' });
    const scheme = gcm.aes256GcmScheme(new Uint8Array(32).fill(3));
    expect(scheme.implementation).toBe('node:crypto');
    const mac = await import('../../encoder/hmacSha256.js');
    expect(mac.hmacSha256Scheme(new Uint8Array(32)).implementation).toBe('node:crypto');
    const { bytes, end } = datagram(new SeededRandom(14), 50);
    const plain = bytes.slice(0, end);
    scheme.seal(bytes, end);
    expect(scheme.check(bytes, end)).toBe(true);
    expect(Buffer.from(bytes.subarray(0, end))).toEqual(Buffer.from(plain));
  });
});

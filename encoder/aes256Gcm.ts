/**
 * Encrypted mode's datagram tag: AES-256-GCM per datagram. The symbol is encrypted, the 24-byte
 * header is authenticated as additional data, and the 12-byte nonce and 16-byte tag follow the
 * symbol (docs/protocol.md).
 *
 * The nonce travels in the datagram: 4 random bytes fixed per sealing scheme (one per stream
 * worker) and a 64-bit counter, so it never repeats under one key — the stream key is fresh per
 * unicast stream and per shared session, and its one worker owns the counter. (Deriving it from
 * the 32-bit sequence number would repeat after 2^32 datagrams, which a long carousel reaches.)
 *
 * Two implementations of the same bytes: the native module (nativeCrypto.ts), which keeps one
 * OpenSSL context per key, and node:crypto, which needs a new Cipheriv for every nonce and costs
 * several times more per datagram. The native one is used only after it has sealed and opened a
 * test datagram that node:crypto opens and sealed respectively, so a miscompiled module can cost
 * speed but never interoperability.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { TagKind, type IntegrityScheme } from './integrityScheme.js';
import { implementationOf, verifiedNativeCrypto, type CryptoImplementation, type NativeCrypto, type NativeCryptoStatus } from './nativeCrypto.js';

/** Bytes after the symbol in encrypted mode: the 12-byte GCM nonce, then the 16-byte tag. */
export const GCM_TRAILER_LENGTH = 28;
const NONCE = 12;
const HEADER = 24;

/** Seals bytes[0, end) with the nonce, writing nonce and tag at end; opens in place. */
interface GcmCore {
  seal(bytes: Uint8Array, end: number, nonce: Uint8Array): void;
  /** bytes.length >= end + trailer and end >= HEADER are checked by the caller. */
  open(bytes: Uint8Array, end: number): boolean;
}

export interface GcmOptions {
  /** Use the native module when it is built and verified (default true). */
  native?: boolean;
}

export function aes256GcmScheme(key: Uint8Array, options: GcmOptions = {}): IntegrityScheme & { readonly implementation: string } {
  if (key.length !== 32) throw new RangeError('an AES-256-GCM datagram key has 32 bytes');
  const native = options.native === false ? undefined : verifiedNativeGcm().module;
  const core = native ? nativeCore(native, key) : nodeCryptoCore(key);
  const nonce = Buffer.alloc(NONCE);
  randomFillSync(nonce, 0, 4);
  // The 64-bit counter as two 32-bit halves (no BigInt on the per-datagram path).
  let high = 0;
  let low = 0;
  return {
    kind: TagKind.Aes256Gcm,
    tagLength: GCM_TRAILER_LENGTH,
    implementation: native ? 'native' : 'node:crypto',
    seal(bytes, end) {
      nonce.writeUInt32BE(high, 4);
      nonce.writeUInt32BE(low, 8);
      if (++low === 0x1_0000_0000) {
        low = 0;
        high++;
      }
      core.seal(bytes, end, nonce);
    },
    check(bytes, end) {
      if (bytes.length < end + GCM_TRAILER_LENGTH || end < HEADER) return false;
      return core.open(bytes, end);
    },
  };
}

function nodeCryptoCore(key: Uint8Array): GcmCore {
  const k = Buffer.from(key);
  return {
    seal(bytes, end, nonce) {
      const c = createCipheriv('aes-256-gcm', k, nonce);
      c.setAAD(bytes.subarray(0, HEADER));
      const body = c.update(bytes.subarray(HEADER, end));
      c.final();
      bytes.set(body, HEADER);
      bytes.set(nonce, end);
      bytes.set(c.getAuthTag(), end + NONCE);
    },
    open(bytes, end) {
      try {
        const d = createDecipheriv('aes-256-gcm', k, bytes.subarray(end, end + NONCE));
        d.setAAD(bytes.subarray(0, HEADER));
        d.setAuthTag(bytes.subarray(end + NONCE, end + GCM_TRAILER_LENGTH));
        const plain = d.update(bytes.subarray(HEADER, end));
        d.final(); // throws on a bad tag: nothing was written yet
        bytes.set(plain, HEADER);
        return true;
      } catch {
        return false;
      }
    },
  };
}

function nativeCore(native: NativeCrypto, key: Uint8Array): GcmCore {
  const context = native.gcmCreate(key);
  return {
    seal: (bytes, end, nonce) => native.gcmSeal(context, bytes, HEADER, end, nonce),
    open: (bytes, end) => native.gcmOpen(context, bytes, HEADER, end),
  };
}

/** Which implementation encrypted mode uses in this thread, and why not the native one. */
export function gcmImplementation(): CryptoImplementation {
  return implementationOf(verifiedNativeGcm());
}

/** The native module, once it has agreed with node:crypto both ways on a test datagram. */
function verifiedNativeGcm(): NativeCryptoStatus {
  return verifiedNativeCrypto('AES-256-GCM', (module) => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
    const nonce = Uint8Array.from({ length: NONCE }, (_, i) => 200 - i);
    const end = HEADER + 1000;
    const plain = Uint8Array.from({ length: end + GCM_TRAILER_LENGTH }, (_, i) => (i * 31) & 0xff);
    const reference = nodeCryptoCore(key);
    const native = nativeCore(module, key);
    const byNative = plain.slice();
    native.seal(byNative, end, nonce);
    const byNode = plain.slice();
    reference.seal(byNode, end, nonce);
    const forged = byNode.slice();
    forged[end + NONCE] = forged[end + NONCE]! ^ 1;
    const forgedBefore = forged.slice();
    const same = (x: Uint8Array, y: Uint8Array, upTo: number) => Buffer.compare(x.subarray(0, upTo), y.subarray(0, upTo)) === 0;
    return (
      same(byNative, byNode, end + GCM_TRAILER_LENGTH) &&
      reference.open(byNative, end) &&
      same(byNative, plain, end) &&
      native.open(byNode, end) &&
      same(byNode, plain, end) &&
      !native.open(forged, end) &&
      same(forged, forgedBefore, forged.length)
    );
  });
}

/**
 * Authenticated (MAC) mode's datagram tag: HMAC-SHA256 of the header and symbol under the
 * stream's datagram key, truncated to 16 bytes (docs/protocol.md).
 *
 * Two implementations of the same bytes: the native module (nativeCrypto.ts), which absorbs the
 * key's padded blocks once per key and copies those SHA-256 states for each datagram, and
 * node:crypto (below). The native one is used only after its tags have matched createHmac's on
 * test messages and it has refused a flipped tag.
 */
import * as cryptoModule from 'node:crypto';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TagKind, type IntegrityScheme } from './integrityScheme.js';
import { implementationOf, verifiedNativeCrypto, type CryptoImplementation, type NativeCryptoStatus } from './nativeCrypto.js';

/** Bytes of the truncated HMAC-SHA256 tag (128 bits: forging one takes 2^128 tries). */
export const HMAC_TAG_LENGTH = 16;

/**
 * Truncated HMAC-SHA256 under the stream's datagram key. Without the native module: node:crypto,
 * not @noble/hashes, because this runs for every datagram and native SHA-256 is many times faster.
 *
 * HMAC is computed by its definition, H((K ^ opad) || H((K ^ ipad) || m)), with two one-shot
 * `crypto.hash` calls on buffers whose key blocks are prepared once: cheaper than
 * `createHmac(...).update(m).digest()`, which builds a context object and re-derives the padded
 * key for every datagram (a test checks both give the same tags). Node before 20.12
 * lacks `crypto.hash` and gets createHmac.
 */
export function hmacSha256Scheme(key: Uint8Array, options: { native?: boolean } = {}): IntegrityScheme & { readonly implementation: string } {
  if (key.length < 16) throw new RangeError('a datagram MAC key has at least 16 bytes');
  const native = options.native === false ? undefined : verifiedNativeMac().module;
  if (native) {
    const context = native.hmacCreate(key);
    return {
      kind: TagKind.HmacSha256_128,
      tagLength: HMAC_TAG_LENGTH,
      implementation: 'native',
      seal: (bytes, end) => native.hmacSeal(context, bytes, end),
      check: (bytes, end) => native.hmacCheck(context, bytes, end),
    };
  }
  const tag = nodeCryptoTagger(key);
  return {
    kind: TagKind.HmacSha256_128,
    tagLength: HMAC_TAG_LENGTH,
    implementation: 'node:crypto',
    seal(bytes, end) {
      bytes.set(tag(bytes, end).subarray(0, HMAC_TAG_LENGTH), end);
    },
    check(bytes, end) {
      if (bytes.length < end + HMAC_TAG_LENGTH) return false;
      return timingSafeEqual(tag(bytes, end).subarray(0, HMAC_TAG_LENGTH), bytes.subarray(end, end + HMAC_TAG_LENGTH));
    },
  };
}

function nodeCryptoTagger(key: Uint8Array): Tagger {
  return typeof oneShotHash === 'function' ? definitionHmac(key, oneShotHash) : contextHmac(key);
}

/** Which implementation MAC mode uses in this thread, and why not the native one. */
export function macImplementation(): CryptoImplementation {
  return implementationOf(verifiedNativeMac());
}

/** The native module, once its tags equal createHmac's for short and long keys and messages. */
function verifiedNativeMac(): NativeCryptoStatus {
  return verifiedNativeCrypto('HMAC-SHA256', (module) =>
    [16, 32, 64, 65, 100].every((keyLength) =>
      [0, 1, 55, 64, 1419].every((end) => {
        const key = Uint8Array.from({ length: keyLength }, (_, i) => (i * 13 + keyLength) & 0xff);
        const bytes = Uint8Array.from({ length: end + HMAC_TAG_LENGTH }, (_, i) => (i * 31 + end) & 0xff);
        const want = createHmac('sha256', key).update(bytes.subarray(0, end)).digest().subarray(0, HMAC_TAG_LENGTH);
        const context = module.hmacCreate(key);
        module.hmacSeal(context, bytes, end);
        if (Buffer.compare(bytes.subarray(end), want) !== 0 || !module.hmacCheck(context, bytes, end)) return false;
        bytes[end] = bytes[end]! ^ 1;
        return !module.hmacCheck(context, bytes, end);
      }),
    ),
  );
}

type Tagger = (bytes: Uint8Array, end: number) => Buffer;
type OneShotHash = (algorithm: string, data: Uint8Array, outputEncoding: 'buffer') => Buffer;
// Typed by hand: @types/node for 20.10 does not declare it; undefined before Node 20.12.
const oneShotHash = (cryptoModule as unknown as { hash?: OneShotHash }).hash;

function contextHmac(key: Uint8Array): Tagger {
  const k = Buffer.from(key);
  return (bytes, end) => createHmac('sha256', k).update(bytes.subarray(0, end)).digest();
}

/** HMAC-SHA256 by definition (RFC 2104), reusing the padded key blocks across datagrams. */
function definitionHmac(key: Uint8Array, hash: OneShotHash): Tagger {
  const BLOCK = 64;
  const k = key.length > BLOCK ? hash('sha256', key, 'buffer') : key;
  let inner = Buffer.alloc(BLOCK + 2048); // K ^ ipad, then the message
  const outer = Buffer.alloc(BLOCK + 32); // K ^ opad, then the inner digest
  for (let i = 0; i < BLOCK; i++) {
    inner[i] = (k[i] ?? 0) ^ 0x36;
    outer[i] = (k[i] ?? 0) ^ 0x5c;
  }
  return (bytes, end) => {
    if (inner.length < BLOCK + end) {
      const grown = Buffer.alloc(BLOCK + end);
      inner.copy(grown, 0, 0, BLOCK);
      inner = grown;
    }
    inner.set(bytes.subarray(0, end), BLOCK);
    outer.set(hash('sha256', inner.subarray(0, BLOCK + end), 'buffer'), BLOCK);
    return hash('sha256', outer, 'buffer');
  };
}

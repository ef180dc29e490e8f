/**
 * Per-datagram integrity tags. Open LAN mode uses CRC-32 (zlib.crc32, native in Node 20.20:
 * catches corruption, not forgery). The format reserves a tag kind byte and a variable tag length,
 * which the keyed kinds use: a truncated HMAC-SHA256 (hmacSha256.ts) and AES-256-GCM
 * (aes256Gcm.ts), each with a native and a node:crypto implementation of the same bytes. The
 * tag kinds and the scheme interface live in integrityScheme.ts, which the schemes import; this
 * file picks a scheme by kind and re-exports them all for importers.
 */
import { crc32 } from 'node:zlib';
import { aes256GcmScheme, gcmImplementation } from './aes256Gcm.js';
import { hmacSha256Scheme, macImplementation } from './hmacSha256.js';
import { TagKind, type IntegrityScheme } from './integrityScheme.js';

export { aes256GcmScheme, GCM_TRAILER_LENGTH, gcmImplementation } from './aes256Gcm.js';
export { HMAC_TAG_LENGTH, hmacSha256Scheme, macImplementation } from './hmacSha256.js';
export { TagKind, type IntegrityScheme } from './integrityScheme.js';

export const crc32Scheme: IntegrityScheme = {
  kind: TagKind.Crc32,
  tagLength: 4,
  seal(bytes, end) {
    const c = crc32(bytes.subarray(0, end));
    bytes[end] = c >>> 24;
    bytes[end + 1] = (c >>> 16) & 0xff;
    bytes[end + 2] = (c >>> 8) & 0xff;
    bytes[end + 3] = c & 0xff;
  },
  check(bytes, end) {
    if (bytes.length < end + 4) return false;
    const c = crc32(bytes.subarray(0, end));
    const t = ((bytes[end]! << 24) | (bytes[end + 1]! << 16) | (bytes[end + 2]! << 8) | bytes[end + 3]!) >>> 0;
    return c === t;
  },
};

export class IntegrityKeyError extends Error {
  override readonly name = 'IntegrityKeyError';
}

/** The scheme of a manifest's tag kind; keyed kinds need the stream's key. */
export function integrityFor(tagKind: number, key?: Uint8Array): IntegrityScheme {
  switch (tagKind) {
    case TagKind.Crc32:
      return crc32Scheme;
    case TagKind.HmacSha256_128:
      if (key === undefined) throw new IntegrityKeyError('HMAC-tagged datagrams need the stream key from an authenticated handshake');
      return hmacSha256Scheme(key);
    case TagKind.Aes256Gcm:
      if (key === undefined) throw new IntegrityKeyError('encrypted datagrams need the stream key from an authenticated handshake');
      return aes256GcmScheme(key);
    default:
      throw new IntegrityKeyError(`tag kind ${tagKind} is not supported by this version`);
  }
}

/** One log line for a keyed tag kind: which implementation runs it here, and why not the native one. */
export function logTagImplementation(log: { info(obj: object, msg: string): void }, tagKind: number): void {
  const [what, impl] = tagKind === TagKind.Aes256Gcm ? ['AES-256-GCM', gcmImplementation()] : ['HMAC-SHA256', macImplementation()];
  log.info(
    { tagKind, ...impl },
    impl.reason === undefined ? `datagram ${what} by the native module` : `datagram ${what} by node:crypto (slower per datagram: ${impl.reason})`,
  );
}

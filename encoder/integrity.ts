/**
 * Per-datagram integrity tags. Open LAN mode uses CRC-32 (zlib.crc32, native in Node 20.20:
 * catches corruption, not forgery). The format reserves a tag kind byte and a variable tag length
 * so the security issue can add a truncated HMAC-SHA256 or an AEAD tag without a new version.
 */
import { crc32 } from 'node:zlib';

export const TagKind = {
  Crc32: 1,
  /** Reserved: HMAC-SHA256 truncated to 16 bytes (authenticated mode). */
  HmacSha256_128: 2,
  /** Reserved: AES-256-GCM tag (encrypted mode). */
  Aes256Gcm: 3,
} as const;
export type TagKind = (typeof TagKind)[keyof typeof TagKind];

export interface IntegrityScheme {
  readonly kind: TagKind;
  /** Bytes the tag occupies at the end of the datagram. */
  readonly tagLength: number;
  /** Writes the tag of `bytes[0, end)` into `bytes[end, end + tagLength)`. */
  seal(bytes: Uint8Array, end: number): void;
  /** True when `bytes[end, end + tagLength)` is the tag of `bytes[0, end)`. */
  check(bytes: Uint8Array, end: number): boolean;
}

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

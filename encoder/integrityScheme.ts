/**
 * The datagram tag kinds and the interface every tag scheme implements. A file of its own so the
 * schemes (aes256Gcm.ts, hmacSha256.ts) and the registry that picks one (integrity.ts) both
 * import it and neither imports the other's importer.
 */

/** The tag kind byte a manifest announces for a stream's datagrams (docs/protocol.md). */
export const TagKind = {
  /** CRC-32 (open mode: catches corruption, not forgery). */
  Crc32: 1,
  /** HMAC-SHA256 truncated to 16 bytes (authenticated mode: enrolled receivers). */
  HmacSha256_128: 2,
  /** AES-256-GCM: the symbol encrypted, a 12-byte nonce and the 16-byte tag (encrypted mode). */
  Aes256Gcm: 3,
} as const;
export type TagKind = (typeof TagKind)[keyof typeof TagKind];

export interface IntegrityScheme {
  readonly kind: TagKind;
  /** Bytes the tag occupies at the end of the datagram. */
  readonly tagLength: number;
  /**
   * Writes the tag of `bytes[0, end)` into `bytes[end, end + tagLength)`. An encrypting scheme
   * also encrypts the symbol, `bytes[24, end)`, in place.
   */
  seal(bytes: Uint8Array, end: number): void;
  /**
   * True when `bytes[end, end + tagLength)` is the tag of `bytes[0, end)`. An encrypting scheme
   * then decrypts the symbol in place (and leaves the bytes untouched when it returns false).
   */
  check(bytes: Uint8Array, end: number): boolean;
}

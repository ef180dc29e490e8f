/**
 * Loader of the optional native crypto module (encoder/native/*.c, built by `npm ci` when the
 * machine has a C compiler and Node's headers; encoder/native/build.mjs).
 *
 * MAC and encrypted modes tag every datagram at the sender and check it at every receiver.
 * node:crypto makes each of those a few objects and Buffers: a new Cipheriv per GCM nonce
 * (object churn costing several times the cipher itself), two one-shot hashes and copies per
 * HMAC.
 * The module keeps per-key state (an OpenSSL GCM context; the SHA-256 states after the HMAC
 * pads) across datagrams. It is an accelerator only: the wire bytes are the same, and
 * aes256Gcm.ts / hmacSha256.ts fall back to node:crypto when the module is absent, disabled,
 * or disagrees with node:crypto in their load-time checks.
 *
 * FOUNTCAST_NATIVE=0 disables it (A/B benchmarks, or a user who distrusts compiled code).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Per-key state inside the module (opaque; freed by the garbage collector). */
export type NativeGcmContext = { readonly nativeGcmContext: unique symbol };
export type NativeHmacContext = { readonly nativeHmacContext: unique symbol };
export type NativeBlake3Hasher = { readonly nativeBlake3Hasher: unique symbol };
export type NativeFileHash = { readonly nativeFileHash: unique symbol };
export type NativeRaptorQEncoder = { readonly nativeRaptorQEncoder: unique symbol };

export interface NativeCrypto {
  gcmCreate(key: Uint8Array): NativeGcmContext;
  /** Encrypts bytes[header, end) in place; writes the nonce at end and the 16-byte tag after it. */
  gcmSeal(context: NativeGcmContext, bytes: Uint8Array, header: number, end: number, nonce: Uint8Array): void;
  /** True when the tag authenticates bytes[0, end); only then is bytes[header, end) decrypted. */
  gcmOpen(context: NativeGcmContext, bytes: Uint8Array, header: number, end: number): boolean;
  hmacCreate(key: Uint8Array): NativeHmacContext;
  /** Writes HMAC-SHA256(bytes[0, end)) truncated to 16 bytes at end. */
  hmacSeal(context: NativeHmacContext, bytes: Uint8Array, end: number): void;
  /** The 16 bytes at end are that tag (constant-time comparison); false on bad arguments. */
  hmacCheck(context: NativeHmacContext, bytes: Uint8Array, end: number): boolean;
  /**
   * Reads up to min(lengths.length, buffer.length / slotBytes, 256) datagrams from a non-blocking
   * UDP descriptor (recvmmsg): datagram i at buffer[i * slotBytes, + lengths[i]), a cut one's
   * length reported as slotBytes + 1. Returns how many (0: none waiting) or -errno. With
   * `segments` (UDP GRO on): segments[i] is the size of the datagrams message i coalesces, 0 for
   * one datagram. Absent from builds before it (receiver/datagramReader.ts checks).
   */
  recvBatch?(fd: number, buffer: Uint8Array, slotBytes: number, lengths: Uint32Array, segments?: Uint32Array): number;
  /** Turns UDP GRO on for a UDP descriptor: 0, or -errno. Absent from builds before it. */
  enableUdpGro?(fd: number): number;
  /**
   * Sends datagrams 0..count-1 (datagram i at buffer[i * slotBytes, + lengths[i])) on a connected
   * non-blocking UDP descriptor (sendmmsg). Returns how many the kernel took, in order (0: its
   * buffer is full), or -errno when the first failed. With `gso`, runs of equal datagrams go as
   * UDP GSO sends. Absent from builds before it.
   */
  sendBatch?(fd: number, buffer: Uint8Array, slotBytes: number, lengths: Uint32Array, count: number, gso?: boolean): number;
  /**
   * Decodes one RaptorQ segment (one source block) into out[0, transferLength): 1 decoded, 0 the
   * symbols were not enough, -1 the codec failed. Throws on arguments of the wrong shape. Absent
   * when the module was built without Rust (encoder/raptorqNative.ts wraps it).
   */
  /** BLAKE3-256 of `bytes` into out[0, 32) (control/segmentHash.ts). Absent from builds before it. */
  blake3Hash?(bytes: Uint8Array, out: Uint8Array): void;
  blake3Create?(): NativeBlake3Hasher;
  blake3Update?(hasher: NativeBlake3Hasher, bytes: Uint8Array): void;
  /** The digest of everything given so far into out[0, 32). */
  blake3Digest?(hasher: NativeBlake3Hasher, out: Uint8Array): void;
  /**
   * Hashes bytes [offset, offset + length) of `fd` in segments of `segmentSize` on a thread of its
   * own (encoder/native/blake3File.c): onEvent(0, first, digests), then onEvent(1, segments, null),
   * or onEvent(2, errno, message) (errno 0: the file ended early; a read error has its errno and an
   * empty message). Throws on bad arguments.
   */
  blake3HashFile?(
    fd: number,
    offset: number,
    length: number,
    segmentSize: number,
    nice: number,
    onEvent: (kind: 0 | 1 | 2, value: number, payload: Uint8Array | string | null) => void,
  ): NativeFileHash;
  /** Stops a blake3HashFile: no event follows. */
  blake3HashFileCancel?(handle: NativeFileHash): void;
  /** node:zlib's crc32(bytes), computed in the module (encoder/crc32Tags.ts). Absent from builds before it. */
  crc32?(bytes: Uint8Array): number;
  /** Writes the CRC-32 tag (last four bytes) of datagrams from..to-1 of a slab; throws on shapes that do not fit. */
  sealCrc32Tags?(buffer: Uint8Array, slotBytes: number, lengths: Uint32Array, from: number, to: number): number;
  /** verdicts[i] = 1 when datagram i names tag kind `kind` (byte 4) and its CRC-32 tag is right, else 0. */
  checkCrc32Tags?(buffer: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number, kind: number, verdicts: Uint8Array): void;
  /** A segment's RaptorQ encoder (its intermediate symbols, outside the JS heap; encoder/raptorqNative.ts). */
  raptorqEncoderCreate?(transferLength: number, symbolSize: number, subBlocks: number, alignment: number, data: Uint8Array): NativeRaptorQEncoder;
  /** Repair symbols first.. (ESI K + first + i), count * T bytes into out: 1, or -1 (the codec failed). */
  raptorqEncoderRepair?(encoder: NativeRaptorQEncoder, first: number, count: number, out: Uint8Array): number;
  /** Releases the encoder's memory now (idempotent). */
  raptorqEncoderFree?(encoder: NativeRaptorQEncoder): void;
  raptorqDecode?(
    transferLength: number,
    symbolSize: number,
    subBlocks: number,
    alignment: number,
    source: Uint8Array,
    sourcePresent: Uint8Array,
    repairIds: Uint32Array,
    repair: Uint8Array,
    out: Uint8Array,
  ): number;
}

export interface NativeCryptoStatus {
  readonly module: NativeCrypto | undefined;
  /** Why it is not in use (absent, disabled, failed to load). */
  readonly reason?: string;
}

const MODULE_FILE = 'build/Release/fountcast_native.node';
/** Set by a single-file bundle, which carries the module as an asset (cli/bundleEntry.ts). */
let providedPath: string | undefined;

/** The built module's path, or undefined when this install has none. */
export function nativeModulePath(): string | undefined {
  // From encoder/ (sources under test) or dist/encoder/ (the build): the package root is one or
  // two levels up.
  const candidates = ['../', '../../'].map((up) => fileURLToPath(new URL(up + MODULE_FILE, import.meta.url)));
  return candidates.find((p) => existsSync(p));
}

/**
 * Loads the module from `path` now (a copy a single-file bundle wrote out of itself), for this
 * thread: later loadNativeCrypto() calls return it. Call before anything uses the module.
 */
export function useNativeModuleAt(path: string): NativeCryptoStatus {
  providedPath = path;
  status = undefined;
  return loadNativeCrypto();
}
const FUNCTIONS = ['gcmCreate', 'gcmSeal', 'gcmOpen', 'hmacCreate', 'hmacSeal', 'hmacCheck'] as const;
let status: NativeCryptoStatus | undefined;

/** The module, loaded once per thread; undefined (with a reason) when it cannot be used. */
export function loadNativeCrypto(): NativeCryptoStatus {
  status ??= load();
  return status;
}

function load(): NativeCryptoStatus {
  if (process.env.FOUNTCAST_NATIVE === '0') return { module: undefined, reason: 'disabled by FOUNTCAST_NATIVE=0' };
  const path = providedPath ?? nativeModulePath();
  if (path === undefined) return { module: undefined, reason: `${MODULE_FILE} not built` };
  try {
    // process.dlopen, not require: a single-file executable's require knows built-in modules only.
    const holder = { exports: {} as Record<string, unknown> };
    process.dlopen(holder, path);
    const loaded = holder.exports;
    const missing = FUNCTIONS.filter((f) => typeof loaded[f] !== 'function');
    if (missing.length > 0) return { module: undefined, reason: `${path} lacks ${missing.join(', ')}` };
    return { module: loaded as unknown as NativeCrypto };
  } catch (e) {
    return { module: undefined, reason: `${path} failed to load: ${(e as Error).message}` };
  }
}

const verified = new Map<string, NativeCryptoStatus>();

/**
 * The module for one of its schemes, once `agrees` (that scheme's known-answer check against
 * node:crypto) has returned true; checked once per scheme and thread.
 */
export function verifiedNativeCrypto(scheme: string, agrees: (m: NativeCrypto) => boolean): NativeCryptoStatus {
  let v = verified.get(scheme);
  if (v === undefined) {
    const loaded = loadNativeCrypto();
    if (loaded.module === undefined) v = loaded;
    else {
      try {
        v = agrees(loaded.module) ? loaded : { module: undefined, reason: `the native ${scheme} disagrees with node:crypto on a test datagram` };
      } catch (e) {
        v = { module: undefined, reason: `the native ${scheme} failed its check: ${(e as Error).message}` };
      }
    }
    verified.set(scheme, v);
  }
  return v;
}

/** Which implementation a scheme runs on in this thread, and why not the native one. */
export interface CryptoImplementation {
  implementation: 'native' | 'node:crypto';
  reason?: string;
}

export function implementationOf(v: NativeCryptoStatus): CryptoImplementation {
  return v.module ? { implementation: 'native' } : { implementation: 'node:crypto', reason: v.reason };
}

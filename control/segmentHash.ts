/**
 * The segment digest: BLAKE3-256 of a segment's bytes (Manifest.segmentDigests, 32 bytes each).
 * Both ends hash every byte of a transfer once, for this digest, so its speed is a floor under
 * the CPU per byte at each end: BLAKE3 runs at ~10 GB/s on one AVX-512 core of this project's
 * hosts in the native module (encoder/native/blake3Hash.c over the reference C code), against
 * ~2.2 GB/s for OpenSSL's SHA-256 with SHA-NI. Without the native module @noble/hashes' BLAKE3
 * computes the same digests in JavaScript, far slower (tens of MB/s): an install without a C
 * compiler still verifies every byte, at that cost.
 *
 * SHA-256 stays where users compare with other tools: the object's plain identity (`send
 * --sha256`) and a tree's per-file digests.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { loadNativeCrypto, type NativeCrypto } from '../encoder/nativeCrypto.js';

export const SEGMENT_DIGEST_BYTES = 32;

/** An incremental segment hash: update as bytes come, digest once at the end. */
export interface SegmentHasher {
  update(data: Uint8Array): SegmentHasher;
  digest(): Buffer;
}

type NativeBlake3 = Required<Pick<NativeCrypto, 'blake3Hash' | 'blake3Create' | 'blake3Update' | 'blake3Digest'>>;

let native: NativeBlake3 | null | undefined;

function nativeBlake3(): NativeBlake3 | null {
  if (native === undefined) {
    const m = process.env.FOUNTCAST_NATIVE_BLAKE3 === '0' ? undefined : loadNativeCrypto().module;
    native = m?.blake3Hash && m.blake3Create && m.blake3Update && m.blake3Digest && agrees(m as NativeBlake3) ? (m as NativeBlake3) : null;
  }
  return native;
}

/**
 * BLAKE3 of KNOWN_INPUT (3,000 bytes, byte i = (29 i + 11) mod 256: more than two 1 KiB chunks,
 * so the tree's parent nodes are in it), as @noble/hashes computes it; a test recomputes it.
 * A constant rather than computed at each start: compiling and running the JavaScript BLAKE3
 * cost ~1.5 ms of every sender's and receiver's start-up.
 */
export const KNOWN_INPUT_BLAKE3 = '3a2fb8058435153ebe525f83c512000f2a395c62672974178f97294aae8bd705';

export function knownInput(): Uint8Array {
  return Uint8Array.from({ length: 3000 }, (_, i) => (i * 29 + 11) & 0xff);
}

/** The module's digest of a known input is the known answer (checked once per thread). */
function agrees(m: NativeBlake3): boolean {
  const out = new Uint8Array(SEGMENT_DIGEST_BYTES);
  m.blake3Hash(knownInput(), out);
  return Buffer.from(out).toString('hex') === KNOWN_INPUT_BLAKE3;
}

/** Which implementation hashes segments in this thread (bench lines, the start-up warning below). */
export function segmentHashImplementation(): 'native' | 'javascript' {
  return nativeBlake3() ? 'native' : 'javascript';
}

/**
 * One warning at start-up when segments are hashed in JavaScript: that caps a transfer near the
 * hash's ~70 MB/s at each end, which an admin should hear about rather than guess.
 */
export function warnIfSlowSegmentHash(log: { warn(obj: object, msg: string): void }): void {
  if (segmentHashImplementation() === 'native') return;
  const reason = process.env.FOUNTCAST_NATIVE_BLAKE3 === '0' ? 'FOUNTCAST_NATIVE_BLAKE3=0' : (loadNativeCrypto().reason ?? 'the native module has no BLAKE3');
  log.warn(
    { segmentHash: 'javascript', reason },
    'segment digests (BLAKE3) are computed in JavaScript, ~70 MB/s: install with a C compiler to build the native module',
  );
}

/** The digest of one whole segment. */
export function segmentDigest(data: Uint8Array): Buffer {
  const m = nativeBlake3();
  if (m === null) return Buffer.from(blake3(data));
  const out = Buffer.allocUnsafe(SEGMENT_DIGEST_BYTES);
  m.blake3Hash(data, out);
  return out;
}

export function segmentHasher(): SegmentHasher {
  const m = nativeBlake3();
  if (m === null) {
    const h = blake3.create();
    const hasher: SegmentHasher = {
      update(data) {
        h.update(data);
        return hasher;
      },
      digest: () => Buffer.from(h.digest()),
    };
    return hasher;
  }
  const context = m.blake3Create();
  const hasher: SegmentHasher = {
    update(data) {
      m.blake3Update(context, data);
      return hasher;
    },
    digest() {
      const out = Buffer.allocUnsafe(SEGMENT_DIGEST_BYTES);
      m.blake3Digest(context, out);
      return out;
    },
  };
  return hasher;
}

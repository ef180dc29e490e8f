/**
 * Loader of the optional native AES-256-GCM module (encoder/native/aes256gcm.c, built by
 * `npm ci` when the machine has a C compiler and Node's headers; encoder/native/build.mjs).
 *
 * Encrypted mode seals every datagram at the sender and opens it at every receiver. node:crypto
 * can only do that with a new Cipheriv per nonce (measured 5-10 us per 1.4 kB datagram, mostly
 * object and buffer churn); the module keeps one OpenSSL context per stream key (~1 us). It is an
 * accelerator only: the wire format is the same, and integrity.ts falls back to node:crypto when
 * the module is absent, disabled, or disagrees with node:crypto in its load-time check.
 *
 * FOUNTCAST_NATIVE=0 disables it (A/B benchmarks, or a user who distrusts compiled code).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** An OpenSSL context bound to one key (opaque; freed by the garbage collector). */
export type NativeGcmContext = { readonly nativeGcmContext: unique symbol };

export interface NativeGcm {
  create(key: Uint8Array): NativeGcmContext;
  /** Encrypts bytes[header, end) in place; writes the nonce at end and the 16-byte tag after it. */
  seal(context: NativeGcmContext, bytes: Uint8Array, header: number, end: number, nonce: Uint8Array): void;
  /** True when the tag authenticates bytes[0, end); only then is bytes[header, end) decrypted. */
  open(context: NativeGcmContext, bytes: Uint8Array, header: number, end: number): boolean;
}

export interface NativeGcmStatus {
  readonly module: NativeGcm | undefined;
  /** Why it is not in use (absent, disabled, failed to load). */
  readonly reason?: string;
}

const MODULE_FILE = 'build/Release/fountcast_native.node';
let status: NativeGcmStatus | undefined;

/** The module, loaded once per thread; undefined (with a reason) when it cannot be used. */
export function loadNativeGcm(): NativeGcmStatus {
  status ??= load();
  return status;
}

function load(): NativeGcmStatus {
  if (process.env.FOUNTCAST_NATIVE === '0') return { module: undefined, reason: 'disabled by FOUNTCAST_NATIVE=0' };
  // From encoder/ (sources under test) or dist/encoder/ (the build): the package root is one or
  // two levels up.
  const candidates = ['../', '../../'].map((up) => fileURLToPath(new URL(up + MODULE_FILE, import.meta.url)));
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) return { module: undefined, reason: `${MODULE_FILE} not built` };
  try {
    const loaded = createRequire(import.meta.url)(path) as Partial<NativeGcm>;
    if (typeof loaded.create !== 'function' || typeof loaded.seal !== 'function' || typeof loaded.open !== 'function') {
      return { module: undefined, reason: `${path} lacks create/seal/open` };
    }
    return { module: loaded as NativeGcm };
  } catch (e) {
    return { module: undefined, reason: `${path} failed to load: ${(e as Error).message}` };
  }
}

/**
 * What a single-file bundle carries besides its code: one JSON asset with its receiver's name
 * and secret, the trusted publishers' public keys (SPKI PEM, re-exported so a private key given
 * by mistake is never embedded) and optional defaults; the raptorq wasm as a second asset; and,
 * where the install built it, the native module as a third (BLAKE3, batched UDP, native decode).
 */
import { KeyFileError, parsePublicKey } from '../control/publication.js';
import { parseReceiverKey } from '../control/keyFiles.js';
import type { EmbeddedReceiver } from './receiveCommand.js';

export const BUNDLE_CONFIG_ASSET = 'fountcast-receiver.json';
export const BUNDLE_WASM_ASSET = 'raptorq_bg.wasm';
export const BUNDLE_NATIVE_ASSET = 'fountcast_native.node';

export interface BundleConfig {
  readonly format: 1;
  /** The receiver key file's text, exactly as in the sender's --keys directory. */
  readonly key: string;
  readonly fingerprint: string;
  /** Trusted publishers, SPKI PEM. */
  readonly trust: readonly string[];
  readonly sender?: string;
  readonly out?: string;
  /** The fountcast version that built it. */
  readonly version: string;
}

export interface LoadedBundle {
  readonly name: string;
  readonly fingerprint: string;
  readonly version: string;
  readonly embedded: EmbeddedReceiver;
}

export function parseBundleConfig(text: string): LoadedBundle {
  const c = JSON.parse(text) as BundleConfig;
  if (c.format !== 1 || typeof c.key !== 'string' || !Array.isArray(c.trust) || c.trust.length === 0)
    throw new KeyFileError('the embedded receiver configuration is not one this program reads');
  const key = parseReceiverKey(c.key, 'the embedded receiver key');
  return {
    name: key.name,
    fingerprint: c.fingerprint,
    version: c.version,
    embedded: { key, trust: c.trust.map((pem, i) => parsePublicKey(pem, `embedded trusted key ${i + 1}`)), sender: c.sender, out: c.out },
  };
}

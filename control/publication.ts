/**
 * Signed manifests. A publisher signs, with its Ed25519 key, what defines the file — name,
 * size, segment layout, codec, every segment's digest and the object's identity (and its kind), a tree's entries —
 * plus a publication time that serves as its version. Receivers that trust the key accept the manifest only if the
 * signature holds, so the hashes that decide what gets written come from the publisher, whoever
 * relays the stream. Per-session fields (session id, rate, timeouts, data plane, tag kind) are
 * not signed: changing them can cost time, never the file's content.
 *
 * node:crypto signs and verifies Ed25519 natively; it runs once per transfer, so speed is not
 * the reason: it is the one API that also reads and writes the PEM
 * key files users manage with openssl.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { Manifest, Publication } from './messages.js';

const DOMAIN = 'fountcast-publication-v1\n';

/**
 * The bytes a publisher signs: a fixed prefix and a JSON array of the signed fields, in order.
 * A tree appends its entries, each as a fixed-order array, so a single file's bytes are the
 * same with or without tree support and every field of every entry is covered.
 */
export function publicationBytes(m: Manifest, publishedAt: number): Uint8Array {
  const fields: unknown[] = [m.fileName, m.fileSize, m.segmentSize, m.symbolSize, m.codec, m.segmentDigests, m.fileSha256, publishedAt];
  // A string, never an array: it cannot be taken for the entries that may follow it.
  if (m.fileDigest !== undefined) fields.push(m.fileDigest);
  if (m.entries !== undefined) fields.push(m.entries.map((e) => [e.path, e.kind, e.size, e.mode, e.mtimeMs, e.sha256 ?? null, e.target ?? null]));
  return Buffer.from(DOMAIN + JSON.stringify(fields), 'utf8');
}

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

/** A publisher key pair as PEM (PKCS#8 private, SPKI public), as `fountcast keygen` writes it. */
export function generatePublisherKeys(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyFileError(`${what} is a ${key.asymmetricKeyType ?? key.type} key, not Ed25519`);
  return key;
}

function parseKey(pem: string | Buffer, what: string, kind: 'private' | 'public'): KeyObject {
  try {
    return ed25519(kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem), what);
  } catch (e) {
    if (e instanceof KeyFileError) throw e;
    throw new KeyFileError(`${what} is not a PEM ${kind} key: ${(e as Error).message}`);
  }
}

export function parsePrivateKey(pem: string | Buffer, what = 'private key'): KeyObject {
  return parseKey(pem, what, 'private');
}

export function parsePublicKey(pem: string | Buffer, what = 'public key'): KeyObject {
  return parseKey(pem, what, 'public');
}

/** The raw 32-byte Ed25519 public key (as carried in Publication.publisher). */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}

/** Short id of a publisher key for logs and the replay state: SHA-256 of the raw key, 16 hex. */
export function publisherId(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/** The manifest with a publication signed by `privateKey`. */
export function signManifest(m: Manifest, privateKey: KeyObject, publishedAt: number): Manifest {
  if (privateKey.type !== 'private') throw new KeyFileError('the signing key must be a private key');
  ed25519(privateKey, 'the signing key');
  if (!Number.isSafeInteger(publishedAt) || publishedAt < 0) throw new RangeError(`publishedAt ${publishedAt} must be ms since the epoch`);
  const { publication: _, ...unsigned } = m;
  const signature = sign(null, publicationBytes(unsigned as Manifest, publishedAt), privateKey);
  const publication: Publication = { publishedAt, publisher: rawPublicKey(privateKey).toString('base64'), signature: signature.toString('base64') };
  return { ...unsigned, publication };
}

export type PublicationVerdict =
  | { readonly ok: true; readonly publisherId: string; readonly publishedAt: number }
  | { readonly ok: false; readonly reason: 'unsigned' | 'untrusted-key' | 'bad-signature'; readonly detail: string };

/**
 * Checks a manifest against the trusted publisher keys. The codec has already checked the
 * publication's shape (32-byte key, 64-byte signature).
 */
export function verifyPublication(m: Manifest, trusted: readonly KeyObject[]): PublicationVerdict {
  const p = m.publication;
  if (p === undefined)
    return { ok: false, reason: 'unsigned', detail: 'the manifest is not signed, and this receiver accepts only signed manifests (--trust)' };
  // The codec refuses this pairing already; a signature must cover the hashes, never stand without them.
  if (m.digestsFollow || m.segmentDigests === undefined || m.fileSha256 === undefined)
    return { ok: false, reason: 'unsigned', detail: 'the signed manifest carries no hashes: its signature would cover nothing' };
  const raw = Buffer.from(p.publisher, 'base64');
  const id = publisherId(raw);
  const key = trusted.find((k) => rawPublicKey(k).equals(raw));
  if (key === undefined) return { ok: false, reason: 'untrusted-key', detail: `the manifest is signed by publisher ${id}, which this receiver does not trust` };
  if (!verify(null, publicationBytes(m, p.publishedAt), key, Buffer.from(p.signature, 'base64'))) {
    return { ok: false, reason: 'bad-signature', detail: `the manifest's signature by publisher ${id} does not verify: it was altered or forged` };
  }
  return { ok: true, publisherId: id, publishedAt: p.publishedAt };
}

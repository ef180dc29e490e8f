/**
 * Authenticated receivers: the handshake's cryptography. Each enrolled receiver shares a 32-byte
 * secret with the sender (`fountcast enroll`); no secret ever crosses the wire.
 *
 *   receiver -> Hello.auth { name, nR }
 *   sender   -> Challenge  { nS, proof_S = HMAC(secret, "fountcast-sender-proof-v1" | name | nR | nS) }
 *   receiver checks proof_S (it talks to a sender that knows its secret), then
 *   receiver -> AuthResponse { proof_R = HMAC(secret, "fountcast-receiver-proof-v1" | name | nR | nS) }
 *   sender checks proof_R; both derive sessionKey = HKDF-SHA256(secret, salt nR | nS, info
 *   "fountcast-session-v1" | name), and the manifest carries the stream's datagram MAC key sealed
 *   with AES-256-GCM under sessionKey, bound to the manifest's session id.
 *
 * Fresh nonces on both sides make every proof and session key new, so a recorded handshake
 * replays nothing. The datagram key is per stream: one per unicast receiver; one per shared
 * (multicast) session, given to every member — which is why an insider of the group can forge
 * datagrams, and why the signed segment hashes, not the MAC, guard the file (docs/security.md).
 *
 * HMAC, AES-GCM and random bytes come from node:crypto (native). HKDF comes from @noble/hashes:
 * off the hot path (once per handshake), and its API takes and returns plain bytes, where
 * node:crypto's hkdfSync returns an ArrayBuffer and wants KeyObject juggling for nothing.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { KeyWrap } from './messages.js';

export const RECEIVER_SECRET_BYTES = 32;
export const NONCE_BYTES = 32;
export const DATA_KEY_BYTES = 32;

const enc = (s: string) => Buffer.from(s, 'utf8');

function transcript(label: string, name: string, receiverNonce: Uint8Array, senderNonce: Uint8Array): Buffer {
  const n = enc(name);
  return Buffer.concat([enc(label), Buffer.of(n.length), n, receiverNonce, senderNonce]);
}

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

export function senderProof(secret: Uint8Array, name: string, receiverNonce: Uint8Array, senderNonce: Uint8Array): Buffer {
  return createHmac('sha256', secret)
    .update(transcript('fountcast-sender-proof-v1', name, receiverNonce, senderNonce))
    .digest();
}

export function receiverProof(secret: Uint8Array, name: string, receiverNonce: Uint8Array, senderNonce: Uint8Array): Buffer {
  return createHmac('sha256', secret)
    .update(transcript('fountcast-receiver-proof-v1', name, receiverNonce, senderNonce))
    .digest();
}

/** Constant-time comparison of a received proof (already checked to be 32 bytes by the codec). */
export function proofMatches(expected: Uint8Array, received: Uint8Array): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}

export function sessionKey(secret: Uint8Array, name: string, receiverNonce: Uint8Array, senderNonce: Uint8Array): Uint8Array {
  return hkdf(sha256, secret, Buffer.concat([receiverNonce, senderNonce]), Buffer.concat([enc('fountcast-session-v1'), enc(name)]), 32);
}

function aad(sessionId: number): Buffer {
  const b = Buffer.alloc(24);
  b.write('fountcast-keywrap-v1', 0, 'utf8');
  b.writeUInt32BE(sessionId >>> 0, 20);
  return b;
}

/** Seals the stream's datagram key for one receiver, bound to the manifest's session id. */
export function wrapDataKey(key: Uint8Array, dataKey: Uint8Array, sessionId: number): KeyWrap {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad(sessionId));
  const sealed = Buffer.concat([c.update(dataKey), c.final(), c.getAuthTag()]);
  return { iv: iv.toString('base64'), sealed: sealed.toString('base64') };
}

/** The datagram key, or undefined when the wrap does not open under this key and session id. */
export function unwrapDataKey(key: Uint8Array, wrap: KeyWrap, sessionId: number): Uint8Array | undefined {
  const iv = Buffer.from(wrap.iv, 'base64');
  const sealed = Buffer.from(wrap.sealed, 'base64');
  if (iv.length !== 12 || sealed.length !== DATA_KEY_BYTES + 16) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad(sessionId));
    d.setAuthTag(sealed.subarray(DATA_KEY_BYTES));
    return Buffer.concat([d.update(sealed.subarray(0, DATA_KEY_BYTES)), d.final()]);
  } catch {
    return undefined;
  }
}

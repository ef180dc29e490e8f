import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../util/random.js';
import { newNonce, proofMatches, receiverProof, senderProof, sessionKey, unwrapDataKey, wrapDataKey } from '../../control/auth.js';
import type { ControlConnection, ControlEvent } from '../../control/connection.js';
import { ReceiverConnection } from '../../control/receiverConnection.js';
import { SenderConnection } from '../../control/senderConnection.js';
import type { Manifest } from '../../control/messages.js';
import { datagramLength, parseDatagram, writeDatagram } from '../../encoder/datagram.js';
import {
  aes256GcmScheme,
  crc32Scheme,
  HMAC_TAG_LENGTH,
  hmacSha256Scheme,
  integrityFor,
  IntegrityKeyError,
  TagKind,
  type IntegrityScheme,
} from '../../encoder/integrity.js';
import { decodeMessage, encodeMessage } from '../../control/messageCodec.js';
import { encodeFrame } from '../../control/framing.js';

const secret = Buffer.alloc(32, 9);
const other = Buffer.alloc(32, 10);

describe('handshake cryptography', () => {
  const nR = newNonce();
  const nS = newNonce();

  it('proofs are role-, name-, nonce- and key-bound; both ends derive the same session key', () => {
    const sp = senderProof(secret, 'pc-1', nR, nS);
    expect(proofMatches(sp, senderProof(secret, 'pc-1', nR, nS))).toBe(true);
    // A receiver's proof cannot be replayed as a sender's (reflection), nor across names, nonces, keys.
    for (const wrong of [
      receiverProof(secret, 'pc-1', nR, nS),
      senderProof(secret, 'pc-2', nR, nS),
      senderProof(secret, 'pc-1', newNonce(), nS),
      senderProof(other, 'pc-1', nR, nS),
    ]) {
      expect(proofMatches(sp, wrong)).toBe(false);
    }
    expect(Buffer.from(sessionKey(secret, 'pc-1', nR, nS))).toEqual(Buffer.from(sessionKey(secret, 'pc-1', nR, nS)));
    expect(Buffer.from(sessionKey(secret, 'pc-1', nR, nS))).not.toEqual(Buffer.from(sessionKey(secret, 'pc-1', nR, newNonce())));
  });

  it('the wrapped datagram key opens only under the same session key and session id, untampered', () => {
    const k = sessionKey(secret, 'pc-1', nR, nS);
    const dataKey = Buffer.alloc(32, 3);
    const w = wrapDataKey(k, dataKey, 1234);
    expect(Buffer.from(unwrapDataKey(k, w, 1234)!)).toEqual(dataKey);
    expect(unwrapDataKey(k, w, 1235)).toBeUndefined();
    expect(unwrapDataKey(sessionKey(other, 'pc-1', nR, nS), w, 1234)).toBeUndefined();
    const sealed = Buffer.from(w.sealed, 'base64');
    sealed[5]! ^= 1;
    expect(unwrapDataKey(k, { ...w, sealed: sealed.toString('base64') }, 1234)).toBeUndefined();
    // Fresh IV each time: the same key wrapped twice never looks the same.
    expect(wrapDataKey(k, dataKey, 1234).iv).not.toBe(w.iv);
  });
});

// Both implementations (the native module when it is built, and node:crypto) give the same bytes.
describe.each([
  ['native module (when built)', true],
  ['node:crypto', false],
])('encrypted datagrams (tag kind 3, AES-256-GCM), %s', (_, native) => {
  const T = 64;
  const key = Buffer.alloc(32, 4);
  const plain = Buffer.alloc(T, 0x41);
  const expect3 = (integrity = aes256GcmScheme(key, { native })) => ({
    sessionId: 5,
    symbolSize: T,
    segmentCount: 2,
    encodingSymbolIdLimit: 1 << 24,
    integrity,
  });
  const seal = (scheme = aes256GcmScheme(key, { native })) => {
    const d = new Uint8Array(datagramLength(T, scheme));
    writeDatagram(d, { sessionId: 5, sequenceNumber: 1, segmentIndex: 1, encodingSymbolId: 3 }, plain, scheme);
    return d;
  };

  it('hides the symbol, never repeats a nonce, and opens to the exact symbol', () => {
    const sender = aes256GcmScheme(key, { native });
    const a = seal(sender);
    const b = seal(sender);
    expect(a.length).toBe(24 + T + 28);
    expect(Buffer.from(a.subarray(24, 24 + T)).includes(Buffer.alloc(8, 0x41))).toBe(false);
    // Same symbol twice: another nonce, another ciphertext.
    expect(Buffer.from(a.subarray(24 + T, 24 + T + 12))).not.toEqual(Buffer.from(b.subarray(24 + T, 24 + T + 12)));
    expect(Buffer.from(a.subarray(24, 24 + T))).not.toEqual(Buffer.from(b.subarray(24, 24 + T)));
    const v = parseDatagram(a, expect3());
    expect(v.ok && Buffer.from(v.symbol)).toEqual(plain);
  });

  it('rejects any flipped bit (header, body, nonce or tag) and another key, leaving the bytes as they came', () => {
    const d = seal();
    for (const at of [1, 9, 16, 23, 30, 24 + T + 3, d.length - 1]) {
      const bad = d.slice();
      bad[at]! ^= 0x01;
      const before = Buffer.from(bad);
      expect(parseDatagram(bad, expect3()).ok, `byte ${at}`).toBe(false);
      expect(Buffer.from(bad)).toEqual(before);
    }
    expect(parseDatagram(d.slice(), expect3(aes256GcmScheme(Buffer.alloc(32, 5), { native })))).toEqual({ ok: false, reason: 'bad-tag' });
  });
});

// Both implementations (the native module when it is built, and node:crypto) give the same tags.
describe.each([
  ['native module (when built)', true],
  ['node:crypto', false],
])('datagram MAC (tag kind 2), %s', (_, native) => {
  const T = 64;
  const mac = hmacSha256Scheme(Buffer.alloc(32, 1), { native });
  const expect_ = (integrity: IntegrityScheme = mac) => ({ sessionId: 5, symbolSize: T, segmentCount: 2, encodingSymbolIdLimit: 1 << 24, integrity });
  const d = new Uint8Array(datagramLength(T, mac));
  writeDatagram(d, { sessionId: 5, sequenceNumber: 1, segmentIndex: 1, encodingSymbolId: 3 }, new Uint8Array(T).fill(7), mac);

  it('accepts its own, rejects any flipped bit, another key, and CRC-sealed datagrams', () => {
    expect(parseDatagram(d, expect_()).ok).toBe(true);
    for (const at of [0, 9, 12, 20, 30, d.length - 1]) {
      const bad = d.slice();
      bad[at]! ^= 0x10;
      expect(parseDatagram(bad, expect_()).ok, `byte ${at}`).toBe(false);
    }
    expect(parseDatagram(d, expect_(hmacSha256Scheme(Buffer.alloc(32, 2), { native })))).toEqual({ ok: false, reason: 'bad-tag' });
    const open = new Uint8Array(datagramLength(T, crc32Scheme));
    writeDatagram(open, { sessionId: 5, sequenceNumber: 1, segmentIndex: 1, encodingSymbolId: 3 }, new Uint8Array(T), crc32Scheme);
    expect(parseDatagram(open, expect_()).ok).toBe(false);
    // And an open receiver does not take MACed datagrams for CRC ones.
    expect(parseDatagram(d, expect_(crc32Scheme)).ok).toBe(false);
  });

  it('its tag is HMAC-SHA256 truncated to 16 bytes, for any key and length (same as createHmac)', () => {
    const r = new SeededRandom(31);
    // Key lengths around the 64-byte block (a longer key is hashed first), lengths up to past
    // the scratch buffer's first size.
    for (const keyLength of [16, 32, 63, 64, 65, 100]) {
      const key = r.fill(new Uint8Array(keyLength));
      const scheme = hmacSha256Scheme(key, { native });
      for (const end of [0, 1, 24, 1412, 2047, 2049, 9000]) {
        const bytes = r.fill(new Uint8Array(end + HMAC_TAG_LENGTH));
        scheme.seal(bytes, end);
        const want = createHmac('sha256', key).update(bytes.subarray(0, end)).digest().subarray(0, HMAC_TAG_LENGTH);
        expect(Buffer.from(bytes.subarray(end)).equals(want), `key ${keyLength}, ${end} bytes`).toBe(true);
        expect(scheme.check(bytes, end)).toBe(true);
        bytes[end + (end % HMAC_TAG_LENGTH)]! ^= 0x80;
        expect(scheme.check(bytes, end)).toBe(false);
        expect(scheme.check(bytes.subarray(0, end + HMAC_TAG_LENGTH - 1), end)).toBe(false);
      }
    }
  });
});

describe('datagram tag kinds', () => {
  it('keyed tag kinds need a key; unknown kinds are refused by name', () => {
    expect(() => integrityFor(TagKind.HmacSha256_128)).toThrow(IntegrityKeyError);
    expect(() => integrityFor(TagKind.Aes256Gcm)).toThrow(IntegrityKeyError);
    expect(() => integrityFor(99, Buffer.alloc(32))).toThrow(/not supported/);
    expect(integrityFor(TagKind.Crc32)).toBe(crc32Scheme);
  });

  it('a manifest with a keyed tag kind must carry its key wrap, and only then', () => {
    const m = {
      type: 'manifest',
      sessionId: 1,
      fileName: 'a',
      fileSize: 10,
      segmentSize: 1392,
      symbolSize: 1392,
      codec: 'raptorq',
      segmentDigests: Buffer.alloc(32).toString('base64'),
      fileSha256: '0'.repeat(64),
      rateBytesPerSecond: 0,
      idleTimeoutMs: 5000,
      heartbeatIntervalMs: 1000,
    };
    const wrap = { iv: Buffer.alloc(12).toString('base64'), sealed: Buffer.alloc(48).toString('base64') };
    const decode = (v: object) => decodeMessage(new TextEncoder().encode(JSON.stringify(v))).ok;
    expect(decode({ ...m, tagKind: 2, keyWrap: wrap })).toBe(true);
    expect(decode({ ...m, tagKind: 2 })).toBe(false);
    expect(decode({ ...m, tagKind: 1, keyWrap: wrap })).toBe(false);
    expect(decode({ ...m, tagKind: 2, keyWrap: { ...wrap, iv: Buffer.alloc(11).toString('base64') } })).toBe(false);
  });
});

/** Moves every frame each side produced to the other until both are quiet. */
function pump(a: ControlConnection, b: ControlConnection, now: number): { a: ControlEvent[]; b: ControlEvent[] } {
  const events = { a: [] as ControlEvent[], b: [] as ControlEvent[] };
  for (let moved = true; moved;) {
    moved = false;
    for (let f = a.pollTransmit(); f; f = a.pollTransmit(), moved = true) b.handleBytes(now, f);
    for (let f = b.pollTransmit(); f; f = b.pollTransmit(), moved = true) a.handleBytes(now, f);
  }
  for (let e = a.pollEvent(); e; e = a.pollEvent()) events.a.push(e);
  for (let e = b.pollEvent(); e; e = b.pollEvent()) events.b.push(e);
  return events;
}

describe('challenge–response on the control state machines', () => {
  const manifest = {
    type: 'manifest',
    sessionId: 1,
    fileName: 'a',
    fileSize: 10,
    segmentSize: 1392,
    symbolSize: 1392,
    codec: 'raptorq',
    segmentDigests: Buffer.alloc(32).toString('base64'),
    fileSha256: '0'.repeat(64),
    rateBytesPerSecond: 0,
    tagKind: 1,
    idleTimeoutMs: 5000,
    heartbeatIntervalMs: 1000,
  } as Manifest;
  const hello = {
    type: 'hello',
    version: 4,
    receiverId: 'r',
    codecs: ['raptorq'],
    udpPort: 1,
    window: 4,
    auth: { name: 'pc-1', nonce: Buffer.alloc(32, 1).toString('base64') },
  } as const;
  const challenge = { type: 'challenge', nonce: Buffer.alloc(32, 2).toString('base64'), proof: Buffer.alloc(32, 3).toString('base64') } as const;

  it('runs Hello, Challenge, AuthResponse, Manifest in order', () => {
    const s = new SenderConnection({ now: 0 });
    const r = new ReceiverConnection({ now: 0 });
    r.start(0, hello);
    expect(pump(s, r, 1).a.map((e) => e.type)).toEqual(['hello']);
    s.challenge(challenge);
    const e1 = pump(s, r, 2);
    expect(e1.b).toEqual([{ type: 'challenge', challenge }]);
    expect(r.state).toBe('challenge-received');
    r.respond({ type: 'auth-response', proof: Buffer.alloc(32, 4).toString('base64') });
    expect(pump(s, r, 3).a.map((e) => e.type)).toEqual(['auth-response']);
    s.acceptHello(manifest);
    expect(pump(s, r, 4).b.map((e) => e.type)).toEqual(['manifest']);
    expect(r.state).toBe('manifest-received');
  });

  it('refuses an AuthResponse nobody asked for, and a Challenge after the manifest', () => {
    const s = new SenderConnection({ now: 0 });
    s.handleBytes(0, encodeFrame(encodeMessage({ type: 'auth-response', proof: challenge.proof })));
    expect(s.closed).toBe(true);
    expect(s.closeReason).toMatch(/unexpected/);
    const r = new ReceiverConnection({ now: 0 });
    r.start(0, hello);
    expect(() => r.respond({ type: 'auth-response', proof: challenge.proof })).toThrow(/respond in state hello-sent/);
    r.handleBytes(1, encodeFrame(encodeMessage(manifest)));
    r.handleBytes(2, encodeFrame(encodeMessage(challenge)));
    expect(r.closed).toBe(true);
  });
});

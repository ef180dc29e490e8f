/**
 * The data-plane datagram: a fixed 24-byte header, one symbol, an integrity tag.
 *
 *  offset size field
 *   0     2   magic 0xFC 0x57
 *   2     1   version (1)
 *   3     1   type (1 = symbol)
 *   4     1   tag kind (1 = CRC-32; 2, 3 reserved for HMAC / AEAD)
 *   5     1   flags (0; receivers reject unknown bits)
 *   6     2   symbol length T
 *   8     4   session id
 *  12     4   sequence number (per stream, wraps at 2^32)
 *  16     4   segment index
 *  20     1   source block number (RFC 6330 SBN; always 0: one block per segment)
 *  21     3   encoding symbol id (RFC 6330 ESI, 24 bits)
 *  24     T   symbol
 *  24+T   L   tag over bytes [0, 24+T)
 * All integers big-endian. Bytes 20..23 are exactly RFC 6330's FEC Payload ID.
 */
import type { IntegrityScheme } from './integrity.js';

export const DATAGRAM_MAGIC = 0xfc57;
export const DATAGRAM_VERSION = 1;
export const DATAGRAM_TYPE_SYMBOL = 1;
export const HEADER_LENGTH = 24;
/** Largest UDP payload over IPv4. */
export const MAX_DATAGRAM_LENGTH = 65_507;

export interface SymbolHeader {
  readonly sessionId: number;
  readonly sequenceNumber: number;
  readonly segmentIndex: number;
  readonly encodingSymbolId: number;
}

/** What a receiver expects of every datagram of its session (from the manifest). */
export interface DatagramExpectations {
  readonly sessionId: number;
  readonly symbolSize: number;
  readonly segmentCount: number;
  /** Exclusive bound on ESI (the codec's encodingSymbolIdLimit). */
  readonly encodingSymbolIdLimit: number;
  readonly integrity: IntegrityScheme;
}

export const DATAGRAM_REJECT_REASONS = [
  'too-short',
  'bad-magic',
  'bad-version',
  'bad-type',
  'bad-tag-kind',
  'bad-flags',
  'length-mismatch',
  'wrong-session',
  'bad-tag',
  'segment-out-of-range',
  'bad-source-block',
  'esi-out-of-range',
] as const;
export type DatagramRejectReason = (typeof DATAGRAM_REJECT_REASONS)[number];

export interface AcceptedDatagram extends SymbolHeader {
  readonly ok: true;
  /** View of the symbol inside the datagram (T bytes); copy it if the datagram is reused. */
  readonly symbol: Uint8Array;
}
export interface RejectedDatagram {
  readonly ok: false;
  readonly reason: DatagramRejectReason;
}
export type DatagramVerdict = AcceptedDatagram | RejectedDatagram;

export function datagramLength(symbolSize: number, integrity: IntegrityScheme): number {
  return HEADER_LENGTH + symbolSize + integrity.tagLength;
}

/**
 * Writes header, symbol and tag into `out` (at least datagramLength bytes) and returns the
 * datagram length. `symbol` must be exactly the session's T bytes.
 */
export function writeDatagram(out: Uint8Array, header: SymbolHeader, symbol: Uint8Array, integrity: IntegrityScheme): number {
  const t = symbol.length;
  const end = HEADER_LENGTH + t;
  out[0] = DATAGRAM_MAGIC >>> 8;
  out[1] = DATAGRAM_MAGIC & 0xff;
  out[2] = DATAGRAM_VERSION;
  out[3] = DATAGRAM_TYPE_SYMBOL;
  out[4] = integrity.kind;
  out[5] = 0;
  out[6] = t >>> 8;
  out[7] = t & 0xff;
  writeU32(out, 8, header.sessionId);
  writeU32(out, 12, header.sequenceNumber);
  writeU32(out, 16, header.segmentIndex);
  out[20] = 0;
  out[21] = (header.encodingSymbolId >>> 16) & 0xff;
  out[22] = (header.encodingSymbolId >>> 8) & 0xff;
  out[23] = header.encodingSymbolId & 0xff;
  out.set(symbol, HEADER_LENGTH);
  integrity.seal(out, end);
  return end + integrity.tagLength;
}

/** Validates everything before the symbol may reach a decoder. Never throws. */
export function parseDatagram(bytes: Uint8Array, expect: DatagramExpectations): DatagramVerdict {
  if (bytes.length < HEADER_LENGTH) return reject('too-short');
  if (((bytes[0]! << 8) | bytes[1]!) !== DATAGRAM_MAGIC) return reject('bad-magic');
  if (bytes[2] !== DATAGRAM_VERSION) return reject('bad-version');
  if (bytes[3] !== DATAGRAM_TYPE_SYMBOL) return reject('bad-type');
  if (bytes[4] !== expect.integrity.kind) return reject('bad-tag-kind');
  if (bytes[5] !== 0) return reject('bad-flags');
  const t = (bytes[6]! << 8) | bytes[7]!;
  if (t !== expect.symbolSize || bytes.length !== HEADER_LENGTH + t + expect.integrity.tagLength) {
    return reject('length-mismatch');
  }
  if (readU32(bytes, 8) !== expect.sessionId) return reject('wrong-session');
  if (!expect.integrity.check(bytes, HEADER_LENGTH + t)) return reject('bad-tag');
  const segmentIndex = readU32(bytes, 16);
  if (segmentIndex >= expect.segmentCount) return reject('segment-out-of-range');
  if (bytes[20] !== 0) return reject('bad-source-block');
  const encodingSymbolId = (bytes[21]! << 16) | (bytes[22]! << 8) | bytes[23]!;
  if (encodingSymbolId >= expect.encodingSymbolIdLimit) return reject('esi-out-of-range');
  return {
    ok: true,
    sessionId: expect.sessionId,
    sequenceNumber: readU32(bytes, 12),
    segmentIndex,
    encodingSymbolId,
    symbol: bytes.subarray(HEADER_LENGTH, HEADER_LENGTH + t),
  };
}

function reject(reason: DatagramRejectReason): RejectedDatagram {
  return { ok: false, reason };
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = (v >>> 24) & 0xff;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * The data-plane datagram: a fixed 24-byte header, one symbol, an integrity tag.
 *
 *  offset size field
 *   0     2   magic 0xFC 0x57
 *   2     1   version (1)
 *   3     1   type (1 = symbol)
 *   4     1   tag kind (1 = CRC-32, 2 = HMAC-SHA256-128, 3 = AES-256-GCM: integrityScheme.ts)
 *   5     1   flags (0; receivers reject unknown bits)
 *   6     2   symbol length T
 *   8     4   session id
 *  12     4   sequence number (per stream, wraps at 2^32)
 *  16     4   segment index
 *  20     1   source block number (RFC 6330 SBN; always 0: one block per segment)
 *  21     3   encoding symbol id (RFC 6330 ESI, 24 bits)
 *  24     T   symbol
 *  24+T   L   tag over bytes [0, 24+T) (AES-256-GCM: the symbol is ciphertext and the 28-byte
 *             trailer is the nonce, then the GCM tag)
 * All integers big-endian. Bytes 20..23 are exactly RFC 6330's FEC Payload ID.
 *
 * Type 2 (combined source symbols): the XOR of c source symbols of one segment (2 <= c <= 8),
 * sent in a shared stream as one resend that serves several receivers at once, each of which
 * lacks exactly one of them (sender/resendQueue.ts). Bytes 21..23 hold the smallest ESI; the other
 * c - 1 ESIs follow the header, 3 bytes each, strictly ascending; then the T-byte XOR, then the
 * tag over everything before it. c is implied by the length (24 + 3(c-1) + T + L), so no count
 * byte sits where an encrypted stream's ciphertext begins.
 */
import { TagKind, type IntegrityScheme } from './integrityScheme.js';

export const DATAGRAM_MAGIC = 0xfc57;
export const DATAGRAM_VERSION = 1;
export const DATAGRAM_TYPE_SYMBOL = 1;
export const DATAGRAM_TYPE_COMBINED = 2;
/** Most source symbols one combined datagram carries (its ESI list adds 3 bytes per extra id). */
export const MAX_COMBINED_SYMBOLS = 8;
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
  /** A combined datagram whose ids are not strictly ascending (or whose count is out of range). */
  'bad-combination',
] as const;
export type DatagramRejectReason = (typeof DATAGRAM_REJECT_REASONS)[number];

export interface AcceptedDatagram extends SymbolHeader {
  readonly ok: true;
  /** View of the symbol inside the datagram (T bytes); copy it if the datagram is reused. */
  readonly symbol: Uint8Array;
  /**
   * Type 2 only: every ESI the symbol combines, ascending (the first is encodingSymbolId). The
   * receiver still checks that they are source ids of the segment.
   */
  readonly combinedIds?: readonly number[];
}
export interface RejectedDatagram {
  readonly ok: false;
  readonly reason: DatagramRejectReason;
}
export type DatagramVerdict = AcceptedDatagram | RejectedDatagram;

export function datagramLength(symbolSize: number, integrity: IntegrityScheme, combined = 1): number {
  return HEADER_LENGTH + 3 * (combined - 1) + symbolSize + integrity.tagLength;
}

/** IPv4 packets (fragments) a UDP payload of `bytes` takes on a 1500-byte MTU. */
/** IP packets a UDP payload of `bytes` takes on a 1500-byte MTU (IPv6's header is 20 bytes longer, a fragment header 8). */
function fragments(bytes: number, family: 4 | 6): number {
  if (family === 4) return Math.ceil((bytes + 8) / 1480);
  return bytes + 8 <= 1460 ? 1 : Math.ceil((bytes + 8) / 1448);
}

/**
 * Most symbols a combined datagram may carry without taking one IP fragment more than a plain
 * one on a 1500-byte MTU (with the default T and CRC32C tags, room for all 8 over either
 * family; over IPv6 fewer with longer tags); 1 = none.
 */
export function maxCombinedSymbols(symbolSize: number, integrity: IntegrityScheme, family: 4 | 6 = 4): number {
  const plain = fragments(datagramLength(symbolSize, integrity), family);
  let c = MAX_COMBINED_SYMBOLS;
  while (c > 1 && fragments(datagramLength(symbolSize, integrity, c), family) > plain) c--;
  return c;
}

/**
 * Writes header, symbol and tag into `out` (at least datagramLength bytes) and returns the
 * datagram length. `symbol` must be exactly the session's T bytes.
 */
export function writeDatagram(out: Uint8Array, header: SymbolHeader, symbol: Uint8Array, integrity: IntegrityScheme): number {
  return writeFrame(out, header, DATAGRAM_TYPE_SYMBOL, HEADER_LENGTH, symbol, integrity);
}

/**
 * A type-2 datagram: `symbol` is the XOR of the source symbols `ids` (2..MAX_COMBINED_SYMBOLS,
 * strictly ascending; header.encodingSymbolId is ignored). Returns the datagram length.
 */
export function writeCombinedDatagram(
  out: Uint8Array,
  header: Omit<SymbolHeader, 'encodingSymbolId'>,
  ids: readonly number[],
  symbol: Uint8Array,
  integrity: IntegrityScheme,
): number {
  if (ids.length < 2 || ids.length > MAX_COMBINED_SYMBOLS)
    throw new RangeError(`a combined datagram carries 2..${MAX_COMBINED_SYMBOLS} symbols, not ${ids.length}`);
  let at = HEADER_LENGTH;
  for (let i = 1; i < ids.length; i++) {
    if (ids[i]! <= ids[i - 1]!) throw new RangeError('combined symbol ids must be strictly ascending');
    out[at++] = (ids[i]! >>> 16) & 0xff;
    out[at++] = (ids[i]! >>> 8) & 0xff;
    out[at++] = ids[i]! & 0xff;
  }
  return writeFrame(out, { ...header, encodingSymbolId: ids[0]! }, DATAGRAM_TYPE_COMBINED, at, symbol, integrity);
}

/** Header at 0, symbol at `symbolAt` (anything between is the caller's), tag after it. */
function writeFrame(out: Uint8Array, header: SymbolHeader, type: number, symbolAt: number, symbol: Uint8Array, integrity: IntegrityScheme): number {
  const t = symbol.length;
  const end = symbolAt + t;
  out[0] = DATAGRAM_MAGIC >>> 8;
  out[1] = DATAGRAM_MAGIC & 0xff;
  out[2] = DATAGRAM_VERSION;
  out[3] = type;
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
  out.set(symbol, symbolAt);
  integrity.seal(out, end);
  return end + integrity.tagLength;
}

/**
 * Validates everything before the symbol may reach a decoder. Never throws. `crcChecked`: the
 * reader already found a CRC-32 tag right over these very bytes (the last four the CRC-32 of the
 * rest, encoder/crc32Tags.ts); it stands in for the tag check only on a CRC-32 stream, where the
 * length check has put the tag at the end.
 */
export function parseDatagram(bytes: Uint8Array, expect: DatagramExpectations, crcChecked = false): DatagramVerdict {
  if (bytes.length < HEADER_LENGTH) return reject('too-short');
  if (((bytes[0]! << 8) | bytes[1]!) !== DATAGRAM_MAGIC) return reject('bad-magic');
  if (bytes[2] !== DATAGRAM_VERSION) return reject('bad-version');
  const type = bytes[3];
  if (type !== DATAGRAM_TYPE_SYMBOL && type !== DATAGRAM_TYPE_COMBINED) return reject('bad-type');
  if (bytes[4] !== expect.integrity.kind) return reject('bad-tag-kind');
  if (bytes[5] !== 0) return reject('bad-flags');
  const t = (bytes[6]! << 8) | bytes[7]!;
  if (t !== expect.symbolSize) return reject('length-mismatch');
  // The ESI list of a combined datagram: its length says how many (checked before the tag,
  // which an encrypted stream needs to decrypt the list).
  const extra = bytes.length - HEADER_LENGTH - t - expect.integrity.tagLength;
  if (type === DATAGRAM_TYPE_SYMBOL ? extra !== 0 : extra < 3 || extra % 3 !== 0) return reject('length-mismatch');
  if (extra > 3 * (MAX_COMBINED_SYMBOLS - 1)) return reject('bad-combination');
  const symbolAt = HEADER_LENGTH + extra;
  if (readU32(bytes, 8) !== expect.sessionId) return reject('wrong-session');
  const tagChecked = crcChecked && expect.integrity.kind === TagKind.Crc32;
  if (!tagChecked && !expect.integrity.check(bytes, symbolAt + t)) return reject('bad-tag');
  const segmentIndex = readU32(bytes, 16);
  if (segmentIndex >= expect.segmentCount) return reject('segment-out-of-range');
  if (bytes[20] !== 0) return reject('bad-source-block');
  const encodingSymbolId = (bytes[21]! << 16) | (bytes[22]! << 8) | bytes[23]!;
  if (encodingSymbolId >= expect.encodingSymbolIdLimit) return reject('esi-out-of-range');
  const symbol = bytes.subarray(symbolAt, symbolAt + t);
  const sequenceNumber = readU32(bytes, 12);
  if (extra === 0) return { ok: true, sessionId: expect.sessionId, sequenceNumber, segmentIndex, encodingSymbolId, symbol };
  const combinedIds = [encodingSymbolId];
  for (let at = HEADER_LENGTH; at < symbolAt; at += 3) {
    const id = (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
    if (id <= combinedIds[combinedIds.length - 1]!) return reject('bad-combination');
    if (id >= expect.encodingSymbolIdLimit) return reject('esi-out-of-range');
    combinedIds.push(id);
  }
  return { ok: true, sessionId: expect.sessionId, sequenceNumber, segmentIndex, encodingSymbolId, symbol, combinedIds };
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

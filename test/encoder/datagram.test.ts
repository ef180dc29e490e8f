import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DATAGRAM_REJECT_REASONS,
  datagramLength,
  HEADER_LENGTH,
  maxCombinedSymbols,
  MAX_COMBINED_SYMBOLS,
  parseDatagram,
  writeCombinedDatagram,
  writeDatagram,
  type DatagramExpectations,
  type DatagramRejectReason,
} from '../../encoder/datagram.js';
import { aes256GcmScheme, crc32Scheme, hmacSha256Scheme, type IntegrityScheme } from '../../encoder/integrity.js';
import { SeededRandom } from '../../util/random.js';

const T = 64;
const expect_: DatagramExpectations = { sessionId: 0xabcdef01, symbolSize: T, segmentCount: 10, encodingSymbolIdLimit: 2 ** 24, integrity: crc32Scheme };
const symbol = new SeededRandom(1).fill(new Uint8Array(T));

function valid(over: Partial<{ sessionId: number; segmentIndex: number; encodingSymbolId: number; sequenceNumber: number }> = {}): Uint8Array {
  const out = new Uint8Array(datagramLength(T, crc32Scheme));
  writeDatagram(
    out,
    { sessionId: expect_.sessionId, sequenceNumber: 4_000_000_000, segmentIndex: 9, encodingSymbolId: 0xfffffe, ...over },
    symbol,
    crc32Scheme,
  );
  return out;
}

function combined(ids: number[], integrity: IntegrityScheme = crc32Scheme): Uint8Array {
  const out = new Uint8Array(datagramLength(T, integrity, ids.length));
  writeCombinedDatagram(out, { sessionId: expect_.sessionId, sequenceNumber: 77, segmentIndex: 2 }, ids, symbol, integrity);
  return out;
}

/** Re-seals after a header edit so only the intended check fails. */
function edited(at: number, value: number, reseal = true): Uint8Array {
  const d = valid();
  d[at] = value;
  if (reseal) crc32Scheme.seal(d, HEADER_LENGTH + T);
  return d;
}

describe('datagram format', () => {
  it('round-trips every field, with the RFC 6330 payload id at bytes 20..23', () => {
    const d = valid();
    expect(d.length).toBe(24 + 64 + 4);
    expect([...d.subarray(20, 24)]).toEqual([0, 0xff, 0xff, 0xfe]);
    const v = parseDatagram(d, expect_);
    expect(v).toMatchObject({ ok: true, sessionId: 0xabcdef01, sequenceNumber: 4_000_000_000, segmentIndex: 9, encodingSymbolId: 0xfffffe });
    if (v.ok) expect([...v.symbol]).toEqual([...symbol]);
  });

  it('produces every reject reason, each from its own crafted packet', () => {
    const cases: Record<DatagramRejectReason, Uint8Array> = {
      'too-short': valid().subarray(0, 23),
      'bad-magic': edited(0, 0x00),
      'bad-version': edited(2, 9),
      'bad-type': edited(3, 7),
      'bad-tag-kind': edited(4, 2),
      'bad-flags': edited(5, 1),
      'length-mismatch': valid().subarray(0, 24 + T + 3),
      'wrong-session': valid({ sessionId: 1 }),
      'bad-tag': edited(40, symbol[16]! ^ 1, false),
      'segment-out-of-range': valid({ segmentIndex: 10 }),
      'bad-source-block': edited(20, 1),
      'esi-out-of-range': valid({ encodingSymbolId: 5000 }),
      'bad-combination': (() => {
        // Second id (bytes 24..26) edited down to the first: not ascending.
        const d = combined([5, 9, 11]);
        d[26] = 5;
        crc32Scheme.seal(d, HEADER_LENGTH + 6 + T);
        return d;
      })(),
    };
    const tight = { ...expect_, encodingSymbolIdLimit: 5000 };
    for (const reason of DATAGRAM_REJECT_REASONS) {
      const v = parseDatagram(cases[reason], reason === 'esi-out-of-range' ? tight : expect_);
      expect(v, reason).toEqual({ ok: false, reason });
    }
  });

  it('round-trips a combined datagram: the ids after the header, ascending, the XOR after them', () => {
    const d = combined([3, 7, 0xfffffe]);
    expect(d.length).toBe(24 + 6 + T + 4);
    expect(d[3]).toBe(2);
    expect([...d.subarray(21, 30)]).toEqual([0, 0, 3, 0, 0, 7, 0xff, 0xff, 0xfe]);
    const v = parseDatagram(d, expect_);
    expect(v).toMatchObject({ ok: true, sequenceNumber: 77, segmentIndex: 2, encodingSymbolId: 3, combinedIds: [3, 7, 0xfffffe] });
    if (v.ok) expect([...v.symbol]).toEqual([...symbol]);
    // A plain datagram carries no list.
    const p = parseDatagram(valid(), expect_);
    expect(p.ok && p.combinedIds).toBe(undefined);
  });

  it('combined datagrams are authenticated (HMAC) and, encrypted, keep the id list secret', () => {
    const key = new Uint8Array(32).fill(7);
    for (const integrity of [hmacSha256Scheme(key), aes256GcmScheme(key)]) {
      const d = combined([1, 2, 40, 41], integrity);
      const e = { ...expect_, integrity };
      if (integrity.kind === 3) expect([...d.subarray(24, 33)]).not.toEqual([0, 0, 2, 0, 0, 40, 0, 0, 41]);
      const v = parseDatagram(d.slice(), e);
      expect(v, `kind ${integrity.kind}`).toMatchObject({ ok: true, combinedIds: [1, 2, 40, 41] });
      if (v.ok) expect([...v.symbol]).toEqual([...symbol]);
      const forged = d.slice();
      forged[25]! ^= 1; // an id byte
      expect(parseDatagram(forged, e)).toEqual({ ok: false, reason: 'bad-tag' });
    }
  });

  it('rejects combined datagrams with a count out of range, and the writer refuses to make them', () => {
    // 9 ids: one more than the format allows.
    const nine = new Uint8Array(datagramLength(T, crc32Scheme, 9));
    nine.set(combined([1, 2, 3, 4, 5, 6, 7, 8]).subarray(0, 24 + 21));
    nine[3] = 2;
    nine.set([0, 0, 9], 24 + 21);
    crc32Scheme.seal(nine, 24 + 24 + T);
    expect(parseDatagram(nine, expect_)).toEqual({ ok: false, reason: 'bad-combination' });
    // A list that is not whole 3-byte ids, and a type-2 datagram without a list.
    expect(parseDatagram(combined([1, 2]).subarray(0, 24 + 3 + T + 4 - 1), expect_)).toEqual({ ok: false, reason: 'length-mismatch' });
    expect(parseDatagram(edited(3, 2), expect_)).toEqual({ ok: false, reason: 'length-mismatch' });
    const out = new Uint8Array(200);
    expect(() => writeCombinedDatagram(out, { sessionId: 1, sequenceNumber: 0, segmentIndex: 0 }, [4], symbol, crc32Scheme)).toThrow(RangeError);
    expect(() => writeCombinedDatagram(out, { sessionId: 1, sequenceNumber: 0, segmentIndex: 0 }, [4, 4], symbol, crc32Scheme)).toThrow(RangeError);
    expect(() =>
      writeCombinedDatagram(
        out,
        { sessionId: 1, sequenceNumber: 0, segmentIndex: 0 },
        Array.from({ length: MAX_COMBINED_SYMBOLS + 1 }, (_, i) => i),
        symbol,
        crc32Scheme,
      ),
    ).toThrow(RangeError);
  });

  it('combines only as many ids as fit without one more IPv4 fragment on a 1500-byte MTU', () => {
    expect(maxCombinedSymbols(1392, crc32Scheme)).toBe(8);
    expect(maxCombinedSymbols(1392, aes256GcmScheme(new Uint8Array(32)))).toBe(8);
    // 24 + 1440 + 4 = 1468 bytes: 3 more still fit a 1472-byte payload, 6 more do not.
    expect(maxCombinedSymbols(1440, crc32Scheme)).toBe(2);
    expect(maxCombinedSymbols(1444, crc32Scheme)).toBe(1);
  });

  it('over IPv6 (a 1452-byte UDP payload) combines fewer ids where the tag is longer', () => {
    expect(maxCombinedSymbols(1392, crc32Scheme, 6)).toBe(8);
    // 1444 bytes plain with AES-GCM: two more ids (3 bytes each) fit, a third does not.
    expect(maxCombinedSymbols(1392, aes256GcmScheme(new Uint8Array(32)), 6)).toBe(3);
    // Already fragmented alone: combining adds no fragment until the next 1448-byte step.
    expect(maxCombinedSymbols(1440, crc32Scheme, 6)).toBe(8);
  });

  it('never throws on arbitrary or mutated input, and accepted fields are in range (seeded)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const v = parseDatagram(bytes, expect_);
        expect(v.ok).toBe(false);
      }),
      { seed: 42, numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(24 + T + 3), fc.nat(255)), { maxLength: 4 }), fc.boolean(), (edits, reseal) => {
        const d = valid();
        for (const [at, b] of edits) d[at] = b;
        if (reseal) crc32Scheme.seal(d, HEADER_LENGTH + T);
        const v = parseDatagram(d, expect_);
        if (v.ok) {
          expect(v.sessionId).toBe(expect_.sessionId);
          expect(v.segmentIndex).toBeLessThan(expect_.segmentCount);
          expect(v.encodingSymbolId).toBeLessThan(2 ** 24);
          expect(v.sequenceNumber >= 0 && v.sequenceNumber < 2 ** 32).toBe(true);
          expect(v.symbol.length).toBe(T);
          // Accepted means untouched where it matters: magic, version, type, tag kind, flags, SBN.
          expect([d[0], d[1], d[2], d[3], d[4], d[5], d[20]]).toEqual([0xfc, 0x57, 1, 1, 1, 0, 0]);
        }
      }),
      { seed: 42, numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(24 + 9 + T + 3), fc.nat(255)), { maxLength: 4 }), fc.nat(12), (edits, cut) => {
        const d = combined([0, 1, 2, 5]);
        for (const [at, b] of edits) d[at] = b;
        crc32Scheme.seal(d, d.length - 4);
        const v = parseDatagram(cut > 9 ? d : d.subarray(0, d.length - cut), expect_);
        if (v.ok && v.combinedIds) {
          expect(v.combinedIds[0]).toBe(v.encodingSymbolId);
          for (let i = 1; i < v.combinedIds.length; i++) expect(v.combinedIds[i]).toBeGreaterThan(v.combinedIds[i - 1]!);
          expect(v.combinedIds.length).toBeLessThanOrEqual(MAX_COMBINED_SYMBOLS);
          expect(v.symbol.length).toBe(T);
        }
      }),
      { seed: 42, numRuns: 20_000 },
    );
  });
});

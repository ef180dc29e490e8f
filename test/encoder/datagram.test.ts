import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DATAGRAM_REJECT_REASONS,
  datagramLength,
  HEADER_LENGTH,
  parseDatagram,
  writeDatagram,
  type DatagramExpectations,
  type DatagramRejectReason,
} from '../../encoder/datagram.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { SeededRandom } from '../../util/random.js';

const T = 64;
const expect_: DatagramExpectations = { sessionId: 0xabcdef01, symbolSize: T, segmentCount: 10, encodingSymbolIdLimit: 2 ** 24, integrity: crc32Scheme };
const symbol = new SeededRandom(1).fill(new Uint8Array(T));

function valid(over: Partial<{ sessionId: number; segmentIndex: number; encodingSymbolId: number; sequenceNumber: number }> = {}): Uint8Array {
  const out = new Uint8Array(datagramLength(T, crc32Scheme));
  writeDatagram(out, { sessionId: expect_.sessionId, sequenceNumber: 4_000_000_000, segmentIndex: 9, encodingSymbolId: 0xfffffe, ...over }, symbol, crc32Scheme);
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
    };
    const tight = { ...expect_, encodingSymbolIdLimit: 5000 };
    for (const reason of DATAGRAM_REJECT_REASONS) {
      const v = parseDatagram(cases[reason], reason === 'esi-out-of-range' ? tight : expect_);
      expect(v, reason).toEqual({ ok: false, reason });
    }
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
  });
});

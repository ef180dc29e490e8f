import { describe, expect, it } from 'vitest';
import { decodeSegment, raptorqCodec } from '../../encoder/raptorq.js';
import { SeededRandom } from '../../util/random.js';

const codec = raptorqCodec();

describe('RaptorQ adapter', () => {
  it.each([0, 0.1, 0.3, 0.5])('round-trips under %s seeded loss from about K symbols', (loss) => {
    for (const size of [1, 1391, 1392, 1393, 1 << 20]) {
      const seed = size + Math.round(loss * 100);
      const data = new SeededRandom(seed).fill(new Uint8Array(size));
      const params = { transferLength: size, symbolSize: 1392 };
      const enc = codec.createEncoder(data, params);
      const k = enc.sourceSymbols;
      const rnd = new SeededRandom(seed + 1);
      const symbols: { encodingSymbolId: number; data: Uint8Array }[] = [];
      for (let esi = 0; esi < k; esi++) if (rnd.next() >= loss) symbols.push({ encodingSymbolId: esi, data: enc.sourceSymbol(esi).slice() });
      for (let n = 0; symbols.length < k + 5; n++) {
        const s = enc.repairSymbol(n);
        expect(s.encodingSymbolId).toBe(enc.firstRepairId + n);
        if (rnd.next() >= loss) symbols.push({ encodingSymbolId: s.encodingSymbolId, data: s.data.slice() });
      }
      enc.free();
      enc.free(); // idempotent
      const out = decodeSegment(codec, params, symbols);
      expect(out && Buffer.compare(Buffer.from(out), Buffer.from(data)), `size ${size} seed ${seed}`).toBe(0);
    }
  });

  it('repair symbols are deterministic and never repeat ids', () => {
    const data = new SeededRandom(3).fill(new Uint8Array(100_000));
    const params = { transferLength: data.length, symbolSize: 1392 };
    const a = codec.createEncoder(data, params);
    const b = codec.createEncoder(data, params);
    const ids = new Set<number>();
    for (let n = 0; n < 300; n++) {
      const x = a.repairSymbol(n);
      expect(Buffer.compare(Buffer.from(x.data), Buffer.from(b.repairSymbol(n).data))).toBe(0);
      ids.add(x.encodingSymbolId);
    }
    expect(ids.size).toBe(300);
    a.free();
    b.free();
  });

  it('rejects invalid ids and parameters with CodecError before the wasm sees them', () => {
    const params = { transferLength: 5000, symbolSize: 1392 };
    const dec = codec.createDecoder(params);
    expect(() => dec.add(-1, new Uint8Array(1392))).toThrow(expect.objectContaining({ name: 'CodecError' }));
    expect(() => dec.add(2 ** 24, new Uint8Array(1392))).toThrow(expect.objectContaining({ name: 'CodecError' }));
    expect(() => dec.add(0, new Uint8Array(1391))).toThrow(expect.objectContaining({ name: 'CodecError' }));
    dec.free();
    expect(() => codec.createDecoder({ transferLength: 5000, symbolSize: 1391 })).toThrow(expect.objectContaining({ name: 'CodecError' }));
    expect(() => codec.createDecoder({ transferLength: 0, symbolSize: 1392 })).toThrow(expect.objectContaining({ name: 'CodecError' }));
  });
});

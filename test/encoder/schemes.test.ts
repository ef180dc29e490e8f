import { describe, expect, it } from 'vitest';
import type { Codec } from '../../encoder/codec.js';
import { arqCodec } from '../../encoder/arq.js';
import { CODEC_NAMES, codecByName, isCodecName } from '../../encoder/codecs.js';
import { compileRaptorQModule } from '../../encoder/raptorq.js';
import { gfInv, gfInvert, gfMul } from '../../encoder/gf256.js';
import { LtGraph, ltCodec } from '../../encoder/lt.js';
import { rsCodec } from '../../encoder/reedSolomon.js';
import { cumulative, robustSolitonPmf, sampleDegree } from '../../encoder/robustSoliton.js';
import { SeededRandom } from '../../util/random.js';

const T = 64;

/** Sends sources then repair through a seeded lossy link until the decoder is done. */
function transfer(codec: Codec, bytes: number, loss: number, seed: number, repairBudget = 20) {
  const rng = new SeededRandom(seed);
  const data = rng.fill(new Uint8Array(bytes));
  const params = { transferLength: bytes, symbolSize: T };
  const enc = codec.createEncoder(data, params);
  const dec = codec.createDecoder(params);
  const k = enc.sourceSymbols;
  let sent = 0;
  let done = false;
  for (let esi = 0; esi < k && !done; esi++, sent++) if (rng.next() >= loss) done = dec.add(esi, enc.sourceSymbol(esi));
  for (let n = 0; !done && n < repairBudget * k; n++, sent++) {
    const r = enc.repairSymbol(n);
    if (rng.next() >= loss) done = dec.add(r.encodingSymbolId, r.data);
  }
  return { done, k, sent, received: dec.received, ok: done && Buffer.from(dec.result()!).equals(data) };
}

describe('coding schemes round-trip under seeded loss', () => {
  const schemes: [string, Codec][] = [
    ['lt', ltCodec()],
    ['rs', rsCodec()],
    ['arq', arqCodec()],
  ];
  for (const [name, codec] of schemes) {
    for (const loss of [0, 0.05, 0.2, 0.5]) {
      it(`${name} at ${loss * 100} % loss`, () => {
        for (const seed of [1, 2, 3]) {
          const r = transfer(codec, 700 * T - 13, loss, seed);
          expect(r.ok, `seed ${seed}`).toBe(true);
          expect(r.received).toBeGreaterThanOrEqual(r.k);
        }
      });
    }
  }

  it('rs is MDS: one block decodes from any K distinct symbols', () => {
    const codec = rsCodec();
    for (const seed of [4, 5, 6, 7]) {
      const r = transfer(codec, 90 * T, 0.3, seed);
      expect(r.ok).toBe(true);
      expect(r.received).toBe(r.k); // exactly K: no reception overhead
    }
  });

  it('rs interleaves: a burst of lost sources spreads over the blocks', () => {
    const codec = rsCodec({ blockSource: 50 });
    const data = new SeededRandom(9).fill(new Uint8Array(400 * T));
    const params = { transferLength: data.length, symbolSize: T };
    const enc = codec.createEncoder(data, params);
    const dec = codec.createDecoder(params);
    for (let esi = 0; esi < 400; esi++) if (esi < 100 || esi >= 140) dec.add(esi, enc.sourceSymbol(esi)); // 40 in a row lost
    // 8 blocks each lost 5 sources: 40 repair symbols (5 rows of each block) exactly suffice.
    let done = false;
    for (let n = 0; n < 40; n++) done = dec.add(enc.repairSymbol(n).encodingSymbolId, enc.repairSymbol(n).data);
    expect(done).toBe(true);
    expect(Buffer.from(dec.result()!).equals(data)).toBe(true);
  });

  it('lt peels from repair symbols alone at modest overhead (K = 1000, every source lost)', () => {
    const overheads: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const data = new SeededRandom(seed).fill(new Uint8Array(1000 * T));
      const params = { transferLength: data.length, symbolSize: T };
      const codec = ltCodec();
      const enc = codec.createEncoder(data, params);
      const dec = codec.createDecoder(params);
      // Different seeds take different stretches of the repair sequence.
      let n = seed * 10_000;
      while (!dec.add(enc.firstRepairId + n, enc.repairSymbol(n).data)) n++;
      expect(Buffer.from(dec.result()!).equals(data)).toBe(true);
      overheads.push(dec.received / 1000 - 1);
    }
    const mean = overheads.reduce((a, b) => a + b, 0) / overheads.length;
    expect(mean).toBeGreaterThan(0); // LT needs more than K...
    expect(mean).toBeLessThan(0.5); // ...but not absurdly more
  });

  it('arq only completes with every source symbol, and its repair is a carousel of sources', () => {
    const enc = arqCodec().createEncoder(new Uint8Array(10 * T), { transferLength: 10 * T, symbolSize: T });
    expect(enc.repairSymbol(13).encodingSymbolId).toBe(3);
  });

  it('never run out of repair: each scheme cycles a defined set of ESIs, all valid and decodable', () => {
    const data = new SeededRandom(11).fill(new Uint8Array(300 * T - 5)); // K = 300
    const params = { transferLength: data.length, symbolSize: T };
    // LT: fresh ids up to 2^24 - 1, then the sequence starts over.
    const lt = ltCodec().createEncoder(data, params);
    const ltSpan = (1 << 24) - 300;
    expect(lt.repairSymbol(ltSpan - 1).encodingSymbolId).toBe((1 << 24) - 1);
    expect(lt.repairSymbol(ltSpan + 7).encodingSymbolId).toBe(300 + 7);
    expect(Buffer.from(lt.repairSymbol(ltSpan + 7).data).equals(lt.repairSymbol(7).data)).toBe(true);
    // RS (3 blocks of 100 sources): the 3 · 156 distinct rows, then the same ESIs again.
    const rsc = rsCodec();
    const rs = rsc.createEncoder(data, params);
    const period = 3 * 156;
    const ids = new Set<number>();
    for (let n = 0; n < period; n++) ids.add(rs.repairSymbol(n).encodingSymbolId);
    expect(ids.size).toBe(period);
    expect(Math.max(...ids)).toBe(300 + period - 1);
    for (const n of [period, 2 ** 24, 2 ** 40 + 5]) {
      expect(rs.repairSymbol(n).encodingSymbolId).toBe(300 + (n % period));
      expect(Buffer.from(rs.repairSymbol(n).data).equals(rs.repairSymbol(n % period).data)).toBe(true);
    }
    // Repair far past the ESI space alone decodes (RS is MDS: exactly K distinct symbols).
    const dec = rsc.createDecoder(params);
    let done = false;
    for (let n = 2 ** 30; !done; n++) done = dec.add(rs.repairSymbol(n).encodingSymbolId, rs.repairSymbol(n).data);
    expect(dec.received).toBe(300);
    expect(Buffer.from(dec.result()!).equals(data)).toBe(true);
    // ARQ: sources round and round.
    expect(
      arqCodec()
        .createEncoder(data, params)
        .repairSymbol(2 ** 40 + 1).encodingSymbolId,
    ).toBe((2 ** 40 + 1) % 300);
    for (const enc of [lt, rs])
      for (const n of [-1, 0.5, Number.NaN, 2 ** 53]) expect(() => enc.repairSymbol(n)).toThrow(expect.objectContaining({ name: 'CodecError' }));
  });

  it('rejects out-of-range ids and wrong lengths as CodecError (caller bugs), before touching state', () => {
    for (const codec of [ltCodec(), rsCodec(), arqCodec()]) {
      const dec = codec.createDecoder({ transferLength: 10 * T, symbolSize: T });
      expect(() => dec.add(-1, new Uint8Array(T))).toThrow(expect.objectContaining({ name: 'CodecError' }));
      expect(() => dec.add(0, new Uint8Array(T - 1))).toThrow(expect.objectContaining({ name: 'CodecError' }));
      expect(() => dec.add(1 << 24, new Uint8Array(T))).toThrow(expect.objectContaining({ name: 'CodecError' }));
      expect(dec.received).toBe(0);
      expect(() => codec.createDecoder({ transferLength: 0, symbolSize: T })).toThrow(expect.objectContaining({ name: 'CodecError' }));
    }
  });
});

describe('GF(256)', () => {
  it('multiplies, inverts and inverts matrices consistently', () => {
    for (let a = 1; a < 256; a++) expect(gfMul(a, gfInv(a))).toBe(1);
    expect(gfMul(0x53, 0xca)).toBe(gfMul(0xca, 0x53));
    const rng = new SeededRandom(3);
    const n = 6;
    const m = new Uint8Array(n * n).map(() => rng.nextInt(256));
    const inv = gfInvert(m, n)!;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let x = 0; x < n; x++) acc ^= gfMul(m[i * n + x]!, inv[x * n + j]!);
        expect(acc).toBe(i === j ? 1 : 0);
      }
    }
    expect(gfInvert(new Uint8Array([1, 2, 1, 2]), 2)).toBeUndefined();
  });
});

describe('robust soliton', () => {
  it('matches its formula (K = 1000, c = 0.03, δ = 0.05)', () => {
    const k = 1000;
    const mu = robustSolitonPmf({ sourceSymbols: k, c: 0.03, delta: 0.05 });
    const r = 0.03 * Math.log(k / 0.05) * Math.sqrt(k);
    const spike = Math.round(k / r);
    const raw = (d: number) => (d === 1 ? 1 / k : 1 / (d * (d - 1))) + (d < spike ? r / (d * k) : d === spike ? (r * Math.log(r / 0.05)) / k : 0);
    let beta = 0;
    for (let d = 1; d <= k; d++) beta += raw(d);
    for (const d of [1, 2, 3, 10, spike - 1, spike, spike + 1, k]) expect(mu[d]).toBeCloseTo(raw(d) / beta, 12);
    expect(mu.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('sampling follows it (seeded, 200k draws, each checked degree within 4 sigma)', () => {
    const k = 1000;
    const mu = robustSolitonPmf({ sourceSymbols: k });
    const cdf = cumulative(mu);
    const rng = new SeededRandom(11);
    const n = 200_000;
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const d = sampleDegree(cdf, rng.next());
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    for (let d = 1; d <= 5; d++) {
      const p = mu[d]!;
      const sigma = Math.sqrt(n * p * (1 - p));
      expect(Math.abs((counts.get(d) ?? 0) - n * p), `degree ${d}`).toBeLessThan(4 * sigma);
    }
  });

  it('LT neighbours are distinct, in range and the same for the same repair index', () => {
    const g = new LtGraph(500);
    for (let n = 0; n < 2000; n++) {
      const a = g.neighbours(n);
      expect(new Set(a).size).toBe(a.length);
      for (const i of a) expect(i).toBeLessThan(500);
      expect([...g.neighbours(n)]).toEqual([...a]);
    }
  });
});

describe('codec registry (names on the wire)', () => {
  it('builds every named scheme, each round-tripping at 20 % loss, and knows no other name', () => {
    const wasm = compileRaptorQModule();
    for (const name of CODEC_NAMES) {
      const codec = codecByName(name, wasm);
      expect(codec.name).toBe(name);
      expect(isCodecName(name)).toBe(true);
      const r = transfer(codec, 50 * T + 3, 0.2, 5);
      expect(r.ok).toBe(true);
    }
    for (const other of ['', 'RaptorQ', 'raptorq ', 'toString', '__proto__']) expect(isCodecName(other)).toBe(false);
  });
});

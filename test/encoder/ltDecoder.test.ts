import { describe, expect, it } from 'vitest';
import { gf2Rank, gf2Solve } from '../../encoder/gf2Elimination.js';
import { ltCodec } from '../../encoder/lt.js';
import { xorInto } from '../../encoder/sourceBlock.js';
import { SeededRandom } from '../../util/random.js';

const T = 16;

/** Symbols one decoder takes, repair only (non-systematic), until `add` (or settle every `step`) completes. */
function repairOnlyDecode(k: number, graphSeed: number, gaussianElimination: boolean, data?: Uint8Array) {
  const codec = ltCodec({ seed: graphSeed, gaussianElimination });
  const params = { transferLength: data?.length ?? k, symbolSize: data ? T : 1 };
  const enc = data ? codec.createEncoder(data, params) : undefined;
  const dec = codec.createDecoder(params);
  const one = new Uint8Array(1);
  let done = false;
  for (let n = 0; !done; n++) {
    done = dec.add(k + n, enc ? enc.repairSymbol(n).data : one);
    if (!done && gaussianElimination && dec.received >= k && n % 2 === 1) done = dec.settle!();
  }
  return { overhead: dec.received / k - 1, result: dec.result() };
}

describe('LT as in the literature (repair symbols only, robust soliton c = 0.03, δ = 0.5)', () => {
  it('peeling needs 10–20 % more than K at K = 1,000 without loss (mean of 40 seeded graphs)', () => {
    const overheads = Array.from({ length: 40 }, (_, seed) => repairOnlyDecode(1000, seed + 1, false).overhead);
    const mean = overheads.reduce((a, b) => a + b, 0) / overheads.length;
    expect(mean).toBeGreaterThan(0.1);
    expect(mean).toBeLessThan(0.2);
    // Different graph seeds are different codes: not one overhead forty times.
    expect(new Set(overheads).size).toBeGreaterThan(20);
  });

  it('Gaussian elimination when peeling stalls decodes the same data from far fewer symbols', () => {
    const k = 300;
    const peel: number[] = [];
    const ge: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const data = new SeededRandom(seed).fill(new Uint8Array(k * T - 3));
      const a = repairOnlyDecode(k, seed, false, data);
      const b = repairOnlyDecode(k, seed, true, data);
      expect(Buffer.from(a.result!).equals(data)).toBe(true);
      expect(Buffer.from(b.result!).equals(data)).toBe(true);
      peel.push(a.overhead);
      ge.push(b.overhead);
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(ge)).toBeLessThan(0.05);
    expect(mean(ge)).toBeLessThan(mean(peel) / 2);
  });

  it('settle() without elimination, or with too few symbols, says not yet', () => {
    const dec = ltCodec({ gaussianElimination: true }).createDecoder({ transferLength: 100, symbolSize: 1 });
    for (let n = 0; n < 50; n++) dec.add(100 + n, new Uint8Array(1));
    expect(dec.settle!()).toBe(false);
    expect(dec.result()).toBeUndefined();
    expect(ltCodec().createDecoder({ transferLength: 100, symbolSize: 1 }).settle!()).toBe(false);
  });
});

describe('GF(2) elimination', () => {
  it('finds the rank, and solves a full-rank system exactly', () => {
    const rng = new SeededRandom(4);
    const u = 70;
    const values = Array.from({ length: u }, () => rng.fill(new Uint8Array(8)));
    const rows = Array.from({ length: 90 }, () => {
      const columns = [...new Set(Array.from({ length: 1 + rng.nextInt(6) }, () => rng.nextInt(u)))];
      const data = new Uint8Array(8);
      for (const c of columns) xorInto(data, values[c]!);
      return { columns, data };
    });
    const rank = gf2Rank(rows, u);
    const out = Array.from({ length: u }, () => new Uint8Array(8));
    expect(rank).toBe(u); // this seed's 90 random rows do cover and span all 70
    expect(gf2Solve(rows, u, out, xorInto)).toBe(true);
    for (let c = 0; c < u; c++) expect(out[c]).toEqual(values[c]);
    // One row fewer than columns cannot have full rank.
    expect(gf2Rank(rows.slice(0, u - 1), u)).toBeLessThan(u);
    // Two equations over three unknowns, and a repeated one: rank 2, not solvable.
    const short = [{ columns: [0, 1] }, { columns: [1, 2] }, { columns: [0, 1] }];
    expect(gf2Rank(short, 3)).toBe(2);
    expect(
      gf2Solve(
        short.map((r) => ({ ...r, data: new Uint8Array(1) })),
        3,
        [new Uint8Array(1), new Uint8Array(1), new Uint8Array(1)],
        xorInto,
      ),
    ).toBe(false);
  });
});

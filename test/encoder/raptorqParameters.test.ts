import { describe, it, expect } from 'vitest';
import { Encoder } from 'raptorq/raptorq.js';
import { raptorqCodec, segmentFromSourceBlock } from '../../encoder/raptorq.js';
import { extendedSourceSymbols, partition, raptorqObjectInformation, sourceSymbolBlock } from '../../encoder/raptorqParameters.js';
import { SeededRandom } from '../../util/random.js';

const codec = raptorqCodec();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** What the wasm itself does for (length, T): first repair ESI and whether symbol 0 is a data slice. */
function wasmFacts(data: Uint8Array, t: number): { firstRepairEsi: number; symbolZeroIsSlice: boolean } {
  const e = Encoder.with_defaults(data, t);
  const packets = e.encode(1);
  e.free();
  const repair = packets[packets.length - 1]!;
  const zero = packets[0]!.subarray(4);
  return {
    firstRepairEsi: (repair[1]! << 16) | (repair[2]! << 8) | repair[3]!,
    symbolZeroIsSlice: sameBytes(zero, data.subarray(0, t)),
  };
}

describe('RFC 6330 parameters as the raptorq crate derives them', () => {
  it("K' matches values measured from the wasm", () => {
    const measured: [number, number][] = [
      [1, 10],
      [2, 10],
      [754, 759],
      [3014, 3015],
      [6027, 6039],
      [7184, 7185],
      [7533, 7596],
      [12053, 12087],
      [56403, 56403],
    ];
    for (const [k, kPrime] of measured) expect(extendedSourceSymbols(k), `K=${k}`).toBe(kPrime);
    expect(() => extendedSourceSymbols(0)).toThrow(expect.objectContaining({ name: 'CodecError' }));
    expect(() => extendedSourceSymbols(56_404)).toThrow(expect.objectContaining({ name: 'CodecError' }));
  });

  it("the K' table agrees with the wasm's first repair ESI across table boundaries", () => {
    const t = 64;
    const rng = new SeededRandom(21);
    // K right at and right after table entries: any transcription slip moves one of them.
    for (const k of [10, 11, 12, 13, 49, 50, 101, 102, 213, 214, 511, 512, 1002, 1003, 1436, 1437, 2005, 2006, 2565, 2566]) {
      const data = rng.fill(new Uint8Array(k * t));
      expect(wasmFacts(data, t).firstRepairEsi, `K=${k}`).toBe(extendedSourceSymbols(k));
      const encoder = codec.createEncoder(data, { transferLength: data.length, symbolSize: t });
      // On the wire the same symbol is RFC 6330's ESI K (the adapter rewrites the wasm's label).
      expect(encoder.firstRepairId).toBe(k);
      encoder.free();
    }
  });

  it('sub-block count switches where the wasm switches (T=1392: K 7520 -> N=1, 7521 -> N=2)', () => {
    const t = 1392;
    const rng = new SeededRandom(22);
    for (const [k, n] of [
      [7520, 1],
      [7521, 2],
    ] as const) {
      const data = rng.fill(new Uint8Array(k * t - 5));
      const info = raptorqObjectInformation(data.length, t);
      expect(info.subBlocks).toBe(n);
      expect(info.sourceBlocks).toBe(1);
      expect(wasmFacts(data, t).symbolZeroIsSlice).toBe(n === 1);
    }
  });

  it('never needs more than one source block up to K=56403, for any allowed T', () => {
    for (let t = 64; t <= 65_000; t += 8 * 97) {
      const info = raptorqObjectInformation(Math.min(56_403 * t, 256 * 1024 * 1024), t);
      expect(info.sourceBlocks).toBe(1);
      expect(info.subSymbolSizes.reduce((a, b) => a + b, 0)).toBe(t);
    }
  });

  it('rejects symbol sizes the wasm would panic on (T < 64) and oversized objects', () => {
    for (const t of [8, 16, 56]) {
      expect(() => raptorqObjectInformation(1000, t)).toThrow(expect.objectContaining({ name: 'CodecError' }));
    }
    expect(() => raptorqObjectInformation(256 * 1024 * 1024 + 1, 65_000)).toThrow(expect.objectContaining({ name: 'CodecError' }));
  });

  it('partition follows RFC 6330 4.4.1.2', () => {
    expect(partition(175, 2)).toEqual({ large: 88, small: 87, largeCount: 1, smallCount: 1 });
    expect(partition(174, 2)).toEqual({ large: 87, small: 87, largeCount: 0, smallCount: 2 });
    expect(partition(10, 3)).toEqual({ large: 4, small: 3, largeCount: 1, smallCount: 2 });
  });

  it('segmentFromSourceBlock inverts sourceSymbolBlock with one and with three sub-blocks', () => {
    const rng = new SeededRandom(23);
    for (const [length, t] of [
      [10_000, 1392],
      [21 * 1024 * 1024 + 17, 1392],
    ] as const) {
      const info = raptorqObjectInformation(length, t);
      const data = rng.fill(new Uint8Array(length));
      const block = sourceSymbolBlock(data, info);
      expect(block.length).toBe(info.sourceSymbols * t);
      expect(sameBytes(segmentFromSourceBlock(block, info), data), `N=${info.subBlocks}`).toBe(true);
    }
    expect(raptorqObjectInformation(21 * 1024 * 1024 + 17, 1392).subBlocks).toBe(3);
  });
});

import { describe, it, expect } from 'vitest';
import { Encoder } from 'raptorq/raptorq.js';
import { decodeSegment, loadRaptorQ, compileRaptorQModule, raptorqCodec, raptorqWasmMemoryBytes, type RaptorQCodec } from '../../encoder/raptorq.js';
import type { CodecParameters, EncodedSymbol } from '../../encoder/codec.js';
import {
  extendedSourceSymbols,
  RAPTORQ_ENCODING_SYMBOL_ID_LIMIT,
  RAPTORQ_MAX_PADDING_SYMBOLS,
  raptorqObjectInformation,
} from '../../encoder/raptorqParameters.js';
import { RaptorQSegmentEncoder, raptorqRepairWindow, REPAIR_POOL_BYTES, REPAIR_WINDOW_BYTES } from '../../encoder/raptorqEncoder.js';
import { SeededRandom } from '../../util/random.js';
import { CodecError } from '../../encoder/errors.js';

const T = 1392;
const codec: RaptorQCodec = raptorqCodec();

/** vitest's toEqual walks typed arrays element by element: far too slow for MiB buffers. */
function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && Buffer.compare(a, b) === 0;
}

function randomData(length: number, seed: number): Uint8Array {
  return new SeededRandom(seed).fill(new Uint8Array(length));
}

function params(data: Uint8Array, symbolSize = T): CodecParameters {
  return { transferLength: data.length, symbolSize };
}

/**
 * Sends source then repair symbols through a Bernoulli(loss) channel and feeds the survivors in
 * order until the decoder finishes. Returns the number of symbols the decoder consumed.
 */
function lossyRoundTrip(data: Uint8Array, symbolSize: number, loss: number, seed: number): { used: number; k: number } {
  const p = params(data, symbolSize);
  const encoder = codec.createEncoder(data, p);
  const decoder = codec.createDecoder(p);
  const rng = new SeededRandom(seed);
  const k = encoder.sourceSymbols;
  let used = 0;
  let done = false;
  try {
    for (let esi = 0; esi < k && !done; esi++) {
      if (rng.next() < loss) continue;
      used++;
      done = decoder.add(esi, encoder.sourceSymbol(esi));
    }
    for (let n = 0; !done; n++) {
      if (n > 4 * k + 100) throw new Error(`seed ${seed}: not decoded after ${n} repair symbols`);
      if (rng.next() < loss) continue;
      const s = encoder.repairSymbol(n);
      used++;
      done = decoder.add(s.encodingSymbolId, s.data);
    }
    expect(decoder.received).toBe(used);
    if (!sameBytes(decoder.result(), data)) throw new Error(`seed ${seed}: decoded bytes differ`);
    return { used, k };
  } finally {
    encoder.free();
    decoder.free();
  }
}

describe('raptorq codec: round trips under loss', () => {
  const sizes = [1, T - 1, T, T + 1, 1 << 20];
  const losses = [0, 0.1, 0.3, 0.5];
  it.each(sizes)('size %i decodes byte-identical within K+5 symbols at 0/10/30/50 %% loss', (size) => {
    const data = randomData(size, 1000 + size);
    const runs: string[] = [];
    for (const loss of losses) {
      const seed = size * 31 + Math.round(loss * 100);
      const { used, k } = lossyRoundTrip(data, T, loss, seed);
      runs.push(`loss=${loss} K=${k} used=${used} seed=${seed}`);
      expect(used, runs.join('; ')).toBeGreaterThanOrEqual(k);
      expect(used, runs.join('; ')).toBeLessThanOrEqual(k + 5);
    }
  });

  it('decodes from source symbols alone, without any repair symbol', () => {
    const data = randomData(300_000, 7);
    const encoder = codec.createEncoder(data, params(data));
    const symbols: EncodedSymbol[] = [];
    for (let esi = 0; esi < encoder.sourceSymbols; esi++) symbols.push({ encodingSymbolId: esi, data: encoder.sourceSymbol(esi) });
    expect(sameBytes(decodeSegment(codec, params(data), symbols), data)).toBe(true);
    // Without the last source symbol and no repair there is not enough information.
    expect(decodeSegment(codec, params(data), symbols.slice(0, -1))).toBeUndefined();
    encoder.free();
  });

  it('a sub-blocked segment (N = 2, unequal sub-symbols) round-trips and its source symbols match the wasm', () => {
    const t = 1400; // T/8 = 175 splits into 88 + 87 alignment units
    const data = randomData(11 * 1024 * 1024, 11);
    const info = raptorqObjectInformation(data.length, t);
    expect(info.subBlocks).toBe(2);
    expect(info.subSymbolSizes).toEqual([704, 696]);
    const encoder = codec.createEncoder(data, params(data, t));
    const wasm = Encoder.with_defaults(data, t);
    const packets = wasm.encode(0);
    wasm.free();
    expect(packets.length).toBe(info.sourceSymbols);
    for (const esi of [0, 1, 4000, info.sourceSymbols - 1]) {
      expect(sameBytes(encoder.sourceSymbol(esi), packets[esi]!.subarray(4))).toBe(true);
    }
    // With N > 1 a source symbol is not a plain slice of the data.
    expect(sameBytes(encoder.sourceSymbol(1), data.subarray(t, 2 * t))).toBe(false);
    encoder.free();
    const { used, k } = lossyRoundTrip(data, t, 0.1, 99);
    expect(used).toBeLessThanOrEqual(k + 5);
  });
});

describe('raptorq encoder', () => {
  it('sourceSymbol is the data slice, the last one zero-padded', () => {
    const data = randomData(3 * T + 100, 3);
    const encoder = codec.createEncoder(data, params(data));
    expect(encoder.sourceSymbols).toBe(4);
    for (let esi = 0; esi < 3; esi++) expect(sameBytes(encoder.sourceSymbol(esi), data.subarray(esi * T, (esi + 1) * T))).toBe(true);
    const last = encoder.sourceSymbol(3);
    expect(last.length).toBe(T);
    expect(sameBytes(last.subarray(0, 100), data.subarray(3 * T))).toBe(true);
    expect(last.subarray(100).every((b) => b === 0)).toBe(true);
    encoder.free();
  });

  it('repair ids are K + n, never repeat, and are identical across encoders and request orders', () => {
    const data = randomData(200_000, 5);
    const a = codec.createEncoder(data, params(data));
    const b = codec.createEncoder(data, params(data));
    // RFC 6330 section 5.3.1: repair ESIs start at K (the K' - K padding symbols are never sent).
    expect(a.firstRepairId).toBe(a.sourceSymbols);
    expect(raptorqObjectInformation(data.length, T).extendedSourceSymbols).toBeGreaterThan(a.sourceSymbols);
    const count = 600; // several pool doublings (first pool is 64)
    const fromA: EncodedSymbol[] = [];
    for (let n = 0; n < count; n++) fromA.push({ ...a.repairSymbol(n) });
    const ids = new Set(fromA.map((s) => s.encodingSymbolId));
    expect(ids.size).toBe(count);
    fromA.forEach((s, n) => expect(s.encodingSymbolId).toBe(a.firstRepairId + n));
    // b grows straight to the end first, then walks back: same bytes.
    expect(sameBytes(b.repairSymbol(count - 1).data, fromA[count - 1]!.data)).toBe(true);
    for (let n = 0; n < count; n += 37) expect(sameBytes(b.repairSymbol(n).data, fromA[n]!.data)).toBe(true);
    a.free();
    b.free();
  });

  it('releaseRepairBelow shrinks the pool and a released symbol is regenerated identically', () => {
    const data = randomData(100_000, 6);
    const e = codec.createEncoder(data, params(data));
    const first = { ...e.repairSymbol(10) };
    e.repairSymbol(200);
    expect(e.pooledRepairSymbols).toBe(256);
    e.releaseRepairBelow(150);
    expect(e.pooledRepairSymbols).toBe(256 - 150);
    const again = e.repairSymbol(10);
    expect(again.encodingSymbolId).toBe(first.encodingSymbolId);
    expect(sameBytes(again.data, first.data)).toBe(true);
    e.free();
  });

  it('does not create the wasm encoder for source symbols alone', () => {
    const before = raptorqWasmMemoryBytes();
    const data = randomData(8 * 1024 * 1024, 8);
    const e = codec.createEncoder(data, params(data));
    for (let esi = 0; esi < e.sourceSymbols; esi++) e.sourceSymbol(esi);
    // An 8 MiB wasm encoder would need tens of MiB of wasm heap; none was allocated.
    expect(raptorqWasmMemoryBytes()).toBe(before);
    e.free();
  });
});

describe('raptorq repair never runs out', () => {
  const data = randomData(40 * 256 - 17, 21); // K = 40 at T = 256
  const p = params(data, 256);
  const info = raptorqObjectInformation(data.length, 256);
  const decodes = (symbols: EncodedSymbol[]) => sameBytes(decodeSegment(codec, p, symbols), data);

  it('sizes W and P from the memory budgets, W within the ESI space and at least K', () => {
    const e = codec.createEncoder(data, p);
    expect(e.repairWindow).toBe(Math.floor(REPAIR_WINDOW_BYTES / 260));
    expect(e.repairPoolLimit).toBe(Math.floor(REPAIR_POOL_BYTES / 260));
    e.free();
    const small = raptorqObjectInformation(1000, 64); // smallest T: still far inside the ESI space
    expect(raptorqRepairWindow(small)).toBe(Math.floor(REPAIR_WINDOW_BYTES / 68));
    expect(raptorqRepairWindow(small)).toBeLessThan(2 ** 24 - small.extendedSourceSymbols);
    const big = raptorqObjectInformation(4000 * 64_992, 64_992); // K = 4000 > 64 MiB / (T + 4)
    expect(raptorqRepairWindow(big)).toBe(big.sourceSymbols);
    expect(() => new RaptorQSegmentEncoder(data, info, { repairWindow: 2 ** 24 - info.extendedSourceSymbols + 1 })).toThrow(/repair window/);
    expect(() => new RaptorQSegmentEncoder(data, info, { repairWindow: 100, repairPoolLimit: 101 })).toThrow(/pool limit/);
  });

  it('serves repair far past the pool, with the pool bounded, and high repair alone decodes', () => {
    const window = 5000;
    const poolLimit = 100;
    const e = new RaptorQSegmentEncoder(data, info, { repairWindow: window, repairPoolLimit: poolLimit });
    const reference = new RaptorQSegmentEncoder(data, info, { repairWindow: window });
    let maxPool = 0;
    const high: EncodedSymbol[] = [];
    for (let n = 0; n < window; n++) {
      const s = e.repairSymbol(n);
      e.releaseRepairBelow(n + 1);
      maxPool = Math.max(maxPool, e.pooledRepairSymbols);
      expect(s.encodingSymbolId).toBe(e.firstRepairId + n);
      if (n % 97 === 0) expect(sameBytes(s.data, reference.repairSymbol(n).data)).toBe(true);
      if (n >= window - info.sourceSymbols - 2) high.push({ ...s });
    }
    expect(maxPool).toBeLessThanOrEqual(poolLimit);
    expect(high.at(-1)!.encodingSymbolId).toBe(e.firstRepairId + window - 1);
    expect(decodes(high)).toBe(true);
    e.free();
    reference.free();
  });

  it('wraps to the first repair ESI after W and the wrapped symbols are the same, decodable ones', () => {
    const window = 300;
    const e = new RaptorQSegmentEncoder(data, info, { repairWindow: window, repairPoolLimit: 64 });
    const firstPass: EncodedSymbol[] = [];
    for (let n = 0; n < window; n++) firstPass.push({ ...e.repairSymbol(n) });
    const wrapped: EncodedSymbol[] = [];
    for (let n = 5 * window; n < 5 * window + info.sourceSymbols + 2; n++) {
      const s = e.repairSymbol(n);
      e.releaseRepairBelow(n + 1);
      expect(e.pooledRepairSymbols).toBeLessThanOrEqual(64);
      expect(s.encodingSymbolId).toBe(e.firstRepairId + (n % window));
      expect(sameBytes(s.data, firstPass[n % window]!.data)).toBe(true);
      wrapped.push({ ...s });
    }
    expect(decodes(wrapped)).toBe(true);
    // The index that would be the top of the ESI space is just another offset in the window.
    const top = e.repairSymbol(2 ** 24 - e.firstRepairId);
    expect(top.encodingSymbolId).toBe(e.firstRepairId + ((2 ** 24 - e.firstRepairId) % window));
    e.free();
  });

  it('a window as large as the ESI space wraps at its end back to the first repair ESI', () => {
    const tiny = randomData(100, 22); // K = 2, K' = 10
    const tinyInfo = raptorqObjectInformation(tiny.length, 64);
    const w = RAPTORQ_ENCODING_SYMBOL_ID_LIMIT - tinyInfo.sourceSymbols;
    const e = new RaptorQSegmentEncoder(tiny, tinyInfo, { repairWindow: w, repairPoolLimit: 64 });
    expect(e.repairSymbol(0).encodingSymbolId).toBe(2);
    // Pass 1 starts again at K: served by the pool from pass 0, no encode of 2^24 symbols.
    expect(e.repairSymbol(w).encodingSymbolId).toBe(2);
    expect(e.repairSymbol(w + 1).encodingSymbolId).toBe(3);
    expect(() => new RaptorQSegmentEncoder(tiny, tinyInfo, { repairWindow: w + 1 })).toThrow(CodecError);
    e.free();
  });
});

describe('raptorq codec: invalid input throws CodecError', () => {
  const data = randomData(5000, 9);

  function expectCodecError(fn: () => unknown): void {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(caught, 'expected a CodecError').toBeInstanceOf(Error);
    expect((caught as Error).name).toBe('CodecError');
  }

  it('rejects bad parameters', () => {
    for (const symbolSize of [0, 8, 56, 100, 1393, 65_008, 1.5, Number.NaN]) {
      expectCodecError(() => codec.createDecoder({ transferLength: 5000, symbolSize }));
      expectCodecError(() => codec.createEncoder(data, { transferLength: 5000, symbolSize }));
    }
    for (const transferLength of [0, -1, 2.5, Number.NaN, 2 ** 40]) {
      expectCodecError(() => codec.createDecoder({ transferLength, symbolSize: T }));
    }
    expectCodecError(() => codec.createDecoder({ transferLength: 64 * 56_403 + 1, symbolSize: 64 })); // K = 56404
    expectCodecError(() => codec.createEncoder(data, { transferLength: 4999, symbolSize: T })); // length mismatch
  });

  it('accepts the largest K', () => {
    const d = codec.createDecoder({ transferLength: 64 * 56_403, symbolSize: 64 });
    d.free();
  });

  it('rejects bad symbol ids and lengths', () => {
    const e = codec.createEncoder(data, params(data));
    for (const esi of [-1, e.sourceSymbols, 0.5, Number.NaN]) expectCodecError(() => e.sourceSymbol(esi));
    for (const n of [-1, 1.5, Number.NaN, Infinity, 2 ** 53]) expectCodecError(() => e.repairSymbol(n));
    const d = codec.createDecoder(params(data));
    for (const esi of [-1, 2 ** 24, 3.5, Number.NaN]) expectCodecError(() => d.add(esi, new Uint8Array(T)));
    expectCodecError(() => d.add(0, new Uint8Array(T - 1)));
    expectCodecError(() => d.add(0, new Uint8Array(T + 1)));
    expect(d.received).toBe(0);
    e.free();
    d.free();
  });

  it('refuses use after free, and free() twice is harmless', () => {
    const e = codec.createEncoder(data, params(data));
    e.repairSymbol(0);
    e.free();
    e.free();
    expectCodecError(() => e.repairSymbol(0));
    expectCodecError(() => e.sourceSymbol(0));
    const d = codec.createDecoder(params(data));
    d.add(0, new Uint8Array(T));
    d.free();
    d.free();
    expectCodecError(() => d.add(1, new Uint8Array(T)));
  });
});

describe('raptorq decoder', () => {
  it('ignores duplicates and keeps answering true after decoding', () => {
    const data = randomData(10 * T, 12);
    const e = codec.createEncoder(data, params(data));
    const d = codec.createDecoder(params(data));
    expect(d.add(0, e.sourceSymbol(0))).toBe(false);
    expect(d.add(0, e.sourceSymbol(0))).toBe(false);
    expect(d.received).toBe(1);
    let done = false;
    for (let esi = 1; esi < e.sourceSymbols; esi++) done = d.add(esi, e.sourceSymbol(esi));
    expect(done).toBe(true);
    const r = e.repairSymbol(0);
    expect(d.add(r.encodingSymbolId, r.data)).toBe(true);
    expect(d.received).toBe(e.sourceSymbols);
    expect(sameBytes(d.result(), data)).toBe(true);
    d.free();
    expect(sameBytes(d.result(), data)).toBe(true); // the result outlives free()
    e.free();
  });

  it('repair symbols alone (ids far from the source range) decode', () => {
    const data = randomData(50_000, 13);
    const e = codec.createEncoder(data, params(data));
    const repair: EncodedSymbol[] = [];
    for (let n = 500; n < 500 + e.sourceSymbols + 3; n++) repair.push({ ...e.repairSymbol(n) });
    expect(sameBytes(decodeSegment(codec, params(data), repair), data)).toBe(true);
    e.free();
  });
});

describe('raptorq wasm loading and memory', () => {
  it('loadRaptorQ with a precompiled module returns the same codec; init happens once', () => {
    expect(loadRaptorQ(compileRaptorQModule())).toBe(codec);
    expect(codec.name).toBe('raptorq');
    // 24-bit ESIs, less the most padding any K has (a repair ESI + K' - K is the wasm's label).
    expect(codec.encodingSymbolIdLimit).toBe(2 ** 24 - RAPTORQ_MAX_PADDING_SYMBOLS);
    let most = 0;
    for (let k = 1; k <= codec.maxSourceSymbols; k++) most = Math.max(most, extendedSourceSymbols(k) - k);
    expect(RAPTORQ_MAX_PADDING_SYMBOLS).toBe(most);
    expect(codec.maxSourceSymbols).toBe(56_403);
  });

  it('200 encoders and decoders of 1 MiB created and freed do not grow the wasm heap', () => {
    const data = randomData(1 << 20, 14);
    const p = params(data);
    let baseline = 0;
    for (let i = 0; i < 200; i++) {
      const e = codec.createEncoder(data, p);
      const d = codec.createDecoder(p);
      // One repair symbol in place of source 0 forces both wasm objects to do real work.
      const r = e.repairSymbol(0);
      let done = d.add(r.encodingSymbolId, r.data);
      for (let esi = 1; esi < e.sourceSymbols && !done; esi++) done = d.add(esi, e.sourceSymbol(esi));
      expect(done).toBe(true);
      e.free();
      d.free();
      if (i === 0) baseline = raptorqWasmMemoryBytes();
    }
    // Leaking one encoder (~3 MiB of wasm heap each) per iteration would add hundreds of MiB.
    expect(raptorqWasmMemoryBytes()).toBeLessThanOrEqual(baseline + 16 * 1024 * 1024);
  });
});

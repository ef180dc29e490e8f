import { describe, expect, it, vi } from 'vitest';
import type { SymbolBlock } from '../../encoder/codec.js';
import { CodecError } from '../../encoder/errors.js';
import { loadNativeCrypto } from '../../encoder/nativeCrypto.js';
import { raptorqCodec, RaptorQSegmentEncoder, wasmRaptorQ } from '../../encoder/raptorq.js';
import { nativeRaptorQ, nativeRaptorQEncoder } from '../../encoder/raptorqNative.js';
import { Encoder } from 'raptorq/raptorq.js';
import { raptorqObjectInformation } from '../../encoder/raptorqParameters.js';
import { runDecodeJob, type DecodeJob } from '../../receiver/decodeJob.js';
import { SeededRandom } from '../../util/random.js';
import { collectSymbols, type CollectedSymbols } from '../../bench/collectSymbols.js';
import { segmentDigest } from '../../control/segmentHash.js';

const native = nativeRaptorQ().decode;
const raw = loadNativeCrypto().module?.raptorqDecode;

/** What a receiver collects: sources that survived Bernoulli(loss), then repair until K + extra. */
/** What a receiver collects from the wasm encoder's symbols (bench/collectSymbols.ts). */
function collect(data: Uint8Array, symbolSize: number, loss: number, extra: number, seed: number): CollectedSymbols {
  const encoder = wasmRaptorQ().createEncoder(data, { transferLength: data.length, symbolSize });
  try {
    return collectSymbols(encoder, symbolSize, loss, extra, new SeededRandom(seed));
  } finally {
    encoder.free();
  }
}

function job(data: Uint8Array, symbolSize: number, block: SymbolBlock & { k: number }): DecodeJob {
  return {
    segmentIndex: 0,
    transferLength: data.length,
    symbolSize,
    sourceSymbols: block.k,
    ...block,
    expectedDigest: segmentDigest(data),
  };
}

describe('RaptorQ in native code (where the install had Rust 1.85+; otherwise these skip)', () => {
  it('is built and in use where the install was told to require it (CI with Rust)', () => {
    if (process.env.FOUNTCAST_REQUIRE_NATIVE_RAPTORQ === '1') {
      expect(nativeRaptorQ().reason).toBeUndefined();
      expect(raptorqCodec().decodeBlock).toBeTypeOf('function');
    } else {
      expect(raptorqCodec().decodeBlock === undefined).toBe(native === undefined);
    }
    expect(wasmRaptorQ().decodeBlock).toBeUndefined();
  });

  it.runIf(native)(
    'decodes what the wasm encoder made, to the same bytes as the wasm decoder, at sizes from one byte to sub-blocked (skipped without the native module built with Rust)',
    () => {
      const random = new SeededRandom(25);
      const cases: [number, number, number][] = [
        [1, 64, 0],
        [63 * 64, 64, 0.2],
        [4000, 64, 0.5],
        [1_000_003, 1392, 0.1],
        [4 * 1024 * 1024, 1392, 0.05],
        [11 * 1024 * 1024 + 5, 1392, 0.02],
      ];
      for (const [size, t, loss] of cases) {
        const data = random.fill(new Uint8Array(size));
        const block = collect(data, t, loss, 3, size);
        const params = { transferLength: size, symbolSize: t };
        const out = native!(params, block);
        expect(out, `F=${size}`).toBeDefined();
        expect(Buffer.from(out!).equals(Buffer.from(data)), `F=${size}`).toBe(true);
        if (size <= 4 * 1024 * 1024) {
          const byWasm = runDecodeJob(job(data, t, block), wasmRaptorQ());
          expect(byWasm.type).toBe('decoded');
        }
      }
      expect(raptorqObjectInformation(11 * 1024 * 1024 + 5, 1392).subBlocks).toBeGreaterThan(1);
    },
  );

  it.runIf(native)('answers "not enough" below K symbols, then decodes once the rest arrives (skipped without the native module built with Rust)', () => {
    const data = new SeededRandom(3).fill(new Uint8Array(200_000));
    const block = collect(data, 1392, 0.1, 0, 5);
    const fewer = {
      ...block,
      repairIds: block.repairIds.subarray(0, block.repairIds.length - 1),
      repair: block.repair.subarray(0, (block.repairIds.length - 1) * 1392),
    };
    expect(native!({ transferLength: data.length, symbolSize: 1392 }, fewer)).toBeUndefined();
    const more = collect(data, 1392, 0.1, 4, 5);
    expect(Buffer.from(native!({ transferLength: data.length, symbolSize: 1392 }, more)!).equals(Buffer.from(data))).toBe(true);
  });

  it.runIf(native)('in a receiver decode job: decoded, or hash-mismatch when a symbol was altered (skipped without the native module built with Rust)', () => {
    const data = new SeededRandom(8).fill(new Uint8Array(500_000));
    const block = collect(data, 1392, 0.1, 3, 9);
    expect(runDecodeJob(job(data, 1392, block), raptorqCodec()).type).toBe('decoded');
    const altered = { ...block, repair: block.repair.slice() };
    altered.repair[17] ^= 0x40;
    expect(runDecodeJob(job(data, 1392, altered), raptorqCodec()).type).toBe('hash-mismatch');
  });

  it.runIf(native)('refuses a block of the wrong shape with a CodecError, before the crate sees it (skipped without the native module built with Rust)', () => {
    const data = new SeededRandom(4).fill(new Uint8Array(10_000));
    const block = collect(data, 64, 0.1, 2, 1);
    const params = { transferLength: data.length, symbolSize: 64 };
    const bad: SymbolBlock[] = [
      { ...block, source: block.source.subarray(1) },
      { ...block, sourcePresent: block.sourcePresent.subarray(1) },
      { ...block, repair: block.repair.subarray(1) },
      { ...block, repairIds: Uint32Array.from(block.repairIds, (id, j) => (j === 0 ? block.k - 1 : id)) },
      { ...block, repairIds: Uint32Array.from(block.repairIds, (id, j) => (j === 0 ? 1 << 24 : id)) },
      { ...block, repairIds: new Uint16Array(block.repairIds) as unknown as Uint32Array },
    ];
    for (const b of bad) expect(() => native!(params, b)).toThrow(CodecError);
    // Parameters the crate would assert on never reach it.
    for (const args of [
      [NaN, 64, 1, 8],
      [10_000.5, 64, 1, 8],
      [0, 64, 1, 8],
      [10_000, 60, 1, 8],
      [10_000, 64, 0, 8],
      [10_000, 64, 9, 8],
      [10_000, 65536, 1, 8],
      [64 * 56404, 64, 1, 8],
    ] as const) {
      const out = new Uint8Array(Math.max(1, Number.isFinite(args[0]) ? Math.ceil(args[0]) : 1));
      expect(() => raw!(args[0], args[1], args[2], args[3], block.source, block.sourcePresent, block.repairIds, block.repair, out), String(args)).toThrow(
        /raptorqDecode/,
      );
    }
    // And a good call still works after all of them.
    expect(Buffer.from(native!(params, block)!).equals(Buffer.from(data))).toBe(true);
  });

  it.runIf(native)(
    'encodes the same repair symbols as the wasm, from any ESI, at sizes from one byte to sub-blocked (skipped without the native module built with Rust)',
    () => {
      const random = new SeededRandom(52);
      for (const [size, t] of [
        [1, 64],
        [4000, 64],
        [1_000_003, 1392],
        [11 * 1024 * 1024 + 5, 1392],
      ] as const) {
        const data = random.fill(new Uint8Array(size));
        const info = raptorqObjectInformation(size, t);
        const k = info.sourceSymbols;
        const r = 40;
        wasmRaptorQ(); // instantiates the wasm for the direct Encoder below
        const wasm = Encoder.with_defaults(data, t);
        const packets = wasm.encode(r);
        wasm.free();
        const encoder = nativeRaptorQEncoder(data, info)!;
        try {
          const all = new Uint8Array(r * t);
          encoder.repair(0, r, all);
          for (let i = 0; i < r; i++)
            expect(Buffer.from(all.subarray(i * t, (i + 1) * t)).equals(Buffer.from(packets[k + i]!.subarray(4))), `F=${size} r=${i}`).toBe(true);
          // From any ESI in one call: the same symbols.
          const some = new Uint8Array(3 * t);
          encoder.repair(17, 3, some);
          expect(Buffer.from(some).equals(Buffer.from(all.subarray(17 * t, 20 * t)))).toBe(true);
        } finally {
          encoder.free();
        }
      }
    },
  );

  it.runIf(native)(
    "the codec's encoder hands out native repair symbols that decode, across pool refills and window passes (skipped without the native module built with Rust)",
    () => {
      const data = new SeededRandom(21).fill(new Uint8Array(300_000));
      const params = { transferLength: data.length, symbolSize: 1392 };
      const info = raptorqObjectInformation(data.length, 1392);
      const encoder = new RaptorQSegmentEncoder(data, info, { repairWindow: 300, repairPoolLimit: 16 });
      const k = encoder.sourceSymbols;
      try {
        const ids: number[] = [];
        const repair: number[] = [];
        for (let n = 0; n < 700; n++) {
          const s = encoder.repairSymbol(n);
          expect(s.encodingSymbolId).toBe(k + (n % 300));
          if (n >= 600) continue;
          if (n < 300 && ids.length < k + 2) {
            ids.push(s.encodingSymbolId);
            repair.push(...s.data);
          }
          encoder.releaseRepairBelow(n);
        }
        expect(encoder.repairSymbol(650).data).toEqual(encoder.repairSymbol(350).data);
        // Repair only (no source at all): still decodes to the segment's bytes.
        const block = { source: new Uint8Array(k * 1392), sourcePresent: new Uint8Array(k), repairIds: Uint32Array.from(ids), repair: Uint8Array.from(repair) };
        const out = runDecodeJob(job(data, 1392, { ...block, k }), wasmRaptorQ());
        expect(out.type).toBe('decoded');
        expect(native!(params, block)).toEqual(data);
      } finally {
        encoder.free();
      }
    },
  );

  it.runIf(native)('the native encoder refuses what is not a repair request, with a CodecError (skipped without the native module built with Rust)', () => {
    const data = new SeededRandom(2).fill(new Uint8Array(10_000));
    const info = raptorqObjectInformation(data.length, 64);
    const encoder = nativeRaptorQEncoder(data, info)!;
    expect(() => encoder.repair((1 << 24) - info.sourceSymbols, 1, new Uint8Array(64))).toThrow(CodecError);
    expect(() => encoder.repair(-1, 1, new Uint8Array(64))).toThrow(CodecError);
    expect(() => encoder.repair(0, 2, new Uint8Array(127))).toThrow(CodecError);
    encoder.free();
    encoder.free();
    expect(() => encoder.repair(0, 1, new Uint8Array(64))).toThrow(/freed/);
  });

  it('FOUNTCAST_NATIVE_RAPTORQ=0 leaves decoding on the wasm, which decodes the same job', async () => {
    vi.resetModules();
    vi.stubEnv('FOUNTCAST_NATIVE_RAPTORQ', '0');
    try {
      const fresh = await import('../../encoder/raptorqNative.js');
      expect(fresh.nativeRaptorQ()).toEqual({ decode: undefined, reason: 'disabled by FOUNTCAST_NATIVE_RAPTORQ=0' });
      expect(fresh.nativeRaptorQEncoder(new Uint8Array(100), raptorqObjectInformation(100, 64))).toBeUndefined();
      const { raptorqCodec: freshCodec } = await import('../../encoder/raptorq.js');
      expect(freshCodec().decodeBlock).toBeUndefined();
      const data = new SeededRandom(6).fill(new Uint8Array(300_000));
      expect(runDecodeJob(job(data, 1392, collect(data, 1392, 0.1, 3, 2)), freshCodec()).type).toBe('decoded');
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

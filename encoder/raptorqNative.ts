/**
 * RaptorQ decoding in native code: the raptorq crate (2.0.1, vendored under encoder/native/raptorq)
 * compiled for this CPU and linked into the optional native module when the install found a Rust
 * toolchain (encoder/native/build.mjs). It decodes about 6x faster per core than the npm wasm
 * build, which has no SIMD for the symbol arithmetic (`npm run bench -- --decode-only` prints
 * both). Both are RFC 6330, so they decode the same symbols to the same bytes; a known-answer
 * check (symbols from the wasm encoder, decoded here) runs once per thread before first use, and
 * any disagreement leaves the wasm in use.
 *
 * Only whole decodes go native (`Codec.decodeBlock`: a receiver's collected symbols, in one
 * call); encoding and the symbol-at-a-time decoder stay on the wasm.
 *
 * FOUNTCAST_NATIVE_RAPTORQ=0 (or FOUNTCAST_NATIVE=0) keeps decoding on the wasm.
 */
import type { CodecParameters, SymbolBlock } from './codec.js';
import { CodecError } from './errors.js';
import { loadNativeCrypto } from './nativeCrypto.js';
import { RaptorQSegmentEncoder } from './raptorqEncoder.js';
import { raptorqObjectInformation } from './raptorqParameters.js';
import { initRaptorQWasm } from './raptorqWasm.js';
import { SYMBOL_ALIGNMENT } from './segmentLayout.js';

/** What the module's raptorqDecode returns. */
const DECODED = 1;
const NEED_MORE = 0;

export type NativeRaptorQDecode = (params: CodecParameters, block: SymbolBlock) => Uint8Array | undefined;

export interface NativeRaptorQStatus {
  readonly decode: NativeRaptorQDecode | undefined;
  /** Why the wasm decodes instead. */
  readonly reason?: string;
}

let status: NativeRaptorQStatus | undefined;

/** The native decoder of this thread, checked once; undefined (with a reason) when the wasm decodes. */
export function nativeRaptorQ(): NativeRaptorQStatus {
  status ??= load();
  return status;
}

function load(): NativeRaptorQStatus {
  if (process.env.FOUNTCAST_NATIVE_RAPTORQ === '0') return { decode: undefined, reason: 'disabled by FOUNTCAST_NATIVE_RAPTORQ=0' };
  const loaded = loadNativeCrypto();
  if (loaded.module === undefined) return { decode: undefined, reason: loaded.reason };
  const native = loaded.module.raptorqDecode;
  if (native === undefined) return { decode: undefined, reason: 'the native module was built without Rust (no RaptorQ decoder in it)' };
  const decode: NativeRaptorQDecode = (params, block) => {
    const info = raptorqObjectInformation(params.transferLength, params.symbolSize);
    const out = new Uint8Array(info.transferLength);
    let result: number;
    try {
      result = native(
        info.transferLength,
        info.symbolSize,
        info.subBlocks,
        SYMBOL_ALIGNMENT,
        block.source,
        block.sourcePresent,
        block.repairIds,
        block.repair,
        out,
      );
    } catch (cause) {
      throw new CodecError(`native RaptorQ decode refused its input: ${(cause as Error).message}`, { cause });
    }
    if (result === DECODED) return out;
    if (result === NEED_MORE) return undefined;
    throw new CodecError('native RaptorQ decoder failed (the crate panicked)');
  };
  try {
    // The check encodes with the wasm: instantiate it here unless this thread already has.
    initRaptorQWasm();
    return agreesWithWasm(decode) ? { decode } : { decode: undefined, reason: 'the native RaptorQ decoder disagrees with the wasm on a test segment' };
  } catch (e) {
    return { decode: undefined, reason: `the native RaptorQ decoder failed its check: ${(e as Error).message}` };
  }
}

/**
 * Known answer: a segment from the wasm encoder (T = 64, K = 63, K' = 69: repair ids must be
 * mapped past the padding alike), its first source symbols lost and repair symbols in their
 * place, must decode to its bytes.
 */
function agreesWithWasm(decode: NativeRaptorQDecode): boolean {
  const params = { transferLength: 4000, symbolSize: 64 };
  const info = raptorqObjectInformation(params.transferLength, params.symbolSize);
  const data = new Uint8Array(params.transferLength);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >>> 8) * 7) & 0xff;
  const encoder = new RaptorQSegmentEncoder(data, info);
  try {
    const k = encoder.sourceSymbols;
    const t = params.symbolSize;
    const lost = 5;
    const source = new Uint8Array(k * t);
    const sourcePresent = new Uint8Array(k);
    for (let esi = lost; esi < k; esi++) {
      source.set(encoder.sourceSymbol(esi), esi * t);
      sourcePresent[esi] = 1;
    }
    const repairCount = lost + 2;
    const repairIds = new Uint32Array(repairCount);
    const repair = new Uint8Array(repairCount * t);
    for (let n = 0; n < repairCount; n++) {
      const s = encoder.repairSymbol(n);
      repairIds[n] = s.encodingSymbolId;
      repair.set(s.data, n * t);
    }
    const out = decode(params, { source, sourcePresent, repairIds, repair });
    return out !== undefined && out.length === data.length && out.every((b, i) => b === data[i]);
  } finally {
    encoder.free();
  }
}

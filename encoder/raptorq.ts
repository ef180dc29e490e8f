/**
 * The RaptorQ `Codec` (npm raptorq 1.7.24, wasm; whole decodes and repair symbols in native code
 * where the install built it, encoder/raptorqNative.ts). One segment = one RFC 6330 object with a
 * single source block. Loading: `raptorqCodec()` compiles and instantiates on first use; a worker
 * thread calls `loadRaptorQ(workerData.raptorqModule)` with the Module its parent got from
 * `compileRaptorQModule()`, which skips the recompile.
 */
import type { Codec, CodecParameters, EncodedSymbol, SegmentDecoder, SymbolBlock } from './codec.js';
import { CodecError } from './errors.js';
import { RaptorQSegmentDecoder } from './raptorqDecoder.js';
import { RaptorQSegmentEncoder } from './raptorqEncoder.js';
import { nativeRaptorQ, nativeRaptorQBuilt } from './raptorqNative.js';
import { RAPTORQ_ENCODING_SYMBOL_ID_LIMIT, raptorqObjectInformation, type RaptorQObjectInformation } from './raptorqParameters.js';
import { compileRaptorQModule, initRaptorQWasm, type RaptorQWasmModule } from './raptorqWasm.js';
import { MAX_SOURCE_SYMBOLS_PER_SEGMENT } from './segmentLayout.js';

export { compileRaptorQModule, raptorqWasmMemoryBytes, type RaptorQWasmModule } from './raptorqWasm.js';
export { RaptorQSegmentEncoder, raptorqRepairWindow, type RaptorQEncoderLimits } from './raptorqEncoder.js';
export { RaptorQSegmentDecoder } from './raptorqDecoder.js';

export const RAPTORQ_CODEC_NAME = 'raptorq';

export interface RaptorQCodec extends Codec {
  createEncoder(data: Uint8Array, params: CodecParameters): RaptorQSegmentEncoder;
  createDecoder(params: CodecParameters): RaptorQSegmentDecoder;
}

function checkParams(params: CodecParameters) {
  if (typeof params !== 'object' || params === null) throw new CodecError('codec parameters missing');
  return raptorqObjectInformation(params.transferLength, params.symbolSize);
}

const codec: RaptorQCodec = {
  name: RAPTORQ_CODEC_NAME,
  encodingSymbolIdLimit: RAPTORQ_ENCODING_SYMBOL_ID_LIMIT,
  maxSourceSymbols: MAX_SOURCE_SYMBOLS_PER_SEGMENT,
  createEncoder(data, params) {
    const info = checkParams(params);
    if (!(data instanceof Uint8Array) || data.length !== info.transferLength) {
      throw new CodecError(`segment data has ${data?.length} bytes, transfer length is ${info.transferLength}`);
    }
    return new RaptorQSegmentEncoder(data, info);
  },
  createDecoder(params) {
    return new RaptorQSegmentDecoder(checkParams(params));
  },
  segmentFromSourceSymbols(sourceSymbols, params) {
    return segmentFromSourceBlock(sourceSymbols, checkParams(params));
  },
};

/**
 * The segment from its K source symbols (K·T bytes), without the wasm: the inverse of
 * `sourceSymbolBlock`. With one sub-block (segments up to ~10 MiB at T=1392) the symbols are the
 * segment's bytes in order and this is a view; with N > 1 each symbol interleaves N sub-symbols.
 */
export function segmentFromSourceBlock(block: Uint8Array, info: RaptorQObjectInformation): Uint8Array {
  const k = info.sourceSymbols;
  const t = info.symbolSize;
  if (block.length !== k * t) throw new CodecError(`source block has ${block.length} bytes, expected K·T = ${k * t}`);
  if (info.subBlocks === 1) return block.subarray(0, info.transferLength);
  const out = new Uint8Array(k * t);
  let subBlockStart = 0;
  let symbolOffset = 0;
  for (const size of info.subSymbolSizes) {
    for (let i = 0; i < k; i++) {
      const from = i * t + symbolOffset;
      out.set(block.subarray(from, from + size), subBlockStart + i * size);
    }
    subBlockStart += k * size;
    symbolOffset += size;
  }
  return out.subarray(0, info.transferLength);
}

/** With whole-block decodes in native code, checked at the first (encoder/raptorqNative.ts). */
const withNative: RaptorQCodec = {
  ...codec,
  decodeBlock(params, block) {
    const info = checkParams(params);
    const native = nativeRaptorQ().decode;
    return native !== undefined ? native(params, block) : decodeSegment(codec, info, blockSymbols(block, info.symbolSize));
  },
};

/**
 * Instantiates the wasm in this thread (once) and returns the codec: with `decodeBlock` where the
 * native decoder is built (should it fail its check, `decodeBlock` feeds the wasm instead).
 */
export function loadRaptorQ(module?: RaptorQWasmModule): RaptorQCodec {
  initRaptorQWasm(module ?? compileRaptorQModule());
  return nativeRaptorQBuilt() ? withNative : codec;
}

function* blockSymbols(block: SymbolBlock, t: number): Iterable<EncodedSymbol> {
  for (let i = 0; i < block.sourcePresent.length && (i + 1) * t <= block.source.length; i++) {
    if (block.sourcePresent[i] !== 0) yield { encodingSymbolId: i, data: block.source.subarray(i * t, (i + 1) * t) };
  }
  for (let j = 0; j < block.repairIds.length; j++) yield { encodingSymbolId: block.repairIds[j]!, data: block.repair.subarray(j * t, (j + 1) * t) };
}

/** The codec on the wasm alone (A/B measurements, and the fallback's tests). */
export function wasmRaptorQ(module?: RaptorQWasmModule): RaptorQCodec {
  initRaptorQWasm(module ?? compileRaptorQModule());
  return codec;
}

/** The codec, compiling and instantiating the wasm on first use in this thread. */
export function raptorqCodec(): RaptorQCodec {
  return loadRaptorQ();
}

/**
 * Decodes one segment from `symbols` (already validated by the caller) and frees the decoder.
 * Returns the segment's bytes, or undefined when the symbols were not enough. Stops reading
 * `symbols` as soon as the segment is decoded.
 */
export function decodeSegment(codec: Codec, params: CodecParameters, symbols: Iterable<EncodedSymbol>): Uint8Array | undefined {
  const decoder: SegmentDecoder = codec.createDecoder(params);
  try {
    for (const s of symbols) {
      if (decoder.add(s.encodingSymbolId, s.data)) return decoder.result();
    }
    return undefined;
  } finally {
    decoder.free();
  }
}

/**
 * RaptorQ decoding in native code: the raptorq crate (2.0.1, vendored under encoder/native/raptorq)
 * compiled for this CPU and linked into the optional native module when the install found a Rust
 * toolchain (encoder/native/build.mjs). It decodes about 6x faster per core than the npm wasm
 * build, which has no SIMD for the symbol arithmetic (`npm run bench -- --decode-only` prints
 * both). Both are RFC 6330, so they decode the same symbols to the same bytes; a known-answer
 * check (symbols from the wasm encoder, decoded here) runs once per thread at the first decode,
 * and any disagreement leaves the wasm in use.
 *
 * Whole decodes go native (`Codec.decodeBlock`: a receiver's collected symbols, in one call), and
 * so do repair symbols (`nativeRaptorQEncoder`: one encoder per segment, any ESI in one call,
 * where the wasm regenerates every source symbol per call); the symbol-at-a-time decoder stays on
 * the wasm. The encoder is checked the same way: it must make the embedded repair symbols.
 *
 * FOUNTCAST_NATIVE_RAPTORQ=0 (or FOUNTCAST_NATIVE=0) keeps both on the wasm.
 */
import type { CodecParameters, SymbolBlock } from './codec.js';
import { CodecError } from './errors.js';
import { loadNativeCrypto, type NativeCrypto } from './nativeCrypto.js';
import { raptorqObjectInformation, type RaptorQObjectInformation } from './raptorqParameters.js';
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

/**
 * Whether this build has the native decoder at all (no check, nothing run): the codec offers
 * `decodeBlock` then, and its first call runs `nativeRaptorQ()`.
 */
export function nativeRaptorQBuilt(): boolean {
  return process.env.FOUNTCAST_NATIVE_RAPTORQ !== '0' && loadNativeCrypto().module?.raptorqDecode !== undefined;
}

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
    return agreesWithWasm(decode) ? { decode } : { decode: undefined, reason: 'the native RaptorQ decoder disagrees with the wasm on a test segment' };
  } catch (e) {
    return { decode: undefined, reason: `the native RaptorQ decoder failed its check: ${(e as Error).message}` };
  }
}

/**
 * Known answer: a 200-byte segment at T = 64 (K = 4, K' = 10, so repair ids must be mapped past
 * six padding symbols alike), source symbols 0 and 2 lost, repair symbols 4 and 5 as the wasm
 * encoder (npm raptorq 1.7.24) makes them, which must decode to the segment's bytes. Embedded,
 * so the check costs neither the wasm nor an encode.
 */
const CHECK_REPAIR =
  'e4486a98ba167a22b79fe81ff54287304be354be36415eb4527a902710a74d48ae44acdbad47f01b60d73f886295e2e79ceb8369de9621cb8532d8f087709a2d' +
  '9983db8ed6cc7b1d8f9e523a0ebe66d62262d2e6c20ef0c4c8d9ed5d49f9cd69655137fb4773c3f501b1dc6c5830fc58ac605c68d880300446f6c2d31f7743f3';

function agreesWithWasm(decode: NativeRaptorQDecode): boolean {
  const f = 200;
  const t = 64;
  const data = new Uint8Array(f);
  for (let i = 0; i < f; i++) data[i] = (i * 131 + (i >>> 3) * 7) & 0xff;
  const source = new Uint8Array(4 * t);
  source.set(data);
  source.fill(0, 0, t);
  source.fill(0, 2 * t, 3 * t);
  const sourcePresent = Uint8Array.of(0, 1, 0, 1);
  const block = { source, sourcePresent, repairIds: Uint32Array.of(4, 5), repair: Uint8Array.from(Buffer.from(CHECK_REPAIR, 'hex')) };
  const out = decode({ transferLength: f, symbolSize: t }, block);
  return out !== undefined && out.length === f && out.every((b, i) => b === data[i]);
}

/** Repair symbols of one segment from native code; free() releases its memory at once. */
export interface NativeRaptorQEncoder {
  /** Repair symbols first, first + 1, ... (ESI K + first + i), `count` * T bytes into `out`. */
  repair(first: number, count: number, out: Uint8Array): void;
  free(): void;
}

type EncoderFunctions = Required<Pick<NativeCrypto, 'raptorqEncoderCreate' | 'raptorqEncoderRepair' | 'raptorqEncoderFree'>>;

let encoderFunctions: EncoderFunctions | null | undefined;

function nativeEncoderFunctions(): EncoderFunctions | null {
  if (encoderFunctions === undefined) {
    encoderFunctions = null;
    const m = nativeRaptorQBuilt() ? loadNativeCrypto().module : undefined;
    if (m?.raptorqEncoderCreate && m.raptorqEncoderRepair && m.raptorqEncoderFree) {
      const f = m as EncoderFunctions;
      try {
        if (encoderAgreesWithWasm(f)) encoderFunctions = f;
      } catch {
        // a failed check leaves the wasm in use
      }
    }
  }
  return encoderFunctions;
}

/** A native encoder for this segment, or undefined (the wasm encodes) where there is none. */
export function nativeRaptorQEncoder(data: Uint8Array, info: RaptorQObjectInformation): NativeRaptorQEncoder | undefined {
  const f = nativeEncoderFunctions();
  return f === null ? undefined : makeEncoder(f, data, info);
}

function makeEncoder(f: EncoderFunctions, data: Uint8Array, info: RaptorQObjectInformation): NativeRaptorQEncoder {
  let handle: ReturnType<EncoderFunctions['raptorqEncoderCreate']>;
  try {
    handle = f.raptorqEncoderCreate(info.transferLength, info.symbolSize, info.subBlocks, SYMBOL_ALIGNMENT, data);
  } catch (cause) {
    throw new CodecError(`native RaptorQ encoder refused segment of ${info.transferLength} bytes: ${(cause as Error).message}`, { cause });
  }
  return {
    repair(first, count, out) {
      let status: number;
      try {
        status = f.raptorqEncoderRepair(handle, first, count, out);
      } catch (cause) {
        throw new CodecError(`native RaptorQ encoder refused repair ${first}+${count}: ${(cause as Error).message}`, { cause });
      }
      if (status !== 1) throw new CodecError('native RaptorQ encoder failed (the crate panicked)');
    },
    free: () => f.raptorqEncoderFree(handle),
  };
}

/** The check vector's segment, encoded natively, gives its repair symbols 0 and 1. */
function encoderAgreesWithWasm(f: EncoderFunctions): boolean {
  const data = new Uint8Array(200);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >>> 3) * 7) & 0xff;
  const encoder = makeEncoder(f, data, raptorqObjectInformation(200, 64));
  try {
    const out = new Uint8Array(128);
    encoder.repair(0, 2, out);
    return Buffer.from(out).equals(Buffer.from(CHECK_REPAIR, 'hex'));
  } finally {
    encoder.free();
  }
}

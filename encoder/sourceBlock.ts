/**
 * The source side every systematic scheme here shares (LT, Reed–Solomon, ARQ): a segment of F
 * bytes cut into K = ceil(F / T) source symbols of T bytes, the last zero-padded. Source symbol i
 * is bytes [i·T, (i+1)·T) of the padded segment; these schemes do not interleave bytes.
 */
import type { CodecParameters, EncodedSymbol, SegmentEncoder } from './codec.js';
import { CodecError } from './errors.js';

/** Largest segment these schemes accept (the product's segments are far smaller). */
export const MAX_SIMPLE_TRANSFER_LENGTH = 1 << 30;

export interface SourceShape {
  readonly transferLength: number;
  readonly symbolSize: number;
  /** K */
  readonly sourceSymbols: number;
}

/** Validates parameters (a caller bug otherwise) and derives K, against the scheme's K limit. */
export function sourceShape(params: CodecParameters, maxSourceSymbols: number, scheme: string): SourceShape {
  if (typeof params !== 'object' || params === null) throw new CodecError(`${scheme}: codec parameters missing`);
  const { transferLength, symbolSize } = params;
  if (!Number.isSafeInteger(symbolSize) || symbolSize < 1 || symbolSize > 65535) {
    throw new CodecError(`${scheme}: symbol size ${symbolSize} is outside 1..65535`);
  }
  if (!Number.isSafeInteger(transferLength) || transferLength < 1 || transferLength > MAX_SIMPLE_TRANSFER_LENGTH) {
    throw new CodecError(`${scheme}: transfer length ${transferLength} is outside 1..${MAX_SIMPLE_TRANSFER_LENGTH}`);
  }
  const sourceSymbols = Math.ceil(transferLength / symbolSize);
  if (sourceSymbols > maxSourceSymbols) {
    throw new CodecError(`${scheme}: ${sourceSymbols} source symbols exceed the scheme's ${maxSourceSymbols}`);
  }
  return { transferLength, symbolSize, sourceSymbols };
}

/** The K·T padded copy of a segment (source symbol i at [i·T, (i+1)·T)). */
export function paddedSource(data: Uint8Array, shape: SourceShape, scheme: string): Uint8Array {
  if (!(data instanceof Uint8Array) || data.length !== shape.transferLength) {
    throw new CodecError(`${scheme}: segment data has ${data?.length} bytes, transfer length is ${shape.transferLength}`);
  }
  const out = new Uint8Array(shape.sourceSymbols * shape.symbolSize);
  out.set(data);
  return out;
}

/** Throws CodecError unless `esi` is an integer in [0, limit) and `data` is exactly T bytes. */
export function checkSymbol(scheme: string, esi: number, limit: number, data: Uint8Array, symbolSize: number): void {
  if (!Number.isInteger(esi) || esi < 0 || esi >= limit) throw new CodecError(`${scheme}: encoding symbol id ${esi} is outside 0..${limit - 1}`);
  if (!(data instanceof Uint8Array) || data.length !== symbolSize) {
    throw new CodecError(`${scheme}: symbol has ${data?.length} bytes, expected ${symbolSize}`);
  }
}

/** dst ^= src, word-wise where both are 4-byte aligned. */
export function xorInto(dst: Uint8Array, src: Uint8Array): void {
  const n = dst.length;
  if ((dst.byteOffset & 3) === 0 && (src.byteOffset & 3) === 0 && (n & 3) === 0) {
    const d = new Uint32Array(dst.buffer, dst.byteOffset, n >>> 2);
    const s = new Uint32Array(src.buffer, src.byteOffset, n >>> 2);
    for (let i = 0; i < d.length; i++) d[i]! ^= s[i]!;
    return;
  }
  for (let i = 0; i < n; i++) dst[i]! ^= src[i]!;
}

/** The source half every systematic encoder here shares; subclasses add `repairSymbol`. */
export abstract class SystematicEncoder implements SegmentEncoder {
  readonly sourceSymbols: number;
  readonly firstRepairId: number;
  protected readonly source: Uint8Array;

  constructor(
    data: Uint8Array,
    protected readonly shape: SourceShape,
    protected readonly scheme: string,
  ) {
    this.sourceSymbols = shape.sourceSymbols;
    this.firstRepairId = shape.sourceSymbols;
    this.source = paddedSource(data, shape, scheme);
  }

  sourceSymbol(esi: number): Uint8Array {
    if (!Number.isInteger(esi) || esi < 0 || esi >= this.sourceSymbols)
      throw new CodecError(`${this.scheme}: source symbol ${esi} is outside 0..${this.sourceSymbols - 1}`);
    const t = this.shape.symbolSize;
    return this.source.subarray(esi * t, (esi + 1) * t);
  }

  abstract repairSymbol(repairIndex: number): EncodedSymbol;

  /**
   * Repair index `n` folded into the scheme's cycle of `period` distinct repair symbols (any
   * whole n >= 0 is valid: a stream never runs out of repair; CodecError otherwise).
   */
  protected cyclicRepairIndex(n: number, period: number): number {
    if (!Number.isSafeInteger(n) || n < 0) throw new CodecError(`${this.scheme}: repair index ${n} is not a whole number >= 0`);
    return n % period;
  }

  free(): void {}
}

/** `Codec.segmentFromSourceSymbols` for schemes whose source symbols are the segment in order. */
export function segmentFromSourceInOrder(sourceSymbols: Uint8Array, shape: SourceShape, scheme: string): Uint8Array {
  if (sourceSymbols.length !== shape.sourceSymbols * shape.symbolSize) throw new CodecError(`${scheme}: source block has ${sourceSymbols.length} bytes`);
  return sourceSymbols.subarray(0, shape.transferLength);
}

/**
 * How a file is cut into independent codec objects ("segments"). Segments bound memory on both
 * sides (one decoder of a few MiB at a time instead of one for the whole file) and are the unit of
 * verification (SHA-256 each) and, later, of resume.
 *
 * Every segment but the last is `segmentSize` bytes; the last holds the rest. Segment i's
 * RaptorQ ObjectTransmissionInformation is fully determined by (its length, symbolSize): with
 * K = ceil(length / T) <= 56403 the raptorq crate always picks one source block (Z = 1, Al = 8),
 * which is why the manifest carries only the layout and not an OTI per segment. The number of
 * sub-blocks N is derived too: N = 1 up to ~10 MiB per segment, N > 1 above (then source symbols
 * interleave sub-blocks; see encoder/raptorqParameters.ts).
 */
import { LayoutError } from './errors.js';

/** RFC 6330's largest K' (Table 2). Above it the codec splits into several source blocks. */
export const MAX_SOURCE_SYMBOLS_PER_SEGMENT = 56403;
/** RFC 6330 alignment Al used by the raptorq crate: T is rounded down to a multiple of it. */
export const SYMBOL_ALIGNMENT = 8;
/** Default symbol size: 24-byte header + 1392 + 32-byte tag = 1448 <= 1452 (IPv6, MTU 1500). */
export const DEFAULT_SYMBOL_SIZE = 1392;
/** Default segment size: raptorq 1.7.24 decodes 1-8 MiB objects fastest (bench/micro.ts compares). */
export const DEFAULT_SEGMENT_SIZE = 4 * 1024 * 1024;
/**
 * Symbol size bounds: u16 in the codec (it wraps above), and a datagram must fit 65507 bytes.
 * Below 64 the raptorq crate's parameter derivation panics (N_max = floor(T / 64) = 0).
 */
export const MIN_SYMBOL_SIZE = 64;
export const MAX_SYMBOL_SIZE = 65_000 - (65_000 % SYMBOL_ALIGNMENT);
/**
 * Largest segment: the wasm codec peaks at about 6x the object in a 32-bit heap that never
 * shrinks, and a receiver sizes decoders from the peer's manifest.
 */
export const MAX_SEGMENT_SIZE = 256 * 1024 * 1024;
/** Files up to 2^50 bytes (1 PiB): keeps every offset an exact JS number. */
export const MAX_FILE_SIZE = 2 ** 50;

export interface SegmentLayout {
  readonly fileSize: number;
  readonly segmentSize: number;
  readonly symbolSize: number;
  /** Number of segments (0 for an empty file). */
  readonly segmentCount: number;
}

export interface SegmentRange {
  readonly index: number;
  /** Byte offset of the segment in the file. */
  readonly offset: number;
  /** Segment length in bytes (the codec's transfer length). */
  readonly length: number;
  /** K: number of source symbols. */
  readonly sourceSymbols: number;
}

function isWhole(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** Throws LayoutError when the combination cannot be encoded as single-block segments. */
export function validateLayoutParameters(fileSize: number, segmentSize: number, symbolSize: number): void {
  if (!isWhole(fileSize) || fileSize > MAX_FILE_SIZE) {
    throw new LayoutError(`file size ${fileSize} is not a whole number of bytes up to ${MAX_FILE_SIZE}`);
  }
  if (!isWhole(symbolSize) || symbolSize < MIN_SYMBOL_SIZE || symbolSize > MAX_SYMBOL_SIZE || symbolSize % SYMBOL_ALIGNMENT !== 0) {
    throw new LayoutError(`symbol size ${symbolSize} must be a multiple of ${SYMBOL_ALIGNMENT} between ${MIN_SYMBOL_SIZE} and ${MAX_SYMBOL_SIZE}`);
  }
  if (!isWhole(segmentSize) || segmentSize < symbolSize || segmentSize > MAX_SEGMENT_SIZE) {
    throw new LayoutError(`segment size ${segmentSize} must be between the symbol size ${symbolSize} and ${MAX_SEGMENT_SIZE}`);
  }
  const k = Math.ceil(segmentSize / symbolSize);
  if (k > MAX_SOURCE_SYMBOLS_PER_SEGMENT) {
    throw new LayoutError(
      `segment size ${segmentSize} with symbol size ${symbolSize} gives K=${k} source symbols; ` +
        `at most ${MAX_SOURCE_SYMBOLS_PER_SEGMENT} (${MAX_SOURCE_SYMBOLS_PER_SEGMENT * symbolSize} bytes) per segment`,
    );
  }
}

export function planSegments(fileSize: number, options: { segmentSize?: number; symbolSize?: number } = {}): SegmentLayout {
  const symbolSize = options.symbolSize ?? DEFAULT_SYMBOL_SIZE;
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  validateLayoutParameters(fileSize, segmentSize, symbolSize);
  return { fileSize, segmentSize, symbolSize, segmentCount: Math.ceil(fileSize / segmentSize) };
}

export function sourceSymbolCount(length: number, symbolSize: number): number {
  return Math.ceil(length / symbolSize);
}

/** The byte range and K of segment `index`; throws LayoutError when index is out of range. */
export function segmentRange(layout: SegmentLayout, index: number): SegmentRange {
  if (!Number.isInteger(index) || index < 0 || index >= layout.segmentCount) {
    throw new LayoutError(`segment ${index} is outside 0..${layout.segmentCount - 1}`);
  }
  const offset = index * layout.segmentSize;
  const length = Math.min(layout.segmentSize, layout.fileSize - offset);
  return { index, offset, length, sourceSymbols: sourceSymbolCount(length, layout.symbolSize) };
}

/** Sum of K over all segments: the fewest symbols any receiver must take. */
export function totalSourceSymbols(layout: SegmentLayout): number {
  const { fileSize, segmentSize, symbolSize, segmentCount } = layout;
  if (segmentCount === 0) return 0;
  const last = fileSize - (segmentCount - 1) * segmentSize;
  return sourceSymbolCount(segmentSize, symbolSize) * (segmentCount - 1) + sourceSymbolCount(last, symbolSize);
}

/**
 * An object whose length follows (Manifest.lengthFollows): the layout of its first `segments`
 * segments, each full, while it grows; with `fileSize` (its length, once announced) the final
 * one, which must have exactly `segments` segments. Throws LayoutError otherwise.
 */
export function layoutSoFar(segmentSize: number, symbolSize: number, segments: number, fileSize?: number): SegmentLayout {
  const size = fileSize ?? segments * segmentSize;
  validateLayoutParameters(size, segmentSize, symbolSize);
  if (Math.ceil(size / segmentSize) !== segments) throw new LayoutError(`${size} bytes are not ${segments} segments of ${segmentSize}`);
  return { fileSize: size, segmentSize, symbolSize, segmentCount: segments };
}

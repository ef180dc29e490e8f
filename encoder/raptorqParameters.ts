/**
 * What the raptorq crate (1.7.24, the npm wasm build) decides for one object, recomputed in plain
 * TypeScript so the encoder can hand out source symbols and K' without touching wasm.
 *
 * `Encoder.with_defaults(data, T)` / `Decoder.with_defaults(F, T)` call the crate's
 * `ObjectTransmissionInformation::generate_encoding_parameters(F, T, WS = 10 MiB)`:
 *   Kt = ceil(F / T); N_max = floor(T / 64); KL(n) = largest K' <= WS / (8 * ceil(T / (8 n)));
 *   Z = ceil(Kt / KL(N_max)); N = smallest n with ceil(Kt / Z) <= KL(n).
 * Two consequences the rest of fountcast must know (both hold for the wasm build itself):
 * - T < 64 gives N_max = 0 and the wasm panics, so 64 is the smallest usable symbol size.
 * - Z is always 1 for K <= 56403, but N > 1 (sub-blocking) as soon as K*T exceeds ~10 MiB. Then
 *   source symbol i is NOT bytes [i*T, (i+1)*T) of the segment but the concatenation of sub-symbol
 *   i of every sub-block (RFC 6330 section 4.4.1.2); `sourceSymbolBlock` builds exactly that.
 */
import { CodecError } from './errors.js';
import { MAX_SEGMENT_SIZE, MAX_SOURCE_SYMBOLS_PER_SEGMENT, MAX_SYMBOL_SIZE, MIN_SYMBOL_SIZE, SYMBOL_ALIGNMENT } from './segmentLayout.js';

/** The crate's default decoder working-memory budget WS (RFC 6330 section 4.3). */
export const RAPTORQ_DECODER_MEMORY = 10 * 1024 * 1024;
/** Below this T the crate's parameter derivation panics (N_max = floor(T / 64) = 0). */
export const RAPTORQ_MIN_SYMBOL_SIZE = MIN_SYMBOL_SIZE;
/** The wasm takes T as a u16; 65000 also keeps a datagram under 65507 bytes. */
export const RAPTORQ_MAX_SYMBOL_SIZE = MAX_SYMBOL_SIZE;
/**
 * Largest segment the adapter accepts. The wasm peaks at about 6x the object size in a 32-bit
 * heap that never shrinks; a manifest is peer input, so this is the cap checked before a decoder
 * allocates anything.
 */
export const RAPTORQ_MAX_TRANSFER_LENGTH = MAX_SEGMENT_SIZE;
/** Sub-symbol size factor of the crate's defaults (sub-symbols are 8 * Al bytes at least). */
const SUB_SYMBOL_SIZE = 8;

/** K' column of RFC 6330 Table 2 (section 5.6): the extended source block sizes. */
const EXTENDED_SOURCE_SYMBOLS: readonly number[] = [
  10, 12, 18, 20, 26, 30, 32, 36, 42, 46, 48, 49, 55, 60, 62, 69, 75, 84, 88, 91, 95, 97, 101, 114, 119, 125, 127, 138, 140, 149, 153, 160, 166, 168, 179, 181,
  185, 187, 200, 213, 217, 225, 236, 242, 248, 257, 263, 269, 280, 295, 301, 305, 324, 337, 341, 347, 355, 362, 368, 372, 380, 385, 393, 405, 418, 428, 434,
  447, 453, 466, 478, 486, 491, 497, 511, 526, 532, 542, 549, 557, 563, 573, 580, 588, 594, 600, 606, 619, 633, 640, 648, 666, 675, 685, 693, 703, 718, 728,
  736, 747, 759, 778, 792, 802, 811, 821, 835, 845, 860, 870, 891, 903, 913, 926, 938, 950, 963, 977, 989, 1002, 1020, 1032, 1050, 1074, 1085, 1099, 1111, 1136,
  1152, 1169, 1183, 1205, 1220, 1236, 1255, 1269, 1285, 1306, 1347, 1361, 1389, 1404, 1420, 1436, 1461, 1477, 1502, 1522, 1539, 1561, 1579, 1600, 1616, 1649,
  1673, 1698, 1716, 1734, 1759, 1777, 1800, 1824, 1844, 1863, 1887, 1906, 1926, 1954, 1979, 2005, 2040, 2070, 2103, 2125, 2152, 2195, 2217, 2247, 2278, 2315,
  2339, 2367, 2392, 2416, 2447, 2473, 2502, 2528, 2565, 2601, 2640, 2668, 2701, 2737, 2772, 2802, 2831, 2875, 2906, 2938, 2979, 3015, 3056, 3101, 3151, 3186,
  3224, 3265, 3299, 3344, 3387, 3423, 3466, 3502, 3539, 3579, 3616, 3658, 3697, 3751, 3792, 3840, 3883, 3924, 3970, 4015, 4069, 4112, 4165, 4207, 4252, 4318,
  4365, 4418, 4468, 4513, 4567, 4626, 4681, 4731, 4780, 4838, 4901, 4954, 5008, 5063, 5116, 5172, 5225, 5279, 5334, 5391, 5449, 5506, 5566, 5637, 5694, 5763,
  5823, 5896, 5975, 6039, 6102, 6169, 6233, 6296, 6363, 6427, 6518, 6589, 6655, 6730, 6799, 6878, 6956, 7033, 7108, 7185, 7281, 7360, 7445, 7520, 7596, 7675,
  7770, 7855, 7935, 8030, 8111, 8194, 8290, 8377, 8474, 8559, 8654, 8744, 8837, 8928, 9019, 9111, 9206, 9303, 9400, 9497, 9601, 9708, 9813, 9916, 10017, 10120,
  10241, 10351, 10458, 10567, 10676, 10787, 10899, 11015, 11130, 11245, 11358, 11475, 11590, 11711, 11829, 11956, 12087, 12208, 12333, 12460, 12593, 12726,
  12857, 13002, 13143, 13284, 13417, 13558, 13695, 13833, 13974, 14115, 14272, 14415, 14560, 14713, 14862, 15011, 15170, 15325, 15496, 15651, 15808, 15977,
  16161, 16336, 16505, 16674, 16851, 17024, 17195, 17376, 17559, 17742, 17929, 18116, 18309, 18503, 18694, 18909, 19126, 19325, 19539, 19740, 19939, 20152,
  20355, 20564, 20778, 20988, 21199, 21412, 21629, 21852, 22073, 22301, 22536, 22779, 23010, 23252, 23491, 23730, 23971, 24215, 24476, 24721, 24976, 25230,
  25493, 25756, 26022, 26291, 26566, 26838, 27111, 27392, 27682, 27959, 28248, 28548, 28845, 29138, 29434, 29731, 30037, 30346, 30654, 30974, 31285, 31605,
  31948, 32272, 32601, 32932, 33282, 33623, 33961, 34302, 34654, 35031, 35395, 35750, 36112, 36479, 36849, 37227, 37606, 37992, 38385, 38787, 39176, 39576,
  39980, 40398, 40816, 41226, 41641, 42067, 42490, 42916, 43388, 43840, 44279, 44729, 45183, 45638, 46104, 46574, 47047, 47523, 48007, 48489, 48976, 49470,
  49978, 50511, 51017, 51530, 52062, 52586, 53114, 53650, 54188, 54735, 55289, 55843, 56403,
];

/**
 * Most padding symbols a block can have: the largest K' - K over every K (for K just above a
 * K' of the table, up to the next K').
 */
export const RAPTORQ_MAX_PADDING_SYMBOLS = EXTENDED_SOURCE_SYMBOLS.reduce(
  (max, kp, i) => Math.max(max, kp - (i === 0 ? 1 : EXTENDED_SOURCE_SYMBOLS[i - 1]! + 1)),
  0,
);

/**
 * Exclusive bound on the ESIs fountcast sends and accepts. RFC 6330 ESIs are 24-bit; a repair
 * ESI is the internal symbol ESI + K' - K, which the wasm build takes as a 24-bit label, so
 * every K's repair ESIs stay below 2^24 - max(K' - K).
 */
export const RAPTORQ_ENCODING_SYMBOL_ID_LIMIT = 2 ** 24 - RAPTORQ_MAX_PADDING_SYMBOLS;

/**
 * K' for K source symbols (RFC 6330 section 5.3.1): the block's extended size, K' - K padding
 * symbols that are never sent. Repair ESIs start at K on the wire; the wasm build numbers the
 * same symbols from K' (its labels are internal symbol ids), so the adapters add K' - K.
 */
export function extendedSourceSymbols(sourceSymbols: number): number {
  if (!Number.isInteger(sourceSymbols) || sourceSymbols < 1 || sourceSymbols > MAX_SOURCE_SYMBOLS_PER_SEGMENT) {
    throw new CodecError(`K=${sourceSymbols} is outside 1..${MAX_SOURCE_SYMBOLS_PER_SEGMENT}`);
  }
  let lo = 0;
  let hi = EXTENDED_SOURCE_SYMBOLS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (EXTENDED_SOURCE_SYMBOLS[mid]! >= sourceSymbols) hi = mid;
    else lo = mid + 1;
  }
  return EXTENDED_SOURCE_SYMBOLS[lo]!;
}

/** Largest K' <= bound, or 0 when there is none. */
function largestExtendedAtMost(bound: number): number {
  let best = 0;
  for (const k of EXTENDED_SOURCE_SYMBOLS) {
    if (k > bound) break;
    best = k;
  }
  return best;
}

/** RFC 6330 Partition[I, J] (section 4.4.1.2): J parts of sizes IL (JL of them) and IS (JS). */
export function partition(i: number, j: number): { large: number; small: number; largeCount: number; smallCount: number } {
  const large = Math.ceil(i / j);
  const small = Math.floor(i / j);
  const largeCount = i - small * j;
  return { large, small, largeCount, smallCount: j - largeCount };
}

export interface RaptorQObjectInformation {
  readonly transferLength: number;
  readonly symbolSize: number;
  /** K = ceil(F / T). */
  readonly sourceSymbols: number;
  /** K', the first repair ESI. */
  readonly extendedSourceSymbols: number;
  /** Z; always 1 within the adapter's limits. */
  readonly sourceBlocks: number;
  /** N; > 1 means source symbols interleave sub-blocks (see `sourceSymbolBlock`). */
  readonly subBlocks: number;
  /** Bytes each sub-block contributes to a symbol, one entry per sub-block (sums to T). */
  readonly subSymbolSizes: readonly number[];
}

/** Throws CodecError unless (transferLength, symbolSize) is an object the adapter can code. */
export function validateRaptorQParameters(transferLength: number, symbolSize: number): void {
  if (!Number.isSafeInteger(transferLength) || transferLength < 1 || transferLength > RAPTORQ_MAX_TRANSFER_LENGTH) {
    throw new CodecError(`transfer length ${transferLength} must be a whole number of bytes in 1..${RAPTORQ_MAX_TRANSFER_LENGTH}`);
  }
  if (!Number.isInteger(symbolSize) || symbolSize < RAPTORQ_MIN_SYMBOL_SIZE || symbolSize > RAPTORQ_MAX_SYMBOL_SIZE || symbolSize % SYMBOL_ALIGNMENT !== 0) {
    throw new CodecError(`symbol size ${symbolSize} must be a multiple of ${SYMBOL_ALIGNMENT} in ${RAPTORQ_MIN_SYMBOL_SIZE}..${RAPTORQ_MAX_SYMBOL_SIZE}`);
  }
  const k = Math.ceil(transferLength / symbolSize);
  if (k > MAX_SOURCE_SYMBOLS_PER_SEGMENT) {
    throw new CodecError(`K=${k} source symbols exceeds ${MAX_SOURCE_SYMBOLS_PER_SEGMENT} (one source block)`);
  }
}

/** The crate's parameter choice for this object (validated first; throws CodecError). */
export function raptorqObjectInformation(transferLength: number, symbolSize: number): RaptorQObjectInformation {
  validateRaptorQParameters(transferLength, symbolSize);
  const t = symbolSize;
  const kt = Math.ceil(transferLength / t);
  const nMax = Math.floor(t / (SUB_SYMBOL_SIZE * SYMBOL_ALIGNMENT));
  const kl = (n: number): number => largestExtendedAtMost(Math.floor(RAPTORQ_DECODER_MEMORY / (SYMBOL_ALIGNMENT * Math.ceil(t / (SYMBOL_ALIGNMENT * n)))));
  const sourceBlocks = Math.ceil(kt / kl(nMax));
  if (sourceBlocks !== 1) {
    // Unreachable within validated limits; fail loudly rather than mis-address symbols.
    throw new CodecError(`K=${kt}, T=${t} would need ${sourceBlocks} source blocks`);
  }
  let subBlocks = 1;
  for (let n = 1; n <= nMax; n++) {
    subBlocks = n;
    if (kt <= kl(n)) break;
  }
  const p = partition(t / SYMBOL_ALIGNMENT, subBlocks);
  const subSymbolSizes: number[] = [];
  for (let j = 0; j < subBlocks; j++) subSymbolSizes.push((j < p.largeCount ? p.large : p.small) * SYMBOL_ALIGNMENT);
  return {
    transferLength,
    symbolSize: t,
    sourceSymbols: kt,
    extendedSourceSymbols: extendedSourceSymbols(kt),
    sourceBlocks,
    subBlocks,
    subSymbolSizes,
  };
}

/**
 * All K source symbols back to back (K*T bytes), laid out as the codec sees them: the segment
 * zero-padded to K*T, cut into N sub-blocks of K sub-symbols each, symbol i = sub-symbol i of
 * every sub-block in order. With N = 1 that is just the padded segment.
 */
export function sourceSymbolBlock(data: Uint8Array, info: RaptorQObjectInformation): Uint8Array {
  const k = info.sourceSymbols;
  const t = info.symbolSize;
  const padded = new Uint8Array(k * t);
  padded.set(data.subarray(0, Math.min(data.length, padded.length)));
  if (info.subBlocks === 1) return padded;
  const out = new Uint8Array(k * t);
  let subBlockStart = 0; // offset of sub-block j in the padded segment
  let symbolOffset = 0; // offset of sub-block j's bytes inside each symbol
  for (const size of info.subSymbolSizes) {
    for (let i = 0; i < k; i++) {
      const from = subBlockStart + i * size;
      out.set(padded.subarray(from, from + size), i * t + symbolOffset);
    }
    subBlockStart += k * size;
    symbolOffset += size;
  }
  return out;
}

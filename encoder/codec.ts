/**
 * The coding-scheme seam. The product and the research harness talk to RaptorQ, LT,
 * Reed-Solomon or plain ARQ only through these interfaces; one object ("segment") per codec
 * instance. Names follow RFC 6330 where it has them.
 *
 * Contract for every implementation:
 * - Symbols are exactly `symbolSize` (T) bytes; the last source symbol is zero-padded.
 * - Encoding symbol ids (ESI) below `sourceSymbols` (K) are source symbols. Repair ids start at
 *   `firstRepairId` (>= K; K' for RaptorQ). Source symbol i is bytes [i*T, (i+1)*T) of the
 *   segment only when the scheme does not interleave: RaptorQ sub-blocks segments above ~10 MiB
 *   (RFC 6330 N > 1), and then a source symbol mixes bytes from N places. Always take source
 *   symbols from `sourceSymbol()` and decoded bytes from `result()`; never slice them yourself.
 * - Callers validate every symbol (id range, length) BEFORE it reaches a decoder: the wasm
 *   RaptorQ decoder panics on malformed input and is then dead for good.
 * - Every encoder/decoder owns native (wasm) memory: call `free()` exactly once.
 */

export interface EncodedSymbol {
  readonly encodingSymbolId: number;
  /** Exactly T bytes. May be a view into a larger buffer owned by the encoder: copy or send it
   * before the next call that grows the encoder's pool. */
  readonly data: Uint8Array;
}

export interface SegmentEncoder {
  /** K: number of source symbols of this segment. */
  readonly sourceSymbols: number;
  /** The first repair encoding symbol id (K' for RaptorQ). */
  readonly firstRepairId: number;
  /** Source symbol `esi` (0 <= esi < K), zero-padded to T bytes. Never touches the codec. */
  sourceSymbol(encodingSymbolId: number): Uint8Array;
  /** The repair symbol with index `n` (0-based) of this segment's repair sequence: ESI
   * firstRepairId + n while the scheme has fresh ids, then a defined repeat (each scheme documents
   * its cycle; docs/protocol.md). Any whole n >= 0 is valid: a stream never runs out of repair.
   * Deterministic: the same n gives the same symbol. Asking in increasing order is cheap. */
  repairSymbol(repairIndex: number): EncodedSymbol;
  /** Optional memory hint: repair indices below `repairIndex` will not be asked for again, so a
   * pool may drop them (asking anyway must still work, possibly slowly). */
  releaseRepairBelow?(repairIndex: number): void;
  free(): void;
}

export interface SegmentDecoder {
  /** Feed one validated symbol. Returns true once the segment is decoded. Duplicate ids are
   * ignored. Throws `CodecError` only for caller bugs (id/length out of range). */
  add(encodingSymbolId: number, data: Uint8Array): boolean;
  /**
   * Optional: decode what `add` could not by its cheap method, by a costlier one (LT with
   * Gaussian elimination when peeling stalls). Called once per decode attempt, after its last
   * symbol. Returns true once the segment is decoded.
   */
  settle?(): boolean;
  /** Number of distinct symbols accepted so far. */
  readonly received: number;
  /** The decoded segment (exactly transferLength bytes), once `add` returned true. */
  result(): Uint8Array | undefined;
  free(): void;
}

/** The symbols a receiver collected for one segment, as plain buffers (receiver/decodeJob.ts). */
export interface SymbolBlock {
  /** K*T bytes: source symbol i at [i*T, (i+1)*T), meaningful where sourcePresent[i] != 0. */
  readonly source: Uint8Array;
  /** At least K bytes, non-zero where source symbol i is present. */
  readonly sourcePresent: Uint8Array;
  /** Encoding symbol id of each repair symbol (all >= K), distinct. */
  readonly repairIds: Uint32Array;
  /** repairIds.length * T bytes, packed in the same order. */
  readonly repair: Uint8Array;
}

export interface CodecParameters {
  /** Segment length in bytes (RFC 6330 F, the transfer length of this object). */
  readonly transferLength: number;
  /** Symbol size T in bytes. */
  readonly symbolSize: number;
}

export interface Codec {
  /** Stable scheme name as it appears in Hello/Manifest ("raptorq", "lt", "rs", "arq": CODEC_NAMES in codecs.ts). */
  readonly name: string;
  /** Largest encoding symbol id the scheme can name (exclusive bound); 2^24 for RaptorQ. */
  readonly encodingSymbolIdLimit: number;
  /** Largest K one segment may have for this scheme (RaptorQ: 56403, i.e. one source block). */
  readonly maxSourceSymbols: number;
  createEncoder(data: Uint8Array, params: CodecParameters): SegmentEncoder;
  createDecoder(params: CodecParameters): SegmentDecoder;
  /**
   * Optional systematic shortcut (added for the receiver): the segment's transferLength bytes
   * from ALL K source symbols (`sourceSymbols` holds K*T bytes, symbol i at [i*T, (i+1)*T)),
   * without a decoder. Undoes any interleaving (RaptorQ sub-blocks); may return a view into
   * `sourceSymbols`. Absent: the receiver decodes even when no source symbol was lost.
   */
  segmentFromSourceSymbols?(sourceSymbols: Uint8Array, params: CodecParameters): Uint8Array;
  /**
   * Optional: how many more symbols a receiver collects before trying again after a decode
   * attempt with `sourceSymbols` K needed more. RaptorQ fails rarely and by a symbol or two
   * (absent: 2); peeling LT or interleaved RS may need a few percent of K more, and stepping
   * by 2 would re-decode from scratch dozens of times.
   */
  decodeRetryStep?(sourceSymbols: number): number;
  /**
   * Optional: one decode attempt over every collected symbol at once, instead of a decoder fed
   * symbol by symbol (RaptorQ's native build, encoder/raptorqNative.ts). The block was validated
   * by the caller. Returns the segment's transferLength bytes, or undefined when the symbols were
   * not enough.
   */
  decodeBlock?(params: CodecParameters, block: SymbolBlock): Uint8Array | undefined;
}

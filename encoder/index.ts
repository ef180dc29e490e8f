/** The encoder layer's public pieces: codec seam, RaptorQ adapter, segment layout, datagram format, tags. */
export type { Codec, CodecParameters, EncodedSymbol, SegmentDecoder, SegmentEncoder } from './codec.js';
export { CodecError, LayoutError } from './errors.js';
export {
  compileRaptorQModule,
  decodeSegment,
  loadRaptorQ,
  raptorqCodec,
  raptorqWasmMemoryBytes,
  segmentFromSourceBlock,
  RAPTORQ_CODEC_NAME,
  type RaptorQCodec,
  type RaptorQWasmModule,
} from './raptorq.js';
export { raptorqObjectInformation, type RaptorQObjectInformation } from './raptorqParameters.js';
export {
  DEFAULT_SEGMENT_SIZE,
  DEFAULT_SYMBOL_SIZE,
  MAX_SEGMENT_SIZE,
  MAX_SOURCE_SYMBOLS_PER_SEGMENT,
  planSegments,
  segmentRange,
  type SegmentLayout,
  type SegmentRange,
} from './segmentLayout.js';
export {
  DATAGRAM_REJECT_REASONS,
  datagramLength,
  parseDatagram,
  writeDatagram,
  type DatagramExpectations,
  type DatagramRejectReason,
  type DatagramVerdict,
  type SymbolHeader,
} from './datagram.js';
export { crc32Scheme, TagKind, type IntegrityScheme } from './integrity.js';

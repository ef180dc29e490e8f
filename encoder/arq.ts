/**
 * "No coding" as a `Codec`, the udpcast/UFTP-style baseline: only source symbols exist. Repair
 * index n is source symbol n mod K sent again under its own id, so a sender that keeps asking
 * for repair runs a blind carousel, and one driven by receivers' missing lists (the sender
 * cores' `resend` recovery) runs selective-repeat ARQ. A decoder is done when it holds all K.
 */
import type { Codec, CodecParameters, EncodedSymbol, SegmentDecoder } from './codec.js';
import { checkSymbol, segmentFromSourceInOrder, sourceShape, SystematicEncoder, type SourceShape } from './sourceBlock.js';

export const ARQ_CODEC_NAME = 'arq';
export const ARQ_MAX_SOURCE_SYMBOLS = 65536;

class ArqEncoder extends SystematicEncoder {
  constructor(data: Uint8Array, shape: SourceShape) {
    super(data, shape, ARQ_CODEC_NAME);
  }

  repairSymbol(n: number): EncodedSymbol {
    const esi = this.cyclicRepairIndex(n, this.sourceSymbols);
    return { encodingSymbolId: esi, data: this.sourceSymbol(esi) };
  }
}

class ArqDecoder implements SegmentDecoder {
  private readonly source: Uint8Array;
  private readonly have: Uint8Array;
  private count = 0;

  constructor(private readonly shape: SourceShape) {
    this.source = new Uint8Array(shape.sourceSymbols * shape.symbolSize);
    this.have = new Uint8Array(shape.sourceSymbols);
  }

  get received(): number {
    return this.count;
  }

  add(esi: number, data: Uint8Array): boolean {
    checkSymbol(ARQ_CODEC_NAME, esi, this.shape.sourceSymbols, data, this.shape.symbolSize);
    if (!this.have[esi]) {
      this.have[esi] = 1;
      this.count++;
      this.source.set(data, esi * this.shape.symbolSize);
    }
    return this.count === this.shape.sourceSymbols;
  }

  result(): Uint8Array | undefined {
    return this.count === this.shape.sourceSymbols ? this.source.subarray(0, this.shape.transferLength) : undefined;
  }

  free(): void {}
}

export function arqCodec(): Codec {
  const shape = (p: CodecParameters) => sourceShape(p, ARQ_MAX_SOURCE_SYMBOLS, ARQ_CODEC_NAME);
  return {
    name: ARQ_CODEC_NAME,
    encodingSymbolIdLimit: ARQ_MAX_SOURCE_SYMBOLS,
    maxSourceSymbols: ARQ_MAX_SOURCE_SYMBOLS,
    createEncoder: (data, params) => new ArqEncoder(data, shape(params)),
    createDecoder: (params) => new ArqDecoder(shape(params)),
    segmentFromSourceSymbols: (sourceSymbols, params) => segmentFromSourceInOrder(sourceSymbols, shape(params), ARQ_CODEC_NAME),
  };
}

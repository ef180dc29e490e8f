/**
 * An LT code written here (a research baseline; the product uses RaptorQ).
 *
 * Source symbols are ESIs below K; repair symbol n is ESI K + n, the XOR of the source symbols
 * its id picks (ltGraph.ts: robust soliton degree, uniform choice). Past the 24-bit ESI space
 * the repair sequence starts again at n = 0 (repair index n is ESI K + (n mod (2^24 - K))).
 *
 * Whether the code is systematic is the sender's choice, not the codec's: `send --codec lt` and
 * the harness's `lt-systematic` send the K source symbols first and repair after; the harness's
 * `lt` sends repair symbols only, the literature's non-systematic LT (Luby 2002; MacKay, ITILA
 * ch. 50), whose every symbol is a fresh random XOR. The decoder (ltDecoder.ts) takes both.
 */
import type { Codec, CodecParameters, EncodedSymbol } from './codec.js';
import { LtDecoder } from './ltDecoder.js';
import { LtGraph, type LtOptions } from './ltGraph.js';
import { segmentFromSourceInOrder, sourceShape, SystematicEncoder, xorInto, type SourceShape } from './sourceBlock.js';

export { LtGraph, type LtOptions } from './ltGraph.js';

export const LT_CODEC_NAME = 'lt';
/** The 24-bit ESI of the RFC 6330 payload id, as for RaptorQ. */
export const LT_ENCODING_SYMBOL_ID_LIMIT = 1 << 24;
export const LT_MAX_SOURCE_SYMBOLS = 65536;

class LtEncoder extends SystematicEncoder {
  constructor(
    data: Uint8Array,
    shape: SourceShape,
    private readonly graph: LtGraph,
  ) {
    super(data, shape, LT_CODEC_NAME);
  }

  repairSymbol(n: number): EncodedSymbol {
    // Every ESI K..2^24-1 once, then the same sequence again.
    const m = this.cyclicRepairIndex(n, LT_ENCODING_SYMBOL_ID_LIMIT - this.firstRepairId);
    const out = new Uint8Array(this.shape.symbolSize);
    for (const i of this.graph.neighbours(m)) xorInto(out, this.sourceSymbol(i));
    return { encodingSymbolId: this.firstRepairId + m, data: out };
  }
}

/** The LT `Codec`. `options` fix c, δ and the graph seed for both ends. */
export function ltCodec(options: LtOptions = {}): Codec {
  const graphs = new Map<number, LtGraph>();
  const graph = (k: number) => {
    let g = graphs.get(k);
    if (!g) graphs.set(k, (g = new LtGraph(k, options)));
    return g;
  };
  const shape = (p: CodecParameters) => sourceShape(p, LT_MAX_SOURCE_SYMBOLS, LT_CODEC_NAME);
  return {
    name: LT_CODEC_NAME,
    encodingSymbolIdLimit: LT_ENCODING_SYMBOL_ID_LIMIT,
    maxSourceSymbols: LT_MAX_SOURCE_SYMBOLS,
    createEncoder(data, params) {
      const s = shape(params);
      return new LtEncoder(data, s, graph(s.sourceSymbols));
    },
    createDecoder(params) {
      const s = shape(params);
      return new LtDecoder(s, graph(s.sourceSymbols), LT_CODEC_NAME, LT_ENCODING_SYMBOL_ID_LIMIT, options.gaussianElimination ?? false);
    },
    // Peeling stalls by a few percent of K, not by a symbol or two, and elimination by a few
    // symbols. A failed attempt costs index work only (ltDecoder.ts), so steps of 1 % keep the
    // measured overhead within 1 % of where peeling completes.
    decodeRetryStep: (k) => (options.gaussianElimination ? 2 : Math.max(2, Math.ceil(0.01 * k))),
    segmentFromSourceSymbols: (sourceSymbols, params) => segmentFromSourceInOrder(sourceSymbols, shape(params), LT_CODEC_NAME),
  };
}

/**
 * `--decode model`: whether a receiver's segment decodes, predicted from the symbols it holds
 * instead of decoding its data, so 1,000 receivers fit in a minute. Labelled "decode: model" in
 * every output.
 *
 * - raptorq: RFC 6330's bound. With K + h distinct symbols (h ≥ 0) decoding fails with
 *   probability 1/256^(h+1); the model draws that from the receiver's seeded generator.
 * - lt, rs, arq: exact. Their own decoders run on 1-byte symbols: LT's peeling and RS's
 *   per-block MDS rule depend only on which ids arrived, never on the bytes, so the outcome is
 *   the real decoder's outcome at a fraction of the work.
 */
import type { Codec, SegmentDecoder } from '../../encoder/codec.js';
import type { SeededRandom } from '../../util/random.js';
import type { SchemeName } from './schemes.js';

export interface SegmentDecodeModel {
  /** Notes a distinct symbol (the caller filters duplicates). */
  add(encodingSymbolId: number): void;
  /** Would a decode of what is held now succeed? */
  attempt(rng: SeededRandom): boolean;
}

class RaptorQModel implements SegmentDecodeModel {
  private held = 0;
  constructor(private readonly k: number) {}
  add(): void {
    this.held++;
  }
  attempt(rng: SeededRandom): boolean {
    const h = this.held - this.k;
    return h >= 0 && rng.next() >= 256 ** -(h + 1);
  }
}

const ONE_BYTE = new Uint8Array(1);

/** The scheme's real decoder on 1-byte symbols (structure only). */
class StructuralModel implements SegmentDecodeModel {
  private readonly decoder: SegmentDecoder;
  private done = false;
  constructor(codec: Codec, k: number) {
    this.decoder = codec.createDecoder({ transferLength: k, symbolSize: 1 });
  }
  add(esi: number): void {
    if (!this.done) this.done = this.decoder.add(esi, ONE_BYTE);
  }
  attempt(): boolean {
    return this.done;
  }
}

export function segmentDecodeModel(scheme: SchemeName, codec: Codec, sourceSymbols: number): SegmentDecodeModel {
  return scheme === 'raptorq' ? new RaptorQModel(sourceSymbols) : new StructuralModel(codec, sourceSymbols);
}

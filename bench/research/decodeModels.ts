/**
 * `--decode model`: whether a receiver's segment decodes, predicted from the symbols it holds
 * instead of decoding its data, so 1,000 receivers fit in a minute. Labelled "decode: model" in
 * every output.
 *
 * - raptorq: a receiver holding all K source symbols has the segment (the code is systematic:
 *   no decoding). Otherwise, with K + h distinct symbols (h ≥ 0) decoding fails with
 *   probability 1/256^(h+1), drawn from the receiver's seeded generator. That is a common
 *   approximation, not a figure of RFC 6330; it is checked against the real codec
 *   (RAPTORQ_MEASURED_FAILURES, docs/research.md): at h = 0 the measured rate agrees with 1/256,
 *   and at h ≥ 1 failures are too rare to measure here, so the model's figure is an assumption.
 * - lt, lt-ge, lt-systematic, rs, arq: exact. Their own decoders run on 1-byte symbols: LT's
 *   peeling, its elimination over GF(2) (settled at the same attempts as a real receiver's) and
 *   RS's per-block MDS rule depend only on which ids arrived, never on the bytes, so the outcome
 *   is the real decoder's outcome at a fraction of the work.
 */
import type { Codec, SegmentDecoder } from '../../encoder/codec.js';
import type { SeededRandom } from '../../util/random.js';
import type { FailureCount } from './failureFit.js';
import type { SchemeName } from './schemes.js';

export interface SegmentDecodeModel {
  /** Notes a distinct symbol (the caller filters duplicates). */
  add(encodingSymbolId: number): void;
  /** Would a decode of what is held now succeed? */
  attempt(rng: SeededRandom): boolean;
}

/**
 * Decoding failures of the real wasm codec after K + h symbols, h = 0, 1, 2, as
 * `node dist/bench/research/failureFit.js 4000` measures them (failureFit.ts). Pooled at h = 0:
 * 63 in 15,578 (0.40 %; 1/256 = 0.39 %); none at h = 1 or 2 (under 1 in 5,000 at 95 %).
 */
export const RAPTORQ_MEASURED_FAILURES: readonly FailureCount[] = [
  { k: 10, trials: [3593, 3563, 3595], failures: [19, 0, 0] },
  { k: 26, trials: [3985, 3983, 3985], failures: [16, 0, 0] },
  { k: 101, trials: [4000, 4000, 4000], failures: [16, 0, 0] },
  { k: 754, trials: [4000, 4000, 4000], failures: [12, 0, 0] },
];

class RaptorQModel implements SegmentDecodeModel {
  private held = 0;
  private sourceHeld = 0;
  constructor(private readonly k: number) {}
  add(encodingSymbolId: number): void {
    this.held++;
    if (encodingSymbolId < this.k) this.sourceHeld++;
  }
  attempt(rng: SeededRandom): boolean {
    // Every source symbol is the segment itself: nothing to decode, nothing to fail.
    if (this.sourceHeld >= this.k) return true;
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
    // lt-ge's elimination runs once per attempt, after its last symbol, as in decodeJob.ts.
    if (!this.done) this.done = this.decoder.settle?.() ?? false;
    return this.done;
  }
}

export function segmentDecodeModel(scheme: SchemeName, codec: Codec, sourceSymbols: number): SegmentDecodeModel {
  return scheme === 'raptorq' ? new RaptorQModel(sourceSymbols) : new StructuralModel(codec, sourceSymbols);
}

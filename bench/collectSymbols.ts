/**
 * The symbols a receiver collects for one segment under independent loss, as
 * SegmentCollector hands them to a decode job: the source symbols that survived, then repair
 * symbols in order, each lost with the same probability, until K + `extra` arrived (or
 * `repairLimit` were sent). Shared by the decode-rate benchmark, the native codec's fuzz target
 * and its tests, so they draw the same losses from the same seed.
 */
import type { SegmentEncoder, SymbolBlock } from '../encoder/codec.js';
import type { SeededRandom } from '../util/random.js';

export interface CollectedSymbols extends SymbolBlock {
  /** K of the segment. */
  readonly k: number;
}

export function collectSymbols(
  encoder: SegmentEncoder,
  symbolSize: number,
  loss: number,
  extra: number,
  random: SeededRandom,
  repairLimit = Number.POSITIVE_INFINITY,
): CollectedSymbols {
  const k = encoder.sourceSymbols;
  const source = new Uint8Array(k * symbolSize);
  const sourcePresent = new Uint8Array(k);
  let have = 0;
  for (let esi = 0; esi < k; esi++) {
    if (random.next() < loss) continue;
    source.set(encoder.sourceSymbol(esi), esi * symbolSize);
    sourcePresent[esi] = 1;
    have++;
  }
  const ids: number[] = [];
  const repairData: Uint8Array[] = [];
  for (let n = 0; have + ids.length < k + extra && n < repairLimit; n++) {
    if (random.next() < loss) continue;
    const s = encoder.repairSymbol(n);
    ids.push(s.encodingSymbolId);
    repairData.push(s.data.slice());
  }
  const repair = new Uint8Array(ids.length * symbolSize);
  repairData.forEach((d, j) => repair.set(d, j * symbolSize));
  return { k, source, sourcePresent, repairIds: Uint32Array.from(ids), repair };
}

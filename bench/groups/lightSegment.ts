/**
 * One segment as a light receiver of the group load generator sees it: which symbols came, not
 * their bytes. It counts the way the real SegmentCollector (receiver/segmentCollector.ts) does
 * — distinct source and repair ids, a combined resend recovers the one id it alone lacks — so
 * its Progress entries (received, needed, missing) read like a real receiver's, while it holds
 * a few hundred bytes instead of the segment's 4 MiB: 500 of them fit one process.
 *
 * It deems the segment decoded once it holds K distinct symbols (RaptorQ decodes from K with
 * high probability, and every source is enough), so a light receiver never asks for the one or
 * two extra symbols a real decode failure would.
 */
import type { CollectorCounts } from '../../receiver/progressReport.js';

export type LightAddResult = 'added' | 'duplicate' | 'combined-undecodable' | 'combined-not-source';

export class LightSegment implements CollectorCounts {
  private readonly present: Uint8Array;
  private presentCount = 0;
  /** Repair ids seen (a Set: a light receiver sees few of them, and only of lossy segments). */
  private readonly repairSeen = new Set<number>();
  private highestSource = -1;
  private sawRepair = false;

  constructor(readonly sourceSymbols: number) {
    this.present = new Uint8Array(sourceSymbols);
  }

  get received(): number {
    return this.presentCount + this.repairSeen.size;
  }

  get complete(): boolean {
    return this.received >= this.sourceSymbols;
  }

  get needed(): number {
    return Math.max(0, this.sourceSymbols - this.received);
  }

  /** Same contract as SegmentCollector.missingSource. */
  missingSource(limit: number, sourcesAllSent = false): number[] | undefined {
    if (this.needed === 0 || limit <= 0) return undefined;
    const bound = this.sawRepair || sourcesAllSent ? this.sourceSymbols : this.highestSource;
    const out: number[] = [];
    for (let esi = 0; esi < bound; esi++) {
      if (this.present[esi] === 0) {
        if (out.length === limit) return undefined;
        out.push(esi);
      }
    }
    return out;
  }

  add(esi: number): LightAddResult {
    if (esi < this.sourceSymbols) {
      if (this.present[esi] !== 0) return 'duplicate';
      this.present[esi] = 1;
      this.presentCount++;
      if (esi > this.highestSource) this.highestSource = esi;
      return 'added';
    }
    this.sawRepair = true;
    if (this.repairSeen.has(esi)) return 'duplicate';
    this.repairSeen.add(esi);
    return 'added';
  }

  /** A combined resend (XOR of source ids): recovers the one id this segment lacks, if exactly one. */
  addCombined(ids: readonly number[]): LightAddResult {
    let lacking: number | undefined;
    for (const id of ids) {
      if (id >= this.sourceSymbols) return 'combined-not-source';
      if (this.present[id] !== 0) continue;
      if (lacking !== undefined) return 'combined-undecodable';
      lacking = id;
    }
    return lacking === undefined ? 'duplicate' : this.add(lacking);
  }
}

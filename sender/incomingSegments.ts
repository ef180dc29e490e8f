/**
 * The segments of an object a relay is still receiving (cut-through): which ones are stored
 * (matched the publisher's digest and written), and news of each one as it is. The relay's
 * receive side feeds it; every stream serving the object follows it (streamPort.ts), so a
 * segment goes downstream as soon as it is stored, while later ones still arrive.
 */
import { BitSet } from '../util/bitset.js';
import type { IncomingObject } from './preparedObject.js';

export class IncomingSegments implements IncomingObject {
  private readonly set: BitSet;
  private readonly listeners = new Set<(index: number) => void>();

  /** `path`: the file being written; `held`: segments it holds already (a resumed receive). */
  constructor(
    readonly path: string,
    readonly segmentCount: number,
    held?: BitSet,
  ) {
    this.set = new BitSet(segmentCount);
    if (held) for (let i = 0; i < segmentCount; i++) if (held.has(i)) this.set.add(i);
  }

  stored(): Uint8Array {
    return this.set.toBytes();
  }

  /** How many segments are stored. */
  get count(): number {
    return this.set.count();
  }

  has(index: number): boolean {
    return this.set.has(index);
  }

  /** Segment `index` is stored: every follower hears of it once. Out-of-range indexes are ignored. */
  add(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.segmentCount || this.set.has(index)) return;
    this.set.add(index);
    for (const cb of this.listeners) cb(index);
  }

  onStored(cb: (index: number) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
}

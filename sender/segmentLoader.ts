/**
 * SegmentLoader: a stream core's segment bytes, from the adapter's read to the encoder's end.
 * It keeps the reader ahead of the stream (at most `ahead` segments open, loaded or being read),
 * holds loaded bytes until the core opens the segment, builds its encoder, and on close frees the
 * encoder and hands the bytes back to the adapter (onSegmentFreed) for a later read.
 */
import type { Codec, SegmentEncoder } from '../encoder/codec.js';
import { segmentRange, type SegmentLayout } from '../encoder/segmentLayout.js';
import type { BitSet } from '../util/bitset.js';
import type { OpenSegment } from './openSegment.js';

export interface SegmentLoaderInit {
  layout: SegmentLayout;
  codec: Codec;
  /** Segments open, loaded or being read at once (the window plus read-ahead). */
  ahead: number;
  /** Called with bytes nothing reads any more (see SenderStreamInit.onSegmentFreed). */
  onSegmentFreed?: (data: Uint8Array) => void;
  /** The segments that can be read now (see StreamCoreInit.available). @default every segment */
  available?: BitSet;
}

export class SegmentLoader {
  private readonly loaded = new Map<number, Uint8Array>();
  private readonly requested = new Set<number>();
  /** The init's layout, or the larger one of a growing object (extend). */
  private layout: SegmentLayout;

  constructor(private readonly init: SegmentLoaderInit) {
    this.layout = init.layout;
  }

  /** A growing object's larger layout: the segments it had keep their ranges (they were full). */
  extend(layout: SegmentLayout): void {
    this.layout = layout;
  }

  /** Segment `index` can be read (every one unless the object is still arriving). */
  isAvailable(index: number): boolean {
    return this.init.available?.has(index) ?? true;
  }

  /** Segment `index` of an object still arriving can be read from now on. */
  makeAvailable(index: number): void {
    if (index >= 0 && index < (this.init.available?.size ?? 0)) this.init.available!.add(index);
  }

  /** Loaded or being read. */
  holds(index: number): boolean {
    return this.loaded.has(index) || this.requested.has(index);
  }

  isLoaded(index: number): boolean {
    return this.loaded.has(index);
  }

  /** Indexes of loaded (not yet opened) segments. */
  loadedIndexes(): number[] {
    return [...this.loaded.keys()];
  }

  /**
   * The segment the adapter should read next, if there is room beside `open` open segments:
   * `next` picks it (given which ones are already held) and it is then counted as requested.
   * A pick that cannot be read yet (isAvailable) is not taken: the stream keeps its order and
   * waits for it rather than serving later segments first.
   */
  poll(open: number, next: (held: (index: number) => boolean) => number | undefined): number | undefined {
    if (open + this.loaded.size + this.requested.size >= this.init.ahead) return undefined;
    const i = next((s) => this.holds(s));
    if (i === undefined || !this.isAvailable(i)) return undefined;
    this.requested.add(i);
    return i;
  }

  /** The adapter read segment `index`; kept when it was requested and is still `wanted`. */
  provide(index: number, data: Uint8Array, wanted = true): void {
    if (this.requested.delete(index) && wanted) this.loaded.set(index, data);
    else this.init.onSegmentFreed?.(data);
  }

  /** Opens loaded segment `index`: its encoder is built and its bytes move to the segment. */
  open<S extends OpenSegment>(index: number, make: (index: number, sourceSymbols: number, encoder: SegmentEncoder) => S): S | undefined {
    const data = this.loaded.get(index);
    if (!data) return undefined;
    this.loaded.delete(index);
    const range = segmentRange(this.layout, index);
    const encoder = this.init.codec.createEncoder(data, { transferLength: range.length, symbolSize: this.layout.symbolSize });
    const seg = make(index, range.sourceSymbols, encoder);
    seg.source = data;
    return seg;
  }

  /** Frees an open segment's encoder and hands its bytes back. */
  close(seg: OpenSegment): void {
    seg.encoder.free();
    if (seg.source !== undefined) this.init.onSegmentFreed?.(seg.source);
    seg.source = undefined;
  }

  /** Drops loaded segments nobody will open (`unwanted`). */
  discard(unwanted: (index: number) => boolean): void {
    for (const [i, data] of this.loaded) {
      if (!unwanted(i)) continue;
      this.loaded.delete(i);
      this.init.onSegmentFreed?.(data);
    }
  }

  /** Forgets everything loaded or requested (the stream ended). */
  clear(): void {
    this.discard(() => true);
    this.requested.clear();
  }
}

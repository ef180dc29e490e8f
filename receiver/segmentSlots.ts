/**
 * The receiver's window of open segments: one slot per segment that holds buffers, from its
 * first symbol until it is both written and in the whole-file hash. Slots are opened only inside
 * the window (the core checks), and a retired slot's decoded buffer goes back to a pool for the
 * next segment's collector, so a long transfer does not allocate a segment's worth per segment.
 */
import type { Codec } from '../encoder/codec.js';
import { segmentRange, type SegmentLayout } from '../encoder/segmentLayout.js';
import { BufferPool } from '../util/bufferPool.js';
import { SegmentCollector } from './segmentCollector.js';

export interface SegmentSlot {
  readonly index: number;
  /** Present while symbols are being collected (or a decode job is out). */
  collector: SegmentCollector | undefined;
  /** Decoded, verified bytes until both written and hashed. */
  data: Uint8Array | undefined;
  /** Symbols held when the segment decoded (for Progress while it waits to be written). */
  receivedAtDecode: number;
  queued: boolean;
  writing: boolean;
  written: boolean;
  hashed: boolean;
}

export class SegmentSlots {
  private readonly slots = new Map<number, SegmentSlot>();
  /** Segment buffers recycled from written segments to new ones (see BufferPool). */
  private readonly buffers = new BufferPool();

  constructor(
    /** The object's layout now (it grows while a length follows; open segments' ranges never move). */
    private readonly layoutNow: () => SegmentLayout,
    private readonly codec: Pick<Codec, 'encodingSymbolIdLimit' | 'decodeRetryStep'>,
  ) {}

  get(s: number): SegmentSlot | undefined {
    return this.slots.get(s);
  }

  /** Number of segments holding buffers (bounded by the window). */
  get size(): number {
    return this.slots.size;
  }

  values(): IterableIterator<SegmentSlot> {
    return this.slots.values();
  }

  /**
   * Bytes on their way in the open segments not yet written: each one's symbols so far, as at most
   * its length (K symbols decode it). An estimate for progress displays, so they move with the
   * datagrams rather than a segment at a time; nothing is stored before its segment verifies.
   */
  bytesInFlight(): number {
    const layout = this.layoutNow();
    let bytes = 0;
    for (const slot of this.slots.values()) {
      if (slot.written) continue;
      const range = segmentRange(layout, slot.index);
      const symbols = slot.collector ? slot.collector.received : slot.receivedAtDecode;
      bytes += slot.data ? range.length : Math.min(range.length, symbols * layout.symbolSize);
    }
    return bytes;
  }

  /** A slot for segment `s`, collecting symbols. The caller checks the window first. */
  open(s: number): SegmentSlot {
    const layout = this.layoutNow();
    const range = segmentRange(layout, s);
    const collector = new SegmentCollector({
      segmentIndex: s,
      transferLength: range.length,
      symbolSize: layout.symbolSize,
      sourceSymbols: range.sourceSymbols,
      encodingSymbolIdLimit: this.codec.encodingSymbolIdLimit,
      retryStep: this.codec.decodeRetryStep?.(range.sourceSymbols),
      takeBuffer: (bytes) => this.buffers.take(bytes),
    });
    const slot: SegmentSlot = { index: s, collector, data: undefined, receivedAtDecode: 0, queued: false, writing: false, written: false, hashed: false };
    this.slots.set(s, slot);
    return slot;
  }

  /** Closes the slot once it is both written and hashed. */
  retireIfDone(slot: SegmentSlot): void {
    if (slot.written && slot.hashed) {
      // Written and hashed: nothing holds these bytes any more, the next segment reuses them.
      const layout = this.layoutNow();
      if (slot.data !== undefined) this.buffers.give(slot.data, segmentRange(layout, slot.index).sourceSymbols * layout.symbolSize);
      slot.data = undefined;
      this.slots.delete(slot.index);
    }
  }

  /** Some open segment still needs symbols (Progress keeps its pace while so). */
  waitingForSymbols(): boolean {
    for (const slot of this.slots.values()) if (!slot.written && slot.collector && slot.collector.needed > 0) return true;
    return false;
  }
}

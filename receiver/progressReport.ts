/**
 * What a Progress report says (control/messages.ts): segments complete below and above the
 * window's start, and each open segment's counts and, budget allowing, the source symbols it
 * knows are lost. Built from the receiver core's view; pure.
 */
import { MAX_MISSING_LISTED, MAX_MISSING_PER_PROGRESS, type Progress, type SegmentProgress } from '../control/messages.js';
import type { BitSet } from '../util/bitset.js';
import type { SegmentCollector } from './segmentCollector.js';

/**
 * What a report reads of a segment's collector: its counts and known losses. A SegmentCollector,
 * or anything else that counts symbols the same way (the group load generator's receivers count
 * without keeping the bytes: bench/groups/).
 */
export type CollectorCounts = Pick<SegmentCollector, 'received' | 'needed' | 'missingSource'>;

/** An open segment as the report sees it. */
export interface OpenSegmentView {
  readonly index: number;
  readonly collector: CollectorCounts | undefined;
  /** Symbols held when it decoded (it waits to be written). */
  readonly receivedAtDecode: number;
  readonly written: boolean;
}

export interface ProgressView {
  readonly completeBelow: number;
  readonly segmentCount: number;
  readonly window: number;
  readonly written: BitSet;
  readonly open: Iterable<OpenSegmentView>;
  /** Highest segment any valid datagram carried: every earlier segment's sources were sent. */
  readonly highestSegmentSeen: number;
  readonly sequence: { readonly highestSequence: number; readonly received: number; readonly lost: number };
}

export function buildProgress(v: ProgressView): Progress {
  const completeAbove: number[] = [];
  const open: SegmentProgress[] = [];
  const end = Math.min(v.segmentCount, v.completeBelow + v.window);
  for (let s = v.completeBelow + 1; s < end; s++) if (v.written.has(s)) completeAbove.push(s);
  // Oldest first, so the listing budget goes to the segments that hold the window back.
  const slots = [...v.open].sort((a, b) => a.index - b.index);
  let budget = MAX_MISSING_PER_PROGRESS;
  for (const slot of slots) {
    if (slot.written) continue;
    const c = slot.collector;
    const missing = c?.missingSource(Math.min(MAX_MISSING_LISTED, budget), slot.index < v.highestSegmentSeen);
    if (missing) budget -= missing.length;
    const entry = { index: slot.index, received: c?.received ?? slot.receivedAtDecode, needed: c?.needed ?? 0 };
    open.push(missing ? { ...entry, missing } : entry);
  }
  return {
    type: 'progress',
    completeBelow: v.completeBelow,
    completeAbove,
    open,
    highestSequence: v.sequence.highestSequence,
    datagramsReceived: v.sequence.received,
    datagramsLost: v.sequence.lost,
  };
}

/**
 * A receiver for `--decode model` runs: the ReceiverCore's feedback without its data path.
 * It reads the header fields the sender core's decisions depend on (sequence, segment, ESI),
 * keeps per open segment which ids it holds, reports Progress on the same schedule and with the
 * same fields as ReceiverCore (needed counts, lists of lost source ids, completeBelow/Above,
 * sequence counts), and asks a SegmentDecodeModel whether a decode would succeed. No bytes are
 * stored, checked or hashed: that is what makes a thousand receivers cheap, and why every
 * output of such a run says "decode: model".
 */
import { MAX_MISSING_LISTED, MAX_MISSING_PER_PROGRESS, type Progress, type SegmentProgress } from '../../control/messages.js';
import { DATAGRAM_TYPE_COMBINED, datagramLength, HEADER_LENGTH } from '../../encoder/datagram.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import type { Codec } from '../../encoder/codec.js';
import { segmentRange, totalSourceSymbols, type SegmentLayout } from '../../encoder/segmentLayout.js';
import { SequenceTracker } from '../../receiver/intake.js';
import { ProgressSchedule } from '../../receiver/progressSchedule.js';
import { RETRY_EXTRA_SYMBOLS } from '../../receiver/segmentCollector.js';
import type { SeededRandom } from '../../util/random.js';
import { segmentDecodeModel, type SegmentDecodeModel } from './decodeModels.js';
import type { SchemeName } from './schemes.js';

interface OpenSlot {
  readonly k: number;
  readonly present: Uint8Array;
  readonly repairSeen: Set<number>;
  readonly model: SegmentDecodeModel;
  received: number;
  threshold: number;
  highestSource: number;
  sawRepair: boolean;
}

export class ModelReceiver {
  private readonly sequence = new SequenceTracker();
  private readonly schedule = new ProgressSchedule();
  private readonly slots = new Map<number, OpenSlot>();
  private readonly done = new Set<number>();
  private completeBelow = 0;
  private highestSegmentSeen = -1;
  private symbolsReceived = 0;
  private decodeFailures = 0;
  private highestArrivedAt: number | undefined;

  constructor(
    private readonly layout: SegmentLayout,
    private readonly scheme: SchemeName,
    private readonly codec: Codec,
    private readonly window: number,
    private readonly rng: SeededRandom,
  ) {}

  get complete(): boolean {
    return this.completeBelow >= this.layout.segmentCount;
  }

  get stats() {
    return { symbolsReceived: this.symbolsReceived, symbolsNeeded: totalSourceSymbols(this.layout), decodeFailures: this.decodeFailures };
  }

  handleDatagram(now: number, d: Uint8Array): void {
    const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const before = this.sequence.highestSequence;
    this.sequence.record(view.getUint32(12));
    if (this.sequence.highestSequence !== before || this.highestArrivedAt === undefined) this.highestArrivedAt = now;
    const s = view.getUint32(16);
    let esi = view.getUint32(20) & 0xffffff;
    if (s >= this.layout.segmentCount || s < this.completeBelow || this.done.has(s) || s >= this.completeBelow + this.window) return;
    this.highestSegmentSeen = Math.max(this.highestSegmentSeen, s);
    const slot = this.slots.get(s) ?? this.open(s);
    if (d[3] === DATAGRAM_TYPE_COMBINED) {
      // The XOR of source ids (the header's and 3-byte ones after it): usable when exactly one
      // of them is missing here, which is then what arrived (as SegmentCollector.addCombined).
      const missing = combinedMissing(d, slot.present, HEADER_LENGTH + d.length - datagramLength(this.layout.symbolSize, crc32Scheme));
      if (missing === undefined) return;
      esi = missing;
    }
    if (esi < slot.k) {
      if (slot.present[esi]) return;
      slot.present[esi] = 1;
      slot.highestSource = Math.max(slot.highestSource, esi);
    } else {
      if (slot.repairSeen.has(esi)) return;
      slot.repairSeen.add(esi);
      slot.sawRepair = true;
    }
    slot.received++;
    this.symbolsReceived++;
    slot.model.add(esi);
    this.schedule.noteData(now);
    if (slot.received >= slot.threshold) {
      if (slot.model.attempt(this.rng)) this.finishSegment(now, s);
      else {
        this.decodeFailures++;
        slot.threshold = slot.received + (this.codec.decodeRetryStep?.(slot.k) ?? RETRY_EXTRA_SYMBOLS);
      }
    }
  }

  pollProgress(now: number): Progress | undefined {
    const due = this.pollTimeout();
    if (due === undefined || now < due) return undefined;
    this.schedule.sent(now);
    const p = this.buildProgress();
    return this.highestArrivedAt === undefined ? p : { ...p, heldMs: Math.max(0, Math.round(now - this.highestArrivedAt)) };
  }

  pollTimeout(): number | undefined {
    return this.schedule.due(this.slots.size > 0);
  }

  private open(s: number): OpenSlot {
    const k = segmentRange(this.layout, s).sourceSymbols;
    const slot: OpenSlot = {
      k,
      present: new Uint8Array(k),
      repairSeen: new Set(),
      model: segmentDecodeModel(this.scheme, this.codec, k),
      received: 0,
      threshold: k,
      highestSource: -1,
      sawRepair: false,
    };
    this.slots.set(s, slot);
    return slot;
  }

  private finishSegment(now: number, s: number): void {
    this.slots.delete(s);
    this.done.add(s);
    while (this.completeBelow < this.layout.segmentCount && this.done.has(this.completeBelow)) this.done.delete(this.completeBelow++);
    this.schedule.urgent(now);
  }

  /** As ReceiverCore.buildProgress and SegmentCollector.missingSource. */
  private buildProgress(): Progress {
    const completeAbove = [...this.done].filter((s) => s < this.completeBelow + this.window).sort((a, b) => a - b);
    const open: SegmentProgress[] = [];
    let budget = MAX_MISSING_PER_PROGRESS;
    for (const [index, slot] of [...this.slots].sort((a, b) => a[0] - b[0])) {
      const needed = Math.max(0, slot.threshold - slot.received);
      const entry = { index, received: slot.received, needed };
      const limit = Math.min(MAX_MISSING_LISTED, budget);
      let missing: number[] | undefined;
      if (needed > 0 && limit > 0) {
        const bound = slot.sawRepair || index < this.highestSegmentSeen ? slot.k : slot.highestSource;
        missing = [];
        for (let esi = 0; esi < bound && missing; esi++) if (!slot.present[esi]) missing = missing.length < limit ? (missing.push(esi), missing) : undefined;
      }
      if (missing) budget -= missing.length;
      open.push(missing ? { ...entry, missing } : entry);
    }
    const q = this.sequence;
    return {
      type: 'progress',
      completeBelow: this.completeBelow,
      completeAbove,
      open,
      highestSequence: q.highestSequence,
      datagramsReceived: q.received,
      datagramsLost: q.lost,
    };
  }
}

/** The one id of a combined datagram not in `present` (ids from byte 21 and from 24 to `listEnd`), if exactly one. */
function combinedMissing(d: Uint8Array, present: Uint8Array, listEnd: number): number | undefined {
  let missing: number | undefined;
  for (let at = 21; at < listEnd; at = at === 21 ? HEADER_LENGTH : at + 3) {
    const id = (d[at]! << 16) | (d[at + 1]! << 8) | d[at + 2]!;
    if (id >= present.length) return undefined;
    if (present[id]) continue;
    if (missing !== undefined) return undefined;
    missing = id;
  }
  return missing;
}

/**
 * A light receiver's data side (sans-IO): takes a shared stream's datagrams, validates and counts
 * them with the receiver's own intake (receiver/intake.ts: checks, tag, sequence accounting),
 * tracks each open segment's symbols without their bytes (lightSegment.ts), and hands out
 * Progress reports built by the receiver's own report builder on the receiver's own schedule
 * (progressReport.ts, progressSchedule.ts). A segment that has K distinct symbols is complete at
 * once: no decode, no write. The sender cannot tell it from a real receiver by its reports.
 */
import type { Manifest, Progress } from '../../control/messages.js';
import { integrityFor } from '../../encoder/integrity.js';
import { RAPTORQ_ENCODING_SYMBOL_ID_LIMIT } from '../../encoder/raptorqParameters.js';
import { planSegments, segmentRange, type SegmentLayout } from '../../encoder/segmentLayout.js';
import { DatagramIntake } from '../../receiver/intake.js';
import { buildProgress, type OpenSegmentView } from '../../receiver/progressReport.js';
import { ProgressSchedule } from '../../receiver/progressSchedule.js';
import { BitSet } from '../../util/bitset.js';
import { LightSegment } from './lightSegment.js';

export interface LightReceiverInit {
  readonly manifest: Manifest;
  /** Segments it takes at once (its Hello.window). */
  readonly window: number;
  readonly now: number;
  /** The schedule its reports follow. @default a ProgressSchedule at the receiver's default interval */
  readonly schedule?: ProgressSchedule;
}

export class LightReceiver {
  readonly layout: SegmentLayout;
  readonly window: number;
  private readonly intake: DatagramIntake;
  readonly schedule: ProgressSchedule;
  private readonly open = new Map<number, LightSegment>();
  private readonly written: BitSet;
  private completeBelow = 0;
  private highestSegmentSeen = -1;
  private highestArrivedAt: number | undefined;
  /** Distinct symbols that counted towards a segment. */
  symbolsReceived = 0;
  /** Datagrams that counted for nothing (duplicate, segment complete, window full, undecodable). */
  datagramsUnused = 0;

  constructor(init: LightReceiverInit) {
    const m = init.manifest;
    this.layout = planSegments(m.fileSize, { segmentSize: m.segmentSize, symbolSize: m.symbolSize });
    this.window = init.window;
    this.written = new BitSet(this.layout.segmentCount);
    this.schedule = init.schedule ?? new ProgressSchedule();
    this.intake = new DatagramIntake({
      sessionId: m.sessionId,
      symbolSize: m.symbolSize,
      segmentCount: this.layout.segmentCount,
      encodingSymbolIdLimit: RAPTORQ_ENCODING_SYMBOL_ID_LIMIT,
      integrity: integrityFor(m.tagKind),
    });
  }

  get complete(): boolean {
    return this.completeBelow >= this.layout.segmentCount;
  }

  /** Datagrams dropped by intake's checks (bad tag, wrong session, ...). */
  get datagramsRejected(): number {
    return this.intake.dropped;
  }

  handleDatagram(now: number, bytes: Uint8Array): void {
    const before = this.intake.sequence.highestSequence;
    const d = this.intake.accept(bytes);
    if (this.intake.sequence.highestSequence !== before || this.highestArrivedAt === undefined) this.highestArrivedAt = now;
    if (d === undefined) return;
    this.schedule.noteData(now);
    const s = d.segmentIndex;
    if (s > this.highestSegmentSeen) this.highestSegmentSeen = s;
    if (s < this.completeBelow || this.written.has(s) || s >= this.completeBelow + this.window) {
      this.datagramsUnused++;
      return;
    }
    let seg = this.open.get(s);
    if (seg === undefined) {
      seg = new LightSegment(segmentRange(this.layout, s).sourceSymbols);
      this.open.set(s, seg);
    }
    const result = d.combinedIds ? seg.addCombined(d.combinedIds) : seg.add(d.encodingSymbolId);
    if (result !== 'added') {
      this.datagramsUnused++;
      return;
    }
    this.symbolsReceived++;
    if (seg.complete) this.segmentDone(now, s);
  }

  /** A Progress report when one is due (the receiver's own schedule), else undefined. */
  pollProgress(now: number): Progress | undefined {
    const due = this.pollTimeout();
    if (due === undefined || now < due) return undefined;
    this.schedule.sent(now);
    const p = buildProgress({
      completeBelow: this.completeBelow,
      segmentCount: this.layout.segmentCount,
      window: this.window,
      written: this.written,
      open: this.views(),
      highestSegmentSeen: this.highestSegmentSeen,
      sequence: this.intake.sequence,
    });
    return this.highestArrivedAt === undefined ? p : { ...p, heldMs: Math.max(0, Math.round(now - this.highestArrivedAt)) };
  }

  /** When pollProgress next has something (undefined: nothing pending). */
  pollTimeout(): number | undefined {
    let waiting = false;
    for (const seg of this.open.values()) if (seg.needed > 0) waiting = true;
    return this.schedule.due(waiting);
  }

  private *views(): Generator<OpenSegmentView> {
    for (const [index, collector] of this.open) yield { index, collector, receivedAtDecode: collector.received, written: false };
  }

  private segmentDone(now: number, s: number): void {
    this.open.delete(s);
    this.written.add(s);
    while (this.completeBelow < this.layout.segmentCount && this.written.has(this.completeBelow)) this.completeBelow++;
    this.schedule.urgent(now);
  }
}

/**
 * The receiver of one transfer as a sans-IO state machine: datagrams in, decode jobs, writes and
 * Progress reports out. No sockets, no clock, no timers, no workers: the adapter feeds `now`,
 * runs decode jobs (decodePool), performs writes (the staging, openStaging.ts) and sends Progress.
 *
 *   handleDatagram ──> intake (validate, count) ──> window checks ──> SegmentCollector
 *   pollDecodeJob  <── ready collector             handleDecodeOutcome ──> write queue
 *   pollWrite / handleWriteDone ──> completeBelow advances ──> window moves on
 *
 * Window: symbols are taken only for segments in [completeBelow, completeBelow + window), where
 * completeBelow is the first segment not yet written; every buffer the receiver holds (collectors
 * and decoded-but-unwritten or not-yet-hashed data) belongs to such a segment, so memory is
 * bounded by `window` segments whatever the file size. The object's identity is derived from the
 * segment digests every written segment was verified against; only when its plain SHA-256 is
 * wanted are decoded segments fed to a running hash in file order (out-of-order ones wait,
 * inside the window), so the file is never re-read (objectHash.ts).
 *
 * Held segments (resume): an earlier run wrote and re-verified them; they count as decoded and
 * written from the start (completeBelow moves over them, Progress lists them complete, intake
 * drops their symbols). Their bytes are not in memory and an earlier run wrote them: once every
 * segment is written the core asks for the whole object to be read back and hashed
 * (pollObjectVerify / handleObjectVerified), so a staged file changed between runs is caught.
 *
 * Digests that follow (Manifest.digestsFollow): the sender started streaming while it still
 * hashed the file. A segment whose symbols are all in but whose digest has not come yet waits,
 * inside the window, until handleDigests brings it; the file completes only once the whole-file
 * digest has come too. Nothing is verified against, or written from, an unknown digest.
 *
 * A length that follows (Manifest.lengthFollows: the sender reads a pipe): the object starts with
 * no segments and grows with every Digests frame (each announced segment full); the frame with
 * the object's digest gives its length, and only then can it complete. Datagrams of segments not
 * announced yet are dropped (`segment-out-of-range`: the sender serves a segment only after its
 * digest), so nothing is ever collected for bytes of an unknown length.
 */
import type { Hash } from 'node:crypto';
import { MAX_WINDOW } from '../control/constants.js';
import type { Digests, Manifest, Progress } from '../control/messages.js';
import type { Codec } from '../encoder/codec.js';
import type { DatagramExpectations } from '../encoder/datagram.js';
import type { IntegrityScheme } from '../encoder/integrity.js';
import { layoutSoFar, segmentRange, totalSourceSymbols, type SegmentLayout } from '../encoder/segmentLayout.js';
import type { DecodeJob, DecodeOutcome } from './decodeJob.js';
import { DigestBook } from './digestBook.js';
import { ObjectHash, type ObjectReadBack, type ReadBackNeeds } from './objectHash.js';
import { digestKindOf, segmentsDigest } from '../control/objectIdentity.js';
import { buildProgress } from './progressReport.js';
import { DatagramIntake } from './intake.js';
import type { IntakeLoss } from './lossSimulator.js';
import { checkManifest } from './manifestCheck.js';
import { DEFAULT_PROGRESS_INTERVAL_MS, ProgressSchedule } from './progressSchedule.js';
import type { ReceiverStats } from './receiverStats.js';
import { SegmentSlots } from './segmentSlots.js';
import { BitSet } from '../util/bitset.js';

export { DEFAULT_PROGRESS_INTERVAL_MS };
export type { ReceiverStats };

export interface ReceiverCoreInit {
  readonly manifest: Manifest;
  readonly codec: Codec;
  /** Must match the manifest's tagKind. */
  readonly integrity: IntegrityScheme;
  /** Segments buffered at once (what the Hello announced), 1..MAX_WINDOW. */
  readonly window: number;
  readonly now: number;
  /** @default 50 */
  readonly progressIntervalMs?: number;
  /** @default 2^50 */
  readonly maxFileSize?: number;
  /** @default 256 MiB */
  readonly maxSegmentSize?: number;
  /** Bound on window x segmentSize (source buffers the peer can make us allocate). @default 1 GiB */
  readonly maxBufferBytes?: number;
  /** TEST/BENCH ONLY: drops datagrams before anything else. */
  readonly lossSimulator?: IntakeLoss;
  /**
   * Segments already written and verified against the manifest's digests (resume): one bit per
   * segment. Any held segment needs the manifest to carry its digests.
   */
  readonly held?: BitSet;
  /** The object's plain SHA-256 too, when its identity is not that (receive --sha256). */
  readonly sha256?: boolean;
}

export interface SegmentWrite {
  readonly segmentIndex: number;
  /** Byte offset in the file. */
  readonly offset: number;
  /** Do not modify: the whole-file hash may still read it. */
  readonly data: Uint8Array;
}

export class ReceiverCore {
  private _layout: SegmentLayout;
  readonly window: number;
  /** The digests verified against, known or following (digestBook.ts). */
  private readonly digests: DigestBook;
  /** The latest `now` passed in (calls without one, like pollDecodeJob, use it). */
  private now: number;
  private readonly intake: DatagramIntake;
  private readonly lossSimulator: IntakeLoss | undefined;
  private readonly schedule: ProgressSchedule;

  /** Manifest.lengthFollows: the layout grows with the digests (grow). */
  private readonly lengthFollows: boolean;
  /** What intake checks datagrams against; its segment count grows with a length that follows. */
  private readonly expect: { -readonly [K in keyof DatagramExpectations]: DatagramExpectations[K] };
  private readonly slots: SegmentSlots;
  /** Sized by the segment count (capacity, while a length follows: see grow). */
  private decoded: BitSet;
  private written: BitSet;
  private readonly readyQueue: number[] = [];
  private readonly writeQueue: number[] = [];
  private completeBelow = 0;
  /** Highest segment index any valid datagram carried: every earlier segment's sources were sent. */
  private highestSegmentSeen = -1;
  /** The object's identity (and plain SHA-256, when computed): from the digests, a running hash or a read-back. */
  private readonly objectHash: ObjectHash;
  private segmentsHeld = 0;
  private bytesHeld = 0;

  private symbolsReceived = 0;
  private decodeJobs = 0;
  private decodeFailures = 0;
  /** When the datagram with the highest sequence number so far arrived (for Progress.heldMs). */
  private highestArrivedAt: number | undefined;
  private decodeErrors = 0;
  private hashMismatches = 0;
  private segmentsWritten = 0;
  private bytesWritten = 0;
  /** The last codec/worker failure message, for logs. */
  lastDecodeError: string | undefined;

  constructor(init: ReceiverCoreInit) {
    if (!Number.isInteger(init.window) || init.window < 1 || init.window > MAX_WINDOW) {
      throw new RangeError(`window must be an integer in 1..${MAX_WINDOW}, not ${init.window}`);
    }
    this.schedule = new ProgressSchedule(init.progressIntervalMs);
    this.now = init.now;
    // Everything sized by the peer is checked here, before the first allocation below.
    const accepted = checkManifest(init.manifest, init);
    this._layout = accepted.layout;
    this.lengthFollows = accepted.following !== undefined;
    const { segmentCount } = this._layout;
    this.digests = new DigestBook(segmentCount, accepted, accepted.following);
    this.window = init.window;
    this.slots = new SegmentSlots(() => this._layout, init.codec);
    this.lossSimulator = init.lossSimulator;
    this.expect = {
      sessionId: init.manifest.sessionId,
      symbolSize: this._layout.symbolSize,
      segmentCount,
      encodingSymbolIdLimit: init.codec.encodingSymbolIdLimit,
      integrity: init.integrity,
    };
    // Intake keeps this object and reads segmentCount from it at every datagram: growing it here is how intake learns.
    this.intake = new DatagramIntake(this.expect);
    // A length that follows starts empty: room for a few segments, doubled as they come.
    const capacity = accepted.following ? Math.min(accepted.following.maxSegments, 1024) : segmentCount;
    this.decoded = new BitSet(capacity);
    this.written = new BitSet(capacity);
    this.objectHash = new ObjectHash({ readBack: this.takeHeld(init.held), kind: digestKindOf(init.manifest), plain: init.sha256 });
    this.checkCompletion(init.now);
  }

  /** How often it reports while data flows (its own default, or a large group's sender's advice). */
  get progressIntervalMs(): number {
    return this.schedule.intervalMs;
  }

  /** The object's layout: while a length follows, its segments announced so far. */
  get layout(): SegmentLayout {
    return this._layout;
  }

  /** Marks the held segments decoded and written; true when there is any. */
  private takeHeld(held: BitSet | undefined): boolean {
    if (held === undefined) return false;
    const n = this.layout.segmentCount;
    if (held.size !== n) throw new RangeError(`held segments: a set of ${held.size} for ${n} segments`);
    for (let i = 0; i < n; i++) {
      if (!held.has(i)) continue;
      this.decoded.add(i);
      this.written.add(i);
      this.segmentsHeld++;
      this.bytesHeld += segmentRange(this.layout, i).length;
    }
    if (this.segmentsHeld === 0) return false;
    // Held bytes were verified against digests: a manifest without them cannot have any.
    if (!this.digests.allSegmentsKnown) throw new RangeError('held segments need a manifest that carries its digests');
    while (this.completeBelow < n && this.written.has(this.completeBelow)) this.completeBelow++;
    return true;
  }

  /**
   * Every segment is written and, segments having been held, the whole object must be read back
   * and hashed: true once, then answer handleObjectVerified. Never true without held segments.
   */
  pollObjectVerify(): boolean {
    return this.objectHash.pollVerify();
  }

  /** What the read-back asked for by pollObjectVerify computes. */
  get readBackNeeds(): ReadBackNeeds {
    return this.objectHash.readBackNeeds;
  }

  /** The read-back's digests of the whole object (see pollObjectVerify, readBackNeeds). */
  handleObjectVerified(now: number, answer: ObjectReadBack): void {
    this.now = Math.max(this.now, now);
    const derive = (segmentDigests: Uint8Array) => segmentsDigest(this.layout.fileSize, this.layout.segmentSize, segmentDigests);
    if (this.objectHash.handleVerified(this.completeBelow >= this.layout.segmentCount, answer, derive)) this.schedule.urgent(now);
  }

  /** All segments written, the object's identity computed and the expected one known (see fileHashMatches). */
  get complete(): boolean {
    return this.objectHash.identity !== undefined && this.digests.expectedFileSha256 !== undefined;
  }

  /** The object's identity the sender announced (hex, Manifest.fileSha256), once known. */
  get announcedFileSha256(): string | undefined {
    return this.digests.expectedFileSha256;
  }

  /**
   * When the wait for a digest becomes a failure (undefined: nothing waits for one): a segment
   * held for its digest, or the file for its digest, with no digest coming for `limitMs`. A
   * sender that streams but never sends them would otherwise keep the receiver forever.
   */
  digestDeadline(limitMs: number): number | undefined {
    return this.digests.deadline(limitMs);
  }

  /**
   * The next digests of a Manifest whose digests follow. Returns why they are refused (a
   * protocol violation: the caller aborts the transfer), or undefined when taken.
   */
  handleDigests(now: number, d: Digests): string | undefined {
    this.now = Math.max(this.now, now);
    const taken = this.digests.take(now, d, this.objectHash.identity !== undefined);
    if ('problem' in taken) return taken.problem;
    if (this.lengthFollows) this.grow(now);
    // Segments that waited for these go back to the queue.
    for (const s of taken.released) {
      const slot = this.slots.get(s);
      if (slot?.collector !== undefined && slot.collector.ready && !slot.queued) {
        slot.queued = true;
        this.readyQueue.push(s);
      }
    }
    this.schedule.urgent(now);
    return undefined;
  }

  /**
   * A length that follows: the segments (and the length) the digests have announced so far. The
   * book checked them against the announced ones (all full), so no segment's range moves.
   */
  private grow(now: number): void {
    const n = this.digests.segmentCount;
    const { segmentSize, symbolSize } = this._layout;
    this._layout = layoutSoFar(segmentSize, symbolSize, n, this.digests.fileSize);
    this.expect.segmentCount = n;
    if (n > this.decoded.size) {
      const capacity = Math.max(n, 2 * this.decoded.size);
      this.decoded = this.decoded.grown(capacity);
      this.written = this.written.grown(capacity);
    }
    // The end may find every segment written already.
    this.checkCompletion(now);
  }

  /** Only meaningful once complete. */
  fileHashMatches(): boolean {
    return this.objectHash.identity !== undefined && this.objectHash.identity === this.digests.expectedFileSha256;
  }

  /** The received object's plain SHA-256 (hex), once complete, when computed (its identity's kind, or init.sha256). */
  get objectSha256(): string | undefined {
    return this.objectHash.sha256;
  }

  /** One datagram off the socket (`crcChecked`: see DatagramIntake.accept). Never throws on network input: drops are counted. */
  handleDatagram(now: number, bytes: Uint8Array, crcChecked?: boolean): void {
    this.now = Math.max(this.now, now);
    if (this.lossSimulator?.drop()) {
      this.intake.countDrop('simulated-loss');
      return;
    }
    const before = this.intake.sequence.highestSequence;
    const d = this.intake.accept(bytes, crcChecked);
    if (this.intake.sequence.highestSequence !== before || this.highestArrivedAt === undefined) this.highestArrivedAt = now;
    if (d === undefined) return;
    this.schedule.noteData(now);
    const s = d.segmentIndex;
    if (s > this.highestSegmentSeen) this.highestSegmentSeen = s;
    if (s < this.completeBelow || this.decoded.has(s)) return this.intake.countDrop('segment-complete');
    if (s >= this.completeBelow + this.window) return this.intake.countDrop('window-full');
    let slot = this.slots.get(s);
    if (slot === undefined) {
      if (this.slots.size >= this.window) return this.intake.countDrop('window-full');
      slot = this.slots.open(s);
    }
    const collector = slot.collector;
    if (collector === undefined) return this.intake.countDrop('segment-complete');
    const result = d.combinedIds ? collector.addCombined(d.combinedIds, d.symbol) : collector.add(d.encodingSymbolId, d.symbol);
    if (result !== 'added') return this.intake.countDrop(result);
    this.symbolsReceived++;
    if (!slot.queued && collector.ready) {
      slot.queued = true;
      this.readyQueue.push(s);
    }
  }

  /** A segment ready to decode: its collector's buffers move into the job. */
  pollDecodeJob(): DecodeJob | undefined {
    while (this.readyQueue.length > 0) {
      const s = this.readyQueue.shift()!;
      const slot = this.slots.get(s);
      if (slot === undefined) continue;
      slot.queued = false;
      if (slot.collector === undefined || !slot.collector.ready) continue;
      const digest = this.digests.digestFor(this.now, s);
      if (digest === undefined) continue; // back in the queue when its digest comes
      this.decodeJobs++;
      return slot.collector.takeJob(digest);
    }
    return undefined;
  }

  handleDecodeOutcome(now: number, outcome: DecodeOutcome): void {
    this.now = Math.max(this.now, now);
    const slot = this.slots.get(outcome.segmentIndex);
    const collector = slot?.collector;
    // Not ours (any more): ignore rather than corrupt state.
    if (slot === undefined || collector === undefined || !collector.decoding) return;
    switch (outcome.type) {
      case 'decoded': {
        const expected = segmentRange(this.layout, slot.index).length;
        if (outcome.data.length !== expected) {
          this.decodeErrors++;
          this.lastDecodeError = `segment ${slot.index} decoded to ${outcome.data.length} bytes, expected ${expected}`;
          collector.reset(undefined);
          break;
        }
        slot.receivedAtDecode = collector.received;
        collector.release();
        slot.collector = undefined;
        slot.data = outcome.data;
        this.decoded.add(slot.index);
        this.writeQueue.push(slot.index);
        this.objectHash.decoded(slot, outcome.fileHashAfter);
        this.feedFileHash();
        this.schedule.urgent(now);
        break;
      }
      case 'need-more':
        this.decodeFailures++;
        collector.handleNeedMore(outcome.buffers);
        break;
      case 'hash-mismatch':
        this.hashMismatches++;
        collector.reset(outcome.buffers);
        break;
      case 'failed':
        this.decodeErrors++;
        this.lastDecodeError = outcome.reason;
        collector.reset(outcome.buffers);
        break;
    }
    if (slot.collector !== undefined && !slot.queued && slot.collector.ready) {
      slot.queued = true;
      this.readyQueue.push(slot.index);
    }
  }

  /** The next decoded segment to write (each handed out once). */
  pollWrite(): SegmentWrite | undefined {
    const s = this.writeQueue.shift();
    if (s === undefined) return undefined;
    const slot = this.slots.get(s)!;
    slot.writing = true;
    return { segmentIndex: s, offset: segmentRange(this.layout, s).offset, data: slot.data! };
  }

  handleWriteDone(now: number, segmentIndex: number): void {
    this.now = Math.max(this.now, now);
    const slot = this.slots.get(segmentIndex);
    if (slot === undefined || !slot.writing || slot.written) return;
    slot.written = true;
    slot.writing = false;
    this.written.add(segmentIndex);
    this.segmentsWritten++;
    this.bytesWritten += slot.data!.length;
    this.slots.retireIfDone(slot);
    while (this.completeBelow < this._layout.segmentCount && this.written.has(this.completeBelow)) this.completeBelow++;
    this.schedule.urgent(now);
    this.checkCompletion(now);
  }

  /** A Progress report when one is due: every progressIntervalMs while data flows, at once on completions. */
  pollProgress(now: number): Progress | undefined {
    this.now = Math.max(this.now, now);
    const due = this.pollTimeout();
    if (due === undefined || now < due) return undefined;
    this.schedule.sent(now);
    const p = this.buildProgress();
    return this.highestArrivedAt === undefined ? p : { ...p, heldMs: Math.max(0, Math.round(now - this.highestArrivedAt)) };
  }

  /** When pollProgress will next have something (undefined: nothing pending). */
  pollTimeout(): number | undefined {
    return this.schedule.due(this.slots.waitingForSymbols());
  }

  get stats(): ReceiverStats {
    return {
      datagramsAccepted: this.intake.accepted,
      datagramsDropped: this.intake.dropped,
      drops: { ...this.intake.drops },
      sequence: this.intake.sequence.snapshot(),
      datagramsReceived: this.intake.sequence.received,
      datagramsLost: this.intake.sequence.lost,
      symbolsReceived: this.symbolsReceived,
      symbolsNeeded: totalSourceSymbols(this.layout),
      duplicates: this.intake.drops.duplicate,
      decodeJobs: this.decodeJobs,
      decodeFailures: this.decodeFailures,
      decodeErrors: this.decodeErrors,
      hashMismatches: this.hashMismatches,
      segmentsWritten: this.segmentsWritten,
      segmentCount: this.layout.segmentCount,
      bytesWritten: this.bytesWritten,
      bytesInFlight: this.slots.bytesInFlight(),
      segmentsHeld: this.segmentsHeld,
      bytesHeld: this.bytesHeld,
    };
  }

  /** Number of segments holding buffers (bounded by the window). */
  get openSegments(): number {
    return this.slots.size;
  }

  private buildProgress(): Progress {
    return buildProgress({
      completeBelow: this.completeBelow,
      segmentCount: this.layout.segmentCount,
      window: this.window,
      written: this.written,
      open: this.slots.values(),
      highestSegmentSeen: this.highestSegmentSeen,
      sequence: this.intake.sequence,
    });
  }

  /**
   * The whole-file hash when segment `s` is the next it takes, for runDecodeJob to feed a copy
   * of it alongside the segment's own digest; undefined otherwise (feedFileHash does it later).
   */
  fileHashFor(s: number): Hash | undefined {
    return this.objectHash.hashFor(s);
  }

  /** Feeds decoded segments to the whole-file hash while the prefix is contiguous. */
  private feedFileHash(): void {
    this.objectHash.feed(
      (i) => this.slots.get(i),
      (slot) => this.slots.retireIfDone(slot),
    );
  }

  private checkCompletion(now: number): void {
    // A length that follows: nothing is complete before the length has come.
    if (!this.digests.lengthKnown) return;
    const n = this.layout.segmentCount;
    const derive = () => segmentsDigest(this.layout.fileSize, this.layout.segmentSize, this.digests.segmentDigests);
    if (!this.objectHash.checkComplete(this.completeBelow >= n, n, derive)) return;
    // Read-back mode asked for the read-back (handleObjectVerified gives the digest); otherwise the running hash is done.
    if (!this.objectHash.readBack) this.digests.objectHashed(now);
    this.schedule.urgent(now);
  }
}

/**
 * A whole unicast transfer on virtual time: the real SenderConnection + UnicastStream and
 * ReceiverConnection + ReceiverCore, joined by a simulated link (fixed one-way delay, seeded
 * Bernoulli loss on the data plane, a switch that drops everything). Decode jobs run inline.
 * No sockets, no timers, no sleeping: each step jumps to the next deadline.
 */
import type { ControlEvent } from '../../control/connection.js';
import type { Manifest } from '../../control/messages.js';
import { ReceiverConnection } from '../../control/receiverConnection.js';
import { SenderConnection } from '../../control/senderConnection.js';
import type { Codec } from '../../encoder/codec.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { layoutSoFar, planSegments, segmentRange, type SegmentLayout } from '../../encoder/segmentLayout.js';
import { FileDigests } from '../../sender/fileDigests.js';
import { runDecodeJob } from '../../receiver/decodeJob.js';
import { ReceiverCore } from '../../receiver/receiverCore.js';
import type { RecoveryMode } from '../../sender/streamCore.js';
import { UnicastStream } from '../../sender/unicastStream.js';
import { SeededRandom } from '../../util/random.js';
import { manifestOfBytes } from '../../control/bytesManifest.js';
import { segmentDigest } from '../../control/segmentHash.js';

export interface SimOptions {
  data: Uint8Array;
  codec: Codec;
  segmentSize: number;
  symbolSize?: number;
  loss: number;
  seed: number;
  rateBytesPerSecond: number;
  /** Pace at exactly rateBytesPerSecond (the sender's --fixed-rate). @default false */
  fixedRate?: boolean;
  oneWayDelayMs?: number;
  window?: number;
  /** Sender recovery mode. @default the sender's default */
  recovery?: RecoveryMode;
  idleTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * Off-path forgery (open mode): after each datagram the sender emits, with this probability a
   * copy of it with a random sequence number (CRC resealed, the session id right) reaches the
   * receiver. Drawn from its own seeded generator, so the real loss pattern is unchanged.
   * @default 0
   */
  forged?: number;
  /** Virtual time at which the link starts dropping everything (both planes). */
  blackoutAt?: number;
  /**
   * The sender reads a pipe: one more segment of `data` fills every `fillMs` of virtual time
   * (the last at its end), announced in Digests frames as it fills, the manifest's length
   * following; the stream serves each segment once announced (StreamCore.extend).
   */
  pipe?: { fillMs: number };
  maxVirtualMs?: number;
}

interface InFlight {
  at: number;
  bytes: Uint8Array;
}

export class SimulatedTransfer {
  now = 0;
  readonly sConn: SenderConnection;
  readonly rConn: ReceiverConnection;
  stream?: UnicastStream;
  core?: ReceiverCore;
  readonly output: Uint8Array;
  readonly sEvents: ControlEvent[] = [];
  readonly rEvents: ControlEvent[] = [];
  completedAt?: number;
  private readonly toReceiver: InFlight[] = [];
  private readonly toSender: InFlight[] = [];
  private readonly dataToReceiver: InFlight[] = [];
  private readonly random: SeededRandom;
  private readonly delay: number;
  private readonly manifest: Manifest;
  dataSent = 0;
  dataLost = 0;
  /** A pipe's digests as they fill (SimOptions.pipe), and what has been announced of them. */
  private readonly pipe?: { digests: FileDigests; filled: number; announced: { segments: number; file: boolean }; identity: string };
  private readonly fullLayout: SegmentLayout;
  forgedSent = 0;
  private readonly forger: SeededRandom;

  constructor(private readonly o: SimOptions) {
    this.random = new SeededRandom(o.seed);
    this.forger = new SeededRandom(o.seed + 0x5eed);
    this.delay = o.oneWayDelayMs ?? 0.25;
    this.output = new Uint8Array(o.data.length);
    const layout = planSegments(o.data.length, { segmentSize: o.segmentSize, symbolSize: o.symbolSize });
    this.fullLayout = layout;
    this.manifest = manifestOfBytes(o.data, layout, {
      sessionId: 0x51a1,
      fileName: 'sim.bin',
      codec: o.codec.name,
      rateBytesPerSecond: o.rateBytesPerSecond,
      idleTimeoutMs: o.idleTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
    });
    if (o.pipe) {
      const { segmentDigests: _s, fileSha256: identity, ...rest } = this.manifest;
      this.manifest = { ...rest, fileSize: 0, digestsFollow: true, lengthFollows: true };
      this.pipe = { digests: new FileDigests(undefined, 'segments'), filled: 0, announced: { segments: 0, file: false }, identity: identity! };
    }
    this.sConn = new SenderConnection({ now: 0 });
    this.rConn = new ReceiverConnection({ now: 0 });
    const follows = o.pipe ? { digestsFollow: true as const, lengthFollows: true as const } : {};
    this.rConn.start(0, { type: 'hello', version: 4, receiverId: 'sim', codecs: [o.codec.name], udpPort: 9, window: o.window ?? 8, ...follows });
  }

  /** The pipe's segments due by now fill (hashed as a reader would), the last with the end. */
  private fillPipe(): void {
    const p = this.pipe;
    if (!p || p.digests.complete) return;
    const n = this.fullLayout.segmentCount;
    const hash = (i: number) => {
      const r = segmentRange(this.fullLayout, i);
      return segmentDigest(this.o.data.subarray(r.offset, r.offset + r.length));
    };
    while (p.filled < n && (p.filled + 1) * this.o.pipe!.fillMs <= this.now) {
      const i = p.filled++;
      if (i === n - 1) p.digests.end(i, hash(i), this.o.data.length, p.identity);
      else p.digests.addSegments(i, hash(i));
    }
    if (n === 0) p.digests.end(0, new Uint8Array(0), 0, p.identity);
  }

  /** Digests frames for what filled since the last ones; then the stream may serve it (announced first). */
  private announcePipe(): void {
    const p = this.pipe;
    if (!p || p.announced.file || (this.sConn.state !== 'manifest-sent' && this.sConn.state !== 'streaming')) return;
    const frames = p.digests.framesSince(p.announced.segments, p.announced.file);
    if (frames.length === 0) return;
    for (const f of frames) this.sConn.sendDigests(f);
    p.announced = { segments: p.digests.known, file: p.digests.complete };
    this.stream?.extend(this.now, this.announcedLayout(), p.announced.file);
  }

  private announcedLayout(): SegmentLayout {
    const { segmentSize, symbolSize } = this.fullLayout;
    const a = this.pipe!.announced;
    return layoutSoFar(segmentSize, symbolSize, a.segments, a.file ? this.o.data.length : undefined);
  }

  private get blackout(): boolean {
    return this.o.blackoutAt !== undefined && this.now >= this.o.blackoutAt;
  }

  /** Runs until both control connections closed (or the virtual time limit). */
  run(): this {
    const limit = this.o.maxVirtualMs ?? 600_000;
    for (let guard = 0; guard < 5_000_000; guard++) {
      this.step();
      if (this.sConn.closed && this.rConn.closed) return this;
      const next = this.nextDeadline();
      if (next === undefined || next > limit) return this;
      this.now = Math.max(this.now, next);
    }
    throw new Error(
      `simulation did not settle (virtual time ${this.now} ms, sender ${this.sConn.state}, receiver ${this.rConn.state}, ` +
        `deadlines ${JSON.stringify([this.sConn.pollTimeout(), this.rConn.pollTimeout(), this.stream?.pollTimeout(), this.core?.pollTimeout()])})`,
    );
  }

  private nextDeadline(): number | undefined {
    const c = [
      this.sConn.pollTimeout(),
      this.rConn.pollTimeout(),
      this.stream?.finished ? undefined : this.stream?.pollTimeout(),
      this.rConn.closed ? undefined : this.core?.pollTimeout(),
      this.toReceiver[0]?.at,
      this.toSender[0]?.at,
      this.dataToReceiver[0]?.at,
      this.pipe && !this.pipe.digests.complete ? (this.pipe.filled + 1) * this.o.pipe!.fillMs : undefined,
    ].filter((x): x is number => x !== undefined);
    return c.length ? Math.min(...c) : undefined;
  }

  private step(): void {
    const now = this.now;
    this.sConn.handleTimeout(now);
    this.rConn.handleTimeout(now);
    while (this.toSender[0] && this.toSender[0].at <= now) this.sConn.handleBytes(now, this.toSender.shift()!.bytes);
    while (this.toReceiver[0] && this.toReceiver[0].at <= now) this.rConn.handleBytes(now, this.toReceiver.shift()!.bytes);
    while (this.dataToReceiver[0] && this.dataToReceiver[0].at <= now) this.core?.handleDatagram(now, this.dataToReceiver.shift()!.bytes);
    this.senderEvents();
    this.receiverEvents();
    this.fillPipe();
    this.announcePipe();
    this.pumpStream();
    this.pumpReceiver();
    this.senderEvents();
    this.receiverEvents();
    for (let f = this.sConn.pollTransmit(); f; f = this.sConn.pollTransmit()) if (!this.blackout) this.toReceiver.push({ at: now + this.delay, bytes: f });
    for (let f = this.rConn.pollTransmit(); f; f = this.rConn.pollTransmit()) if (!this.blackout) this.toSender.push({ at: now + this.delay, bytes: f });
  }

  private senderEvents(): void {
    for (let e = this.sConn.pollEvent(); e; e = this.sConn.pollEvent()) {
      this.sEvents.push(e);
      if (e.type === 'hello') this.sConn.acceptHello(this.manifest);
      else if (e.type === 'request')
        this.stream = new UnicastStream({
          sessionId: this.manifest.sessionId,
          layout: this.pipe ? this.announcedLayout() : this.fullLayout,
          growing: this.pipe !== undefined && !this.pipe.announced.file,
          codec: this.o.codec,
          integrity: crc32Scheme,
          rateBytesPerSecond: this.o.rateBytesPerSecond,
          fixedRate: this.o.fixedRate,
          window: this.o.window ?? 8,
          now: this.now,
          recovery: this.o.recovery,
        });
      else if (e.type === 'progress') this.stream?.handleProgress(this.now, 'rx', e.progress);
      else if (e.type === 'closed') this.stream?.stop(this.now, e.reason);
    }
  }

  private receiverEvents(): void {
    for (let e = this.rConn.pollEvent(); e; e = this.rConn.pollEvent()) {
      this.rEvents.push(e);
      if (e.type === 'manifest') {
        this.core = new ReceiverCore({ manifest: e.manifest, codec: this.o.codec, integrity: crc32Scheme, window: this.o.window ?? 8, now: this.now });
        this.rConn.request();
      } else if (e.type === 'digests') {
        const problem = this.core?.handleDigests(this.now, e.digests);
        if (problem !== undefined) throw new Error(`the simulated sender's digests were refused: ${problem}`);
      }
    }
  }

  private pumpStream(): void {
    const s = this.stream;
    if (!s || s.finished) return;
    for (let i = s.pollSegmentLoad(); i !== undefined; i = s.pollSegmentLoad()) {
      // Full segments keep their ranges as a pipe grows: the whole file's layout reads them right.
      const r = segmentRange(this.fullLayout, i);
      s.provideSegment(this.now, i, this.o.data.slice(r.offset, r.offset + r.length));
    }
    for (let d = s.pollTransmit(this.now); d; d = s.pollTransmit(this.now)) {
      this.dataSent++;
      if (this.blackout || this.random.next() < this.o.loss) this.dataLost++;
      else this.dataToReceiver.push({ at: this.now + this.delay, bytes: d });
      if (this.o.forged && this.forger.next() < this.o.forged) this.forge(d);
    }
  }

  private forge(d: Uint8Array): void {
    const f = Uint8Array.from(d);
    new DataView(f.buffer).setUint32(12, this.forger.nextInt(2 ** 32));
    crc32Scheme.seal(f, f.length - crc32Scheme.tagLength);
    this.forgedSent++;
    this.dataToReceiver.push({ at: this.now + this.delay, bytes: f });
  }

  private pumpReceiver(): void {
    const core = this.core;
    if (!core || this.rConn.closed) return;
    for (let job = core.pollDecodeJob(); job; job = core.pollDecodeJob()) core.handleDecodeOutcome(this.now, runDecodeJob(job, this.o.codec));
    for (let w = core.pollWrite(); w; w = core.pollWrite()) {
      this.output.set(w.data, w.offset);
      core.handleWriteDone(this.now, w.segmentIndex);
    }
    const p = core.pollProgress(this.now);
    if (p && this.rConn.state === 'requested') this.rConn.sendProgress(p);
    if (core.complete && this.completedAt === undefined) {
      this.completedAt = this.now;
      this.rConn.sendStop(core.fileHashMatches() ? 'done' : 'aborted', core.fileHashMatches() ? 'verified' : 'hash mismatch');
    }
  }
}

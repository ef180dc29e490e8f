/**
 * A virtual-time pair of the two session machines (quinn's `Pair`, h11's connection pair): the
 * receiver's ReceiveSession and the sender's per-receiver ReceiverSession, joined by a fake
 * in-memory link, on one clock that jumps to the earliest deadline of either side (timers, frames
 * in flight, the stream's pace, events a test scheduled). No sockets, timers or sleeping.
 *
 * The link carries control frames both ways, each direction with its own delay, a blackhole
 * switch (frames and the FIN are lost: a partition, or a peer gone silent) and a rewrite hook
 * (a middlebox that alters a message); `sever` resets the connection at both ends. The data plane
 * is either the real sender stream core (UnicastStream, or with `send.multicast` a SharedStream
 * started by the real StartPolicy; fed the file's bytes, its datagrams carried with delay/loss to
 * the receiver) or a stub that sends nothing.
 *
 * What the adapters do is done here, in memory: the receiver's actions (decode inline with the
 * real codec, writes into a fake file with an injectable ENOSPC, the commit, the replay check,
 * a staging that already holds some segments (resume) and its read-back verify)
 * and the sender's (key lookups from an enrolment map, stream start/stop, the Admission tally).
 *
 * Every transition either machine takes in any pair is recorded in PAIR_COVERAGE, so the pair
 * tests can assert that together they took every transition of both tables.
 */
import { createHash } from 'node:crypto';
import type { ControlMessage } from '../../control/messages.js';
import { decodeMessage, encodeMessage } from '../../control/messageCodec.js';
import { encodeFrame, FRAME_HEADER_BYTES } from '../../control/framing.js';
import type { Codec } from '../../encoder/codec.js';
import { integrityFor, TagKind } from '../../encoder/integrity.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { planSegments, segmentRange, type SegmentLayout } from '../../encoder/segmentLayout.js';
import { runDecodeJob } from '../../receiver/decodeJob.js';
import { DiskError, ReceiveError } from '../../receiver/errors.js';
import { resolveReceiveConfig, type ReceiveOptions } from '../../receiver/receiveConfig.js';
import { ReceiveSession } from '../../receiver/receiveSession.js';
import { RECEIVE_TRANSITIONS, type ReceiveAction, type ReceiveState, type ReceiveSummary } from '../../receiver/receiveStates.js';
import { Admission } from '../../sender/admission.js';
import { FileDigests } from '../../sender/fileDigests.js';
import { ReceiverSession } from '../../sender/receiverSession.js';
import { SESSION_TABLE, type ReceiverSummary, type SessionAction, type SessionInput, type SessionState } from '../../sender/receiverSessionTable.js';
import { keyedTagKind, resolveSendConfig, type SendConfig, type SendOptions } from '../../sender/sendConfig.js';
import { SharedStream } from '../../sender/sharedStream.js';
import { StartPolicy } from '../../sender/startPolicy.js';
import type { StreamCore } from '../../sender/streamCore.js';
import { UnicastStream } from '../../sender/unicastStream.js';
import { BitSet } from '../../util/bitset.js';
import { SeededRandom } from '../../util/random.js';
import { segmentDigest } from '../../control/segmentHash.js';

// ---- coverage of both tables, over every pair built in this process ----

export const PAIR_COVERAGE = { receiver: new Set<string>(), sender: new Set<string>() };

/** Transitions of either table that no pair has taken yet. */
export function untakenTransitions(): { receiver: string[]; sender: string[] } {
  const receiver = Object.entries(RECEIVE_TRANSITIONS).flatMap(([from, tos]) => tos.map((t) => `${from}->${t}`));
  const sender = Object.entries(SESSION_TABLE).flatMap(([from, inputs]) =>
    Object.entries(inputs).flatMap(([input, tos]) => tos!.map((to) => `${from} --${input}--> ${to}`)),
  );
  return { receiver: receiver.filter((t) => !PAIR_COVERAGE.receiver.has(t)), sender: sender.filter((t) => !PAIR_COVERAGE.sender.has(t)) };
}

// ---- the link ----

type InFlight = { at: number; bytes: Uint8Array } | { at: number; eof: string };

/** One direction of the control connection. */
export class Direction {
  /** One-way delay (ms). */
  delayMs = 0;
  /** A blackhole: frames and the FIN sent from now on are lost (a partition, a silent peer). */
  drop = false;
  /** A middlebox: returns the message to deliver instead (undefined: deliver it unchanged). */
  rewrite: ((m: ControlMessage) => ControlMessage | undefined) | undefined;
  /** Every message delivered, with when (heartbeats included). */
  readonly delivered: { at: number; type: string }[] = [];
  lastDeliveredAt: number | undefined;
  readonly queue: InFlight[] = [];
  eofSent = false;

  send(now: number, bytes: Uint8Array): void {
    if (this.drop) return;
    let out = bytes;
    if (this.rewrite) {
      const m = messageOf(bytes);
      const r = m && this.rewrite(m);
      if (r) out = encodeFrame(encodeMessage(r));
    }
    this.queue.push({ at: now + this.delayMs, bytes: out });
  }

  sendEof(now: number, reason: string): void {
    if (this.eofSent) return;
    this.eofSent = true;
    if (!this.drop) this.queue.push({ at: now + this.delayMs, eof: reason });
  }

  types(from = 0): string[] {
    return this.delivered.filter((d) => d.at >= from).map((d) => d.type);
  }
}

function messageOf(frame: Uint8Array): ControlMessage | undefined {
  const r = decodeMessage(frame.subarray(FRAME_HEADER_BYTES));
  return r.ok ? r.message : undefined;
}

// ---- the receiver's disk ----

/** The receiver's output, in memory: a temporary file, its commit, and a disk that can fill up. */
export class FakeDisk {
  /** Bytes the temporary file may hold before a write fails with ENOSPC. */
  capacity = Infinity;
  /** The commit (fsync + rename) fails with this errno. */
  failCommit: string | undefined;
  temp: { path: string; bytes: Uint8Array; written: number } | undefined;
  /** Committed files by final path. */
  readonly files = new Map<string, Uint8Array>();
  writes = 0;
}

// ---- the pair ----

export interface PairOptions {
  /** Sender options (file is implied). */
  send?: Partial<SendOptions>;
  /** Receiver options (host, port implied). */
  receive?: Partial<ReceiveOptions>;
  /** @default 40 000 */
  fileSize?: number;
  /** @default 16 384 */
  segmentSize?: number;
  /** @default 1024 */
  symbolSize?: number;
  /** The real UnicastStream, or a stream that never sends. @default 'real' */
  dataPlane?: 'real' | 'stub';
  /** The sender is still hashing: digests start empty, the test reveals them (revealDigests). @default false */
  hashing?: boolean;
  /** Enrolled receivers on the sender (name → secret). */
  enrolled?: Record<string, Uint8Array>;
  /** False: nothing listens (the receiver's connect is refused). @default true */
  listening?: boolean;
  /** Receivers already being served when this one says Hello (against maxReceivers). @default 0 */
  alreadyServed?: number;
  /** Seeds the file's bytes and data-plane loss. @default 1 */
  seed?: number;
  /** Resume: segments the receiver's staging already holds (their bytes are in the temporary file). */
  held?: readonly number[];
  /** The receiver's Hello does not offer digestsFollow (resume state on its disk). @default false */
  resumeCandidate?: boolean;
  /** --sync: the survey finds the file already in place, identical. @default false */
  upToDate?: boolean;
}

export const SENDER_HOST = 'sender.test';
export const SENDER_PORT = 7070;
export const RX_UDP_PORT = 40_000;
const CONN_ID = 'conn-1';
/** A shared stream's one session id and datagram key (server.ts makes them once per session). */
const SHARED_KEYS = { sessionId: 0x5a5a_0001, dataKey: new Uint8Array(32).fill(3) };

export class SessionPair {
  now = 0;
  readonly data: Uint8Array;
  readonly layout: SegmentLayout;
  readonly digests: FileDigests;
  readonly sendConfig: SendConfig;
  readonly admission: Admission;
  readonly rx: ReceiveSession;
  tx: ReceiverSession | undefined;
  /** receiver → sender, and sender → receiver. */
  readonly toSender = new Direction();
  readonly toReceiver = new Direction();
  /** The data plane: one-way delay, loss (seeded), a blackout switch. */
  readonly datagrams = { delayMs: 0, loss: 0, drop: false, sent: 0, delivered: 0 };
  readonly disk = new FakeDisk();
  /** --trust: the replay state's verdict (undefined: not a replay). */
  replayProblem: string | undefined;
  /** The read-back verify reads the temporary file with its first byte flipped (a staging corrupted between runs). */
  readBackCorrupt = false;
  /** Read-back verifies performed. */
  readBacks = 0;

  readonly rxActions: ReceiveAction[] = [];
  readonly txActions: SessionAction[] = [];
  /** When each side reached a terminal state. */
  rxEndedAt: number | undefined;
  txEndedAt: number | undefined;
  /** The sender's outcome ('ended'), once. */
  txEnded = false;
  txSummary: ReceiverSummary | undefined;
  rxSummary: Omit<ReceiveSummary, 'codecDecodes'> | undefined;
  /** The real stream core (dataPlane 'real') and the stub's state. */
  stream: StreamCore | undefined;
  /** A shared stream's start policy (send.multicast / send.broadcast). */
  readonly startPolicy: StartPolicy | undefined;
  /** Why the shared stream started. */
  sharedStart: { at: number; why: string } | undefined;
  streamState: 'none' | 'running' | 'ended' = 'none';
  streamEnds = 0;

  private readonly options: PairOptions;
  private readonly enrolled: Map<string, Uint8Array>;
  private readonly random: SeededRandom;
  private readonly scheduled: { at: number; fn: () => void }[] = [];
  private rxCodec: Codec | undefined;
  private readonly txCodec = raptorqCodec();
  private readonly dataQueue: { at: number; bytes: Uint8Array }[] = [];
  private streamFailure: string | undefined;
  /** What the one member of a shared stream holds (join-shared), until the stream starts. */
  private sharedHeld: Uint8Array | undefined;

  constructor(o: PairOptions = {}) {
    this.options = o;
    this.random = new SeededRandom(o.seed ?? 1);
    this.data = this.random.fill(new Uint8Array(o.fileSize ?? 40_000));
    this.layout = planSegments(this.data.length, { segmentSize: o.segmentSize ?? 16_384, symbolSize: o.symbolSize ?? 1024 });
    this.digests = new FileDigests(this.layout.segmentCount);
    if (!o.hashing) this.revealDigests(this.layout.segmentCount, true);
    this.enrolled = new Map(Object.entries(o.enrolled ?? {}));
    this.sendConfig = resolveSendConfig({
      file: '/srv/file.bin',
      handshakeTimeoutMs: 3000,
      idleTimeoutMs: 2000,
      heartbeatIntervalMs: 500,
      // 2 MB/s exactly: the 40 kB file takes ~20 ms of virtual time.
      rateBitsPerSecond: 16e6,
      fixedRate: true,
      ...(o.enrolled ? { receiverKeys: async (name: string) => this.enrolled.get(name) } : {}),
      ...o.send,
    });
    this.admission = new Admission(this.sendConfig);
    if (this.sendConfig.shared) this.startPolicy = new StartPolicy(this.sendConfig.shared, this.now);
    for (let i = 0; i < (o.alreadyServed ?? 0); i++) this.admission.admit(`other-${i}`);
    this.rx = new ReceiveSession(
      resolveReceiveConfig({ host: SENDER_HOST, port: SENDER_PORT, receiverId: 'rx-1', window: 4, connectTimeoutMs: 1500, decodeWorkers: 1, ...o.receive }),
      this.now,
      { resumeCandidate: o.resumeCandidate ?? false },
    );
    recordReceiver(this.rx);
  }

  // ---- driving ----

  /** The receiver connects (at `now`): the sender accepts, or nothing listens. */
  connect(): this {
    if (this.options.listening === false) {
      this.rx.handleConnectFailed(this.now, new ReceiveError(`cannot connect to ${SENDER_HOST}:${SENDER_PORT}: connect ECONNREFUSED`));
      return this.settle();
    }
    const tx = new ReceiverSession(
      this.sendConfig,
      {
        file: { fileName: 'file.bin', layout: this.layout, digests: this.digests },
        address: '10.0.0.2',
        admit: () => this.admission.admit(CONN_ID),
        ...(this.sendConfig.shared ? { shared: SHARED_KEYS } : {}),
      },
      this.now,
    );
    recordSender(tx);
    this.tx = tx;
    this.admission.connected(this.now, CONN_ID);
    // As the server does: every change of the digests reaches the session.
    this.digests.subscribe(() => this.tx?.handleDigests(this.now));
    this.rx.handleConnected(this.now, RX_UDP_PORT);
    return this.settle();
  }

  /** Runs `fn` at virtual time `at` (a scheduled event is a deadline like any other). */
  at(at: number, fn: () => void): this {
    this.scheduled.push({ at, fn });
    this.scheduled.sort((a, b) => a.at - b.at);
    return this;
  }

  /** Jumps from deadline to deadline until both sides have ended (or `limitMs` of virtual time pass). */
  run(limitMs = 120_000): this {
    const end = this.now + limitMs;
    for (let stuck = 0; ;) {
      this.settle();
      if (this.finished) return this;
      const next = this.nextDeadline();
      if (next === undefined || next > end) return this;
      stuck = next <= this.now ? stuck + 1 : 0;
      this.checkProgress(stuck);
      this.now = Math.max(this.now, next);
      this.fire();
    }
  }

  /** Runs until virtual time `t` (even if both sides have ended). */
  runUntil(t: number): this {
    for (let stuck = 0; ;) {
      this.settle();
      const next = this.nextDeadline();
      if (next === undefined || next > t) {
        this.now = Math.max(this.now, t);
        this.fire();
        return this.settle();
      }
      stuck = next <= this.now ? stuck + 1 : 0;
      this.checkProgress(stuck);
      this.now = Math.max(this.now, next);
      this.fire();
    }
  }

  /** A deadline that stays due after it fired is a machine that will spin its adapter. */
  private checkProgress(stuck: number): void {
    if (stuck < 1000) return;
    const due = {
      receiver: this.rx.pollTimeout(),
      sender: this.tx?.pollTimeout(),
      stream: this.stream?.pollTimeout(),
      startPolicy: this.startPolicy?.pollTimeout(),
    };
    throw new Error(
      `busy loop at ${this.now} ms: a deadline fires without effect (receiver ${this.rx.state}, sender ${this.tx?.state}, deadlines ${JSON.stringify(due)})`,
    );
  }

  /** Both machines terminal, the sender's outcome handed out, nothing in flight. */
  get finished(): boolean {
    const rxDone = this.rx.state === 'done' || this.rx.state === 'failed';
    const txDone = this.tx === undefined || this.txEnded;
    return rxDone && txDone && this.toSender.queue.length === 0 && this.toReceiver.queue.length === 0;
  }

  /** The connection resets: both ends see it break at once; whatever was in flight is lost. */
  sever(reason = 'read ECONNRESET'): void {
    this.toSender.queue.length = 0;
    this.toReceiver.queue.length = 0;
    this.toSender.eofSent = this.toReceiver.eofSent = true;
    this.datagrams.drop = true;
    this.rx.handleControlEof(this.now, reason);
    this.tx?.handleEof(this.now, reason);
    this.settle();
  }

  /** The sender's hashing produced segment digests up to `segments` (and the file's). */
  revealDigests(segments: number, file: boolean): void {
    const from = this.digests.known;
    if (segments > from) {
      const out = new Uint8Array(32 * (segments - from));
      for (let i = from; i < segments; i++) {
        const r = segmentRange(this.layout, i);
        out.set(segmentDigest(this.data.subarray(r.offset, r.offset + r.length)), 32 * (i - from));
      }
      this.digests.addSegments(from, out);
    }
    if (file) this.digests.setFile(createHash('sha256').update(this.data).digest('hex'));
  }

  /** The sender's stream (worker) fails with `message`, as a crashed worker does. */
  failStream(message: string): void {
    this.streamFailure = message;
    this.settle();
  }

  private nextDeadline(): number | undefined {
    const c = [
      this.rx.pollTimeout(),
      this.tx?.pollTimeout(),
      this.streamState === 'running' && this.stream && !this.stream.finished ? this.stream.pollTimeout() : undefined,
      this.toSender.queue[0]?.at,
      this.toReceiver.queue[0]?.at,
      this.dataQueue[0]?.at,
      this.scheduled[0]?.at,
      this.startPolicy?.pollTimeout(),
    ].filter((x): x is number => x !== undefined);
    return c.length ? Math.min(...c) : undefined;
  }

  /** Whatever is due at `now`: the machines' timers and the scheduled events. */
  private fire(): void {
    const now = this.now;
    const rxAt = this.rx.pollTimeout();
    if (rxAt !== undefined && rxAt <= now) this.rx.handleTimeout(now);
    const txAt = this.tx?.pollTimeout();
    if (txAt !== undefined && txAt <= now) this.tx!.handleTimeout(now);
    while (this.scheduled[0] && this.scheduled[0].at <= now) this.scheduled.shift()!.fn();
    this.startPolicy?.handleTimeout(now);
  }

  /** Moves everything due at `now` until nothing moves. */
  settle(): this {
    for (let moved = true, guard = 0; moved; guard++) {
      if (guard > 100_000) throw new Error('settle does not converge');
      moved = false;
      const now = this.now;
      // Frames in flight.
      while (this.toSender.queue[0] && this.toSender.queue[0].at <= now) {
        moved = true;
        const f = this.toSender.queue.shift()!;
        if ('eof' in f) this.tx?.handleEof(now, f.eof);
        else this.deliver(this.toSender, f.bytes, (b) => this.tx?.handleBytes(now, b));
      }
      while (this.toReceiver.queue[0] && this.toReceiver.queue[0].at <= now) {
        moved = true;
        const f = this.toReceiver.queue.shift()!;
        if ('eof' in f) this.rx.handleControlEof(now, f.eof);
        else this.deliver(this.toReceiver, f.bytes, (b) => this.rx.handleControlBytes(now, b));
      }
      while (this.dataQueue[0] && this.dataQueue[0].at <= now) {
        moved = true;
        this.datagrams.delivered++;
        this.rx.handleDatagram(now, this.dataQueue.shift()!.bytes);
      }
      // The receiver's adapter.
      for (let a = this.rx.pollAction(); a; a = this.rx.pollAction()) {
        moved = true;
        this.rxActions.push(a);
        this.performReceiver(a);
      }
      for (let f = this.rx.pollTransmit(); f; f = this.rx.pollTransmit()) {
        moved = true;
        this.toSender.send(now, f);
      }
      if (this.rx.wantsControlClose && !this.toSender.eofSent) {
        moved = true;
        this.toSender.sendEof(now, 'peer closed the connection');
      }
      // The sender's adapter.
      const tx = this.tx;
      if (tx) {
        for (let a = tx.pollEvent(); a; a = tx.pollEvent()) {
          moved = true;
          this.txActions.push(a);
          this.performSender(a);
        }
        for (let f = tx.pollTransmit(); f; f = tx.pollTransmit()) {
          moved = true;
          this.toReceiver.send(now, f);
        }
        if (tx.wantsSocketClose && !this.toReceiver.eofSent) {
          moved = true;
          this.toReceiver.sendEof(now, 'peer closed the connection');
        }
        if (this.pumpStream()) moved = true;
      }
      if (this.rxEndedAt === undefined && (this.rx.state === 'done' || this.rx.state === 'failed')) this.rxEndedAt = now;
      if (this.txEndedAt === undefined && tx && (tx.state === 'done' || tx.state === 'failed')) this.txEndedAt = now;
    }
    return this;
  }

  private deliver(d: Direction, bytes: Uint8Array, to: (b: Uint8Array) => void): void {
    const m = messageOf(bytes);
    const side = d === this.toSender ? 'toSender' : 'toReceiver';
    if (m?.type === 'stop') this.stops[side] ??= { outcome: m.outcome, ...(m.reason !== undefined ? { reason: m.reason } : {}) };
    if (m?.type === 'error') this.errors[side] ??= { code: m.code, message: m.message };
    d.delivered.push({ at: this.now, type: m?.type ?? '?' });
    d.lastDeliveredAt = this.now;
    to(bytes);
  }

  /** The staging's held segments (PairOptions.held): their bytes written as an earlier run would have. */
  private stageHeld(): BitSet | undefined {
    const held = this.options.held;
    if (held === undefined) return undefined;
    const set = new BitSet(this.layout.segmentCount);
    for (const i of held) {
      const r = segmentRange(this.layout, i);
      this.disk.temp!.bytes.set(this.data.subarray(r.offset, r.offset + r.length), r.offset);
      set.add(i);
    }
    return set;
  }

  private performReceiver(a: ReceiveAction): void {
    const rx = this.rx;
    const now = this.now;
    const disk = this.disk;
    switch (a.type) {
      case 'check-replay':
        return rx.handleReplayChecked(now, this.replayProblem);
      case 'survey':
        return rx.handleSurveyed(now, { current: this.options.upToDate === true, path: `/out/${a.manifest.fileName}` });
      case 'start-decoders':
        this.rxCodec = a.codec;
        return;
      case 'open-file':
        disk.temp = { path: `/out/.${a.fileName}.part`, bytes: new Uint8Array(a.fileSize), written: 0 };
        return rx.handleFileOpened(now, `/out/${a.fileName}`, this.stageHeld());
      case 'listen-shared':
        return rx.handleSharedListening(now);
      case 'decode':
        return rx.handleDecodeOutcome(now, runDecodeJob(a.job, this.rxCodec!, a.fileHash));
      case 'write': {
        const t = disk.temp!;
        if (t.written + a.data.length > disk.capacity) {
          return rx.handleWriteFailed(now, a.segmentIndex, new DiskError(`no space left on device writing ${t.path}`, 'ENOSPC', t.path));
        }
        t.bytes.set(a.data, a.offset);
        t.written += a.data.length;
        disk.writes++;
        return rx.handleWriteDone(now, a.segmentIndex);
      }
      case 'verify-object': {
        this.readBacks++;
        const t = disk.temp!;
        const bytes = Uint8Array.from(t.bytes.subarray(0, a.size));
        if (this.readBackCorrupt) bytes[0]! ^= 1;
        // What objectDigest.ts computes, synchronously: the pair runs without an event loop.
        const segmentDigests = new Uint8Array(32 * Math.ceil(a.size / a.segmentSize));
        for (let s = 0, at = 0; at < a.size; s++, at += a.segmentSize)
          segmentDigests.set(segmentDigest(bytes.subarray(at, Math.min(a.size, at + a.segmentSize))), 32 * s);
        return rx.handleObjectVerified(now, {
          ...(a.needs.segments ? { segmentDigests } : {}),
          ...(a.needs.plain ? { sha256: createHash('sha256').update(bytes).digest('hex') } : {}),
        });
      }
      case 'commit': {
        const t = disk.temp!;
        if (disk.failCommit) return rx.handleLocalFailure(now, new DiskError(`${disk.failCommit} syncing ${t.path}`, disk.failCommit, t.path));
        disk.files.set(a.finalPath, t.bytes);
        disk.temp = undefined;
        return rx.handleCommitted(now);
      }
      case 'done':
        this.rxSummary = a.summary;
        return;
      case 'fail':
        // The adapter discards the temporary file.
        disk.temp = undefined;
        return;
      default:
        return;
    }
  }

  private performSender(a: SessionAction): void {
    const tx = this.tx!;
    const now = this.now;
    switch (a.type) {
      case 'lookup-key': {
        const secret = this.enrolled.get(a.name);
        return tx.handleKey(now, secret ? { secret } : {});
      }
      case 'start-stream':
        this.streamState = 'running';
        if (this.options.dataPlane === 'stub') return;
        this.stream = new UnicastStream({
          sessionId: a.sessionId,
          layout: this.layout,
          codec: this.txCodec,
          integrity: integrityFor(a.tagKind, a.dataKey),
          rateBytesPerSecond: this.sendConfig.rateBytesPerSecond,
          fixedRate: this.sendConfig.fixedRate,
          recovery: this.sendConfig.recovery,
          window: a.window,
          now,
        });
        this.stream.addMember(now, CONN_ID, a.window, a.held && BitSet.fromBytes(this.layout.segmentCount, a.held));
        return;
      case 'progress':
        this.stream?.handleProgress(now, CONN_ID, a.progress);
        return;
      case 'stop-stream':
        if (this.stream) this.stream.stop(now, a.reason);
        else if (this.streamState === 'running') this.endStream({ reason: 'stopped', message: a.reason });
        return;
      case 'join-shared':
        this.streamState = 'running';
        this.startPolicy!.join(now, CONN_ID, a.window);
        this.sharedHeld = a.held;
        return;
      case 'leave-shared':
        // As server.ts: the member leaves, and its session hears at once (the one member here: the stream stops).
        this.startPolicy!.leave(CONN_ID);
        this.stream?.removeMember(now, CONN_ID);
        this.stream?.stop(now, 'no members left');
        return this.endStream({ reason: 'stopped' });
      case 'ended':
        this.txEnded = true;
        this.txSummary = a.summary;
        this.admission.ended(now, CONN_ID, a.summary?.outcome);
        return;
      default:
        return;
    }
  }

  /** The stream's side of the adapter: segment loads, datagrams due, its end. True if anything moved. */
  private pumpStream(): boolean {
    if (this.streamState !== 'running') return false;
    if (this.streamFailure !== undefined) {
      this.stream?.stop(this.now, this.streamFailure);
      this.endStream({ reason: 'error', message: this.streamFailure });
      return true;
    }
    let moved = false;
    const start = this.startPolicy?.pollStart();
    if (start) {
      moved = true;
      this.sharedStart = { at: this.now, why: start.why };
      if (this.options.dataPlane !== 'stub') {
        const keyed = this.sendConfig.receiverKeys !== undefined;
        this.stream = new SharedStream({
          sessionId: SHARED_KEYS.sessionId,
          layout: this.layout,
          codec: this.txCodec,
          integrity: keyed ? integrityFor(keyedTagKind(this.sendConfig), SHARED_KEYS.dataKey) : integrityFor(TagKind.Crc32),
          rateBytesPerSecond: this.sendConfig.rateBytesPerSecond,
          fixedRate: this.sendConfig.fixedRate,
          recovery: this.sendConfig.recovery,
          now: this.now,
        });
        const held = this.sharedHeld && BitSet.fromBytes(this.layout.segmentCount, this.sharedHeld);
        for (const [id, window] of start.members) this.stream.addMember(this.now, id, window, held);
      }
    }
    const s = this.stream;
    if (!s) return moved;
    for (let i = s.pollSegmentLoad(); i !== undefined; i = s.pollSegmentLoad()) {
      const r = segmentRange(this.layout, i);
      s.provideSegment(this.now, i, this.data.slice(r.offset, r.offset + r.length));
      moved = true;
    }
    for (let d = s.pollTransmit(this.now); d; d = s.pollTransmit(this.now)) {
      moved = true;
      this.datagrams.sent++;
      if (this.datagrams.drop || this.random.next() < this.datagrams.loss) continue;
      this.dataQueue.push({ at: this.now + this.datagrams.delayMs, bytes: d });
    }
    if (s.finished && !this.sendConfig.shared) {
      // As the stream worker reports it.
      this.endStream({ reason: s.finishReason === 'complete' ? 'complete' : 'stopped', message: s.finishReason });
      moved = true;
    }
    return moved;
  }

  private endStream(end: { reason: 'complete' | 'stopped' | 'error'; message?: string }): void {
    if (this.streamState !== 'running') return;
    this.streamState = 'ended';
    this.streamEnds++;
    this.tx!.handleStreamEnd(this.now, { ...end, stats: this.stream ? { ...this.stream.stats } : {} });
  }

  // ---- what tests look at ----

  /** The Stop each side received, as delivered. */
  readonly stops: { toSender?: { outcome: string; reason?: string }; toReceiver?: { outcome: string; reason?: string } } = {};
  /** The Error frame each side received. */
  readonly errors: { toSender?: { code: string; message: string }; toReceiver?: { code: string; message: string } } = {};

  /** Actions of the sender other than logs. */
  txTypes(): string[] {
    return this.txActions.filter((a) => a.type !== 'log').map((a) => a.type);
  }

  rxTypes(): string[] {
    return this.rxActions.filter((a) => a.type !== 'decode' && a.type !== 'write').map((a) => a.type);
  }
}

// ---- recording every transition ----

function recordReceiver(s: ReceiveSession): void {
  const self = s as unknown as { to(next: ReceiveState): void; _state: ReceiveState };
  const to = self.to.bind(s);
  // fail() moves to `failed` through `to` too, so failures are recorded as well.
  self.to = (next) => {
    const from = self._state;
    to(next);
    PAIR_COVERAGE.receiver.add(`${from}->${next}`);
  };
}

function recordSender(s: ReceiverSession): void {
  const self = s as unknown as { go(input: SessionInput, next: SessionState): void };
  const go = self.go.bind(s);
  self.go = (input, next) => {
    const from = s.state;
    go(input, next);
    PAIR_COVERAGE.sender.add(`${from} --${input}--> ${next}`);
  };
}

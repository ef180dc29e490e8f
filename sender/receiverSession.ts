/**
 * The sender's session with one receiver, sans-IO: control bytes, timeouts, key lookups, digest
 * progress and stream ends go in with `now`; frames (pollTransmit), actions (pollEvent), the
 * next deadline (pollTimeout) and, once, the outcome come out. It follows SESSION_TABLE
 * (receiverSessionTable.ts) and wraps the SenderConnection core, which owns the wire protocol,
 * heartbeats and the handshake/idle timers. No sockets, timers, clock or threads here: the
 * adapter (server.ts) moves bytes through a ControlChannel and runs the streams.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { DATA_KEY_BYTES, newNonce } from '../control/auth.js';
import type { ControlEvent } from '../control/connection.js';
import { LocalProtocolError } from '../control/errors.js';
import type { AuthResponse, Hello, Publication } from '../control/messages.js';
import { SenderConnection } from '../control/senderConnection.js';
import { TagKind } from '../encoder/integrity.js';
import { layoutSoFar } from '../encoder/segmentLayout.js';
import { DEFAULT_PROGRESS_INTERVAL_MS } from '../receiver/progressSchedule.js';
import type { BitSet } from '../util/bitset.js';
import { EnrolledHandshake } from './enrolledHandshake.js';
import { groupProgressIntervalMs } from './feedbackScaling.js';
import { heldOf, wantedOf, type Offered } from './requestChecks.js';
import { manifestFor } from './manifest.js';
import type { FileDigests } from './fileDigests.js';
import type { PreparedFile } from './preparedFile.js';
import {
  NO_COUNTS,
  pickCounts,
  SESSION_TABLE,
  TERMINAL,
  type SessionAction,
  type SessionInput,
  type SessionState,
  type StreamCounts,
  type StreamEnd,
  type AnnouncedObject,
} from './receiverSessionTable.js';
import { keyedTagKind, type SendConfig } from './sendConfig.js';

export interface ReceiverSessionDeps {
  file: Pick<PreparedFile, 'fileName' | 'layout' | 'digests' | 'entries'>;
  publication?: Publication;
  /**
   * The peer's address as its transport has it (TCP, TLS): its datagrams go there, whatever its
   * Hello says. Undefined for a stream without one (a command's pipes): then Hello.address.
   */
  address: string | undefined;
  /**
   * The control stream is private and authenticated by its transport (an SSH session this
   * sender started): without enrolled receivers, the datagram key is handed over in the
   * Manifest as it is (dataKey), so the stream is MACed (or encrypted) with no key files.
   * @default false
   */
  channelKey?: boolean;
  /** Asked once at a Hello the session would serve: true counts it as served (Admission.admit). */
  admit: () => boolean;
  /**
   * Present in multicast/broadcast mode: the one stream's session id and (keyed) datagram key,
   * and the group's expected size, which sets how often its receivers report.
   */
  shared?: { sessionId: number; dataKey: Uint8Array; groupSize?: () => number };
  /** Randomness (tests pass fixed values). @default node:crypto */
  random?: { sessionId(): number; dataKey(): Uint8Array; nonce(): Buffer };
}

const cryptoRandom = { sessionId: () => randomInt(0, 2 ** 32 - 1), dataKey: () => randomBytes(DATA_KEY_BYTES), nonce: newNonce };

export class ReceiverSession {
  private _state: SessionState = 'handshaking';
  private readonly conn: SenderConnection;
  private readonly actions: SessionAction[] = [];
  private readonly random: NonNullable<ReceiverSessionDeps['random']>;
  private now: number;
  private startedAt: number;
  private hello?: Hello;
  private auth?: EnrolledHandshake;
  private dataKey?: Uint8Array;
  private digestsSent?: { segments: number; file: boolean };
  /** The Manifest said the length follows (a piped object): Digests frames announce its segments. */
  private lengthFollowed = false;
  /** The digests this receiver's object follows with: its Request.want's subset (else the file's). */
  private objectDigests?: FileDigests;
  /** A Request.want came; its object's digests are not flowing yet. */
  private subsetPending = false;
  private stream: 'none' | 'running' | 'ended' = 'none';
  private counts: StreamCounts = NO_COUNTS;
  private seen = { datagramsReceived: 0, datagramsLost: 0 };
  private receiverDone = false;
  private closeReason = '';
  private sessionId = 0;

  constructor(
    private readonly config: SendConfig,
    private readonly deps: ReceiverSessionDeps,
    now: number,
  ) {
    this.now = this.startedAt = now;
    this.random = deps.random ?? cryptoRandom;
    this.conn = new SenderConnection({
      now,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
    });
  }

  get state(): SessionState {
    return this._state;
  }

  /** The receiverId its Hello gave (undefined before the Hello). */
  get receiverId(): string | undefined {
    return this.hello?.receiverId;
  }

  // ---- inputs ----
  handleBytes = (now: number, chunk: Uint8Array): void => this.run(now, () => this.conn.handleBytes(now, chunk));
  handleEof = (now: number, reason?: string): void => this.run(now, () => this.conn.handleEof(now, reason));
  handleTimeout = (now: number): void => this.run(now, () => this.conn.handleTimeout(now));
  /** Closes at once without telling the peer (adapter shutdown). */
  close(reason: string): void {
    this.run(this.now, () => this.conn.close(reason));
  }
  /** Drops a connection that has not said Hello to make room for a newcomer, telling it why. */
  evict(now: number, reason: string): void {
    this.run(now, () => this.conn.refuse('refused', reason));
  }
  /** Tells the receiver Stop(aborted) with `reason` and ends the session (server closing, stream dropped it). */
  abort(now: number, reason: string): void {
    this.run(now, () => this.conn.sendStop('aborted', reason));
  }

  /** The answer to a 'lookup-key' action: the enrolled secret, undefined (not enrolled) or the lookup's error. */
  handleKey(now: number, result: { secret?: Uint8Array; error?: Error }): void {
    this.run(now, () => {
      if (this._state !== 'authenticating' || !this.hello?.auth || this.auth) return;
      const name = this.hello.auth.name;
      if (result.error) return this.refuse('key', `cannot read the enrolled key of ${name}: ${result.error.message}`);
      if (!result.secret) return this.refuse('key', `receiver ${name} is not enrolled here (or its key was revoked)`);
      this.auth = new EnrolledHandshake(name, result.secret, Buffer.from(this.hello.auth.nonce, 'base64'), this.random.nonce());
      this.conn.challenge(this.auth.challenge());
      this.go('key', 'authenticating');
    });
  }

  /** The file's digests changed (more known, complete, or failed). */
  handleDigests(now: number): void {
    this.run(now, () => {
      if (this._state === 'hashing') this.offerManifest('digests');
      else if (this._state === 'manifest-sent' || this._state === 'streaming') this.followDigests();
    });
  }

  /** Stream counts so far (unicast stats messages). */
  handleStreamStats(stats: Partial<StreamCounts>): void {
    this.counts = { ...this.counts, ...pickCounts(stats) };
  }

  /** The stream ended: on its own (error), or after 'stop-stream' / 'leave-shared'. */
  handleStreamEnd(now: number, end: StreamEnd): void {
    this.run(now, () => {
      if (this.stream !== 'running') return;
      this.stream = 'ended';
      this.handleStreamStats(end.stats);
      if (this._state === 'closing') return this.finish();
      if (this._state !== 'streaming') return;
      this.go('stream-end', 'streaming');
      if (end.reason === 'error') {
        this.log('error', `stream to ${this.hello!.receiverId} failed: ${end.message}`, { message: end.message });
        this.conn.sendStop('aborted', `sender stream failed: ${end.message ?? 'unknown error'}`);
      }
    });
  }

  // ---- outputs ----
  pollTransmit = (): Uint8Array | undefined => this.conn.pollTransmit();
  /** The next action for the adapter (SessionAction). */
  pollEvent = (): SessionAction | undefined => this.actions.shift();
  pollTimeout = (): number | undefined => this.conn.pollTimeout();
  get wantsSocketClose(): boolean {
    return this.conn.wantsSocketClose;
  }

  // ---- the machine ----
  private run(now: number, input: () => void): void {
    this.now = Math.max(this.now, now);
    input();
    for (let e = this.conn.pollEvent(); e; e = this.conn.pollEvent()) this.onControl(e);
  }

  private go(input: SessionInput, next: SessionState): void {
    if (!SESSION_TABLE[this._state][input]?.includes(next))
      throw new LocalProtocolError(`receiver session: ${input} cannot lead from ${this._state} to ${next}`);
    this._state = next;
  }

  private onControl(e: ControlEvent): void {
    if (TERMINAL.has(this._state)) return;
    switch (e.type) {
      case 'hello':
        return this.onHello(e.hello);
      case 'auth-response':
        return this.onAuthResponse(e.response);
      case 'request':
        return this.onRequest(e.have, e.want);
      case 'progress':
        this.seen = { datagramsReceived: e.progress.datagramsReceived, datagramsLost: e.progress.datagramsLost };
        this.go('progress', 'streaming');
        if (this.stream === 'running') this.actions.push({ type: 'progress', progress: e.progress });
        return;
      case 'stop':
        this.receiverDone = e.stop.outcome === 'done';
        // The receiver's summary line (a warning) says it with the reason: this is the detail.
        if (!this.receiverDone) this.log('info', `receiver aborted: ${e.stop.reason ?? 'no reason given'}`, { stop: e.stop });
        return;
      case 'error':
        return this.log('warn', `receiver sent error: ${e.error.message}`, { error: e.error });
      case 'closed':
        return this.onClosed(e.reason);
      default:
        return;
    }
  }

  private onHello(hello: Hello): void {
    this.hello = hello;
    this.log('info', `hello from ${hello.receiverId}`, { receiverId: hello.receiverId, udpPort: hello.udpPort, window: hello.window });
    const codec = this.config.codec;
    if (!hello.codecs.includes(codec)) return this.refuse('hello', `this sender offers ${codec}; receiver has ${hello.codecs.join(', ')}`, 'unsupported-codec');
    if (!this.deps.admit()) return this.refuse('hello', `sender is serving its maximum of ${this.config.maxReceivers} receivers`);
    if (!this.config.shared && this.destination() === undefined)
      return this.refuse('hello', 'the receiver did not say its address (Hello.address), and its control stream has none: give receive --address');
    if (!this.config.receiverKeys) return this.offerManifest('hello');
    if (hello.auth === undefined) return this.refuse('hello', 'this sender admits only enrolled receivers (receive --key <name>.key)');
    this.go('hello', 'authenticating');
    this.actions.push({ type: 'lookup-key', name: hello.auth.name });
  }

  private onAuthResponse(r: AuthResponse): void {
    const a = this.auth!;
    if (!a.verifies(r.proof)) {
      return this.refuse('auth-response', `authentication failed: the receiver does not hold the key enrolled as ${a.name}`);
    }
    this.log('info', `${a.name} authenticated`, { enrolledAs: a.name });
    this.offerManifest('auth-response');
  }

  /** Sends the Manifest, or waits in `hashing` for the digests a receiver needs in it. */
  private offerManifest(input: SessionInput): void {
    const digests = this.deps.file.digests;
    // A tree's entries carry each file's digest: its manifest waits for them, unless the receiver
    // takes them later (treeDigestsFollow: entries without digests). A pipe still being read has
    // no length: only a unicast receiver that takes it later is told so; anyone else waits for
    // the input's end (a shared stream's sender reads it to the end before listening).
    const growing = digests.lengthFollows && !digests.complete;
    const follows = this.hello!.digestsFollow === true && (this.deps.file.entries === undefined || this.hello!.treeDigestsFollow === true);
    if (!digests.complete && !follows) return this.go(input, 'hashing');
    if (growing && (!this.hello!.lengthFollows || this.config.shared)) return this.go(input, 'hashing');
    // Shared: one session id for the one stream; unicast: a fresh one per receiver.
    const sessionId = this.deps.shared?.sessionId ?? this.random.sessionId();
    const a = this.auth;
    // Authenticated: a datagram key per stream (the group's for a shared one), sealed under this
    // handshake's session key and bound to the session id; or, in a private control stream,
    // handed over as it is.
    const inChannel = !a && this.deps.channelKey === true;
    this.dataKey = a || inChannel ? (this.deps.shared?.dataKey ?? this.random.dataKey()) : undefined;
    const manifest = {
      ...manifestFor(this.deps.file, {
        sessionId,
        codec: this.config.codec,
        rateBytesPerSecond: this.config.rateBytesPerSecond,
        tagKind: this.tagKind(),
        idleTimeoutMs: this.config.idleTimeoutMs,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        dataPlane: this.config.shared?.dataPlane,
        publication: this.deps.publication,
      }),
      ...(a && this.dataKey ? { keyWrap: a.wrap(this.dataKey, sessionId) } : {}),
      ...(inChannel && this.dataKey ? { dataKey: Buffer.from(this.dataKey).toString('base64') } : {}),
      ...this.progressAdvice(),
    };
    this.sessionId = sessionId;
    this.conn.acceptHello(manifest);
    this.go(input, 'manifest-sent');
    // Nothing is allocated for the receiver until it asks (Request): a Hello costs a Manifest.
    if (manifest.digestsFollow) {
      this.lengthFollowed = manifest.lengthFollows === true;
      this.digestsSent = { segments: 0, file: false };
      this.followDigests();
    }
  }

  /** A shared stream's group beyond the receivers' own default, or its slow pace: a slower report interval for each. */
  private progressAdvice(): { progressIntervalMs?: number } {
    const size = this.deps.shared?.groupSize?.();
    if (size === undefined) return {};
    const ms = groupProgressIntervalMs(size, this.config.rateBytesPerSecond);
    return ms > DEFAULT_PROGRESS_INTERVAL_MS ? { progressIntervalMs: ms } : {};
  }

  private tagKind(): number {
    return this.dataKey ? keyedTagKind(this.config) : TagKind.Crc32;
  }

  /** After a Manifest with digestsFollow: the digests hashing has produced since the last call. */
  private followDigests(): void {
    const sent = this.digestsSent;
    if (!sent || sent.file) return;
    const digests = this.objectDigests ?? this.deps.file.digests;
    const frames = digests.framesSince(sent.segments, sent.file);
    this.digestsSent = { segments: digests.known, file: digests.complete };
    for (const f of frames) this.conn.sendDigests(f);
    if (frames.length > 0) this.go('digests', this._state);
    // Announced first, served after: the stream learns of segments once their digests are out.
    if (frames.length > 0 && this.lengthFollowed && this.stream === 'running') this.actions.push({ type: 'grow-stream', ...this.announced() });
  }

  /** What this receiver has been told of a piped object (Digests frames sent so far). */
  private announced(): AnnouncedObject {
    const { segmentSize, symbolSize } = this.deps.file.layout;
    const sent = this.digestsSent!;
    const fileSize = sent.file ? this.deps.file.digests.fileSize : undefined;
    return { layout: layoutSoFar(segmentSize, symbolSize, sent.segments, fileSize), final: sent.file };
  }

  private onRequest(have: string | undefined, want: string | undefined): void {
    const hello = this.hello!;
    let wanted: BitSet | undefined;
    if (want !== undefined) {
      const bits = wantedOf(want, this.offered());
      if (typeof bits === 'string') return this.refuse('request', bits, 'bad-message');
      wanted = bits;
      this.log('info', `${hello.receiverId} syncs: it lacks ${bits.count()} of the tree's files`, { wanted: bits.count() });
      // Its object is its own: the digests follow once that object is hashed (handleSubset).
      this.subsetPending = true;
    }
    let held: Uint8Array | undefined;
    if (have !== undefined) {
      const bits = heldOf(have, this.offered());
      if (typeof bits === 'string') return this.refuse('request', bits, 'bad-message');
      held = bits.toBytes();
      this.log('info', `${hello.receiverId} resumes: it holds ${bits.count()} of ${bits.size} segments`, { held: bits.count() });
    }
    this.go('request', 'streaming');
    this.startedAt = this.now;
    this.stream = 'running';
    if (this.config.shared) {
      this.log('info', `${hello.receiverId} joined the shared stream`);
      this.actions.push({ type: 'join-shared', window: hello.window, ...(held ? { held } : {}) });
      return;
    }
    this.log('info', `streaming to ${hello.receiverId}`, { udpPort: hello.udpPort });
    this.actions.push({
      type: 'start-stream',
      sessionId: this.sessionId,
      window: hello.window,
      tagKind: this.tagKind(),
      ...(this.dataKey ? { dataKey: this.dataKey } : {}),
      address: this.destination()!,
      udpPort: hello.udpPort,
      ...(held ? { held } : {}),
      ...(wanted ? { want: wanted } : {}),
      ...(this.lengthFollowed ? { growing: this.announced() } : {}),
    });
  }

  /**
   * The object a Request.want asks for is being hashed (the adapter opened it): its digests go
   * out in Digests frames as they come, from segment 0, the object's SHA-256 last.
   */
  handleSubset(now: number, digests: FileDigests): void {
    this.run(now, () => {
      if (!this.subsetPending || this._state !== 'streaming') return;
      this.subsetPending = false;
      this.objectDigests = digests;
      this.digestsSent = { segments: 0, file: false };
      this.followDigests();
    });
  }

  /** Where unicast datagrams go: the transport's address, else the one the Hello reported. */
  private destination(): string | undefined {
    return this.deps.address ?? this.hello?.address;
  }

  /** What the Request's have and want are judged against (requestChecks.ts). */
  private offered(): Offered {
    return {
      segmentCount: this.deps.file.layout.segmentCount,
      entries: this.deps.file.entries,
      shared: this.config.shared !== undefined,
      digestsFollowed: this.digestsSent !== undefined,
    };
  }

  private refuse(input: SessionInput, why: string, code: 'refused' | 'unsupported-codec' | 'bad-message' = 'refused'): void {
    this.log('warn', `refused: ${why}`, { receiverId: this.hello?.receiverId, enrolledAs: this.hello?.auth?.name });
    this.conn.refuse(code, why);
    this.go(input, 'failed');
    // Our own refusal, not the peer's protocol error (the connection closes as for one).
    this.closeReason = `refused: ${why}`;
    this.actions.push({ type: 'ended', summary: this.summary() });
  }

  private onClosed(reason: string): void {
    this.closeReason = reason;
    if (this._state === 'manifest-sent' && this.receiverDone) {
      // The receiver already holds this content (--sync): done without a stream.
      this.go('closed', 'done');
      this.log('info', `${this.hello!.receiverId} is already up to date`);
      this.actions.push({ type: 'ended', summary: { ...this.summary(), reason: 'already up to date at the receiver' } });
      return;
    }
    if (this._state !== 'streaming') {
      this.go('closed', 'failed');
      if (!this.hello) this.log('debug', `connection closed before hello: ${reason}`, { reason });
      this.actions.push(this.hello ? { type: 'ended', summary: this.summary() } : { type: 'ended', reason });
      return;
    }
    this.go('closed', 'closing');
    if (this.stream === 'ended') return this.finish();
    this.actions.push(this.config.shared ? { type: 'leave-shared' } : { type: 'stop-stream', reason });
  }

  private finish(): void {
    this.go('stream-end', this.receiverDone ? 'done' : 'failed');
    this.actions.push({ type: 'ended', summary: this.summary() });
  }

  private summary() {
    const done = this._state === 'done';
    return {
      receiverId: this.hello!.receiverId,
      address: this.destination() ?? '',
      outcome: done ? ('completed' as const) : ('failed' as const),
      reason: done ? 'verified and stored by the receiver' : this.closeReason,
      seconds: (this.now - this.startedAt) / 1000,
      ...this.counts,
      ...this.seen,
    };
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
    this.actions.push({ type: 'log', level, message, ...(fields ? { fields } : {}) });
  }
}

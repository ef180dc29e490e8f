/**
 * The sender's TCP side (adapter): accepts control connections, runs a SenderConnection core per
 * connection through a ControlChannel, answers Hello with the manifest, starts a stream worker on
 * Request, forwards Progress to it, and keeps the per-receiver outcome for the summary.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { DATA_KEY_BYTES, newNonce, proofMatches, receiverProof, senderProof, sessionKey, wrapDataKey } from '../control/auth.js';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { SenderConnection } from '../control/senderConnection.js';
import { ControlChannel } from '../control/tcpChannel.js';
import type { ControlEvent } from '../control/connection.js';
import type { AuthResponse, Hello, Manifest, Publication } from '../control/messages.js';
import type { RaptorQWasmModule } from '../encoder/raptorq.js';
import { TagKind } from '../encoder/integrity.js';
import { manifestFor, type PreparedFile } from './preparedFile.js';
import type { SenderStreamStats } from './streamCore.js';
import { startStreamWorker, type StreamWorkerHandle } from './streamWorkerHandle.js';
import { SharedSession } from './sharedSession.js';
import type { SendConfig } from './sendConfig.js';
import type { SharedStreamStats } from './sharedStreamCore.js';

/** What the server runs with besides its config: the prepared file and the process's resources. */
export interface SenderServerDeps {
  file: PreparedFile;
  /** The publisher's signature, added to every manifest (signed once: it covers no session field). */
  publication?: Publication;
  wasmModule: RaptorQWasmModule;
  logger: Logger;
}

export interface ReceiverSummary {
  receiverId: string;
  address: string;
  outcome: 'completed' | 'failed';
  reason: string;
  seconds: number;
  datagramsSent: number;
  repairSymbolsSent: number;
  /** Listed-lost source symbols sent again (resend recovery). */
  sourceRetransmits: number;
  lossEstimate: number;
  /** Pacing rate when the stream ended, bytes/s. */
  rateBytesPerSecond: number;
  congestionEvents: number;
  stallBursts: number;
  /** From the receiver's last Progress: datagrams it got, and those it saw lost (loss seen). */
  datagramsReceived: number;
  datagramsLost: number;
}

/** Control connections open at once (handshakes included) beyond maxReceivers; Node closes further ones at once. */
const EXTRA_CONNECTIONS = 32;

export interface SendSummary {
  completed: number;
  failed: number;
  /** Connections refused before any protocol: failed TLS handshakes (no or untrusted client certificate, ...). */
  tlsRefused: number;
  receivers: ReceiverSummary[];
  /** Multicast/broadcast: the one stream's totals when it ended (every receiver shared them). */
  sharedStream?: SharedStreamStats;
}

let nextConnection = 1;

/** Datagram tag kind of authenticated streams: encrypted, or MACed in the clear. */
function keyedTagKind(config: SendConfig): TagKind {
  return config.encrypt ? TagKind.Aes256Gcm : TagKind.HmacSha256_128;
}

export class SenderServer {
  private readonly sessions = new Set<ReceiverSession>();
  private readonly summaries: ReceiverSummary[] = [];
  private completed = 0;
  private closing = false;
  private resolveDone!: (s: SendSummary) => void;
  readonly done = new Promise<SendSummary>((r) => (this.resolveDone = r));

  /** Present in multicast/broadcast mode: the one stream all sessions share. */
  private readonly shared?: SharedSession;
  private readonly sharedSessionId = randomInt(0, 2 ** 32 - 1);
  /** The shared stream's datagram MAC key, given to every authenticated member. */
  private readonly sharedDataKey = randomBytes(DATA_KEY_BYTES);

  private constructor(
    private readonly config: SendConfig,
    private readonly deps: SenderServerDeps,
    private readonly server: Server,
  ) {
    if (config.shared) {
      const sh = config.shared;
      this.shared = new SharedSession({
        dataPlane: sh.dataPlane,
        interfaceAddress: sh.interfaceAddress,
        ttl: sh.ttl,
        broadcastAddress: sh.broadcastAddress,
        minReceivers: sh.minReceivers,
        waitMs: sh.waitMs,
        carousel: sh.carousel,
        combineResends: sh.combineResends,
        file: deps.file,
        sessionId: this.sharedSessionId,
        rateBytesPerSecond: config.rateBytesPerSecond,
        fixedRate: config.fixedRate,
        streamNice: config.streamNice,
        recovery: config.recovery,
        codecName: config.codec,
        ...(config.receiverKeys ? { tagKind: keyedTagKind(config), dataKey: this.sharedDataKey } : {}),
        wasmModule: deps.wasmModule,
        logger: deps.logger,
      });
      this.shared.onFailed = (message) => {
        for (const s of this.sessions) s.abort(`sender stream failed: ${message}`);
      };
      this.shared.onDropped = (id, reason) => {
        for (const s of this.sessions) if (s.id === id) s.abort(reason);
      };
    }
  }

  static async listen(config: SendConfig, deps: SenderServerDeps): Promise<SenderServer> {
    const init = { ...config, logger: deps.logger };
    const server = init.tls
      ? createTlsServer({ ...init.tls, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', handshakeTimeout: init.handshakeTimeoutMs, noDelay: true })
      : createServer({ noDelay: true });
    // A bound on connections at once, handshakes included: a flood of half-open or slow
    // clients cannot exhaust memory or descriptors (Node closes connections past it at once;
    // each admitted one must finish its handshake within handshakeTimeoutMs).
    server.maxConnections = init.maxReceivers + EXTRA_CONNECTIONS;
    const self = new SenderServer(config, deps, server);
    if (init.tls) {
      server.on('secureConnection', (socket: Socket) => self.accept(socket));
      server.on('tlsClientError', (e: Error, socket: Socket) => {
        self.tlsRefused++;
        init.logger.warn({ peer: socket.remoteAddress, reason: e.message }, `TLS handshake from ${socket.remoteAddress} refused: ${e.message}`);
      });
    } else server.on('connection', (socket) => self.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(init.port, init.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => init.logger.error({ err: e }, `control listener error: ${e.message}`));
    return self;
  }

  address(): { address: string; port: number } {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('server is not listening');
    return { address: a.address, port: a.port };
  }

  /** Stops every stream, tells every receiver why, closes the listener; resolves `done`. */
  async close(reason: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.server.close();
    for (const s of this.sessions) s.abort(reason);
    await Promise.all([...this.sessions].map((s) => s.ended));
    await this.shared?.stop(reason);
    this.resolveDone(this.summary());
  }

  private tlsRefused = 0;

  private summary(): SendSummary {
    const stream = this.shared?.stats;
    return { completed: this.completed, failed: this.summaries.length - this.completed, tlsRefused: this.tlsRefused, receivers: [...this.summaries], ...(stream ? { sharedStream: { ...stream } } : {}) };
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const session = new ReceiverSession(this.config, this.deps, socket, `c${nextConnection++}`, () => this.sessions.size, this.shared && { session: this.shared, sessionId: this.sharedSessionId, dataKey: this.sharedDataKey });
    this.sessions.add(session);
    void session.ended.then((summary) => {
      this.sessions.delete(session);
      if (!summary) return; // never got past the handshake: nothing to report
      this.summaries.push(summary);
      if (summary.outcome === 'completed') this.completed++;
      const log = this.deps.logger;
      (summary.outcome === 'completed' ? log.info.bind(log) : log.warn.bind(log))(
        { event: 'receiver-summary', ...summary },
        `${summary.receiverId} ${summary.outcome}: ${summary.reason} (${summary.seconds.toFixed(2)} s, loss seen ${lossPercent(summary)})`,
      );
      const want = this.config.receivers;
      if (want !== undefined && this.completed >= want) void this.close(`${want} receiver(s) completed`);
    });
  }
}

/** One control connection and, after Request, its stream worker. */
class ReceiverSession {
  private readonly channel: ControlChannel<SenderConnection>;
  private readonly log: Logger;
  private hello?: Hello;
  private worker?: StreamWorkerHandle;
  private startedAt = performance.now();
  private stats = pickStats({ datagramsSent: 0, repairSymbolsSent: 0, sourceRetransmits: 0, lossEstimate: 0, rateBytesPerSecond: 0, congestionEvents: 0, stallBursts: 0 });
  private finishedStream = false;
  private receiverDone = false;
  private resolveEnded!: (s: ReceiverSummary | undefined) => void;
  readonly ended = new Promise<ReceiverSummary | undefined>((r) => (this.resolveEnded = r));

  constructor(
    private readonly init: SendConfig,
    private readonly deps: SenderServerDeps,
    private readonly socket: Socket,
    readonly id: string,
    private readonly activeCount: () => number,
    private readonly shared?: { session: SharedSession; sessionId: number; dataKey: Uint8Array },
  ) {
    this.log = deps.logger.child({ conn: id, peer: socket.remoteAddress });
    const core = new SenderConnection({
      now: performance.now(),
      handshakeTimeoutMs: init.handshakeTimeoutMs,
      idleTimeoutMs: init.idleTimeoutMs,
      heartbeatIntervalMs: init.heartbeatIntervalMs,
    });
    this.channel = new ControlChannel(socket, core, (event) => this.onEvent(event));
  }

  abort(reason: string): void {
    this.channel.act((core) => core.sendStop('aborted', reason));
  }

  private onEvent(event: ControlEvent): void {
    switch (event.type) {
      case 'hello':
        return this.onHello(event.hello);
      case 'auth-response':
        return this.onAuthResponse(event.response);
      case 'request':
        return this.onRequest();
      case 'progress':
        this.seen = { datagramsReceived: event.progress.datagramsReceived, datagramsLost: event.progress.datagramsLost };
        if (this.shared && this.joined) this.shared.session.progress(this.id, event.progress);
        else this.worker?.progress(event.progress);
        return;
      case 'stop':
        this.receiverDone = event.stop.outcome === 'done';
        if (!this.receiverDone) this.log.warn({ stop: event.stop }, `receiver aborted: ${event.stop.reason ?? 'no reason given'}`);
        return;
      case 'error':
        this.log.warn({ error: event.error }, `receiver sent error: ${event.error.message}`);
        return;
      case 'closed':
        return void this.onClosed(event.reason, this.receiverDone);
      default:
        return;
    }
  }

  private onHello(hello: Hello): void {
    this.hello = hello;
    this.log.info({ receiverId: hello.receiverId, udpPort: hello.udpPort, window: hello.window }, `hello from ${hello.receiverId}`);
    const codecName = this.init.codec;
    if (!hello.codecs.includes(codecName)) {
      this.channel.act((core) => core.refuse('unsupported-codec', `this sender offers ${codecName}; receiver has ${hello.codecs.join(', ')}`));
      return;
    }
    if (this.activeCount() > this.init.maxReceivers) {
      this.channel.act((core) => core.refuse('refused', `sender is serving its maximum of ${this.init.maxReceivers} receivers`));
      return;
    }
    if (this.init.receiverKeys) return void this.challenge(hello, this.init.receiverKeys);
    this.sendManifest();
  }

  /** Enrolled receivers only: prove we hold its key, then wait for its proof. */
  private async challenge(hello: Hello, keys: (name: string) => Promise<Uint8Array | undefined>): Promise<void> {
    const refuse = (why: string) => {
      this.log.warn({ receiverId: hello.receiverId, enrolledAs: hello.auth?.name }, `refused: ${why}`);
      this.channel.act((core) => core.refuse('refused', why));
    };
    if (hello.auth === undefined) return refuse('this sender admits only enrolled receivers (receive --key <name>.key)');
    const name = hello.auth.name;
    let secret: Uint8Array | undefined;
    try {
      secret = await keys(name);
    } catch (e) {
      return refuse(`cannot read the enrolled key of ${name}: ${(e as Error).message}`);
    }
    if (secret === undefined) return refuse(`receiver ${name} is not enrolled here (or its key was revoked)`);
    const receiverNonce = Buffer.from(hello.auth.nonce, 'base64');
    const senderNonce = newNonce();
    this.auth = { name, secret, receiverNonce, senderNonce };
    this.channel.act((core) => core.challenge({ type: 'challenge', nonce: senderNonce.toString('base64'), proof: senderProof(secret, name, receiverNonce, senderNonce).toString('base64') }));
  }

  private onAuthResponse(r: AuthResponse): void {
    const a = this.auth!;
    if (!proofMatches(receiverProof(a.secret, a.name, a.receiverNonce, a.senderNonce), Buffer.from(r.proof, 'base64'))) {
      this.log.warn({ enrolledAs: a.name }, `refused: authentication failed for ${a.name}`);
      this.channel.act((core) => core.refuse('refused', `authentication failed: the receiver does not hold the key enrolled as ${a.name}`));
      return;
    }
    this.log.info({ enrolledAs: a.name }, `${a.name} authenticated`);
    this.sendManifest();
  }

  private sendManifest(): void {
    if (this.closed) return;
    const digests = this.deps.file.digests;
    if (!digests.complete && !this.hello!.digestsFollow) {
      // A receiver that wants the hashes in the manifest waits for them (its handshake timeout
      // runs meanwhile). If hashing fails, the server closes every session.
      digests.done.then(() => this.sendManifest(), () => undefined);
      return;
    }
    // Shared: one session id for the one stream; unicast: a fresh one per receiver.
    const sessionId = this.shared?.sessionId ?? randomInt(0, 2 ** 32 - 1);
    const a = this.auth;
    // Authenticated: a datagram key per stream (the group's for a shared one), sealed under this
    // handshake's session key and bound to the session id.
    this.dataKey = a ? (this.shared?.dataKey ?? randomBytes(DATA_KEY_BYTES)) : undefined;
    const manifest: Manifest = {
      ...manifestFor(this.deps.file, {
        sessionId,
        codec: this.init.codec,
        rateBytesPerSecond: this.init.rateBytesPerSecond,
        tagKind: a ? keyedTagKind(this.init) : TagKind.Crc32,
        idleTimeoutMs: this.init.idleTimeoutMs,
        heartbeatIntervalMs: this.init.heartbeatIntervalMs,
        dataPlane: this.init.shared?.dataPlane,
        publication: this.deps.publication,
      }),
      ...(a && this.dataKey ? { keyWrap: wrapDataKey(sessionKey(a.secret, a.name, a.receiverNonce, a.senderNonce), this.dataKey, sessionId) } : {}),
    };
    this.sessionId = sessionId;
    this.channel.act((core) => core.acceptHello(manifest));
    if (manifest.digestsFollow) this.followDigests();
    // Boot the stream now; it sends on Request. A receiver that never asks is dropped by the
    // handshake timeout, which stops the worker with the connection.
    if (!this.shared) this.worker = this.startWorker(true);
  }

  /** After a Manifest with digestsFollow: sends each batch of digests as hashing produces it. */
  private followDigests(): void {
    const digests = this.deps.file.digests;
    let sent = 0;
    let fileSent = false;
    const push = (): void => {
      const frames = digests.framesSince(sent, fileSent);
      sent = digests.known;
      fileSent = digests.complete;
      if (frames.length > 0) this.channel.act((core) => frames.forEach((f) => core.sendDigests(f)));
      if (fileSent || digests.failure) this.stopFollowing();
    };
    this.stopFollowing = digests.subscribe(push);
    push();
  }

  private stopFollowing = (): void => undefined;
  private closed = false;

  private auth?: { name: string; secret: Uint8Array; receiverNonce: Buffer; senderNonce: Buffer };
  private dataKey?: Uint8Array;
  private sessionId = 0;

  private joined = false;
  private seen = { datagramsReceived: 0, datagramsLost: 0 };

  private onRequest(): void {
    const hello = this.hello!;
    this.startedAt = performance.now();
    if (this.shared) {
      this.joined = true;
      this.log.info(`${hello.receiverId} joined the shared stream`);
      this.shared.session.join(this.id, hello.window);
      return;
    }
    this.log.info({ destination: this.destination() }, `streaming to ${hello.receiverId}`);
    (this.worker ??= this.startWorker(false)).start();
  }

  private destination(): { address: string; port: number } {
    return { address: this.socket.remoteAddress!.replace(/^::ffff:/, ''), port: this.hello!.udpPort };
  }

  /**
   * The unicast stream's worker. Started with the Manifest (waitForStart) so that it boots while
   * the receiver checks the manifest and creates its file: measured ~40-55 ms from Request to
   * the first datagram when it was started on Request, ~3-4 % of a 256 MiB transfer here.
   */
  private startWorker(waitForStart: boolean): StreamWorkerHandle {
    const hello = this.hello!;
    const worker = startStreamWorker({
      wasmModule: this.deps.wasmModule,
      filePath: this.deps.file.path,
      layout: this.deps.file.layout,
      sessionId: this.sessionId,
      rateBytesPerSecond: this.init.rateBytesPerSecond,
      fixedRate: this.init.fixedRate,
      streamNice: this.init.streamNice,
      recovery: this.init.recovery,
      window: hello.window,
      tagKind: this.dataKey ? keyedTagKind(this.init) : TagKind.Crc32,
      dataKey: this.dataKey,
      codecName: this.init.codec,
      destination: this.destination(),
      waitForStart,
    });
    worker.onStats((s) => (this.stats = pickStats(s)));
    void worker.finished.then((f) => {
      this.stats = pickStats(f.stats);
      this.finishedStream = true;
      if (f.reason === 'error') {
        this.log.error({ message: f.message }, `stream to ${hello.receiverId} failed: ${f.message}`);
        this.channel.act((core) => core.sendStop('aborted', `sender stream failed: ${f.message ?? 'unknown error'}`));
      }
    });
    return worker;
  }

  private async onClosed(reason: string, receiverDone: boolean): Promise<void> {
    this.closed = true;
    this.stopFollowing();
    if (this.shared && this.joined) {
      this.shared.session.leave(this.id);
      const s = this.shared.session.stats;
      // Stream-wide counts: every member saw the same stream.
      if (s) this.stats = { ...this.stats, datagramsSent: s.datagramsSent, repairSymbolsSent: s.repairSymbolsSent, stallBursts: s.stallBursts };
    }
    if (this.worker && !this.finishedStream) this.worker.stop(reason);
    if (this.worker) await this.worker.finished;
    if (!this.hello) {
      this.log.debug({ reason }, `connection closed before hello: ${reason}`);
      this.resolveEnded(undefined);
      return;
    }
    this.resolveEnded({
      receiverId: this.hello.receiverId,
      address: this.socket.remoteAddress ?? '?',
      outcome: receiverDone ? 'completed' : 'failed',
      reason: receiverDone ? 'verified and stored by the receiver' : reason,
      seconds: (performance.now() - this.startedAt) / 1000,
      ...this.stats,
      ...this.seen,
    });
  }
}

function pickStats(s: Pick<SenderStreamStats, 'datagramsSent' | 'repairSymbolsSent' | 'sourceRetransmits' | 'lossEstimate' | 'rateBytesPerSecond' | 'congestionEvents' | 'stallBursts'>) {
  const { datagramsSent, repairSymbolsSent, sourceRetransmits, lossEstimate, rateBytesPerSecond, congestionEvents, stallBursts } = s;
  return { datagramsSent, repairSymbolsSent, sourceRetransmits, lossEstimate, rateBytesPerSecond, congestionEvents, stallBursts };
}

function lossPercent(s: ReceiverSummary): string {
  const n = s.datagramsReceived + s.datagramsLost;
  return n === 0 ? 'n/a' : `${((100 * s.datagramsLost) / n).toFixed(1)} %`;
}

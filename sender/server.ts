/**
 * The sender's control side (adapter): accepts control connections (plain or mutual TLS), or
 * opens one control stream per named receiver (peers: an SSH session, a command's pipes), runs
 * a ReceiverSession core per stream through a ControlChannel, does what the core asks (key
 * lookups, starting and stopping its stream through streamPort.ts, logging), and keeps the
 * Admission tally (pre-Hello budget, maxReceivers, the receivers target and the give-up bound).
 * The decisions live in the cores; this file moves bytes, timers and threads.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { DATA_KEY_BYTES } from '../control/auth.js';
import type { ByteStream } from '../control/byteStream.js';
import { Admission } from './admission.js';
import { Connection, type SenderServerDeps, type Transport } from './controlConnection.js';
import { NO_COUNTS, type ReceiverSummary } from './receiverSessionTable.js';
import { keyedTagKind, type ControlPeer, type SendConfig, type SharedStreamConfig } from './sendConfig.js';
import { streamTotals, type ReceiverProgress, type SendProgress } from './sendProgress.js';
import { SharedSession } from './sharedSession.js';
import type { StreamStats } from './streamCore.js';
import { StreamFailedError } from './streamFailedError.js';

export type { ReceiverSummary } from './receiverSessionTable.js';
export type { SenderServerDeps } from './controlConnection.js';

export interface SendSummary {
  completed: number;
  failed: number;
  /** Connections refused before any protocol: failed TLS handshakes (no or untrusted client certificate, ...). */
  tlsRefused: number;
  /** Why the sender stopped: the receivers target, the give-up bound, an abort, a file that could not be hashed. */
  reason: string;
  receivers: ReceiverSummary[];
  /** Multicast/broadcast: the one stream's totals when it ended (every receiver shared them). */
  sharedStream?: StreamStats;
}

/** Sockets open at once beyond those counted (refused or evicted ones still flushing their last frame). */
const LINGERING_CONNECTIONS = 32;
/** How long a peer's command may take to exit after its control stream ended before it is killed. */
const PEER_EXIT_GRACE_MS = 3000;
/** The least handshake timeout of a peer (SSH's handshake and a remote start-up come first). */
const PEER_HANDSHAKE_TIMEOUT_MS = 30_000;

let nextConnection = 1;

export class SenderServer {
  private readonly connections = new Map<string, Connection>();
  private readonly summaries: ReceiverSummary[] = [];
  private readonly admission: Admission;
  private admissionTimer?: NodeJS.Timeout;
  private closing = false;
  private tlsRefused = 0;
  /** What ended connections leave to the progress snapshots: their streams' counts and their bytes. */
  private readonly ended = { streams: [] as Partial<StreamStats>[], bytesDone: 0, bytesTotal: 0, done: 0, failed: 0 };
  /** Why the session ended early, when a stream failed (send() rejects with it). */
  failure?: StreamFailedError;
  private resolveDone!: (s: SendSummary) => void;
  readonly done = new Promise<SendSummary>((r) => (this.resolveDone = r));

  /** Present in multicast/broadcast mode: the one stream all sessions share. */
  private readonly shared?: SharedSession;
  private readonly sharedKeys = { sessionId: randomInt(0, 2 ** 32 - 1), dataKey: randomBytes(DATA_KEY_BYTES) };

  private constructor(
    private readonly config: SendConfig,
    private readonly deps: SenderServerDeps,
    private readonly server: Server | undefined,
  ) {
    this.admission = new Admission(config);
    if (config.shared) {
      this.shared = new SharedSession(config as SendConfig & { shared: SharedStreamConfig }, {
        file: deps.file,
        sessionId: this.sharedKeys.sessionId,
        ...(config.receiverKeys || config.channelKeys ? { tagKind: keyedTagKind(config), dataKey: this.sharedKeys.dataKey } : {}),
        wasmModule: deps.wasmModule,
        logger: deps.logger,
      });
      this.shared.onFailed = (message) => this.fail(`the shared stream failed: ${message}`);
      this.shared.onDropped = (id, reason) => this.connections.get(id)?.abort(reason);
    }
  }

  /** Listens for control connections; or, with peers, opens their control streams and listens for no one. */
  static async listen(config: SendConfig, deps: SenderServerDeps): Promise<SenderServer> {
    if (config.peers) {
      const self = new SenderServer(config, deps, undefined);
      for (const peer of config.peers) self.openPeer(peer);
      return self;
    }
    const server = config.tls
      ? createTlsServer({
          ...config.tls,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.3',
          handshakeTimeout: config.handshakeTimeoutMs,
          noDelay: true,
        })
      : createServer({ noDelay: true });
    // A hard bound on sockets at once: the receivers served, the pre-Hello budget (whose oldest
    // member makes way for a newcomer) and a few still flushing their last frame.
    server.maxConnections = config.maxReceivers + config.maxPendingHandshakes + LINGERING_CONNECTIONS;
    const self = new SenderServer(config, deps, server);
    const log = deps.logger;
    if (config.tls) {
      server.on('secureConnection', (socket: Socket) => self.accept(socket));
      server.on('tlsClientError', (e: Error, socket: Socket) => {
        self.tlsRefused++;
        log.warn({ peer: socket.remoteAddress, reason: e.message }, `TLS handshake from ${socket.remoteAddress} refused: ${e.message}`);
      });
    } else server.on('connection', (socket) => self.accept(socket));
    const listen = (host: string) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    try {
      await listen(config.host);
    } catch (e) {
      // '::' (every address, both families) on a host without IPv6: every IPv4 address then.
      const code = (e as NodeJS.ErrnoException).code;
      if (config.host !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw e;
      log.info({ host: '0.0.0.0' }, `no IPv6 here (${code}): listening on IPv4 only`);
      await listen('0.0.0.0');
    }
    server.on('error', (e) => log.error({ err: e }, `control listener error: ${e.message}`));
    return self;
  }

  /**
   * A stream failed in a way that leaves the sender unable to serve: the session ends (no
   * receiver is accepted any more), every receiver is told why, and send() rejects with it.
   */
  fail(message: string): void {
    if (this.closing) return;
    this.failure = new StreamFailedError(message);
    this.deps.logger.error({ event: 'stream-failed' }, message);
    void this.close(message);
  }

  /** Where it listens; undefined when it reaches its receivers itself (peers). */
  address(): { address: string; port: number } | undefined {
    if (this.server === undefined) return undefined;
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('server is not listening');
    return { address: a.address, port: a.port };
  }

  /** Where the run stands (SendOptions.onProgress): the receivers served now and every stream's counts. */
  progress(): SendProgress {
    const receivers: ReceiverProgress[] = [];
    const streams: (Partial<StreamStats> | undefined)[] = [...this.ended.streams, this.shared?.stats];
    for (const c of this.connections.values()) {
      streams.push(c.streamStats);
      const r = c.progress();
      if (r) receivers.push(r);
    }
    return {
      ...streamTotals(streams),
      bytesDone: this.ended.bytesDone + receivers.reduce((n, r) => n + r.bytesDone, 0),
      bytesTotal: this.ended.bytesTotal + receivers.reduce((n, r) => n + (r.bytesTotal ?? r.bytesDone), 0),
      receiversDone: this.ended.done,
      receiversFailed: this.ended.failed,
      receiversTotal: this.ended.done + this.ended.failed + receivers.length,
      receivers,
    };
  }

  /** Stops every stream, tells every receiver why, closes the listener; resolves `done`. */
  async close(reason: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.admissionTimer);
    this.server?.close();
    for (const c of this.connections.values()) c.abort(reason);
    await Promise.all([...this.connections.values()].map((c) => c.ended));
    await this.shared?.stop(reason);
    const stream = this.shared?.stats;
    const a = this.admission;
    this.resolveDone({
      completed: a.completed,
      failed: a.failed,
      tlsRefused: this.tlsRefused,
      reason,
      receivers: [...this.summaries],
      ...(stream ? { sharedStream: { ...stream } } : {}),
    });
  }

  private accept(socket: Socket): void {
    if (this.closing) return void socket.destroy();
    const id = `c${nextConnection++}`;
    const evict = this.admission.connected(performance.now(), id);
    if (evict) this.connections.get(evict)?.evict(`dropped before its Hello: ${this.config.maxPendingHandshakes} connections were waiting to say Hello`);
    // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d: they are IPv4 peers.
    const address = unmapped(socket.remoteAddress ?? '?');
    const c = this.connect(id, socket, { address, label: address, channelKey: false });
    this.track(c, c.ended);
  }

  /**
   * A named receiver: its command is started and its control stream served like a connection,
   * outside the pre-Hello budget (the sender started it; it is no stranger). It always ends with
   * a summary: one that never said Hello fails with its command's own last words (SSH's).
   */
  private openPeer(peer: ControlPeer): void {
    const id = `c${nextConnection++}`;
    const startedAt = performance.now();
    const link = peer.open();
    // Its Hello comes after SSH's own handshake and a remote start-up: a longer wait than for a socket.
    const config = { ...this.config, handshakeTimeoutMs: Math.max(this.config.handshakeTimeoutMs, PEER_HANDSHAKE_TIMEOUT_MS) };
    const c = this.connect(id, link.stream, { address: undefined, label: peer.name, channelKey: this.config.channelKeys }, config);
    const ended = c.ended.then(async (summary) => {
      this.shared?.namedEnded(id);
      let killed = false;
      const grace = setTimeout(() => {
        killed = true;
        link.kill();
      }, PEER_EXIT_GRACE_MS);
      const exit = await link.exited;
      clearTimeout(grace);
      return { ...(summary ?? this.unheard(peer, c, startedAt)), peer: peer.name, reason: peerReason(summary, c.closeReason, exit, killed) };
    });
    this.track(c, ended);
  }

  /** The summary of a peer that never said Hello. */
  private unheard(peer: ControlPeer, c: Connection, startedAt: number): ReceiverSummary {
    return {
      receiverId: peer.name,
      address: '',
      outcome: 'failed',
      reason: c.closeReason,
      seconds: (performance.now() - startedAt) / 1000,
      ...NO_COUNTS,
      datagramsReceived: 0,
      datagramsLost: 0,
    };
  }

  /** The shared stream's group as far as it is known: what the run waits for, or who is connected. */
  private expectedGroup(): number {
    return Math.max(this.config.receivers ?? 0, this.config.shared?.minReceivers ?? 0, this.connections.size + 1);
  }

  private connect(id: string, stream: ByteStream, transport: Transport, config = this.config): Connection {
    const c = new Connection(
      config,
      this.deps,
      stream,
      transport,
      id,
      this.admission,
      (message) => this.fail(message),
      this.shared && { session: this.shared, keys: { ...this.sharedKeys, groupSize: () => this.expectedGroup() } },
    );
    this.connections.set(id, c);
    return c;
  }

  private track(c: Connection, ended: Promise<ReceiverSummary | undefined>): void {
    void ended.then((summary) => {
      this.connections.delete(c.id);
      this.admission.ended(performance.now(), c.id, summary?.outcome);
      if (summary) {
        summary = this.noteEnded(c, summary);
        this.summaries.push(summary);
        this.deps.onReceiverEnd?.(summary);
        const log = this.deps.logger;
        (summary.outcome === 'completed' ? log.info.bind(log) : log.warn.bind(log))(
          { event: 'receiver-summary', ...summary },
          `${summary.peer ?? summary.receiverId} ${summary.outcome}: ${summary.reason} (${summary.seconds.toFixed(2)} s, loss seen ${lossPercent(summary)})`,
        );
      }
      this.pumpAdmission();
    });
  }

  /** Keeps what an ended receiver counted for the progress snapshots; its summary gains the bytes it holds. */
  private noteEnded(c: Connection, summary: ReceiverSummary): ReceiverSummary {
    const e = this.ended;
    if (c.streamStats) e.streams.push(c.streamStats);
    const r = c.progress();
    const total = r?.bytesTotal ?? r?.bytesDone ?? 0;
    const bytes = summary.outcome === 'completed' ? total : (r?.bytesDone ?? 0);
    e.bytesTotal += total;
    e.bytesDone += bytes;
    if (summary.outcome === 'completed') e.done++;
    else e.failed++;
    return { ...summary, bytes };
  }

  /** Acts on the tally's verdict and keeps its give-up deadline armed. */
  private pumpAdmission(): void {
    const finish = this.admission.pollFinish();
    if (finish) {
      if (finish.startsWith('gave up')) this.deps.logger.error({ event: 'give-up' }, finish);
      return void this.close(finish);
    }
    clearTimeout(this.admissionTimer);
    const at = this.admission.pollTimeout();
    if (at === undefined || this.closing) return;
    this.admissionTimer = setTimeout(
      () => {
        this.admission.handleTimeout(Math.max(performance.now(), at));
        this.pumpAdmission();
      },
      Math.max(0, at - performance.now()),
    );
  }
}

function unmapped(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

/**
 * Why a named receiver failed, best said: a command's own last words (SSH's message, the remote's
 * error line) for one that never said Hello, unless we killed it ourselves (its silence is then
 * the reason); after its Hello the session's reason, with those words only where they add to it.
 */
function peerReason(summary: ReceiverSummary | undefined, closeReason: string, exit: string | undefined, killed: boolean): string {
  if (summary?.outcome === 'completed') return summary.reason;
  const words = exit?.replace(/ ?\(?(exit status \d+|killed by \w+)\)?$/, '');
  if (summary === undefined) {
    if (killed || exit === undefined) return [closeReason || 'its control stream ended before its Hello', words].filter(Boolean).join('; ');
    return exit;
  }
  const repeats = !words || summary.reason.includes(words) || words.includes(summary.reason);
  return repeats ? summary.reason : `${summary.reason}; ${exit}`;
}

function lossPercent(s: ReceiverSummary): string {
  const n = s.datagramsReceived + s.datagramsLost;
  return n === 0 ? 'n/a' : `${((100 * s.datagramsLost) / n).toFixed(1)} %`;
}

/**
 * The library's `receive()` (adapter): connects the control channel, listens for datagrams,
 * drives the ReceiverCore, runs decode jobs in the worker pool, writes segments through the
 * FileAssembler, and on completion commits the file atomically and says Stop. Any failure ends
 * with a typed error whose message is the one line the CLI prints, and no file under the final
 * name.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Logger } from 'pino';
import type { ControlEvent } from '../control/connection.js';
import { PROTOCOL_VERSION, type Challenge, type DataPlane, type Digests, type Manifest } from '../control/messages.js';
import { ReceiverConnection } from '../control/receiverConnection.js';
import { ControlChannel } from '../control/tcpChannel.js';
import { crc32Scheme, integrityFor, logTagImplementation, TagKind, type IntegrityScheme } from '../encoder/integrity.js';
import { newNonce, proofMatches, receiverProof, senderProof, sessionKey, unwrapDataKey } from '../control/auth.js';
import { CODEC_NAMES, codecByName, isCodecName } from '../encoder/codecs.js';
import { compileRaptorQModule } from '../encoder/raptorq.js';
import { DecodePool } from './decodePool.js';
import { HashMismatchError, ManifestRejectedError, ReceiveError, SenderAuthenticationError, TransferAbortedError, UntrustedManifestError } from './errors.js';
import { resolveReceiveConfig, type ReceiveConfig, type ReceiveOptions } from './receiveConfig.js';
import { TrustState } from './trustState.js';
import { publisherId, verifyPublication } from '../control/publication.js';
import { FileAssembler } from './fileAssembler.js';
import { LossSimulator } from './lossSimulator.js';
import { resolveOutputPath } from './outputPath.js';
import { readDatagrams, type DatagramReader } from './datagramReader.js';
import { ReceiverCore } from './receiverCore.js';
import { warmUpReceivePath } from './warmUp.js';

/**
 * While it waits for the sender anyway, a receiver compiles the codec's wasm (memoized; 3 ms
 * idle, 5-17 ms measured when 8 receivers take their manifests at once on 2 cores, which is
 * when the shared stream waits for the last of them) and warms its receive path up (warmUp.ts),
 * once per process. A failure here is left for onManifest, which reports it.
 */
let preparedWhileWaiting = false;
function prepareWhileWaiting(): void {
  if (preparedWhileWaiting) return;
  preparedWhileWaiting = true;
  try {
    warmUpReceivePath(codecByName('raptorq', compileRaptorQModule()));
  } catch {
    // reported when the manifest needs the codec
  }
}

/** Connection errors that mean "no sender listening there yet" (waitForSenderMs retries them). */
const SENDER_NOT_UP = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);
const FIRST_RETRY_MS = 10;
// A refused attempt costs a SYN and a RST: forty a second keeps the start prompt (the race starts
// the receivers first) and is nothing on a LAN; after LONG_WAIT_MS, every RETRY_AFTER_LONG_MS.
const MAX_RETRY_MS = 25;
const LONG_WAIT_MS = 10_000;
const RETRY_AFTER_LONG_MS = 250;
/**
 * How long data may wait for a digest with none coming: a sender sends them every few ms while
 * it hashes (~1.5 GB/s, or far slower beside a busy stream at nice 10), so this only catches one
 * that never will. At least 30 s, and 6 idle timeouts.
 */
export function digestWaitLimitMs(idleTimeoutMs = 5000): number {
  return Math.max(30_000, 6 * idleTimeoutMs);
}

/** Digests frames kept while the manifest is being taken (a sender batches them every few ms). */
const MAX_PENDING_DIGEST_FRAMES = 64;

export interface ReceiveSummary {
  path: string;
  bytes: number;
  seconds: number;
  sha256: string;
  /** Distinct symbols received (accepted by decoders) over all segments. */
  symbolsReceived: number;
  /** Sum of K over all segments. */
  symbolsNeeded: number;
  datagramsReceived: number;
  datagramsLost: number;
  drops: Record<string, number>;
  /** Decode attempts: one per segment, more when the codec needed more symbols or a digest failed. */
  decodeJobs: number;
  /** Of those, the ones run by the fountain codec's decoder in a decode worker (a segment that
   * had every source symbol is only copied together, on the receiving thread). */
  codecDecodes: number;
  decodeFailures: number;
  /** Segments whose decoded bytes failed the manifest's SHA-256 and were collected again. */
  hashMismatches: number;
}

export { ReceiveError };
export type { ReceiveOptions };

export async function receive(options: ReceiveOptions): Promise<ReceiveSummary> {
  const run = new ReceiveRun(resolveReceiveConfig(options));
  try {
    return await run.result;
  } finally {
    await run.cleanup();
  }
}

class ReceiveRun {
  private readonly log: Logger;
  private readonly receiverId: string;
  private readonly window: number;
  private udp?: UdpSocket;
  /** The shared stream's socket (multicast group or broadcast port), when the manifest names one. */
  private sharedUdp?: UdpSocket;
  private readonly readers: DatagramReader[] = [];
  private channel?: ControlChannel<ReceiverConnection>;
  private pool?: DecodePool;
  private assembler?: FileAssembler;
  private core?: ReceiverCore;
  private manifest?: Manifest;
  private requested = false;
  /** Digests that came while the manifest was still being taken (before the core existed). */
  private pendingDigests: Digests[] = [];
  private finalPath = '';
  /** Hello.auth's nonce (enrolled receivers) and the session key the challenge derived. */
  private readonly receiverNonce = newNonce();
  private sessionKey?: Uint8Array;
  /** The sender has said something (a challenge) before its manifest. */
  private handshakeAnswered = false;
  /** Set when --trust accepted the manifest: recorded in the replay state once the file verifies. */
  private trusted?: { state: TrustState; publisherId: string; publishedAt: number };
  private startedAt = 0;
  private pumpScheduled = false;
  private timer?: NodeJS.Timeout;
  private finishing = false;
  private settled = false;
  private resolve!: (s: ReceiveSummary) => void;
  private reject!: (e: Error) => void;
  readonly result = new Promise<ReceiveSummary>((res, rej) => {
    this.resolve = res;
    this.reject = rej;
  });

  constructor(private readonly o: ReceiveConfig) {
    this.log = o.logger;
    this.receiverId = o.receiverId;
    this.window = o.window;
    if (o.signal?.aborted) this.fail(new TransferAbortedError('aborted before start'));
    o.signal?.addEventListener('abort', this.onAbort, { once: true });
    void this.start().catch((e) => this.fail(e as Error));
  }

  private readonly onAbort = () => {
    const why = (this.o.signal?.reason as Error)?.message ?? 'aborted';
    this.channel?.act((c) => c.sendStop('aborted', why));
    this.fail(new TransferAbortedError(`transfer aborted: ${why}`));
  };

  private async start(): Promise<void> {
    const udp = createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
    this.udp = udp;
    udp.on('error', (e) => this.fail(new ReceiveError(`UDP socket error: ${e.message}`)));
    await new Promise<void>((r) => udp.bind(0, r));
    this.readers.push(readDatagrams(udp, (d) => this.onDatagram(d), (e) => this.fail(new ReceiveError(`UDP socket error: ${e.message}`))));
    this.o.onDataPort?.(udp.address().port);
    const socket = await this.connect();
    const core = new ReceiverConnection({ now: performance.now(), handshakeTimeoutMs: this.o.connectTimeoutMs });
    this.channel = new ControlChannel(socket, core, (e) => this.onControl(e));
    this.channel.act((c) =>
      c.start(performance.now(), {
        type: 'hello',
        version: PROTOCOL_VERSION,
        receiverId: this.receiverId,
        codecs: [...CODEC_NAMES],
        udpPort: udp.address().port,
        window: this.window,
        ...(this.o.key ? { auth: { name: this.o.key.name, nonce: this.receiverNonce.toString('base64') } } : {}),
        // The sender may stream before it has hashed the file; nothing is verified or written
        // before its digest is here (ReceiverCore), and a signed manifest always carries them.
        digestsFollow: true,
      }),
    );
  }

  /** An enrolled receiver: the sender must prove it holds our key before we prove we do. */
  private onChallenge(c: Challenge): void {
    const key = this.o.key;
    if (key === undefined) throw new SenderAuthenticationError('the sender sent an authentication challenge to a receiver without --key');
    const senderNonce = Buffer.from(c.nonce, 'base64');
    if (!proofMatches(senderProof(key.secret, key.name, this.receiverNonce, senderNonce), Buffer.from(c.proof, 'base64'))) {
      throw new SenderAuthenticationError(`the sender could not prove it holds the key enrolled as ${key.name}: not the real sender`);
    }
    this.sessionKey = sessionKey(key.secret, key.name, this.receiverNonce, senderNonce);
    this.channel?.act((core) => core.respond({ type: 'auth-response', proof: receiverProof(key.secret, key.name, this.receiverNonce, senderNonce).toString('base64') }));
  }

  /** The datagram integrity the manifest asks for, refusing anything weaker than our enrollment. */
  private integrityOf(m: Manifest): IntegrityScheme {
    if (this.o.key === undefined) {
      if (m.tagKind !== TagKind.Crc32) throw new ManifestRejectedError('the sender admits enrolled receivers only (its datagrams are MACed): give --key');
      return crc32Scheme;
    }
    if (this.sessionKey === undefined) throw new SenderAuthenticationError('the sender skipped authentication: refusing an unauthenticated manifest');
    const keyed = m.tagKind === TagKind.HmacSha256_128 || m.tagKind === TagKind.Aes256Gcm;
    if (!keyed || m.keyWrap === undefined) throw new SenderAuthenticationError(`the sender offers tag kind ${m.tagKind} without a key: refusing unauthenticated datagrams`);
    const dataKey = unwrapDataKey(this.sessionKey, m.keyWrap, m.sessionId);
    if (dataKey === undefined) throw new SenderAuthenticationError('the datagram key in the manifest does not open under this session key');
    logTagImplementation(this.log, m.tagKind);
    return integrityFor(m.tagKind, dataKey);
  }

  /** connectOnce, again after a short pause while the sender is not up yet (waitForSenderMs). */
  private async connect(): Promise<Socket> {
    const started = performance.now();
    const deadline = started + this.o.waitForSenderMs;
    let pauseMs = FIRST_RETRY_MS;
    for (;;) {
      try {
        return await this.connectOnce();
      } catch (e) {
        const code = (e as ReceiveError).cause as string | undefined;
        if (!SENDER_NOT_UP.has(code ?? '') || this.o.signal?.aborted) throw e;
        if (performance.now() + pauseMs > deadline) {
          if (!this.o.waitForSenderMs) throw e;
          throw new ReceiveError(`${(e as Error).message} (kept trying for ${this.o.waitForSenderMs} ms)`, { cause: code });
        }
        if (pauseMs === FIRST_RETRY_MS) prepareWhileWaiting();
        await new Promise((r) => setTimeout(r, pauseMs));
        pauseMs = performance.now() - started > LONG_WAIT_MS ? RETRY_AFTER_LONG_MS : Math.min(MAX_RETRY_MS, pauseMs * 1.5);
      }
    }
  }

  private connectOnce(): Promise<Socket> {
    const timeoutMs = this.o.connectTimeoutMs;
    return new Promise((resolve, reject) => {
      const tls = this.o.tls;
      const socket = tls
        ? tlsConnect({ host: this.o.host, port: this.o.port, ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername, minVersion: 'TLSv1.3' })
        : connect({ host: this.o.host, port: this.o.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ReceiveError(`no answer from ${this.o.host}:${this.o.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ReceiveError(`cannot connect to ${this.o.host}:${this.o.port}: ${e.message}`, { cause: e.code }));
      });
    });
  }

  private onControl(e: ControlEvent): void {
    switch (e.type) {
      case 'challenge':
        this.handshakeAnswered = true;
        try {
          return this.onChallenge(e.challenge);
        } catch (err) {
          this.fail(err as Error);
          this.channel?.act((c) => c.sendStop('aborted', (err as Error).message));
          return;
        }
      case 'manifest':
        return void this.onManifest(e.manifest).catch((err) => {
          // Fail first: sending Stop closes the channel, whose 'closed' would otherwise win
          // and report "sender vanished" instead of the real reason (a refused manifest, a full disk).
          this.fail(err as Error);
          this.channel?.act((c) => c.sendStop('aborted', (err as Error).message));
        });
      case 'digests':
        return this.onDigests(e.digests);
      case 'stop':
        return this.fail(new ReceiveError(`sender stopped the transfer: ${e.stop.reason ?? e.stop.outcome}`));
      case 'error':
        return this.fail(new ReceiveError(`sender refused: ${e.error.message} (${e.error.code})`));
      case 'closed':
        if (this.settled || this.finishing) return;
        if (this.manifest === undefined && !this.handshakeAnswered) {
          // Closed before it said anything: a refusal below the protocol, most likely TLS.
          const hint = this.o.tls ? "it may have refused this receiver's TLS certificate" : 'a sender that requires TLS (--tls-ca) closes plain connections';
          return this.fail(new ReceiveError(`the sender closed the connection before answering (${hint}): ${e.reason}`));
        }
        this.fail(new ReceiveError(`sender vanished: ${e.reason}`));
        return;
      default:
        return;
    }
  }

  private onDigests(d: Digests): void {
    const core = this.core;
    if (core === undefined) {
      // The manifest is still being taken (it awaits); a few frames may come meanwhile.
      if (this.pendingDigests.length >= MAX_PENDING_DIGEST_FRAMES) return this.refuseDigests(`more than ${MAX_PENDING_DIGEST_FRAMES} Digests frames before the manifest was taken`);
      this.pendingDigests.push(d);
      return;
    }
    const problem = core.handleDigests(performance.now(), d);
    if (problem !== undefined) return this.refuseDigests(problem);
    // Before Request the pump must not run (it would send Progress); onManifest starts it.
    if (this.requested) this.schedulePump();
  }

  private refuseDigests(why: string): void {
    const e = new ManifestRejectedError(`the sender's digests are inconsistent: ${why}`);
    this.fail(e);
    this.channel?.act((c) => c.sendStop('aborted', e.message));
  }

  private async onManifest(m: Manifest): Promise<void> {
    this.o.onManifest?.(m);
    if (!isCodecName(m.codec)) throw new ManifestRejectedError(`manifest names codec ${JSON.stringify(m.codec)}, which this receiver does not have (${CODEC_NAMES.join(', ')})`);
    await this.checkPublication(m);
    const integrity = this.integrityOf(m);
    const wasmModule = compileRaptorQModule();
    const codec = codecByName(m.codec, wasmModule);
    this.core = new ReceiverCore({
      manifest: m,
      codec,
      integrity,
      window: this.window,
      now: performance.now(),
      lossSimulator: this.o.intakeLoss ?? (this.o.simulateLoss ? new LossSimulator(this.o.simulateLoss, this.o.seed) : undefined),
    });
    for (const d of this.pendingDigests.splice(0)) this.onDigests(d);
    const paths = resolveOutputPath(this.o.out, m.fileName);
    this.finalPath = paths.finalPath;
    const assembler = await FileAssembler.open(paths.tempPath, m.fileSize);
    if (this.settled) {
      // Failed while the file was being created (refused digests, a vanished sender): cleanup
      // may already have run, so this temporary file is removed here.
      await assembler.abort().catch(() => undefined);
      return;
    }
    this.assembler = assembler;
    // Complete-source segments are only hashed, here; workers start with the first real decode.
    this.pool = new DecodePool({ size: this.o.decodeWorkers, wasmModule, fastPathCodec: codec, codecName: m.codec });
    this.manifest = m;
    this.log.info(
      { file: m.fileName, bytes: m.fileSize, segments: Math.ceil(m.fileSize / m.segmentSize), to: this.finalPath },
      `receiving ${m.fileName} (${m.fileSize} bytes) into ${this.finalPath}`,
    );
    if (m.dataPlane) await this.listenShared(m.dataPlane);
    this.startedAt = performance.now();
    this.channel!.act((c) => c.request());
    this.requested = true;
    this.schedulePump();
  }

  /**
   * Binds the shared stream's port with address reuse (several receivers on one host) and joins
   * the group. Datagrams of other sessions on that port fail the session check and are counted.
   */
  private async listenShared(plane: DataPlane): Promise<void> {
    const udp = createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: 8 << 20 });
    this.sharedUdp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(plane.port, () => {
        udp.off('error', reject);
        resolve();
      });
    }).catch((e: Error) => {
      throw new ReceiveError(`cannot listen on the shared stream's port ${plane.port}: ${e.message}`);
    });
    udp.on('error', (e) => this.fail(new ReceiveError(`shared stream socket error: ${e.message}`)));
    this.readers.push(readDatagrams(udp, (d) => this.onDatagram(d), (e) => this.fail(new ReceiveError(`shared stream socket error: ${e.message}`))));
    if (plane.mode === 'multicast') {
      try {
        udp.addMembership(plane.group, this.o.interfaceAddress);
      } catch (e) {
        throw new ReceiveError(`cannot join multicast group ${plane.group}: ${(e as Error).message}`);
      }
    }
    this.log.info({ dataPlane: plane }, plane.mode === 'multicast' ? `joined multicast ${plane.group}:${plane.port}` : `listening for broadcast on port ${plane.port}`);
  }

  /** `msg` is the reader's reused buffer: the core copies what it keeps. */
  private onDatagram(msg: Uint8Array): void {
    const core = this.core;
    if (!core || this.settled) return;
    core.handleDatagram(performance.now(), msg);
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.settled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Moves everything the core wants done: decode jobs, writes, progress, completion. */
  private pump(): void {
    const core = this.core;
    if (!core || this.settled) return;
    const now = performance.now();
    for (let job = core.pollDecodeJob(); job; job = core.pollDecodeJob()) {
      this.pool!.submit(job, core.fileHashFor(job.segmentIndex)).then(
        (outcome) => {
          core.handleDecodeOutcome(performance.now(), outcome);
          if (outcome.type === 'hash-mismatch') {
            // Symbols that passed the datagram check but decode to other bytes than the manifest's
            // hash: corruption, or a forger who holds the datagram key (a group insider). The
            // segment starts over from fresh symbols; the file is never touched.
            this.log.warn({ segment: outcome.segmentIndex, hashMismatches: core.stats.hashMismatches }, `segment ${outcome.segmentIndex} failed its SHA-256: collecting it again from fresh symbols`);
          }
          this.schedulePump();
        },
        (err) => this.fail(err as Error),
      );
    }
    for (let w = core.pollWrite(); w; w = core.pollWrite()) {
      const { segmentIndex, offset, data } = w;
      this.assembler!.write(offset, data).then(
        () => {
          core.handleWriteDone(performance.now(), segmentIndex);
          this.o.onProgress?.(core.stats.bytesWritten, this.manifest!.fileSize);
          this.schedulePump();
        },
        (err) => {
          // Fail first: sending Stop closes the channel, whose 'closed' would otherwise win
          // and report "sender vanished" instead of the real reason (a refused manifest, a full disk).
          this.fail(err as Error);
          this.channel?.act((c) => c.sendStop('aborted', (err as Error).message));
        },
      );
    }
    const progress = core.pollProgress(now);
    if (progress) this.channel?.act((c) => c.sendProgress(progress));
    if (core.complete && !this.finishing) {
      void this.finish().catch((e) => this.fail(e as Error));
      return;
    }
    const waitLimit = digestWaitLimitMs(this.manifest?.idleTimeoutMs);
    const digestDeadline = core.digestDeadline(waitLimit);
    if (digestDeadline !== undefined && now >= digestDeadline) {
      const e = new TransferAbortedError(`the sender said the file's digests would follow, but sent none for ${waitLimit / 1000} s while data waited for them`);
      this.fail(e);
      this.channel?.act((c) => c.sendStop('aborted', e.message));
      return;
    }
    clearTimeout(this.timer);
    const next = Math.min(core.pollTimeout() ?? Infinity, digestDeadline ?? Infinity);
    if (next !== Infinity) this.timer = setTimeout(() => this.pump(), Math.max(0, next - performance.now()));
  }

  /** With --trust: the signature and the replay state decide before anything is allocated. */
  private async checkPublication(m: Manifest): Promise<void> {
    const trust = this.o.trust;
    if (trust === undefined) {
      if (m.publication) this.log.info({ publisher: publisherId(Buffer.from(m.publication.publisher, 'base64')) }, 'the manifest is signed (not checked: no --trust given)');
      return;
    }
    const v = verifyPublication(m, trust.publishers);
    if (!v.ok) throw new UntrustedManifestError(v.reason, v.detail);
    const state = await TrustState.load(trust.statePath);
    const replay = state.replayProblem(v.publisherId, m.fileName, v.publishedAt);
    if (replay) throw new UntrustedManifestError('replayed', replay);
    this.trusted = { state, publisherId: v.publisherId, publishedAt: v.publishedAt };
    this.log.info({ publisher: v.publisherId, publishedAt: new Date(v.publishedAt).toISOString() }, `manifest signed by trusted publisher ${v.publisherId}`);
  }

  private async finish(): Promise<void> {
    this.finishing = true;
    const core = this.core!;
    const m = this.manifest!;
    if (!core.fileHashMatches()) {
      this.channel?.act((c) => c.sendStop('aborted', 'whole-file SHA-256 mismatch'));
      throw new HashMismatchError(`whole-file SHA-256 of ${m.fileName} does not match the manifest; nothing was written`);
    }
    // Recorded before the rename: a crash between leaves a state that still accepts this very
    // version (equal times are not replays), never a file stored without its record.
    if (this.trusted) await this.trusted.state.record(this.trusted.publisherId, m.fileName, this.trusted.publishedAt);
    await this.assembler!.commit(this.finalPath);
    this.assembler = undefined;
    this.channel!.act((c) => c.sendStop('done', 'verified and stored'));
    await this.channel!.drained();
    const s = core.stats;
    const summary: ReceiveSummary = {
      path: this.finalPath,
      bytes: m.fileSize,
      seconds: (performance.now() - this.startedAt) / 1000,
      sha256: core.announcedFileSha256!,
      symbolsReceived: s.symbolsReceived,
      symbolsNeeded: s.symbolsNeeded,
      datagramsReceived: s.datagramsReceived,
      datagramsLost: s.datagramsLost,
      drops: { ...s.drops },
      decodeJobs: s.decodeJobs,
      codecDecodes: s.decodeJobs - this.pool!.fastPathJobs,
      decodeFailures: s.decodeFailures,
      hashMismatches: s.hashMismatches,
    };
    this.log.info({ event: 'receive-summary', ...summary }, `stored ${this.finalPath}: ${m.fileSize} bytes in ${summary.seconds.toFixed(2)} s, SHA-256 verified`);
    this.settled = true;
    this.resolve(summary);
  }

  private fail(e: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(e);
  }

  async cleanup(): Promise<void> {
    this.settled = true;
    this.o.signal?.removeEventListener('abort', this.onAbort);
    clearTimeout(this.timer);
    for (const r of this.readers.splice(0)) r.stop();
    this.udp?.close();
    this.udp = undefined;
    this.sharedUdp?.close();
    this.sharedUdp = undefined;
    if (this.assembler) await this.assembler.abort().catch(() => undefined);
    this.channel?.close();
    await this.pool?.close();
  }
}

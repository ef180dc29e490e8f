/**
 * The library's `receive()`: the adapter around ReceiveSession (receiveSession.ts), which
 * decides everything about the run. This file only moves bytes, timers and threads: it binds
 * the UDP port, connects the control stream (TCP or TLS, retrying while no sender is up yet),
 * feeds socket bytes, datagrams, timer expiries and the results of its work into the session,
 * and carries out the session's actions (decode in the worker pool, write and commit through
 * the object's staging (openStaging.ts), read and write the trust state, join the shared stream). Any failure ends
 * with the session's typed error, whose message is the one line the CLI prints, and no file
 * under the final name. Reconnecting after a loss mid-transfer is reconnect.ts's loop, around
 * whole runs.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIP, Socket } from 'node:net';
import type { ByteStream } from '../control/byteStream.js';
import type { DataPlane, Manifest } from '../control/messages.js';
import { logTagImplementation, TagKind } from '../encoder/integrity.js';
import { compileRaptorQModule } from '../encoder/raptorq.js';
import { interfaceAddress, type AddressFamily } from '../util/netInterface.js';
import { connectToSender, controlFamily } from './connectSender.js';
import { readDatagrams, type DatagramReader } from './datagramReader.js';
import { openSharedSocket } from './sharedSocket.js';
import { DecodePool } from './decodePool.js';
import { ReceiveError } from './errors.js';
import { FileStaging } from './fileStaging.js';
import { keepsStaging } from './interruption.js';
import { readBackDigests } from './objectDigest.js';
import type { ObjectStaging } from './objectStaging.js';
import { openStaging, STANDARD_OUTPUT } from './openStaging.js';
import { OrderedStaging } from './orderedStaging.js';
import { surveyTargets } from './localInventory.js';
import type { TreeSync } from './treeStaging.js';
import { receiveWithReconnect } from './reconnect.js';
import { resumeStateExists } from './resumeCandidate.js';
import { resolveReceiveConfig, type ReceiveConfig, type ReceiveOptions } from './receiveConfig.js';
import { ReceiveSession } from './receiveSession.js';
import type { ReceiveAction, ReceiveSummary } from './receiveStates.js';
import { TrustState } from './trustState.js';
import { warnIfSlowSegmentHash } from '../control/segmentHash.js';

export { ReceiveError };
export type { ReceiveOptions, ReceiveSummary };

const now = () => performance.now();
/** How often progress is sampled between segment writes (o.onProgress). */
const PROGRESS_SAMPLE_MS = 250;

export async function receive(options: ReceiveOptions): Promise<ReceiveSummary> {
  const config = resolveReceiveConfig(options);
  return receiveWithReconnect(config, {
    startRun: async (c) => new ReceiveRun(c, c.out !== STANDARD_OUTPUT && (await resumeStateExists(c.out))),
    onSwitchSource: (reason, next) =>
      config.logger.warn(
        { source: reason.source, publisher: reason.publisherId, next: `${next.host}:${next.port}` },
        `${reason.message}: dropped it, continuing from ${next.host}:${next.port}`,
      ),
    onReconnect: (reason, leftMs) =>
      config.logger.warn(
        { reason: reason.message, leftMs: Math.round(leftMs) },
        `${reason.message}: connecting again (for up to ${(leftMs / 1000).toFixed(1)} s), keeping what was received`,
      ),
  });
}

class ReceiveRun {
  private readonly session: ReceiveSession;
  private udp?: UdpSocket;
  /** The shared stream's socket (multicast group or broadcast port), when the manifest names one. */
  private sharedUdp?: UdpSocket;
  private readonly readers: DatagramReader[] = [];
  private socket?: ByteStream;
  private pool?: DecodePool;
  private staging?: ObjectStaging;
  private trustState?: TrustState;
  private timer?: NodeJS.Timeout;
  /** Samples progress between segment writes (o.onProgress), so a display moves with the data. */
  private progressTicker?: NodeJS.Timeout;
  private progressReported = 0;
  private driveScheduled = false;
  private driving = false;
  private again = false;
  private socketEnded = false;
  private closed = false;
  private resolve!: (s: ReceiveSummary) => void;
  private reject!: (e: Error) => void;
  readonly result = new Promise<ReceiveSummary>((res, rej) => {
    this.resolve = res;
    this.reject = rej;
  });

  /** The staging is open: a loss from here on is mid-transfer (reconnect.ts). */
  transferStarted = false;

  constructor(
    private readonly o: ReceiveConfig,
    resumeCandidate = false,
  ) {
    this.session = new ReceiveSession(o, now(), { resumeCandidate });
    o.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (o.signal?.aborted) this.onAbort();
    else void this.start().catch((e: Error) => this.input((s) => s.handleLocalFailure(now(), e)));
    if (o.onProgress) {
      this.progressTicker = setInterval(() => this.reportProgress(), PROGRESS_SAMPLE_MS);
      this.progressTicker.unref();
    }
  }

  /**
   * Calls o.onProgress with the bytes held from an earlier run, written, and on their way in the
   * open segments, out of the object's size: while a length follows, that of the segments
   * announced so far.
   */
  private reportProgress(): void {
    const core = this.session.core;
    if (!core || this.closed || this.session.state === 'failed') return;
    const stats = core.stats;
    const stored = stats.bytesHeld + stats.bytesWritten;
    // Never backwards (a segment that fails its hash starts its symbols over).
    this.progressReported = Math.max(this.progressReported, Math.min(stored + stats.bytesInFlight, core.layout.fileSize));
    this.o.onProgress?.(this.progressReported, core.layout.fileSize, stored);
  }

  private readonly onAbort = () => this.input((s) => s.handleAbort(now(), (this.o.signal?.reason as Error)?.message ?? 'aborted'));

  private async start(): Promise<void> {
    // With --interface the family is settled first: the connection leaves from the interface's
    // address of it. Without, the system picks (a name may resolve to both families).
    let family: AddressFamily | undefined;
    let socket: ByteStream;
    try {
      if (this.o.interface && !this.o.control) family = await controlFamily(this.o);
      // A stream the caller opened (receive --stdio: sshd's pipes) is the connection as it is.
      socket = this.o.control ?? (await connectToSender(this.o, () => !this.closed && this.session.state === 'connecting', family));
    } catch (e) {
      return this.input((s) => s.handleConnectFailed(now(), e as Error));
    }
    if (this.closed || this.session.state !== 'connecting') {
      socket.destroy();
      return;
    }
    this.socket = socket;
    // The unicast stream comes back to the address the connection left from (over a control
    // stream of our own, to Hello.address): a socket of that family, bound before the Hello
    // names its port. Until the session hears of the connection (handleConnected) nothing is
    // read from it; an error meanwhile is only noted.
    let lost: Error | undefined;
    const early = (e: Error) => (lost ??= e);
    socket.on('error', early);
    const udp = await this.bindUnicast(unicastFamily(socket, this.o.address)).finally(() => socket.off('error', early));
    if (this.closed || this.session.state !== 'connecting') return;
    if (socket.destroyed) {
      const why = lost?.message ?? 'the connection closed';
      const from = this.o.control ? 'the control stream' : `${this.o.host}:${this.o.port}`;
      return this.input((s) => s.handleConnectFailed(now(), new ReceiveError(`cannot connect to ${from}: ${why}`, { loss: 'connect-failed' })));
    }
    socket.on('data', (chunk: Buffer) => this.input((s) => s.handleControlBytes(now(), chunk)));
    socket.on('end', () => this.input((s) => s.handleControlEof(now())));
    socket.on('error', (e) => this.input((s) => s.handleControlEof(now(), `connection error: ${e.message}`)));
    socket.on('close', () => this.input((s) => s.handleControlEof(now())));
    this.input((s) => s.handleConnected(now(), udp.address().port));
  }

  /** The unicast stream's socket, of `family`, on the interface's address with --interface. */
  private async bindUnicast(family: AddressFamily): Promise<UdpSocket> {
    const udp = createSocket({ type: family === 'IPv6' ? 'udp6' : 'udp4', recvBufferSize: 8 << 20 });
    this.udp = udp;
    const udpFailed = (e: Error) => this.input((s) => s.handleLocalFailure(now(), new ReceiveError(`UDP socket error: ${e.message}`)));
    udp.on('error', udpFailed);
    const local = this.o.interface && interfaceAddress(this.o.interface, family, this.o.control ? 'the control stream' : `the sender ${this.o.host}`);
    await new Promise<void>((r) => udp.bind(0, local?.bindAddress, r));
    this.readers.push(readDatagrams(udp, (d, crcChecked) => this.onDatagram(d, crcChecked), udpFailed));
    this.o.onDataPort?.(udp.address().port);
    return udp;
  }

  /** Feeds one input to the session, then carries out what it asks for. */
  private input(feed: (s: ReceiveSession) => void): void {
    try {
      feed(this.session);
    } catch (e) {
      // A LocalProtocolError: this adapter misused the session, a bug to surface, not to hide.
      this.reject(e as Error);
      return;
    }
    this.drive();
  }

  /** `msg` is the reader's reused buffer: the core copies what it keeps. Serviced in batches. */
  private onDatagram(msg: Uint8Array, crcChecked?: boolean): void {
    if (this.closed) return;
    this.session.handleDatagram(now(), msg, crcChecked);
    if (this.driveScheduled) return;
    this.driveScheduled = true;
    setImmediate(() => {
      this.driveScheduled = false;
      this.drive();
    });
  }

  /** Writes the session's frames, performs its actions, ends the stream when it asks, re-arms the timer. */
  private drive(): void {
    // A callback (onManifest, an abort) may feed the session again: loop instead of recursing.
    if (this.driving) {
      this.again = true;
      return;
    }
    this.driving = true;
    try {
      do {
        this.again = false;
        for (let f = this.session.pollTransmit(); f; f = this.session.pollTransmit()) {
          if (this.socket && !this.socket.destroyed && this.socket.writable) this.socket.write(f);
        }
        for (let a = this.session.pollAction(); a; a = this.session.pollAction()) {
          this.perform(a);
          this.again = true;
        }
      } while (this.again);
    } finally {
      this.driving = false;
    }
    if (this.session.wantsControlClose && this.socket && !this.socketEnded) {
      this.socketEnded = true;
      this.socket.end();
      // A peer that never closes its side must not keep us around.
      const socket = this.socket;
      setTimeout(() => socket.destroy(), 2000).unref();
    }
    clearTimeout(this.timer);
    const at = this.session.pollTimeout();
    if (at !== undefined && !this.closed) this.timer = setTimeout(() => this.input((s) => s.handleTimeout(now())), Math.max(0, at - now()) + 1);
  }

  private perform(a: ReceiveAction): void {
    const log = this.o.logger;
    const failed = (e: unknown) => this.input((s) => s.handleLocalFailure(now(), e as Error));
    switch (a.type) {
      case 'manifest':
        if (this.o.trust === undefined && a.signedBy !== undefined)
          log.info({ publisher: a.signedBy }, 'the manifest is signed (not checked: no --trust given)');
        this.o.onManifest?.(a.manifest);
        return;
      case 'check-replay':
        TrustState.load(a.statePath).then((state) => {
          this.trustState = state;
          const { publisherId, fileName, publishedAt } = a.record;
          const problem = state.replayProblem(publisherId, fileName, publishedAt);
          if (problem === undefined)
            log.info({ publisher: publisherId, publishedAt: new Date(publishedAt).toISOString() }, `manifest signed by trusted publisher ${publisherId}`);
          this.input((s) => s.handleReplayChecked(now(), problem));
        }, failed);
        return;
      case 'start-decoders':
        if (a.tagKind !== TagKind.Crc32) logTagImplementation(log, a.tagKind);
        warnIfSlowSegmentHash(log);
        // Complete-source segments are only hashed, here; workers start with the first real decode.
        this.pool = this.o.decodeInline
          ? new DecodePool({ inline: true, codec: a.codec })
          : new DecodePool({ size: this.o.decodeWorkers, wasmModule: compileRaptorQModule(), fastPathCodec: a.codec, codecName: a.codecName });
        return;
      case 'open-file':
        return void this.openFile(a.manifest, a.segments, a.sync).catch(failed);
      case 'survey':
        return void surveyTargets(this.o.out, a.manifest).then((found) => this.input((s) => s.handleSurveyed(now(), found)), failed);
      case 'listen-shared':
        this.listenShared(a.plane).then(() => this.input((s) => s.handleSharedListening(now())), failed);
        return;
      case 'decode':
        this.pool!.submit(a.job, a.fileHash).then((outcome) => {
          if (outcome.type === 'hash-mismatch') {
            // Symbols that passed the datagram check but decode to other bytes than the manifest's
            // hash: corruption, or a forger who holds the datagram key (a group insider). The
            // segment starts over from fresh symbols; the file is never touched.
            log.warn({ segment: outcome.segmentIndex }, `segment ${outcome.segmentIndex} failed its digest check: collecting it again from fresh symbols`);
          }
          this.input((s) => s.handleDecodeOutcome(now(), outcome));
        }, failed);
        return;
      case 'write':
        this.staging!.write(a.offset, a.data).then(
          () => {
            this.staging?.noteWritten(a.segmentIndex);
            this.o.onSegmentStored?.(a.segmentIndex);
            this.input((s) => s.handleWriteDone(now(), a.segmentIndex));
            this.reportProgress();
          },
          (e: Error) => this.input((s) => s.handleWriteFailed(now(), a.segmentIndex, e)),
        );
        return;
      case 'verify-object':
        readBackDigests((offset, length) => this.staging!.read(offset, length), a.size, a.segmentSize, a.needs).then(
          (answer) => this.input((s) => s.handleObjectVerified(now(), answer)),
          failed,
        );
        return;
      case 'commit':
        return void this.commit(a.trust?.record).then(() => this.input((s) => s.handleCommitted(now())), failed);
      case 'done': {
        const summary: ReceiveSummary = { ...a.summary, codecDecodes: a.summary.decodeJobs - (this.pool?.fastPathJobs ?? 0) };
        const where = summary.path === STANDARD_OUTPUT ? 'wrote to standard output' : `stored ${summary.path}`;
        // The caller reports the outcome (the CLI's summary line): this is the detail behind it.
        log.debug(
          { event: 'receive-summary', ...summary, drops: nonZero(summary.drops) },
          `${where}: ${summary.bytes} bytes in ${summary.seconds.toFixed(2)} s, SHA-256 verified`,
        );
        void this.drained().then(() => this.resolve(summary));
        return;
      }
      case 'fail':
        this.reject(a.error);
        return;
    }
  }

  private async openFile(manifest: Manifest, segments: number, sync: TreeSync | undefined): Promise<void> {
    const { fileName, fileSize } = manifest;
    const staging = await openStaging({
      out: this.o.out,
      manifest,
      layout: this.session.core!.layout,
      // Accepted by the core already (length and encoding checked); absent while digests follow.
      segmentDigests: manifest.segmentDigests === undefined ? undefined : new Uint8Array(Buffer.from(manifest.segmentDigests, 'base64')),
      policy: { noClobber: this.o.noClobber, backupDir: this.o.backupDir, atomicTree: this.o.atomicTree },
      ...(sync ? { sync } : {}),
      ...(this.o.stdout ? { stdout: this.o.stdout } : {}),
      packed: this.o.packedTree,
    });
    if (this.closed || this.session.state === 'failed') {
      // Failed while the staging was being opened: cleanup may already have run.
      await staging.abort(false);
      return;
    }
    this.staging = staging;
    // Bytes written to a stream (stdout, a file whose length follows) cannot be taken back or
    // resumed: losing such a run is final, however long --wait-for-sender would wait.
    this.transferStarted = !(staging instanceof OrderedStaging);
    const held = staging.held.count();
    const what = manifest.entries === undefined ? fileName : `${fileName} (${manifest.entries.length} entries)`;
    const resumed = held > 0 ? `, resuming with ${held} of ${segments} segments held` : '';
    const size = manifest.lengthFollows ? 'its length follows' : `${fileSize} bytes`;
    const into = staging.finalPath === STANDARD_OUTPUT ? 'standard output' : staging.finalPath;
    this.o.logger.info({ file: fileName, bytes: fileSize, segments, held, to: staging.finalPath }, `receiving ${what} (${size}) into ${into}${resumed}`);
    if (staging instanceof FileStaging) this.o.onStaging?.({ partPath: staging.partPath, held: staging.held });
    this.input((s) => s.handleFileOpened(now(), staging.finalPath, held > 0 ? staging.held : undefined));
  }

  private async commit(record: { publisherId: string; fileName: string; publishedAt: number } | undefined): Promise<void> {
    // Recorded before the rename: a crash between leaves a state that still accepts this very
    // version (equal times are not replays), never a file stored without its record.
    if (record) await this.trustState!.record(record.publisherId, record.fileName, record.publishedAt);
    await this.staging!.commit();
    this.staging = undefined;
  }

  /** Resolves once everything written so far has left the process (or the socket is gone). */
  private drained(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed || socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('drain', resolve);
      socket.once('close', resolve);
    });
  }

  /** The shared stream's socket (sharedSocket.ts), read like the unicast one. */
  private async listenShared(plane: DataPlane): Promise<void> {
    const udp = await openSharedSocket(plane, this.o.interface, this.o.logger);
    // Ended while it was being opened: cleanup has run already.
    if (this.closed) {
      udp.close();
      return;
    }
    this.sharedUdp = udp;
    const sharedFailed = (e: Error) => this.input((s) => s.handleLocalFailure(now(), new ReceiveError(`shared stream socket error: ${e.message}`)));
    udp.on('error', sharedFailed);
    this.readers.push(readDatagrams(udp, (d, crcChecked) => this.onDatagram(d, crcChecked), sharedFailed));
  }

  /**
   * `error`: why the run failed (undefined: it succeeded). An interrupted transfer keeps its
   * staging for a resume (interruption.ts keepsStaging); anything else removes it.
   */
  async cleanup(error?: Error): Promise<void> {
    const keep = error !== undefined && keepsStaging(error);
    this.closed = true;
    this.o.signal?.removeEventListener('abort', this.onAbort);
    clearTimeout(this.timer);
    clearInterval(this.progressTicker);
    for (const r of this.readers.splice(0)) r.stop();
    this.udp?.close();
    this.udp = undefined;
    this.sharedUdp?.close();
    this.sharedUdp = undefined;
    if (this.staging) {
      if (keep && !(this.staging instanceof OrderedStaging)) this.o.logger.info({}, `the partial transfer of ${this.staging.finalPath} is kept for a resume`);
      await this.staging.abort(keep);
    }
    this.socket?.destroy();
    await this.pool?.close();
  }
}

/**
 * The unicast stream's family: the connection's own over TCP/TLS; over a control stream of our
 * own (--stdio), the family of the address we gave in Hello (IPv4 when none: the sender then
 * uses the address its connection saw, and SSH_CONNECTION names IPv4 hosts unmapped).
 */
function unicastFamily(control: ByteStream, address: string | undefined): AddressFamily {
  if (control instanceof Socket) return control.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4';
  return address !== undefined && isIP(address) === 6 ? 'IPv6' : 'IPv4';
}

/** The drop counters that counted something (a clean run's twenty zeros say nothing). */
function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
}

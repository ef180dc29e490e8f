/**
 * One receive run as a sans-IO machine (the table is in receiveStates.ts). It owns the control
 * protocol end (ReceiverConnection) and, once the manifest is accepted, the ReceiverCore; it
 * decides the handshake, which manifest is acceptable, when the file is complete and which
 * error a failure is. No sockets, timers, clock, files or threads: the adapter (receive.ts)
 * feeds `handle*(now, …)`, writes pollTransmit()'s frames to the control stream, carries out
 * pollAction()'s actions and calls handleTimeout at pollTimeout().
 *
 * How a failure is named: the first cause wins. A local refusal (manifest, digests, disk) fails
 * the run before its Stop closes the connection, so the close it causes is never the reason;
 * how a close itself reads is closedError's (senderChecks.ts).
 */
import { newNonce } from '../control/auth.js';
import { MAX_HAVE_BYTES } from '../control/constants.js';
import { LocalProtocolError } from '../control/errors.js';
import type { Digests, Manifest } from '../control/messages.js';
import { ReceiverConnection } from '../control/receiverConnection.js';
import type { ControlEvent } from '../control/connection.js';
import type { Codec } from '../encoder/codec.js';
import { codecByName, type CodecName } from '../encoder/codecs.js';
import { compileRaptorQModule } from '../encoder/raptorq.js';
import type { BitSet } from '../util/bitset.js';
import type { DecodeOutcome } from './decodeJob.js';
import type { ObjectReadBack } from './objectHash.js';
import { HashMismatchError, ManifestRejectedError, ReceiveError, TamperedSourceError, TransferAbortedError, UntrustedManifestError } from './errors.js';
import type { ReceiveConfig } from './receiveConfig.js';
import { ReceiverCore } from './receiverCore.js';
import { ReceiveMachine, summaryOf, upToDateSummary, type ReceiveAction } from './receiveStates.js';
import { subsetManifest, wantedFiles } from './syncPlan.js';
import type { TreeSync } from './treeStaging.js';
import { answerChallenge, closedError, digestWaitLimitMs, helloOf, ManifestTaking, signerOf } from './senderChecks.js';

/**
 * Segments that decode to other bytes than their digest before the source is dropped
 * (TamperedSourceError): more than a fluke (a corrupted datagram that passed its CRC32C), few
 * enough that a relay serving altered content costs little.
 */
export const MAX_SOURCE_MISMATCHES = 3;

export interface ReceiveSessionInit {
  /** Hello.auth's nonce (enrolled receivers). @default 32 random bytes */
  readonly nonce?: Uint8Array;
  /** The codec a manifest names. @default codecByName with the compiled RaptorQ module */
  readonly codecFor?: (name: CodecName) => Codec;
  /**
   * An earlier run may have left staging to resume (resumeCandidate.ts): the Hello does not
   * offer digestsFollow. @default false
   */
  readonly resumeCandidate?: boolean;
}

export class ReceiveSession extends ReceiveMachine {
  private readonly nonce: Uint8Array;
  private readonly codecFor: (name: CodecName) => Codec;
  private readonly resumeCandidate: boolean;
  private conn: ReceiverConnection | undefined;
  private sessionKey: Uint8Array | undefined;
  /** The sender has sent a frame (Challenge or Manifest): a close is no longer "before answering". */
  private answered = false;
  /** Set while the connection's timers run, so a close they cause is known as ours. */
  private inTimeout = false;
  private _manifest: Manifest | undefined;
  private _core: ReceiverCore | undefined;
  /** The accepted manifest's verdicts (codec, integrity, trust record). */
  private taking: ManifestTaking | undefined;
  private finalPath = '';
  private fileOpened = false;
  /** The manifest's codec (kept to remake the core with held segments). */
  private codec: Codec | undefined;
  /** Request.have: the held segments' bitmap, when there are any and it fits a Request. */
  private have: string | undefined;
  /** --sync on a tree: the files kept in place; with `want` (unicast), the object is the rest. */
  private sync: TreeSync | undefined;
  private want: string | undefined;
  private requestedAt = 0;

  constructor(
    readonly config: ReceiveConfig,
    now: number,
    init: ReceiveSessionInit = {},
  ) {
    super(now);
    this.nonce = init.nonce ?? newNonce();
    this.codecFor = init.codecFor ?? ((name) => codecByName(name, compileRaptorQModule()));
    this.resumeCandidate = init.resumeCandidate ?? false;
  }

  get manifest(): Manifest | undefined {
    return this._manifest;
  }

  /** The data path's core, once the manifest is accepted (stats, bytes written). */
  get core(): ReceiverCore | undefined {
    return this._core;
  }

  /** The control stream is up (TCP, or TLS after its handshake); `udpPort` is the bound data port. */
  handleConnected(now: number, udpPort: number): void {
    if (!this.enter('connected', now)) return;
    const c = this.config;
    this.conn = new ReceiverConnection({ now, handshakeTimeoutMs: c.connectTimeoutMs });
    this.to('handshaking');
    this.conn.start(now, helloOf(c, udpPort, this.nonce, this.resumeCandidate));
  }

  handleConnectFailed(now: number, error: Error): void {
    if (this.enter('connect-failed', now)) this.fail(error);
  }

  handleControlBytes(now: number, chunk: Uint8Array): void {
    if (!this.enter('control-bytes', now)) return;
    this.conn!.handleBytes(now, chunk);
    this.drainControl();
  }

  handleControlEof(now: number, reason?: string): void {
    if (!this.enter('control-eof', now)) return;
    this.conn!.handleEof(now, reason);
    this.drainControl();
  }

  /** --trust: the replay state's verdict on the manifest's version (undefined: not a replay). */
  handleReplayChecked(now: number, problem: string | undefined): void {
    if (!this.enter('replay-checked', now)) return;
    if (problem !== undefined) return this.refuse(new UntrustedManifestError('replayed', problem));
    this.trusted();
  }

  /**
   * --sync: which of the manifest's files are already in place. A single file identical to the
   * offer is done at once (Stop(done), nothing received); for a tree the core and the staging
   * are made for what is missing.
   */
  handleSurveyed(now: number, found: { readonly present: BitSet } | { readonly current: boolean; readonly path: string }): void {
    if (!this.enter('surveyed', now)) return;
    const m = this._manifest!;
    if ('current' in found) {
      if (!found.current) return this.startCore();
      this.to('done');
      this.conn!.sendStop('done', 'already up to date');
      this.actions.push({ type: 'done', summary: upToDateSummary(m, found.path) });
      return;
    }
    this.sync = { present: found.present, subset: m.dataPlane === undefined };
    if (this.sync.subset) this.want = wantedFiles(m.entries!, found.present).toBase64();
    this.startCore();
  }

  /** The manifest is accepted (signature and replay too): survey first with --sync, else make the core. */
  private trusted(): void {
    const m = this._manifest!;
    if (this.config.sync && !m.digestsFollow) this.actions.push({ type: 'survey', manifest: m });
    else this.startCore();
  }

  /**
   * The staging exists; `finalPath` is where the commit will put it. `held`: the segments an
   * earlier run wrote that still match the manifest's digests (resume): they are not received
   * again, and the Request tells the sender so.
   */
  handleFileOpened(now: number, finalPath: string, held?: BitSet): void {
    if (!this.enter('file-opened', now)) return;
    this.finalPath = finalPath;
    this.fileOpened = true;
    if (!this.takeHeld(held)) return;
    const plane = this._manifest!.dataPlane;
    if (plane) this.actions.push({ type: 'listen-shared', plane });
    else this.request();
  }

  /**
   * A resumed core (held segments). Not with digests that follow: nothing can have been checked
   * against them, so whatever is staged is received again. A bitmap past MAX_HAVE_BYTES does not
   * fit a Request: the sender is then not told (it sends everything) but the core still skips
   * what it holds. False when the run failed.
   */
  private takeHeld(held: BitSet | undefined): boolean {
    if (held === undefined || held.count() === 0 || this._manifest!.digestsFollow) return true;
    try {
      this._core = this.taking!.createCore(this.now, this.codec!, held);
    } catch (err) {
      this.refuse(err as Error);
      return false;
    }
    const bytes = Math.ceil(held.size / 8);
    this.have = bytes <= MAX_HAVE_BYTES ? held.toBase64() : undefined;
    return true;
  }

  handleSharedListening(now: number): void {
    if (!this.enter('shared-listening', now)) return;
    if (!this.fileOpened) throw new LocalProtocolError('receive session: shared-listening before file-opened');
    this.request();
  }

  /**
   * One datagram off a socket (the core copies what it keeps). Serviced at the next poll.
   * `crcChecked`: its reader found its CRC-32 tag right (receiver/datagramReader.ts).
   */
  handleDatagram(now: number, bytes: Uint8Array, crcChecked?: boolean): void {
    if (!this.enter('datagram', now)) return;
    if (this._state === 'committing') return;
    this._core?.handleDatagram(now, bytes, crcChecked);
  }

  handleDecodeOutcome(now: number, outcome: DecodeOutcome): void {
    if (!this.enter('decode-outcome', now)) return;
    this._core!.handleDecodeOutcome(now, outcome);
    // A source that keeps serving other bytes than the publisher signed is dropped, not fed for
    // ever. Only under a signature: there the digests are the publisher's, so the fault is the
    // source's; an unsigned stream's forgeries (a group insider) are dropped one by one, as before.
    const signed = this._manifest!.publication !== undefined;
    if (outcome.type === 'hash-mismatch' && signed && this._core!.stats.hashMismatches >= MAX_SOURCE_MISMATCHES) {
      const source = this.config.control ? 'over the control stream' : `${this.config.host}:${this.config.port}`;
      this.refuse(new TamperedSourceError(source, signerOf(this._manifest!)));
    }
  }

  handleWriteDone(now: number, segmentIndex: number): void {
    if (this.enter('write-done', now)) this._core!.handleWriteDone(now, segmentIndex);
  }

  /** The answer to 'verify-object': the digests it asked for of the object as read back. */
  handleObjectVerified(now: number, answer: ObjectReadBack): void {
    if (this.enter('object-verified', now)) this._core!.handleObjectVerified(now, answer);
  }

  /** A write failed (a DiskError: disk full, quota, I/O): the run fails and the sender is told. */
  handleWriteFailed(now: number, _segmentIndex: number, error: Error): void {
    if (this.enter('write-failed', now)) this.refuse(error);
  }

  /** The file is fsynced and renamed into place (and the trust record written). */
  handleCommitted(now: number): void {
    if (!this.enter('committed', now)) return;
    this.to('done');
    this.conn!.sendStop('done', 'verified and stored');
    this.actions.push({ type: 'done', summary: summaryOf(this._core!, this._manifest!, this.finalPath, (now - this.requestedAt) / 1000) });
  }

  /** Something the adapter did for the run failed (a socket, a worker, the trust state, a path): it is the reason. */
  handleLocalFailure(now: number, error: Error): void {
    if (this.enter('local-failure', now)) this.refuse(error);
  }

  /** The caller gave up (AbortSignal, Ctrl-C): TransferAbortedError, and Stop(aborted) to the sender. */
  handleAbort(now: number, reason = 'aborted'): void {
    if (this.enter('abort', now)) this.refuse(new TransferAbortedError(`transfer aborted: ${reason}`), reason);
  }

  /** At (or after) pollTimeout(): handshake and idle timers, heartbeats, Progress, the digest wait. */
  handleTimeout(now: number): void {
    if (!this.enter('timeout', now) || this.conn === undefined) return;
    this.inTimeout = true;
    try {
      this.conn.handleTimeout(now);
      this.drainControl();
    } finally {
      this.inTimeout = false;
    }
  }

  pollAction(): ReceiveAction | undefined {
    this.service();
    return this.actions.shift();
  }

  /** The next control frame to write. */
  pollTransmit(): Uint8Array | undefined {
    this.service();
    return this.conn?.pollTransmit();
  }

  /** The connection is closed and its last frames handed out: end the control stream. */
  get wantsControlClose(): boolean {
    return this.conn !== undefined && this.conn.wantsSocketClose;
  }

  /** When handleTimeout wants calling next (undefined: nothing timed is pending). */
  pollTimeout(): number | undefined {
    this.service();
    if (this._state === 'done' || this._state === 'failed' || this.conn === undefined) return undefined;
    const core = this._state === 'receiving' ? this._core : undefined;
    const m = this._manifest;
    const at = Math.min(
      this.conn.pollTimeout() ?? Infinity,
      core?.pollTimeout() ?? Infinity,
      (m && core?.digestDeadline(digestWaitLimitMs(m.idleTimeoutMs))) ?? Infinity,
    );
    return at === Infinity ? undefined : at;
  }

  private drainControl(): void {
    for (let e = this.conn!.pollEvent(); e; e = this.conn!.pollEvent()) this.onControl(e);
  }

  private onControl(e: ControlEvent): void {
    if (this._state === 'done' || this._state === 'failed') return;
    // The file is complete and verified: what the sender does now does not change that.
    if (this._state === 'committing' && (e.type === 'closed' || e.type === 'stop' || e.type === 'error')) return;
    switch (e.type) {
      case 'challenge': {
        this.answered = true;
        try {
          const { sessionKey, response } = answerChallenge(this.config.key, this.nonce, e.challenge);
          this.sessionKey = sessionKey;
          this.to('authenticating');
          this.conn!.respond(response);
        } catch (err) {
          this.refuse(err as Error);
        }
        return;
      }
      case 'manifest':
        this.answered = true;
        return this.onManifest(e.manifest);
      case 'digests':
        return this.onDigests(e.digests);
      case 'stop':
        return this.fail(new ReceiveError(`sender stopped the transfer: ${e.stop.reason ?? e.stop.outcome}`, { loss: 'sender-stopped' }));
      case 'error':
        return this.fail(new ReceiveError(`sender refused: ${e.error.message} (${e.error.code})`));
      case 'closed':
        return this.fail(closedError(this.config, this.answered, this.inTimeout, e.reason));
      default:
        return;
    }
  }

  /** Codec, signature and integrity are judged here, at once; the replay state (file I/O) next. */
  private onManifest(m: Manifest): void {
    this._manifest = m;
    this.actions.push({ type: 'manifest', manifest: m, signedBy: signerOf(m) });
    this.to('taking-manifest');
    try {
      this.taking = new ManifestTaking(this.config, m, this.sessionKey);
    } catch (err) {
      return this.refuse(err as Error);
    }
    const trust = this.taking.trust;
    if (trust) this.actions.push({ type: 'check-replay', statePath: trust.statePath, record: trust.record });
    else this.trusted();
  }

  private startCore(): void {
    const taking = this.taking!;
    let core: ReceiverCore;
    try {
      const codec = this.codecFor(taking.codecName);
      const m = this._manifest!;
      core = this.sync?.subset
        ? taking.createCore(this.now, codec, undefined, subsetManifest(m, wantedFiles(m.entries!, this.sync.present)))
        : taking.createCore(this.now, codec);
      this.codec = codec;
      this.actions.push({ type: 'start-decoders', codecName: taking.codecName, codec, tagKind: this._manifest!.tagKind });
    } catch (err) {
      return this.refuse(err as Error);
    }
    this._core = core;
    const m = this._manifest!;
    this.actions.push({
      type: 'open-file',
      fileName: m.fileName,
      fileSize: m.fileSize,
      segments: core.layout.segmentCount,
      manifest: m,
      ...(this.sync ? { sync: this.sync } : {}),
    });
  }

  /**
   * No Digests frame can come before the core: the connection takes them only after a Manifest
   * whose digests follow, such a manifest is never signed, so no replay check delays the core.
   */
  private onDigests(d: Digests): void {
    const problem = this._core ? this._core.handleDigests(this.now, d) : 'digests before the manifest was taken';
    if (problem !== undefined) this.refuseDigests(problem);
  }

  private refuseDigests(why: string): void {
    this.refuse(new ManifestRejectedError(`the sender's digests are inconsistent: ${why}`));
  }

  private request(): void {
    this.to('receiving');
    this.requestedAt = this.now;
    this.conn!.request(this.have, this.want);
  }

  /** Moves what the core wants done out as actions: decode jobs, writes, Progress, completion, the digest wait. */
  private service(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this._state !== 'receiving') return;
    const core = this._core!;
    const now = this.now;
    for (let job = core.pollDecodeJob(); job; job = core.pollDecodeJob())
      this.actions.push({ type: 'decode', job, fileHash: core.fileHashFor(job.segmentIndex) });
    for (let w = core.pollWrite(); w; w = core.pollWrite()) this.actions.push({ type: 'write', segmentIndex: w.segmentIndex, offset: w.offset, data: w.data });
    if (core.pollObjectVerify())
      this.actions.push({ type: 'verify-object', size: core.layout.fileSize, segmentSize: core.layout.segmentSize, needs: core.readBackNeeds });
    const progress = core.pollProgress(now);
    if (progress) this.conn!.sendProgress(progress);
    if (core.complete) {
      if (!core.fileHashMatches())
        return this.refuse(
          new HashMismatchError(`the object digest of ${this._manifest!.fileName} does not match the manifest; nothing was written`),
          'object digest mismatch',
        );
      this.to('committing');
      this.actions.push({ type: 'commit', finalPath: this.finalPath, trust: this.taking!.trust });
      return;
    }
    const limit = digestWaitLimitMs(this._manifest!.idleTimeoutMs);
    const deadline = core.digestDeadline(limit);
    if (deadline !== undefined && now >= deadline) {
      this.refuse(new TransferAbortedError(`the sender said the file's digests would follow, but sent none for ${limit / 1000} s while data waited for them`));
    }
  }

  /** A failure decided here: the run fails first, then Stop(aborted) tells the sender why. */
  private refuse(error: Error, stopReason = error.message): void {
    this.fail(error);
    this.conn?.sendStop('aborted', stopReason);
  }
}

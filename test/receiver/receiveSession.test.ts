import { PassThrough } from 'node:stream';
/**
 * ReceiveSession on virtual time: no sockets, no sleeping. The sender side is the real protocol
 * machine (SenderConnection) over a fake duplex link; the adapter's work (decode, write, commit,
 * trust state) is done inline. Every transition of the table is driven (checked in afterAll).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { newNonce, senderProof } from '../../control/auth.js';
import type { ControlEvent } from '../../control/connection.js';
import { encodeFrame } from '../../control/framing.js';
import { encodeMessage } from '../../control/messageCodec.js';
import type { Hello, Manifest } from '../../control/messages.js';
import { generatePublisherKeys, parsePrivateKey, parsePublicKey, signManifest } from '../../control/publication.js';
import { SenderConnection } from '../../control/senderConnection.js';
import { TagKind } from '../../encoder/integrity.js';
import { runDecodeJob } from '../../receiver/decodeJob.js';
import { DiskError } from '../../receiver/errors.js';
import { resolveReceiveConfig, type ReceiveOptions } from '../../receiver/receiveConfig.js';
import { ReceiveSession } from '../../receiver/receiveSession.js';
import { RECEIVE_TRANSITIONS, type ReceiveAction, type ReceiveState } from '../../receiver/receiveStates.js';
import { makeFile, makeManifest, TestSender } from './receiverHarness.js';

const seen = new Set<string>();
const to = vi.spyOn(ReceiveSession.prototype as unknown as { to(next: ReceiveState): void }, 'to');
to.mockImplementation(function (this: { _state: ReceiveState }, next: ReceiveState) {
  seen.add(`${this._state}->${next}`);
  // The real transition check, then the move (the spy replaces the method).
  if (!RECEIVE_TRANSITIONS[this._state].includes(next)) throw new Error(`illegal ${this._state}->${next}`);
  this._state = next;
});

afterAll(() => {
  const all = Object.entries(RECEIVE_TRANSITIONS).flatMap(([from, tos]) => tos.map((t) => `${from}->${t}`));
  expect(all.filter((t) => !seen.has(t))).toEqual([]);
});

const DATA = makeFile(20_000, 7);
const SEGMENT = 8192;
const SYMBOL = 1024;
const frame = (m: object) => encodeFrame(encodeMessage(m as never));

class Pair {
  now = 0;
  readonly session: ReceiveSession;
  readonly sender = new SenderConnection({ now: 0, handshakeTimeoutMs: 60_000 });
  readonly senderEvents: ControlEvent[] = [];
  readonly actions: ReceiveAction[] = [];
  readonly out = new Uint8Array(DATA.length);
  readonly datagrams = new TestSender(DATA, SEGMENT, SYMBOL);
  /** The sender's answer to Hello (default: the manifest). */
  onHello: (h: Hello) => void = () => this.sender.acceptHello(this.manifest);
  /** How writes end (default: written). */
  writeFails: Error | undefined;
  replayProblem: string | undefined;
  /** --sync: whether the survey finds the file already in place. */
  upToDate = false;
  /** False: the adapter holds the commit (a test drives it). */
  autoCommit = true;
  senderSilent = false;
  private rxEnded = false;
  private txEnded = false;

  constructor(
    readonly manifest: Manifest = makeManifest(DATA, SEGMENT, SYMBOL, { idleTimeoutMs: 500, heartbeatIntervalMs: 100 }),
    over: Partial<ReceiveOptions> = {},
    nonce?: Uint8Array,
  ) {
    this.session = new ReceiveSession(
      resolveReceiveConfig({ host: '127.0.0.1', port: 7000, receiverId: 'rx-1', window: 4, connectTimeoutMs: 1000, ...over }),
      0,
      { nonce },
    );
  }

  get state() {
    return this.session.state;
  }

  get error() {
    return this.session.error;
  }

  connect(): this {
    this.session.handleConnected(this.now, 40_000);
    this.flush();
    return this;
  }

  /** Moves frames both ways and performs actions until nothing moves. */
  flush(): void {
    for (let moved = true; moved;) {
      moved = false;
      for (let f = this.session.pollTransmit(); f; f = this.session.pollTransmit()) {
        moved = true;
        this.sender.handleBytes(this.now, f);
      }
      if (this.session.wantsControlClose && !this.rxEnded) {
        this.rxEnded = true;
        this.sender.handleEof(this.now);
      }
      for (let e = this.sender.pollEvent(); e; e = this.sender.pollEvent()) {
        moved = true;
        this.senderEvents.push(e);
        if (e.type === 'hello') this.onHello(e.hello);
      }
      for (let f = this.sender.pollTransmit(); f; f = this.sender.pollTransmit()) {
        moved = true;
        this.session.handleControlBytes(this.now, f);
      }
      if (this.sender.wantsSocketClose && !this.txEnded) {
        this.txEnded = true;
        moved = true;
        this.session.handleControlEof(this.now);
      }
      for (let a = this.session.pollAction(); a; a = this.session.pollAction()) {
        moved = true;
        this.actions.push(a);
        this.perform(a);
      }
    }
  }

  perform(a: ReceiveAction): void {
    const s = this.session;
    switch (a.type) {
      case 'check-replay':
        return s.handleReplayChecked(this.now, this.replayProblem);
      case 'survey':
        return s.handleSurveyed(this.now, { current: this.upToDate, path: `/out/${a.manifest.fileName}` });
      case 'open-file':
        return s.handleFileOpened(this.now, `/out/${a.fileName}`);
      case 'listen-shared':
        return s.handleSharedListening(this.now);
      case 'decode':
        return s.handleDecodeOutcome(this.now, runDecodeJob(a.job, this.datagrams.codec, a.fileHash));
      case 'write':
        if (this.writeFails) return s.handleWriteFailed(this.now, a.segmentIndex, this.writeFails);
        this.out.set(a.data, a.offset);
        return s.handleWriteDone(this.now, a.segmentIndex);
      case 'commit':
        if (this.autoCommit) s.handleCommitted(this.now);
        return;
      default:
        return;
    }
  }

  /** Virtual time passes in steps; both ends' timers run (the sender's only while it is not silent). */
  advance(ms: number, step = 50): void {
    for (let t = 0; t < ms; t += step) {
      this.now += step;
      this.session.handleTimeout(this.now);
      if (!this.senderSilent) this.sender.handleTimeout(this.now);
      this.flush();
    }
  }

  /** Every source datagram of every segment. */
  sendAll(): void {
    for (let seg = 0; seg < this.datagrams.layout.segmentCount; seg++) for (const d of this.datagrams.allSource(seg)) this.session.handleDatagram(this.now, d);
    this.flush();
  }

  stopFromSender(): { outcome: string; reason?: string } | undefined {
    const e = this.senderEvents.find((x) => x.type === 'stop');
    return e?.type === 'stop' ? e.stop : undefined;
  }

  has(type: ReceiveAction['type']): boolean {
    return this.actions.some((a) => a.type === type);
  }
}

function expectFailed(p: Pair, name: string, message: RegExp): void {
  p.flush();
  expect(p.state).toBe('failed');
  expect(p.error).toMatchObject({ name, message: expect.stringMatching(message) });
  expect(p.actions.filter((a) => a.type === 'fail')).toHaveLength(1);
  expect(p.has('commit')).toBe(false);
}

describe('ReceiveSession: the whole run', () => {
  it('connecting → handshaking → taking-manifest → receiving → committing → done, Stop(done) to the sender', () => {
    const p = new Pair().connect();
    expect(p.state).toBe('receiving');
    expect(p.senderEvents.map((e) => e.type)).toEqual(['hello', 'request']);
    p.sendAll();
    expect(p.state).toBe('done');
    expect(p.out).toEqual(DATA);
    expect(p.stopFromSender()).toEqual({ type: 'stop', outcome: 'done', reason: 'verified and stored' });
    const done = p.actions.find((a) => a.type === 'done');
    expect(done).toMatchObject({ summary: { path: '/out/file.bin', bytes: DATA.length, decodeJobs: 3 } });
    expect(p.actions.map((a) => a.type).filter((t) => t !== 'decode' && t !== 'write')).toEqual(['manifest', 'start-decoders', 'open-file', 'commit', 'done']);
  });

  it('digests that follow: data waits for them, then completes', () => {
    const full = makeManifest(DATA, SEGMENT, SYMBOL, { idleTimeoutMs: 500, heartbeatIntervalMs: 100 });
    const { segmentDigests, fileSha256, ...rest } = full;
    const p = new Pair({ ...rest, digestsFollow: true }).connect();
    p.sendAll();
    expect(p.state).toBe('receiving');
    p.sender.sendDigests({ type: 'digests', firstSegment: 0, segmentDigests: segmentDigests!, fileSha256 });
    p.flush();
    expect(p.state).toBe('done');
  });

  it('a shared stream: listens before it asks', () => {
    const p = new Pair(makeManifest(DATA, SEGMENT, SYMBOL, { dataPlane: { mode: 'multicast', group: '239.1.2.3', port: 5000 } }));
    p.connect();
    expect(p.has('listen-shared')).toBe(true);
    expect(p.state).toBe('receiving');
  });
});

describe('ReceiveSession: failures and the error each one is', () => {
  it('connecting → failed: the connection cannot be made, or the run is aborted', () => {
    const a = new Pair();
    a.session.handleConnectFailed(0, new Error('cannot connect to 127.0.0.1:7000: ECONNREFUSED'));
    a.flush();
    expect(a.error?.message).toMatch(/ECONNREFUSED/);
    const b = new Pair();
    b.session.handleAbort(0, 'interrupted by SIGINT');
    b.flush();
    expectFailed(b, 'TransferAbortedError', /^transfer aborted: interrupted by SIGINT$/);
  });

  it('a sender that accepts and says nothing: "said nothing within N ms", no TLS hint', () => {
    const p = new Pair();
    p.onHello = () => undefined;
    p.connect();
    p.advance(950);
    expect(p.state).toBe('handshaking');
    p.advance(100);
    expectFailed(p, 'ReceiveError', /^the sender at 127\.0\.0\.1:7000 accepted the connection but said nothing within 1000 ms$/);
    expect(p.error!.message).not.toMatch(/TLS/);
  });

  it('a sender that closes before answering: the TLS hint (plain, and with a client certificate)', () => {
    const plain = new Pair();
    plain.session.handleConnected(0, 1);
    plain.session.handleControlEof(0);
    plain.flush();
    expectFailed(
      plain,
      'ReceiveError',
      /^the sender closed the connection before answering \(a sender that requires TLS \(--tls-ca\) closes plain connections\): peer closed the connection$/,
    );
    const tls = new Pair(undefined, { tls: { ca: 'ca', cert: 'cert', key: 'key' } });
    tls.session.handleConnected(0, 1);
    tls.session.handleControlEof(0, 'connection error: socket hang up');
    expect(tls.error?.message).toMatch(/before answering \(it may have refused this receiver's TLS certificate\): connection error/);
    // A TLS alert read as our framing is the sender's doing too.
    const alert = new Pair();
    alert.session.handleConnected(0, 1);
    alert.session.handleControlBytes(0, Uint8Array.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]));
    expect(alert.error?.message).toMatch(/before answering \(a sender that requires TLS.*frame-too-large/);
  });

  it('handshaking → failed: the sender refuses (Error frame)', () => {
    const p = new Pair();
    p.onHello = () => p.sender.refuse('refused', 'this sender admits only enrolled receivers');
    p.connect();
    expectFailed(p, 'ReceiveError', /^sender refused: this sender admits only enrolled receivers \(refused\)$/);
  });

  it('handshaking → failed: a challenge to a receiver without a key, or with a bad proof', () => {
    const p = new Pair();
    p.onHello = () => p.sender.challenge({ type: 'challenge', nonce: newNonce().toString('base64'), proof: Buffer.alloc(32).toString('base64') });
    p.connect();
    expectFailed(p, 'SenderAuthenticationError', /challenge to a receiver without --key/);
    expect(p.stopFromSender()).toMatchObject({ outcome: 'aborted' });
    const key = { name: 'lab-1', secret: new Uint8Array(32).fill(1) };
    const q = new Pair(undefined, { key });
    q.onHello = () => q.sender.challenge({ type: 'challenge', nonce: newNonce().toString('base64'), proof: Buffer.alloc(32).toString('base64') });
    q.connect();
    expectFailed(q, 'SenderAuthenticationError', /could not prove it holds the key enrolled as lab-1/);
  });

  it('authenticating: the proof checks out, then a manifest without a datagram key is refused; or the sender vanishes', () => {
    const key = { name: 'lab-1', secret: new Uint8Array(32).fill(1) };
    const rxNonce = newNonce();
    const challenge = () => {
      const n = newNonce();
      return { type: 'challenge' as const, nonce: n.toString('base64'), proof: senderProof(key.secret, key.name, rxNonce, n).toString('base64') };
    };
    const p = new Pair(undefined, { key }, rxNonce);
    p.onHello = () => p.sender.challenge(challenge());
    p.connect();
    expect(p.state).toBe('authenticating');
    expect(p.senderEvents.map((e) => e.type)).toEqual(['hello', 'auth-response']);
    p.sender.acceptHello(p.manifest);
    p.flush();
    expectFailed(p, 'SenderAuthenticationError', /offers tag kind \d+ without a key/);

    const q = new Pair(undefined, { key }, rxNonce);
    q.onHello = () => q.sender.challenge(challenge());
    q.connect();
    q.session.handleControlEof(q.now);
    expectFailed(q, 'ReceiveError', /^sender vanished: peer closed the connection$/);
  });

  it('taking-manifest → failed: a codec it does not have, even when the sender closes in the same breath', () => {
    const m = { ...makeManifest(DATA, SEGMENT, SYMBOL), codec: 'raptorq-2' };
    const p = new Pair();
    p.session.handleConnected(0, 1);
    // The manifest and a close in one chunk: the refusal wins, not "closed before answering".
    p.session.handleControlBytes(0, Buffer.concat([frame(m), Uint8Array.from([0x15, 0x03, 0x03, 0x00])]));
    p.flush();
    expectFailed(p, 'ManifestRejectedError', /^manifest names codec "raptorq-2", which this receiver does not have \(raptorq, lt, rs, arq\)$/);
    expect(p.actions[0]).toMatchObject({ type: 'manifest' });
    expect(p.has('open-file')).toBe(false);
  });

  it('taking-manifest → failed: MACed datagrams offered to a receiver without --key', () => {
    const p = new Pair(
      makeManifest(DATA, SEGMENT, SYMBOL, {
        tagKind: TagKind.HmacSha256_128,
        keyWrap: { iv: Buffer.alloc(12).toString('base64'), sealed: Buffer.alloc(48).toString('base64') },
      }),
    ).connect();
    expectFailed(p, 'ManifestRejectedError', /admits enrolled receivers only/);
    expect(p.stopFromSender()).toMatchObject({ outcome: 'aborted', reason: expect.stringMatching(/admits enrolled receivers only/) });
  });

  it('a datagram key handed over in the manifest: taken on a control stream (--stdio), refused over TCP and by an enrolled receiver', () => {
    const m = makeManifest(DATA, SEGMENT, SYMBOL, { tagKind: TagKind.HmacSha256_128, dataKey: Buffer.alloc(32, 5).toString('base64') });
    const overTcp = new Pair(m).connect();
    expectFailed(overTcp, 'ManifestRejectedError', /datagram key in the clear over the network/);
    const control = { control: new PassThrough(), host: undefined, port: undefined, address: '10.0.0.20' };
    const piped = new Pair(m, control).connect();
    expect(piped.senderEvents.find((e) => e.type === 'hello')).toMatchObject({ hello: { address: '10.0.0.20' } });
    expect(piped.has('start-decoders')).toBe(true);
    expect(piped.actions.find((a) => a.type === 'start-decoders')).toMatchObject({ tagKind: TagKind.HmacSha256_128 });
    const enrolled = new Pair(m, { ...control, key: { name: 'alice', secret: new Uint8Array(32).fill(1) } }).connect();
    expectFailed(enrolled, 'SenderAuthenticationError', /skipped the enrolled handshake/);
  });

  describe('with --trust', () => {
    const keys = generatePublisherKeys();
    const publishers = [parsePublicKey(keys.publicPem)];
    const signed = signManifest(makeManifest(DATA, SEGMENT, SYMBOL), parsePrivateKey(keys.privatePem), 1_000);
    const trust = { publishers, statePath: '/state/trust.json' };

    it('untrusted: an unsigned manifest is refused before anything is allocated', () => {
      const p = new Pair(undefined, { trust }).connect();
      expectFailed(p, 'UntrustedManifestError', /not signed/);
      expect((p.error as { reason?: string }).reason).toBe('unsigned');
      expect(p.has('start-decoders')).toBe(false);
    });

    it('signed and not a replay: the replay state is asked, then recorded at the commit', () => {
      const p = new Pair(signed, { trust });
      p.autoCommit = false;
      p.connect();
      expect(p.actions.find((a) => a.type === 'check-replay')).toMatchObject({
        statePath: '/state/trust.json',
        record: { fileName: 'file.bin', publishedAt: 1_000 },
      });
      p.sendAll();
      expect(p.state).toBe('committing');
      expect(p.actions.find((a) => a.type === 'commit')).toMatchObject({ finalPath: '/out/file.bin', trust: { record: { publishedAt: 1_000 } } });
      // committing → failed: the commit itself fails (a full disk at fsync).
      p.session.handleLocalFailure(p.now, new DiskError('no space left on device syncing /out/.file.bin.part', 'ENOSPC', '/out/.file.bin.part'));
      p.flush();
      expect(p.state).toBe('failed');
      expect(p.error).toMatchObject({ name: 'DiskError', code: 'ENOSPC' });
    });

    it('a replay is refused', () => {
      const p = new Pair(signed, { trust });
      p.replayProblem = 'publisher x already published a newer file.bin';
      p.connect();
      expectFailed(p, 'UntrustedManifestError', /already published a newer/);
      expect(p.has('open-file')).toBe(false);
    });
  });

  it('taking-manifest: abort, and a sender that vanishes after its manifest', () => {
    const p = new Pair();
    p.perform = () => undefined; // the adapter is still opening the file
    p.connect();
    expect(p.state).toBe('taking-manifest');
    p.session.handleAbort(p.now, 'interrupted by SIGTERM');
    p.flush();
    expectFailed(p, 'TransferAbortedError', /^transfer aborted: interrupted by SIGTERM$/);
    expect(p.stopFromSender()).toEqual({ type: 'stop', outcome: 'aborted', reason: 'interrupted by SIGTERM' });

    const q = new Pair();
    q.perform = () => undefined;
    q.connect();
    q.session.handleControlEof(q.now);
    expectFailed(q, 'ReceiveError', /^sender vanished: peer closed the connection$/);
  });

  it('receiving → failed: disk full — DiskError, Stop(aborted) sent, no commit', () => {
    const p = new Pair().connect();
    p.writeFails = new DiskError('no space left on device writing /out/.file.bin.part', 'ENOSPC', '/out/.file.bin.part');
    p.sendAll();
    expectFailed(p, 'DiskError', /no space left on device/);
    expect(p.stopFromSender()).toMatchObject({ outcome: 'aborted', reason: expect.stringMatching(/no space left/) });
    // A late write result is ignored, not an error.
    expect(() => p.session.handleWriteDone(p.now, 1)).not.toThrow();
  });

  it('receiving → failed: digests that never come end the run after the wait limit', () => {
    const { segmentDigests: _s, fileSha256: _f, ...rest } = makeManifest(DATA, SEGMENT, SYMBOL, { idleTimeoutMs: 500, heartbeatIntervalMs: 100 });
    const p = new Pair({ ...rest, digestsFollow: true }).connect();
    p.sendAll();
    p.advance(29_900, 100);
    expect(p.state).toBe('receiving');
    p.advance(200, 100);
    expectFailed(p, 'TransferAbortedError', /said the file's digests would follow, but sent none for 30 s/);
    expect(p.stopFromSender()).toMatchObject({ outcome: 'aborted' });
  });

  it('receiving → failed: the sender goes silent (idle timeout)', () => {
    const p = new Pair().connect();
    p.senderSilent = true;
    p.advance(600);
    expectFailed(p, 'ReceiveError', /^sender vanished: peer silent for 5\d\d ms \(idle timeout 500 ms\)$/);
  });

  it('receiving → failed: the sender stops us, or sends an Error', () => {
    const p = new Pair().connect();
    p.sender.sendStop('aborted', 'sender shutting down');
    p.flush();
    expectFailed(p, 'ReceiveError', /^sender stopped the transfer: sender shutting down$/);
    const q = new Pair().connect();
    q.session.handleControlBytes(q.now, frame({ type: 'error', code: 'internal', message: 'out of memory' }));
    expectFailed(q, 'ReceiveError', /^sender refused: out of memory \(internal\)$/);
  });

  it('receiving → failed: aborted, with Stop(aborted) to the sender', () => {
    const p = new Pair().connect();
    p.session.handleAbort(p.now, 'interrupted by SIGINT');
    p.flush();
    expectFailed(p, 'TransferAbortedError', /^transfer aborted: interrupted by SIGINT$/);
    expect(p.stopFromSender()).toMatchObject({ outcome: 'aborted', reason: 'interrupted by SIGINT' });
  });

  it('committing: the sender closing does not matter; done follows the commit', () => {
    const p = new Pair();
    p.autoCommit = false;
    p.connect();
    p.sendAll();
    expect(p.state).toBe('committing');
    p.session.handleControlEof(p.now);
    expect(p.state).toBe('committing');
    p.session.handleCommitted(p.now);
    p.flush();
    expect(p.state).toBe('done');
  });
});

describe('ReceiveSession: misuse is a LocalProtocolError', () => {
  it('an input the state does not take throws; inputs after the end are ignored', () => {
    const p = new Pair();
    expect(() => p.session.handleWriteDone(0, 0)).toThrow(
      expect.objectContaining({ name: 'LocalProtocolError', message: 'receive session: write-done is not valid in state connecting' }),
    );
    expect(() => p.session.handleControlBytes(0, new Uint8Array(1))).toThrow(/control-bytes is not valid in state connecting/);
    p.connect();
    expect(() => p.session.handleConnected(0, 1)).toThrow(/connected is not valid in state receiving/);
    p.session.handleAbort(p.now);
    expect(() => p.session.handleCommitted(p.now)).not.toThrow();
    expect(p.state).toBe('failed');
  });
});

describe('ReceiveSession --sync (single file)', () => {
  it('taking-manifest → done: the file is already in place, identical; Stop(done) and nothing received', () => {
    const p = new Pair(undefined, { sync: true });
    p.upToDate = true;
    p.connect();
    expect(p.state).toBe('done');
    expect(p.has('survey')).toBe(true);
    expect(p.has('open-file')).toBe(false);
    expect(p.stopFromSender()).toEqual({ type: 'stop', outcome: 'done', reason: 'already up to date' });
    const done = p.actions.find((a) => a.type === 'done');
    expect(done?.type === 'done' && done.summary).toMatchObject({ upToDate: true, datagramsReceived: 0, bytes: DATA.length });
  });

  it('a file that differs is received as without --sync', () => {
    const p = new Pair(undefined, { sync: true });
    p.connect();
    expect(p.state).toBe('receiving');
    p.sendAll();
    expect(p.state).toBe('done');
    expect(Buffer.compare(Buffer.from(p.out), Buffer.from(DATA))).toBe(0);
  });
});

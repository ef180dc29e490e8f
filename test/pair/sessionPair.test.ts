/**
 * The two session machines against each other on virtual time (sessionPair.ts): the receiver's
 * ReceiveSession and the sender's ReceiverSession over a fake link, with the real stream core
 * and codec on the data plane where a transfer runs. Each case asserts both ends: the states,
 * the receiver's typed error (name and message) and the sender's summary (outcome and reason).
 * afterAll checks that the cases together took every transition of both tables.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { generatePublisherKeys, parsePublicKey } from '../../control/publication.js';
import { TagKind } from '../../encoder/integrity.js';
import { SeededRandom } from '../../util/random.js';
import { SessionPair, untakenTransitions, type PairOptions } from './sessionPair.js';

afterAll(() => {
  // A transition of either table that no pair case takes fails the suite.
  expect(untakenTransitions()).toEqual({ receiver: [], sender: [] });
});

const SECRET = new Uint8Array(32).fill(7);
const KEY = { name: 'lab-1', secret: SECRET };
const IDLE = 2000; // the sender's idleTimeoutMs (sessionPair's default), which the manifest hands the receiver
const HEARTBEAT = 500;
const HANDSHAKE = 3000; // the sender's handshakeTimeoutMs
const CONNECT = 1500; // the receiver's connectTimeoutMs

interface RxEnd {
  state: 'done' | 'failed';
  name?: string;
  message?: string | RegExp;
}
interface TxEnd {
  state: 'done' | 'failed';
  outcome?: 'completed' | 'failed';
  reason?: string | RegExp;
}

/** Both ends as expected; a failed receiver has committed nothing, a done one holds the file. */
function expectEnds(p: SessionPair, rx: RxEnd, tx: TxEnd): void {
  expect(p.finished, `receiver ${p.rx.state}, sender ${p.tx?.state}`).toBe(true);
  expect(p.rx.state).toBe(rx.state);
  if (rx.state === 'failed') {
    expect(p.rx.error?.name).toBe(rx.name);
    if (typeof rx.message === 'string') expect(p.rx.error?.message).toBe(rx.message);
    else expect(p.rx.error?.message).toMatch(rx.message!);
    expect(p.rxActions.filter((a) => a.type === 'fail')).toHaveLength(1);
    expect(p.disk.files.size).toBe(0);
    expect(p.disk.temp).toBeUndefined(); // discarded
  } else {
    expect(p.rx.error).toBeUndefined();
    expect(Buffer.compare(Buffer.from(p.disk.files.get('/out/file.bin')!), Buffer.from(p.data))).toBe(0);
  }
  expect(p.tx?.state).toBe(tx.state);
  if (tx.outcome !== undefined) expect(p.txSummary?.outcome).toBe(tx.outcome);
  if (typeof tx.reason === 'string') expect(p.txSummary?.reason).toBe(tx.reason);
  else if (tx.reason) expect(p.txSummary?.reason).toMatch(tx.reason);
  // The sender's tally follows its outcome.
  if (tx.outcome === 'completed') expect(p.admission.completed).toBe(1);
  if (tx.outcome === 'failed') expect(p.admission.failed).toBe(1);
}

/** A pair whose receiver is streaming by `now` (stub data plane: nothing moves but control). */
function streaming(o: PairOptions = {}): SessionPair {
  const p = new SessionPair({ dataPlane: 'stub', ...o }).connect().runUntil(100);
  expect(p.rx.state).toBe('receiving');
  expect(p.tx?.state).toBe('streaming');
  return p;
}

describe('pair: complete transfers through both machines and the real cores', () => {
  it.each([
    ['a perfect link', { control: 0, data: 0, loss: 0 }],
    ['5 ms each way and 20 % datagram loss', { control: 5, data: 5, loss: 0.2 }],
  ])('open mode over %s: done on both sides, the file intact', (_, link) => {
    const p = new SessionPair({ seed: 3 });
    p.toSender.delayMs = p.toReceiver.delayMs = link.control;
    p.datagrams.delayMs = link.data;
    p.datagrams.loss = link.loss;
    p.connect().run();
    expectEnds(p, { state: 'done' }, { state: 'done', outcome: 'completed', reason: 'verified and stored by the receiver' });
    expect(p.stops.toSender).toEqual({ outcome: 'done', reason: 'verified and stored' });
    expect(p.rxTypes()).toEqual(['manifest', 'start-decoders', 'open-file', 'commit', 'done']);
    expect(p.txTypes()[0]).toBe('start-stream');
    expect(p.txTypes().slice(-2)).toEqual(['stop-stream', 'ended']);
    // The data came through the real stream core: as many as sent, less those lost.
    expect(p.datagrams.sent).toBeGreaterThanOrEqual(p.layout.fileSize / p.layout.symbolSize);
    expect(p.rxSummary).toMatchObject({ path: '/out/file.bin', bytes: p.data.length, sha256: p.digests.fileSha256 });
    expect(p.txSummary).toMatchObject({ receiverId: 'rx-1', datagramsSent: p.datagrams.sent });
    expect(p.txSummary!.datagramsReceived).toBeGreaterThan(0);
    if (link.loss > 0) expect(p.txSummary!.datagramsLost).toBeGreaterThan(0);
    // On virtual time: 40 kB at 2 MB/s, plus the round trips.
    expect(p.rxEndedAt).toBeLessThan(200);
  });

  it.each([
    ['MACed datagrams', false, TagKind.HmacSha256_128],
    ['encrypted datagrams', true, TagKind.Aes256Gcm],
  ])('an enrolled receiver (challenge, proofs both ways, wrapped data key): %s, done on both sides', (_, encrypt, tagKind) => {
    const p = new SessionPair({ enrolled: { 'lab-1': SECRET }, send: { encrypt }, receive: { key: KEY } }).connect().run();
    expectEnds(p, { state: 'done' }, { state: 'done', outcome: 'completed', reason: 'verified and stored by the receiver' });
    expect(p.toReceiver.types().slice(0, 2)).toEqual(['challenge', 'manifest']);
    expect(p.toSender.types().slice(0, 3)).toEqual(['hello', 'auth-response', 'request']);
    expect(p.txActions.find((a) => a.type === 'lookup-key')).toMatchObject({ name: 'lab-1' });
    expect(p.txActions.find((a) => a.type === 'start-stream')).toMatchObject({ tagKind });
    expect(p.rxActions.find((a) => a.type === 'start-decoders')).toMatchObject({ tagKind });
  });
});

describe('pair: authentication', () => {
  it("wrong key: the receiver refuses the sender's proof, and the sender hears why", () => {
    const p = new SessionPair({ enrolled: { 'lab-1': SECRET }, receive: { key: { name: 'lab-1', secret: new Uint8Array(32).fill(9) } } }).connect().run();
    const why = 'the sender could not prove it holds the key enrolled as lab-1: not the real sender';
    expectEnds(
      p,
      { state: 'failed', name: 'SenderAuthenticationError', message: why },
      { state: 'failed', outcome: 'failed', reason: `peer stopped (aborted): ${why}` },
    );
    expect(p.stops.toSender).toEqual({ outcome: 'aborted', reason: why });
    expect(p.toReceiver.types()).toEqual(['challenge']); // no manifest, no data key
  });

  it('a receiver the sender has not enrolled is refused at the key lookup', () => {
    const p = new SessionPair({ enrolled: {}, receive: { key: KEY } }).connect().run();
    const why = 'receiver lab-1 is not enrolled here (or its key was revoked)';
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: `sender refused: ${why} (refused)` },
      { state: 'failed', outcome: 'failed', reason: `refused: ${why}` },
    );
  });

  it('an open receiver at a sender that admits only enrolled ones is refused at its Hello', () => {
    const p = new SessionPair({ enrolled: { 'lab-1': SECRET } }).connect().run();
    const why = 'this sender admits only enrolled receivers (receive --key <name>.key)';
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: `sender refused: ${why} (refused)` },
      { state: 'failed', outcome: 'failed', reason: `refused: ${why}` },
    );
    expect(p.txActions.some((a) => a.type === 'lookup-key')).toBe(false);
  });

  it("a relay that forges the receiver's answer: the sender refuses the proof, the receiver is told", () => {
    const p = new SessionPair({ enrolled: { 'lab-1': SECRET }, receive: { key: KEY } });
    p.toSender.rewrite = (m) => (m.type === 'auth-response' ? { ...m, proof: Buffer.alloc(32, 1).toString('base64') } : undefined);
    p.connect().run();
    const why = 'authentication failed: the receiver does not hold the key enrolled as lab-1';
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: `sender refused: ${why} (refused)` },
      { state: 'failed', outcome: 'failed', reason: `refused: ${why}` },
    );
    expect(p.errors.toReceiver).toEqual({ code: 'refused', message: why });
  });
});

describe('pair: the receiver refuses the manifest', () => {
  it('beyond its buffer budget: ManifestRejectedError, Stop(aborted) with the reason recorded by the sender', () => {
    const p = new SessionPair({ segmentSize: 2 << 20, receive: { window: 1024 } }).connect().run();
    const why =
      "manifest rejected: segment size 2097152 x window 1024 exceeds the receiver's 1073741824-byte buffer budget (use a smaller window or segment size)";
    expectEnds(
      p,
      { state: 'failed', name: 'ManifestRejectedError', message: why },
      { state: 'failed', outcome: 'failed', reason: `peer stopped (aborted): ${why}` },
    );
    expect(p.stops.toSender).toEqual({ outcome: 'aborted', reason: why });
    expect(p.rxTypes()).toEqual(['manifest', 'fail']); // nothing allocated
    expect(p.txTypes()).toEqual(['ended']); // no stream was ever started
  });

  it('untrusted (--trust, an unsigned manifest): UntrustedManifestError, the sender records the reason', () => {
    const publishers = [parsePublicKey(generatePublisherKeys().publicPem)];
    const p = new SessionPair({ receive: { trust: { publishers, statePath: '/state/trust.json' } } }).connect().run();
    expectEnds(
      p,
      { state: 'failed', name: 'UntrustedManifestError', message: /not signed/ },
      { state: 'failed', outcome: 'failed', reason: /^peer stopped \(aborted\): .*not signed/ },
    );
    expect(p.stops.toSender?.reason).toBe(p.rx.error!.message);
    expect(p.rxTypes()).toEqual(['manifest', 'fail']);
  });
});

describe('pair: disk full', () => {
  it('a write fails with ENOSPC: DiskError, Stop(aborted) reaches the sender, no commit', () => {
    const p = new SessionPair();
    p.disk.capacity = 16_384; // the first segment fits, the second does not
    p.connect().run();
    const why = 'no space left on device writing /out/.file.bin.part';
    expectEnds(p, { state: 'failed', name: 'DiskError', message: why }, { state: 'failed', outcome: 'failed', reason: `peer stopped (aborted): ${why}` });
    expect(p.rx.error).toMatchObject({ code: 'ENOSPC' });
    expect(p.stops.toSender).toEqual({ outcome: 'aborted', reason: why });
    expect(p.rxActions.some((a) => a.type === 'commit')).toBe(false);
    expect(p.disk.writes).toBe(1);
  });

  it('the disk fills at the commit (fsync): DiskError from committing, the sender told', () => {
    const p = new SessionPair();
    p.disk.failCommit = 'ENOSPC';
    p.connect().run();
    const why = 'ENOSPC syncing /out/.file.bin.part';
    expectEnds(p, { state: 'failed', name: 'DiskError', message: why }, { state: 'failed', outcome: 'failed', reason: `peer stopped (aborted): ${why}` });
    expect(p.rxActions.some((a) => a.type === 'commit')).toBe(true);
  });
});

describe('pair: timeouts, at the configured times', () => {
  it("the receiver goes silent mid-transfer: the sender's idle timeout ends it, the receiver sees the close", () => {
    const p = streaming();
    p.toSender.drop = true; // the receiver's frames (heartbeats, Progress) are lost from here
    p.run();
    const last = p.toSender.lastDeliveredAt!;
    expect(p.txEndedAt).toBe(last + IDLE);
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: 'sender vanished: peer closed the connection' },
      { state: 'failed', outcome: 'failed', reason: `peer silent for ${IDLE} ms (idle timeout ${IDLE} ms)` },
    );
    expect(p.rxEndedAt).toBe(last + IDLE);
  });

  it("the sender goes silent mid-transfer: the receiver's idle timeout (the manifest's) ends it", () => {
    const p = streaming();
    p.toReceiver.drop = true;
    p.run();
    const last = p.toReceiver.lastDeliveredAt!;
    expect(p.rxEndedAt).toBe(last + IDLE);
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: `sender vanished: peer silent for ${IDLE} ms (idle timeout ${IDLE} ms)` },
      { state: 'failed', outcome: 'failed', reason: 'peer closed the connection' },
    );
    expect(p.stops.toSender).toBeUndefined(); // a vanished sender is not told anything
  });

  it("a sender that accepts and never answers (still hashing, the Hello wanting every digest): the receiver's connect timeout", () => {
    const p = new SessionPair({ hashing: true });
    p.toSender.rewrite = withoutDigestsFollow;
    p.connect().run();
    expect(p.rxEndedAt).toBe(CONNECT);
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: `the sender at sender.test:7070 accepted the connection but said nothing within ${CONNECT} ms` },
      { state: 'failed', outcome: 'failed', reason: 'peer closed the connection' },
    );
    expect(p.toReceiver.types()).toEqual([]);
  });

  it("a receiver whose Hello never arrives: the sender's handshake timeout (no summary) reaches the receiver as a refusal saying why", () => {
    const p = new SessionPair({ receive: { connectTimeoutMs: 10_000 } });
    p.toSender.drop = true;
    p.connect().run();
    expect(p.txEndedAt).toBe(HANDSHAKE);
    expect(p.rxEndedAt).toBe(HANDSHAKE);
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: `sender refused: handshake not finished within ${HANDSHAKE} ms (state awaiting-hello) (refused)` },
      { state: 'failed' },
    );
    expect(p.txEnded).toBe(true);
    expect(p.txSummary).toBeUndefined(); // never got past Hello: nothing to report
    expect(p.admission.failed).toBe(0);
  });
});

describe('pair: aborts', () => {
  it('the receiver aborts mid-transfer: TransferAbortedError, the sender sees Stop(aborted)', () => {
    const p = streaming();
    p.at(250, () => p.rx.handleAbort(p.now, 'interrupted by SIGINT'));
    p.run();
    expect(p.rxEndedAt).toBe(250);
    expectEnds(
      p,
      { state: 'failed', name: 'TransferAbortedError', message: 'transfer aborted: interrupted by SIGINT' },
      { state: 'failed', outcome: 'failed', reason: 'peer stopped (aborted): interrupted by SIGINT' },
    );
    expect(p.stops.toSender).toEqual({ outcome: 'aborted', reason: 'interrupted by SIGINT' });
    expect(p.txTypes().slice(-2)).toEqual(['stop-stream', 'ended']);
  });

  it('the receiver aborts before it connected: nothing reaches the sender', () => {
    const p = new SessionPair();
    p.rx.handleAbort(0, 'interrupted by SIGINT');
    p.settle();
    expect(p.rx.state).toBe('failed');
    expect(p.rx.error).toMatchObject({ name: 'TransferAbortedError', message: 'transfer aborted: interrupted by SIGINT' });
    expect(p.tx).toBeUndefined();
  });

  it('the sender shuts down: the receiver fails with "sender stopped the transfer"', () => {
    const p = streaming();
    p.at(250, () => p.tx!.abort(p.now, 'sender shutting down: interrupted by SIGTERM'));
    p.run();
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: 'sender stopped the transfer: sender shutting down: interrupted by SIGTERM' },
      { state: 'failed', outcome: 'failed', reason: 'stopped (aborted): sender shutting down: interrupted by SIGTERM' },
    );
    expect(p.stops.toReceiver).toEqual({ outcome: 'aborted', reason: 'sender shutting down: interrupted by SIGTERM' });
  });

  it("the sender's stream fails (a crashed worker): the receiver is stopped with the reason", () => {
    const p = new SessionPair({ send: { rateBitsPerSecond: 800_000 } }).connect().runUntil(50); // 100 kB/s: 40 kB take 400 ms
    expect(p.rx.state).toBe('receiving');
    p.failStream('stream worker crashed: out of memory');
    p.run();
    const why = 'sender stream failed: stream worker crashed: out of memory';
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: `sender stopped the transfer: ${why}` },
      { state: 'failed', outcome: 'failed', reason: `stopped (aborted): ${why}` },
    );
    expect(p.streamEnds).toBe(1);
  });

  it('the sender drops a connection before its Hello (the pending budget): the receiver is told why', () => {
    const p = new SessionPair();
    p.toSender.delayMs = 5;
    p.connect();
    const why = 'dropped before its Hello: 64 connections were waiting to say Hello';
    p.at(1, () => p.tx!.evict(1, why));
    p.run();
    expectEnds(p, { state: 'failed', name: 'ReceiveError', message: `sender refused: ${why} (refused)` }, { state: 'failed' });
    expect(p.txSummary).toBeUndefined();
  });

  it('the sender shuts down before the Hello: the receiver sees a close before any answer', () => {
    const p = new SessionPair();
    p.toSender.delayMs = 5;
    p.connect();
    p.at(1, () => p.tx!.close('sender closing'));
    p.run();
    expectEnds(p, { state: 'failed', name: 'ReceiveError', message: /^the sender closed the connection before answering/ }, { state: 'failed' });
    expect(p.txSummary).toBeUndefined();
  });
});

describe('pair: refusals at the Hello', () => {
  it('the sender serves its maximum of receivers: the receiver is refused with the reason', () => {
    const p = new SessionPair({ send: { maxReceivers: 1 }, alreadyServed: 1 }).connect().run();
    const why = 'sender is serving its maximum of 1 receivers';
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: `sender refused: ${why} (refused)` },
      { state: 'failed', outcome: 'failed', reason: `refused: ${why}` },
    );
    expect(p.admission.servedCount).toBe(1); // the other one
  });

  it("nothing listens: the receiver's connect fails, no session on the sender", () => {
    const p = new SessionPair({ listening: false }).connect().run();
    expect(p.rx.state).toBe('failed');
    expect(p.rx.error).toMatchObject({ name: 'ReceiveError', message: 'cannot connect to sender.test:7070: connect ECONNREFUSED' });
    expect(p.tx).toBeUndefined();
  });
});

describe('pair: the link breaks mid-transfer', () => {
  it('reset (both ends see the break): the receiver says the sender vanished, the sender records the reset', () => {
    const p = new SessionPair({ send: { rateBitsPerSecond: 800_000 } }).connect().runUntil(50);
    expect(p.rx.state).toBe('receiving');
    p.sever('read ECONNRESET');
    p.run();
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: 'sender vanished: read ECONNRESET' },
      { state: 'failed', outcome: 'failed', reason: 'read ECONNRESET' },
    );
    expect(p.rxEndedAt).toBe(50);
    expect(p.txEndedAt).toBe(50);
  });

  it("a partition (everything lost both ways): each side's idle timeout, from its own last frame", () => {
    const p = new SessionPair({ send: { rateBitsPerSecond: 800_000 } }).connect().runUntil(50);
    p.toSender.drop = p.toReceiver.drop = p.datagrams.drop = true;
    p.run();
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: `sender vanished: peer silent for ${IDLE} ms (idle timeout ${IDLE} ms)` },
      { state: 'failed', outcome: 'failed', reason: `peer silent for ${IDLE} ms (idle timeout ${IDLE} ms)` },
    );
    expect(p.rxEndedAt).toBe(p.toReceiver.lastDeliveredAt! + IDLE);
    expect(p.txEndedAt).toBe(p.toSender.lastDeliveredAt! + IDLE);
  });
});

/** A Hello without digestsFollow (nor lengthFollows, which needs it): a receiver that needs every digest in its manifest (an older one). */
function withoutDigestsFollow(m: Parameters<NonNullable<SessionPair['toSender']['rewrite']>>[0]) {
  if (m.type !== 'hello') return undefined;
  const { digestsFollow: _d, lengthFollows: _l, treeDigestsFollow: _t, ...hello } = m;
  return hello;
}

describe('pair: digests that follow (the sender hashes while it streams)', () => {
  it('data arrives before its digests: the receiver waits, then completes', () => {
    const p = new SessionPair({ hashing: true });
    p.toSender.delayMs = p.toReceiver.delayMs = 5;
    p.at(1, () => p.revealDigests(1, false)); // before the Request arrives (manifest-sent)
    p.at(30, () => p.revealDigests(2, false)); // while streaming
    p.at(60, () => p.revealDigests(p.layout.segmentCount, true));
    p.connect().runUntil(59);
    // Every datagram is in; the data waits for its digests.
    expect(p.rx.state).toBe('receiving');
    expect(p.rx.core!.stats.symbolsReceived).toBe(p.rx.core!.stats.symbolsNeeded);
    p.run();
    expectEnds(p, { state: 'done' }, { state: 'done', outcome: 'completed' });
    expect(p.rxActions.find((a) => a.type === 'manifest')).toMatchObject({ manifest: { digestsFollow: true } });
    // One frame per change of the sender's digests: segment 0, segment 1, segment 2, the file's.
    expect(p.toReceiver.types().filter((t) => t === 'digests')).toHaveLength(4);
    // Done as the file's digest arrives (sent at 60, 5 ms on the link).
    expect(p.rxEndedAt).toBe(65);
  });

  it('a receiver that wants every digest in its manifest waits for the hashing, then completes', () => {
    const p = new SessionPair({ hashing: true });
    p.toSender.rewrite = withoutDigestsFollow;
    p.at(100, () => p.revealDigests(1, false));
    p.at(200, () => p.revealDigests(p.layout.segmentCount, true));
    p.connect().run();
    expectEnds(p, { state: 'done' }, { state: 'done', outcome: 'completed' });
    expect(p.toReceiver.types()).not.toContain('digests');
    expect(p.rxActions.find((a) => a.type === 'manifest')).toMatchObject({ manifest: { fileSha256: p.digests.fileSha256 } });
  });

  it('an enrolled receiver that wants every digest waits after its proof', () => {
    const p = new SessionPair({ hashing: true, enrolled: { 'lab-1': SECRET }, receive: { key: KEY } });
    p.toSender.rewrite = withoutDigestsFollow;
    p.at(100, () => p.revealDigests(p.layout.segmentCount, true));
    p.connect().run();
    expectEnds(p, { state: 'done' }, { state: 'done', outcome: 'completed' });
  });
});

describe('pair: resume', () => {
  it('a Request whose have does not fit the manifest (a middlebox): the sender refuses it with bad-message', () => {
    const p = new SessionPair({ fileSize: 24 * 16_384, held: [0, 2, 4] });
    p.toSender.rewrite = (m) => (m.type === 'request' ? { type: 'request', have: Buffer.alloc(4).toString('base64') } : undefined);
    p.connect().run();
    expect(p.rx.state).toBe('failed');
    expect(p.rx.error?.name).toBe('ReceiveError');
    expect(p.rx.error?.message).toMatch(/Request.have must be the bitmap of exactly 24 segments .*\(bad-message\)/);
    expect(p.tx?.state).toBe('failed');
    expect(p.disk.files.size).toBe(0);
  });
});

describe('pair: heartbeats', () => {
  it('keep an idle but healthy pair alive far past the idle timeout', () => {
    const p = streaming();
    const from = p.now;
    p.runUntil(from + 5 * IDLE);
    expect(p.rx.state).toBe('receiving');
    expect(p.tx!.state).toBe('streaming');
    // Nothing but heartbeats from the sender, about one per interval; the receiver's keep the sender's timer fed.
    const fromSender = p.toReceiver.types(from);
    expect(new Set(fromSender)).toEqual(new Set(['heartbeat']));
    expect(fromSender.length).toBeGreaterThanOrEqual((5 * IDLE) / HEARTBEAT - 1);
    expect(p.toSender.types(from)).toContain('heartbeat');
    // Ended cleanly by the receiver.
    p.rx.handleAbort(p.now, 'done waiting');
    p.run();
    expectEnds(
      p,
      { state: 'failed', name: 'TransferAbortedError', message: 'transfer aborted: done waiting' },
      { state: 'failed', outcome: 'failed', reason: 'peer stopped (aborted): done waiting' },
    );
  });
});

describe('pair: a shared (multicast) stream and its start policy', () => {
  const multicast = { group: '239.1.2.3', port: 7071 };

  it('the receiver listens before it asks; the stream starts at the first Request; done on both sides', () => {
    const p = new SessionPair({ send: { multicast } }).connect().run();
    expectEnds(p, { state: 'done' }, { state: 'done', outcome: 'completed', reason: 'verified and stored by the receiver' });
    expect(p.rxTypes()).toEqual(['manifest', 'start-decoders', 'open-file', 'listen-shared', 'commit', 'done']);
    expect(p.rxActions[0]).toMatchObject({ manifest: { dataPlane: { mode: 'multicast', ...multicast } } });
    expect(p.txTypes()).toEqual([
      'join-shared',
      ...p
        .txTypes()
        .slice(1, -2)
        .map(() => 'progress'),
      'leave-shared',
      'ended',
    ]);
    expect(p.sharedStart).toEqual({ at: 0, why: '1 receiver(s) ready' });
  });

  it('--wait: the stream starts when the wait is over, and the receiver waits for it', () => {
    const p = new SessionPair({ send: { multicast, waitMs: 400 } }).connect().run();
    expectEnds(p, { state: 'done' }, { state: 'done', outcome: 'completed' });
    expect(p.sharedStart).toEqual({ at: 400, why: '--wait 400 ms elapsed' });
    expect(p.rxEndedAt).toBeGreaterThan(400);
  });
});

describe('pair: the sender cannot finish hashing', () => {
  it('the file changed while hashed: the server aborts the session, the receiver waiting for digests is told why', () => {
    const p = new SessionPair({ hashing: true });
    p.at(20, () => p.revealDigests(1, false));
    p.at(100, () => {
      // As send.ts does when digests.done rejects: every session is aborted with the reason.
      p.digests.fail(new Error('/srv/file.bin changed while it was hashed'));
      p.tx!.abort(p.now, 'the sender cannot serve file.bin: /srv/file.bin changed while it was hashed');
    });
    p.connect().run();
    const why = 'the sender cannot serve file.bin: /srv/file.bin changed while it was hashed';
    expectEnds(
      p,
      { state: 'failed', name: 'ReceiveError', message: `sender stopped the transfer: ${why}` },
      { state: 'failed', outcome: 'failed', reason: `stopped (aborted): ${why}` },
    );
    expect(p.rxEndedAt).toBe(100);
  });
});

describe('pair: seeded random disruptions keep both machines consistent', () => {
  const disruptions = ['none', 'rx-abort', 'tx-abort', 'sever', 'partition', 'disk-full', 'rx-silent', 'tx-silent', 'stream-fails'] as const;

  it.each(Array.from({ length: 40 }, (_, i) => i + 1))('seed %i', (seed) => {
    const r = new SeededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)]!;
    const what = pick(disruptions);
    const at = Math.floor(r.next() * 300);
    const p = new SessionPair({ seed, hashing: r.next() < 0.3, send: { rateBitsPerSecond: 1e6 + Math.floor(r.next() * 15e6) } });
    p.toSender.delayMs = p.toReceiver.delayMs = Math.floor(r.next() * 20);
    p.datagrams.delayMs = Math.floor(r.next() * 20);
    p.datagrams.loss = r.next() * 0.5;
    if (p.digests.known === 0) p.at(Math.floor(r.next() * 200), () => p.revealDigests(p.layout.segmentCount, true));
    const context = `seed ${seed}: ${what} at ${at} ms`;
    p.at(at, () => {
      if (what === 'rx-abort') p.rx.handleAbort(p.now, 'interrupted');
      else if (what === 'tx-abort') p.tx!.abort(p.now, 'shutting down');
      else if (what === 'sever') p.sever();
      else if (what === 'partition') p.toSender.drop = p.toReceiver.drop = p.datagrams.drop = true;
      else if (what === 'disk-full') p.disk.capacity = p.disk.temp ? p.disk.temp.written : 0;
      else if (what === 'rx-silent') p.toSender.drop = true;
      else if (what === 'tx-silent') p.toReceiver.drop = true;
      else if (what === 'stream-fails') p.failStream('worker crashed');
    });
    p.connect().run();
    expect(p.finished, context).toBe(true);
    expect(
      p.rxActions.filter((a) => a.type === 'done' || a.type === 'fail'),
      context,
    ).toHaveLength(1);
    expect(
      p.txActions.filter((a) => a.type === 'ended'),
      context,
    ).toHaveLength(1);
    // The sender never counts a completion the receiver did not make; a failed receiver committed nothing.
    if (p.txSummary?.outcome === 'completed') expect(p.rx.state, context).toBe('done');
    if (p.rx.state === 'done') expect(Buffer.compare(Buffer.from(p.disk.files.get('/out/file.bin')!), Buffer.from(p.data)), context).toBe(0);
    else expect(p.disk.files.size, context).toBe(0);
    if (what === 'none') {
      expect(p.rx.state, context).toBe('done');
      expect(p.txSummary?.outcome, context).toBe('completed');
    }
  });
});

describe('pair: --sync', () => {
  it('a single file already in place: the receiver says Stop(done) instead of Request, both sides done, nothing streamed', () => {
    const p = new SessionPair({ receive: { sync: true }, upToDate: true }).connect().run();
    expect(p.finished).toBe(true);
    expect(p.rx.state).toBe('done');
    expect(p.rx.error).toBeUndefined();
    expect(p.rxSummary).toMatchObject({ upToDate: true, datagramsReceived: 0 });
    expect(p.tx?.state).toBe('done');
    expect(p.txSummary).toMatchObject({ outcome: 'completed', reason: 'already up to date at the receiver', datagramsSent: 0 });
    expect(p.datagrams.sent).toBe(0);
    expect(p.disk.temp).toBeUndefined();
  });
});

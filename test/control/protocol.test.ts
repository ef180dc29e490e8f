import { describe, expect, it } from 'vitest';
import type { ControlConnection, ControlEvent } from '../../control/connection.js';
import { encodeFrame } from '../../control/framing.js';
import { encodeMessage } from '../../control/messageCodec.js';
import type { Hello, Manifest, Progress } from '../../control/messages.js';
import { ReceiverConnection } from '../../control/receiverConnection.js';
import { SenderConnection } from '../../control/senderConnection.js';

const hello: Hello = { type: 'hello', version: 4, receiverId: 'r1', codecs: ['raptorq'], udpPort: 5000, window: 8 };
const manifest: Manifest = {
  type: 'manifest',
  sessionId: 7,
  fileName: 'f.bin',
  fileSize: 100,
  segmentSize: 1392,
  symbolSize: 1392,
  codec: 'raptorq',
  segmentDigests: Buffer.alloc(32).toString('base64'),
  fileSha256: '0'.repeat(64),
  rateBytesPerSecond: 0,
  tagKind: 1,
  idleTimeoutMs: 3000,
  heartbeatIntervalMs: 500,
};
const progress: Progress = { type: 'progress', completeBelow: 0, completeAbove: [], open: [], highestSequence: 0, datagramsReceived: 0, datagramsLost: 0 };

/** Two cores joined by an in-memory link that can drop everything. */
class Pair {
  now = 0;
  dropAll = false;
  readonly s = new SenderConnection({ now: 0, handshakeTimeoutMs: 2000 });
  readonly r = new ReceiverConnection({ now: 0, handshakeTimeoutMs: 2000 });
  readonly sEvents: ControlEvent[] = [];
  readonly rEvents: ControlEvent[] = [];
  frames = { s: 0, r: 0 };

  pump(): void {
    for (let moved = true; moved;) {
      moved = false;
      for (let f = this.s.pollTransmit(); f; f = this.s.pollTransmit()) {
        moved = true;
        this.frames.s++;
        if (!this.dropAll) this.r.handleBytes(this.now, f);
      }
      for (let f = this.r.pollTransmit(); f; f = this.r.pollTransmit()) {
        moved = true;
        this.frames.r++;
        if (!this.dropAll) this.s.handleBytes(this.now, f);
      }
      for (let e = this.s.pollEvent(); e; e = this.s.pollEvent()) this.sEvents.push(e);
      for (let e = this.r.pollEvent(); e; e = this.r.pollEvent()) this.rEvents.push(e);
    }
  }

  /** Advances virtual time to each deadline in turn until `until`. */
  runUntil(until: number): void {
    for (;;) {
      const next = Math.min(this.s.pollTimeout() ?? Infinity, this.r.pollTimeout() ?? Infinity);
      if (next > until) break;
      this.now = next;
      this.s.handleTimeout(this.now);
      this.r.handleTimeout(this.now);
      this.pump();
    }
    this.now = until;
  }

  handshake(): void {
    this.r.start(0, hello);
    this.pump();
    expect(this.sEvents.at(-1)).toEqual({ type: 'hello', hello });
    this.s.acceptHello(manifest);
    this.pump();
    expect(this.rEvents.at(-1)).toEqual({ type: 'manifest', manifest });
    this.r.request();
    this.pump();
    expect(this.sEvents.at(-1)).toEqual({ type: 'request' });
  }
}

function closed(events: ControlEvent[]) {
  return events.find((e) => e.type === 'closed') as Extract<ControlEvent, { type: 'closed' }> | undefined;
}

describe('control protocol state machines', () => {
  it('runs the handshake, carries progress and ends on the receiver Stop', () => {
    const p = new Pair();
    p.handshake();
    expect(p.s.state).toBe('streaming');
    expect(p.r.state).toBe('requested');
    p.r.sendProgress(progress);
    p.pump();
    expect(p.sEvents.at(-1)).toEqual({ type: 'progress', progress });
    p.r.sendStop('done', 'ok');
    p.pump();
    expect(p.sEvents.slice(-2)).toEqual([
      { type: 'stop', stop: { type: 'stop', outcome: 'done', reason: 'ok' } },
      { type: 'closed', reason: 'peer stopped (done): ok', byPeer: true },
    ]);
    expect(p.r.wantsSocketClose).toBe(true);
  });

  it('carries Request.have from ReceiverConnection.request to the sender request event', () => {
    const p = new Pair();
    p.r.start(0, hello);
    p.pump();
    p.s.acceptHello(manifest);
    p.pump();
    const have = Buffer.from([0b0000_0101]).toString('base64');
    p.r.request(have);
    p.pump();
    expect(p.sEvents.at(-1)).toEqual({ type: 'request', have });
    expect(p.s.state).toBe('streaming');
  });

  it('after a Request with want, the sender may send Digests and the receiver takes them', () => {
    const p = new Pair();
    p.r.start(0, hello);
    p.pump();
    p.s.acceptHello(manifest);
    p.pump();
    // The manifest carried its digests: without want, Digests would be a protocol error.
    expect(() => p.s.sendDigests({ type: 'digests', firstSegment: 0, segmentDigests: Buffer.alloc(32).toString('base64') })).toThrow(/sendDigests/);
    const want = Buffer.from([0b0000_0110]).toString('base64');
    p.r.request(undefined, want);
    p.pump();
    expect(p.sEvents.at(-1)).toEqual({ type: 'request', want });
    const digests = { type: 'digests' as const, firstSegment: 0, segmentDigests: Buffer.alloc(32).toString('base64'), fileSha256: 'ab'.repeat(32) };
    p.s.sendDigests(digests);
    p.pump();
    expect(p.rEvents.at(-1)).toEqual({ type: 'digests', digests });
    expect(closed(p.rEvents)).toBeUndefined();
  });

  it('sends heartbeats at the manifest interval and stays up while both talk', () => {
    const p = new Pair();
    p.handshake();
    const before = { ...p.frames };
    p.runUntil(10_000);
    // 500 ms interval over 10 s: about 20 heartbeats each way, and nobody timed out.
    expect(p.frames.s - before.s).toBeGreaterThanOrEqual(19);
    expect(p.frames.r - before.r).toBeGreaterThanOrEqual(19);
    expect(closed(p.sEvents)).toBeUndefined();
    expect(closed(p.rEvents)).toBeUndefined();
  });

  it('fires the idle timeout exactly when all traffic is dropped', () => {
    const p = new Pair();
    p.handshake();
    p.dropAll = true;
    p.runUntil(2999);
    expect(closed(p.sEvents)).toBeUndefined();
    p.runUntil(3000);
    expect(closed(p.sEvents)?.reason).toMatch(/peer silent for 3000 ms \(idle timeout 3000 ms\)/);
    expect(closed(p.rEvents)?.reason).toMatch(/idle timeout/);
    expect(p.s.pollTimeout()).toBeUndefined();
  });

  it('handleTimeout at pollTimeout() always acts, at fractional times too (no busy loop)', () => {
    // In doubles (t + 500) - t < 500 and (t + 2000) - t < 2000: a deadline computed as a sum must
    // be checked as one, or the timer fires, does nothing, and is due again at once.
    const t = 116.8761312276685;
    expect(t + 500 - t).toBeLessThan(500);
    expect(t + 2000 - t).toBeLessThan(2000);
    const r = new ReceiverConnection({ now: 0, handshakeTimeoutMs: 2000 });
    r.start(0, hello);
    r.handleBytes(t, encodeFrame(encodeMessage({ ...manifest, heartbeatIntervalMs: 500, idleTimeoutMs: 2000 })));
    r.request();
    // The sender says nothing more: heartbeats at t+500, t+1000, t+1500, then the idle timeout at t+2000.
    let fired = 0;
    for (let at = r.pollTimeout(); at !== undefined && fired < 10; at = r.pollTimeout(), fired++) r.handleTimeout(at);
    expect(r.closed).toBe(true);
    expect(fired).toBe(4);
    expect(r.pollEvent()).toMatchObject({ type: 'manifest' });
    expect(r.pollEvent()).toMatchObject({ type: 'closed', reason: 'peer silent for 2000 ms (idle timeout 2000 ms)' });
  });

  it('drops a client that never says Hello after the handshake timeout', () => {
    const s = new SenderConnection({ now: 100, handshakeTimeoutMs: 2000 });
    expect(s.pollTimeout()).toBe(2100);
    s.handleTimeout(2099);
    expect(s.closed).toBe(false);
    s.handleTimeout(2100);
    expect(s.pollEvent()).toMatchObject({ type: 'closed', reason: expect.stringMatching(/handshake not finished within 2000 ms/) });
  });

  it('gives up when the sender never sends a manifest', () => {
    const r = new ReceiverConnection({ now: 0, handshakeTimeoutMs: 1500 });
    r.start(0, hello);
    r.handleTimeout(1500);
    expect(r.pollEvent()).toMatchObject({ type: 'closed', reason: 'no manifest from the sender within 1500 ms' });
  });

  it('answers a version mismatch with a clear Error on both sides', () => {
    const p = new Pair();
    p.r.start(0, { ...hello, version: 1 });
    p.pump();
    expect(p.sEvents.some((e) => e.type === 'hello')).toBe(false);
    expect(closed(p.sEvents)?.reason).toMatch(/version mismatch: sender speaks 4, receiver 1/);
    expect(p.rEvents[0]).toMatchObject({ type: 'error', error: { code: 'version-mismatch' } });
    expect(closed(p.rEvents)?.reason).toMatch(/^sender refused: protocol version mismatch: sender speaks 4, receiver 1/);
  });

  it('answers a garbage frame with bad-message and closes', () => {
    const s = new SenderConnection({ now: 0 });
    s.handleBytes(1, encodeFrame(new TextEncoder().encode('not json at all')));
    const err = s.pollTransmit()!;
    expect(new TextDecoder().decode(err.subarray(4))).toMatch(/"type":"error","code":"bad-message"/);
    expect(s.pollEvent()).toMatchObject({ type: 'closed', reason: expect.stringMatching(/bad-message/) });
    // After close, input is ignored and nothing more is emitted.
    s.handleBytes(2, encodeFrame(encodeMessage(hello)));
    expect(s.pollEvent()).toBeUndefined();
  });

  it('rejects a frame over the pre-handshake cap from its header alone', () => {
    const s = new SenderConnection({ now: 0 });
    s.handleBytes(1, new Uint8Array([0, 0x10, 0, 0])); // declares 1 MiB before any Hello
    expect(new TextDecoder().decode(s.pollTransmit()!.subarray(4))).toMatch(/frame-too-large/);
    expect(s.closed).toBe(true);
  });

  it('answers a message that is valid JSON but wrong for the state with unexpected-message', () => {
    const table: [string, (c: ControlConnection) => void][] = [
      ['request before hello', (c) => c.handleBytes(1, encodeFrame(encodeMessage({ type: 'request' })))],
      ['progress before request', (c) => c.handleBytes(1, encodeFrame(encodeMessage(progress)))],
      ['manifest to a sender', (c) => c.handleBytes(1, encodeFrame(encodeMessage(manifest)))],
    ];
    for (const [name, act] of table) {
      const s = new SenderConnection({ now: 0 });
      act(s);
      expect(new TextDecoder().decode(s.pollTransmit()!.subarray(4)), name).toMatch(/unexpected-message/);
      expect(s.closed, name).toBe(true);
    }
  });

  it('carries Digests after a Manifest whose digests follow, before and after Request, and only then', () => {
    const { segmentDigests: _s, fileSha256: _f, ...rest } = manifest;
    const deferred: Manifest = { ...rest, digestsFollow: true };
    const digests = { type: 'digests' as const, firstSegment: 0, segmentDigests: Buffer.alloc(32, 3).toString('base64') };
    const p = new Pair();
    p.r.start(0, { ...hello, digestsFollow: true });
    p.pump();
    expect(() => p.s.sendDigests(digests)).toThrow(/sendDigests in state hello-received/);
    p.s.acceptHello(deferred);
    p.s.sendDigests(digests);
    p.pump();
    expect(p.rEvents.slice(-2)).toEqual([
      { type: 'manifest', manifest: deferred },
      { type: 'digests', digests },
    ]);
    p.r.request();
    p.pump();
    const last = { ...digests, segmentDigests: '', firstSegment: 1, fileSha256: 'ab'.repeat(32) };
    p.s.sendDigests(last);
    p.pump();
    expect(p.rEvents.at(-1)).toEqual({ type: 'digests', digests: last });
    // A sender whose Manifest carried the hashes cannot send Digests, and a receiver refuses them.
    const q = new Pair();
    q.handshake();
    expect(() => q.s.sendDigests(digests)).toThrow(/sendDigests/);
    q.r.handleBytes(1, encodeFrame(encodeMessage(digests)));
    expect(new TextDecoder().decode(q.r.pollTransmit()!.subarray(4))).toMatch(/unexpected-message/);
    expect(q.r.closed).toBe(true);
  });

  it('lets the sender refuse and abort with reasons the receiver sees', () => {
    const p = new Pair();
    p.r.start(0, hello);
    p.pump();
    p.s.refuse('refused', 'sender is full');
    p.pump();
    expect(closed(p.rEvents)?.reason).toBe('sender refused: sender is full (refused)');

    const q = new Pair();
    q.handshake();
    q.s.sendStop('aborted', 'server shutting down');
    q.pump();
    expect(q.rEvents.at(-2)).toEqual({ type: 'stop', stop: { type: 'stop', outcome: 'aborted', reason: 'server shutting down' } });
    expect(q.s.wantsSocketClose).toBe(true);
  });
});

/**
 * The sender's per-receiver session on virtual time, against the real receiver-side protocol
 * core (ReceiverConnection) over a fake duplex link: every transition of SESSION_TABLE,
 * including the timeouts, refusals, auth failures, Stops, aborts and stream failures.
 */
import { GROUP_REPORTS_PER_SECOND, groupProgressIntervalMs, REPORT_DATAGRAMS } from '../../sender/feedbackScaling.js';
import { afterAll, describe, expect, it } from 'vitest';
import { receiverProof } from '../../control/auth.js';
import type { ControlEvent } from '../../control/connection.js';
import type { Hello, TreeEntry } from '../../control/messages.js';
import { ReceiverConnection } from '../../control/receiverConnection.js';
import { layoutSoFar, planSegments } from '../../encoder/segmentLayout.js';
import { FileDigests } from '../../sender/fileDigests.js';
import { ReceiverSession, type ReceiverSessionDeps } from '../../sender/receiverSession.js';
import { SESSION_TABLE, type ReceiverSummary, type SessionAction } from '../../sender/receiverSessionTable.js';
import { resolveSendConfig, type SendOptions } from '../../sender/sendConfig.js';
import { BitSet } from '../../util/bitset.js';

const visited = new Set<string>();
afterAll(() => {
  const all = Object.entries(SESSION_TABLE).flatMap(([from, inputs]) =>
    Object.entries(inputs).flatMap(([input, tos]) => tos!.map((to) => `${from} --${input}--> ${to}`)),
  );
  expect(all.filter((t) => !visited.has(t))).toEqual([]);
});

const SECRET = new Uint8Array(32).fill(7);
const layout = planSegments(3000, { segmentSize: 1392 });

function digestsOf(complete: boolean): FileDigests {
  const d = new FileDigests(layout.segmentCount);
  if (complete) {
    d.addSegments(0, new Uint8Array(32 * layout.segmentCount));
    d.setFile('ab'.repeat(32));
  }
  return d;
}

const progress = (received: number, lost = 0) => ({
  type: 'progress' as const,
  completeBelow: 0,
  completeAbove: [],
  open: [],
  highestSequence: received,
  datagramsReceived: received,
  datagramsLost: lost,
});

/** A session and a ReceiverConnection joined by a lossless link; time moves only by `advance`. */
class Pair {
  now = 1000;
  readonly actions: SessionAction[] = [];
  readonly rxEvents: ControlEvent[] = [];
  readonly s: ReceiverSession;
  readonly rx: ReceiverConnection;
  /** The receiver's frames are lost (it went silent). */
  muteReceiver = false;
  summary?: ReceiverSummary | undefined;
  ended = false;

  constructor(
    options: Partial<SendOptions> = {},
    deps: Partial<ReceiverSessionDeps> = {},
    private readonly keys: { secret?: Uint8Array; error?: Error } = { secret: SECRET },
  ) {
    const config = resolveSendConfig({ file: 'f', handshakeTimeoutMs: 3000, idleTimeoutMs: 2000, heartbeatIntervalMs: 500, ...options });
    this.s = new ReceiverSession(
      config,
      {
        file: { fileName: 'f.bin', layout, digests: digestsOf(true) },
        address: '10.0.0.9',
        admit: () => true,
        random: { sessionId: () => 42, dataKey: () => new Uint8Array(32).fill(1), nonce: () => Buffer.alloc(32, 2) },
        ...deps,
      },
      this.now,
    );
    const go = (this.s as unknown as { go: (i: string, n: string) => void }).go.bind(this.s);
    (this.s as unknown as { go: (i: string, n: string) => void }).go = (i, n) => {
      const from = this.s.state;
      go(i, n);
      visited.add(`${from} --${i}--> ${n}`);
    };
    this.rx = new ReceiverConnection({ now: this.now, handshakeTimeoutMs: 60_000 });
  }

  hello(over: Partial<Hello> = {}): this {
    this.rx.start(this.now, { type: 'hello', version: 4, receiverId: 'r1', codecs: ['raptorq'], udpPort: 9000, window: 4, ...over });
    return this.flush();
  }

  /** Moves frames both ways and collects what each side produced, until nothing moves. */
  flush(): this {
    for (let moved = true; moved;) {
      moved = false;
      for (let f = this.s.pollTransmit(); f; f = this.s.pollTransmit(), moved = true) this.rx.handleBytes(this.now, f);
      for (let f = this.rx.pollTransmit(); f; f = this.rx.pollTransmit(), moved = true) if (!this.muteReceiver) this.s.handleBytes(this.now, f);
      for (let e = this.rx.pollEvent(); e; e = this.rx.pollEvent(), moved = true) {
        this.rxEvents.push(e);
        if (e.type === 'challenge')
          this.rx.respond({
            type: 'auth-response',
            proof: receiverProof(SECRET, 'alice', Buffer.alloc(32, 3), Buffer.from(e.challenge.nonce, 'base64')).toString('base64'),
          });
      }
      for (let a = this.s.pollEvent(); a; a = this.s.pollEvent(), moved = true) {
        this.actions.push(a);
        if (a.type === 'lookup-key') this.s.handleKey(this.now, this.keys);
        if (a.type === 'ended') [this.ended, this.summary] = [true, a.summary];
      }
      if (this.s.wantsSocketClose && !this.rx.closed) {
        this.rx.handleEof(this.now);
        moved = true;
      }
      if (this.rx.wantsSocketClose && !this.s.wantsSocketClose && this.rx.closed) {
        this.s.handleEof(this.now);
        moved = true;
      }
    }
    return this;
  }

  /** Virtual time: fires every deadline of both sides up to now + ms. */
  advance(ms: number): this {
    const end = this.now + ms;
    for (;;) {
      const next = Math.min(this.s.pollTimeout() ?? Infinity, this.rx.pollTimeout() ?? Infinity);
      if (next > end) break;
      this.now = Math.max(this.now, next);
      this.s.handleTimeout(this.now);
      this.rx.handleTimeout(this.now);
      this.flush();
    }
    this.now = end;
    return this;
  }

  types(): string[] {
    return this.actions.filter((a) => a.type !== 'log').map((a) => a.type);
  }

  streamEnd(reason: 'complete' | 'stopped' | 'error', message?: string, datagramsSent = 0): this {
    this.s.handleStreamEnd(this.now, { reason, message, stats: { datagramsSent } });
    return this.flush();
  }
}

describe('receiver session: open mode', () => {
  it('hello -> manifest-sent, no stream before Request; request -> streaming; Stop(done) -> closing -> done', () => {
    const p = new Pair().hello();
    expect(p.s.state).toBe('manifest-sent');
    expect(p.rx.state).toBe('manifest-received');
    p.advance(1500); // the receiver thinks for a while: still nothing allocated
    expect(p.types()).toEqual([]);
    p.rx.request();
    p.flush();
    expect(p.s.state).toBe('streaming');
    expect(p.actions.find((a) => a.type === 'start-stream')).toMatchObject({ sessionId: 42, window: 4, tagKind: 1, udpPort: 9000 });
    p.s.handleStreamStats({ datagramsSent: 10 });
    p.rx.sendProgress(progress(90, 10));
    p.flush();
    expect(p.actions.at(-1)).toMatchObject({ type: 'progress', progress: { datagramsReceived: 90 } });
    p.advance(1000);
    p.rx.sendStop('done');
    p.flush();
    expect(p.s.state).toBe('closing');
    expect(p.actions.at(-1)).toMatchObject({ type: 'stop-stream' });
    p.streamEnd('stopped', undefined, 123);
    expect(p.s.state).toBe('done');
    expect(p.summary).toMatchObject({
      receiverId: 'r1',
      address: '10.0.0.9',
      outcome: 'completed',
      datagramsSent: 123,
      datagramsReceived: 90,
      datagramsLost: 10,
      seconds: 1,
    });
  });

  it('Stop(done) instead of a Request (--sync: already up to date): manifest-sent -> done, no stream, completed', () => {
    const p = new Pair().hello();
    p.rx.sendStop('done', 'already up to date');
    p.flush();
    expect(p.s.state).toBe('done');
    expect(p.types()).not.toContain('start-stream');
    expect(p.summary).toMatchObject({ outcome: 'completed', reason: 'already up to date at the receiver', datagramsSent: 0 });
  });

  it('a connection that never says Hello: handshake timeout -> failed, nothing to report', () => {
    const p = new Pair().advance(2999);
    expect(p.s.state).toBe('handshaking');
    p.advance(1);
    expect(p.s.state).toBe('failed');
    expect(p.ended).toBe(true);
    expect(p.summary).toBeUndefined();
  });

  it('a Hello and no Request: the handshake timeout fails it without ever starting a stream', () => {
    const p = new Pair({ handshakeTimeoutMs: 1500 }).hello().advance(1500);
    expect(p.s.state).toBe('failed');
    expect(p.types()).toEqual(['ended']);
    expect(p.summary).toMatchObject({ outcome: 'failed', datagramsSent: 0 });
    expect(p.summary!.reason).toMatch(/handshake not finished within 1500 ms \(state manifest-sent\)/);
  });

  it('streaming: heartbeats keep a quiet receiver alive; silence past the idle timeout fails it', () => {
    const p = new Pair().hello();
    p.rx.request();
    p.flush().advance(10_000);
    expect(p.s.state).toBe('streaming'); // both sides heartbeat
    p.muteReceiver = true;
    p.advance(2000);
    expect(p.s.state).toBe('closing');
    p.streamEnd('stopped');
    expect(p.summary).toMatchObject({ outcome: 'failed' });
    expect(p.summary!.reason).toMatch(/idle timeout 2000 ms/);
  });

  it('refuses an unsupported codec and a Hello past maxReceivers, with the reason in the Error and the summary', () => {
    const codec = new Pair().hello({ codecs: ['lt'] });
    expect(codec.s.state).toBe('failed');
    expect(codec.rxEvents.find((e) => e.type === 'error')).toMatchObject({ error: { code: 'unsupported-codec' } });
    const full = new Pair({ maxReceivers: 2 }, { admit: () => false }).hello();
    expect(full.s.state).toBe('failed');
    // The reason is the refusal, not a "protocol error" (the peer did nothing wrong).
    expect(full.summary!.reason).toBe('refused: sender is serving its maximum of 2 receivers');
    expect(codec.summary!.reason).toBe('refused: this sender offers raptorq; receiver has lt');
    expect(full.rxEvents.find((e) => e.type === 'error')).toMatchObject({ error: { code: 'refused' } });
  });

  it('receiver Stop(aborted) -> failed; abort (server closing) sends Stop(aborted) -> failed', () => {
    const p = new Pair().hello();
    p.rx.request();
    p.flush();
    p.rx.sendStop('aborted', 'disk full');
    p.flush().streamEnd('stopped');
    expect(p.summary).toMatchObject({ outcome: 'failed', reason: 'peer stopped (aborted): disk full' });

    const q = new Pair().hello();
    q.rx.request();
    q.flush();
    q.s.abort(q.now, 'stopped: interrupted by SIGINT');
    q.flush();
    expect(q.rxEvents.find((e) => e.type === 'stop')).toMatchObject({ stop: { outcome: 'aborted', reason: 'stopped: interrupted by SIGINT' } });
    expect(q.s.state).toBe('closing');
    q.streamEnd('stopped');
    expect(q.s.state).toBe('failed');
  });

  it('a stream that fails tells the receiver and fails the session at once', () => {
    const p = new Pair().hello();
    p.rx.request();
    p.flush().streamEnd('error', 'EPERM');
    expect(p.rxEvents.find((e) => e.type === 'stop')).toMatchObject({ stop: { outcome: 'aborted', reason: 'sender stream failed: EPERM' } });
    expect(p.s.state).toBe('failed');
    expect(p.types()).toEqual(['start-stream', 'ended']); // nothing left to stop
  });
});

describe('receiver session: digests', () => {
  it('a receiver that needs the hashes waits in hashing; one that takes them later gets Digests frames', () => {
    const digests = digestsOf(false);
    const p = new Pair({}, { file: { fileName: 'f.bin', layout, digests } }).hello();
    expect(p.s.state).toBe('hashing');
    digests.addSegments(0, new Uint8Array(32));
    p.s.handleDigests(p.now);
    expect(p.s.state).toBe('hashing');
    digests.addSegments(1, new Uint8Array(32 * (layout.segmentCount - 1)));
    digests.setFile('cd'.repeat(32));
    p.s.handleDigests(p.now);
    p.flush();
    expect(p.s.state).toBe('manifest-sent');
    expect(p.rxEvents.find((e) => e.type === 'manifest')).toMatchObject({ manifest: { fileSha256: 'cd'.repeat(32) } });

    const later = digestsOf(false);
    const q = new Pair({}, { file: { fileName: 'f.bin', layout, digests: later } }).hello({ digestsFollow: true });
    expect(q.s.state).toBe('manifest-sent');
    later.addSegments(0, new Uint8Array(32));
    q.s.handleDigests(q.now);
    q.rx.request();
    q.flush();
    later.addSegments(1, new Uint8Array(32 * (layout.segmentCount - 1)));
    later.setFile('ef'.repeat(32));
    q.s.handleDigests(q.now);
    q.flush();
    expect(q.rxEvents.filter((e) => e.type === 'digests').map((e) => e.type === 'digests' && e.digests.firstSegment)).toEqual([0, 1]);
  });

  it("a tree's manifest goes out before its digests to a receiver that takes a tree's later (treeDigestsFollow), entries without file digests", () => {
    const digests = digestsOf(false);
    const entries = [
      { path: 'd', kind: 'dir' as const, size: 0, mode: 0o755, mtimeMs: 1 },
      { path: 'd/f', kind: 'file' as const, size: 3000, mode: 0o644, mtimeMs: 2 },
    ];
    const p = new Pair({}, { file: { fileName: 'tree', layout, digests, entries } }).hello({ digestsFollow: true, treeDigestsFollow: true });
    expect(p.s.state).toBe('manifest-sent');
    p.flush();
    const m = p.rxEvents.find((e) => e.type === 'manifest');
    expect(m).toMatchObject({ manifest: { fileName: 'tree', digestsFollow: true, entries } });
    expect(m?.type === 'manifest' && m.manifest.fileSha256).toBeUndefined();
  });

  it("a tree's manifest waits for every digest (its entries carry each file's) for a receiver that takes only a single file's later", () => {
    const digests = digestsOf(false);
    const entries = [
      { path: 'd', kind: 'dir' as const, size: 0, mode: 0o755, mtimeMs: 1 },
      { path: 'd/f', kind: 'file' as const, size: 3000, mode: 0o644, mtimeMs: 2, sha256: 'ef'.repeat(32) },
    ];
    const p = new Pair({}, { file: { fileName: 'tree', layout, digests, entries } }).hello({ digestsFollow: true });
    expect(p.s.state).toBe('hashing');
    digests.addSegments(0, new Uint8Array(32 * layout.segmentCount));
    digests.setFile('cd'.repeat(32));
    p.s.handleDigests(p.now);
    p.flush();
    expect(p.s.state).toBe('manifest-sent');
    const m = p.rxEvents.find((e) => e.type === 'manifest');
    expect(m).toMatchObject({ manifest: { fileName: 'tree', fileSha256: 'cd'.repeat(32), entries } });
    expect(m?.type === 'manifest' && m.manifest.digestsFollow).toBeFalsy();
  });

  describe('a piped object (its length follows)', () => {
    /** A pipe of 1392-byte segments: `full` of them read so far. */
    function pipe(full: number) {
      const digests = new FileDigests(undefined);
      if (full > 0) digests.addSegments(0, new Uint8Array(32 * full).fill(5));
      const file = {
        fileName: 'stdin',
        get layout() {
          return layoutSoFar(1392, 1392, digests.known, digests.fileSize);
        },
        digests,
      };
      return { digests, file };
    }

    it('a receiver that takes the length later gets a manifest saying so; its stream is told of each segment after its digest', () => {
      const { digests, file } = pipe(1);
      const p = new Pair({}, { file }).hello({ digestsFollow: true, lengthFollows: true });
      expect(p.s.state).toBe('manifest-sent');
      expect(p.rxEvents.find((e) => e.type === 'manifest')).toMatchObject({ manifest: { fileSize: 0, digestsFollow: true, lengthFollows: true } });
      p.rx.request();
      p.flush();
      expect(p.actions.find((a) => a.type === 'start-stream')).toMatchObject({ growing: { layout: { segmentCount: 1, fileSize: 1392 }, final: false } });
      digests.addSegments(1, new Uint8Array(32).fill(6));
      p.s.handleDigests(p.now);
      p.flush();
      digests.end(2, new Uint8Array(32).fill(7), 2 * 1392 + 5, 'ab'.repeat(32));
      p.s.handleDigests(p.now);
      p.flush();
      const frames = p.rxEvents.flatMap((e) => (e.type === 'digests' ? [e.digests] : []));
      expect(frames.map((d) => [d.firstSegment, d.fileSize])).toEqual([
        [0, undefined],
        [1, undefined],
        [2, 2 * 1392 + 5],
      ]);
      expect(frames.at(-1)!.fileSha256).toBe('ab'.repeat(32));
      const grows = p.actions.filter((a) => a.type === 'grow-stream');
      expect(grows).toEqual([
        { type: 'grow-stream', layout: { fileSize: 2 * 1392, segmentSize: 1392, symbolSize: 1392, segmentCount: 2 }, final: false },
        { type: 'grow-stream', layout: { fileSize: 2 * 1392 + 5, segmentSize: 1392, symbolSize: 1392, segmentCount: 3 }, final: true },
      ]);
    });

    it('a receiver that cannot take the length later, or a shared stream, waits for the end and gets an ordinary manifest', () => {
      for (const [options, hello] of [
        [{}, { digestsFollow: true as const }],
        [{ multicast: { group: '239.1.1.1', port: 7071 } }, { digestsFollow: true as const, lengthFollows: true as const }],
      ] as const) {
        const { digests, file } = pipe(2);
        const p = new Pair(options, { file }).hello(hello);
        expect(p.s.state).toBe('hashing');
        digests.end(2, new Uint8Array(0), 2 * 1392, 'cd'.repeat(32));
        p.s.handleDigests(p.now);
        p.flush();
        expect(p.s.state).toBe('manifest-sent');
        const m = p.rxEvents.find((e) => e.type === 'manifest');
        expect(m).toMatchObject({ manifest: { fileSize: 2 * 1392, fileSha256: 'cd'.repeat(32) } });
        expect(m?.type === 'manifest' && m.manifest.lengthFollows).toBeFalsy();
      }
    });
  });

  it('waiting for the hashes is bounded by the handshake timeout', () => {
    const p = new Pair({}, { file: { fileName: 'f.bin', layout, digests: digestsOf(false) } }).hello().advance(3000);
    expect(p.s.state).toBe('failed');
  });
});

describe('receiver session: enrolled receivers', () => {
  const keyed = (keys?: { secret?: Uint8Array; error?: Error }) => new Pair({ receiverKeys: async () => SECRET }, {}, keys);
  const auth = { name: 'alice', nonce: Buffer.alloc(32, 3).toString('base64') };

  it('challenge and proof -> manifest with a wrapped key -> a keyed stream', () => {
    const p = keyed().hello({ auth });
    expect(p.s.state).toBe('manifest-sent');
    expect(p.actions.find((a) => a.type === 'lookup-key')).toMatchObject({ name: 'alice' });
    expect(p.rxEvents.find((e) => e.type === 'manifest')).toMatchObject({ manifest: { tagKind: 2, keyWrap: expect.anything() } });
    p.rx.request();
    p.flush();
    expect(p.actions.find((a) => a.type === 'start-stream')).toMatchObject({ tagKind: 2, dataKey: new Uint8Array(32).fill(1) });
  });

  it('an enrolled receiver that needs the hashes waits for them after its proof', () => {
    const digests = digestsOf(false);
    const p = new Pair({ receiverKeys: async () => SECRET }, { file: { fileName: 'f.bin', layout, digests } }).hello({ auth });
    expect(p.s.state).toBe('hashing');
  });

  it('fails a wrong proof, an unknown name, a failed lookup and a Hello without a claim', () => {
    const wrong = new Pair({ receiverKeys: async () => SECRET }, {}, { secret: new Uint8Array(32).fill(9) }).hello({ auth });
    expect(wrong.summary!.reason).toMatch(/authentication failed/);
    expect(keyed({}).hello({ auth }).summary!.reason).toMatch(/alice is not enrolled here/);
    expect(keyed({ error: new Error('EACCES') }).hello({ auth }).summary!.reason).toMatch(/cannot read the enrolled key of alice: EACCES/);
    expect(keyed().hello().summary!.reason).toMatch(/admits only enrolled receivers/);
    // The connection died while the key was looked up: the late answer changes nothing.
    const gone = new Pair({ receiverKeys: async () => SECRET }, {}, {});
    gone.hello({ auth });
    expect(gone.s.state).toBe('failed');
  });

  it('a receiver that leaves during the challenge fails the session', () => {
    const p = new Pair({ receiverKeys: async () => SECRET });
    // Answer the lookup later, by hand.
    (p as unknown as { keys: object }).keys = {};
    p.rx.start(p.now, { type: 'hello', version: 4, receiverId: 'r1', codecs: ['raptorq'], udpPort: 9000, window: 4, auth });
    const rx = p.rx.pollTransmit()!;
    p.s.handleBytes(p.now, rx);
    expect(p.s.state).toBe('authenticating');
    p.s.handleEof(p.now);
    expect(p.s.state).toBe('failed');
    p.s.handleKey(p.now, { secret: SECRET });
    expect(p.s.state).toBe('failed');
  });
});

describe('receiver session: a control stream without an address (pipes, SSH)', () => {
  const piped = (deps: Partial<ReceiverSessionDeps> = {}, options: Partial<SendOptions> = {}) =>
    new Pair({ peers: [{ name: 'pc7', open: () => ({}) as never }], ...options }, { address: undefined, channelKey: true, ...deps });

  it('sends the datagrams to the address the Hello reports, with the key handed over in the manifest', () => {
    const p = piped().hello({ address: '10.0.0.7' });
    const manifest = p.rxEvents.find((e) => e.type === 'manifest');
    expect(manifest).toMatchObject({ manifest: { tagKind: 2, dataKey: Buffer.alloc(32, 1).toString('base64') } });
    expect(manifest).not.toMatchObject({ manifest: { keyWrap: expect.anything() } });
    p.rx.request();
    p.flush();
    expect(p.actions.find((a) => a.type === 'start-stream')).toMatchObject({
      address: '10.0.0.7',
      udpPort: 9000,
      tagKind: 2,
      dataKey: new Uint8Array(32).fill(1),
    });
    p.rx.sendStop('done');
    p.flush().streamEnd('stopped');
    expect(p.summary).toMatchObject({ outcome: 'completed', address: '10.0.0.7' });
  });

  it('encrypts with encrypt; anonymous (no channel key) sends CRC-32 datagrams and no key', () => {
    expect(
      piped({}, { encrypt: true })
        .hello({ address: '10.0.0.7' })
        .rxEvents.find((e) => e.type === 'manifest'),
    ).toMatchObject({ manifest: { tagKind: 3 } });
    const open = piped({ channelKey: false }).hello({ address: '10.0.0.7' });
    const m = open.rxEvents.find((e) => e.type === 'manifest') as { manifest: object };
    expect(m.manifest).toMatchObject({ tagKind: 1 });
    expect(m.manifest).not.toHaveProperty('dataKey');
  });

  it('refuses a unicast receiver that does not say its address; a shared stream does not need it', () => {
    const p = piped().hello();
    expect(p.s.state).toBe('failed');
    expect(p.summary!.reason).toMatch(/did not say its address/);
    const shared = piped({ shared: { sessionId: 5, dataKey: new Uint8Array(32).fill(4) } }, { multicast: { group: '239.1.1.1', port: 7071 } }).hello();
    expect(shared.rxEvents.find((e) => e.type === 'manifest')).toMatchObject({ manifest: { sessionId: 5, dataKey: Buffer.alloc(32, 4).toString('base64') } });
  });

  it('over TCP the transport address wins over the Hello, and no key is ever handed over in the clear', () => {
    const p = new Pair().hello({ address: '192.0.2.66' });
    const m = p.rxEvents.find((e) => e.type === 'manifest') as { manifest: object };
    expect(m.manifest).toMatchObject({ tagKind: 1 });
    expect(m.manifest).not.toHaveProperty('dataKey');
    p.rx.request();
    p.flush();
    expect(p.actions.find((a) => a.type === 'start-stream')).toMatchObject({ address: '10.0.0.9' });
  });
});

describe('receiver session: shared stream', () => {
  it('joins on Request, forwards Progress, and leaves when the connection ends', () => {
    const p = new Pair({ multicast: { group: '239.1.1.1', port: 7071 } }, { shared: { sessionId: 5, dataKey: new Uint8Array(32) } }).hello();
    expect(p.rxEvents.find((e) => e.type === 'manifest')).toMatchObject({ manifest: { sessionId: 5, dataPlane: { mode: 'multicast' } } });
    p.rx.request();
    p.flush();
    p.rx.sendProgress(progress(5));
    p.rx.sendStop('done');
    p.flush();
    expect(p.types()).toEqual(['join-shared', 'progress', 'leave-shared']);
    p.streamEnd('stopped', undefined, 77);
    expect(p.summary).toMatchObject({ outcome: 'completed', datagramsSent: 77 });
  });

  it("asks a large group's receivers for fewer reports, and a small group's for none fewer", () => {
    const manifestFor = (groupSize: number, rateBitsPerSecond?: number) =>
      (
        new Pair(
          { multicast: { group: '239.1.1.1', port: 7071 }, ...(rateBitsPerSecond ? { rateBitsPerSecond } : {}) },
          { shared: { sessionId: 5, dataKey: new Uint8Array(32), groupSize: () => groupSize } },
        )
          .hello()
          .rxEvents.find((e) => e.type === 'manifest') as Extract<ControlEvent, { type: 'manifest' }>
      ).manifest;
    expect(manifestFor(500).progressIntervalMs).toBe(625);
    expect(manifestFor(64).progressIntervalMs).toBe(80);
    expect(manifestFor(16).progressIntervalMs).toBeUndefined();
    // A stream paced at 47 Mbit/s: 256 datagrams between reports.
    expect(manifestFor(16, 47e6).progressIntervalMs).toBe(62);
  });
});

describe('feedback scaling', () => {
  it("keeps the group's routine reports near 800 a second, between the receivers' 20 ms and 2 s", () => {
    expect(groupProgressIntervalMs(1)).toBe(20);
    expect(groupProgressIntervalMs(16)).toBe(20);
    expect(groupProgressIntervalMs(17)).toBe(22);
    for (const n of [64, 256, 500, 1000]) expect((n * 1000) / groupProgressIntervalMs(n)).toBeLessThanOrEqual(GROUP_REPORTS_PER_SECOND);
    expect(groupProgressIntervalMs(1_000_000)).toBe(2_000);
  });

  it('and slower on a slowly paced stream: REPORT_DATAGRAMS at the rate ceiling between reports, unchanged from 200 Mbit/s up', () => {
    const mbit = (m: number) => (m * 1e6) / 8;
    // 256 datagrams of 1420 bytes at 47 Mbit/s take 61.9 ms.
    expect(groupProgressIntervalMs(16, mbit(47))).toBe(Math.ceil((REPORT_DATAGRAMS * 1420 * 1000) / mbit(47)));
    expect(groupProgressIntervalMs(16, mbit(47))).toBe(62);
    expect(groupProgressIntervalMs(16, mbit(200))).toBe(20);
    expect(groupProgressIntervalMs(16, mbit(1000))).toBe(20);
    expect(groupProgressIntervalMs(16, 0)).toBe(20); // no ceiling, no rate term
    // The larger of the two terms, within the 2 s cap.
    expect(groupProgressIntervalMs(500, mbit(47))).toBe(625);
    expect(groupProgressIntervalMs(16, 1000)).toBe(2_000);
  });
});

describe('receiver session: resume (Request.have)', () => {
  const have = (bytes: number[]) => Buffer.from(bytes).toString('base64');

  it('passes the held segments to the unicast stream and to the shared join', () => {
    const p = new Pair().hello();
    p.rx.request(have([0b101]));
    p.flush();
    expect(p.s.state).toBe('streaming');
    const start = p.actions.find((a) => a.type === 'start-stream') as Extract<SessionAction, { type: 'start-stream' }>;
    expect([...start.held!]).toEqual([0b101]);
    expect(p.actions.find((a) => a.type === 'log' && /holds 2 of 3 segments/.test(a.message))).toBeDefined();
    const q = new Pair({ multicast: { group: '239.1.1.1', port: 7071 } }, { shared: { sessionId: 5, dataKey: new Uint8Array(32) } }).hello();
    q.rx.request(have([0b010]));
    q.flush();
    expect(q.actions.find((a) => a.type === 'join-shared')).toMatchObject({ type: 'join-shared', held: new Uint8Array([0b010]) });
    // Without have: nothing held.
    const r = new Pair().hello();
    r.rx.request();
    r.flush();
    expect(r.actions.find((a) => a.type === 'start-stream')).not.toHaveProperty('held');
  });

  it.each([
    ['too long', [0b001, 0]],
    ['a bit past the last segment', [0b1001]],
  ])('refuses a have that does not fit the manifest (%s) with bad-message, starting no stream', (_name, bytes) => {
    const p = new Pair().hello();
    p.rx.request(have(bytes));
    p.flush();
    expect(p.s.state).toBe('failed');
    expect(p.types()).toEqual(['ended']);
    expect(p.rxEvents.find((e) => e.type === 'error')).toMatchObject({
      error: { code: 'bad-message', message: expect.stringMatching(/Request.have must be the bitmap of exactly 3 segments/) },
    });
  });

  it('refuses a have after a Manifest whose digests follow', () => {
    const p = new Pair({}, { file: { fileName: 'f.bin', layout, digests: digestsOf(false) } }).hello({ digestsFollow: true });
    expect(p.s.state).toBe('manifest-sent');
    p.rx.request(have([0b001]));
    p.flush();
    expect(p.s.state).toBe('failed');
    expect(p.summary!.reason).toMatch(/Request.have after a Manifest whose digests follow/);
  });
});

describe('receiver session: --sync over unicast (Request.want)', () => {
  const entries: TreeEntry[] = [
    { path: 'a', kind: 'dir', size: 0, mode: 0o755, mtimeMs: 0 },
    { path: 'a/x', kind: 'file', size: 1000, mode: 0o644, mtimeMs: 0, sha256: '0'.repeat(64) },
    { path: 'a/y', kind: 'file', size: 2000, mode: 0o644, mtimeMs: 0, sha256: '1'.repeat(64) },
  ];
  const tree = (over: Partial<SendOptions> = {}) => new Pair(over, { file: { fileName: 't', layout, digests: digestsOf(true), entries } });
  const bits = (...set: number[]) => {
    const b = new BitSet(entries.length);
    for (const i of set) b.add(i);
    return b.toBase64();
  };

  it("starts the stream with the wanted files, then sends that object's digests as they come", () => {
    const p = tree().hello();
    p.rx.request(undefined, bits(2));
    p.flush();
    const start = p.actions.find((a) => a.type === 'start-stream');
    expect(start?.type === 'start-stream' && start.want?.has(2) && !start.want.has(1)).toBe(true);
    const subset = new FileDigests(1);
    p.s.handleSubset(p.now, subset);
    p.flush();
    expect(p.rxEvents.filter((e) => e.type === 'digests')).toEqual([]);
    subset.addSegments(0, new Uint8Array(32).fill(9));
    subset.setFile('cd'.repeat(32));
    p.s.handleDigests(p.now);
    p.flush();
    const d = p.rxEvents.filter((e) => e.type === 'digests');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ digests: { firstSegment: 0, fileSha256: 'cd'.repeat(32) } });
    expect(p.s.state).toBe('streaming');
  });

  it.each([
    ['a single file', () => new Pair().hello(), 'AQ==', /needs a tree/],
    ['a directory entry', () => tree().hello(), bits(0, 1), /entry 0, which is not a file/],
    ['a bitmap of the wrong length', () => tree().hello(), 'AAAA', /exactly 3 entries/],
    ['a shared stream', () => tree({ multicast: { group: '239.1.1.1', port: 7071 } }).hello(), bits(1), /shared stream/],
  ])('refuses a want for %s with bad-message', (_, make, want, why) => {
    const p = make();
    p.rx.request(undefined, want);
    p.flush();
    expect(p.s.state).toBe('failed');
    expect(p.types()).not.toContain('start-stream');
    expect(p.summary?.reason).toMatch(why);
  });
});

/**
 * One light receiver's whole run as a sans-IO core: the real control connection
 * (control/receiverConnection.ts: Hello, Manifest, Request, Progress, Stop, heartbeats, the
 * same framing and validation as `receive`) joined to a LightReceiver that counts the shared
 * stream's symbols. It implements the control channel's core interface, so the real TCP adapter
 * (control/streamChannel.ts) drives it; the generator's adapter (lightClient.ts) only adds the
 * multicast socket.
 *
 *   connected -> Hello -> Manifest (with a data plane) -> 'listen' -> handleListening -> Request
 *   -> Progress* -> complete -> Stop(done).  Anything else ends the run as 'failed'.
 */
import type { ChannelCore } from '../../control/streamChannel.js';
import { PROTOCOL_VERSION, type DataPlane, type Manifest } from '../../control/messages.js';
import { ReceiverConnection } from '../../control/receiverConnection.js';
import { ProgressSchedule } from '../../receiver/progressSchedule.js';
import { LightReceiver } from './lightReceiver.js';

export type LightEvent =
  { readonly type: 'listen'; readonly plane: DataPlane } | { readonly type: 'done' } | { readonly type: 'failed'; readonly reason: string };

/** What a light receiver sent and counted (the group's report rate is the sum of `framesSent`). */
export interface LightCounts {
  framesSent: number;
  bytesSent: number;
  progressSent: number;
  datagrams: number;
  symbols: number;
}

export interface LightSessionInit {
  readonly receiverId: string;
  readonly now: number;
  /** @default 8, the receiver's default */
  readonly window?: number;
  /** The schedule its reports follow (tests inject one). @default new ProgressSchedule() */
  readonly schedule?: ProgressSchedule;
}

export class LightSession implements ChannelCore<LightEvent> {
  readonly conn: ReceiverConnection;
  private rx: LightReceiver | undefined;
  private manifest: Manifest | undefined;
  private readonly events: LightEvent[] = [];
  private finished = false;
  readonly counts: LightCounts = { framesSent: 0, bytesSent: 0, progressSent: 0, datagrams: 0, symbols: 0 };
  private readonly window: number;

  constructor(private readonly init: LightSessionInit) {
    this.window = init.window ?? 8;
    this.conn = new ReceiverConnection({ now: init.now });
    this.conn.start(init.now, {
      type: 'hello',
      version: PROTOCOL_VERSION,
      receiverId: init.receiverId,
      codecs: ['raptorq'],
      udpPort: 9, // unused: the manifest's data plane says where the symbols are
      window: this.window,
      digestsFollow: true,
    });
  }

  get receiver(): LightReceiver | undefined {
    return this.rx;
  }

  /** The multicast socket is bound and joined: ask for data. */
  handleListening(now: number): void {
    if (this.finished || !this.manifest) return;
    this.rx = new LightReceiver({
      manifest: this.manifest,
      window: this.window,
      now,
      schedule: this.init.schedule ?? new ProgressSchedule(this.manifest.progressIntervalMs),
    });
    this.conn.request();
    this.service(now);
  }

  handleDatagram(now: number, bytes: Uint8Array): void {
    const rx = this.rx;
    if (rx === undefined || this.finished) return;
    this.counts.datagrams++;
    rx.handleDatagram(now, bytes);
  }

  handleBytes(now: number, chunk: Uint8Array): void {
    this.conn.handleBytes(now, chunk);
    this.service(now);
  }

  handleEof(now: number, reason?: string): void {
    this.conn.handleEof(now, reason);
    this.service(now);
  }

  handleTimeout(now: number): void {
    this.conn.handleTimeout(now);
    this.service(now);
  }

  pollTimeout(): number | undefined {
    const c = this.conn.pollTimeout();
    const r = this.finished ? undefined : this.rx?.pollTimeout();
    if (c === undefined) return r;
    return r === undefined ? c : Math.min(c, r);
  }

  pollTransmit(): Uint8Array | undefined {
    const f = this.conn.pollTransmit();
    if (f) {
      this.counts.framesSent++;
      this.counts.bytesSent += f.length;
    }
    return f;
  }

  pollEvent(): LightEvent | undefined {
    return this.events.shift();
  }

  get wantsSocketClose(): boolean {
    return this.conn.wantsSocketClose;
  }

  close(reason: string): void {
    this.conn.close(reason);
    this.service(this.init.now);
  }

  /** Control events in, a due report or the Stop out. */
  service(now: number): void {
    for (let e = this.conn.pollEvent(); e; e = this.conn.pollEvent()) {
      if (e.type === 'manifest') {
        if (!e.manifest.dataPlane) return this.fail('the sender is not serving a shared stream');
        this.manifest = e.manifest;
        this.events.push({ type: 'listen', plane: e.manifest.dataPlane });
      } else if (e.type === 'closed') this.fail(e.reason);
      else if (e.type === 'stop' && !this.finished) this.fail(`sender stopped: ${e.stop.reason ?? e.stop.outcome}`);
    }
    const rx = this.rx;
    if (rx === undefined || this.finished) return;
    const p = rx.pollProgress(now);
    if (p) {
      this.counts.progressSent++;
      this.conn.sendProgress(p);
    }
    this.counts.symbols = rx.symbolsReceived;
    if (rx.complete) {
      this.finished = true;
      this.conn.sendStop('done', 'counted every segment (light receiver)');
      this.events.push({ type: 'done' });
    }
  }

  private fail(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.events.push({ type: 'failed', reason });
  }
}

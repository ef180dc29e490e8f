/**
 * What both ends of a control connection share (sans-IO): framing, message validation, the
 * outgoing frame queue, the event queue, heartbeats and the idle/handshake timers. Subclasses
 * (SenderConnection, ReceiverConnection) add the per-role state table in `onMessage`.
 *
 * Time comes in through handleBytes/handleTimeout (`now`, ms); actions the application calls
 * between them use the latest `now` seen.
 */
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  MAX_FRAME_BYTES,
  MAX_HANDSHAKE_FRAME_BYTES,
  MAX_MANIFEST_FRAME_BYTES,
  MAX_TEXT_LENGTH,
} from './constants.js';
import { LocalProtocolError, RemoteProtocolError } from './errors.js';
import { encodeFrame, FrameDecoder } from './framing.js';
import { decodeMessage, encodeMessage, validateMessage } from './messageCodec.js';
import type { AuthResponse, Challenge, ControlMessage, Digests, ErrorCode, ErrorMessage, Hello, Manifest, Progress, Stop } from './messages.js';

export type ControlEvent =
  | { readonly type: 'hello'; readonly hello: Hello }
  | { readonly type: 'challenge'; readonly challenge: Challenge }
  | { readonly type: 'auth-response'; readonly response: AuthResponse }
  | { readonly type: 'manifest'; readonly manifest: Manifest }
  | { readonly type: 'digests'; readonly digests: Digests }
  /** `have`: Request.have as sent (base64; the sender session checks it against the manifest). */
  | { readonly type: 'request'; readonly have?: string; readonly want?: string }
  | { readonly type: 'progress'; readonly progress: Progress }
  | { readonly type: 'stop'; readonly stop: Stop }
  | { readonly type: 'error'; readonly error: ErrorMessage }
  | { readonly type: 'closed'; readonly reason: string; readonly byPeer: boolean };

export interface ConnectionInit {
  now: number;
  /** @default 1000 */
  heartbeatIntervalMs?: number;
  /** @default 5000 */
  idleTimeoutMs?: number;
  /** @default 5000 */
  handshakeTimeoutMs?: number;
}

export abstract class ControlConnection {
  protected readonly frames = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
  private readonly out: Uint8Array[] = [];
  private readonly events: ControlEvent[] = [];
  protected now: number;
  private lastSent: number;
  private lastReceived: number;
  protected heartbeatIntervalMs: number;
  protected idleTimeoutMs: number;
  protected readonly handshakeTimeoutMs: number;
  /** Set while the handshake runs; cleared by the subclass when it completes. */
  protected handshakeDeadline: number | undefined;
  private _closed = false;
  private _closeReason = '';

  constructor(init: ConnectionInit) {
    this.now = init.now;
    this.lastSent = init.now;
    this.lastReceived = init.now;
    this.heartbeatIntervalMs = init.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.idleTimeoutMs = init.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.handshakeTimeoutMs = init.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.handshakeDeadline = init.now + this.handshakeTimeoutMs;
  }

  get closed(): boolean {
    return this._closed;
  }

  get closeReason(): string {
    return this._closeReason;
  }

  /** Handshake done: heartbeats and the idle timeout take over from the handshake timer. */
  protected get established(): boolean {
    return this.handshakeDeadline === undefined;
  }

  /** The role's state table; throws RemoteProtocolError for whatever the peer got wrong. */
  protected abstract onMessage(message: ControlMessage): void;
  protected abstract handshakeTimeoutReason(): string;
  /** The Error code the peer is told at a handshake timeout; undefined: close without a word. */
  protected handshakeTimeoutCode(): ErrorCode | undefined {
    return undefined;
  }

  /**
   * The one inbound entry point. Whatever the peer got wrong (framing, encoding, a message the
   * state table does not allow) is thrown below as RemoteProtocolError and becomes an Error frame
   * and a close here; any other exception is a bug in this process and reaches the caller.
   */
  handleBytes(now: number, chunk: Uint8Array): void {
    this.now = now;
    if (this._closed) return;
    this.frames.push(chunk);
    try {
      for (let r = this.frames.next(); r && !this._closed; r = this.frames.next()) {
        if (!r.ok) {
          if (r.reason === 'frame-too-large') {
            throw new RemoteProtocolError(
              'frame-too-large',
              `frame of ${r.declaredLength} bytes exceeds the ${this.frames.maxFrameBytes}-byte limit in this state`,
            );
          }
          throw new RemoteProtocolError('bad-message', 'empty frame');
        }
        this.lastReceived = now;
        const decoded = decodeMessage(r.frame);
        if (!decoded.ok) throw new RemoteProtocolError(decoded.code, decoded.detail);
        if (decoded.message.type === 'heartbeat') continue;
        this.onMessage(decoded.message);
      }
    } catch (e) {
      if (!(e instanceof RemoteProtocolError)) throw e;
      this.fail(e.code, e.message);
    }
  }

  /** The TCP stream ended or broke. */
  handleEof(now: number, reason = 'peer closed the connection'): void {
    this.now = now;
    if (!this._closed) this.closeWith(reason, true);
  }

  handleTimeout(now: number): void {
    this.now = now;
    if (this._closed) return;
    if (this.handshakeDeadline !== undefined) {
      if (now >= this.handshakeDeadline) {
        // Say why before closing: a peer that hears nothing cannot tell a timeout from a refusal below the protocol (TLS).
        const reason = this.handshakeTimeoutReason();
        const code = this.handshakeTimeoutCode();
        if (code !== undefined) this.send({ type: 'error', code, message: reason.slice(0, MAX_TEXT_LENGTH) });
        this.closeWith(reason, false);
      }
      return;
    }
    // Compared as the sums pollTimeout hands out: `now - last >= interval` can be false at that
    // very deadline in floating point, and the timer would fire for nothing, again and again.
    if (now >= this.lastReceived + this.idleTimeoutMs) {
      this.closeWith(`peer silent for ${Math.round(now - this.lastReceived)} ms (idle timeout ${this.idleTimeoutMs} ms)`, false);
      return;
    }
    if (now >= this.lastSent + this.heartbeatIntervalMs) this.send({ type: 'heartbeat' });
  }

  pollTimeout(): number | undefined {
    if (this._closed) return undefined;
    if (this.handshakeDeadline !== undefined) return this.handshakeDeadline;
    return Math.min(this.lastReceived + this.idleTimeoutMs, this.lastSent + this.heartbeatIntervalMs);
  }

  pollTransmit(): Uint8Array | undefined {
    return this.out.shift();
  }

  pollEvent(): ControlEvent | undefined {
    return this.events.shift();
  }

  /** Closed and every queued frame handed out: the adapter may end the socket. */
  get wantsSocketClose(): boolean {
    return this._closed && this.out.length === 0;
  }

  /** Closes locally without telling the peer anything (the adapter is shutting down). */
  close(reason: string): void {
    if (!this._closed) this.closeWith(reason, false);
  }

  /**
   * Throws LocalProtocolError (or FrameTooLargeError) for a message the peer would reject:
   * the same validation as inbound, so a bad option fails here with a clear error instead.
   */
  protected send(m: ControlMessage): void {
    if (this._closed) return;
    const checked = validateMessage(m);
    // A Hello of another version is legal to send (tests, future versions); the peer refuses it.
    if (!checked.ok && checked.code !== 'version-mismatch') {
      throw new LocalProtocolError(`refusing to send an invalid ${m.type}: ${checked.detail}`);
    }
    const limit = m.type === 'manifest' ? MAX_MANIFEST_FRAME_BYTES : m.type === 'hello' ? MAX_HANDSHAKE_FRAME_BYTES : MAX_FRAME_BYTES;
    this.out.push(encodeFrame(encodeMessage(checked.ok ? checked.message : m), limit));
    this.lastSent = this.now;
  }

  protected emit(e: ControlEvent): void {
    this.events.push(e);
  }

  protected closeWith(reason: string, byPeer: boolean): void {
    if (this._closed) return;
    this._closed = true;
    this._closeReason = reason;
    this.handshakeDeadline = undefined;
    this.events.push({ type: 'closed', reason, byPeer });
  }

  /** Tells the peer what it did wrong (Error frame), then closes. */
  protected fail(code: ErrorCode, detail: string): void {
    this.send({ type: 'error', code, message: detail.slice(0, MAX_TEXT_LENGTH) });
    this.closeWith(`protocol error (${code}): ${detail}`, false);
  }

  /** The peer sent Error: report it and close with its words. */
  protected peerError(error: ErrorMessage, prefix: string): void {
    this.emit({ type: 'error', error });
    this.closeWith(`${prefix}: ${error.message} (${error.code})`, true);
  }

  protected peerStop(stop: Stop): void {
    this.emit({ type: 'stop', stop });
    this.closeWith(`peer stopped (${stop.outcome})${stop.reason ? `: ${stop.reason}` : ''}`, true);
  }

  /** For onMessage: the peer sent a message its state does not allow. */
  protected unexpected(m: ControlMessage, state: string): never {
    throw new RemoteProtocolError('unexpected-message', `${m.type} is not valid in state ${state}`);
  }

  /** Sends Stop and closes once it is flushed. */
  sendStop(outcome: Stop['outcome'], reason?: string): void {
    if (this._closed) return;
    const r = reason?.slice(0, MAX_TEXT_LENGTH);
    this.send(r === undefined ? { type: 'stop', outcome } : { type: 'stop', outcome, reason: r });
    this.closeWith(`stopped (${outcome})${r ? `: ${r}` : ''}`, false);
  }

  protected setFrameLimit(bytes: number = MAX_FRAME_BYTES): void {
    this.frames.maxFrameBytes = bytes;
  }
}

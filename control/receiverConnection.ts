/**
 * The receiver's end of the control connection. State table:
 *
 *   idle --start(Hello)--> hello-sent --Manifest--> manifest-received --request()--> requested
 *   hello-sent --Challenge--> challenge-received --respond()--> response-sent --Manifest--> manifest-received
 *   (an enrolled receiver; whether a Manifest without a Challenge is acceptable is the application's call)
 *   manifest-received, requested: Digests -> event (only after a Manifest with digestsFollow)
 *   hello-sent: Error -> event + closed (e.g. version mismatch, refused)
 *   any: Stop from sender -> event + closed; unexpected message -> Error + closed.
 * The Manifest must arrive within handshakeTimeoutMs of start(); afterwards the sender's
 * heartbeat interval and idle timeout (from the manifest) apply.
 */
import { MAX_FRAME_BYTES, MAX_MANIFEST_FRAME_BYTES } from './constants.js';
import { ControlConnection, type ConnectionInit } from './connection.js';
import { LocalProtocolError } from './errors.js';
import type { AuthResponse, ControlMessage, Hello, Progress } from './messages.js';

export type ReceiverConnectionState = 'idle' | 'hello-sent' | 'challenge-received' | 'response-sent' | 'manifest-received' | 'requested' | 'closed';

export class ReceiverConnection extends ControlConnection {
  private _state: ReceiverConnectionState = 'idle';
  /** The Manifest said its digests follow: Digests frames are expected. */
  private digestsFollow = false;

  constructor(init: ConnectionInit) {
    super(init);
  }

  get state(): ReceiverConnectionState {
    return this.closed ? 'closed' : this._state;
  }

  protected handshakeTimeoutReason(): string {
    return `no manifest from the sender within ${this.handshakeTimeoutMs} ms`;
  }

  start(now: number, hello: Hello): void {
    if (this._state !== 'idle') throw new LocalProtocolError(`start in state ${this._state}`);
    this.now = now;
    this.handshakeDeadline = now + this.handshakeTimeoutMs;
    this.setFrameLimit(MAX_MANIFEST_FRAME_BYTES);
    this.send(hello);
    this._state = 'hello-sent';
  }

  /** Proves the receiver's key to a sender whose Challenge the application verified. */
  respond(r: AuthResponse): void {
    if (this.closed) return;
    if (this._state !== 'challenge-received') throw new LocalProtocolError(`respond in state ${this._state}`);
    this.send(r);
    this._state = 'response-sent';
  }

  /**
   * `have`: Request.have (resume), base64 of the held segments' bitmap; `want`: Request.want
   * (--sync, unicast), base64 of the wanted entries' bitmap, after which the object's digests
   * come in Digests frames. Each omitted when undefined.
   */
  request(have?: string, want?: string): void {
    if (this.closed) return;
    if (this._state !== 'manifest-received') throw new LocalProtocolError(`request in state ${this._state}`);
    this.send({ type: 'request', ...(have === undefined ? {} : { have }), ...(want === undefined ? {} : { want }) });
    if (want !== undefined) this.digestsFollow = true;
    this._state = 'requested';
  }

  sendProgress(p: Progress): void {
    if (this.closed) return;
    if (this._state !== 'requested') throw new LocalProtocolError(`sendProgress in state ${this._state}`);
    this.send(p);
  }

  protected onMessage(m: ControlMessage): void {
    if (m.type === 'error') return this.peerError(m, 'sender refused');
    if (m.type === 'stop') return this.peerStop(m);
    if (this._state === 'hello-sent' && m.type === 'challenge') {
      this._state = 'challenge-received';
      return this.emit({ type: 'challenge', challenge: m });
    }
    if ((this._state === 'hello-sent' || this._state === 'response-sent') && m.type === 'manifest') {
      this._state = 'manifest-received';
      this.handshakeDeadline = undefined;
      this.heartbeatIntervalMs = m.heartbeatIntervalMs;
      this.idleTimeoutMs = m.idleTimeoutMs;
      this.setFrameLimit(MAX_FRAME_BYTES);
      this.digestsFollow = m.digestsFollow === true;
      return this.emit({ type: 'manifest', manifest: m });
    }
    if ((this._state === 'manifest-received' || this._state === 'requested') && m.type === 'digests' && this.digestsFollow) {
      return this.emit({ type: 'digests', digests: m });
    }
    return this.unexpected(m, this._state);
  }
}

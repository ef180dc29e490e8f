/**
 * The sender's end of one control connection. State table:
 *
 *   awaiting-hello --Hello(ok)--> hello-received --acceptHello--> manifest-sent --Request--> streaming
 *        |                              |--refuse--> closed (Error sent)
 *        |                              '--challenge--> challenge-sent --AuthResponse--> response-received
 *        |                                                   (enrolled receivers)   --acceptHello / refuse--
 *        '-- Hello(version != ours) --> closed (Error version-mismatch)
 *   streaming: Progress -> event; Stop -> event + closed.
 *   manifest-sent, streaming: sendDigests after a Manifest with digestsFollow.
 *   any state: Error from peer -> event + closed; anything else unexpected -> Error + closed.
 * The handshake (Hello ... Request) must finish within handshakeTimeoutMs of the accept.
 */
import { MAX_FRAME_BYTES } from './constants.js';
import { ControlConnection, type ConnectionInit } from './connection.js';
import { LocalProtocolError, RemoteProtocolError } from './errors.js';
import { PROTOCOL_VERSION, type Challenge, type ControlMessage, type Digests, type ErrorCode, type Manifest } from './messages.js';

export type SenderConnectionState = 'awaiting-hello' | 'hello-received' | 'challenge-sent' | 'response-received' | 'manifest-sent' | 'streaming' | 'closed';

export class SenderConnection extends ControlConnection {
  private _state: SenderConnectionState = 'awaiting-hello';
  private digestsFollow = false;

  constructor(init: ConnectionInit) {
    super(init);
  }

  get state(): SenderConnectionState {
    return this.closed ? 'closed' : this._state;
  }

  protected handshakeTimeoutReason(): string {
    return `handshake not finished within ${this.handshakeTimeoutMs} ms (state ${this._state})`;
  }

  protected override handshakeTimeoutCode(): ErrorCode {
    return 'refused';
  }

  /** Answers an enrolled receiver's Hello with the sender's proof and nonce (auth.ts). */
  challenge(c: Challenge): void {
    if (this.closed) return;
    if (this._state !== 'hello-received') throw new LocalProtocolError(`challenge in state ${this._state}`);
    this.send(c);
    this._state = 'challenge-sent';
  }

  /** Answers the Hello (or, for an enrolled receiver, its verified AuthResponse) with the manifest. */
  acceptHello(manifest: Manifest): void {
    if (this.closed) return;
    if (this._state !== 'hello-received' && this._state !== 'response-received') throw new LocalProtocolError(`acceptHello in state ${this._state}`);
    this.heartbeatIntervalMs = manifest.heartbeatIntervalMs;
    this.idleTimeoutMs = manifest.idleTimeoutMs;
    this.send(manifest);
    this.digestsFollow = manifest.digestsFollow === true;
    this._state = 'manifest-sent';
  }

  /** The next segment digests of a Manifest whose digests follow (the caller keeps them contiguous). */
  sendDigests(d: Digests): void {
    if (this.closed) return;
    if ((this._state !== 'manifest-sent' && this._state !== 'streaming') || !this.digestsFollow)
      throw new LocalProtocolError(`sendDigests in state ${this._state}`);
    this.send(d);
  }

  /** Refuses the receiver with an Error frame and closes. */
  refuse(code: ErrorCode, message: string): void {
    if (this.closed) return;
    this.fail(code, message);
  }

  protected onMessage(m: ControlMessage): void {
    if (m.type === 'error') return this.peerError(m, 'receiver reported an error');
    switch (this._state) {
      case 'awaiting-hello':
        if (m.type !== 'hello') return this.unexpected(m, this._state);
        if (m.version !== PROTOCOL_VERSION) {
          throw new RemoteProtocolError('version-mismatch', `protocol version mismatch: sender speaks ${PROTOCOL_VERSION}, receiver ${m.version}`);
        }
        this._state = 'hello-received';
        this.setFrameLimit(MAX_FRAME_BYTES);
        return this.emit({ type: 'hello', hello: m });
      case 'challenge-sent':
        if (m.type === 'auth-response') {
          this._state = 'response-received';
          return this.emit({ type: 'auth-response', response: m });
        }
        if (m.type === 'stop') return this.peerStop(m);
        return this.unexpected(m, this._state);
      case 'manifest-sent':
        if (m.type === 'request') {
          this._state = 'streaming';
          this.handshakeDeadline = undefined;
          // The object of a Request with want is this receiver's own: its digests follow.
          if (m.want !== undefined) this.digestsFollow = true;
          return this.emit({ type: 'request', ...(m.have === undefined ? {} : { have: m.have }), ...(m.want === undefined ? {} : { want: m.want }) });
        }
        if (m.type === 'stop') return this.peerStop(m);
        return this.unexpected(m, this._state);
      case 'streaming':
        if (m.type === 'progress') return this.emit({ type: 'progress', progress: m });
        if (m.type === 'stop') return this.peerStop(m);
        return this.unexpected(m, this._state);
      default:
        // hello-received, response-received: the application has not answered yet; the receiver must wait.
        if (m.type === 'stop') return this.peerStop(m);
        return this.unexpected(m, this._state);
    }
  }
}

/**
 * The sender's half of an enrolled receiver's handshake (control/auth.ts): the Challenge that
 * proves the sender holds the receiver's key, the check of the receiver's answering proof, and
 * the datagram key sealed under the session key both derive. Pure: nonces come in.
 */
import { proofMatches, receiverProof, senderProof, sessionKey, wrapDataKey } from '../control/auth.js';
import type { Challenge, KeyWrap } from '../control/messages.js';

export class EnrolledHandshake {
  constructor(
    readonly name: string,
    private readonly secret: Uint8Array,
    private readonly receiverNonce: Buffer,
    private readonly senderNonce: Buffer,
  ) {}

  /** The Challenge to send: our nonce and our proof of the enrolled key. */
  challenge(): Challenge {
    return {
      type: 'challenge',
      nonce: this.senderNonce.toString('base64'),
      proof: senderProof(this.secret, this.name, this.receiverNonce, this.senderNonce).toString('base64'),
    };
  }

  /** Whether the receiver's AuthResponse proves it holds the key enrolled under `name`. */
  verifies(proof: string): boolean {
    return proofMatches(receiverProof(this.secret, this.name, this.receiverNonce, this.senderNonce), Buffer.from(proof, 'base64'));
  }

  /** `dataKey` sealed under this handshake's session key, bound to the stream's session id. */
  wrap(dataKey: Uint8Array, sessionId: number): KeyWrap {
    return wrapDataKey(sessionKey(this.secret, this.name, this.receiverNonce, this.senderNonce), dataKey, sessionId);
  }
}

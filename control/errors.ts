/** h11-style protocol errors: ours (LocalProtocolError) versus the peer's (RemoteProtocolError). */
import type { ErrorCode } from './messages.js';

/** The peer sent garbage or broke the protocol. */
export class RemoteProtocolError extends Error {
  override readonly name = 'RemoteProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** This side misused the API (e.g. sendProgress before the manifest). A bug, not peer input. */
export class LocalProtocolError extends Error {
  override readonly name = 'LocalProtocolError';
}

/**
 * h11-style protocol errors: the peer's fault (RemoteProtocolError, turned into an Error frame
 * and a close at the one inbound entry point) versus ours (LocalProtocolError, thrown to the
 * caller because it is a bug in this process). Stable `name`s: callers and tests switch on them.
 */
import type { ErrorCode } from './messages.js';

/** The peer sent garbage or broke the protocol; `code` goes into the Error frame we answer with. */
export class RemoteProtocolError extends Error {
  override readonly name = 'RemoteProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** This side misused the API (e.g. sendProgress before the manifest, an invalid Manifest). */
export class LocalProtocolError extends Error {
  override readonly name: string = 'LocalProtocolError';
}

/** We were about to send a frame the peer would reject for its size (e.g. a Manifest over 32 MiB). */
export class FrameTooLargeError extends LocalProtocolError {
  override readonly name: string = 'FrameTooLargeError';
  constructor(
    readonly frameBytes: number,
    readonly maxFrameBytes: number,
  ) {
    super(`frame payload of ${frameBytes} bytes exceeds the ${maxFrameBytes}-byte limit`);
  }
}

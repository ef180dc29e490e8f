/**
 * A stream the sender could not keep serving (the shared stream's socket or worker failed, a
 * stream worker crashed): the session ends, every receiver is told this message, and send()
 * rejects with it.
 */
export class StreamFailedError extends Error {
  override readonly name = 'StreamFailedError';
}

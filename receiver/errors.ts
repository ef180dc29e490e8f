/**
 * Errors raised by the receiver. Stable `name`s: the CLI, the adapters and tests switch on them.
 * Network input never throws (it is counted as drops); these are for decisions that end a
 * transfer or refuse to start one.
 */

/** The manifest's file name (or the --out path) would write outside the intended place. */
export class UnsafeOutputPathError extends Error {
  override readonly name = 'UnsafeOutputPathError';
}

/** The sender's manifest asks for more than this receiver accepts, or is inconsistent. */
export class ManifestRejectedError extends Error {
  override readonly name = 'ManifestRejectedError';
}

/**
 * A receiver that trusts publishers (--trust) refused the manifest: unsigned, signed by a key it
 * does not trust, a signature that does not verify, or an older version than one it already
 * accepted (a replay). `reason` says which.
 */
export class UntrustedManifestError extends Error {
  override readonly name = 'UntrustedManifestError';
  constructor(
    readonly reason: 'unsigned' | 'untrusted-key' | 'bad-signature' | 'replayed',
    message: string,
  ) {
    super(message);
  }
}

/**
 * An enrolled receiver (--key) refused the sender: it could not prove it holds the receiver's
 * key, skipped the challenge, or offered datagrams without the MAC key.
 */
export class SenderAuthenticationError extends Error {
  override readonly name = 'SenderAuthenticationError';
}

/** The whole file's SHA-256 differs from the manifest's (every segment verified on its own). */
export class HashMismatchError extends Error {
  override readonly name = 'HashMismatchError';
}

/**
 * A source (a relay, or the publisher's own sender) kept serving segments that do not match the
 * manifest's digests: MAX_SOURCE_MISMATCHES of them. The receiver drops it, keeps what it
 * verified, and continues from another source (ReceiveOptions.sources) if it has one.
 */
export class TamperedSourceError extends Error {
  override readonly name = 'TamperedSourceError';
  constructor(
    /** host:port of the source dropped. */
    readonly source: string,
    /** The publisher whose signed digests it failed (absent: an unsigned manifest's digests). */
    readonly publisherId: string | undefined,
  ) {
    super(
      publisherId === undefined
        ? `sender ${source} served content that does not match its manifest's digests`
        : `relay ${source} served content that does not match publisher ${publisherId}`,
    );
  }
}

/** A filesystem failure while assembling the output (disk full, quota, I/O error, ...). */
export class DiskError extends Error {
  override readonly name = 'DiskError';
  constructor(
    message: string,
    /** errno code of the cause when there was one ("ENOSPC", "EIO", ...). */
    readonly code: string | undefined,
    /** The file the failing operation was about. */
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The transfer ended before completion: a Stop(aborted), a local abort, an idle timeout. */
export class TransferAbortedError extends Error {
  override readonly name = 'TransferAbortedError';
}

/** A decode worker died (crash, out of memory, exit) while it held a job. */
export class DecodeWorkerError extends Error {
  override readonly name = 'DecodeWorkerError';
}

/**
 * How the control channel was lost, when it was (not refused): the transfer was interrupted, so
 * its staging is kept for a resume and, under waitForSenderMs, the receiver connects again.
 */
export type ControlLoss = 'connect-failed' | 'vanished' | 'sender-stopped';

/** The control channel failed below the transfer: cannot connect, the sender vanished, refused or stopped us. */
export class ReceiveError extends Error {
  override readonly name = 'ReceiveError';
  /** Set when the channel was lost rather than refused (see ControlLoss). */
  readonly loss: ControlLoss | undefined;

  constructor(message?: string, options?: { cause?: unknown; loss?: ControlLoss }) {
    super(message, options);
    this.loss = options?.loss;
  }
}

/** A ReceiveOptions field is out of range (a caller's mistake, found before any socket opens). */
export class ReceiveOptionsError extends Error {
  override readonly name = 'ReceiveOptionsError';
}

/**
 * A target cannot be replaced, found before any data is streamed: a directory where a file goes
 * (or the reverse), a special file in the way, an unwritable or immutable place, an existing
 * target under --no-clobber, an unusable --backup directory. `path` names it.
 */
export class OutputConflictError extends Error {
  override readonly name = 'OutputConflictError';
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

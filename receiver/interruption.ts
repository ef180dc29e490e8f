/**
 * What a failed receive leaves behind (resume). An interrupted transfer keeps its staging, so
 * the next run (after a crash, a restart of either side, a lost link) receives only what is
 * missing; a transfer that failed for good removes it, so nothing named `.fountcast-` outlives
 * it. And which interruptions are worth connecting again for, under waitForSenderMs.
 */
import { DecodeWorkerError, DiskError, ReceiveError, TamperedSourceError, TransferAbortedError } from './errors.js';

/** Disk errors that say nothing about the staged bytes: retrying later may well work. */
const TRANSIENT_DISK = new Set(['EAGAIN', 'EINTR', 'EBUSY', 'ETIMEDOUT', 'ENOMEM', 'EMFILE', 'ENFILE']);

/**
 * Keep the staging after `error`? Yes when the transfer was interrupted: the caller aborted
 * (signal, SIGTERM), the control connection was lost or never came (idle timeout, reset, connect
 * failure), the sender stopped, a decode worker died, or a transient disk error. No when it
 * failed for good: a refused or untrusted manifest (a replay too), a whole-object hash mismatch,
 * a path refused, a disk error such as ENOSPC or EIO, the sender's refusal, or anything unknown.
 */
export function keepsStaging(error: Error): boolean {
  // A tampering source: every segment kept was verified against the digests; another source resumes.
  if (error instanceof TransferAbortedError || error instanceof DecodeWorkerError || error instanceof TamperedSourceError) return true;
  if (error instanceof ReceiveError) return error.loss !== undefined;
  if (error instanceof DiskError) return error.code !== undefined && TRANSIENT_DISK.has(error.code);
  return false;
}

/**
 * Connect again after `error` (waitForSenderMs > 0, the transfer under way)? When the control
 * connection dropped or the sender stopped: a restarted sender serves the same content again.
 * Not after a connect failure (that wait already had its time) nor after our own abort.
 */
export function reconnects(error: Error): boolean {
  return error instanceof ReceiveError && (error.loss === 'vanished' || error.loss === 'sender-stopped');
}

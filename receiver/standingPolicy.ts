/**
 * The standing receiver's decisions, without I/O: whether an offered manifest is worth taking
 * given what was stored last, what a failed run means (no sender yet, a refusal, a failure),
 * and how long to wait before asking again. standingReceiver.ts carries them out.
 */
import { createHash } from 'node:crypto';
import type { Manifest } from '../control/messages.js';
import { signerOf } from './senderChecks.js';
import type { StoredPublication } from './standingState.js';

/** @default 5 s between offers that changed nothing (and after a publication, a refusal or a failure). */
export const DEFAULT_POLL_INTERVAL_MS = 5_000;
/** The first pause after a refused connection; it doubles up to the poll interval. */
export const FIRST_CONNECT_BACKOFF_MS = 250;
/** Repeated refusals and failures are retried less and less often, down to one a minute. */
export const MAX_TROUBLE_BACKOFF_MS = 60_000;

/** What identifies an offered publication's content, from its manifest (before it is verified). */
export interface Offer {
  readonly fileName: string;
  /** Absent while the sender's digests follow: the content is not known before it is received. */
  readonly sha256: string | undefined;
  readonly entriesSha256: string | undefined;
  /** The key the manifest claims to be signed with, and its publication time (checked by receive()). */
  readonly publisherId: string | undefined;
  readonly publishedAt: number | undefined;
}

export function offerOf(m: Manifest): Offer {
  return {
    fileName: m.fileName,
    sha256: m.fileSha256,
    // Two trees with the same packed bytes may differ in names, modes or links. Not the files'
    // digests: the object's digest and the sizes already fix each file's bytes, and a manifest
    // whose digests follow has none.
    entriesSha256:
      m.entries &&
      createHash('sha256')
        .update(JSON.stringify(m.entries, (k, v: unknown) => (k === 'sha256' ? undefined : v)))
        .digest('hex'),
    publisherId: signerOf(m),
    publishedAt: m.publication?.publishedAt,
  };
}

export type OfferVerdict =
  | { readonly type: 'take' }
  /** The same content is in place already: decline before anything is received. */
  | { readonly type: 'unchanged' }
  | { readonly type: 'refuse'; readonly reason: 'not-newer'; readonly message: string };

/**
 * `last`: the publication stored last into this --out; `lastPresent`: it is still on disk.
 * Under --trust, an offer from the same publisher for the same name must be strictly newer,
 * but for the very version stored, which is "unchanged" (or taken again if it was removed:
 * restoring it rolls nothing back). An older one is left to receive(), whose trust state
 * refuses it after checking the signature, so the refusal names a forgery as such.
 */
export function judgeOffer(last: StoredPublication | undefined, lastPresent: boolean, offer: Offer, trusted: boolean): OfferVerdict {
  if (last === undefined || offer.sha256 === undefined) return { type: 'take' };
  const sameContent = offer.fileName === last.fileName && offer.sha256 === last.sha256 && offer.entriesSha256 === last.entriesSha256;
  if (!trusted || last.publishedAt === undefined || offer.publisherId !== last.publisherId || offer.fileName !== last.fileName)
    return sameContent && lastPresent ? { type: 'unchanged' } : { type: 'take' };
  if (offer.publishedAt === undefined || offer.publishedAt !== last.publishedAt) return { type: 'take' };
  if (!sameContent)
    return {
      type: 'refuse',
      reason: 'not-newer',
      message: `${offer.fileName} was offered with other content but the same publication time (${new Date(last.publishedAt).toISOString()}) as the version stored: not newer, kept what is stored`,
    };
  return lastPresent ? { type: 'unchanged' } : { type: 'take' };
}

/** Errno codes of a connection attempt that mean "no sender there (yet)": wait, do not report. */
const NO_SENDER = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ETIMEDOUT', 'EAI_AGAIN']);

export type RefusalReason = 'not-newer' | 'replayed' | 'unsigned' | 'untrusted-key' | 'bad-signature' | 'rejected';

export type RunFailure = { readonly type: 'no-sender' } | { readonly type: 'refused'; readonly reason: RefusalReason } | { readonly type: 'failed' };

/**
 * A run that ended without storing: before any manifest, a connection the sender's host did not
 * take is waiting; the receiver turning the offer down is a refusal; anything else a failure.
 */
export function classifyFailure(error: Error, sawManifest: boolean): RunFailure {
  if (error.name === 'UntrustedManifestError') return { type: 'refused', reason: (error as Error & { reason: RefusalReason }).reason };
  if (error.name === 'ManifestRejectedError' || error.name === 'UnsafeOutputPathError') return { type: 'refused', reason: 'rejected' };
  const code = (error as Error & { cause?: unknown }).cause;
  if (!sawManifest && error.name === 'ReceiveError' && typeof code === 'string' && NO_SENDER.has(code)) return { type: 'no-sender' };
  return { type: 'failed' };
}

/** Pauses that grow while nothing changes: `firstMs`, doubling, at most `maxMs`. */
export class Backoff {
  private nextMs: number;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {
    this.nextMs = Math.min(firstMs, maxMs);
  }

  next(): number {
    const ms = this.nextMs;
    this.nextMs = Math.min(this.maxMs, this.nextMs * 2);
    return ms;
  }

  reset(): void {
    this.nextMs = Math.min(this.firstMs, this.maxMs);
  }
}

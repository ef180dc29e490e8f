/**
 * The standing receiver (`receive --daemon`): receive() in a loop against one sender address,
 * for as long as the caller's AbortSignal allows. It waits for the sender (a refused connection
 * is retried after a pause that grows up to the poll interval), takes a publication, and waits
 * for the next one. What it stored last per --out (standingState.ts) is remembered across
 * restarts, so the same content offered again is declined right after the manifest, before any
 * file is opened or datagram asked for, and asked about again one poll interval later. Under
 * --trust a version must be newer than the stored one (standingPolicy.ts judges; the trust
 * state refuses the replays). A refusal or a failure is reported and the loop goes on.
 *
 * The caller sees one event per publication; the loop does not ask the sender again until the
 * caller has taken the event (an --on-complete hook finishes before the next transfer starts).
 * On abort it returns: a transfer in progress is aborted through receive()'s own signal, which
 * keeps what that run keeps for a resume; nothing is removed here.
 */
import { access } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Manifest } from '../control/messages.js';
import { ReceiveOptionsError } from './errors.js';
import { receive } from './receive.js';
import { resolveReceiveConfig, type ReceiveOptions } from './receiveConfig.js';
import type { ReceiveSummary } from './receiveStates.js';
import {
  Backoff,
  classifyFailure,
  DEFAULT_POLL_INTERVAL_MS,
  FIRST_CONNECT_BACKOFF_MS,
  judgeOffer,
  MAX_TROUBLE_BACKOFF_MS,
  offerOf,
  type Offer,
  type OfferVerdict,
  type RefusalReason,
} from './standingPolicy.js';
import { defaultStandingStatePath, StandingState, type StoredPublication } from './standingState.js';

export interface StandingReceiveOptions extends Omit<ReceiveOptions, 'waitForSenderMs'> {
  /**
   * How often to ask the sender again once an offer changed nothing (and after a publication, a
   * refusal or a failure; repeated refusals and failures back off to a minute). @default 5000
   */
  pollIntervalMs?: number;
  /** The file remembering the last publication stored per --out. @default defaultStandingStatePath(trust.statePath) */
  statePath?: string;
}

/** One event per publication offered (and one per wait for a sender that is not there). */
export type PublicationEvent =
  /** Nothing listens at the sender's address (anymore): retrying quietly until it does. */
  | { readonly type: 'waiting'; readonly host: string; readonly port: number }
  /** Received, verified and in place (under --trust: signed by `publisherId` at `publishedAt`). */
  | { readonly type: 'stored'; readonly fileName: string; readonly summary: ReceiveSummary; readonly publisherId?: string; readonly publishedAt?: number }
  /** The sender offers what is in place already: declined before receiving anything. */
  | { readonly type: 'unchanged'; readonly fileName: string; readonly sha256: string }
  /** The offer was turned down (replayed or not newer under --trust, untrusted, unsafe, ...). */
  | { readonly type: 'refused'; readonly reason: RefusalReason; readonly fileName?: string; readonly message: string; readonly error?: Error }
  /** The run failed (sender vanished, disk, ...); `fileName` when a manifest had come. */
  | { readonly type: 'failed'; readonly error: Error; readonly fileName?: string };

/** Collaborators, for tests: one receive run, an abortable pause, a file check, the wall clock. */
export interface StandingSeams {
  receiveOnce?: (options: ReceiveOptions) => Promise<ReceiveSummary>;
  /** Resolves after `ms`, or early once `signal` aborts; never rejects. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  exists?: (path: string) => Promise<boolean>;
  wallClock?: () => number;
}

const defaultSleep = (ms: number, signal: AbortSignal | undefined) => delay(ms, undefined, { signal }).catch(() => undefined);
const defaultExists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Receives publications from `host:port` into `out` until `signal` aborts, yielding one event for
 * each. Option errors and an unreadable state file throw (before anything connects); every
 * other trouble is an event and the loop goes on.
 */
export async function* receiveForever(options: StandingReceiveOptions, seams: StandingSeams = {}): AsyncGenerator<PublicationEvent, void, undefined> {
  const { pollIntervalMs, statePath, ...receiveOptions } = options;
  const pollMs = pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  if (typeof pollMs !== 'number' || !Number.isFinite(pollMs) || pollMs < 1)
    throw new ReceiveOptionsError(`pollIntervalMs must be a finite number of milliseconds >= 1, not ${pollMs}`);
  if ((options as ReceiveOptions).waitForSenderMs !== undefined)
    throw new ReceiveOptionsError('waitForSenderMs does not apply to a standing receiver: it waits for the sender for as long as it runs');
  if ((options as ReceiveOptions).control !== undefined)
    throw new ReceiveOptionsError('a standing receiver connects again and again: it cannot run over one control stream');
  const config = resolveReceiveConfig(options);
  const receiveOnce = seams.receiveOnce ?? receive;
  const sleep = seams.sleep ?? defaultSleep;
  const exists = seams.exists ?? defaultExists;
  const wallClock = seams.wallClock ?? Date.now;
  const trusted = config.trust !== undefined;
  const state = await StandingState.load(statePath ?? defaultStandingStatePath(config.trust?.statePath));
  const signal = options.signal;
  const connectBackoff = new Backoff(FIRST_CONNECT_BACKOFF_MS, pollMs);
  const troubleBackoff = new Backoff(pollMs, Math.max(pollMs, MAX_TROUBLE_BACKOFF_MS));
  let waiting = false;

  while (!signal?.aborted) {
    const last = state.lastStored(config.out);
    // Checked before connecting, so the verdict on a manifest is made at once, before the run opens anything.
    const lastPresent = last !== undefined && (await exists(last.path));
    const run = new AbortController();
    const forward = () => run.abort(signal!.reason);
    signal?.addEventListener('abort', forward, { once: true });
    let offer: Offer | undefined;
    // Set by onManifest (a callback, so the compiler's narrowing must not assume 'take').
    let verdict = { type: 'take' } as OfferVerdict;
    const onManifest = (m: Manifest) => {
      offer = offerOf(m);
      verdict = judgeOffer(last, lastPresent, offer, trusted);
      if (verdict.type !== 'take') run.abort(new Error(verdict.type === 'unchanged' ? 'already current' : 'not newer than the stored version'));
      options.onManifest?.(m);
    };
    let summary: ReceiveSummary | undefined;
    let error: Error | undefined;
    try {
      summary = await receiveOnce({ ...receiveOptions, waitForSenderMs: 0, signal: run.signal, onManifest });
    } catch (e) {
      error = e as Error;
    } finally {
      signal?.removeEventListener('abort', forward);
    }
    if (signal?.aborted) return;

    let pauseMs = pollMs;
    let noSender = false;
    if (summary !== undefined) {
      const o = offer!;
      const stored: StoredPublication = {
        fileName: o.fileName,
        sha256: summary.objectDigest,
        entriesSha256: o.entriesSha256,
        publisherId: trusted ? o.publisherId : undefined,
        publishedAt: trusted ? o.publishedAt : undefined,
        path: summary.path,
        storedAt: wallClock(),
      };
      // Remembered before the caller hears of it: a daemon stopped during --on-complete does not fetch it again.
      const stateError = await state.record(config.out, stored).then(
        () => undefined,
        (e: Error) => e,
      );
      troubleBackoff.reset();
      yield { type: 'stored', fileName: o.fileName, summary, publisherId: stored.publisherId, publishedAt: stored.publishedAt };
      if (stateError) yield { type: 'failed', error: stateError, fileName: o.fileName };
    } else if (verdict.type === 'unchanged') {
      troubleBackoff.reset();
      yield { type: 'unchanged', fileName: offer!.fileName, sha256: offer!.sha256! };
    } else if (verdict.type === 'refuse') {
      pauseMs = troubleBackoff.next();
      yield { type: 'refused', reason: verdict.reason, fileName: offer!.fileName, message: verdict.message };
    } else {
      const failure = classifyFailure(error!, offer !== undefined);
      if (failure.type === 'no-sender') {
        noSender = true;
        pauseMs = connectBackoff.next();
        if (!waiting) yield { type: 'waiting', host: config.host, port: config.port };
      } else {
        pauseMs = troubleBackoff.next();
        if (failure.type === 'refused') yield { type: 'refused', reason: failure.reason, fileName: offer?.fileName, message: error!.message, error };
        else yield { type: 'failed', error: error!, fileName: offer?.fileName };
      }
    }
    waiting = noSender;
    if (!noSender) connectBackoff.reset();
    await sleep(pauseMs, signal);
  }
}

/**
 * The receiver's run as a table (h11 style): its states, the transitions allowed between them,
 * the inputs each state accepts, and the actions the session hands its adapter. ReceiveSession
 * (receiveSession.ts) moves through this table; anything else is a LocalProtocolError, a bug
 * in the caller, never a network condition.
 *
 *   connecting ──connected──> handshaking ──Challenge (proof checked, answered)──> authenticating
 *   handshaking, authenticating ──Manifest (codec, signature, integrity accepted)──> taking-manifest
 *   taking-manifest ──replay checked, file opened, shared stream joined, Request sent──> receiving
 *   receiving ──every segment written, whole-file SHA-256 matches──> committing
 *     (segments held from an earlier run: the SHA-256 is of the object read back, verify-object)
 *   committing ──file fsynced and renamed, Stop(done) sent──> done
 *   any state but done ──refusal, disk/worker failure, sender Stop/Error/close, timeout, abort──> failed
 */
import { LocalProtocolError } from '../control/errors.js';
import type { DataPlane, Manifest } from '../control/messages.js';
import type { Codec } from '../encoder/codec.js';
import type { CodecName } from '../encoder/codecs.js';
import type { Hash } from 'node:crypto';
import type { DecodeJob } from './decodeJob.js';
import type { ReadBackNeeds } from './objectHash.js';
import { digestKindOf } from '../control/objectIdentity.js';
import type { ReceiverCore } from './receiverCore.js';
import type { TreeSync } from './treeStaging.js';

export type ReceiveState = 'connecting' | 'handshaking' | 'authenticating' | 'taking-manifest' | 'receiving' | 'committing' | 'done' | 'failed';

export const RECEIVE_STATES: readonly ReceiveState[] = [
  'connecting',
  'handshaking',
  'authenticating',
  'taking-manifest',
  'receiving',
  'committing',
  'done',
  'failed',
];

/** Every allowed transition; `failed` is reachable from every state but `done`. */
export const RECEIVE_TRANSITIONS: Readonly<Record<ReceiveState, readonly ReceiveState[]>> = Object.freeze({
  connecting: ['handshaking', 'failed'],
  handshaking: ['authenticating', 'taking-manifest', 'failed'],
  authenticating: ['taking-manifest', 'failed'],
  // --sync: a single file already identical is done without a transfer.
  'taking-manifest': ['receiving', 'done', 'failed'],
  receiving: ['committing', 'failed'],
  committing: ['done', 'failed'],
  done: [],
  failed: [],
});

export type ReceiveInput =
  | 'connected'
  | 'connect-failed'
  | 'control-bytes'
  | 'control-eof'
  | 'replay-checked'
  | 'surveyed'
  | 'file-opened'
  | 'shared-listening'
  | 'datagram'
  | 'decode-outcome'
  | 'write-done'
  | 'write-failed'
  | 'object-verified'
  | 'committed'
  | 'local-failure'
  | 'abort'
  | 'timeout';

const LIVE: readonly ReceiveState[] = ['connecting', 'handshaking', 'authenticating', 'taking-manifest', 'receiving', 'committing'];
const CONNECTED: readonly ReceiveState[] = ['handshaking', 'authenticating', 'taking-manifest', 'receiving', 'committing'];

/**
 * The states in which each input is legal. In `done` and `failed` every input is ignored: an
 * adapter cannot recall a write or a decode already under way, and their results may come late.
 */
export const RECEIVE_INPUTS: Readonly<Record<ReceiveInput, readonly ReceiveState[]>> = Object.freeze({
  connected: ['connecting'],
  'connect-failed': ['connecting'],
  'control-bytes': CONNECTED,
  'control-eof': CONNECTED,
  'replay-checked': ['taking-manifest'],
  surveyed: ['taking-manifest'],
  'file-opened': ['taking-manifest'],
  'shared-listening': ['taking-manifest'],
  datagram: LIVE,
  // A decode still out when the file completed (a duplicate job) comes back while committing.
  'decode-outcome': ['receiving', 'committing'],
  'write-done': ['receiving'],
  'write-failed': ['receiving'],
  'object-verified': ['receiving'],
  committed: ['committing'],
  'local-failure': LIVE,
  abort: LIVE,
  timeout: LIVE,
});

export function isTerminal(s: ReceiveState): boolean {
  return s === 'done' || s === 'failed';
}

/** Throws LocalProtocolError unless the table allows `from` → `to`. */
export function checkTransition(from: ReceiveState, to: ReceiveState): void {
  if (!RECEIVE_TRANSITIONS[from].includes(to)) throw new LocalProtocolError(`receive session: no transition from ${from} to ${to}`);
}

/** False for an input that comes after the end (ignore it); throws LocalProtocolError for one the state does not take. */
export function accepts(state: ReceiveState, input: ReceiveInput): boolean {
  if (isTerminal(state)) return false;
  if (!RECEIVE_INPUTS[input].includes(state)) throw new LocalProtocolError(`receive session: ${input} is not valid in state ${state}`);
  return true;
}

/** The --trust record written to the replay state just before the commit. */
export interface TrustRecord {
  readonly publisherId: string;
  readonly fileName: string;
  readonly publishedAt: number;
}

export interface ReceiveSummary {
  path: string;
  bytes: number;
  seconds: number;
  /** The object's identity, verified (hex, Manifest.fileSha256; control/objectIdentity.ts). */
  objectDigest: string;
  /** The object's plain SHA-256 (hex), what sha256sum prints: when its identity is that, or receive --sha256 asked for it. */
  sha256?: string;
  /** Distinct symbols received (accepted by decoders) over all segments. */
  symbolsReceived: number;
  /** Sum of K over all segments. */
  symbolsNeeded: number;
  datagramsReceived: number;
  datagramsLost: number;
  drops: Record<string, number>;
  /** Decode attempts: one per segment, more when the codec needed more symbols or a digest failed. */
  decodeJobs: number;
  /** Of those, the ones run by the fountain codec's decoder in a decode worker (a segment that
   * had every source symbol is only copied together, on the receiving thread). */
  codecDecodes: number;
  decodeFailures: number;
  /** Segments whose decoded bytes failed the manifest's digest and were collected again. */
  hashMismatches: number;
  /** --sync: the target already held exactly this content; nothing was received or written. */
  upToDate?: true;
}

/** What --on-complete is told of a stored object: its identity and, when known, its plain SHA-256. */
export type StoredDigests = Pick<ReceiveSummary, 'objectDigest' | 'sha256'>;

/** --sync found the file already in place, identical: nothing was received. */
export function upToDateSummary(m: Manifest, path: string): Omit<ReceiveSummary, 'codecDecodes'> {
  return {
    path,
    bytes: m.fileSize,
    seconds: 0,
    objectDigest: m.fileSha256!,
    // In place and compared by its identity (localInventory.ts): that is its SHA-256 only of kind bytes.
    ...(digestKindOf(m) === 'bytes' ? { sha256: m.fileSha256! } : {}),
    symbolsReceived: 0,
    symbolsNeeded: 0,
    datagramsReceived: 0,
    datagramsLost: 0,
    drops: {},
    decodeJobs: 0,
    decodeFailures: 0,
    hashMismatches: 0,
    upToDate: true,
  };
}

/** The summary of a stored file, but for codecDecodes (which the adapter's pool knows). */
export function summaryOf(core: ReceiverCore, m: Manifest, path: string, seconds: number): Omit<ReceiveSummary, 'codecDecodes'> {
  const s = core.stats;
  return {
    path,
    // The core's: a length that followed is not in the manifest.
    bytes: core.layout.fileSize,
    seconds,
    objectDigest: core.announcedFileSha256!,
    ...(core.objectSha256 !== undefined ? { sha256: core.objectSha256 } : {}),
    symbolsReceived: s.symbolsReceived,
    symbolsNeeded: s.symbolsNeeded,
    datagramsReceived: s.datagramsReceived,
    datagramsLost: s.datagramsLost,
    drops: { ...s.drops },
    decodeJobs: s.decodeJobs,
    decodeFailures: s.decodeFailures,
    hashMismatches: s.hashMismatches,
  };
}

/** What the session asks its adapter to do (pollAction), in order. */
export type ReceiveAction =
  /** A manifest came (before it is checked): report it. */
  | { readonly type: 'manifest'; readonly manifest: Manifest; readonly signedBy: string | undefined }
  /** --trust: load the replay state and answer handleReplayChecked. */
  | { readonly type: 'check-replay'; readonly statePath: string; readonly record: TrustRecord }
  /** Set up the decode workers for this codec (keyed: the tag kind, for logging its implementation). */
  | { readonly type: 'start-decoders'; readonly codecName: CodecName; readonly codec: Codec; readonly tagKind: number }
  /** Check the targets and open the staging (openStaging.ts) for this accepted manifest; answer handleFileOpened. */
  | {
      readonly type: 'open-file';
      readonly fileName: string;
      readonly fileSize: number;
      readonly segments: number;
      readonly manifest: Manifest;
      /** --sync on a tree: the files kept in place, and whether the object holds only the others. */
      readonly sync?: TreeSync;
    }
  /** --sync: find which of the manifest's files are already in place (localInventory.ts); answer handleSurveyed. */
  | { readonly type: 'survey'; readonly manifest: Manifest }
  /** Bind the shared stream's port (join the group); answer handleSharedListening. */
  | { readonly type: 'listen-shared'; readonly plane: DataPlane }
  | { readonly type: 'decode'; readonly job: DecodeJob; readonly fileHash: Hash | undefined }
  | { readonly type: 'write'; readonly segmentIndex: number; readonly offset: number; readonly data: Uint8Array }
  /**
   * Segments were held (resume) and every segment is written: read the whole object back
   * (`size` bytes in `segmentSize` segments) and answer handleObjectVerified with the digests
   * `needs` asks for (objectDigest.ts); a failed read is a handleLocalFailure.
   */
  | { readonly type: 'verify-object'; readonly size: number; readonly segmentSize: number; readonly needs: ReadBackNeeds }
  /** Record `trust` (if any), fsync and rename the file to `finalPath`; answer handleCommitted. */
  | { readonly type: 'commit'; readonly finalPath: string; readonly trust: { readonly statePath: string; readonly record: TrustRecord } | undefined }
  /** Stored and Stop(done) queued; `codecDecodes` is the adapter's to fill in (its pool knows). */
  | { readonly type: 'done'; readonly summary: Omit<ReceiveSummary, 'codecDecodes'> }
  | { readonly type: 'fail'; readonly error: Error };

/**
 * The table's mechanics, shared by the session: the state, the action queue, the input check,
 * transitions, and the one failure (the first cause wins; work queued for the run is dropped).
 */
export abstract class ReceiveMachine {
  protected _state: ReceiveState = 'connecting';
  private _error: Error | undefined;
  protected readonly actions: ReceiveAction[] = [];
  /** Something changed since the core was last serviced (datagrams are batched until a poll). */
  protected dirty = false;

  constructor(protected now: number) {}

  get state(): ReceiveState {
    return this._state;
  }

  /** Why the run failed (state `failed`). */
  get error(): Error | undefined {
    return this._error;
  }

  /** Checks the input against the table; false when the run has already ended. */
  protected enter(input: ReceiveInput, now: number): boolean {
    if (!accepts(this._state, input)) return false;
    this.now = Math.max(this.now, now);
    this.dirty = true;
    return true;
  }

  protected to(next: ReceiveState): void {
    checkTransition(this._state, next);
    this._state = next;
  }

  protected fail(error: Error): void {
    if (isTerminal(this._state)) return;
    this.to('failed');
    this._error = error;
    // Work queued for the run is moot now; the adapter discards the file.
    const keep = this.actions.filter((a) => a.type === 'manifest');
    this.actions.length = 0;
    this.actions.push(...keep, { type: 'fail', error });
  }
}

/**
 * The sender's per-receiver session as a table (h11 style): its states, the inputs that move it,
 * and the actions it asks its adapter for. receiverSession.ts is the machine that follows it.
 *
 *   handshaking    --hello-->         authenticating   (enrolled receivers: key lookup, Challenge)
 *                  --hello-->         hashing          (digests not ready, receiver cannot take them later;
 *                                                        or a pipe not yet read to its end, receiver cannot
 *                                                        take its length later, or the stream is shared)
 *                  --hello-->         manifest-sent
 *                  --hello-->         failed           (refused: codec, maximum of receivers)
 *                  --closed-->        failed           (handshake timeout, EOF, garbage, abort)
 *   authenticating --key-->           authenticating   (enrolled: Challenge sent)
 *                  --key-->           failed           (not enrolled, lookup failed)
 *                  --auth-response--> hashing | manifest-sent | failed (wrong proof)
 *                  --closed-->        failed
 *   hashing        --digests-->       manifest-sent    (every digest known; else stays)
 *                  --closed-->        failed
 *   manifest-sent  --request-->       streaming        (the stream starts here, not before)
 *                  --request-->       failed           (its `have` does not fit the manifest: bad-message)
 *                  --closed-->        failed           (handshake timeout: Request never came)
 *                  --closed-->        done             (Stop(done) instead of a Request: --sync found it up to date)
 *   streaming      --progress-->      streaming        (forwarded to the stream)
 *                  --stream-end-->    streaming        (an error sends Stop(aborted); closed follows)
 *                  --closed-->        closing          (stream told to stop; Stop(done) from the
 *                                                        receiver, idle timeout, abort, EOF)
 *   closing        --stream-end-->    done | failed    (done iff the receiver said Stop(done))
 *   done, failed: terminal; the outcome (summary) is handed out once.
 *
 * Every state also takes `closed` (the control connection ended for any reason); `abort` sends
 * Stop(aborted) and so reaches `closed`. Heartbeats and the timers live in SenderConnection.
 */
import type { Progress } from '../control/messages.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import type { StreamStats } from './streamCore.js';
import type { BitSet } from '../util/bitset.js';

export type SessionState = 'handshaking' | 'authenticating' | 'hashing' | 'manifest-sent' | 'streaming' | 'closing' | 'done' | 'failed';

export type SessionInput = 'hello' | 'key' | 'auth-response' | 'digests' | 'request' | 'progress' | 'stream-end' | 'closed';

/** state -> input -> the states it may lead to. A move not listed is a bug here (LocalProtocolError). */
export const SESSION_TABLE: { readonly [S in SessionState]: { readonly [I in SessionInput]?: readonly SessionState[] } } = {
  handshaking: { hello: ['authenticating', 'hashing', 'manifest-sent', 'failed'], closed: ['failed'] },
  authenticating: { key: ['authenticating', 'failed'], 'auth-response': ['hashing', 'manifest-sent', 'failed'], closed: ['failed'] },
  hashing: { digests: ['hashing', 'manifest-sent'], closed: ['failed'] },
  'manifest-sent': { digests: ['manifest-sent'], request: ['streaming', 'failed'], closed: ['failed', 'done'] },
  streaming: { digests: ['streaming'], progress: ['streaming'], 'stream-end': ['streaming'], closed: ['closing'] },
  closing: { 'stream-end': ['done', 'failed'] },
  done: {},
  failed: {},
};

export const TERMINAL: ReadonlySet<SessionState> = new Set(['done', 'failed']);

/** The per-stream counts a receiver's summary carries. */
export type StreamCounts = Pick<
  StreamStats,
  'datagramsSent' | 'repairSymbolsSent' | 'sourceRetransmits' | 'lossEstimate' | 'rateBytesPerSecond' | 'congestionEvents' | 'stallBursts'
>;

export const NO_COUNTS: StreamCounts = Object.freeze({
  datagramsSent: 0,
  repairSymbolsSent: 0,
  sourceRetransmits: 0,
  lossEstimate: 0,
  rateBytesPerSecond: 0,
  congestionEvents: 0,
  stallBursts: 0,
});

export function pickCounts(s: Partial<StreamCounts>): Partial<StreamCounts> {
  const out: Partial<StreamCounts> = {};
  for (const k of Object.keys(NO_COUNTS) as (keyof StreamCounts)[]) if (s[k] !== undefined) out[k] = s[k];
  return out;
}

export interface ReceiverSummary extends StreamCounts {
  receiverId: string;
  /** A named receiver (SendOptions.peers): its name, as given. */
  peer?: string;
  address: string;
  outcome: 'completed' | 'failed';
  reason: string;
  seconds: number;
  /** From the receiver's last Progress: datagrams it got, and those it saw lost (loss seen). */
  datagramsReceived: number;
  datagramsLost: number;
  /**
   * Bytes of its object it holds as the session ends (all of it when completed; else as of its
   * last Progress). Set by the server, which knows the object's layout.
   */
  bytes?: number;
}

/** How a stream ended, as the adapter reports it (a shared stream: when this member left it). */
export interface StreamEnd {
  reason: 'complete' | 'stopped' | 'error';
  message?: string;
  stats: Partial<StreamCounts>;
}

/** What a receiver has been told of an object whose length follows. */
export interface AnnouncedObject {
  /** The announced segments (each full), or with `final` the whole object. */
  readonly layout: SegmentLayout;
  /** The length has been announced: the object will not grow again. */
  readonly final: boolean;
}

/** What the session asks of its adapter (besides the frames from pollTransmit). */
export type SessionAction =
  | { readonly type: 'lookup-key'; readonly name: string }
  /** Unicast: start this receiver's stream. */
  | {
      readonly type: 'start-stream';
      readonly sessionId: number;
      readonly window: number;
      readonly tagKind: number;
      readonly dataKey?: Uint8Array;
      /** Where its datagrams go: the transport's peer address, or (pipes) the one its Hello reported. */
      readonly address: string;
      readonly udpPort: number;
      /** Resume: the bitmap of segments it holds (Request.have, checked), never sent to it. */
      readonly held?: Uint8Array;
      /**
       * --sync: the tree's files it lacks (Request.want, checked). The adapter opens the object
       * packed from those alone, streams that, and hands its digests to handleSubset.
       */
      readonly want?: BitSet;
      /**
       * The Manifest said the length follows (a piped object): the segments announced to this
       * receiver so far (`final`: the length too). The stream serves those, read from the
       * spool, and learns of more through 'grow-stream'.
       */
      readonly growing?: AnnouncedObject;
    }
  /** A piped object grew (or ended): Digests frames announced it to this receiver; its stream may serve it. */
  | ({ readonly type: 'grow-stream' } & AnnouncedObject)
  /** Shared stream: join it (the adapter answers a later leave with handleStreamEnd). */
  | { readonly type: 'join-shared'; readonly window: number; readonly held?: Uint8Array }
  | { readonly type: 'progress'; readonly progress: Progress }
  | { readonly type: 'stop-stream'; readonly reason: string }
  | { readonly type: 'leave-shared' }
  | { readonly type: 'log'; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly message: string; readonly fields?: Record<string, unknown> }
  /** Terminal: the summary (undefined for a connection that never got past Hello, with why it closed). */
  | { readonly type: 'ended'; readonly summary?: ReceiverSummary; readonly reason?: string };

/** Typed messages between the main thread and a stream worker (sender/streamWorker.ts). */
import type { DataPlane, Progress } from '../control/messages.js';
import type { CodecName } from '../encoder/codecs.js';
import type { RaptorQWasmModule } from '../encoder/raptorq.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import type { ObjectPart } from './objectReader.js';
import type { StreamSocketPlan } from './streamSocket.js';
import type { RecoveryMode, StreamStats } from './streamCore.js';

/** What both kinds of stream worker are told. */
interface CommonWorkerData {
  wasmModule: RaptorQWasmModule;
  /** The files whose bytes, back to back, are the object the segments carry (objectReader.ts). */
  parts: readonly ObjectPart[];
  layout: SegmentLayout;
  sessionId: number;
  /** The rate ceiling, bytes/s (0 = none). */
  rateBytesPerSecond: number;
  /** Pace at exactly the rate instead of adapting below it. */
  fixedRate: boolean;
  /** Nice adjustment while pacing (util/threadPriority.ts; send() picks it, see SendOptions.streamNice). @default 0 (leave alone) */
  streamNice?: number;
  /** @default 'auto' */
  recovery?: RecoveryMode;
  /** @default 'raptorq' */
  codecName?: CodecName;
  /** Datagram tag kind. @default TagKind.Crc32 */
  tagKind?: number;
  /** The datagram MAC key when tagKind is keyed. */
  dataKey?: Uint8Array;
  /** The UDP socket to send on: family, local address, destination (streamSocket.ts). */
  socket: StreamSocketPlan;
  /**
   * Boot (connect the socket, load the codec) but send nothing until a 'start'
   * message, so the worker's boot overlaps the receivers' own set-up. @default false
   */
  waitForStart?: boolean;
  /**
   * An object still arriving (a relay serving what it receives, cut-through): its bytes are read
   * from `path` (no size or mtime check: it is being written), only the segments in `available`
   * (a bitmap, as BitSet.toBytes) and those 'available' messages name later.
   */
  incoming?: { path: string; available: Uint8Array };
}

/** One receiver's stream to its own UDP port: a stream with one member. */
export interface UnicastWorkerData extends CommonWorkerData {
  mode: 'unicast';
  /** The receiver's Hello.window. */
  window: number;
  /** Resume: the bitmap of segments the receiver holds (Request.have's bytes); never sent. */
  held?: Uint8Array;
  stallTimeoutMs?: number;
  /**
   * A piped object whose length followed in this receiver's Manifest: segments are read from the
   * spool (spoolReader.ts, not `parts`), `layout` is what was announced when the stream started,
   * and 'grow' messages bring more. `final`: the length was announced already.
   */
  spool?: { path: string; final: boolean };
}

/** The one multicast/broadcast stream of a shared session. */
export interface SharedWorkerData extends CommonWorkerData {
  mode: 'shared';
  /** @default true: see SendOptions.combineResends */
  combineResends?: boolean;
  /** @default true: see SendOptions.repeatFinalResends */
  repeatFinalResends?: boolean;
  /** Cycle through the file while nobody needs anything. */
  carousel?: boolean;
  dataPlane: DataPlane;
}

export type StreamWorkerData = UnicastWorkerData | SharedWorkerData;

export type ToStreamWorker =
  /** Begin sending (a worker booted with waitForStart). */
  | { type: 'start' }
  /** `held`: as UnicastWorkerData.held, for this member. */
  | { type: 'join'; id: string; window: number; held?: Uint8Array }
  | { type: 'leave'; id: string }
  | { type: 'progress'; id: string; progress: Progress }
  | { type: 'stop'; reason: string }
  /** A piped object's receiver was told of more segments (`final`: and of its length). Unicast only. */
  | { type: 'grow'; layout: SegmentLayout; final: boolean }
  /** Segment `index` of an object still arriving (CommonWorkerData.incoming) can be read now. */
  | { type: 'available'; index: number };

/** 'complete': a unicast stream's receiver has everything. */
export type StreamFinishReason = 'complete' | 'stopped' | 'error';

export type FromStreamWorker =
  | { type: 'stats'; stats: StreamStats }
  | { type: 'drop'; id: string; reason: string }
  /** `sourceChanged`: reading the object failed because it is no longer as announced (SourceFileError). */
  | { type: 'finished'; reason: StreamFinishReason; message?: string; stats: StreamStats; sourceChanged?: boolean };

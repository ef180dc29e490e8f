/** Typed messages between the main thread and a stream worker (sender/streamWorker.ts). */
import type { Progress } from '../control/messages.js';
import type { CodecName } from '../encoder/codecs.js';
import type { RaptorQWasmModule } from '../encoder/raptorq.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import type { RecoveryMode, SenderStreamStats } from './streamCore.js';

export interface StreamWorkerData {
  wasmModule: RaptorQWasmModule;
  filePath: string;
  layout: SegmentLayout;
  sessionId: number;
  rateBytesPerSecond: number;
  fixedRate: boolean;
  /** Nice adjustment while pacing (util/threadPriority.ts; send() picks it, see SendOptions.streamNice). @default 0 (leave alone) */
  streamNice?: number;
  recovery: RecoveryMode;
  window: number;
  tagKind: number;
  /** The datagram MAC key when tagKind is keyed (authenticated receivers). */
  dataKey?: Uint8Array;
  codecName: CodecName;
  destination: { address: string; port: number };
  stallTimeoutMs?: number;
  /**
   * Boot (open the file, connect the socket, load the codec) but send nothing until a 'start'
   * message: the sender starts the worker with the Manifest and says start on Request, so the
   * ~50 ms a worker takes to boot overlap the receiver's own set-up.
   */
  waitForStart?: boolean;
}

export type ToStreamWorker = { type: 'start' } | { type: 'progress'; progress: Progress } | { type: 'stop'; reason: string };

export type StreamFinishReason = 'complete' | 'stopped' | 'error';

export type FromStreamWorker =
  | { type: 'stats'; stats: SenderStreamStats }
  | { type: 'finished'; reason: StreamFinishReason; message?: string; stats: SenderStreamStats };

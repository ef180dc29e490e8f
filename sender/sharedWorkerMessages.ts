/** Typed messages between the main thread and the shared-stream worker (sharedStreamWorker.ts). */
import type { DataPlane, Progress } from '../control/messages.js';
import type { CodecName } from '../encoder/codecs.js';
import type { RecoveryMode } from './streamCore.js';
import type { RaptorQWasmModule } from '../encoder/raptorq.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import type { SharedStreamStats } from './sharedStreamCore.js';

export interface SharedWorkerData {
  wasmModule: RaptorQWasmModule;
  filePath: string;
  layout: SegmentLayout;
  sessionId: number;
  rateBytesPerSecond: number;
  /** Pace at exactly the rate instead of following the slowest member's controller. */
  fixedRate: boolean;
  /** Nice adjustment while pacing (util/threadPriority.ts; send() picks it, see SendOptions.streamNice). @default 0 (leave alone) */
  streamNice?: number;
  /** @default 'auto' */
  recovery?: RecoveryMode;
  /** @default true: see SendOptions.combineResends */
  combineResends?: boolean;
  /**
   * Boot (file, socket, wasm) but send nothing until a 'start' message: the session boots the
   * worker when it listens and starts it when its start policy says so. @default false
   */
  waitForStart?: boolean;
  /** @default 'raptorq' */
  codecName?: CodecName;
  /** Datagram tag kind. @default TagKind.Crc32 */
  tagKind?: number;
  /** The group's datagram MAC key when tagKind is keyed (one key for every member). */
  dataKey?: Uint8Array;
  /** Cycle through the file while nobody needs anything. */
  carousel?: boolean;
  dataPlane: DataPlane;
  /** Local address whose interface carries the multicast stream (IP_MULTICAST_IF). */
  interfaceAddress?: string;
  /** Multicast TTL. @default 1 (this LAN) */
  ttl?: number;
  /** Broadcast destination. @default 255.255.255.255 */
  broadcastAddress?: string;
}

export type ToSharedWorker =
  | { type: 'join'; id: string; window: number }
  | { type: 'leave'; id: string }
  | { type: 'progress'; id: string; progress: Progress }
  | { type: 'stop'; reason: string }
  /** Begin sending (a worker booted with waitForStart). */
  | { type: 'start' };

export type FromSharedWorker =
  | { type: 'stats'; stats: SharedStreamStats }
  | { type: 'drop'; id: string; reason: string }
  | { type: 'finished'; reason: 'stopped' | 'error'; message?: string; stats: SharedStreamStats };

/**
 * The one place the sender's session adapters touch stream workers: a unicast StreamPort per
 * receiver and the SharedStreamPort of a multicast/broadcast session, each made by one factory
 * from the config. When the stream handles change, only this file follows.
 */
import type { Progress } from '../control/messages.js';
import type { RaptorQWasmModule } from '../encoder/raptorq.js';
import type { PreparedFile } from './preparedFile.js';
import type { AnnouncedObject, StreamEnd } from './receiverSessionTable.js';
import type { SendConfig, SharedStreamConfig } from './sendConfig.js';
import type { StreamStats } from './streamCore.js';
import { StreamHandle } from './streamHandle.js';
import { unicastSocketPlan } from './streamSocket.js';

/** A receiver's own stream: booted and started on Request. */
export interface StreamPort {
  progress(p: Progress): void;
  /** The receiver was told of more of a piped object (its Manifest's length followed). */
  grow(o: AnnouncedObject): void;
  stop(reason: string): void;
  /** The stream's counts, about every 250 ms. */
  onStats(cb: (s: StreamStats) => void): void;
  /** `workerFailed` (the worker itself failed) or `sourceChanged` (see StreamFinished): the sender cannot serve anyone. */
  readonly finished: Promise<StreamEnd & { workerFailed?: boolean; sourceChanged?: boolean }>;
}

/** A unicast stream's one member: the receiver at its destination. */
const UNICAST_MEMBER = 'receiver';

export interface UnicastStreamParams {
  sessionId: number;
  window: number;
  tagKind: number;
  dataKey?: Uint8Array;
  destination: { address: string; port: number };
  /** Resume: the bitmap of segments the receiver holds (checked by its session). */
  held?: Uint8Array;
  /** A piped object whose length follows: what the receiver was told so far (served from the spool). */
  growing?: AnnouncedObject;
}

export function openUnicastStream(config: SendConfig, file: PreparedFile, wasmModule: RaptorQWasmModule, p: UnicastStreamParams): StreamPort {
  let socket;
  try {
    socket = unicastSocketPlan(p.destination, config.interface);
  } catch (e) {
    // This receiver's address family is one the interface lacks: its stream cannot start.
    return failedStream((e as Error).message);
  }
  const handle = new StreamHandle({
    mode: 'unicast',
    ...commonWorkerData(config, file, wasmModule, p),
    window: p.window,
    socket,
    ...(p.held ? { held: p.held } : {}),
    ...(p.growing ? { layout: p.growing.layout, spool: { path: file.spool!.path, final: p.growing.final } } : {}),
  });
  followIncoming(file, handle);
  return {
    progress: (x) => handle.progress(UNICAST_MEMBER, x),
    grow: (o) => handle.grow(o.layout, o.final),
    stop: (reason) => handle.stop(reason),
    onStats: (cb) => handle.onStats(cb),
    finished: handle.finished,
  };
}

/** A stream that ended before it began. */
function failedStream(message: string): StreamPort {
  return {
    progress: () => undefined,
    grow: () => undefined,
    stop: () => undefined,
    onStats: () => undefined,
    finished: Promise.resolve({ reason: 'error', message, stats: {} }),
  };
}

/** The one stream of a multicast/broadcast session, booted with the session and started by its policy. */
export interface SharedStreamPort {
  readonly stats: StreamStats;
  onDrop?: (id: string, reason: string) => void;
  readonly finished: Promise<{ reason: 'complete' | 'stopped' | 'error'; message?: string }>;
  /** Begins sending (it was booted waiting for this). */
  start(): void;
  /** `held`: the bitmap of segments it holds (resume). */
  join(id: string, window: number, held?: Uint8Array): void;
  leave(id: string): void;
  progress(id: string, p: Progress): void;
  stop(reason: string): void;
}

export interface SharedStreamParams {
  sessionId: number;
  tagKind?: number;
  dataKey?: Uint8Array;
}

export function openSharedStream(
  config: SendConfig & { shared: SharedStreamConfig },
  file: PreparedFile,
  wasmModule: RaptorQWasmModule,
  p: SharedStreamParams,
): SharedStreamPort {
  const sh = config.shared;
  const handle = new StreamHandle({
    mode: 'shared',
    ...commonWorkerData(config, file, wasmModule, p),
    carousel: sh.carousel,
    combineResends: sh.combineResends,
    repeatFinalResends: sh.repeatFinalResends,
    dataPlane: sh.dataPlane,
    socket: sh.socket,
    waitForStart: true,
  });
  followIncoming(file, handle);
  return handle;
}

/**
 * An object still arriving: the worker was given the segments stored so far (commonWorkerData,
 * in the same turn, so none is missed between) and is told of each one stored after, until it ends.
 */
function followIncoming(file: PreparedFile, handle: StreamHandle): void {
  if (!file.incoming) return;
  const unsubscribe = file.incoming.onStored((i) => handle.available(i));
  void handle.finished.then(unsubscribe);
}

/** What every stream worker is told, from the config and the session's keys. */
function commonWorkerData(
  config: SendConfig,
  file: PreparedFile,
  wasmModule: RaptorQWasmModule,
  p: { sessionId: number; tagKind?: number; dataKey?: Uint8Array },
) {
  return {
    wasmModule,
    parts: file.parts,
    layout: file.layout,
    sessionId: p.sessionId,
    rateBytesPerSecond: config.rateBytesPerSecond,
    fixedRate: config.fixedRate,
    streamNice: config.streamNice,
    recovery: config.recovery,
    codecName: config.codec,
    tagKind: p.tagKind,
    dataKey: p.dataKey,
    ...(file.incoming ? { incoming: { path: file.incoming.path, available: file.incoming.stored() } } : {}),
  };
}

/**
 * The sender's shared (multicast/broadcast) session on the main thread: one stream worker for
 * every receiver, started by the start policy, with members joining on Request and leaving on
 * Stop or a dead connection. Late joiners are always accepted; the stream catches them up.
 *
 * Start policy: at the first Request, unless `minReceivers` is set (start once that many have
 * asked) or `waitMs` is set (start that long after the session opened, with whoever is there;
 * with both, whichever comes first). A carousel starts at once, with nobody.
 */
import type { Logger } from 'pino';
import type { CodecName } from '../encoder/codecs.js';
import type { RecoveryMode } from './streamCore.js';
import type { DataPlane, Progress } from '../control/messages.js';
import type { RaptorQWasmModule } from '../encoder/raptorq.js';
import type { PreparedFile } from './preparedFile.js';
import type { SharedStreamStats } from './sharedStreamCore.js';
import { SharedStreamHandle } from './sharedStreamHandle.js';
import type { SharedWorkerData } from './sharedWorkerMessages.js';

export interface SharedSessionInit {
  file: PreparedFile;
  sessionId: number;
  dataPlane: DataPlane;
  rateBytesPerSecond: number;
  fixedRate: boolean;
  /** @default 'auto' */
  recovery?: RecoveryMode;
  /** @default 'raptorq' */
  codecName?: CodecName;
  /** Datagram tag kind and, when keyed, the group's key. @default TagKind.Crc32 */
  tagKind?: number;
  dataKey?: Uint8Array;
  wasmModule: RaptorQWasmModule;
  interfaceAddress?: string;
  ttl?: number;
  broadcastAddress?: string;
  minReceivers?: number;
  waitMs?: number;
  /** Stream from the start, cycling through the file, until stopped. */
  carousel?: boolean;
  /** @default true (SendOptions.combineResends) */
  combineResends?: boolean;
  logger: Logger;
  /** Starts the stream worker (tests pass a fake). @default a SharedStreamHandle */
  startStream?: (data: SharedWorkerData) => SharedStreamLike;
}

/** What the session needs of a running shared stream. */
export interface SharedStreamLike {
  readonly stats: SharedStreamStats;
  onDrop?: (id: string, reason: string) => void;
  readonly finished: Promise<{ reason: 'stopped' | 'error'; message?: string }>;
  join(id: string, window: number): void;
  leave(id: string): void;
  progress(id: string, p: Progress): void;
  stop(reason: string): void;
}

export class SharedSession {
  private handle?: SharedStreamLike;
  private readonly waiting = new Map<string, number>();
  private readonly waitTimer?: NodeJS.Timeout;
  private stopped = false;
  private waitElapsed = false;
  /** Called once if the stream worker fails: the server aborts every member. */
  onFailed?: (message: string) => void;
  /** Called when the stream drops a member (too slow); the server tells that receiver why. */
  onDropped?: (id: string, reason: string) => void;

  constructor(private readonly init: SharedSessionInit) {
    if (init.waitMs !== undefined) {
      this.waitTimer = setTimeout(() => {
        this.waitElapsed = true;
        this.start(`--wait ${init.waitMs} ms elapsed`);
      }, init.waitMs);
      this.waitTimer.unref();
    }
    if (init.carousel) queueMicrotask(() => this.start('carousel'));
  }

  get started(): boolean {
    return this.handle !== undefined;
  }

  get stats(): SharedStreamStats | undefined {
    return this.handle?.stats;
  }

  join(id: string, window: number): void {
    if (this.stopped) return;
    if (this.handle) return this.handle.join(id, window);
    this.waiting.set(id, window);
    const min = this.init.minReceivers;
    const ready = this.waitElapsed || (min !== undefined ? this.waiting.size >= min : this.init.waitMs === undefined);
    if (ready) this.start(`${this.waiting.size} receiver(s) ready`);
    else this.init.logger.info({ waiting: this.waiting.size, minReceivers: min }, `waiting to start: ${this.waiting.size}${min ? `/${min}` : ''} receiver(s)`);
  }

  leave(id: string): void {
    this.waiting.delete(id);
    this.handle?.leave(id);
  }

  progress(id: string, p: Progress): void {
    this.handle?.progress(id, p);
  }

  async stop(reason: string): Promise<void> {
    this.stopped = true;
    clearTimeout(this.waitTimer);
    if (!this.handle) return;
    this.handle.stop(reason);
    await this.handle.finished;
  }

  private start(why: string): void {
    if (this.handle || this.stopped || (this.waiting.size === 0 && !this.init.carousel)) return;
    clearTimeout(this.waitTimer);
    const { dataPlane } = this.init;
    const where = dataPlane.mode === 'multicast' ? `multicast ${dataPlane.group}:${dataPlane.port}` : `broadcast port ${dataPlane.port}`;
    this.init.logger.info({ event: 'shared-stream-start', dataPlane, receivers: this.waiting.size }, `starting the shared stream (${where}): ${why}`);
    const start = this.init.startStream ?? ((data: SharedWorkerData) => new SharedStreamHandle(data));
    this.handle = start({
      wasmModule: this.init.wasmModule,
      filePath: this.init.file.path,
      layout: this.init.file.layout,
      sessionId: this.init.sessionId,
      rateBytesPerSecond: this.init.rateBytesPerSecond,
      fixedRate: this.init.fixedRate,
      recovery: this.init.recovery,
      codecName: this.init.codecName,
      tagKind: this.init.tagKind,
      dataKey: this.init.dataKey,
      carousel: this.init.carousel,
      combineResends: this.init.combineResends,
      dataPlane,
      interfaceAddress: this.init.interfaceAddress,
      ttl: this.init.ttl,
      broadcastAddress: this.init.broadcastAddress,
    });
    this.handle.onDrop = (id, reason) => {
      this.init.logger.warn({ member: id, reason }, `dropping ${id}: ${reason}`);
      this.onDropped?.(id, reason);
    };
    for (const [id, window] of this.waiting) this.handle.join(id, window);
    this.waiting.clear();
    void this.handle.finished.then((f) => {
      if (f.reason !== 'error' || this.stopped) return;
      this.init.logger.error({ message: f.message }, `shared stream failed: ${f.message}`);
      this.onFailed?.(f.message ?? 'shared stream failed');
    });
  }
}

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
import type { StreamStats } from './streamCore.js';
import { StreamHandle } from './streamHandle.js';
import type { SharedWorkerData } from './streamMessages.js';

export interface SharedSessionInit {
  file: PreparedFile;
  sessionId: number;
  dataPlane: DataPlane;
  rateBytesPerSecond: number;
  fixedRate: boolean;
  /** See SendOptions.streamNice (send() picks the default). @default 0 (leave alone) */
  streamNice?: number;
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
  /** Starts the stream worker (tests pass a fake). @default a StreamHandle */
  startStream?: (data: SharedWorkerData) => SharedStreamLike;
}

/** What the session needs of a running shared stream. */
export interface SharedStreamLike {
  readonly stats: StreamStats;
  onDrop?: (id: string, reason: string) => void;
  readonly finished: Promise<{ reason: 'complete' | 'stopped' | 'error'; message?: string }>;
  /** Begins sending (it was made with waitForStart). */
  start(): void;
  join(id: string, window: number): void;
  leave(id: string): void;
  progress(id: string, p: Progress): void;
  stop(reason: string): void;
}

export class SharedSession {
  /**
   * The stream worker, booted with the session (while the first receivers connect) and started
   * by the start policy: booting it at the start cost ~40 ms (thread, module loading, socket,
   * file) between the policy's go and the first datagram.
   */
  private readonly handle: SharedStreamLike;
  private streaming = false;
  private readonly waiting = new Map<string, number>();
  private readonly waitTimer?: NodeJS.Timeout;
  private stopped = false;
  private waitElapsed = false;
  /** Called once if the stream worker fails: the server aborts every member. */
  onFailed?: (message: string) => void;
  /** Called when the stream drops a member (too slow); the server tells that receiver why. */
  onDropped?: (id: string, reason: string) => void;

  constructor(private readonly init: SharedSessionInit) {
    const create = init.startStream ?? ((data: SharedWorkerData) => new StreamHandle(data));
    this.handle = create({
      mode: 'shared',
      wasmModule: init.wasmModule,
      filePath: init.file.path,
      layout: init.file.layout,
      sessionId: init.sessionId,
      rateBytesPerSecond: init.rateBytesPerSecond,
      fixedRate: init.fixedRate,
      streamNice: init.streamNice,
      recovery: init.recovery,
      codecName: init.codecName,
      tagKind: init.tagKind,
      dataKey: init.dataKey,
      carousel: init.carousel,
      combineResends: init.combineResends,
      dataPlane: init.dataPlane,
      interfaceAddress: init.interfaceAddress,
      ttl: init.ttl,
      broadcastAddress: init.broadcastAddress,
      waitForStart: true,
    });
    this.handle.onDrop = (id, reason) => {
      init.logger.warn({ member: id, reason }, `dropping ${id}: ${reason}`);
      this.onDropped?.(id, reason);
    };
    void this.handle.finished.then((f) => {
      if (f.reason !== 'error' || this.stopped) return;
      init.logger.error({ message: f.message }, `shared stream failed: ${f.message}`);
      this.onFailed?.(f.message ?? 'shared stream failed');
    });
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
    return this.streaming;
  }

  get stats(): StreamStats | undefined {
    return this.streaming ? this.handle.stats : undefined;
  }

  join(id: string, window: number): void {
    if (this.stopped) return;
    if (this.streaming) return this.handle.join(id, window);
    this.waiting.set(id, window);
    const min = this.init.minReceivers;
    const ready = this.waitElapsed || (min !== undefined ? this.waiting.size >= min : this.init.waitMs === undefined);
    if (ready) this.start(`${this.waiting.size} receiver(s) ready`);
    else this.init.logger.info({ waiting: this.waiting.size, minReceivers: min }, `waiting to start: ${this.waiting.size}${min ? `/${min}` : ''} receiver(s)`);
  }

  leave(id: string): void {
    this.waiting.delete(id);
    if (this.streaming) this.handle.leave(id);
  }

  progress(id: string, p: Progress): void {
    if (this.streaming) this.handle.progress(id, p);
  }

  async stop(reason: string): Promise<void> {
    this.stopped = true;
    clearTimeout(this.waitTimer);
    this.handle.stop(reason);
    await this.handle.finished;
  }

  private start(why: string): void {
    if (this.streaming || this.stopped || (this.waiting.size === 0 && !this.init.carousel)) return;
    clearTimeout(this.waitTimer);
    this.streaming = true;
    const { dataPlane } = this.init;
    const where = dataPlane.mode === 'multicast' ? `multicast ${dataPlane.group}:${dataPlane.port}` : `broadcast port ${dataPlane.port}`;
    this.init.logger.info({ event: 'shared-stream-start', dataPlane, receivers: this.waiting.size }, `starting the shared stream (${where}): ${why}`);
    this.handle.start();
    for (const [id, window] of this.waiting) this.handle.join(id, window);
    this.waiting.clear();
  }
}

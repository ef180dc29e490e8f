/**
 * The sender's shared (multicast/broadcast) session on the main thread (adapter): one stream
 * worker for every receiver, booted with the session and started when the StartPolicy says so
 * (startPolicy.ts; this file only arms its deadline), with members joining on Request and
 * leaving on Stop or a dead connection. Late joiners are always accepted; the stream catches
 * them up.
 */
import type { Logger } from 'pino';
import type { Progress } from '../control/messages.js';
import type { RaptorQWasmModule } from '../encoder/raptorq.js';
import type { PreparedFile } from './preparedFile.js';
import type { SendConfig, SharedStreamConfig } from './sendConfig.js';
import type { StreamStats } from './streamCore.js';
import { StartPolicy } from './startPolicy.js';
import { openSharedStream, type SharedStreamParams, type SharedStreamPort } from './streamPort.js';

export interface SharedSessionDeps extends SharedStreamParams {
  file: PreparedFile;
  wasmModule: RaptorQWasmModule;
  logger: Logger;
  /** Opens the stream (tests pass a fake). @default openSharedStream */
  openStream?: typeof openSharedStream;
}

export class SharedSession {
  /**
   * The stream worker, booted with the session (while the first receivers connect) and started
   * by the start policy: booting it at the start cost ~40 ms (thread, module loading, socket,
   * file) between the policy's go and the first datagram.
   */
  private readonly handle: SharedStreamPort;
  private readonly policy: StartPolicy;
  private timer?: NodeJS.Timeout;
  private streaming = false;
  private stopped = false;
  /** Called once if the stream fails (before or after it started): the server ends the session with it. */
  onFailed?: (message: string) => void;
  /** Called when the stream drops a member (too slow); the server tells that receiver why. */
  onDropped?: (id: string, reason: string) => void;

  constructor(
    private readonly config: SendConfig & { shared: SharedStreamConfig },
    deps: SharedSessionDeps,
  ) {
    this.log = deps.logger;
    this.handle = (deps.openStream ?? openSharedStream)(config, deps.file, deps.wasmModule, deps);
    this.handle.onDrop = (id, reason) => {
      this.log.warn({ member: id, reason }, `dropping ${id}: ${reason}`);
      this.onDropped?.(id, reason);
    };
    void this.handle.finished.then((f) => {
      if (f.reason !== 'error' || this.stopped) return;
      this.onFailed?.(f.message ?? 'no reason given');
    });
    this.policy = new StartPolicy({ ...config.shared, ...(config.peers ? { named: config.peers.length } : {}) }, performance.now());
    // A carousel's go is taken after the server has wired onFailed/onDropped.
    queueMicrotask(() => this.pump());
  }

  private readonly log: Logger;
  /** What members that asked before the start hold (resume): the start policy only counts them. */
  private readonly heldBeforeStart = new Map<string, Uint8Array>();

  get started(): boolean {
    return this.streaming;
  }

  get stats(): StreamStats | undefined {
    return this.streaming ? this.handle.stats : undefined;
  }

  /** `held`: the bitmap of segments it holds (resume), kept until the stream starts. */
  join(id: string, window: number, held?: Uint8Array): void {
    if (this.stopped) return;
    this.pump();
    if (this.streaming) return this.handle.join(id, window, held);
    if (held) this.heldBeforeStart.set(id, held);
    this.policy.join(performance.now(), id, window);
    if (!this.policy.started) {
      const min = this.config.shared.minReceivers ?? this.config.peers?.length;
      const n = this.policy.waitingCount;
      this.log.info({ waiting: n, minReceivers: min }, `waiting to start: ${n}${min ? `/${min}` : ''} receiver(s)`);
    }
    this.pump();
  }

  leave(id: string): void {
    this.heldBeforeStart.delete(id);
    this.policy.leave(id);
    if (this.streaming) this.handle.leave(id);
  }

  /** A named receiver (a peer) ended: before the start it is no longer waited for. */
  namedEnded(id: string): void {
    if (this.stopped || this.streaming) return;
    this.heldBeforeStart.delete(id);
    this.policy.namedEnded(performance.now(), id);
    this.pump();
  }

  progress(id: string, p: Progress): void {
    if (this.streaming) this.handle.progress(id, p);
  }

  async stop(reason: string): Promise<void> {
    this.stopped = true;
    this.policy.stop();
    clearTimeout(this.timer);
    this.handle.stop(reason);
    await this.handle.finished;
  }

  /** Takes the policy's go (if any) and re-arms its deadline. */
  private pump(): void {
    if (this.stopped) return;
    const go = this.policy.pollStart();
    if (go) {
      this.streaming = true;
      const { dataPlane } = this.config.shared;
      const where = dataPlane.mode === 'multicast' ? `multicast ${dataPlane.group}:${dataPlane.port}` : `broadcast port ${dataPlane.port}`;
      this.log.info({ event: 'shared-stream-start', dataPlane, receivers: go.members.length }, `starting the shared stream (${where}): ${go.why}`);
      this.handle.start();
      for (const [id, window] of go.members) this.handle.join(id, window, this.heldBeforeStart.get(id));
      this.heldBeforeStart.clear();
    }
    clearTimeout(this.timer);
    const at = this.policy.pollTimeout();
    if (at === undefined) return;
    this.timer = setTimeout(
      () => {
        // The timer fired for `at`: the deadline has come even if the clock reads a hair earlier.
        this.policy.handleTimeout(Math.max(performance.now(), at));
        this.pump();
      },
      Math.max(0, at - performance.now()),
    );
    this.timer.unref();
  }
}

/**
 * One control connection on the sending side (an adapter): a receiver's ReceiverSession core on
 * its byte stream (a TCP or TLS socket, or a peer's pipes), and the stream it asked for — its
 * own unicast stream, or its membership of the session's shared one. server.ts accepts and
 * tallies connections; this file runs one.
 */
import type { Logger } from 'pino';
import type { ByteStream } from '../control/byteStream.js';
import type { Progress, Publication } from '../control/messages.js';
import { ControlChannel } from '../control/streamChannel.js';
import type { RaptorQWasmModule } from '../encoder/raptorq.js';
import type { BitSet } from '../util/bitset.js';
import type { Admission } from './admission.js';
import { openSubset, type PreparedFile } from './preparedFile.js';
import { ReceiverSession } from './receiverSession.js';
import type { ReceiverSummary, SessionAction } from './receiverSessionTable.js';
import type { SendConfig } from './sendConfig.js';
import { bytesHeld, type ReceiverProgress } from './sendProgress.js';
import type { SharedSession } from './sharedSession.js';
import type { StreamStats } from './streamCore.js';
import { openUnicastStream, type StreamPort } from './streamPort.js';

/** What the server runs with besides its config: the prepared file and the process's resources. */
export interface SenderServerDeps {
  file: PreparedFile;
  /** The publisher's signature, added to every manifest (signed once: it covers no session field). */
  publication?: Publication;
  wasmModule: RaptorQWasmModule;
  logger: Logger;
  /** Each receiver's outcome as its session ends (SendOptions.onReceiverEnd). */
  onReceiverEnd?: (summary: ReceiverSummary) => void;
  /** Opens a receiver's stream (tests pass a fake). @default openUnicastStream */
  openUnicastStream?: typeof openUnicastStream;
}

/** What the transport knows of a control stream's far end. */
export interface Transport {
  /** The peer's address (TCP, TLS); undefined for pipes, where its Hello says it. */
  address: string | undefined;
  /** For logs: the address, or a peer's name. */
  label: string;
  /** The stream is private (a peer the sender started): hand the datagram key over in it. */
  channelKey: boolean;
}

/** One control connection (adapter): its ReceiverSession core, and its stream once it asked. */
export class Connection {
  private readonly channel: ControlChannel<ReceiverSession, SessionAction>;
  private readonly log: Logger;
  private stream?: StreamPort;
  private readonly shared?: SharedSession;
  private stopDigests = (): void => undefined;
  private stopSubsetDigests = (): void => undefined;
  /** The object streamed to this receiver (the file, or with --sync the files it lacks), once it asked. */
  private object?: PreparedFile;
  private lastProgress?: Progress;
  /** Its own stream's latest counts (unicast; a shared stream's are the session's). */
  streamStats?: Partial<StreamStats>;

  /** --sync over unicast: the object of the files this receiver lacks; its digests follow as they are computed. */
  private openSubset(want: BitSet): PreparedFile {
    const subset = openSubset(this.deps.file, want);
    this.stopSubsetDigests = subset.digests.subscribe(() => this.channel.act((s) => s.handleDigests(performance.now())));
    this.channel.act((s) => s.handleSubset(performance.now(), subset.digests));
    subset.digests.done.catch((e: Error) => this.channel.act((s) => s.abort(performance.now(), `the sender cannot serve the files asked for: ${e.message}`)));
    return subset;
  }
  private resolveEnded!: (s: ReceiverSummary | undefined) => void;
  readonly ended = new Promise<ReceiverSummary | undefined>((r) => (this.resolveEnded = r));
  /** Why its control stream closed (for a peer that never said Hello). */
  closeReason = '';

  constructor(
    private readonly config: SendConfig,
    private readonly deps: SenderServerDeps,
    stream: ByteStream,
    private readonly transport: Transport,
    readonly id: string,
    admission: Admission,
    /**
     * A stream failed in a way no other stream would escape (StreamFinished.workerFailed, or
     * sourceChanged: the file is no longer as announced): the server ends the session.
     */
    private readonly onSessionFailed: (message: string) => void,
    shared?: { session: SharedSession; keys: { sessionId: number; dataKey: Uint8Array; groupSize?: () => number } },
  ) {
    this.shared = shared?.session;
    this.log = deps.logger.child({ conn: id, peer: transport.label });
    const core = new ReceiverSession(
      config,
      {
        file: deps.file,
        publication: deps.publication,
        address: transport.address,
        channelKey: transport.channelKey,
        admit: () => admission.admit(id),
        ...(shared ? { shared: shared.keys } : {}),
      },
      performance.now(),
    );
    this.channel = new ControlChannel<ReceiverSession, SessionAction>(stream, core, (a) => this.onAction(a));
    this.stopDigests = deps.file.digests.subscribe(() => this.channel.act((s) => s.handleDigests(performance.now())));
  }

  abort(reason: string): void {
    this.channel.act((s) => s.abort(performance.now(), reason));
  }

  /** How much of its object the receiver holds, once it asked for data (ReceiverProgress). */
  progress(): ReceiverProgress | undefined {
    const object = this.object;
    const receiverId = this.channel.core.receiverId;
    if (!object || receiverId === undefined) return undefined;
    const layout = object.layout;
    const lengthKnown = !object.digests.lengthFollows || object.digests.fileSize !== undefined;
    return {
      receiverId,
      address: this.transport.address ?? this.transport.label,
      bytesDone: this.lastProgress ? bytesHeld(layout, this.lastProgress) : 0,
      bytesTotal: lengthKnown ? layout.fileSize : undefined,
    };
  }

  close(reason: string): void {
    this.channel.close(reason);
  }

  /** Dropped for the pre-Hello budget: told why, and its socket freed as soon as that is written. */
  evict(reason: string): void {
    this.channel.dismiss((s) => s.evict(performance.now(), reason));
  }

  private onAction(a: SessionAction): void {
    switch (a.type) {
      case 'log':
        return this.log[a.level](a.fields ?? {}, a.message);
      case 'lookup-key':
        return void this.config.receiverKeys!(a.name).then(
          (secret) => this.channel.act((s) => s.handleKey(performance.now(), { secret })),
          (error: Error) => this.channel.act((s) => s.handleKey(performance.now(), { error })),
        );
      case 'start-stream': {
        const destination = { address: a.address, port: a.udpPort };
        const file = a.want ? this.openSubset(a.want) : this.deps.file;
        this.object = file;
        const stream = (this.deps.openUnicastStream ?? openUnicastStream)(this.config, file, this.deps.wasmModule, { ...a, destination });
        this.stream = stream;
        stream.onStats((stats) => {
          this.streamStats = stats;
          this.channel.core.handleStreamStats(stats);
        });
        void stream.finished.then((end) => {
          this.streamStats = { ...this.streamStats, ...end.stats };
          this.channel.act((s) => s.handleStreamEnd(performance.now(), end));
          if (end.workerFailed) this.onSessionFailed(`a stream worker failed: ${end.message ?? 'no reason given'}`);
          else if (end.sourceChanged) this.onSessionFailed(end.message ?? 'the file is no longer as announced');
        });
        return;
      }
      case 'join-shared':
        this.object = this.deps.file;
        return this.shared!.join(this.id, a.window, a.held);
      case 'progress':
        this.lastProgress = a.progress;
        return this.shared ? this.shared.progress(this.id, a.progress) : this.stream?.progress(a.progress);
      case 'stop-stream':
        return this.stream?.stop(a.reason);
      case 'grow-stream':
        return this.stream?.grow(a);
      case 'leave-shared': {
        this.shared!.leave(this.id);
        // Stream-wide counts: every member saw the same stream.
        const s = this.shared!.stats;
        const stats = s ? { datagramsSent: s.datagramsSent, repairSymbolsSent: s.repairSymbolsSent, stallBursts: s.stallBursts } : {};
        return this.channel.act((core) => core.handleStreamEnd(performance.now(), { reason: 'stopped', stats }));
      }
      case 'ended':
        this.closeReason = a.reason ?? '';
        this.stopDigests();
        this.stopSubsetDigests();
        return this.resolveEnded(a.summary);
    }
  }
}

/**
 * The library's `send()`: prepares the file (hashes), listens for control connections and serves
 * every receiver that connects with its own stream worker, until `receivers` have completed or
 * the signal aborts. See server.ts for the per-connection logic.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { CodecName } from '../encoder/codecs.js';
import { pino } from 'pino';
import { compileRaptorQModule } from '../encoder/raptorq.js';
import { logTagImplementation, TagKind } from '../encoder/integrity.js';
import { openSourceFile, prepareFile, signPublication } from './preparedFile.js';
import { SenderServer, type ControlTlsOptions, type SenderServerInit, type SendSummary } from './server.js';
import type { DataPlane } from '../control/messages.js';
import { dataPlaneProblem } from '../control/messageCodec.js';
import type { RecoveryMode } from './streamCore.js';
import { PACING_NICE } from '../util/threadPriority.js';

export type { SendSummary, ReceiverSummary } from './server.js';

export interface SendOptions {
  /** Path of the file to serve. */
  file: string;
  /** Address to listen on. @default '0.0.0.0' */
  host?: string;
  /** TCP control port; 0 picks a free one (see onListening). @default 7070 */
  port?: number;
  /**
   * Rate ceiling per stream in bits per second; the pace adapts below it to loss feedback
   * (rateController.ts); 0 = no ceiling. @default 1e9 (a gigabit LAN)
   */
  rateBitsPerSecond?: number;
  /** Pace at exactly the rate instead of adapting below it (needs a rate). @default false */
  fixedRate?: boolean;
  /**
   * Nice adjustment the stream threads ask for while they pace, relative to the sender's own
   * nice value as `nice -n` (util/threadPriority.ts): Linux, and only where permitted (root or
   * CAP_SYS_NICE; otherwise they keep their priority). A thread that saturates its core returns
   * to the sender's priority. 0 leaves the priority alone.
   * @default PACING_NICE (-5) when rateBitsPerSecond is given and above 0 (a declared pace to
   * hold), else 0: the default ceiling is no link speed, and a stream that runs as fast as the
   * CPU allows must not take the CPU from receivers on the same host (measured: 4 receivers
   * beside the sender at 5 % loss took 5.3 s instead of 4.4 s with the stream raised).
   */
  streamNice?: number;
  /**
   * How losses are made good: `resend` the source symbols receivers list as lost (no codec work),
   * `fountain` sends fresh RaptorQ repair symbols, `auto` resends unless loss (long-run and recent) exceeds 20 % and uses repair
   * above. @default 'auto'
   */
  recovery?: RecoveryMode;
  /**
   * Coding scheme on the wire (research): raptorq (the product), lt, rs or arq. `arq` sends
   * no repair at all and always resends listed losses. @default 'raptorq'
   */
  codec?: CodecName;
  /** Resolve once this many receivers have completed; undefined = serve until aborted. */
  receivers?: number;
  /** Receivers served at once; further Hellos are refused. @default 64 */
  maxReceivers?: number;
  /** @default 4 MiB */
  segmentSize?: number;
  /** @default 1392 */
  symbolSize?: number;
  /** @default 5000 */
  idleTimeoutMs?: number;
  /** @default 1000 */
  heartbeatIntervalMs?: number;
  /** @default 5000 */
  handshakeTimeoutMs?: number;
  /**
   * One shared stream for every receiver: to a multicast group (`{ group, port }`, group in
   * 224.0.0.0/4) or as LAN broadcast (`{ port }`). Receivers learn it from the manifest.
   * Its pace follows the slowest receiver's rate controller below the rate (or exactly the rate
   * with fixedRate). @default unicast
   */
  multicast?: { group: string; port: number };
  broadcast?: { port: number; address?: string };
  /** Local address of the NIC that carries the shared stream. */
  interfaceAddress?: string;
  /** Multicast TTL. @default 1 */
  ttl?: number;
  /** Shared stream: start once this many receivers have asked. */
  minReceivers?: number;
  /** Shared stream: start this long after listening, with whoever has joined. */
  waitMs?: number;
  /** Shared stream: start at once and keep cycling through the file for late joiners until aborted. */
  carousel?: boolean;
  /**
   * Shared stream: a resend datagram may carry the XOR of several source symbols, each lost by
   * a different receiver (sender/resendQueue.ts); false resends each on its own (plain
   * selective repeat, for comparisons). @default true
   */
  combineResends?: boolean;
  /**
   * Sign every manifest with this publisher key (Ed25519, e.g. from `fountcast keygen`);
   * receivers with --trust accept only signed manifests. `publishedAt` is the version receivers
   * compare for replays. @default publishedAt: now
   */
  sign?: { privateKey: KeyObject; publishedAt?: number };
  /**
   * Admit only enrolled receivers: the secret enrolled under a name, or undefined when it is not
   * (or no longer) enrolled. Asked at every Hello (removing a key revokes at once). Their
   * datagrams carry a truncated HMAC-SHA256 under a key handed over in the handshake.
   */
  receiverKeys?: (name: string) => Promise<Uint8Array | undefined>;
  /** Encrypt every symbol (AES-256-GCM) under the key the handshake hands over; needs receiverKeys. */
  encrypt?: boolean;
  /** Mutual TLS 1.3 on the control channel: server certificate and key, and the CA of client certificates. */
  tls?: ControlTlsOptions;
  /** Aborting stops every stream, closes every socket and resolves with the summary so far. */
  signal?: AbortSignal;
  logger?: Logger;
  onListening?: (address: { address: string; port: number }) => void;
}

export async function send(options: SendOptions): Promise<SendSummary> {
  const log = options.logger ?? pino({ level: 'silent' });
  const shared = sharedOptions(options); // before reading the file: a bad option fails at once
  // Encryption keys come from the enrolled receivers' handshakes: there is no key without them.
  if (options.encrypt && !options.receiverKeys) throw new SendOptionsError('--encrypt needs --receiver-keys: the stream key is handed over in the enrolled receivers\' handshake');
  // A signed publication covers the hashes: it waits for them. Otherwise the server listens at
  // once and hashes meanwhile (receivers get the digests as they come, see FileDigests).
  const hashingFrom = performance.now();
  const prepare = { segmentSize: options.segmentSize, symbolSize: options.symbolSize };
  const file = options.sign ? await prepareFile(options.file, prepare) : await openSourceFile(options.file, prepare);
  log.info(
    { file: file.path, bytes: file.layout.fileSize, segments: file.layout.segmentCount },
    `serving ${file.fileName} (${file.layout.fileSize} bytes, ${file.layout.segmentCount} segments)`,
  );
  const server = await SenderServer.listen({
    file,
    host: options.host ?? '0.0.0.0',
    port: options.port ?? 7070,
    rateBytesPerSecond: Math.floor((options.rateBitsPerSecond ?? 1e9) / 8),
    fixedRate: Boolean(options.fixedRate) && (options.rateBitsPerSecond ?? 1e9) > 0,
    streamNice: options.streamNice ?? ((options.rateBitsPerSecond ?? 0) > 0 ? PACING_NICE : 0),
    recovery: options.codec === 'arq' ? 'resend' : (options.recovery ?? 'auto'),
    codecName: options.codec ?? 'raptorq',
    publication: options.sign ? signPublication(file, options.codec ?? 'raptorq', options.sign.privateKey, options.sign.publishedAt ?? Date.now()) : undefined,
    receiverKeys: options.receiverKeys,
    encrypt: Boolean(options.encrypt),
    tls: options.tls,
    expectedReceivers: options.receivers,
    maxReceivers: options.maxReceivers ?? 64,
    idleTimeoutMs: options.idleTimeoutMs ?? 5000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5000,
    wasmModule: compileRaptorQModule(),
    logger: log,
    shared,
  });
  const address = server.address();
  log.info(address, `listening on ${address.address}:${address.port}`);
  if (options.receiverKeys) logTagImplementation(log, options.encrypt ? TagKind.Aes256Gcm : TagKind.HmacSha256_128);
  file.digests.done.then(
    () => log.info({ sha256: file.digests.fileSha256, ms: Math.round(performance.now() - hashingFrom) }, `hashed ${file.fileName}: SHA-256 ${file.digests.fileSha256}`),
    (e: Error) => {
      log.error({ err: e }, e.message);
      void server.close(`the sender cannot serve ${file.fileName}: ${e.message}`);
    },
  );
  options.onListening?.(address);
  const onAbort = () => void server.close(`stopped: ${(options.signal?.reason as Error)?.message ?? 'aborted'}`);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const summary = await server.done;
    // The file could not be hashed (unreadable, or written to meanwhile): that is the outcome.
    if (file.digests.failure) throw file.digests.failure;
    log.info({ event: 'send-summary', ...summary }, `done: ${summary.completed} receiver(s) completed, ${summary.failed} failed`);
    return summary;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

export class SendOptionsError extends Error {
  override readonly name = 'SendOptionsError';
}

/** The shared-stream part of the server's options, checked here so a bad one fails at once. */
function sharedOptions(o: SendOptions): SenderServerInit['shared'] {
  if (o.multicast && o.broadcast) throw new SendOptionsError('choose multicast or broadcast, not both');
  if (!o.multicast && !o.broadcast) {
    if (o.minReceivers !== undefined || o.waitMs !== undefined || o.carousel) throw new SendOptionsError('minReceivers, waitMs and carousel apply to a multicast or broadcast stream');
    return undefined;
  }
  const dataPlane: DataPlane = o.multicast ? { mode: 'multicast', group: o.multicast.group, port: o.multicast.port } : { mode: 'broadcast', port: o.broadcast!.port };
  const problem = dataPlaneProblem(dataPlane);
  if (problem) throw new SendOptionsError(problem);
  if (o.carousel && o.receivers !== undefined) throw new SendOptionsError('a carousel runs until stopped: drop receivers (--receivers)');
  return {
    dataPlane,
    interfaceAddress: o.interfaceAddress,
    ttl: o.ttl,
    broadcastAddress: o.broadcast?.address,
    minReceivers: o.minReceivers,
    waitMs: o.waitMs,
    carousel: o.carousel,
    combineResends: o.combineResends,
  };
}

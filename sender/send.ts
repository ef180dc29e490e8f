/**
 * The library's `send()`: resolves the options into one SendConfig, prepares the file (hashes),
 * listens for control connections and serves every receiver that connects, until `receivers`
 * have completed, the give-up bound runs out, or the signal aborts. See server.ts for the
 * per-connection adapter and receiverSession.ts for its state machine.
 */
import { pino, type Logger } from 'pino';
import { compileRaptorQModule } from '../encoder/raptorq.js';
import { logTagImplementation, TagKind } from '../encoder/integrity.js';
import { signPublication } from './manifest.js';
import { openSource, type PreparedFile } from './preparedFile.js';
import { openRelayedObject } from './relayedObject.js';
import type { SkippedPath } from './sourceTree.js';
import { SEND_PROGRESS_INTERVAL_MS } from './sendProgress.js';
import { SenderServer, type SendSummary } from './server.js';
import { resolveSendConfig, type SendConfig, type SendOptions } from './sendConfig.js';
import { warnIfSlowSegmentHash } from '../control/segmentHash.js';

export type { SendSummary, ReceiverSummary } from './server.js';
export { SEND_PROGRESS_INTERVAL_MS, type SendProgress, type ReceiverProgress, type ServedObject } from './sendProgress.js';
export type { RelaySource } from './relayedObject.js';
export { resolveSendConfig, SendOptionsError, SEND_DEFAULTS, type SendConfig, type SendOptions, type ControlTlsOptions } from './sendConfig.js';

export async function send(options: SendOptions): Promise<SendSummary> {
  const log = options.logger ?? pino({ level: 'silent' });
  const config = resolveSendConfig(options); // before reading the file: a bad option fails at once
  // A signed publication covers the hashes: it waits for them. Otherwise the server listens at
  // once and hashes meanwhile (receivers get the digests as they come, see FileDigests); a pipe
  // (`-`, a FIFO) is read and spooled meanwhile too, its length following (streamSource.ts).
  const hashingFrom = performance.now();
  const { file, skipped } = config.relay
    ? { file: await openRelayedObject(config.relay), skipped: [] }
    : await openSource(config.paths, {
        segmentSize: config.segmentSize,
        symbolSize: config.symbolSize,
        symlinks: config.symlinks,
        sha256: config.sha256,
        ...(config.name !== undefined ? { fileName: config.name } : {}),
        ...(options.stdin ? { stdin: options.stdin } : {}),
      });
  try {
    return await serve(options, config, file, skipped, log, hashingFrom);
  } finally {
    // Hashing still running (the run was interrupted, or failed): it stops, the process can exit.
    file.digests.stop('the sender stopped before the file was hashed');
    await file.spool?.remove();
  }
}

async function serve(
  options: SendOptions,
  config: SendConfig,
  file: PreparedFile,
  skipped: readonly SkippedPath[],
  log: Logger,
  hashingFrom: number,
): Promise<SendSummary> {
  for (const s of skipped) {
    const why = s.kind === 'symlink' ? 'a symlink (--symlinks keep stores links)' : 'not a regular file, directory or symlink';
    log.warn({ event: 'skipped', path: s.path, kind: s.kind }, `left out ${s.path}: ${why}`);
  }
  if (file.spool && (config.sign || config.shared)) {
    // A signature covers the length and the hashes; a shared stream serves one complete object.
    log.info({ file: file.path }, `reading ${file.path} to its end before serving (${config.sign ? 'a signed manifest' : 'a shared stream'})`);
  }
  if (config.sign || (file.spool && config.shared)) {
    // Reading a pipe to its end may take long: an abort meanwhile ends the run, nothing served.
    const stopped = await untilDoneOrAborted(file, options.signal);
    if (stopped !== undefined) {
      const summary: SendSummary = { completed: 0, failed: 0, tlsRefused: 0, reason: stopped, receivers: [] };
      log.info({ event: 'send-summary', ...summary }, `${stopped} before serving anything`);
      return summary;
    }
  }
  const entries = file.entries;
  if (file.spool && !file.digests.complete)
    log.info({ file: file.path }, `serving ${file.fileName} from ${file.path === '-' ? 'standard input' : file.path} as it is read (its length follows)`);
  else
    log.info(
      { file: file.path, bytes: file.layout.fileSize, segments: file.layout.segmentCount, ...(entries ? { entries: entries.length } : {}) },
      `serving ${file.fileName} (${entries ? `${entries.length} entries, ` : ''}${file.layout.fileSize} bytes, ${file.layout.segmentCount} segments)`,
    );
  const server = await SenderServer.listen(config, {
    file,
    // A relay serves the publisher's signature as received; a publisher signs here.
    publication: config.sign ? signPublication(file, config.codec, config.sign.privateKey, config.sign.publishedAt) : config.relay?.manifest.publication,
    wasmModule: compileRaptorQModule(),
    logger: log,
    ...(options.onReceiverEnd ? { onReceiverEnd: options.onReceiverEnd } : {}),
  });
  const address = server.address();
  if (address) log.info(address, `listening on ${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`);
  else log.info({ receivers: config.peers?.length }, `reaching ${config.peers?.length} receiver(s) over their own control streams`);
  if (config.receiverKeys || config.channelKeys) logTagImplementation(log, config.encrypt ? TagKind.Aes256Gcm : TagKind.HmacSha256_128);
  warnIfSlowSegmentHash(log);
  let ended = false;
  file.digests.done.then(
    () =>
      log.info(
        { digest: file.digests.fileSha256, kind: file.digests.kind, ms: Math.round(performance.now() - hashingFrom) },
        `hashed ${file.fileName}: ${file.digests.kind === 'bytes' ? 'SHA-256' : 'digest'} ${file.digests.fileSha256}`,
      ),
    (e: Error) => {
      // A hash still running when the run ended (stopped early) fails once its file goes: moot.
      if (ended) return;
      log.error({ err: e }, e.message);
      void server.close(`the sender cannot serve ${file.fileName}: ${e.message}`);
    },
  );
  const lengthKnown = !file.digests.lengthFollows || file.digests.fileSize !== undefined;
  options.onListening?.(address, {
    name: file.fileName,
    bytes: lengthKnown ? file.layout.fileSize : undefined,
    ...(entries ? { entries: entries.length } : {}),
  });
  const onProgress = options.onProgress;
  const progressTimer = onProgress && setInterval(() => onProgress(server.progress()), SEND_PROGRESS_INTERVAL_MS);
  const onAbort = () => void server.close(stopReason(options.signal));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const summary = await server.done;
    // The totals as the run ends (every stream has reported its last counts).
    onProgress?.(server.progress());
    // The file could not be hashed (unreadable, or written to meanwhile): that is the outcome.
    if (file.digests.failure) throw file.digests.failure;
    // A stream failed: the session ended with it, and every receiver was told why.
    if (server.failure) throw server.failure;
    log.debug({ event: 'send-summary', ...summary }, `done: ${summary.completed} receiver(s) completed, ${summary.failed} failed`);
    return summary;
  } finally {
    ended = true;
    clearInterval(progressTimer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Waits for every digest; undefined once they are known, else the reason the signal gave. */
async function untilDoneOrAborted(file: PreparedFile, signal: AbortSignal | undefined): Promise<string | undefined> {
  const reason = () => stopReason(signal);
  if (signal?.aborted) return reason();
  let onAbort = () => undefined as void;
  const aborted = new Promise<string>((resolve) => {
    onAbort = () => resolve(reason());
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([file.digests.done.then(() => undefined), aborted]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Why the signal stopped the sender, as receivers are told it ("sender stopped the transfer:
 * sender interrupted (SIGINT)" for the CLI's reason) and the summary keeps it.
 */
function stopReason(signal: AbortSignal | undefined): string {
  return (signal?.reason as Error | undefined)?.message || 'stopped';
}

/**
 * The library's `send()`: resolves the options into one SendConfig, prepares the file (hashes),
 * listens for control connections and serves every receiver that connects, until `receivers`
 * have completed, the give-up bound runs out, or the signal aborts. See server.ts for the
 * per-connection adapter and receiverSession.ts for its state machine.
 */
import { pino } from 'pino';
import { compileRaptorQModule } from '../encoder/raptorq.js';
import { logTagImplementation, TagKind } from '../encoder/integrity.js';
import { signPublication } from './manifest.js';
import { openSource } from './preparedFile.js';
import { SenderServer, type SendSummary } from './server.js';
import { resolveSendConfig, type SendOptions } from './sendConfig.js';

export type { SendSummary, ReceiverSummary } from './server.js';
export { resolveSendConfig, SendOptionsError, SEND_DEFAULTS, type SendConfig, type SendOptions, type ControlTlsOptions } from './sendConfig.js';

export async function send(options: SendOptions): Promise<SendSummary> {
  const log = options.logger ?? pino({ level: 'silent' });
  const config = resolveSendConfig(options); // before reading the file: a bad option fails at once
  // A signed publication covers the hashes: it waits for them. Otherwise the server listens at
  // once and hashes meanwhile (receivers get the digests as they come, see FileDigests).
  const hashingFrom = performance.now();
  const { file, skipped } = await openSource(config.paths, {
    segmentSize: config.segmentSize,
    symbolSize: config.symbolSize,
    symlinks: config.symlinks,
    ...(config.name !== undefined ? { fileName: config.name } : {}),
  });
  for (const s of skipped) {
    const why = s.kind === 'symlink' ? 'a symlink (--symlinks keep stores links)' : 'not a regular file, directory or symlink';
    log.warn({ event: 'skipped', path: s.path, kind: s.kind }, `left out ${s.path}: ${why}`);
  }
  if (config.sign) await file.digests.done;
  const entries = file.entries;
  log.info(
    { file: file.path, bytes: file.layout.fileSize, segments: file.layout.segmentCount, ...(entries ? { entries: entries.length } : {}) },
    `serving ${file.fileName} (${entries ? `${entries.length} entries, ` : ''}${file.layout.fileSize} bytes, ${file.layout.segmentCount} segments)`,
  );
  const server = await SenderServer.listen(config, {
    file,
    publication: config.sign ? signPublication(file, config.codec, config.sign.privateKey, config.sign.publishedAt) : undefined,
    wasmModule: compileRaptorQModule(),
    logger: log,
  });
  const address = server.address();
  log.info(address, `listening on ${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`);
  if (config.receiverKeys) logTagImplementation(log, config.encrypt ? TagKind.Aes256Gcm : TagKind.HmacSha256_128);
  file.digests.done.then(
    () =>
      log.info(
        { sha256: file.digests.fileSha256, ms: Math.round(performance.now() - hashingFrom) },
        `hashed ${file.fileName}: SHA-256 ${file.digests.fileSha256}`,
      ),
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
    // A stream failed: the session ended with it, and every receiver was told why.
    if (server.failure) throw server.failure;
    log.info({ event: 'send-summary', ...summary }, `done: ${summary.completed} receiver(s) completed, ${summary.failed} failed`);
    return summary;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

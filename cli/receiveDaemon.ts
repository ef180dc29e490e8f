/**
 * `fountcast receive --daemon`: the standing receiver (receiveForever) as a service. One log line
 * per publication (stored, refused, failed; an unchanged offer once, then at debug level),
 * --on-complete after each stored publication (its failure is logged, the daemon goes on), and
 * at SIGTERM exit 0 (a service stopped as asked), at SIGINT 130 like an interrupted receive.
 */
import type { Logger } from 'pino';
import type { StoredDigests } from '../receiver/receiveStates.js';
import type { PublicationEvent, StandingReceiveOptions } from '../receiver/standingReceiver.js';
import type { RunContext } from './runContext.js';

export interface DaemonIo {
  readonly ctx: RunContext;
  readonly log: Logger;
  readonly json: boolean;
  /** --on-complete for a stored publication's path and digests (logging to `log`); throws when the command fails. */
  readonly onComplete?: (path: string, digests: StoredDigests, log: Logger) => Promise<void>;
}

const short = (digest: string) => digest.slice(0, 16);

/** Runs until the options' signal aborts; throws only what ends the daemon before it starts (options, state file). */
export async function runStandingReceiver(options: StandingReceiveOptions, io: DaemonIo): Promise<void> {
  const { receiveForever } = await import('../receiver/standingReceiver.js');
  const { ctx, log } = io;
  const pollSeconds = (options.pollIntervalMs ?? 5000) / 1000;
  // Each transfer's own lines (receiving, joined, stored) stay at debug: the daemon says one per publication.
  const runLog = log.child({}, { level: log.isLevelEnabled('debug') ? 'debug' : 'warn' });
  const events = receiveForever({ ...options, logger: runLog });
  log.info(
    { event: 'daemon-started', host: options.host, port: options.port, out: options.out },
    `standing receiver: taking publications from ${options.host}:${options.port} into ${options.out ?? '.'}`,
  );
  let lastUnchanged: string | undefined;
  for await (const e of events) {
    if (e.type !== 'unchanged') lastUnchanged = undefined;
    await report(e);
  }
  if (ctx.interruptedBy === 'SIGTERM') log.info({ event: 'daemon-stopped', signal: 'SIGTERM' }, 'standing receiver stopped (SIGTERM)');
  else ctx.interrupted(log, io.json);

  async function report(e: PublicationEvent): Promise<void> {
    switch (e.type) {
      case 'waiting':
        log.info({ event: 'waiting', host: e.host, port: e.port }, `no sender at ${e.host}:${e.port}: waiting for the next publication`);
        return;
      case 'unchanged': {
        const level = lastUnchanged === e.sha256 ? 'debug' : 'info';
        lastUnchanged = e.sha256;
        log[level](
          { event: 'unchanged', file: e.fileName, digest: e.sha256 },
          `${e.fileName} is already current (digest ${short(e.sha256)}…): declined, asking again every ${pollSeconds} s`,
        );
        return;
      }
      case 'stored': {
        const s = e.summary;
        const version = e.publishedAt === undefined ? '' : `, published ${new Date(e.publishedAt).toISOString()}`;
        log.info(
          {
            event: 'publication-stored',
            file: e.fileName,
            path: s.path,
            bytes: s.bytes,
            seconds: s.seconds,
            digest: s.objectDigest,
            ...(s.sha256 !== undefined ? { sha256: s.sha256 } : {}),
            publishedAt: e.publishedAt,
          },
          `stored ${e.fileName} at ${s.path}: ${s.bytes} bytes in ${s.seconds.toFixed(2)} s, digest ${short(s.objectDigest)}… verified${version}`,
        );
        if (io.onComplete) {
          try {
            await io.onComplete(s.path, s, runLog);
          } catch (err) {
            log.error({ event: 'on-complete-failed', path: s.path }, (err as Error).message);
          }
        }
        return;
      }
      case 'refused':
        log.warn({ event: 'publication-refused', reason: e.reason, file: e.fileName }, `refused ${e.fileName ?? 'the offer'} (${e.reason}): ${e.message}`);
        return;
      case 'failed':
        log.error(
          { event: 'publication-failed', error: e.error.name, file: e.fileName },
          `${e.fileName === undefined ? 'receive' : `receiving ${e.fileName}`} failed: ${e.error.message}`,
        );
        return;
    }
  }
}

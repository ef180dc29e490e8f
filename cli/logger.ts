/**
 * pino everywhere: JSON lines with --json (or when stderr is not a TTY and --json is given),
 * human-readable through pino-pretty on a TTY. Logs go to stderr so stdout stays for summaries.
 * pino-pretty is loaded only when used (~16 ms of start-up; a sender's start is on the clock).
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

const require = createRequire(import.meta.url);

export interface LoggerOptions {
  json?: boolean;
  level?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (options.json) return pino({ level, base: undefined }, pino.destination({ fd: 2, sync: true }));
  const pretty = require('pino-pretty') as typeof PinoPretty;
  const stream = pretty({
    destination: 2,
    colorize: Boolean(process.stderr.isTTY),
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
  });
  return pino({ level, base: undefined }, stream);
}

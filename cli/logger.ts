/**
 * pino everywhere: JSON lines with --json (or when stderr is not a TTY and --json is given),
 * human-readable through pino-pretty on a TTY. Logs go to stderr so stdout stays for summaries.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerOptions {
  json?: boolean;
  level?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (options.json) return pino({ level, base: undefined }, pino.destination({ fd: 2, sync: true }));
  const stream = pretty({
    destination: 2,
    colorize: Boolean(process.stderr.isTTY),
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
  });
  return pino({ level, base: undefined }, stream);
}

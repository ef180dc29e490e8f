/**
 * pino everywhere: JSON lines with --json, human-readable through pino-pretty otherwise, always
 * on stderr (stdout is for --json events or for the data of `receive --out -`). Every line goes
 * through `write`, which the run points past its status line (progressBar.ts) so a log line
 * never lands on the bar. Human lines show their fields only with `details` (-vv): the message
 * is the line. pino-pretty is loaded only when used (~16 ms of start-up; a sender's start is on
 * the clock).
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

const require = createRequire(import.meta.url);

export interface LoggerOptions {
  json?: boolean;
  level?: string;
  /** Human lines: show each line's fields below it. @default false */
  details?: boolean;
  /** Where each formatted line goes. @default synchronously to stderr */
  write?: (line: string) => void;
  /** Human lines in colour. @default stderr is a TTY */
  colorize?: boolean;
}

let stderr: ReturnType<typeof pino.destination> | undefined;

/** Synchronous writes to stderr (SonicBoom retries a full non-blocking pipe instead of throwing). */
export const writeStderr = (line: string): void => {
  stderr ??= pino.destination({ fd: 2, sync: true });
  stderr.write(line);
};

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? writeStderr;
  if (options.json) return pino({ level, base: undefined }, { write });
  const { prettyFactory } = require('pino-pretty') as typeof PinoPretty;
  // The formatting function alone, synchronous: a line is written before the next thing is drawn.
  const pretty = prettyFactory({
    colorize: options.colorize ?? Boolean(process.stderr.isTTY),
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname',
    hideObject: !options.details,
  });
  return pino({ level, base: undefined }, { write: (line: string) => write(pretty(line)) });
}

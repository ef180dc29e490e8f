/**
 * A named receiver reached through a command (adapter): `/bin/sh -c CMD` is started, its stdin
 * and stdout carry the control protocol (send --exec; `ssh … fountcast receive --stdio` for
 * send --to, sshTarget.ts), and its stderr comes back line by line into our log, prefixed with
 * the peer's name. The remote fountcast's own log lines (human or --json) keep their level;
 * anything else (SSH's messages, a shell's) is a warning. The last such line is kept: when the command fails, it is
 * the failure's reason, in its own words.
 */
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import { joinPipes } from '../control/byteStream.js';
import type { ControlPeer, PeerLink } from './sendConfig.js';

/** Longest stderr line relayed (a longer one is cut): a peer cannot make us buffer without bound. */
const MAX_LINE = 2048;

/** A receiver at the other end of `command` (run by /bin/sh -c), called `name` in logs and summaries. */
export function commandPeer(name: string, command: string, logger: Logger): ControlPeer {
  return { name, open: () => startCommand(name, command, logger) };
}

function startCommand(name: string, command: string, logger: Logger): PeerLink {
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
  const relay = new StderrRelay(name, logger);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => relay.push(text));
  const exited = new Promise<string | undefined>((resolve) => {
    child.once('error', (e) => resolve(`cannot run ${JSON.stringify(command)}: ${e.message}`));
    // 'close': its stdio is drained too, so its last words are in.
    child.once('close', (code, signal) => {
      relay.end();
      if (code === 0) return resolve(undefined);
      const status = code === null ? `killed by ${signal}` : `exit status ${code}`;
      resolve(relay.last ? `${relay.last} (${status})` : status);
    });
  });
  return {
    stream: joinPipes(child.stdout, child.stdin),
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

/** One line as the remote fountcast logs it to a pipe (pino-pretty): `[12:00:00.000] INFO: text`. */
const PRETTY_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): (.*)$/;
const LEVELS = { TRACE: 'debug', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error', FATAL: 'error' } as const;

/**
 * The remote receiver's own summary line on success (cli/receiveReport.ts): the sender says the
 * same in its own words, so it is news at -v, not a warning.
 */
const RECEIVED_LINE = /^received .* stored at /;

/**
 * A JSON line: a pino record (its level and message), or a `--json` event (an `error` event is an
 * error; the others, progress and the summary included, are detail); undefined for anything else.
 */
function jsonRecord(line: string): { level: 'debug' | 'info' | 'warn' | 'error'; msg: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const r = JSON.parse(line) as { level?: unknown; msg?: unknown; event?: unknown; message?: unknown };
    if (typeof r.event === 'string') return { level: r.event === 'error' ? 'error' : 'debug', msg: typeof r.message === 'string' ? r.message : line };
    if (typeof r.level !== 'number' || typeof r.msg !== 'string') return undefined;
    return { level: r.level < 30 ? 'debug' : r.level < 40 ? 'info' : r.level < 50 ? 'warn' : 'error', msg: r.msg };
  } catch {
    return undefined;
  }
}

/** Splits stderr into lines and logs each under the peer's name. */
export class StderrRelay {
  private partial = '';
  /** The last line that was not a continuation (what the failure is reported with). */
  last: string | undefined;

  constructor(
    private readonly name: string,
    private readonly log: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>,
  ) {}

  push(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!.slice(0, MAX_LINE);
    for (const line of lines) this.line(line.slice(0, MAX_LINE));
  }

  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  private line(raw: string): void {
    const line = raw.replace(/\x1b\[[0-9;]*m|\r/g, '').trimEnd();
    if (line === '') return;
    // pino-pretty prints a record's fields on indented lines after it: detail, not news.
    if (/^\s/.test(line)) return this.log.debug({ peer: this.name }, `[${this.name}] ${line.trim()}`);
    const m = PRETTY_LINE.exec(line);
    const json = m ? undefined : jsonRecord(line);
    const level = m ? LEVELS[m[1] as keyof typeof LEVELS] : (json?.level ?? (RECEIVED_LINE.test(line) ? 'info' : 'warn'));
    const text = m ? m[2]! : (json?.msg ?? line);
    this.last = text;
    this.log[level]({ peer: this.name }, `[${this.name}] ${text}`);
  }
}

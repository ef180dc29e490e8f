/**
 * What every command's action shares: its logger, its output (RunOutput: the status line on a
 * terminal, --json events, the summary line), SIGINT/SIGTERM as an AbortSignal, and how a run
 * ends: one clear line and an exit code (0 done, 1 failed, 130 interrupted by SIGINT, 143
 * terminated by SIGTERM; runCli adds 2 for usage errors).
 *
 * A transfer is quiet unless asked: logs at warn (-v: info, -vv: debug with each line's
 * fields), so off a terminal a run prints its errors and its summary line only; on a terminal
 * a status line shows progress until the summary replaces it.
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { EventsTargetError, NO_EVENTS, openEventSink, type EventFlags, type EventSink } from './events.js';
import { createLogger, writeStderr } from './logger.js';
import { StatusLine } from './progressBar.js';

export interface LogFlags {
  json?: boolean;
  logLevel?: string;
  /** -v: 1, -vv: 2. */
  verbose?: number;
}

export type OutputFlags = LogFlags & EventFlags;

/** A run's output channels, opened once by its action (RunContext.output). */
export interface RunOutput {
  readonly log: Logger;
  readonly events: EventSink;
  /** The progress line: only for people (no --json) with stderr on a terminal. */
  readonly status: StatusLine | undefined;
  /** Lines for people are printed (not --json). */
  readonly human: boolean;
  /** -v or more. */
  readonly verbose: boolean;
  /** A line for people on stderr (the summary), below the closed status line; nothing under --json. */
  line(text: string): void;
}

export interface OutputOptions {
  /** Stdout carries the transfer's data (`receive --out -`): events go to stderr unless --events. */
  dataOnStdout?: boolean;
  /** A progress line when stderr is a terminal. */
  statusLine?: boolean;
  /** The log level without -v or --log-level (a daemon's log is its output). @default 'warn' */
  level?: string;
}

export class RunContext {
  exitCode = 0;
  /** The signal that interrupted the run (interruptOnSignals), if one did. */
  interruptedBy: NodeJS.Signals | undefined;
  private out?: RunOutput;

  /** A plain logger at info unless told otherwise (keygen, enroll, experiment: their result is a log line). */
  logger(o: LogFlags): Logger {
    return createLogger({ json: o.json, level: o.logLevel ?? levelFor(o, 'info'), details: (o.verbose ?? 0) >= 2 });
  }

  /**
   * A transfer's output: quiet logs (warn; -v info; -vv debug; --log-level wins), the events
   * --json or --events ask for (to stderr when `dataOnStdout`), and with `statusLine` a progress
   * line when stderr is a terminal. Throws EventsTargetError for a bad --events (a usage error).
   */
  output(o: OutputFlags, options: OutputOptions = {}): RunOutput {
    const events = o.json || o.events !== undefined ? openEventSink(o, options.dataOnStdout) : NO_EVENTS;
    const human = !o.json;
    const status =
      human && options.statusLine && process.stderr.isTTY ? new StatusLine({ write: writeStderr, columns: () => process.stderr.columns || 80 }) : undefined;
    const write = status ? (line: string) => status.print(line) : writeStderr;
    const verbose = o.verbose ?? 0;
    const log = createLogger({ json: o.json, level: o.logLevel ?? levelFor(o, options.level ?? 'warn'), details: verbose >= 2, write });
    this.out = {
      log,
      events,
      status,
      human,
      verbose: verbose >= 1,
      line: (text) => {
        if (human) write(`${text}\n`);
      },
    };
    return this.out;
  }

  /**
   * Ends a run on SIGINT/SIGTERM through an AbortSignal so the library can shut down cleanly,
   * silently at the signal: the run's end says it (interrupted), so an interrupted command
   * prints one line. A second signal exits at once. The abort's reason names `who` ("sender
   * interrupted (SIGINT)"): a sender tells its receivers so.
   */
  interruptOnSignals(log: Logger, who = 'fountcast'): AbortController {
    const controller = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => {
      if (controller.signal.aborted) {
        log.warn({ signal: sig }, 'second signal: exiting now');
        this.out?.status?.close();
        process.exit(exitCodeFor(sig));
      }
      this.interruptedBy = sig;
      controller.abort(new Error(`${who} ${wordFor(sig)} (${sig})`));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return controller;
  }

  /**
   * The run ended because a signal interrupted it: one line and 128 + the signal's number, as a
   * shell reports it: "interrupted" and 130 for SIGINT, "terminated" and 143 for SIGTERM.
   */
  interrupted(log: Logger, json: boolean): void {
    const signal = this.interruptedBy ?? 'SIGINT';
    const word = wordFor(signal);
    this.out?.status?.close();
    if (json) log.error({ event: 'interrupted', signal }, word);
    else log.error(word);
    this.exitCode = exitCodeFor(signal);
    this.out?.events.emit({ event: 'error', kind: 'interrupted', message: word, exitCode: this.exitCode, signal });
  }

  /** One clear line (plus the error's name as a field in JSON mode), an error event; exit code 1. */
  fail(log: Logger, e: unknown, json: boolean): void {
    const err = e as Error;
    const message = err?.message ?? String(e);
    this.out?.status?.close();
    if (json) log.error({ event: 'failed', error: err?.name }, message);
    else log.error(message);
    this.exitCode = 1;
    this.out?.events.emit({ event: 'error', kind: 'transfer', message, exitCode: 1, ...(err?.name ? { name: err.name } : {}) });
  }

  /** A command's body with its logger; a throw becomes one error line and exit code 1. */
  async logged(o: LogFlags, body: (log: Logger) => Promise<void>): Promise<void> {
    const log = this.logger(o);
    try {
      await body(log);
    } catch (e) {
      this.fail(log, e, Boolean(o.json));
    }
  }
}

function levelFor(o: LogFlags, quiet: string): string {
  const v = o.verbose ?? 0;
  return v >= 2 ? 'debug' : v === 1 ? 'info' : quiet;
}

const wordFor = (sig: NodeJS.Signals) => (sig === 'SIGTERM' ? 'terminated' : 'interrupted');
/** 128 + the signal's number, as a shell reports a process a signal ended. */
const exitCodeFor = (sig: NodeJS.Signals) => (sig === 'SIGTERM' ? 143 : 130);

/** RunContext.output for an action: a bad --events is a usage error (one line, exit 2). */
export function openOutput(ctx: RunContext, o: OutputFlags, cmd: Command, options: OutputOptions = {}): RunOutput {
  try {
    return ctx.output(o, options);
  } catch (e) {
    if (e instanceof EventsTargetError) cmd.error(`error: ${e.message}`, { exitCode: 2, code: 'fountcast.events' });
    throw e;
  }
}

/**
 * What every command's action shares: its logger, SIGINT/SIGTERM as an AbortSignal, and one
 * clear error line with exit code 1 for a failure. The exit code is collected here for runCli.
 */
import type { Logger } from 'pino';
import { createLogger } from './logger.js';

export interface LogFlags {
  json?: boolean;
  logLevel?: string;
}

export class RunContext {
  exitCode = 0;
  /** The signal that interrupted the run (interruptOnSignals), if one did. */
  interruptedBy: NodeJS.Signals | undefined;

  logger(o: LogFlags): Logger {
    return createLogger({ json: o.json, level: o.logLevel });
  }

  /**
   * Ends a run on SIGINT/SIGTERM through an AbortSignal so the library can shut down cleanly,
   * silently at the signal: the run's end says it (interrupted), so an interrupted command
   * prints one line. A second signal exits at once.
   */
  interruptOnSignals(log: Logger): AbortController {
    return this.onSignals(log, (sig) => (this.interruptedBy = sig));
  }

  private onSignals(log: Logger, first: (sig: NodeJS.Signals) => void): AbortController {
    const controller = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => {
      if (controller.signal.aborted) {
        log.warn({ signal: sig }, 'second signal: exiting now');
        process.exit(130);
      }
      first(sig);
      controller.abort(new Error(`interrupted by ${sig}`));
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
    const terminated = this.interruptedBy === 'SIGTERM';
    const word = terminated ? 'terminated' : 'interrupted';
    if (json) log.error({ event: 'interrupted', signal: this.interruptedBy }, word);
    else log.error(word);
    this.exitCode = terminated ? 143 : 130;
  }

  /** One clear line (plus the error's name as a field in JSON mode); exit code 1. */
  fail(log: Logger, e: unknown, json: boolean): void {
    const err = e as Error;
    const message = err?.message ?? String(e);
    if (json) log.error({ event: 'failed', error: err?.name }, message);
    else log.error(message);
    this.exitCode = 1;
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

/**
 * Reconnecting during a transfer (adapter layer, above the session machine): when a run loses
 * its control connection, or the sender stops, after the transfer began, and waitForSenderMs > 0,
 * a new run connects again (its connect retry gets the time left) and resumes from the staging
 * the lost run kept. For up to waitForSenderMs in total since the loss; then the original reason.
 */
import { TamperedSourceError } from './errors.js';
import { reconnects } from './interruption.js';
import type { ReceiveConfig } from './receiveConfig.js';

/** One run of the transfer, as the loop sees it. */
export interface TransferRun<T> {
  readonly result: Promise<T>;
  /** The run opened its staging (it had taken a manifest): a loss after this is mid-transfer. */
  readonly transferStarted: boolean;
  /** Releases the run; `error` is why it failed (undefined: it succeeded). */
  cleanup(error: Error | undefined): Promise<void>;
}

export interface ReconnectDeps<T> {
  startRun(config: ReceiveConfig): Promise<TransferRun<T>>;
  /** ms, monotonic. @default performance.now */
  clock?: () => number;
  /** Told of each reconnect, with the reason and the time left (logs). */
  onReconnect?: (reason: Error, leftMs: number) => void;
  /** Told when a source that served altered content is dropped for the next (config.sources). */
  onSwitchSource?: (reason: TamperedSourceError, next: { host: string; port: number }) => void;
}

export async function receiveWithReconnect<T>(config: ReceiveConfig, deps: ReconnectDeps<T>): Promise<T> {
  const clock = deps.clock ?? (() => performance.now());
  /** The loss that started the current wait, and when. */
  let lost: { error: Error; at: number } | undefined;
  let runConfig = config;
  /** Alternatives not yet tried (--source): a source that served altered content gives way to the next. */
  const sources = [...config.sources];
  for (;;) {
    const run = await deps.startRun(runConfig);
    let error: Error | undefined;
    try {
      return await run.result;
    } catch (e) {
      error = e as Error;
    } finally {
      await run.cleanup(error);
    }
    if (error instanceof TamperedSourceError) {
      const next = sources.shift();
      if (next === undefined || config.signal?.aborted) throw error;
      deps.onSwitchSource?.(error, next);
      // The staging was kept: the next source is asked only for what is missing (Request.have).
      runConfig = { ...runConfig, host: next.host, port: next.port };
      lost = undefined;
      continue;
    }
    // A run that got under way again starts a fresh wait if it is lost in turn.
    if (run.transferStarted) lost = undefined;
    const canRetry = config.waitForSenderMs > 0 && !config.signal?.aborted;
    if (lost === undefined) {
      if (!canRetry || !run.transferStarted || !reconnects(error)) throw error;
      lost = { error, at: clock() };
    } else if (!canRetry || !(reconnects(error) || isConnectLoss(error))) {
      // Something else went wrong on the way back (a refusal, a mismatch): that is the reason.
      throw isConnectLoss(error) ? lost.error : error;
    }
    const left = config.waitForSenderMs - (clock() - lost.at);
    if (left <= 0) throw lost.error;
    deps.onReconnect?.(lost.error, left);
    runConfig = { ...runConfig, waitForSenderMs: left };
  }
}

function isConnectLoss(e: Error): boolean {
  return (e as { loss?: string }).loss === 'connect-failed';
}

/**
 * What `fountcast receive` prints about its transfer: on a terminal one status line (connecting,
 * then a bar with bytes, rate and ETA), closed before the one summary line; --json events
 * (start at the manifest, progress every second, summary last, error before it on a failure).
 * The action feeds it the library's callbacks and the outcome.
 */
import type { Manifest } from '../control/messages.js';
import type { ReceiveSummary } from '../receiver/receiveStates.js';
import { seconds3, wholeOrNull } from './events.js';
import { formatEta, percent, shortRate, withBar } from './progressBar.js';
import { RateMeter } from './rateMeter.js';
import type { RunContext, RunOutput } from './runContext.js';
import { formatBytes } from './units.js';

/** How often a --json progress event goes out, and the status line's rate and ETA refresh. */
export const PROGRESS_EVENT_MS = 1000;

export class ReceiveReport {
  private readonly meter = new RateMeter();
  private name: string | undefined;
  /** Undefined while a pipe's length follows. */
  private total: number | undefined;
  private done = 0;
  private startedAt: number | undefined;
  private result: ReceiveSummary | undefined;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly out: RunOutput,
    private readonly ctx: RunContext,
    private readonly sender: string,
    private readonly path: string,
    private readonly now: () => number = () => performance.now(),
  ) {
    out.status?.update(`connecting to ${sender}…`, true);
    this.ticker = setInterval(() => this.tick(), PROGRESS_EVENT_MS);
    this.ticker.unref();
  }

  /** The manifest came: the transfer starts. */
  start(m: Manifest): void {
    this.name = m.fileName;
    this.total = m.lengthFollows ? undefined : m.fileSize;
    this.startedAt = this.now();
    this.meter.sample(this.startedAt, 0);
    this.out.events.emit({ event: 'start', role: 'receiver', name: m.fileName, bytes: this.total ?? null, sender: this.sender, path: this.path });
    this.render(true);
  }

  /** Bytes received so far: the library's onProgress, which moves with the datagrams between segment writes. */
  progress(doneBytes: number): void {
    this.done = doneBytes;
    this.meter.sample(this.now(), doneBytes);
    this.render(false);
  }

  /** The file is stored (or written to stdout): the status line gives way to the summary line. */
  stored(s: ReceiveSummary): void {
    this.stop();
    this.result = s;
    const name = this.name ?? s.path;
    if (s.upToDate) return this.out.line(`${name} is already up to date at ${s.path} (SHA-256 verified): nothing received`);
    const lost = s.datagramsLost + s.datagramsReceived > 0 ? s.datagramsLost / (s.datagramsLost + s.datagramsReceived) : 0;
    const loss = lost > 0 ? `, ${(lost * 100).toFixed(1)} % of datagrams lost` : '';
    const where = this.path === '-' ? 'written to standard output' : `stored at ${s.path}`;
    this.out.line(
      `received ${name} (${formatBytes(s.bytes)}) in ${s.seconds.toFixed(2)} s, ${shortRate(goodput(s.bytes, s.seconds))}${loss}, SHA-256 verified, ${where}`,
    );
  }

  /** The transfer (or --on-complete) failed, or a signal interrupted it: one error line (RunContext). */
  failed(e: unknown, json: boolean): void {
    this.stop();
    // Ctrl-C or SIGTERM: the library stopped the sender and kept or removed the partial file.
    if (this.ctx.interruptedBy !== undefined && (e as Error)?.name === 'TransferAbortedError') this.ctx.interrupted(this.out.log, json);
    else this.ctx.fail(this.out.log, e, json);
  }

  /** The last event: the summary, with the run's exit code. */
  end(): void {
    this.stop();
    const s = this.result;
    if (s) {
      this.out.events.emit({
        event: 'summary',
        role: 'receiver',
        exitCode: this.ctx.exitCode,
        name: this.name ?? s.path,
        path: s.path,
        bytes: s.bytes,
        seconds: seconds3(s.seconds),
        goodputBitsPerSecond: Math.round(goodput(s.bytes, s.seconds)),
        digest: s.objectDigest,
        ...(s.sha256 !== undefined ? { sha256: s.sha256 } : {}),
        datagramsReceived: s.datagramsReceived,
        datagramsLost: s.datagramsLost,
        codecDecodes: s.codecDecodes,
        ...(s.upToDate ? { upToDate: true } : {}),
      });
      return;
    }
    const seconds = this.startedAt === undefined ? 0 : (this.now() - this.startedAt) / 1000;
    this.out.events.emit({
      event: 'summary',
      role: 'receiver',
      exitCode: this.ctx.exitCode,
      name: this.name ?? null,
      path: this.path,
      bytes: this.done,
      seconds: seconds3(seconds),
      goodputBitsPerSecond: Math.round(goodput(this.done, seconds)),
    });
  }

  private stop(): void {
    clearInterval(this.ticker);
    this.out.status?.close();
  }

  private tick(): void {
    if (this.startedAt === undefined) return;
    const now = this.now();
    this.render(true);
    this.out.events.emit({
      event: 'progress',
      role: 'receiver',
      bytes: this.done,
      totalBytes: this.total ?? null,
      rateBitsPerSecond: wholeOrNull(this.meter.rateBitsPerSecond(now)),
      etaSeconds: this.total === undefined ? null : wholeOrNull(this.meter.etaSeconds(now, this.total - this.done)),
    });
  }

  private render(force: boolean): void {
    const status = this.out.status;
    if (!status || this.name === undefined) return;
    const now = this.now();
    const rate = this.meter.rateBitsPerSecond(now);
    const total = this.total;
    const parts = [`receiving ${this.name}`];
    if (total === undefined) parts.push(formatBytes(this.done));
    else parts.push(percent(this.done, total).padStart(4), '{bar}', `${formatBytes(this.done)} / ${formatBytes(total)}`);
    if (rate !== undefined) parts.push(shortRate(rate));
    const eta = total === undefined || this.done >= total ? undefined : this.meter.etaSeconds(now, total - this.done);
    if (eta !== undefined) parts.push(`ETA ${formatEta(eta)}`);
    status.update(withBar(parts, total ? this.done / total : 1, status.width), force);
  }
}

/** Bits per second of useful data: the bytes delivered over the transfer's time. */
export function goodput(bytes: number, seconds: number): number {
  return seconds > 0 ? (bytes * 8) / seconds : 0;
}

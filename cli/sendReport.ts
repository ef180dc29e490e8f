/**
 * What `fountcast send` prints about its run: on a terminal one running line like udp-sender's
 * (aggregate progress over the receivers, bytes sent and the rate on the wire, resends,
 * receivers done/total, ETA), closed before the one summary line; --json events (start once
 * listening, progress every second, one `receiver` per ended session, summary last). The
 * action feeds it send()'s callbacks and the outcome.
 */
import type { ReceiverSummary, SendProgress, SendSummary, ServedObject } from '../sender/send.js';
import { seconds3, wholeOrNull, type ProgressEvent } from './events.js';
import { formatEta, percent, shortRate, withBar } from './progressBar.js';
import { RateMeter } from './rateMeter.js';
import { goodput, PROGRESS_EVENT_MS } from './receiveReport.js';
import type { RunContext, RunOutput } from './runContext.js';
import { formatBytes } from './units.js';

export class SendReport {
  /** Bytes the receivers hold (summed): the ETA. */
  private readonly delivered = new RateMeter();
  /** Bytes on the wire: the rate shown, as udp-sender shows it. */
  private readonly wire = new RateMeter();
  private served: ServedObject | undefined;
  private where = '';
  private last: SendProgress | undefined;
  private readonly completed: { bytes: number; start: number; end: number }[] = [];
  private summary: SendSummary | undefined;
  private lastNews = '';
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly out: RunOutput,
    private readonly ctx: RunContext,
    /** --receivers N: the count the line says "done of". */
    private readonly target: number | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    out.status?.update('preparing…', true);
    this.ticker = setInterval(() => this.tick(), PROGRESS_EVENT_MS);
    this.ticker.unref();
  }

  /** send()'s onListening. */
  listening(address: { address: string; port: number } | undefined, served: ServedObject): void {
    this.served = served;
    // No address: the receivers are reached over their own control streams (send --to / --exec).
    this.where =
      address === undefined
        ? 'their control streams'
        : address.address.includes(':')
          ? `[${address.address}]:${address.port}`
          : `${address.address}:${address.port}`;
    this.out.events.emit({
      event: 'start',
      role: 'sender',
      name: served.name,
      bytes: served.bytes ?? null,
      ...(address ? { address: address.address, port: address.port } : {}),
    });
    this.render(true);
  }

  /** send()'s onProgress. */
  progress(p: SendProgress): void {
    this.last = p;
    const now = this.now();
    this.delivered.sample(now, p.bytesDone);
    this.wire.sample(now, p.bytesSent);
    this.render(false);
  }

  /** send()'s onReceiverEnd. */
  receiverEnded(s: ReceiverSummary): void {
    const bytes = s.bytes ?? 0;
    const end = this.now();
    if (s.outcome === 'completed') this.completed.push({ bytes, start: end - s.seconds * 1000, end });
    const seen = s.datagramsReceived + s.datagramsLost;
    this.out.events.emit({
      event: 'receiver',
      receiverId: s.receiverId,
      address: s.address,
      outcome: s.outcome,
      reason: s.reason,
      seconds: seconds3(s.seconds),
      bytes,
      goodputBitsPerSecond: Math.round(goodput(bytes, s.seconds)),
      datagramsSent: s.datagramsSent,
      resends: s.sourceRetransmits + s.repairSymbolsSent,
      loss: seen > 0 ? s.datagramsLost / seen : 0,
    });
  }

  /** send() returned: the running line gives way to the summary line. */
  finished(s: SendSummary): void {
    this.stop();
    this.summary = s;
    const name = this.served ? `${this.served.name}${this.served.bytes === undefined ? '' : ` (${formatBytes(this.served.bytes)})`}` : 'nothing';
    const { bytes, seconds } = this.span();
    if (s.completed + s.failed === 0) return this.out.line(`served ${name}: no receiver came`);
    const failed = s.failed > 0 ? `, ${s.failed} failed` : '';
    const p = this.last;
    const resent = p && p.resends > 0 ? `, ${((100 * p.resends) / p.datagramsSent).toFixed(1)} % resent` : '';
    const rate = s.completed > 0 ? ` in ${seconds.toFixed(2)} s, ${shortRate(goodput(bytes, seconds))} goodput` : '';
    this.out.line(`served ${name}: ${s.completed} receiver${s.completed === 1 ? '' : 's'} completed${rate}${failed}${resent}`);
  }

  /** send() threw, or a signal stopped it: one error line (RunContext). */
  failed(e: unknown, json: boolean): void {
    this.stop();
    if (this.ctx.interruptedBy !== undefined) this.ctx.interrupted(this.out.log, json);
    else this.ctx.fail(this.out.log, e, json);
  }

  /** The last event: the summary, with the run's exit code. */
  end(): void {
    this.stop();
    const { bytes, seconds } = this.span();
    const s = this.summary;
    const p = this.last;
    this.out.events.emit({
      event: 'summary',
      role: 'sender',
      exitCode: this.ctx.exitCode,
      name: this.served?.name ?? null,
      bytes,
      seconds: seconds3(seconds),
      goodputBitsPerSecond: Math.round(goodput(bytes, seconds)),
      completed: s?.completed ?? this.completed.length,
      failed: s?.failed ?? p?.receiversFailed ?? 0,
      reason: s?.reason ?? null,
      bytesSent: p?.bytesSent ?? 0,
      datagramsSent: p?.datagramsSent ?? 0,
      resends: p?.resends ?? 0,
    });
  }

  /** Bytes the completed receivers got, over the time from the first one's start to the last one's end. */
  private span(): { bytes: number; seconds: number } {
    if (this.completed.length === 0) return { bytes: 0, seconds: 0 };
    const start = Math.min(...this.completed.map((c) => c.start));
    const end = Math.max(...this.completed.map((c) => c.end));
    return { bytes: this.completed.reduce((n, c) => n + c.bytes, 0), seconds: (end - start) / 1000 };
  }

  private stop(): void {
    clearInterval(this.ticker);
    this.out.status?.close();
  }

  private tick(): void {
    const p = this.last;
    if (!p) return;
    const now = this.now();
    this.render(true);
    // A sender waiting for receivers has no news: no event until something moves.
    const news = [p.bytesDone, p.bytesSent, p.receiversDone, p.receiversFailed, p.receiversTotal].join();
    if (news === this.lastNews) return;
    this.lastNews = news;
    this.out.events.emit(sendProgressEvent('sender', p, this.delivered, now));
  }

  private render(force: boolean): void {
    const status = this.out.status;
    const served = this.served;
    if (!status || !served) return;
    const p = this.last;
    const size = served.bytes === undefined ? '' : ` (${formatBytes(served.bytes)})`;
    const of = Math.max(p?.receiversTotal ?? 0, this.target ?? 0);
    const failed = p && p.receiversFailed > 0 ? `, ${p.receiversFailed} failed` : '';
    if (!p || p.receivers.length === 0) {
      const tally = p && p.receiversTotal > 0 ? `${p.receiversDone}/${of} receivers done${failed}, waiting for more` : 'waiting for receivers';
      return status.update(`serving ${served.name}${size} on ${this.where}: ${tally}`, force);
    }
    const now = this.now();
    const parts = [`sending ${served.name}`, percent(p.bytesDone, p.bytesTotal).padStart(4), '{bar}', `${p.receiversDone}/${of} done${failed}`];
    parts.push(`${formatBytes(p.bytesSent)} sent`);
    const rate = this.wire.rateBitsPerSecond(now);
    if (rate !== undefined) parts.push(shortRate(rate));
    parts.push(`${p.resends} resends`);
    const eta = this.delivered.etaSeconds(now, p.bytesTotal - p.bytesDone);
    if (eta !== undefined && rate !== undefined) parts.push(`ETA ${formatEta(eta)}`);
    status.update(withBar(parts, p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0, status.width), force);
  }
}

/** The `progress` event of a sending side (the sender, or the demo's sender and receivers). */
export function sendProgressEvent(role: 'sender' | 'demo', p: SendProgress, meter: RateMeter, now: number): ProgressEvent {
  return {
    event: 'progress',
    role,
    bytes: p.bytesDone,
    totalBytes: p.bytesTotal,
    rateBitsPerSecond: wholeOrNull(meter.rateBitsPerSecond(now)),
    etaSeconds: wholeOrNull(meter.etaSeconds(now, p.bytesTotal - p.bytesDone)),
    bytesSent: p.bytesSent,
    resends: p.resends,
    receiversDone: p.receiversDone,
    receiversFailed: p.receiversFailed,
    receiversTotal: p.receiversTotal,
  };
}

/**
 * The embedded default job: a seeded file sent over 127.0.0.1 to several in-process receivers
 * (one behind simulated loss), every copy checked against the source's SHA-256, a summary
 * printed. Nothing is left behind in the temporary directory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receive, type ReceiveSummary } from '../receiver/receive.js';
import { send, type SendProgress, type SendSummary } from '../sender/send.js';
import { SeededRandom } from '../util/random.js';
import { percent, shortRate, withBar } from './progressBar.js';
import { RateMeter } from './rateMeter.js';
import { sendProgressEvent } from './sendReport.js';
import { PROGRESS_EVENT_MS } from './receiveReport.js';
import type { RunOutput } from './runContext.js';
import { formatBytes } from './units.js';

export interface DemoOptions {
  sizeBytes: number;
  receivers: number;
  /** Simulated loss at the last receiver; the first has none, those between a share. */
  loss: number;
  rateBitsPerSecond: number;
  seed: number;
  signal?: AbortSignal;
  /** Its log, events and status line (RunContext.output). */
  out: RunOutput;
}

/** What the demo's summary event carries besides the exit code. */
export interface DemoResult {
  ok: boolean;
  /** Bytes every copy verified, summed. */
  bytes: number;
  seconds: number;
  goodputBitsPerSecond: number;
  receivers: object[];
  sender: SendSummary;
}

async function writeSeededFile(path: string, size: number, seed: number): Promise<void> {
  const random = new SeededRandom(seed);
  const fh = await open(path, 'w');
  try {
    const chunk = new Uint8Array(1 << 20);
    for (let at = 0; at < size; at += chunk.length) {
      const n = Math.min(chunk.length, size - at);
      random.fill(chunk);
      await fh.write(chunk, 0, n, at);
    }
  } finally {
    await fh.close();
  }
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.out.log;
  const events = o.out.events;
  const dir = await mkdtemp(join(tmpdir(), 'fountcast-demo-'));
  let running: DemoProgress | undefined;
  try {
    const source = join(dir, 'demo.bin');
    await writeSeededFile(source, o.sizeBytes, o.seed);
    const sourceHash = await sha256File(source);
    log.info(
      { file: source, bytes: o.sizeBytes, receivers: o.receivers },
      `demo: sending ${formatBytes(o.sizeBytes)} to ${o.receivers} receivers on 127.0.0.1`,
    );
    events.emit({ event: 'start', role: 'demo', name: 'demo.bin', bytes: o.sizeBytes, receivers: o.receivers });
    const progress = new DemoProgress(o.out, o.receivers);
    running = progress;

    let onListening!: (port: number) => void;
    const listening = new Promise<number>((resolve) => (onListening = resolve));
    const started = performance.now();
    const sending = send({
      file: source,
      host: '127.0.0.1',
      port: 0,
      receivers: o.receivers,
      rateBitsPerSecond: o.rateBitsPerSecond,
      // The receivers run on this host: a raised stream thread would take their CPU.
      streamNice: 0,
      signal: o.signal,
      // Each receiver's end is the demo's table; the sender's own word on it only with -v.
      logger: log.child({ role: 'sender' }, { level: log.isLevelEnabled('info') ? log.level : 'error' }),
      onListening: (address) => address && onListening(address.port),
      onProgress: (p) => progress.update(p),
    });
    // If the sender fails before listening, surface that instead of waiting forever.
    const port = await Promise.race([
      listening,
      sending.then(() => {
        throw new Error('sender ended before listening');
      }),
    ]);

    const losses = Array.from({ length: o.receivers }, (_, i) => (o.receivers === 1 ? o.loss : (o.loss * i) / (o.receivers - 1)));
    const results = await Promise.allSettled(
      losses.map(async (loss, i) => {
        const out = join(dir, `receiver-${i}`);
        await mkdir(out);
        const summary = await receive({
          host: '127.0.0.1',
          port,
          out,
          receiverId: `demo-${i}`,
          simulateLoss: loss,
          seed: o.seed + i,
          signal: o.signal,
          logger: log.child({ role: `receiver-${i}` }),
        });
        const hash = await sha256File(summary.path);
        return { summary, loss, identical: hash === sourceHash };
      }),
    );
    const sendSummary = await sending;
    progress.close();
    const seconds = (performance.now() - started) / 1000;

    const rows = results.map((r, i) =>
      r.status === 'fulfilled'
        ? { receiver: `demo-${i}`, ...describe(r.value.summary), simulatedLoss: r.value.loss, identical: r.value.identical }
        : { receiver: `demo-${i}`, error: (r.reason as Error).message, identical: false },
    );
    const ok = rows.every((r) => r.identical);
    const bytes = o.sizeBytes * rows.filter((r) => r.identical).length;
    // Interrupted: the run's one line says so, not a table of aborted copies.
    if (o.out.human && !o.signal?.aborted) {
      process.stdout.write(
        `fountcast demo: ${formatBytes(o.sizeBytes)} to ${o.receivers} receivers in ${seconds.toFixed(2)} s — ${ok ? 'all copies identical' : 'FAILED'}\n`,
      );
      for (const r of rows) {
        if ('error' in r) process.stdout.write(`  ${r.receiver}: FAILED: ${r.error}\n`);
        else
          process.stdout.write(
            `  ${r.receiver}: loss ${(r.simulatedLoss * 100).toFixed(0)}%, ${r.seconds.toFixed(2)} s, ${r.mbPerSecond.toFixed(1)} MB/s, ` +
              `symbols received/K = ${r.receptionRatio.toFixed(4)}, sha256 ${r.identical ? 'identical' : 'DIFFERENT'}\n`,
          );
      }
    }
    return { ok, bytes, seconds, goodputBitsPerSecond: seconds > 0 ? (bytes * 8) / seconds : 0, receivers: rows, sender: sendSummary };
  } finally {
    running?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The demo's running line (the sender's aggregate over its local receivers) and its progress events. */
class DemoProgress {
  private readonly meter = new RateMeter();
  private readonly ticker: NodeJS.Timeout;
  private last: SendProgress | undefined;

  constructor(
    private readonly out: RunOutput,
    private readonly receivers: number,
  ) {
    this.ticker = setInterval(() => this.emit(), PROGRESS_EVENT_MS);
    this.ticker.unref();
  }

  update(p: SendProgress): void {
    this.last = p;
    const now = performance.now();
    this.meter.sample(now, p.bytesDone);
    const status = this.out.status;
    if (!status || p.bytesTotal === 0) return;
    const parts = ['demo', percent(p.bytesDone, p.bytesTotal).padStart(4), '{bar}', `${p.receiversDone}/${this.receivers} receivers done`];
    const rate = this.meter.rateBitsPerSecond(now);
    if (rate !== undefined) parts.push(shortRate(rate));
    status.update(withBar(parts, p.bytesDone / p.bytesTotal, status.width));
  }

  close(): void {
    clearInterval(this.ticker);
    this.out.status?.close();
  }

  private emit(): void {
    const p = this.last;
    if (!p) return;
    const now = performance.now();
    this.out.events.emit(sendProgressEvent('demo', p, this.meter, now));
  }
}

function describe(s: ReceiveSummary) {
  return {
    seconds: s.seconds,
    mbPerSecond: s.bytes / 1e6 / Math.max(1e-9, s.seconds),
    receptionRatio: s.symbolsNeeded === 0 ? 1 : s.symbolsReceived / s.symbolsNeeded,
  };
}

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
import type { Logger } from 'pino';
import { receive, type ReceiveSummary } from '../receiver/receive.js';
import { send } from '../sender/send.js';
import { SeededRandom } from '../util/random.js';
import { formatBytes } from './units.js';

export interface DemoOptions {
  sizeBytes: number;
  receivers: number;
  /** Simulated loss at the last receiver; the first has none, those between a share. */
  loss: number;
  rateBitsPerSecond: number;
  seed: number;
  signal?: AbortSignal;
  logger: Logger;
  json: boolean;
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

export async function runDemo(o: DemoOptions): Promise<boolean> {
  const log = o.logger;
  const dir = await mkdtemp(join(tmpdir(), 'fountcast-demo-'));
  try {
    const source = join(dir, 'demo.bin');
    await writeSeededFile(source, o.sizeBytes, o.seed);
    const sourceHash = await sha256File(source);
    log.info(
      { file: source, bytes: o.sizeBytes, receivers: o.receivers },
      `demo: sending ${formatBytes(o.sizeBytes)} to ${o.receivers} receivers on 127.0.0.1`,
    );

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
      logger: log.child({ role: 'sender' }),
      onListening: (address) => onListening(address.port),
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
    const seconds = (performance.now() - started) / 1000;

    const rows = results.map((r, i) =>
      r.status === 'fulfilled'
        ? { receiver: `demo-${i}`, ...describe(r.value.summary), simulatedLoss: r.value.loss, identical: r.value.identical }
        : { receiver: `demo-${i}`, error: (r.reason as Error).message, identical: false },
    );
    const ok = rows.every((r) => r.identical);
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ event: 'demo-summary', ok, bytes: o.sizeBytes, seconds, receivers: rows, sender: sendSummary })}\n`);
    } else {
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
    return ok;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function describe(s: ReceiveSummary) {
  return {
    seconds: s.seconds,
    mbPerSecond: s.bytes / 1e6 / Math.max(1e-9, s.seconds),
    receptionRatio: s.symbolsNeeded === 0 ? 1 : s.symbolsReceived / s.symbolsNeeded,
  };
}

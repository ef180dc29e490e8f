/**
 * A progress bar (rate, percent, ETA) on a TTY; nothing at all when stderr is not a TTY
 * (cli-progress is then not even loaded).
 */
import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import { formatBytes } from './units.js';

const require = createRequire(import.meta.url);

export interface ProgressView {
  update(doneBytes: number, totalBytes: number): void;
  stop(): void;
}

export function createProgressView(label: string, enabled = Boolean(process.stderr.isTTY)): ProgressView {
  if (!enabled) return { update() {}, stop() {} };
  const cliProgress = require('cli-progress') as typeof CliProgress;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {done} / {total} | {rate} | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = performance.now();
  return {
    update(doneBytes, totalBytes) {
      const seconds = Math.max(1e-3, (performance.now() - t0) / 1000);
      const payload = {
        done: formatBytes(doneBytes),
        total: formatBytes(totalBytes),
        rate: `${formatBytes(doneBytes / seconds)}/s`,
      };
      if (!started) {
        bar.start(Math.max(1, totalBytes), doneBytes, payload);
        started = true;
      } else {
        bar.update(doneBytes, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

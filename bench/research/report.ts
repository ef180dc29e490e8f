/**
 * Writes an experiment's results: trials.csv (the reproducible rows), timings.csv (wall-clock
 * encode/decode ms, machine-dependent), results.json (configuration, seed, rows, timings,
 * summaries) and a summary table for stdout. In real mode (`--real`) every number is wall-clock
 * and the rows are not reproducible; `mode` says which.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeDecode, type ExperimentResult, type TrialRow, type TrialTiming } from './experiment.js';
import { describeMode } from './trialTypes.js';
import type { Summary } from './statistics.js';

const ROW_COLUMNS: (keyof TrialRow)[] = [
  'mode',
  'decode',
  'scheme',
  'loss',
  'receivers',
  'trial',
  'seed',
  'sourceSymbols',
  'symbolsSent',
  'bytesOnWire',
  'overheadMean',
  'overheadMax',
  'decodeFailures',
  'completed',
  'completionMs',
  'completionMeanMs',
];
const TIMING_COLUMNS: (keyof TrialTiming)[] = ['scheme', 'loss', 'receivers', 'trial', 'encodeMs', 'decodeMs', 'wallMs', 'cpuMs', 'unsimulatedLoss'];

function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toPrecision(8)) : '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv<T>(rows: readonly T[], columns: (keyof T)[]): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

export async function writeResults(dir: string, result: ExperimentResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = [join(dir, 'trials.csv'), join(dir, 'timings.csv'), join(dir, 'results.json')];
  await writeFile(files[0]!, toCsv(result.rows, ROW_COLUMNS));
  await writeFile(files[1]!, toCsv(result.timings, TIMING_COLUMNS));
  await writeFile(
    files[2]!,
    JSON.stringify({ decode: describeDecode(result.config), ...result }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2),
  );
  return files;
}

const fmt = (s: Summary, scale = 1, digits = 2) =>
  Number.isFinite(s.mean)
    ? `${(s.mean * scale).toFixed(digits)} ±${(s.ci95 * scale).toFixed(digits)} (med ${(s.median * scale).toFixed(digits)}, p95 ${(s.p95 * scale).toFixed(digits)})`
    : 'n/a';

/** One line per configuration: overhead %, symbols sent per K, completion time. */
export function summaryTable(result: ExperimentResult): string {
  const head = ['decode', 'scheme', 'loss', 'rx', 'overhead % (mean ±95% CI)', 'sent / K', 'completion ms', 'fail', 'incomplete'];
  const lines = result.summaries.map((s) => [
    s.decode,
    s.scheme,
    s.loss,
    String(s.receivers),
    fmt(s.overhead, 100),
    fmt(s.sentPerK, 1, 3),
    fmt(s.completionMs, 1, 0),
    String(s.decodeFailures),
    String(s.incomplete),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const mode = result.config.mode === 'real' ? `${describeMode(result.config)} (wall-clock ms, not reproducible)` : 'simulated (virtual ms)';
  return [`mode: ${mode}; decode: ${describeDecode(result.config)}`, row(head), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n');
}

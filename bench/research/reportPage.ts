/**
 * report.md in an experiment's --out: one page with the command and seed that reproduce it, the
 * summary table, the validation table (validation.ts: the harness against closed forms) and
 * the plots (plots.ts), so a figure never travels without how it was made and checked.
 */
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describeDecode, type ExperimentResult } from './experiment.js';
import { describeMode } from './trialTypes.js';
import { describeLoss } from './lossModels.js';
import { summaryTable } from './report.js';
import { validationTable, type ValidationRow } from './validation.js';

export interface ReportPage {
  /** The command line that reproduces the run, seed included. */
  command: string;
  result?: ExperimentResult;
  validation: readonly ValidationRow[];
  /** The PNG files of the plots (linked by their base name: they sit beside report.md). */
  plots: readonly string[];
}

/** `argv` (after the program name) as a command a shell reruns, with --seed and --out made explicit. */
export function reproducingCommand(argv: readonly string[], seed: number, out: string): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const args = [...argv];
  if (!args.some((a) => a === '--seed' || a.startsWith('--seed='))) args.push('--seed', String(seed));
  if (!args.some((a) => a === '--out' || a.startsWith('--out='))) args.push('--out', out);
  return ['fountcast', ...args].map(quote).join(' ');
}

export function reportMarkdown(page: ReportPage): string {
  const failed = page.validation.filter((r) => !r.pass).length;
  const lines = ['# fountcast experiment report', '', 'Reproduce with:', '', '```', page.command, '```', ''];
  const r = page.result;
  if (r) {
    const c = r.config;
    lines.push(
      `Seed ${c.seed}; ${describeMode(c)}${c.mode === 'real' ? ' (wall-clock, not reproducible)' : ''}; decode: ${describeDecode(c)}.`,
      `Schemes ${c.schemes.join(', ')}; loss ${c.losses.map(describeLoss).join(', ')}; receivers ${c.receivers.join(', ')}; ${c.sizeBytes} bytes; ${c.trials} trials each.`,
      '',
      '## Summary',
      '',
      '```',
      summaryTable(r),
      '```',
      '',
    );
  }
  lines.push(
    '## Validation against closed forms',
    '',
    `${page.validation.length - failed} of ${page.validation.length} rows pass (bench/research/validation.ts; docs/research.md says what each row checks).`,
    '',
    validationTable(page.validation, true),
    '',
  );
  if (page.plots.length > 0) {
    lines.push('## Plots', '', 'Dashed grey lines are closed forms (ideal fountain, selective repeat) where one exists.', '');
    for (const p of page.plots) lines.push(`![${basename(p, '.png')}](${basename(p)})`, '');
  }
  return lines.join('\n');
}

export async function writeReportPage(dir: string, page: ReportPage): Promise<string> {
  const file = join(dir, 'report.md');
  await writeFile(file, reportMarkdown(page));
  return file;
}

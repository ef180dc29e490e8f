/** fountcast(1) is generated from the command definitions and kept in step with them. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { manPage, roff } from '../../cli/manPage.js';
import { buildProgram } from '../../cli/program.js';
import { RunContext } from '../../cli/runContext.js';

const root = join(import.meta.dirname, '..', '..');
const page = manPage();
const groff = spawnSync('groff', ['--version']).status === 0;
if (!groff) console.warn('test/cli/manPage.test.ts: the render check is skipped, groff is not installed');

describe('man page', () => {
  it('lists every option of every command, and every command', () => {
    for (const command of buildProgram(new RunContext()).commands) {
      expect(page).toContain(`.SS "fountcast ${roff(command.name())} `);
      for (const o of command.options as Option[]) expect(page, `${command.name()} ${o.long}`).toContain(roff(o.long!));
    }
    expect(page).toMatch(/\.SH EXIT STATUS\n\.TP\n\.B 0\ndone\n/);
  });

  it('is committed as generated (npm run man writes it)', () => {
    expect(readFileSync(join(root, 'man', 'fountcast.1'), 'utf8')).toBe(page);
  });

  it('escapes what roff would read as a request, an escape or a hyphen', () => {
    expect(roff(".TH x\n'quote\na\\b --flag ’")).toBe("\\&.TH x\n\\&'quote\na\\eb \\-\\-flag \\[u2019]");
  });

  it.skipIf(!groff)(`renders with groff without a single warning${groff ? '' : ' (skipped: groff is not installed)'}`, () => {
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: page, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});

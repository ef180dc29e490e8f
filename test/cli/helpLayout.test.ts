/** Help grouped by task: every option of a grouped command in exactly one named group, examples that use real flags. */
import { describe, expect, it } from 'vitest';
import type { Command, Option } from 'commander';
import { HELP_EXAMPLES, HELP_GROUPS } from '../../cli/helpLayout.js';
import { buildProgram } from '../../cli/program.js';
import { RunContext } from '../../cli/runContext.js';

const program = buildProgram(new RunContext());
const command = (name: string) => program.commands.find((c) => c.name() === name)!;
const longFlags = (c: Command) => [...(c.options as Option[]).map((o) => o.long!), '--help'];

describe('help layout', () => {
  it('every command has its options grouped', () => {
    expect(Object.keys(HELP_GROUPS).sort()).toEqual(program.commands.map((c) => c.name()).sort());
  });

  it.each(Object.keys(HELP_GROUPS))('%s: every option sits in one named group, and every named flag exists', (name) => {
    const c = command(name);
    const named = HELP_GROUPS[name]!.flatMap(([, flags]) => flags);
    expect(new Set(named).size).toBe(named.length);
    expect([...named].sort()).toEqual([...longFlags(c)].sort());
    for (const o of c.options as Option[]) expect(o.helpGroupHeading, o.long).not.toBe('Other options:');
  });

  it('send --help shows the groups in task order, then 2-4 examples, then the exit codes', () => {
    let out = '';
    command('send').configureOutput({ writeOut: (s) => (out += s) });
    command('send').outputHelp();
    const headings = out.split('\n').filter((l) => /^[A-Z][^:]*:$/.test(l) && l !== 'Arguments:');
    expect(headings).toEqual([...HELP_GROUPS.send!.map(([h]) => h), 'Examples:']);
    expect(out).toMatch(/Examples:\n {2}fountcast send image\.iso --receivers 1/);
    expect(out.indexOf('Examples:')).toBeLessThan(out.indexOf('Exit codes:'));
    // Each option line appears once.
    expect(out.match(/--multicast <group:port>/g)).toHaveLength(1);
  });

  it.each(program.commands.map((c) => c.name()))('%s: 2-4 examples, each using only flags the command has', (name) => {
    const examples = HELP_EXAMPLES[name] ?? [];
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(examples.length).toBeLessThanOrEqual(4);
    const flags = new Set(longFlags(command(name)));
    for (const e of examples) {
      const used = e.replace(/#.*$/, '').match(/(?<=\s)--[a-z][a-z0-9-]*/g) ?? [];
      for (const f of used) expect(flags.has(f), `${name}: ${f} in "${e}"`).toBe(true);
    }
  });
});

/**
 * fountcast(1), written from the same commander definitions as --help (buildProgram): every
 * command, its arguments, its options in their help groups with defaults as help shows them,
 * its examples, and the exit codes. `npm run man` writes man/fountcast.1; a test checks the
 * committed page is what the definitions give, so the two cannot drift apart.
 */
import { writeFileSync } from 'node:fs';
import type { Command, Help, Option } from 'commander';
import { HELP_EXAMPLES } from './helpLayout.js';
import { buildProgram, EXIT_CODE_TABLE } from './program.js';
import { RunContext } from './runContext.js';

/** Text made safe for roff: backslashes, hyphens (so they stay ASCII in copy and paste), non-ASCII, control lines. */
export function roff(text: string): string {
  return (
    text
      .replace(/\\/g, '\\e')
      .replace(/-/g, '\\-')
      // Named by code point, so the page renders the same with or without a UTF-8 preprocessor.
      .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`)
      .split('\n')
      .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
      .join('\n')
  );
}

function commandSection(command: Command, help: Help): string[] {
  const out = [`.SS "${roff(`fountcast ${command.name()} ${help.commandUsage(command).replace(/^fountcast \S+ /, '')}`)}"`, roff(command.description())];
  const args = help.visibleArguments(command);
  if (args.length > 0) {
    out.push('.PP', '.B Arguments');
    for (const a of args) out.push('.TP', `.I ${roff(a.name())}`, roff(help.argumentDescription(a)));
  }
  let group: string | undefined;
  for (const o of help.visibleOptions(command) as Option[]) {
    const heading = (o.helpGroupHeading ?? 'Options:').replace(/:$/, '');
    if (heading !== group) out.push('.PP', `.B ${roff(heading)}`);
    group = heading;
    out.push('.TP', `.B ${roff(help.optionTerm(o))}`, roff(help.optionDescription(o)));
  }
  const examples = HELP_EXAMPLES[command.name()] ?? [];
  if (examples.length > 0) out.push('.PP', '.B Examples', '.RS', '.nf', ...examples.map(roff), '.fi', '.RE');
  return out;
}

/** The whole page, as roff source. */
export function manPage(program: Command = buildProgram(new RunContext())): string {
  const help = program.createHelp();
  const version = program.version() ?? '';
  const lines = [
    `.TH FOUNTCAST 1 "" "fountcast ${roff(version)}" "User Commands"`,
    '.SH NAME',
    `fountcast \\- ${roff(program.description())}`,
    '.SH SYNOPSIS',
    ...program.commands.map((c) => `.B fountcast ${roff(c.name())}\n${roff(help.commandUsage(c).replace(/^fountcast \S+ /, ''))}\n.br`),
    '.SH DESCRIPTION',
    'fountcast moves files over UDP with rateless fountain codes: one sender reaches one receiver, or a whole LAN on one multicast or broadcast stream, with a TCP (or SSH, or TLS) control channel carrying requests, progress and the end of each transfer.',
    'Every received byte is verified against SHA\\-256 digests before it is stored.',
    '.SH COMMANDS',
    ...program.commands.flatMap((c) => commandSection(c, help)),
    '.SH EXIT STATUS',
    ...EXIT_CODE_TABLE.flatMap(([code, meaning]) => ['.TP', `.B ${code}`, roff(meaning)]),
    '.SH SEE ALSO',
    'The documentation in the package: README.md and docs/ (usage, protocol, security, benchmarks).',
    '',
  ];
  return lines.join('\n');
}

/** `npm run man`: writes man/fountcast.1 (the path given, or that). */
export function writeManPage(path = 'man/fountcast.1'): void {
  writeFileSync(path, manPage());
}

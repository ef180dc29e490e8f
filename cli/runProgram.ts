/**
 * Parses argv with a configured program and maps how it ended to an exit code: help and version
 * 0, usage errors 2 (one line, and a JSON event under --json), otherwise what the run set on the
 * context. Shared by `fountcast` and a single-file bundle's program.
 */
import type { Command } from 'commander';
import type { RunContext } from './runContext.js';

export async function runProgram(program: Command, ctx: RunContext, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (typeof err.exitCode === 'number') {
      if (err.exitCode === 0) return 0;
      // --json asked for events: the usage error is one too, on stdout (its text went to stderr).
      if (argv.includes('--json'))
        process.stdout.write(`${JSON.stringify({ event: 'error', kind: 'usage', message: (err.message ?? '').replace(/^error: /, ''), exitCode: 2 })}\n`);
      return 2;
    }
    throw e;
  }
  return ctx.exitCode;
}

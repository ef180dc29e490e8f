/**
 * The command line: one module per command (cli/*Command.ts) registered on one program. Exit
 * codes: 0 success, 1 transfer failure, 2 bad usage, 130 interrupted (SIGINT), 143 terminated
 * (SIGTERM). A usage error is one line and a hint, never the whole help.
 */
import { Command } from 'commander';
import { PROTOCOL_VERSION } from '../control/messages.js';
import { registerBundle, registerEnrollServer } from './bundleCommand.js';
import { registerDemo } from './demoCommand.js';
import { registerDigest } from './digestCommand.js';
import { registerExperiment } from './experimentCommand.js';
import { layOutHelp } from './helpLayout.js';
import { registerEnroll, registerKeygen } from './keyCommands.js';
import { packageVersion } from './packageVersion.js';
import { registerReceive } from './receiveCommand.js';
import { registerRelay } from './relayCommand.js';
import { RunContext } from './runContext.js';
import { runProgram } from './runProgram.js';
import { registerSend } from './sendCommand.js';

/** The exit codes every command keeps to, for --help and the man page. */
export const EXIT_CODE_TABLE: readonly (readonly [code: number, meaning: string])[] = [
  [0, 'done'],
  [1, 'transfer failed'],
  [2, 'usage error'],
  [130, 'interrupted (SIGINT)'],
  [143, 'terminated (SIGTERM)'],
];

const EXIT_CODES = `\nExit codes: ${EXIT_CODE_TABLE.map(([code, meaning]) => `${code} ${meaning}`).join(', ')}.`;

/** The whole command line, every command registered and its help laid out; nothing run yet. */
export function buildProgram(ctx: RunContext): Command {
  const program = new Command()
    .name('fountcast')
    .description('File distribution over UDP with RaptorQ fountain codes.')
    .version(`${packageVersion()} (wire protocol ${PROTOCOL_VERSION})`, '-V, --version')
    .configureOutput({ outputError: (text, write) => write(`fountcast: ${text}`) })
    .exitOverride();
  registerSend(program, ctx);
  registerReceive(program, ctx);
  registerRelay(program, ctx);
  registerKeygen(program, ctx);
  registerEnroll(program, ctx);
  registerDigest(program, ctx);
  registerBundle(program, ctx);
  registerEnrollServer(program, ctx);
  registerDemo(program, ctx);
  registerExperiment(program, ctx);
  layOutHelp(program);
  program.showHelpAfterError("(see 'fountcast --help')");
  for (const c of program.commands) c.showHelpAfterError(`(see 'fountcast ${c.name()} --help')`).addHelpText('after', EXIT_CODES);
  program.addHelpText('after', EXIT_CODES);
  return program;
}

/**
 * A reader of our standard output or error that went away (`fountcast send --help | head`, a
 * closed events consumer) makes the next write fail with EPIPE, an 'error' event that would end
 * the process with a stack trace. Those writes are lost and the run goes on (a `receive --out -`
 * sink watches its own errors, receiver/orderedStaging.ts); any other error is still thrown.
 */
function ignoreClosedReaders(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
}

export async function runCli(argv: string[]): Promise<number> {
  ignoreClosedReaders();
  const ctx = new RunContext();
  const program = buildProgram(ctx);
  return runProgram(program, ctx, argv);
}

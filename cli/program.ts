/**
 * The command line: one module per command (cli/*Command.ts) registered on one program. Exit
 * codes: 0 success, 1 transfer failure, 2 bad usage, 130 interrupted (receive).
 */
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { PROTOCOL_VERSION } from '../control/messages.js';
import { registerDemo } from './demoCommand.js';
import { registerExperiment } from './experimentCommand.js';
import { registerEnroll, registerKeygen } from './keyCommands.js';
import { registerReceive } from './receiveCommand.js';
import { RunContext } from './runContext.js';
import { registerSend } from './sendCommand.js';

/** This package's version (the CLI runs from the source tree in tests, from dist/ otherwise). */
function packageVersion(): string {
  const require = createRequire(import.meta.url);
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(path) as { name?: string; version?: string };
      if (pkg.name === 'fountcast' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

export async function runCli(argv: string[]): Promise<number> {
  const ctx = new RunContext();
  const program = new Command()
    .name('fountcast')
    .description('File distribution over UDP with RaptorQ fountain codes.')
    .version(`${packageVersion()} (wire protocol ${PROTOCOL_VERSION})`, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  registerSend(program, ctx);
  registerReceive(program, ctx);
  registerKeygen(program, ctx);
  registerEnroll(program, ctx);
  registerDemo(program, ctx);
  registerExperiment(program, ctx);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (typeof err.exitCode === 'number') return err.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return ctx.exitCode;
}

/** `fountcast demo`: a generated file sent to local receivers over 127.0.0.1 and verified. */
import { Option, type Command } from 'commander';
import { int, logOptions, probability, rate, size } from './options.js';
import type { RunContext } from './runContext.js';

export function registerDemo(program: Command, ctx: RunContext): void {
  logOptions(
    program
      .command('demo')
      .description('self-contained demo: a generated file sent to local receivers over 127.0.0.1, verified')
      .option('--size <bytes>', 'size of the generated file', size, 32 * 1024 * 1024)
      .option('--receivers <n>', 'local receivers', int('receivers', 1, 32), 3)
      .option('--loss <p>', 'simulated loss at the last receiver (the others: none and half of it)', probability, 0.1)
      .addOption(new Option('--rate <bits/s>', 'rate ceiling per stream (0 = none)').argParser(rate).default(1e9, '1 Gbit/s'))
      .option('--seed <n>', 'seed for the file contents and the simulated loss', int('seed', 0, 2 ** 32 - 1), 42),
  ).action(async (o) => {
    const log = ctx.logger(o);
    const controller = ctx.interruptOnSignals(log);
    try {
      const { runDemo } = await import('./demo.js');
      const ok = await runDemo({
        sizeBytes: o.size,
        receivers: o.receivers,
        loss: o.loss,
        rateBitsPerSecond: o.rate,
        seed: o.seed,
        signal: controller.signal,
        logger: log,
        json: Boolean(o.json),
      });
      if (ctx.interruptedBy !== undefined) ctx.interrupted(log, Boolean(o.json));
      else ctx.exitCode = ok ? 0 : 1;
    } catch (e) {
      if (ctx.interruptedBy !== undefined) ctx.interrupted(log, Boolean(o.json));
      else ctx.fail(log, e, Boolean(o.json));
    }
  });
}

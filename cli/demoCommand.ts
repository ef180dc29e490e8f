/** `fountcast demo`: a generated file sent to local receivers over 127.0.0.1 and verified. */
import { Option, type Command } from 'commander';
import { int, logOptions, probability, rate, size } from './options.js';
import type { DemoResult } from './demo.js';
import { seconds3 } from './events.js';
import { openOutput, type RunContext } from './runContext.js';

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
  ).action(async (o, command: Command) => {
    const out = openOutput(ctx, o, command, { statusLine: true });
    const log = out.log;
    const controller = ctx.interruptOnSignals(log, 'demo');
    let result: DemoResult | undefined;
    try {
      const { runDemo } = await import('./demo.js');
      result = await runDemo({
        sizeBytes: o.size,
        receivers: o.receivers,
        loss: o.loss,
        rateBitsPerSecond: o.rate,
        seed: o.seed,
        signal: controller.signal,
        out,
      });
      if (ctx.interruptedBy !== undefined) ctx.interrupted(log, Boolean(o.json));
      else if (!result.ok) ctx.fail(log, new Error('demo failed: not every copy is identical to the source'), Boolean(o.json));
      else ctx.exitCode = 0;
    } catch (e) {
      if (ctx.interruptedBy !== undefined) ctx.interrupted(log, Boolean(o.json));
      else ctx.fail(log, e, Boolean(o.json));
    }
    const { ok = false, bytes = 0, seconds = 0, goodputBitsPerSecond = 0, ...rest } = result ?? {};
    out.events.emit({
      event: 'summary',
      role: 'demo',
      exitCode: ctx.exitCode,
      ok,
      bytes,
      seconds: seconds3(seconds),
      goodputBitsPerSecond: Math.round(goodputBitsPerSecond),
      ...rest,
    });
  });
}

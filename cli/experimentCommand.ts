/** `fountcast experiment`: the research harness's command line (see cli/experiment.ts). */
import type { Command } from 'commander';
import { logOptions } from './options.js';
import type { RunContext } from './runContext.js';

export function registerExperiment(program: Command, ctx: RunContext): void {
  logOptions(
    program
      .command('experiment')
      .description(
        'research harness: compare coding schemes on a simulated multicast stream (virtual time, the real sender and receiver cores), or with --real as real transfers over loopback',
      )
      .option('--config <file>', 'JSON file with any of these options (camelCase keys); the command line wins')
      .option(
        '--schemes <list>',
        'schemes: raptorq, rs; lt (non-systematic LT, peeling), lt-ge (lt with Gaussian elimination when peeling stalls), lt-systematic (sources, then LT repair, as send --codec lt); arq (textbook selective repeat), arq-combined (XOR-combined resends), arq-product (combined, each resend twice at the end, as send --codec arq) (default raptorq,lt,rs,arq)',
      )
      .option('--lt-c <c>', 'LT robust soliton c (default 0.03)')
      .option('--lt-delta <δ>', 'LT robust soliton δ (default 0.5)')
      .option('--loss <list>', 'independent (Bernoulli) loss rates, one configuration each (default 0,0.01,0.05,0.2)')
      .option('--burst <spec>', 'add a Gilbert–Elliott configuration gilbert:P,R[,lossGood,lossBad] (repeatable)', (v: string, prev: string[] = []) => [
        ...prev,
        v,
      ])
      .option('--size <bytes>', 'file size (default 16M)')
      .option('--symbol-size <bytes>', 'symbol size T (default 1392)')
      .option('--segment-size <bytes>', 'segment size (default 4M)')
      .option('--receivers <list>', 'receiver counts, one configuration each (default 1,10)')
      .option('--trials <n>', 'trials per configuration (default 5)')
      .option('--seed <n>', 'experiment seed; the same command and seed give an identical trials.csv (default 7)')
      .option('--loss-spread <s>', 'heterogeneous receivers: receiver i of n loses rate × (1 − s + 2s·i/(n−1)) (default 0)')
      .option('--reorder <p>', 'probability a datagram is held back by up to 2 ms (default 0)')
      .option('--duplicate <p>', 'probability a datagram is delivered twice (default 0)')
      .option(
        '--decode <mode>',
        "real: decode every receiver's data; model: predict decode success from the symbols held (RaptorQ: 1 − 1/256^(h+1), fitted to the real codec; LT/RS/ARQ: their decoders on 1-byte symbols) — for large runs; auto: real up to 20 receivers, model above; every row says which (default auto)",
      )
      .option('--rate <bits>', 'fixed stream pace in bit/s, e.g. 400M (default: simulated 1G; --real 200M, less for more than 2 receivers)')
      .option('--jobs <n>', 'simulate trials on this many threads; rows and trials.csv are the same for any value (default: one per core)')
      .option(
        '--real',
        'sanity check: run each trial as a real transfer (send + receive over loopback sockets, one broadcast stream to 127.255.255.255, the same seeded loss models at intake); wall-clock, not reproducible; at most 20 receivers; schemes send() can send (default raptorq,lt-systematic,rs,arq)',
      )
      .option(
        '--kernel-loss',
        'with --real: each receiver in a network namespace of its own on a virtual LAN (one process per host, a multicast stream), the loss dropped by nftables in its kernel instead of at intake; root, iproute2 and nftables; --loss rates only',
      )
      .option(
        '--validate',
        'run only the fixed validation grid (ideal fountain, selective repeat, Gilbert–Elliott, RS block failure) against closed forms; one row each with harness, theory, error, tolerance; exit 1 if any fails (default seed 1; files in --out if given)',
      )
      .option(
        '--out <dir>',
        'results directory: trials.csv, timings.csv, results.json, validation.csv, plots and report.md (default results/experiment-<time>)',
      ),
  ).action((o) =>
    ctx.logged(o, async (log) => {
      const { runExperimentCli } = await import('./experiment.js');
      await runExperimentCli(o, log);
    }),
  );
}

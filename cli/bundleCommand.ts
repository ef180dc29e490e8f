/** `fountcast bundle` and `fountcast enroll-server`: single-file receivers, each with its own key. */
import type { Command } from 'commander';
import { int, logOptions } from './options.js';
import type { RunContext } from './runContext.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerBundle(program: Command, ctx: RunContext): void {
  logOptions(
    program
      .command('bundle')
      .description(
        "write one executable for one receiving machine (no Node.js needed there): receive with that machine's own new key (written to <keys>/<name>.key, the sender's allow-list), the trusted publisher keys and optional defaults inside. Delete the key file to revoke it",
      )
      .requiredOption('--name <name>', "the receiver's name (1..64 of A-Z a-z 0-9 . _ -)")
      .requiredOption('--keys <dir>', "the sender's directory of enrolled receivers (send --receiver-keys)")
      .requiredOption(
        '--trust <pubfile>',
        'a publisher public key the bundle accepts signed publications from (repeatable; only public keys are embedded)',
        collect,
      )
      .option('--sender <host:port>', "the sender's control address the bundle connects to when given none")
      .option('--out-default <path>', 'the --out the bundle uses when given none')
      .requiredOption('--out <file>', 'where to write the executable')
      .option('--rotate', 'the name has a key already: replace it (the old bundle fails at its next connection)'),
  ).action((o) =>
    ctx.logged(o, async (log) => {
      const { buildBundle } = await import('./bundleBuild.js');
      const r = await buildBundle({
        name: o.name,
        keysDir: o.keys,
        trust: o.trust,
        sender: o.sender,
        outDefault: o.outDefault,
        out: o.out,
        rotate: Boolean(o.rotate),
      });
      log.info(
        { event: 'bundle', name: o.name, path: r.path, bytes: r.bytes, fingerprint: r.fingerprint, keyPath: r.keyPath, rotated: r.rotated, ms: r.ms },
        `${r.path}: ${o.name}, key ${r.fingerprint}${r.rotated ? ' (rotated: the old bundle no longer connects)' : ''}, ${(r.bytes / 2 ** 20).toFixed(0)} MiB in ${(r.ms / 1000).toFixed(1)} s`,
      );
    }),
  );
}

export function registerEnrollServer(program: Command, ctx: RunContext): void {
  logOptions(
    program
      .command('enroll-server')
      .description(
        'serve freshly keyed bundles over HTTP: GET /bundle/<name>?token=T (or Authorization: Bearer T) builds and sends a bundle for a new receiver <name>, once per token from --token-file; every handout is logged',
      )
      .requiredOption('--port <n>', 'TCP port (0: any free one)', int('port', 0, 65535))
      .option('--host <address>', 'address to listen on (put TLS in front, e.g. a reverse proxy, beyond one host)', '127.0.0.1')
      .requiredOption('--keys <dir>', "the sender's directory of enrolled receivers (send --receiver-keys)")
      .requiredOption('--token-file <file>', 'one-time tokens, one per line (at least 16 characters); spent ones are recorded in <file>.used')
      .requiredOption('--trust <pubfile>', 'a publisher public key the bundles accept (repeatable)', collect)
      .option('--sender <host:port>', "the sender's control address the bundles connect to when given none")
      .option('--out-default <path>', 'the --out the bundles use when given none'),
  ).action((o) =>
    ctx.logged(o, async (log) => {
      const { runEnrollServer } = await import('./enrollServer.js');
      const controller = ctx.interruptOnSignals(log, 'enroll-server');
      await runEnrollServer({
        host: o.host,
        port: o.port,
        keysDir: o.keys,
        tokenFile: o.tokenFile,
        trust: o.trust,
        sender: o.sender,
        outDefault: o.outDefault,
        logger: log,
        signal: controller.signal,
      });
    }),
  );
}

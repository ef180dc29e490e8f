/** `fountcast receive`: fetch a file from a sender, verify it and store it under --out (or, with --daemon, every new publication). */
import { spawn } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
import type { StoredDigests } from '../receiver/receiveStates.js';
import { ReceiveReport } from './receiveReport.js';
import { runStandingReceiver } from './receiveDaemon.js';
import { duration, int, logOptions, parseEndpoint, probability, tlsFiles } from './options.js';
import { openOutput, type RunContext } from './runContext.js';
import { stdioControl, stdioProblem } from './stdioControl.js';

const keyFiles = () => import('../control/keyFiles.js');

export class OnCompleteError extends Error {
  override readonly name = 'OnCompleteError';
}

/**
 * `--on-complete CMD`: the receiving user's command, run by /bin/sh with the stored file's path
 * as $1 and in FOUNTCAST_FILE, never interpolated into the command text (a file name is data,
 * whatever the sender called it); the object's identity in FOUNTCAST_DIGEST and, when known, its
 * plain SHA-256 in FOUNTCAST_SHA256.
 */
async function runOnComplete(cmd: string, path: string, digests: StoredDigests, log: Logger, stdoutIsControl = false): Promise<void> {
  log.info({ event: 'on-complete', cmd, path }, `running --on-complete for ${path}`);
  const code = await new Promise<number | string>((resolve) => {
    const p = spawn('/bin/sh', ['-c', cmd, 'fountcast-on-complete', path], {
      // Under --stdio our stdout is the control stream: the command's output goes to stderr.
      stdio: ['ignore', stdoutIsControl ? process.stderr : 'inherit', 'inherit'],
      env: {
        ...process.env,
        FOUNTCAST_FILE: path,
        FOUNTCAST_DIGEST: digests.objectDigest,
        // Never a stale value from our own environment: set only when known.
        FOUNTCAST_SHA256: digests.sha256 ?? '',
      },
    });
    p.on('error', (e) => resolve(e.message));
    p.on('exit', (c, signal) => resolve(c ?? `signal ${signal}`));
  });
  if (code !== 0) throw new OnCompleteError(`--on-complete failed (${typeof code === 'number' ? `exit ${code}` : code}); the file is stored at ${path}`);
}

/** What a single-file bundle (`fountcast bundle`) carries in place of --key, --trust and some defaults. */
export interface EmbeddedReceiver {
  readonly key: { name: string; secret: Uint8Array };
  readonly trust: readonly KeyObject[];
  /** The sender's control address when none is given. */
  readonly sender?: string;
  /** --out when none is given. */
  readonly out?: string;
}

export function registerReceive(program: Command, ctx: RunContext): void {
  configureReceive(program.command('receive'), ctx);
}

/**
 * The receive command's options and action on `command`: `fountcast receive`, or a bundle's whole
 * program with `embedded` (then its key and trusted publishers replace --key and --trust, which it
 * does not offer, and decoding stays on the main thread: a bundle has no worker script on disk).
 */
export function configureReceive(command: Command, ctx: RunContext, embedded?: EmbeddedReceiver): void {
  const withKeys = (c: Command): Command =>
    embedded
      ? c
      : c
          .option(
            '--trust <pubfile>',
            'accept only manifests signed by this publisher key (repeatable), and never an older version of a name than one already accepted',
            (v: string, prev: string[] = []) => [...prev, v],
          )
          .option(
            '--key <file>',
            "this receiver's enrollment (fountcast enroll): prove it to the sender, require the sender to prove it too, accept only MACed datagrams",
          );
  logOptions(
    withKeys(
      command
        .description('receive one file from a sender and write it under --out (with --daemon: every new publication, until stopped)')
        .argument(
          '[host:port]',
          `the sender's control address: HOST:PORT, [IPv6]:PORT or [fe80::1%eth0]:PORT (not with --stdio)${embedded?.sender ? ` (default ${embedded.sender})` : ''}`,
        )
        .option(
          '--stdio',
          'take the control protocol on standard input and output (as an SSH forced command or Subsystem, or under send --to / --exec); logs stay on stderr, the data still comes over UDP',
        )
        .option('--address <ip>', 'with --stdio: the address the sender is to send the datagrams to (default: the server address in SSH_CONNECTION)')
        .option(
          '--out <path>',
          'directory to write into, or the exact file path; - writes the verified bytes to standard output, in order',
          embedded?.out ?? '.',
        )
        .option('--id <name>', 'receiver id shown in the sender’s logs (default: hostname-pid)')
        .option('--window <segments>', 'segments buffered at once (memory ≈ window × segment size × 1.5)', int('window', 1, 1024), 8)
        .option('--decode-workers <n>', 'decode worker threads (default: cores − 1, at least 1)', int('decode workers', 1, 64))
        .option('--connect-timeout <duration>', 'give up if the sender does not answer', duration, 10_000)
        .option(
          '--wait-for-sender <duration>',
          'start before the sender: keep retrying while nothing listens at host:port (refused, unreachable) for this long',
          duration,
          0,
        )
        .option('--simulate-loss <p>', 'TEST/BENCH ONLY: drop this fraction of datagrams at intake (seeded)', probability, 0)
        .option('--seed <n>', 'TEST/BENCH ONLY: seed for --simulate-loss', int('seed', 0, 2 ** 32 - 1), 1)
        .option(
          '--interface <name|address>',
          'the interface to use, by name (eth0) or by one of its addresses: the connection to the sender and the unicast stream use its address, a multicast group is joined on it; a name that does not exist, is down or lacks an address of the family needed fails at once',
        )
        .option('--tls-ca <pem>', "mutual TLS 1.3: the CA the sender's certificate must chain to (with --tls-cert and --tls-key)")
        .option('--tls-cert <pem>', "this receiver's client certificate")
        .option('--tls-key <pem>', 'the private key of --tls-cert')
        .option('--tls-servername <name>', "name the sender's certificate must carry (default: the host given)")
        .option(
          '--on-complete <cmd>',
          'run this shell command once the file is verified and in place, with the path as $1 and in FOUNTCAST_FILE (its digest in FOUNTCAST_DIGEST; FOUNTCAST_SHA256 when known, see --sha256); its failure makes receive exit 1 (with --daemon: is logged). Chosen here only: nothing the sender sends is ever run',
        )
        .option(
          '--sha256',
          "also compute the file's plain SHA-256, as sha256sum prints it (in the summary and FOUNTCAST_SHA256), when the sender identifies it by its segment digests (hashes every byte a second time)",
        )
        .option('--no-clobber', 'refuse to replace a file (or link) that already exists; checked before any data is streamed')
        .option(
          '--backup <dir>',
          'move each old copy into this directory (same filesystem, keeping its path relative to --out) just before the new one goes in',
        )
        .option(
          '--atomic-tree',
          'a tree is staged beside --out and replaces it as a whole, so nothing ever sees half an update (--out then holds exactly the tree)',
        )
        .option(
          '--sync',
          'fetch only what differs: files already in place with the right SHA-256 are kept (only the rest is streamed), an identical file is not received at all',
        )
        .option(
          '--source <host:port>',
          'another sender of the same content (a relay or the publisher), repeatable: if the current one serves segments that do not match the digests, the receiver drops it and continues from the next where it stopped',
          (v: string, prev: string[] = []) => [...prev, v],
        )
        .option('--trust-state <file>', 'where --trust remembers accepted versions (default $XDG_STATE_HOME/fountcast/trust-state.json or ~/.local/state/...)')
        .addOption(
          new Option(
            '--daemon',
            'stay running: wait for the sender for ever, store each new publication (--on-complete after each), decline what is in place already, and under --trust only a newer version; SIGTERM ends it',
          ).conflicts('waitForSender'),
        )
        .option('--poll-interval <duration>', 'with --daemon: ask the sender again this often once nothing changed (default 5s)', duration)
        .option('--daemon-state <file>', 'with --daemon: where the last stored publication per --out is remembered (default: beside the trust state)'),
    ),
  ).action(async (given: string | undefined, o, cmd: Command) => {
    const endpoint = given ?? (o.stdio ? undefined : embedded?.sender);
    const stdioWrong = stdioProblem(o, endpoint);
    if (stdioWrong) cmd.error(`error: ${stdioWrong}`, { exitCode: 2, code: 'fountcast.stdio' });
    for (const [key, flag] of [
      ['pollInterval', '--poll-interval'],
      ['daemonState', '--daemon-state'],
    ] as const) {
      if (o[key] !== undefined && !o.daemon) cmd.error(`error: option '${flag}' needs --daemon`, { exitCode: 2, code: 'fountcast.needsDaemon' });
    }
    if (o.out === '-') {
      // Standard output carries the data: there is no stored file for these to act on.
      const flags = { daemon: '--daemon', sync: '--sync', atomicTree: '--atomic-tree', backup: '--backup', onComplete: '--on-complete' } as const;
      const clash = Object.entries(flags).find(([key]) => o[key] !== undefined && o[key] !== false)?.[1] ?? (o.clobber === false ? '--no-clobber' : undefined);
      if (clash) cmd.error(`error: --out - writes to standard output and stores no file: ${clash} cannot apply`, { exitCode: 2, code: 'fountcast.outStdout' });
      if (process.stdout.isTTY)
        cmd.error('error: --out - writes binary data to standard output, which is a terminal: pipe or redirect it (e.g. | tar x)', {
          exitCode: 2,
          code: 'fountcast.outStdout',
        });
    }
    // Under --stdio standard output carries the control protocol: events go to stderr as with --out -.
    const out = openOutput(ctx, o, cmd, { dataOnStdout: o.out === '-' || Boolean(o.stdio), statusLine: !o.daemon, level: o.daemon ? 'info' : undefined });
    const log = out.log;
    const controller = ctx.interruptOnSignals(log, 'receiver');
    const report = o.daemon ? undefined : new ReceiveReport(out, ctx, endpoint ?? 'the sender (--stdio)', o.out);
    try {
      const options = {
        ...(o.stdio ? stdioControl(o) : parseEndpoint(endpoint!)),
        sources: ((o.source as string[] | undefined) ?? []).map(parseEndpoint),
        out: o.out,
        receiverId: o.id,
        window: o.window,
        decodeWorkers: o.decodeWorkers,
        connectTimeoutMs: o.connectTimeout,
        sha256: o.sha256 === true,
        simulateLoss: o.simulateLoss,
        seed: o.seed,
        interface: o.interface,
        // commander's --no-clobber sets `clobber` (true by default).
        noClobber: o.clobber === false,
        backupDir: o.backup,
        atomicTree: o.atomicTree === true,
        sync: o.sync === true,
        decodeInline: embedded !== undefined,
        key: embedded ? embedded.key : o.key ? await (await keyFiles()).loadReceiverKeyFile(o.key) : undefined,
        tls: await tlsFiles(o, ['tlsCa', 'tlsCert', 'tlsKey']).then((t) => t && { ...t, servername: o.tlsServername }),
        trust: embedded
          ? { publishers: [...embedded.trust], statePath: o.trustState }
          : o.trust
            ? { publishers: await Promise.all((o.trust as string[]).map(async (f) => (await keyFiles()).loadPublicKeyFile(f))), statePath: o.trustState }
            : undefined,
        signal: controller.signal,
        logger: log,
      };
      if (o.daemon) {
        const onComplete = o.onComplete as string | undefined;
        return await runStandingReceiver(
          { ...options, pollIntervalMs: o.pollInterval, statePath: o.daemonState },
          { ctx, log, json: Boolean(o.json), onComplete: onComplete ? (path, digests, runLog) => runOnComplete(onComplete, path, digests, runLog) : undefined },
        );
      }
      const { receive } = await import('../receiver/receive.js');
      const summary = await receive({
        ...options,
        waitForSenderMs: o.waitForSender,
        onManifest: (m) => report!.start(m),
        onProgress: (done) => report!.progress(done),
      });
      report!.stored(summary);
      if (o.onComplete) await runOnComplete(o.onComplete as string, summary.path, summary, log, Boolean(o.stdio));
    } catch (e) {
      if (report) report.failed(e, Boolean(o.json));
      else if (ctx.interruptedBy !== undefined && (e as Error)?.name === 'TransferAbortedError') ctx.interrupted(log, Boolean(o.json));
      else ctx.fail(log, e, Boolean(o.json));
    } finally {
      report?.end();
    }
  });
}

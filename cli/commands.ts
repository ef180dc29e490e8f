/**
 * The commands: send, receive, demo. Each validates its options (units, ranges), builds a logger
 * and calls the library; failures become one clear line on stderr and a non-zero exit code.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';
import { send, type SendSummary } from '../sender/send.js';
import { RECOVERY_MODES } from '../sender/streamCore.js';
import { CODEC_NAMES } from '../encoder/codecs.js';
import { createLogger } from './logger.js';
import { createProgressView } from './progressBar.js';
import { parseDuration, parseInteger, parseRate, parseSize, UnitError } from './units.js';
import { PROTOCOL_VERSION } from '../control/messages.js';
import { PACING_NICE } from '../util/threadPriority.js';

/** This package's version (cli/commands.ts runs from the source tree in tests, from dist/ otherwise). */
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

function arg<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

// Each command loads only what it runs: a sender's start-up is on the clock of every transfer,
// and the receiver side, the demo and the key files cost ~25 ms of module loading it never uses.
const keyFiles = () => import('./keyFiles.js');

const size = arg(parseSize);
const rate = arg(parseRate);
/** `auto`: the adaptive pace under send()'s default ceiling, as when --rate is left out. */
const rateOrAuto = arg((t): number | 'auto' => (t.trim().toLowerCase() === 'auto' ? 'auto' : parseRate(t)));
const duration = arg(parseDuration);
const int = (what: string, min: number, max: number) => arg((t) => parseInteger(t, what, min, max));
const probability = arg((t) => {
  const p = Number(t);
  if (!/^\s*[0-9.]+\s*$/.test(t) || !(p >= 0 && p < 1)) throw new UnitError(`loss must be in [0, 1), not "${t}"`);
  return p;
});

/** Ends a run on SIGINT/SIGTERM through an AbortSignal so the library can shut down cleanly. */
function abortOnSignals(log: Logger): AbortController {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log.warn({ signal: sig }, 'second signal: exiting now');
      process.exit(130);
    }
    log.info({ signal: sig }, 'interrupted: stopping');
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return controller;
}

/** One clear line (plus the error's name as a field in JSON mode); exit code 1. */
function fail(log: Logger, e: unknown, json: boolean): number {
  const err = e as Error;
  const message = err?.message ?? String(e);
  if (json) log.error({ event: 'failed', error: err?.name }, message);
  else log.error(message);
  return 1;
}

/** The three TLS files, read; none given: undefined; some but not all: an error naming the missing. */
async function tlsFiles(o: Record<string, unknown>, keys: ['tlsCert', 'tlsKey', 'tlsCa'] | ['tlsCa', 'tlsCert', 'tlsKey']): Promise<{ cert: Buffer; key: Buffer; ca: Buffer } | undefined> {
  const given = keys.filter((k) => o[k] !== undefined);
  if (given.length === 0) return undefined;
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  if (given.length < 3) throw new InvalidArgumentError(`mutual TLS needs ${keys.map(flag).join(', ')}; missing ${keys.filter((k) => o[k] === undefined).map(flag).join(', ')}`);
  const read = async (k: string) => {
    try {
      return await readFile(String(o[k]));
    } catch (e) {
      throw new InvalidArgumentError(`cannot read ${flag(k)} ${String(o[k])}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  return { cert: await read('tlsCert'), key: await read('tlsKey'), ca: await read('tlsCa') };
}

export class OnCompleteError extends Error {
  override readonly name = 'OnCompleteError';
}

/**
 * `--on-complete CMD`: the receiving user's command, run by /bin/sh with the stored file's path
 * as $1 and in FOUNTCAST_FILE, never interpolated into the command text (a file name is data,
 * whatever the sender called it).
 */
async function runOnComplete(cmd: string, path: string, sha256: string, log: Logger): Promise<void> {
  log.info({ event: 'on-complete', cmd, path }, `running --on-complete for ${path}`);
  const code = await new Promise<number | string>((resolve) => {
    const p = spawn('/bin/sh', ['-c', cmd, 'fountcast-on-complete', path], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, FOUNTCAST_FILE: path, FOUNTCAST_SHA256: sha256 } });
    p.on('error', (e) => resolve(e.message));
    p.on('exit', (c, signal) => resolve(c ?? `signal ${signal}`));
  });
  if (code !== 0) throw new OnCompleteError(`--on-complete failed (${typeof code === 'number' ? `exit ${code}` : code}); the file is stored at ${path}`);
}

function parseEndpoint(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!m) throw new InvalidArgumentError(`expected HOST:PORT, not "${text}"`);
  const port = Number(m[3]);
  if (!(port >= 1 && port <= 65535)) throw new InvalidArgumentError(`port must be 1..65535, not ${m[3]}`);
  return { host: (m[1] ?? m[2])!, port };
}

function logOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--json', 'log JSON lines (one event per line) instead of human-readable text'))
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'));
}

export async function runCli(argv: string[]): Promise<number> {
  let code = 0;
  /** A command's body with its logger; a throw becomes one error line and exit code 1. */
  const logged = async (o: { json?: boolean; logLevel?: string }, body: (log: Logger) => Promise<void>) => {
    const log = createLogger({ json: o.json, level: o.logLevel });
    try {
      await body(log);
    } catch (e) {
      code = fail(log, e, Boolean(o.json));
    }
  };
  const program = new Command()
    .name('fountcast')
    .description('File distribution over UDP with RaptorQ fountain codes.')
    .version(`${packageVersion()} (wire protocol ${PROTOCOL_VERSION})`, '-V, --version')
    .showHelpAfterError()
    .exitOverride();

  logOptions(
    program
      .command('send')
      .description('serve one file to every receiver that connects')
      .argument('<file>', 'the file to send')
      .option('--host <address>', 'address to listen on for control connections', '0.0.0.0')
      .option('--port <port>', 'TCP control port (0 = any free port)', int('port', 0, 65535), 7070)
      .option('--rate <bits/s|auto>', 'rate ceiling per stream in bits per second (400M, 1G; 0 = none); the pace adapts below it to receiver feedback (README: Pacing); auto = that adaptation under the 1 Gbit/s default ceiling', rateOrAuto, 'auto' as number | 'auto')
      .option('--fixed-rate', 'pace every stream at exactly --rate instead of adapting below it to receiver feedback')
      .option('--stream-nice <n>', 'nice adjustment (as nice -n, relative to the sender\'s own) the stream threads ask for while they pace (Linux, where permitted: root or CAP_SYS_NICE; a thread that saturates its core returns to the sender\'s priority; 0 = leave priorities alone) (default: -5 with an explicit --rate above 0, else 0)', int('--stream-nice', -20, 0))
      .addOption(
        new Option('--recovery <mode>', 'how losses are made good: resend the source symbols a receiver lists as lost (no codec work), fountain (fresh RaptorQ repair symbols), or auto (unicast: resend unless loss, long-run and recent, exceeds 20 %; shared stream: resend, combined, while the members\' summed loss stays under 100 % and none loses over 30 %; repair otherwise)')
          .choices([...RECOVERY_MODES])
          .default('auto'),
      )
      .addOption(
        new Option('--codec <scheme>', 'coding scheme on the wire (research): raptorq, or the baselines lt, rs and arq (arq: no coding, resends only); receivers follow the manifest')
          .choices([...CODEC_NAMES])
          .default('raptorq'),
      )
      .option('--receiver-keys <dir>', 'admit only receivers enrolled in this directory (fountcast enroll); their datagrams carry an HMAC-SHA256 tag; deleting a key file revokes')
      .option('--encrypt', 'encrypt every symbol (AES-256-GCM) under the key the enrolled receivers\' handshake hands over (needs --receiver-keys)')
      .option('--tls-cert <pem>', 'mutual TLS 1.3 on the control channel: this server\'s certificate (with --tls-key and --tls-ca)')
      .option('--tls-key <pem>', 'the private key of --tls-cert')
      .option('--tls-ca <pem>', 'the CA receivers\' client certificates must chain to; a receiver without one is refused')
      .option('--sign <keyfile>', 'sign every manifest with this publisher key (from fountcast keygen); receivers with --trust accept only signed manifests')
      .option('--receivers <n>', 'exit 0 once this many receivers have the file (default: serve until interrupted)', int('receivers', 1, 100_000))
      .option('--max-receivers <n>', 'receivers served at once; more are refused', int('max receivers', 1, 10_000), 64)
      .option('--segment-size <bytes>', 'bytes per independently coded segment (e.g. 4M)', size, 4 * 1024 * 1024)
      .option('--symbol-size <bytes>', 'bytes of file data per datagram (multiple of 8)', size, 1392)
      .option('--idle-timeout <duration>', 'drop a receiver silent this long', duration, 5000)
      .option('--heartbeat <duration>', 'heartbeat interval', duration, 1000)
      .option('--handshake-timeout <duration>', 'drop a connection that has not said Hello by then', duration, 5000)
      .option('--multicast <group:port>', 'one shared stream to this IPv4 multicast group (224.0.0.0/4) instead of a stream per receiver', arg(parseEndpoint))
      .option('--broadcast <port>', 'one shared stream as LAN broadcast to this UDP port', int('broadcast port', 1, 65535))
      .option('--broadcast-address <address>', 'broadcast destination (e.g. the subnet broadcast 10.0.0.255)', '255.255.255.255')
      .option('--interface <address>', 'local address of the NIC that carries the shared stream')
      .option('--ttl <hops>', 'multicast TTL', int('ttl', 1, 255), 1)
      .option('--min-receivers <n>', 'shared stream: start once this many receivers have asked (late joiners are always accepted)', int('min receivers', 1, 100_000))
      .option('--wait <duration>', 'shared stream: start this long after listening, with whoever has joined', duration)
      .option('--carousel', 'shared stream: start at once and keep cycling through the file for late joiners until interrupted')
      .option('--no-combine-resends', 'shared stream: resend each lost symbol on its own instead of XOR-combining symbols that different receivers lost into one datagram (for comparisons)'),
  ).action(async (file: string, o, command: Command) => {
    const log = createLogger({ json: o.json, level: o.logLevel });
    const controller = abortOnSignals(log);
    const rateBits = o.rate === 'auto' ? undefined : (o.rate as number);
    if (o.fixedRate && rateBits === undefined) command.error('error: --fixed-rate needs a rate in bits per second, not --rate auto', { exitCode: 2 });
    // A rate the user gave is a pace to hold (SendOptions.streamNice); auto and the default ceiling are not.
    const declaredRate = rateBits !== undefined && rateBits > 0;
    try {
      const summary: SendSummary = await send({
        file,
        host: o.host,
        port: o.port,
        rateBitsPerSecond: rateBits,
        fixedRate: Boolean(o.fixedRate),
        streamNice: o.streamNice ?? (declaredRate ? PACING_NICE : 0),
        recovery: o.recovery,
        codec: o.codec,
        sign: o.sign ? { privateKey: await (await keyFiles()).loadPrivateKeyFile(o.sign) } : undefined,
        receiverKeys: o.receiverKeys ? (await keyFiles()).receiverKeyDirectory(o.receiverKeys) : undefined,
        encrypt: Boolean(o.encrypt),
        tls: await tlsFiles(o, ['tlsCert', 'tlsKey', 'tlsCa']),
        receivers: o.receivers,
        maxReceivers: o.maxReceivers,
        segmentSize: o.segmentSize,
        symbolSize: o.symbolSize,
        idleTimeoutMs: o.idleTimeout,
        heartbeatIntervalMs: o.heartbeat,
        handshakeTimeoutMs: o.handshakeTimeout,
        multicast: o.multicast && { group: o.multicast.host, port: o.multicast.port },
        broadcast: o.broadcast === undefined ? undefined : { port: o.broadcast, address: o.broadcastAddress },
        interfaceAddress: o.interface,
        ttl: o.ttl,
        minReceivers: o.minReceivers,
        waitMs: o.wait,
        carousel: Boolean(o.carousel),
        combineResends: o.combineResends !== false,
        signal: controller.signal,
        logger: log,
      });
      code = o.receivers !== undefined && summary.completed < o.receivers ? 1 : 0;
    } catch (e) {
      code = fail(log, e, Boolean(o.json));
    }
  });

  logOptions(
    program
      .command('receive')
      .description('receive one file from a sender and write it under --out')
      .argument('<host:port>', "the sender's control address")
      .option('--out <path>', 'directory to write into, or the exact file path', '.')
      .option('--id <name>', 'receiver id shown in the sender’s logs (default: hostname-pid)')
      .option('--window <segments>', 'segments buffered at once (memory ≈ window × segment size × 1.5)', int('window', 1, 1024), 8)
      .option('--decode-workers <n>', 'decode worker threads (default: cores − 1, at least 1)', int('decode workers', 1, 64))
      .option('--connect-timeout <duration>', 'give up if the sender does not answer', duration, 10_000)
      .option('--wait-for-sender <duration>', 'start before the sender: keep retrying while nothing listens at host:port (refused, unreachable) for this long', duration, 0)
      .option('--simulate-loss <p>', 'TEST/BENCH ONLY: drop this fraction of datagrams at intake (seeded)', probability, 0)
      .option('--seed <n>', 'TEST/BENCH ONLY: seed for --simulate-loss', int('seed', 0, 2 ** 32 - 1), 1)
      .option('--interface <address>', 'local address of the NIC to join a multicast stream on (the manifest says whether there is one)')
      .option('--trust <pubfile>', 'accept only manifests signed by this publisher key (repeatable), and never an older version of a name than one already accepted', (v: string, prev: string[] = []) => [...prev, v])
      .option('--key <file>', 'this receiver\'s enrollment (fountcast enroll): prove it to the sender, require the sender to prove it too, accept only MACed datagrams')
      .option('--tls-ca <pem>', 'mutual TLS 1.3: the CA the sender\'s certificate must chain to (with --tls-cert and --tls-key)')
      .option('--tls-cert <pem>', 'this receiver\'s client certificate')
      .option('--tls-key <pem>', 'the private key of --tls-cert')
      .option('--tls-servername <name>', 'name the sender\'s certificate must carry (default: the host given)')
      .option('--on-complete <cmd>', 'run this shell command once the file is verified and in place, with the path as $1 and in FOUNTCAST_FILE (and FOUNTCAST_SHA256); its failure makes receive exit 1. Chosen here only: nothing the sender sends is ever run')
      .option('--trust-state <file>', 'where --trust remembers accepted versions (default $XDG_STATE_HOME/fountcast/trust-state.json or ~/.local/state/...)'),
  ).action(async (endpoint: string, o) => {
    const log = createLogger({ json: o.json, level: o.logLevel });
    const controller = abortOnSignals(log);
    const bar = createProgressView('receiving', Boolean(process.stderr.isTTY) && !o.json);
    try {
      const { host, port } = parseEndpoint(endpoint);
      const { receive } = await import('../receiver/receive.js');
      const summary = await receive({
        host,
        port,
        out: o.out,
        receiverId: o.id,
        window: o.window,
        decodeWorkers: o.decodeWorkers,
        connectTimeoutMs: o.connectTimeout,
        waitForSenderMs: o.waitForSender,
        simulateLoss: o.simulateLoss,
        seed: o.seed,
        interfaceAddress: o.interface,
        key: o.key ? await (await keyFiles()).loadReceiverKeyFile(o.key) : undefined,
        tls: await tlsFiles(o, ['tlsCa', 'tlsCert', 'tlsKey']).then((t) => t && { ...t, servername: o.tlsServername }),
        trust: o.trust ? { publishers: await Promise.all((o.trust as string[]).map(async (f) => (await keyFiles()).loadPublicKeyFile(f))), statePath: o.trustState } : undefined,
        signal: controller.signal,
        logger: log,
        onProgress: (done, total) => bar.update(done, total),
      });
      bar.stop();
      if (o.onComplete) await runOnComplete(o.onComplete as string, summary.path, summary.sha256, log);
    } catch (e) {
      bar.stop();
      code = fail(log, e, Boolean(o.json));
    }
  });

  logOptions(
    program
      .command('keygen')
      .description('create a publisher key pair (Ed25519): <out>.key (private, 0600; give it to send --sign) and <out>.pub (give it to receive --trust)')
      .requiredOption('--out <prefix>', 'path prefix of the two files, e.g. ./publisher')
      .option('--force', 'overwrite existing files'),
  ).action((o) =>
    logged(o, async (log) => {
      const k = await (await keyFiles()).keygen(o.out, Boolean(o.force));
      log.info({ event: 'keygen', ...k }, `publisher ${k.publisherId}: private key ${k.privatePath} (keep it secret), public key ${k.publicPath}`);
    }),
  );

  logOptions(
    program
      .command('enroll')
      .description('enroll a receiver: a fresh secret written once to <keys>/<name>.key (0600). The sender uses the directory as its allow-list (send --receiver-keys); copy the file to the receiver (receive --key). Delete it to revoke')
      .requiredOption('--name <name>', 'the receiver\'s name (1..64 of A-Z a-z 0-9 . _ -)')
      .requiredOption('--keys <dir>', 'the sender\'s directory of enrolled receivers'),
  ).action((o) =>
    logged(o, async (log) => {
      const path = await (await keyFiles()).enroll(o.name, o.keys);
      log.info({ event: 'enroll', name: o.name, path }, `enrolled ${o.name}: ${path} (copy it to the receiver, keep it secret; delete it to revoke)`);
    }),
  );

  logOptions(
    program
      .command('demo')
      .description('self-contained demo: a generated file sent to local receivers over 127.0.0.1, verified')
      .option('--size <bytes>', 'size of the generated file', size, 32 * 1024 * 1024)
      .option('--receivers <n>', 'local receivers', int('receivers', 1, 32), 3)
      .option('--loss <p>', 'simulated loss at the last receiver (the others: none and half of it)', probability, 0.1)
      .option('--rate <bits/s>', 'rate ceiling per stream (0 = none)', rate, 1e9)
      .option('--seed <n>', 'seed for the file contents and the simulated loss', int('seed', 0, 2 ** 32 - 1), 42),
  ).action(async (o) => {
    const log = createLogger({ json: o.json, level: o.logLevel });
    const controller = abortOnSignals(log);
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
      code = ok ? 0 : 1;
    } catch (e) {
      code = fail(log, e, Boolean(o.json));
    }
  });

  logOptions(
    program
      .command('experiment')
      .description('research harness: compare coding schemes on a simulated multicast stream (virtual time, the real sender and receiver cores), or with --real as real transfers over loopback')
      .option('--config <file>', 'JSON file with any of these options (camelCase keys); the command line wins')
      .option('--schemes <list>', 'coding schemes: raptorq, lt, rs, arq (default raptorq,lt,rs,arq)')
      .option('--loss <list>', 'independent (Bernoulli) loss rates, one configuration each (default 0,0.01,0.05,0.2)')
      .option('--burst <spec>', 'add a Gilbert–Elliott configuration gilbert:P,R[,lossGood,lossBad] (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--size <bytes>', 'file size (default 16M)')
      .option('--symbol-size <bytes>', 'symbol size T (default 1392)')
      .option('--segment-size <bytes>', 'segment size (default 4M)')
      .option('--receivers <list>', 'receiver counts, one configuration each (default 1,10)')
      .option('--trials <n>', 'trials per configuration (default 5)')
      .option('--seed <n>', 'experiment seed; the same command and seed give an identical trials.csv (default 7)')
      .option('--loss-spread <s>', 'heterogeneous receivers: receiver i of n loses rate × (1 − s + 2s·i/(n−1)) (default 0)')
      .option('--reorder <p>', 'probability a datagram is held back by up to 2 ms (default 0)')
      .option('--duplicate <p>', 'probability a datagram is delivered twice (default 0)')
      .option('--decode <mode>', 'real: decode every receiver\'s data; model: predict decode success from the symbols held (RaptorQ: RFC 6330 1 − 1/256^(h+1); LT/RS/ARQ: their decoders on 1-byte symbols) — for large runs; auto: real up to 20 receivers, model above; every row says which (default auto)')
      .option('--rate <bits>', 'fixed stream pace in bit/s, e.g. 400M (default: simulated 1G; --real 200M, less for more than 2 receivers)')
      .option('--combine-resends', 'arq: XOR-combine resends of symbols different receivers lost (the product\'s shared stream) instead of resending each alone')
      .option('--jobs <n>', 'simulate trials on this many threads; rows and trials.csv are the same for any value (default: one per core)')
      .option('--real', 'sanity check: run each trial as a real transfer (send + receive over loopback sockets, one broadcast stream to 127.255.255.255, the same seeded loss models at intake); wall-clock, not reproducible; at most 20 receivers')
      .option('--out <dir>', 'results directory (default results/experiment-<time>)'),
  ).action((o) =>
    logged(o, async (log) => {
      const { runExperimentCli } = await import('./experiment.js');
      await runExperimentCli(o, log);
    }),
  );

  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (typeof err.exitCode === 'number') return err.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return code;
}

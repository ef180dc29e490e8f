/** `fountcast send`: serve a file, or a tree of files, to every receiver that connects. */
import { Command, Option } from 'commander';
import { send, SEND_DEFAULTS, type SendSummary } from '../sender/send.js';
import { RECOVERY_MODES } from '../sender/streamCore.js';
import { CODEC_NAMES } from '../encoder/codecs.js';
import { arg, duration, int, logOptions, parseEndpoint, rateOrAuto, size, tlsFiles } from './options.js';
import { openOutput, type RunContext } from './runContext.js';
import { SendReport } from './sendReport.js';
import { namedPeers, peerOutcome } from './peerOptions.js';

// Loaded only when a flag needs it: a sender's start-up is on the clock of every transfer.
const keyFiles = () => import('../control/keyFiles.js');

export function registerSend(program: Command, ctx: RunContext): void {
  logOptions(
    program
      .command('send')
      .description('serve a file, or several files and directories as one tree, to every receiver that connects')
      .argument(
        '<paths...>',
        'what to send: one file is sent as that file; - (or a FIFO) streams standard input (that pipe), its length following as it is read; anything else as a tree, where a path contributes its base name and a directory with a trailing / its contents (as rsync)',
      )
      .addOption(
        new Option(
          '--symlinks <policy>',
          'symlinks in a tree: skip (left out, each logged) or keep (sent as links, which must be relative and stay inside the tree)',
        )
          .choices(['skip', 'keep'])
          .default(SEND_DEFAULTS.symlinks),
      )
      .option(
        '--sha256',
        'identify the object by its plain SHA-256, as sha256sum prints it, and receivers report it (hashes every byte twice at each end; default: the digest of its segment digests)',
      )
      .option(
        '--name <name>',
        "the publication's name: a tree's name in logs and replay state, or the name receivers give a single file (default: the first path's base name; stdin for -)",
      )
      .option('--host <address>', 'address to listen on for control connections (default: every address, IPv6 and IPv4)')
      .option('--port <port>', 'TCP control port (0 = any free port)', int('port', 0, 65535), SEND_DEFAULTS.port)
      .option(
        '--rate <bits/s|auto>',
        'rate ceiling per stream in bits per second (400M, 1G; 0 = none); the pace adapts below it to receiver feedback (docs/protocol.md: pacing); auto = that adaptation under the 1 Gbit/s default ceiling',
        rateOrAuto,
        'auto' as number | 'auto',
      )
      .option('--fixed-rate', 'pace every stream at exactly --rate instead of adapting below it to receiver feedback')
      .option(
        '--stream-nice <n>',
        "nice adjustment (as nice -n, relative to the sender's own) the stream threads ask for while they pace (Linux, where permitted: root or CAP_SYS_NICE; a thread that saturates its core returns to the sender's priority; 0 = leave priorities alone) (default: -5 with an explicit --rate above 0, else 0)",
        int('--stream-nice', -20, 0),
      )
      .addOption(
        new Option(
          '--recovery <mode>',
          "how losses are made good: resend the source symbols a receiver lists as lost (no codec work), fountain (fresh RaptorQ repair symbols), or auto (unicast: resend unless loss, long-run and recent, exceeds 20 %; shared stream: resend, combined, while the members' summed loss stays under 100 % and none loses over 30 %; repair otherwise)",
        )
          .choices([...RECOVERY_MODES])
          .default(SEND_DEFAULTS.recovery),
      )
      .addOption(
        new Option(
          '--codec <scheme>',
          'coding scheme on the wire (research): raptorq, or the baselines lt, rs and arq (arq: no coding, resends only); receivers follow the manifest',
        )
          .choices([...CODEC_NAMES])
          .default(SEND_DEFAULTS.codec),
      )
      .option(
        '--receiver-keys <dir>',
        'admit only receivers enrolled in this directory (fountcast enroll); their datagrams carry an HMAC-SHA256 tag; deleting a key file revokes',
      )
      .option('--encrypt', "encrypt every symbol (AES-256-GCM) under the key the enrolled receivers' handshake hands over (needs --receiver-keys)")
      .option('--tls-cert <pem>', "mutual TLS 1.3 on the control channel: this server's certificate (with --tls-key and --tls-ca)")
      .option('--tls-key <pem>', 'the private key of --tls-cert')
      .option('--tls-ca <pem>', "the CA receivers' client certificates must chain to; a receiver without one is refused")
      .option('--sign <keyfile>', 'sign every manifest with this publisher key (from fountcast keygen); receivers with --trust accept only signed manifests')
      .option('--receivers <n>', 'exit 0 once this many receivers have the file (default: serve until interrupted)', int('receivers', 1, 100_000))
      .option(
        '--give-up-after <duration>',
        'with --receivers N: once no receiver is being served and fewer than N have completed, exit 1 this long after the last one ended (completed or failed), saying how many completed; a receiver that says Hello meanwhile resets it; before the first receiver ends the sender waits as long as it takes (0 = wait for ever)',
        duration,
        SEND_DEFAULTS.giveUpAfterMs,
      )
      .option(
        '--max-receivers <n>',
        'receivers served at once, counted from their Hello; more are refused (connections yet to say Hello have their own budget and the handshake timeout)',
        int('max receivers', 1, 10_000),
        SEND_DEFAULTS.maxReceivers,
      )
      .option('--segment-size <bytes>', 'bytes per independently coded segment (e.g. 4M)', size, SEND_DEFAULTS.segmentSize)
      .option('--symbol-size <bytes>', 'bytes of file data per datagram (multiple of 8)', size, SEND_DEFAULTS.symbolSize)
      .option('--idle-timeout <duration>', 'drop a receiver silent this long', duration, SEND_DEFAULTS.idleTimeoutMs)
      .option('--heartbeat <duration>', 'heartbeat interval', duration, SEND_DEFAULTS.heartbeatIntervalMs)
      .option('--handshake-timeout <duration>', 'drop a connection that has not said Hello by then', duration, SEND_DEFAULTS.handshakeTimeoutMs)
      .option(
        '--multicast <group:port>',
        'one shared stream to this multicast group instead of a stream per receiver: IPv4 (239.255.42.1:7071, 224.0.0.0/4) or IPv6 ([ff05::114]:7071, or ff05::114:7071: the last :N is the port; a link-scope ff02:: group needs --interface)',
        arg(parseEndpoint),
      )
      .option('--broadcast <port>', 'one shared stream as LAN broadcast to this UDP port (IPv4 only)', int('broadcast port', 1, 65535))
      .option('--broadcast-address <address>', 'broadcast destination (e.g. the subnet broadcast 10.0.0.255)', SEND_DEFAULTS.broadcastAddress)
      .option(
        '--interface <name|address>',
        'the interface the streams go out on, by name (eth0) or by one of its addresses: the multicast or broadcast stream is sent on it, streams are sent from its address; a name that does not exist, is down or lacks an address of the family needed fails at once',
      )
      .option('--ttl <hops>', 'multicast TTL', int('ttl', 1, 255), SEND_DEFAULTS.ttl)
      .option(
        '--min-receivers <n>',
        'shared stream: start once this many receivers have asked (late joiners are always accepted)',
        int('min receivers', 1, 100_000),
      )
      .option('--wait <duration>', 'shared stream: start this long after listening, with whoever has joined', duration)
      .option('--carousel', 'shared stream: start at once and keep cycling through the file for late joiners until interrupted')
      .option(
        '--to <ssh-uri>',
        'send to this host over SSH instead of listening: runs ssh -T [-p port] [user@]host fountcast receive --stdio --out PATH; ssh://[user@]host[:port]/path, repeatable, brace lists expanded ({01..40}, {a,b}); exits 1 unless every named host has the file',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option(
        '--exec <command>',
        'send to the receiver at the other end of this command\'s stdin and stdout (run by /bin/sh -c; its stderr is logged), e.g. "ssh -s pc7 fountcast"; repeatable',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option('--ssh-command <command>', 'with --to: the command that replaces ssh, e.g. "ssh -i ~/.ssh/fleet -o ConnectTimeout=5"', 'ssh')
      .option('--remote-fountcast <command>', 'with --to: the command that replaces fountcast on the remote side', 'fountcast')
      .option(
        '--anonymous',
        'with --to / --exec: no datagram key (CRC-32 only, the fastest mode); by default each receiver gets a fresh key through its SSH channel and every datagram carries an HMAC-SHA256 tag',
      )
      .option(
        '--no-combine-resends',
        'shared stream: resend each lost symbol on its own instead of XOR-combining symbols that different receivers lost into one datagram (for comparisons)',
      ),
  ).action(async (paths: string[], o, command: Command) => {
    const out = openOutput(ctx, o, command, { statusLine: true });
    const log = out.log;
    const rateBitsPerSecond = o.rate === 'auto' ? undefined : (o.rate as number);
    if (o.fixedRate && rateBitsPerSecond === undefined) command.error('error: --fixed-rate needs a rate in bits per second, not --rate auto', { exitCode: 2 });
    if (paths.includes('-') && paths.length > 1) command.error('error: - (standard input) is sent on its own, not with other paths', { exitCode: 2 });
    if (paths.includes('-') && process.stdin.isTTY)
      command.error('error: standard input is a terminal: pipe the data in (e.g. tar c dir | fountcast send -)', { exitCode: 2 });
    let peers: ReturnType<typeof namedPeers>;
    try {
      peers = namedPeers(o, log);
    } catch (e) {
      return command.error(`error: ${(e as Error).message}`, { exitCode: 2 });
    }
    const controller = ctx.interruptOnSignals(log, 'sender');
    const report = new SendReport(out, ctx, o.receivers ?? peers?.length);
    try {
      const summary: SendSummary = await send({
        ...(peers ? { peers, anonymous: Boolean(o.anonymous) } : {}),
        paths,
        symlinks: o.symlinks,
        sha256: Boolean(o.sha256),
        name: o.name,
        host: o.host,
        port: o.port,
        rateBitsPerSecond,
        fixedRate: Boolean(o.fixedRate),
        streamNice: o.streamNice,
        recovery: o.recovery,
        codec: o.codec,
        sign: o.sign ? { privateKey: await (await keyFiles()).loadPrivateKeyFile(o.sign) } : undefined,
        receiverKeys: o.receiverKeys ? (await keyFiles()).receiverKeyDirectory(o.receiverKeys) : undefined,
        encrypt: Boolean(o.encrypt),
        tls: await tlsFiles(o, ['tlsCert', 'tlsKey', 'tlsCa']),
        receivers: o.receivers,
        giveUpAfterMs: o.giveUpAfter,
        maxReceivers: o.maxReceivers,
        segmentSize: o.segmentSize,
        symbolSize: o.symbolSize,
        idleTimeoutMs: o.idleTimeout,
        heartbeatIntervalMs: o.heartbeat,
        handshakeTimeoutMs: o.handshakeTimeout,
        multicast: o.multicast && { group: o.multicast.host, port: o.multicast.port },
        broadcast: o.broadcast === undefined ? undefined : { port: o.broadcast, address: o.broadcastAddress },
        interface: o.interface,
        ttl: o.ttl,
        minReceivers: o.minReceivers,
        waitMs: o.wait,
        carousel: Boolean(o.carousel),
        combineResends: o.combineResends !== false,
        signal: controller.signal,
        logger: log,
        onListening: (address, served) => report.listening(address, served),
        onProgress: (p) => report.progress(p),
        onReceiverEnd: (r) => report.receiverEnded(r),
      });
      report.finished(summary);
      // Stopped by a signal (serving until interrupted is the usual way to end a sender).
      if (ctx.interruptedBy !== undefined) ctx.interrupted(log, Boolean(o.json));
      else if (peers) ctx.exitCode = peerOutcome(summary, log);
      else if (o.receivers !== undefined && summary.completed < o.receivers)
        ctx.fail(
          log,
          new Error(`only ${summary.completed} of ${o.receivers} receiver(s) completed (${summary.failed} failed): ${summary.reason}`),
          Boolean(o.json),
        );
      else ctx.exitCode = 0;
    } catch (e) {
      report.failed(e, Boolean(o.json));
    } finally {
      report.end();
    }
  });
}

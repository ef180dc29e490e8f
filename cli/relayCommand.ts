/**
 * `fountcast relay UPSTREAM`: a receiver and a sender at once. It fetches a publication from
 * UPSTREAM (a publisher or another relay) into its cache, then serves it downstream under the
 * publisher's manifest, unchanged: it holds no private key, and every receiver downstream checks
 * the signature and each segment against the publisher's digests (docs/security.md).
 *
 * The cache (receiver/relayCache.ts) is content-addressed and bounded; a relay restarted while
 * fetching resumes from what it had verified, and one that cannot reach UPSTREAM serves the
 * publication it used last.
 */
import { Command } from 'commander';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { relay } from '../sender/relay.js';
import { SEND_DEFAULTS } from '../sender/send.js';
import { arg, duration, int, logOptions, parseEndpoint, size } from './options.js';
import { openOutput, type RunContext } from './runContext.js';

const keyFiles = () => import('../control/keyFiles.js');

/** @default 10 GiB of publications kept in --cache. */
export const DEFAULT_CACHE_SIZE = 10 * 1024 ** 3;

export function registerRelay(program: Command, ctx: RunContext): void {
  logOptions(
    program
      .command('relay')
      .description("fetch a publication from UPSTREAM and serve it on, under the publisher's signed manifest (no key needed)")
      .argument('<upstream>', 'HOST:PORT of the publisher or of another relay')
      .option('--host <address>', 'address to listen on for control connections (default: every address)', SEND_DEFAULTS.host)
      .option('--port <port>', 'TCP control port downstream receivers connect to', int('port', 0, 65535), SEND_DEFAULTS.port)
      .option('--multicast <group:port>', 'serve downstream as one shared stream to this multicast group', arg(parseEndpoint))
      .option('--broadcast <port>', 'serve downstream as one shared LAN broadcast stream to this UDP port', int('broadcast port', 1, 65535))
      .option('--broadcast-address <address>', 'broadcast destination', SEND_DEFAULTS.broadcastAddress)
      .option('--interface <name|address>', 'the interface the downstream streams go out on')
      .option('--cache <dir>', 'where fetched publications are kept, by content (default: a directory under the temporary directory)')
      .option('--cache-size <bytes>', 'most bytes of publications kept in --cache, least recently used out (e.g. 20G)', size, DEFAULT_CACHE_SIZE)
      .option(
        '--wait-for-upstream <duration>',
        'start before UPSTREAM: keep retrying while nothing listens there for this long (then serve from the cache, if it holds a publication)',
        duration,
        0,
      )
      .option('--store-and-forward', 'serve a publication only once all of it has arrived (default: each segment as soon as it is verified)')
      .option('--trust <pubfile>', "verify upstream's manifest against this publisher key too (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
      .option('--trust-state <file>', 'where --trust remembers accepted versions')
      .option(
        '--source <host:port>',
        'another upstream serving the same content, tried if UPSTREAM serves altered content (repeatable)',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option('--receivers <n>', 'exit 0 once this many downstream receivers have the file (default: serve until interrupted)', int('receivers', 1, 100_000)),
  ).action(async (upstream: string, o, command: Command) => {
    const out = openOutput(ctx, o, command, { statusLine: false });
    const log = out.log;
    let up: { host: string; port: number };
    let sources: { host: string; port: number }[];
    try {
      up = parseEndpoint(upstream);
      sources = ((o.source as string[] | undefined) ?? []).map(parseEndpoint);
    } catch (e) {
      return command.error(`error: ${(e as Error).message}`, { exitCode: 2 });
    }
    const controller = ctx.interruptOnSignals(log, 'relay');
    const { RelayCache } = await import('../receiver/relayCache.js');
    const cache = new RelayCache(o.cache ?? join(tmpdir(), 'fountcast-relay-cache'), o.cacheSize);
    try {
      const summary = await relay({
        upstream: up,
        sources,
        cache,
        cutThrough: !o.storeAndForward,
        waitForUpstreamMs: o.waitForUpstream,
        trust: o.trust
          ? { publishers: await Promise.all((o.trust as string[]).map(async (f) => (await keyFiles()).loadPublicKeyFile(f))), statePath: o.trustState }
          : undefined,
        serve: {
          host: o.host,
          port: o.port,
          multicast: o.multicast && { group: o.multicast.host, port: o.multicast.port },
          broadcast: o.broadcast === undefined ? undefined : { port: o.broadcast, address: o.broadcastAddress },
          interface: o.interface,
          receivers: o.receivers,
          onListening: (a, what) => log.warn({ event: 'listening', port: a?.port }, `relaying ${what.name} on port ${a?.port}`),
        },
        signal: controller.signal,
        logger: log,
        onServing: (m, from) =>
          log.info(
            { sha256: m.fileSha256, from },
            from === 'cut-through'
              ? `serving ${m.fileName} (${m.fileSize} bytes) while it arrives from ${upstream}`
              : `serving ${m.fileName} (${m.fileSize} bytes) fetched from ${from === 'cache' ? 'the cache' : upstream}`,
          ),
      });
      if (ctx.interruptedBy !== undefined) ctx.interrupted(log, Boolean(o.json));
      else if (o.receivers !== undefined && summary.completed < o.receivers)
        ctx.fail(log, new Error(`only ${summary.completed} of ${o.receivers} receiver(s) completed: ${summary.reason}`), Boolean(o.json));
      else ctx.exitCode = 0;
    } catch (e) {
      if (ctx.interruptedBy !== undefined && (e as Error)?.name === 'TransferAbortedError') ctx.interrupted(log, Boolean(o.json));
      else ctx.fail(log, e, Boolean(o.json));
    }
  });
}

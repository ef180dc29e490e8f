/**
 * A relay: a receiver and a sender joined at its cache. It fetches a publication from upstream
 * (the publisher or another relay) into the cache (receiver/relayCache.ts) and serves it with
 * send() under the manifest as received: the publisher's signature and digests, unchanged, no
 * private key. Downstream receivers check both, so a relay can delay or withhold content, never
 * alter it unnoticed (docs/security.md).
 *
 * Cut-through: a publication is served from the moment its staging opens, each segment as soon
 * as it matched the publisher's digest and is written (IncomingSegments), while later ones still
 * arrive; downstream receivers wait for those. The streams read it through a hard link beside the
 * cache (the staging is renamed into the cache when complete; the link keeps naming the same
 * bytes). A tree is fetched packed (its object in one file, ReceiveOptions.packedTree), so it is
 * served the same way; its entries go downstream in the manifest, unchanged.
 *
 * A relay restarted while fetching resumes from the staging in its cache (and serves what it
 * holds at once); one that cannot reach upstream serves the publication it used last.
 */
import { linkSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pino } from 'pino';
import type { Manifest } from '../control/messages.js';
import { ReceiveError } from '../receiver/errors.js';
import { receive, type ReceiveOptions } from '../receiver/receive.js';
import type { RelayCache } from '../receiver/relayCache.js';
import { IncomingSegments } from './incomingSegments.js';
import type { BitSet } from '../util/bitset.js';
import type { RelaySource } from './relayedObject.js';
import { send, type SendOptions, type SendSummary } from './send.js';

export interface RelayOptions {
  /** The publisher or the relay to fetch from. */
  upstream: { host: string; port: number };
  /** Other upstreams of the same content (ReceiveOptions.sources). @default [] */
  sources?: readonly { host: string; port: number }[];
  cache: RelayCache;
  /** Verify upstream's manifest too (ReceiveOptions.trust); downstream receivers verify anyway. */
  trust?: ReceiveOptions['trust'];
  /** How to serve downstream: everything send() takes but what is served. */
  serve: Omit<SendOptions, 'file' | 'paths' | 'relay' | 'sign' | 'signal' | 'logger'>;
  /**
   * Serve each segment as soon as it is stored, while later ones arrive (a single file or a
   * tree). Off: store and forward. @default true
   */
  cutThrough?: boolean;
  /** Keep trying to reach upstream for this long, as ReceiveOptions.waitForSenderMs (a relay further up may not listen yet). @default 0 */
  waitForUpstreamMs?: number;
  signal?: AbortSignal;
  logger?: SendOptions['logger'];
  /**
   * Told what is about to be served and whether it comes from upstream now (`upstream`: once
   * complete; `cut-through`: while it arrives) or from the cache.
   */
  onServing?: (manifest: Manifest, from: 'upstream' | 'cut-through' | 'cache') => void;
  /** Segment `index` from upstream matched its digest and is stored (cut-through serves it from now on). */
  onSegmentStored?: (index: number) => void;
}

export async function relay(o: RelayOptions): Promise<SendSummary> {
  const log = o.logger ?? pino({ level: 'silent' });
  // The serving side and the fetching side stop together: either failing ends the other.
  const stop = new AbortController();
  const onAbort = () => stop.abort(o.signal!.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) onAbort();
  let manifest: Manifest | undefined;
  let cut: { incoming: IncomingSegments; link: string; serving: Promise<SendSummary> } | undefined;
  /** The serving side failed before the fetch ended. */
  let servingFailed = false;
  // Serving done (its receivers have everything) leaves the fetch to finish into the cache; a
  // failure stops it.
  const serve = (source: RelaySource) =>
    send({ ...o.serve, relay: source, signal: stop.signal, logger: log }).catch((e: unknown) => {
      servingFailed = true;
      stop.abort(e);
      throw e;
    });

  const startCutThrough = (partPath: string, held: BitSet) => {
    const m = manifest!;
    if (cut) {
      // A later run of the same fetch (a reconnect, another source): same content, same staging.
      for (let i = 0; i < held.size; i++) if (held.has(i)) cut.incoming.add(i);
      return;
    }
    // Named by content beside the cache's entries (its listing ignores it); the staging's bytes
    // stay under this name when the staging is renamed into the cache.
    const link = o.cache.servingPath(m);
    try {
      rmSync(link, { force: true });
      linkSync(partPath, link);
    } catch (e) {
      // No hard links here (some file systems): served once complete instead.
      log.warn({ error: (e as Error).message }, `cannot link ${partPath} to ${link}: serving ${m.fileName} once all of it has arrived`);
      return;
    }
    const incoming = new IncomingSegments(link, held.size, held);
    o.onServing?.(m, 'cut-through');
    log.info({ held: incoming.count, segments: held.size }, `serving ${m.fileName} while it arrives (${incoming.count} of ${held.size} segments held)`);
    cut = { incoming, link, serving: serve({ manifest: m, path: link, incoming, packed: true }) };
    // Its failure is reported by whoever awaits it (below); the fetch is stopped meanwhile.
    cut.serving.catch(() => undefined);
  };

  let served: RelaySource;
  let from: 'upstream' | 'cache' = 'upstream';
  try {
    await receive({
      ...o.upstream,
      sources: o.sources ?? [],
      out: await o.cache.incoming(),
      // Re-served as received: the manifest must carry every digest.
      // A tree is kept as its object, in one file, so it too is served while it arrives.
      packedTree: true,
      digestsFirst: true,
      ...(o.waitForUpstreamMs !== undefined ? { waitForSenderMs: o.waitForUpstreamMs } : {}),
      ...(o.trust ? { trust: o.trust } : {}),
      signal: stop.signal,
      logger: log,
      onManifest: (m) => (manifest = m),
      ...(o.cutThrough !== false
        ? {
            onStaging: (s) => startCutThrough(s.partPath, s.held),
            onSegmentStored: (i) => {
              cut?.incoming.add(i);
              o.onSegmentStored?.(i);
            },
          }
        : { onSegmentStored: o.onSegmentStored }),
    });
    served = { manifest: manifest!, path: await o.cache.commit(manifest!), packed: true };
  } catch (e) {
    if (cut) {
      try {
        // The serving side failed first and stopped the fetch: its error is the outcome.
        // Otherwise the fetch's error is.
        if (servingFailed) return await cut.serving;
        stop.abort(e);
        await cut.serving.catch(() => undefined);
        throw e;
      } finally {
        o.signal?.removeEventListener('abort', onAbort);
        await rm(cut.link, { force: true });
      }
    }
    // Upstream unreachable: serve the publication used last, from the cache.
    const last = (await o.cache.list())[0];
    if (!(e instanceof ReceiveError && e.loss === 'connect-failed') || last === undefined) {
      o.signal?.removeEventListener('abort', onAbort);
      throw e;
    }
    log.warn({ upstream: `${o.upstream.host}:${o.upstream.port}` }, `${e.message}: serving ${last.manifest.fileName} from the cache`);
    await o.cache.touch(last.manifest);
    served = { manifest: last.manifest, path: o.cache.objectPath(last.manifest), packed: true };
    from = 'cache';
  }
  try {
    if (cut) {
      log.info({ sha256: served.manifest.fileSha256 }, `fetched ${served.manifest.fileName} whole, kept in the cache as ${served.path}`);
      return await cut.serving;
    }
    o.onServing?.(served.manifest, from);
    return await serve(served);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    if (cut) await rm(cut.link, { force: true });
  }
}

/**
 * A relay: a receiver and a sender joined at its cache. It fetches a publication from upstream
 * (the publisher or another relay) into the cache (receiver/relayCache.ts), then serves it with
 * send() under the manifest as received: the publisher's signature and digests, unchanged, no
 * private key. Downstream receivers check both, so a relay can delay or withhold content, never
 * alter it unnoticed (docs/security.md).
 *
 * A relay restarted while fetching resumes from the staging in its cache; one that cannot reach
 * upstream serves the publication it used last.
 */
import { pino } from 'pino';
import type { Manifest } from '../control/messages.js';
import { ReceiveError } from '../receiver/errors.js';
import { receive, type ReceiveOptions } from '../receiver/receive.js';
import type { RelayCache } from '../receiver/relayCache.js';
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
  signal?: AbortSignal;
  logger?: SendOptions['logger'];
  /** Told what is about to be served and whether it came from upstream now or from the cache. */
  onServing?: (manifest: Manifest, from: 'upstream' | 'cache') => void;
}

export async function relay(o: RelayOptions): Promise<SendSummary> {
  const log = o.logger ?? pino({ level: 'silent' });
  let served: { manifest: Manifest; path: string };
  let from: 'upstream' | 'cache' = 'upstream';
  try {
    let manifest: Manifest | undefined;
    await receive({
      ...o.upstream,
      sources: o.sources ?? [],
      out: await o.cache.incoming(),
      // Re-served as received: the manifest must carry every digest.
      digestsFirst: true,
      ...(o.trust ? { trust: o.trust } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      logger: log,
      onManifest: (m) => (manifest = m),
    });
    served = { manifest: manifest!, path: await o.cache.commit(manifest!) };
  } catch (e) {
    // Upstream unreachable: serve the publication used last, from the cache.
    const last = (await o.cache.list())[0];
    if (!(e instanceof ReceiveError && e.loss === 'connect-failed') || last === undefined) throw e;
    log.warn({ upstream: `${o.upstream.host}:${o.upstream.port}` }, `${e.message}: serving ${last.manifest.fileName} from the cache`);
    await o.cache.touch(last.manifest);
    served = { manifest: last.manifest, path: o.cache.objectPath(last.manifest) };
    from = 'cache';
  }
  o.onServing?.(served.manifest, from);
  return send({ ...o.serve, relay: served, ...(o.signal ? { signal: o.signal } : {}), logger: log });
}

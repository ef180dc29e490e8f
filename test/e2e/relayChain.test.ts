/**
 * A chain of relays over 127.0.0.1 (publisher → relay → relay → receiver, unicast): the end
 * receiver, trusting only the publisher, stores the identical file; neither relay holds a key.
 * A relay whose upstream is gone serves the publication from its cache.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generatePublisherKeys, parsePrivateKey, parsePublicKey } from '../../control/publication.js';
import { receive } from '../../receiver/receive.js';
import { RelayCache } from '../../receiver/relayCache.js';
import { relay, type RelayOptions } from '../../sender/relay.js';
import type { SendSummary } from '../../sender/send.js';
import { freeTcpPort, quiet, seededFile, sendOnLoopback, sha256Of, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** relay() on 127.0.0.1 for one downstream receiver, resolved once it listens. */
async function relayOnLoopback(o: Omit<RelayOptions, 'serve' | 'logger'>): Promise<{ port: number; done: Promise<SendSummary> }> {
  let onPort!: (p: number) => void;
  const port = new Promise<number>((r) => (onPort = r));
  const done = relay({ ...o, logger: quiet, serve: { host: '127.0.0.1', port: 0, receivers: 1, onListening: (a) => onPort(a!.port) } });
  return { port: await Promise.race([port, done.then(() => Promise.reject(new Error('relay ended before it listened')))]), done };
}

describe('relays', () => {
  it('chain: publisher → relay → relay → receiver, identical; a relay without upstream serves from its cache', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'release.tar');
    const hash = await seededFile(file, 900_000, 42);
    const k = generatePublisherKeys();
    const pub = parsePublicKey(k.publicPem);
    const publisher = await sendOnLoopback({
      file,
      receivers: 1,
      segmentSize: 262_144,
      sign: { privateKey: parsePrivateKey(k.privatePem), publishedAt: 7_000 },
    });
    const cacheA = new RelayCache(join(t.dir, 'cacheA'), 10_000_000);
    const a = await relayOnLoopback({
      upstream: { host: '127.0.0.1', port: publisher.port },
      cache: cacheA,
      trust: { publishers: [pub], statePath: join(t.dir, 'a.json') },
    });
    // The second relay verifies nothing itself: the end receiver does.
    const b = await relayOnLoopback({ upstream: { host: '127.0.0.1', port: a.port }, cache: new RelayCache(join(t.dir, 'cacheB'), 10_000_000) });
    const end = join(t.dir, 'end');
    await mkdir(end);
    const summary = await receive({
      host: '127.0.0.1',
      port: b.port,
      out: end,
      trust: { publishers: [pub], statePath: join(t.dir, 'end.json') },
      logger: quiet,
    });
    expect(summary.sha256).toBeUndefined(); // the identity is of its segment digests; the file itself is checked below
    expect(await sha256Of(join(end, 'release.tar'))).toBe(hash);
    expect(await publisher.done).toMatchObject({ completed: 1 });
    expect(await a.done).toMatchObject({ completed: 1 });
    expect(await b.done).toMatchObject({ completed: 1 });

    // Relay A again, its upstream gone: what it fetched is served from its cache.
    let from: string | undefined;
    const again = await relayOnLoopback({
      upstream: { host: '127.0.0.1', port: await freeTcpPort() },
      cache: cacheA,
      onServing: (_m, f) => (from = f),
    });
    const out = join(t.dir, 'late');
    await mkdir(out);
    await receive({ host: '127.0.0.1', port: again.port, out, trust: { publishers: [pub], statePath: join(t.dir, 'late.json') }, logger: quiet });
    expect(from).toBe('cache');
    expect(await sha256Of(join(out, 'release.tar'))).toBe(hash);
  }, 60_000);
});

/**
 * Cut-through relays over 127.0.0.1, where it matters that a relay serves while it receives:
 * - tampered content does not pass one: a relay fetching from an upstream whose copy has a
 *   flipped byte refuses that segment (it serves only what matched the publisher's digests),
 *   drops the upstream by name, completes from its other source, and the receiver behind it
 *   never meets a bad segment;
 * - a relay stopped mid-stream resumes from its cache when started again: it serves what it
 *   holds and fetches only the rest.
 */
import { copyFile, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../control/messages.js';
import { generatePublisherKeys, parsePrivateKey, parsePublicKey } from '../../control/publication.js';
import { receive } from '../../receiver/receive.js';
import { RelayCache } from '../../receiver/relayCache.js';
import { relay, type RelayOptions } from '../../sender/relay.js';
import type { SendSummary } from '../../sender/send.js';
import { quiet, seededFile, sendOnLoopback, sha256Of, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** relay() on 127.0.0.1 for one downstream receiver, resolved once it listens. */
async function relayOnLoopback(o: Omit<RelayOptions, 'serve'>): Promise<{ port: number; done: Promise<SendSummary> }> {
  let onPort!: (p: number) => void;
  const port = new Promise<number>((r) => (onPort = r));
  const done = relay({ logger: quiet, ...o, serve: { host: '127.0.0.1', port: 0, receivers: 1, onListening: (a) => onPort(a!.port) } });
  done.catch(() => undefined); // the caller awaits it
  return { port: await Promise.race([port, done.then(() => Promise.reject(new Error('relay ended before it listened')))]), done };
}

const KiB = 1024;

describe('cut-through relays', () => {
  it('pass no tampered segment on: the relay drops a bad upstream by name and completes from the publisher', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'app.bin');
    const hash = await seededFile(file, 1_200_000, 77);
    const k = generatePublisherKeys();
    const pub = parsePublicKey(k.publicPem);
    const sign = { privateKey: parsePrivateKey(k.privatePem), publishedAt: 9_000 };
    const trust = (name: string) => ({ publishers: [pub], statePath: join(t.dir, `${name}.trust.json`) });
    const segmentSize = 131_072;

    // A copy as an upstream relay would hold it, one byte flipped in segment 3.
    const first = await sendOnLoopback({ file, receivers: 1, segmentSize, sign });
    let manifest: Manifest | undefined;
    await mkdir(join(t.dir, 'copy'));
    await receive({ host: '127.0.0.1', port: first.port, out: join(t.dir, 'copy'), logger: quiet, onManifest: (m) => (manifest = m) });
    await first.done;
    const bad = join(t.dir, 'bad.bin');
    await copyFile(join(t.dir, 'copy', 'app.bin'), bad);
    const h = await open(bad, 'r+');
    const byte = Buffer.alloc(1);
    await h.read(byte, 0, 1, 3 * segmentSize + 5);
    byte[0]! ^= 0x80;
    await h.write(byte, 0, 1, 3 * segmentSize + 5);
    await h.close();

    const stopBad = new AbortController();
    const badUpstream = await sendOnLoopback({ relay: { manifest: manifest!, path: bad }, receivers: 1, signal: stopBad.signal });
    const publisher = await sendOnLoopback({ file, receivers: 1, segmentSize, sign });
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => void warnings.push(s) });
    const stored: number[] = [];
    const middle = await relayOnLoopback({
      upstream: { host: '127.0.0.1', port: badUpstream.port },
      sources: [{ host: '127.0.0.1', port: publisher.port }],
      cache: new RelayCache(join(t.dir, 'cache'), 10_000_000),
      trust: trust('middle'),
      logger: log,
      onSegmentStored: (i) => stored.push(i),
    });
    const out = join(t.dir, 'end');
    await mkdir(out);
    const summary = await receive({ host: '127.0.0.1', port: middle.port, out, trust: trust('end'), logger: quiet });
    expect(summary.sha256).toBeUndefined(); // the identity is of its segment digests; the file itself is checked below
    expect(await sha256Of(join(out, 'app.bin'))).toBe(hash);
    // Nothing that failed its digest reached the receiver behind the relay.
    expect(summary.hashMismatches).toBe(0);
    expect(new Set(stored).size).toBe(Math.ceil(1_200_000 / segmentSize));
    expect(warnings.join('\n')).toContain(`relay 127.0.0.1:${badUpstream.port} served content that does not match publisher`);
    expect(await middle.done).toMatchObject({ completed: 1 });
    expect(await publisher.done).toMatchObject({ completed: 1 });
    stopBad.abort();
    await badUpstream.done;
  }, 60_000);

  it('a relay stopped mid-stream resumes from its cache: it fetches only what it lacks and serves it all', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'disk.img');
    const segmentSize = 256 * KiB;
    const segments = 24;
    const hash = await seededFile(file, segments * segmentSize, 5);
    const k = generatePublisherKeys();
    const pub = parsePublicKey(k.publicPem);
    const sign = { privateKey: parsePrivateKey(k.privatePem), publishedAt: 3_000 };
    const trust = (name: string) => ({ publishers: [pub], statePath: join(t.dir, `${name}.trust.json`) });
    const cache = new RelayCache(join(t.dir, 'cache'), 100_000_000);
    // Paced, so the relay is stopped well before the end: 6 MiB at 40 Mbit/s is about 1.3 s.
    const paced = { file, segmentSize, sign, rateBitsPerSecond: 40e6, fixedRate: true };

    const stopFirst = new AbortController();
    const stopPublisher = new AbortController();
    const publisher = await sendOnLoopback({ ...paced, receivers: 1, signal: stopPublisher.signal });
    const firstStored: number[] = [];
    const first = await relayOnLoopback({
      upstream: { host: '127.0.0.1', port: publisher.port },
      cache,
      trust: trust('relay'),
      signal: stopFirst.signal,
      onSegmentStored: (i) => {
        firstStored.push(i);
        if (firstStored.length === 6) stopFirst.abort(new Error('stopped by the test'));
      },
    });
    await mkdir(join(t.dir, 'early'));
    // The receiver behind it loses its relay mid-transfer.
    const early = await receive({ host: '127.0.0.1', port: first.port, out: join(t.dir, 'early'), trust: trust('early'), logger: quiet }).catch(
      (e: Error) => e,
    );
    expect(early).toBeInstanceOf(Error);
    await expect(first.done).rejects.toThrow();
    stopPublisher.abort();
    await publisher.done.catch(() => undefined);
    expect(firstStored.length).toBeGreaterThanOrEqual(6);
    expect(firstStored.length).toBeLessThan(segments);

    // Started again on the same cache: the held segments are served at once, the rest fetched.
    const again = await sendOnLoopback({ ...paced, receivers: 1 });
    const secondStored: number[] = [];
    let from: string | undefined;
    const second = await relayOnLoopback({
      upstream: { host: '127.0.0.1', port: again.port },
      cache,
      trust: trust('relay'),
      onServing: (_m, f) => (from = f),
      onSegmentStored: (i) => secondStored.push(i),
    });
    const out = join(t.dir, 'end');
    await mkdir(out);
    const summary = await receive({ host: '127.0.0.1', port: second.port, out, trust: trust('end'), logger: quiet });
    expect(summary.sha256).toBeUndefined(); // the identity is of its segment digests; the file itself is checked below
    expect(await sha256Of(join(out, 'disk.img'))).toBe(hash);
    expect(from).toBe('cut-through');
    // Only what the first run had not stored came from upstream again.
    expect(secondStored.length).toBe(segments - new Set(firstStored).size);
    for (const i of new Set(firstStored)) expect(secondStored).not.toContain(i);
    expect(await second.done).toMatchObject({ completed: 1 });
    expect(await again.done).toMatchObject({ completed: 1 });
  }, 60_000);
});

/**
 * Relays over 127.0.0.1: a host that received a signed publication re-serves it under the
 * publisher's manifest, unchanged and without the private key; a receiver that trusts the
 * publisher accepts it as from the publisher, refuses a relayed copy with a flipped byte (naming
 * the relay and the publisher), and with another source completes from there.
 */
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../control/messages.js';
import { generatePublisherKeys, parsePrivateKey, parsePublicKey, publisherId, rawPublicKey } from '../../control/publication.js';
import { receive, type ReceiveOptions } from '../../receiver/receive.js';
import { quiet, seededFile, sendOnLoopback, sha256Of, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('relaying a signed publication', () => {
  it('is accepted downstream as from the publisher; a flipped byte gets the relay dropped by name', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'firmware.bin');
    const hash = await seededFile(file, 600_000, 23);
    const k = generatePublisherKeys();
    const publisher = { priv: parsePrivateKey(k.privatePem), pub: parsePublicKey(k.publicPem) };
    const trust = (name: string): ReceiveOptions['trust'] => ({ publishers: [publisher.pub], statePath: join(t.dir, `${name}.trust.json`) });
    const segmentSize = 131_072;
    for (const d of ['relay', 'end', 'refused', 'resumed']) await mkdir(join(t.dir, d));

    // The relay's own receive: it keeps the manifest as received.
    const origin = await sendOnLoopback({ file, receivers: 1, segmentSize, sign: { privateKey: publisher.priv, publishedAt: 5_000 } });
    let manifest: Manifest | undefined;
    await receive({ host: '127.0.0.1', port: origin.port, out: join(t.dir, 'relay'), trust: trust('relay'), logger: quiet, onManifest: (m) => (manifest = m) });
    await origin.done;
    const relayed = join(t.dir, 'relay', 'firmware.bin');
    expect(await sha256Of(relayed)).toBe(hash);

    // Re-served without the key: the end receiver checks the publisher's signature and digests.
    const relay = await sendOnLoopback({ relay: { manifest: manifest!, path: relayed }, receivers: 1 });
    await receive({ host: '127.0.0.1', port: relay.port, out: join(t.dir, 'end'), trust: trust('end'), logger: quiet });
    expect(await relay.done).toMatchObject({ completed: 1 });
    expect(await sha256Of(join(t.dir, 'end', 'firmware.bin'))).toBe(hash);

    // Replay protection holds through a relay: an older version relayed is refused as from the publisher.
    const old = await sendOnLoopback({ file, receivers: 1, segmentSize, sign: { privateKey: publisher.priv, publishedAt: 4_000 } });
    let oldManifest: Manifest | undefined;
    await mkdir(join(t.dir, 'old'));
    await receive({ host: '127.0.0.1', port: old.port, out: join(t.dir, 'old'), logger: quiet, onManifest: (m) => (oldManifest = m) });
    await old.done;
    const stopOld = new AbortController();
    const replay = await sendOnLoopback({ relay: { manifest: oldManifest!, path: join(t.dir, 'old', 'firmware.bin') }, receivers: 1, signal: stopOld.signal });
    const replayed = await receive({ host: '127.0.0.1', port: replay.port, out: join(t.dir, 'end'), trust: trust('end'), logger: quiet }).catch(
      (e: Error) => e,
    );
    expect(replayed).toMatchObject({ name: 'UntrustedManifestError', reason: 'replayed' });
    stopOld.abort();
    await replay.done;

    // One byte flipped in the relay's copy (segment 2): refused, the relay named, nothing stored.
    const h = await open(relayed, 'r+');
    const byte = Buffer.alloc(1);
    await h.read(byte, 0, 1, 2 * segmentSize + 77);
    byte[0]! ^= 0x01;
    await h.write(byte, 0, 1, 2 * segmentSize + 77);
    await h.close();
    const id = publisherId(rawPublicKey(publisher.pub));
    // A refused receiver does not count towards `receivers`: the test stops these relays.
    const stop = new AbortController();
    const bad = await sendOnLoopback({ relay: { manifest: manifest!, path: relayed }, receivers: 1, signal: stop.signal });
    const refusedOut = join(t.dir, 'refused');
    const refused = await receive({ host: '127.0.0.1', port: bad.port, out: refusedOut, trust: trust('refused'), logger: quiet }).catch((e: Error) => e);
    expect(refused).toMatchObject({ name: 'TamperedSourceError', source: `127.0.0.1:${bad.port}`, publisherId: id });
    expect((refused as Error).message).toBe(`relay 127.0.0.1:${bad.port} served content that does not match publisher ${id}`);
    expect((await readdir(refusedOut)).filter((n) => n === 'firmware.bin')).toEqual([]);

    // With the publisher as another source, the receiver continues there (resume) and completes.
    const bad2 = await sendOnLoopback({ relay: { manifest: manifest!, path: relayed }, receivers: 1, signal: stop.signal });
    const again = await sendOnLoopback({ file, receivers: 1, segmentSize, sign: { privateKey: publisher.priv, publishedAt: 5_000 } });
    const out = join(t.dir, 'resumed');
    const summary = await receive({
      host: '127.0.0.1',
      port: bad2.port,
      sources: [{ host: '127.0.0.1', port: again.port }],
      out,
      trust: trust('resumed'),
      logger: quiet,
    });
    expect(await sha256Of(join(out, 'firmware.bin'))).toBe(hash);
    expect(summary).toBeDefined();
    expect(await again.done).toMatchObject({ completed: 1 });
    stop.abort();
    expect(await bad.done).toMatchObject({ completed: 0, failed: 1 });
    expect(await bad2.done).toMatchObject({ completed: 0, failed: 1 });
  }, 60_000);
});

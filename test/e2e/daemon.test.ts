/**
 * The standing receiver over 127.0.0.1 against real senders on one port, one after the other:
 * two signed publications (v1, then a newer v2) each land; v2 offered again is declined after
 * its manifest; a replay of v1 is refused and the daemon keeps running; the signal ends it.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generatePublisherKeys, parsePrivateKey, parsePublicKey } from '../../control/publication.js';
import { receiveForever, type PublicationEvent } from '../../receiver/standingReceiver.js';
import { quiet, seededFile, sha256Of, signedPublications, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** The daemon's events as they come, and a wait for the next one of a type. */
function watch(events: AsyncIterable<PublicationEvent>) {
  const seen: PublicationEvent[] = [];
  const waiters: { type: string; resolve: (e: PublicationEvent) => void }[] = [];
  const ended = (async () => {
    for await (const e of events) {
      seen.push(e);
      for (const w of [...waiters]) {
        if (w.type === e.type) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    }
  })();
  return {
    seen,
    ended,
    /** The next event of `type` from now on. */
    next: (type: PublicationEvent['type']) => new Promise<PublicationEvent>((resolve) => waiters.push({ type, resolve })),
  };
}

describe('receive as a standing receiver', () => {
  it('stores v1 then v2, refuses a replayed v1 and keeps running until the signal', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const k = generatePublisherKeys();
    const privateKey = parsePrivateKey(k.privatePem);
    const trust = { publishers: [parsePublicKey(k.publicPem)], statePath: join(t.dir, 'state', 'trust.json') };
    await mkdir(join(t.dir, 'v1'));
    await mkdir(join(t.dir, 'v2'));
    const out = join(t.dir, 'out');
    await mkdir(out);
    const hash1 = await seededFile(join(t.dir, 'v1', 'app.bin'), 40_000, 1);
    const hash2 = await seededFile(join(t.dir, 'v2', 'app.bin'), 50_000, 2);

    const publications = signedPublications(t.dir, privateKey);
    const serve = publications.serve;

    const first = await serve('v1', 1_000_000);
    const daemon = new AbortController();
    const events = watch(receiveForever({ host: '127.0.0.1', port: publications.port, out, trust, pollIntervalMs: 50, signal: daemon.signal, logger: quiet }));

    const v1 = await events.next('stored');
    expect(v1).toMatchObject({
      type: 'stored',
      fileName: 'app.bin',
      publishedAt: 1_000_000,
      summary: { objectDigest: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(await sha256Of(join(out, 'app.bin'))).toBe(hash1);
    await first.done;

    const second = await serve('v2', 2_000_000);
    const v2 = await events.next('stored');
    expect(v2).toMatchObject({ fileName: 'app.bin', publishedAt: 2_000_000, summary: { objectDigest: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(await sha256Of(join(out, 'app.bin'))).toBe(hash2);
    await second.done;

    // The same version again: declined after the manifest, nothing received or written.
    const again = await serve('v2', 2_000_000);
    // Declined by the publication's identity (the standing state keeps it as `sha256`).
    expect(await events.next('unchanged')).toMatchObject({ fileName: 'app.bin', sha256: (v2 as { summary: { objectDigest: string } }).summary.objectDigest });
    again.stop.abort();
    expect(await again.done).toMatchObject({ completed: 0 });
    expect(await readdir(out)).toEqual(['app.bin']);

    // An old, validly signed version served again on the same address: a rollback attempt.
    const replay = await serve('v1', 1_000_000);
    const refused = await events.next('refused');
    expect(refused).toMatchObject({ reason: 'replayed', fileName: 'app.bin', error: { name: 'UntrustedManifestError' } });
    // Still running: it asks the replaying sender again after its pause, and is refused again.
    expect(await events.next('refused')).toMatchObject({ reason: 'replayed' });
    expect(await sha256Of(join(out, 'app.bin'))).toBe(hash2);
    replay.stop.abort();
    await replay.done.catch(() => undefined);

    daemon.abort(new Error('interrupted by SIGTERM'));
    await events.ended;
    expect(events.seen.filter((e) => e.type === 'stored')).toHaveLength(2);
    expect(events.seen.some((e) => e.type === 'failed')).toBe(false);
  }, 30_000);
});

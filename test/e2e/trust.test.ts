/**
 * Signed manifests end to end over 127.0.0.1: a receiver given --trust stores what the trusted
 * publisher signed, and refuses unsigned manifests, other publishers and replays of an older
 * version — before it allocates or writes anything.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generatePublisherKeys, parsePrivateKey, parsePublicKey, publisherId, rawPublicKey } from '../../control/publication.js';
import { receive } from '../../receiver/receive.js';
import { TrustState } from '../../receiver/trustState.js';
import { send, type SendOptions } from '../../sender/send.js';
import { quiet, seededFile, sha256Of, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const keys = () => {
  const k = generatePublisherKeys();
  return { priv: parsePrivateKey(k.privatePem), pub: parsePublicKey(k.publicPem) };
};

async function serveOnce(file: string, extra: Partial<SendOptions>) {
  let onPort!: (p: number) => void;
  const port = new Promise<number>((r) => (onPort = r));
  // A refused receiver does not count towards `receivers`: the test stops the sender then.
  const stop = new AbortController();
  const done = send({ file, host: '127.0.0.1', port: 0, receivers: 1, logger: quiet, signal: stop.signal, onListening: (a) => onPort(a!.port), ...extra });
  return { port: await port, done, stop };
}

describe('signed manifests over a real control channel', () => {
  it('stores what the trusted publisher signed; refuses replays, other publishers and unsigned manifests', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'firmware.bin');
    const hash = await seededFile(file, 300_000, 5);
    const publisher = keys();
    const stranger = keys();
    const statePath = join(t.dir, 'state', 'trust.json');
    const trust = { publishers: [publisher.pub], statePath };
    const attempt = async (name: string, sign: SendOptions['sign']) => {
      const { port, done, stop } = await serveOnce(file, { sign });
      const out = join(t.dir, name);
      await mkdir(out);
      const result = await receive({ host: '127.0.0.1', port, out, trust, logger: quiet }).catch((e: Error) => e);
      if (result instanceof Error) {
        stop.abort();
      }
      const summary = await done;
      return { result, out, summary };
    };

    const v2 = await attempt('v2', { privateKey: publisher.priv, publishedAt: 2_000_000 });
    expect(v2.result).not.toBeInstanceOf(Error);
    expect(await sha256Of(join(v2.out, 'firmware.bin'))).toBe(hash);
    expect((await TrustState.load(statePath)).lastAccepted(publisherId(rawPublicKey(publisher.pub)), 'firmware.bin')).toBe(2_000_000);

    // The same version again is fine (a re-install); an older one is a replay.
    expect((await attempt('v2again', { privateKey: publisher.priv, publishedAt: 2_000_000 })).result).not.toBeInstanceOf(Error);
    const refusals = [
      ['v1', { privateKey: publisher.priv, publishedAt: 1_000_000 }, 'replayed', /older than the version already accepted/],
      ['stranger', { privateKey: stranger.priv, publishedAt: 3_000_000 }, 'untrusted-key', /does not trust/],
      ['unsigned', undefined, 'unsigned', /not signed/],
    ] as const;
    for (const [name, sign, reason, message] of refusals) {
      const r = await attempt(name, sign);
      expect(r.result, name).toMatchObject({ name: 'UntrustedManifestError', reason });
      expect((r.result as Error).message).toMatch(message);
      // Nothing written, not even a temporary file; the sender counts no completion.
      expect(await readdir(r.out), name).toEqual([]);
      expect(r.summary).toMatchObject({ completed: 0, failed: 1 });
    }
  });
});

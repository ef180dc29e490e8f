/**
 * Cut-through over 127.0.0.1: a publisher paced at a fixed rate serves one receiver directly and
 * a relay; a receiver behind the relay gets each segment as soon as the relay has verified it,
 * so it starts while the relay still receives (its first segment stored before the relay's
 * last), and stores the identical file. How close its time comes to the direct receiver's is a
 * speed figure: bench/relayBench.ts measures it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { receive } from '../../receiver/receive.js';
import { RelayCache } from '../../receiver/relayCache.js';
import { publisherTrust, quiet, receiveBehindRelay, relayOnLoopback, seededFile, sendOnLoopback, sha256Of, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const MiB = 1024 * 1024;

describe('a relay serving while it receives (cut-through)', () => {
  it('the receiver behind it stores its first segment before the relay has the last; identical file', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'image.bin');
    const hash = await seededFile(file, 16 * MiB, 2323);
    const { privateKey, trust } = publisherTrust(t.dir);
    const publisher = await sendOnLoopback({
      file,
      receivers: 2,
      segmentSize: MiB,
      rateBitsPerSecond: 80e6,
      fixedRate: true,
      sign: { privateKey, publishedAt: 1_000 },
    });

    const relayed = relayOnLoopback({ upstreamPort: publisher.port, cache: new RelayCache(join(t.dir, 'cache'), 100 * MiB), trust: trust('relay') });

    const direct = join(t.dir, 'direct');
    const behind = join(t.dir, 'behind');
    await mkdir(direct);
    await mkdir(behind);
    const directDone = receive({ host: '127.0.0.1', port: publisher.port, out: direct, trust: trust('direct'), logger: quiet });
    const receiver = receiveBehindRelay(await relayed.port, behind, trust('behind'));
    const [a, b] = await Promise.all([directDone, receiver.done]);
    expect(relayed.seen.from).toBe('cut-through');
    expect(receiver.firstStored()).toBeDefined();
    expect(receiver.firstStored()!).toBeLessThan(relayed.seen.lastStored);
    // One identity, the publisher's, whichever way the object came; each copy is checked below.
    expect(b.objectDigest).toBe(a.objectDigest);
    expect(await sha256Of(a.path)).toBe(hash);
    expect(await sha256Of(join(behind, 'image.bin'))).toBe(hash);
    expect(await publisher.done).toMatchObject({ completed: 2 });
    expect(await relayed.done).toMatchObject({ completed: 1 });
  }, 60_000);
});

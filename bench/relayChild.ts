/**
 * A process of the relay benchmark (relayBench.ts), started and then waiting for 'go' over IPC:
 *   receive PORT OUT PUBFILE          receive() from 127.0.0.1:PORT into OUT, trusting PUBFILE
 *   relay UPSTREAM PORT CACHE MODE RATE
 *                                     relay() from 127.0.0.1:UPSTREAM, serving one receiver on
 *                                     PORT (MODE: cut-through or store-and-forward) paced at
 *                                     exactly RATE bits/s
 * It reports when it was done (and, receiving, when its first segment was stored) as absolute
 * times (performance.timeOrigin + now), so the parent compares processes on one clock.
 */
import { readFile } from 'node:fs/promises';
import { parsePublicKey } from '../control/publication.js';
import { receive } from '../receiver/receive.js';
import { RelayCache } from '../receiver/relayCache.js';
import { relay } from '../sender/relay.js';

const at = () => performance.timeOrigin + performance.now();
const [role, ...a] = process.argv.slice(2);
await new Promise<void>((go) => {
  process.once('message', () => go());
  process.send!({ type: 'ready' });
});
try {
  if (role === 'receive') {
    const [port, out, pubFile] = a;
    const pub = parsePublicKey(await readFile(pubFile!, 'utf8'));
    let first: number | undefined;
    await receive({
      host: '127.0.0.1',
      port: Number(port),
      out: out!,
      trust: { publishers: [pub], statePath: `${out}.trust.json` },
      waitForSenderMs: 30_000,
      onSegmentStored: () => (first ??= at()),
    });
    process.send!({ type: 'done', at: at(), first });
  } else {
    const [upstream, port, cache, mode, rate] = a;
    await relay({
      upstream: { host: '127.0.0.1', port: Number(upstream) },
      cache: new RelayCache(cache!, 10 * 1024 ** 3),
      cutThrough: mode === 'cut-through',
      waitForUpstreamMs: 30_000,
      serve: { host: '127.0.0.1', port: Number(port), receivers: 1, rateBitsPerSecond: Number(rate), fixedRate: true },
    });
    process.send!({ type: 'done', at: at() });
  }
} catch (e) {
  process.send!({ type: 'failed', message: (e as Error).message });
  process.exitCode = 1;
}
process.disconnect();

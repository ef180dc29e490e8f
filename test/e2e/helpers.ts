/** Shared pieces of the real-socket tests: seeded files in a temp dir, hashing, a silent logger. */
import { createHash, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { generatePublisherKeys, parsePrivateKey, parsePublicKey } from '../../control/publication.js';
import { receive } from '../../receiver/receive.js';
import type { ReceiveOptions } from '../../receiver/receiveConfig.js';
import type { RelayCache } from '../../receiver/relayCache.js';
import { relay, type RelayOptions } from '../../sender/relay.js';
import { send, type SendOptions, type SendSummary } from '../../sender/send.js';
import { SeededRandom } from '../../util/random.js';

export const quiet = pino({ level: 'silent' });

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fountcast-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function seededFile(path: string, size: number, seed: number): Promise<string> {
  const data = new SeededRandom(seed).fill(new Uint8Array(size));
  await writeFile(path, data);
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** A TCP port nothing listens on (just released by the kernel's choice). */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * send() on 127.0.0.1 at a port the kernel picks, resolved once it listens (or rejected if it
 * ended first), with the silent logger unless one is given.
 */
export async function sendOnLoopback(options: Omit<SendOptions, 'host' | 'port' | 'onListening'>): Promise<{ port: number; done: Promise<SendSummary> }> {
  let onPort!: (p: number) => void;
  const listening = new Promise<number>((r) => (onPort = r));
  const done = send({ logger: quiet, ...options, host: '127.0.0.1', port: 0, onListening: (a) => onPort(a!.port) });
  const endedFirst = done.then(
    () => Promise.reject(new Error('send() ended before it listened')),
    (e: Error) => Promise.reject(e),
  );
  endedFirst.catch(() => undefined); // the caller awaits `done` itself
  return { port: await Promise.race([listening, endedFirst]), done };
}

/** A publisher's key pair, and trust stores (one per name, kept under `dir`) that know its key. */
export function publisherTrust(dir: string): { privateKey: KeyObject; trust: (name: string) => NonNullable<RelayOptions['trust']> } {
  const k = generatePublisherKeys();
  const pub = parsePublicKey(k.publicPem);
  return { privateKey: parsePrivateKey(k.privatePem), trust: (name) => ({ publishers: [pub], statePath: join(dir, `${name}.trust.json`) }) };
}

/**
 * A relay on 127.0.0.1 fetching from the sender at `upstreamPort` and serving one receiver:
 * `port` once it listens; `seen` how it serves (cut-through, upstream or cache) and when it
 * stored its last segment so far (performance.now()); `done` its summary.
 */
export function relayOnLoopback(options: { upstreamPort: number; cache: RelayCache; trust: RelayOptions['trust'] }) {
  const seen: { from?: 'upstream' | 'cut-through' | 'cache'; lastStored: number } = { lastStored: 0 };
  let onPort!: (p: number) => void;
  const port = new Promise<number>((r) => (onPort = r));
  const done = relay({
    upstream: { host: '127.0.0.1', port: options.upstreamPort },
    cache: options.cache,
    trust: options.trust,
    logger: quiet,
    serve: { host: '127.0.0.1', port: 0, receivers: 1, onListening: (a) => onPort(a!.port) },
    onServing: (_m, f) => (seen.from = f),
    onSegmentStored: () => (seen.lastStored = performance.now()),
  });
  done.catch(() => undefined); // the caller awaits `done` itself
  return { port, seen, done };
}

/** A receiver behind a relay on 127.0.0.1, noting when it stored its first segment (to compare with the relay's last). */
export function receiveBehindRelay(port: number, out: string, trust: ReceiveOptions['trust']) {
  let firstStored: number | undefined;
  const done = receive({ host: '127.0.0.1', port, out, trust, logger: quiet, onSegmentStored: () => (firstStored ??= performance.now()) });
  return { done, firstStored: () => firstStored };
}

/**
 * Signed publications of `<dir>/<version>/app.bin`, one after another on one port (the first
 * send picks it, later ones reuse it), each for one receiver: what a standing receiver polls.
 * `serve` resolves once that sender listens, with an object (a promise resolved with `done`
 * itself would wait for the sender to finish).
 */
export function signedPublications(dir: string, privateKey: KeyObject) {
  const at = { port: 0 };
  const serve = (version: string, publishedAt: number, extra: Partial<SendOptions> = {}) =>
    new Promise<{ done: Promise<SendSummary>; stop: AbortController }>((resolve, reject) => {
      const stop = new AbortController();
      const done = send({
        file: join(dir, version, 'app.bin'),
        host: '127.0.0.1',
        port: at.port,
        receivers: 1,
        sign: { privateKey, publishedAt },
        logger: quiet,
        signal: stop.signal,
        onListening: (a) => {
          at.port = a!.port;
          resolve({ done, stop });
        },
        ...extra,
      });
      done.catch(reject);
    });
  return {
    serve,
    get port() {
      return at.port;
    },
  };
}

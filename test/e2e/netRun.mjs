// Runs inside a private network namespace (see net.test.ts): one scenario of interfaces and
// IPv6 (cfg.scenario), a sender and in-process receivers through the built library (dist/).
// Prints one JSON line with the outcome.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receive, send } from '../../dist/index.js';
import { writeSeededPayload } from './payload.mjs';

const cfg = JSON.parse(process.argv[2]);
const dir = await mkdtemp(join(tmpdir(), 'fountcast-net-'));
const out = { ok: false };

/** Bytes interface `name` has received so far (/proc/net/dev, this namespace). */
async function rxBytes(name) {
  const line = (await readFile('/proc/net/dev', 'utf8')).split('\n').find((l) => l.trim().startsWith(`${name}:`));
  return Number(line.split(':')[1].trim().split(/\s+/)[0]);
}

/** send() resolved once it listens: its port and its end (settled: never an unhandled rejection). */
async function startSender(options) {
  let onPort;
  const listening = new Promise((r) => (onPort = r));
  const done = send({ port: 0, segmentSize: 1 << 20, ...options, onListening: (a) => onPort(a.port) });
  const settled = done.then(
    (summary) => ({ summary }),
    (error) => ({ error: { name: error.name, message: error.message } }),
  );
  const port = await Promise.race([listening, settled.then((s) => Promise.reject(new Error(`send ended first: ${JSON.stringify(s)}`)))]);
  return { port, settled };
}

/** receive() into its own directory; resolves with what it stored and its hash, or the error. */
async function receiver(name, options) {
  const to = join(dir, name);
  await mkdir(to);
  try {
    const s = await receive({ out: to, receiverId: name, decodeWorkers: 1, ...options });
    const sha = createHash('sha256')
      .update(await readFile(s.path))
      .digest('hex');
    return { sha, datagramsReceived: s.datagramsReceived };
  } catch (e) {
    return { error: { name: e.name, message: e.message } };
  }
}

/** The error a promise rejects with, as { name, message, ms }. */
async function failure(p) {
  const t0 = performance.now();
  try {
    await p;
    return { resolved: true };
  } catch (e) {
    return { name: e.name, message: e.message, ms: performance.now() - t0 };
  }
}

const scenarios = {
  /** A shared stream on interfaces given by name or address; receivers joined on theirs. */
  async multicast() {
    const { file, hash } = await writeSeededPayload(dir, cfg.sizeBytes, 4242);
    const before = cfg.countOn ? await rxBytes(cfg.countOn) : 0;
    const { port, settled } = await startSender({
      file,
      host: cfg.senderHost,
      receivers: cfg.receivers.length,
      rateBitsPerSecond: 200e6,
      multicast: cfg.multicast,
      interface: cfg.senderInterface,
      minReceivers: cfg.receivers.length,
    });
    const results = await Promise.all(cfg.receivers.map((r, i) => receiver(`r${i}`, { host: r.host, port, interface: r.interface })));
    const sent = await settled;
    return {
      identical: results.map((r) => r.sha === hash),
      errors: results.map((r) => r.error?.message),
      completed: sent.summary?.completed,
      sendError: sent.error,
      countedBytes: cfg.countOn ? (await rxBytes(cfg.countOn)) - before : undefined,
      sizeBytes: cfg.sizeBytes,
    };
  },

  /** Unicast streams from the default (dual-stack) listener, over IPv4 and IPv6, on interfaces by name and by address. */
  async unicast() {
    const { file, hash } = await writeSeededPayload(dir, cfg.sizeBytes, 4343);
    const { port, settled } = await startSender({ file, receivers: cfg.receivers.length, interface: cfg.senderInterface });
    const results = await Promise.all(cfg.receivers.map((r, i) => receiver(`r${i}`, { host: r.host, port, interface: r.interface })));
    const sent = await settled;
    return {
      identical: results.map((r) => r.sha === hash),
      errors: results.map((r) => r.error?.message),
      completed: sent.summary?.completed,
      sendError: sent.error,
      peers: sent.summary?.receivers.map((r) => r.address).sort(),
    };
  },

  /**
   * The shared stream fails mid-transfer (its interface goes down under it): every receiver is
   * told why, send() rejects, and the sender takes no more receivers.
   */
  async streamFails() {
    const { file } = await writeSeededPayload(dir, cfg.sizeBytes, 4444);
    const { port, settled } = await startSender({
      file,
      host: '127.0.0.1',
      rateBitsPerSecond: 8e6,
      fixedRate: true,
      multicast: { group: '239.255.42.9', port: 47090 },
      interface: 'v0',
      minReceivers: 2,
    });
    let started;
    const streaming = new Promise((r) => (started = r));
    const rx = [0, 1].map((i) => receiver(`r${i}`, { host: '127.0.0.1', port, interface: 'v1', onProgress: () => started() }));
    await streaming;
    execFileSync('ip', ['link', 'set', 'v0', 'down']);
    const t0 = performance.now();
    const sent = await settled;
    const endedMs = performance.now() - t0;
    const results = await Promise.all(rx);
    // The listener is closed: a newcomer is refused at once instead of waiting for a stream.
    const late = await receiver('late', { host: '127.0.0.1', port, connectTimeoutMs: 2000 });
    return { sendError: sent.error, endedMs, errors: results.map((r) => r.error?.message), late: late.error?.message };
  },

  /** An interface that is down, or has no address of the family needed: both sides fail at once. */
  async unusable() {
    const { file } = await writeSeededPayload(dir, 1000, 4545);
    const down = await failure(send({ file, port: 0, host: '127.0.0.1', interface: 'd0' }));
    const rxDown = await failure(receive({ host: '127.0.0.1', port: 1, out: dir, interface: 'd0' }));
    const noV6 = await failure(send({ file, port: 0, host: '127.0.0.1', interface: 'v4only', multicast: { group: 'ff02::114', port: 47091 } }));
    return { down, rxDown, noV6 };
  },
};

try {
  Object.assign(out, await scenarios[cfg.scenario](), { ok: true });
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  await rm(dir, { recursive: true, force: true });
  console.log(JSON.stringify(out));
}

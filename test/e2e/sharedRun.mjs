// Runs inside a private network namespace (see shared.test.ts): one sender serving a shared
// (multicast or broadcast) stream to several in-process receivers with seeded simulated loss,
// one joining late and one killed mid-stream. Prints one JSON line with the outcome.
// Uses the built library (dist/), like the CLI.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receive, send } from '../../dist/index.js';
import { writeSeededPayload } from './payload.mjs';

const cfg = JSON.parse(process.argv[2]);
const dir = await mkdtemp(join(tmpdir(), 'fountcast-shared-'));
const out = { ok: false };
try {
  const { file, hash } = await writeSeededPayload(dir, cfg.sizeBytes, 12345);
  let onPort;
  const port = new Promise((r) => (onPort = r));
  const plane =
    cfg.mode === 'multicast' ? { multicast: { group: '239.255.42.1', port: cfg.dataPort } } : { broadcast: { port: cfg.dataPort, address: '127.255.255.255' } };
  const sender = send({
    file,
    host: '127.0.0.1',
    port: 0,
    receivers: cfg.complete,
    segmentSize: 1 << 20,
    rateBitsPerSecond: cfg.rateBits,
    minReceivers: cfg.minReceivers,
    ...plane,
    onListening: (a) => onPort(a.port),
  });
  const p = await port;
  const t0 = performance.now();
  const doneAt = [];
  const rx = (i, extra = {}) =>
    mkdir(join(dir, `r${i}`))
      .then(() =>
        receive({
          host: '127.0.0.1',
          port: p,
          out: join(dir, `r${i}`),
          receiverId: `r${i}`,
          simulateLoss: cfg.losses[i],
          seed: 100 + i,
          decodeWorkers: 1,
          ...extra,
        }),
      )
      .then((s) => ((doneAt[i] = performance.now() - t0), s));
  const results = [];
  for (let i = 0; i < cfg.losses.length; i++) {
    if (i === cfg.lateIndex) results.push(new Promise((r) => setTimeout(r, cfg.lateAfterMs)).then(() => rx(i)));
    else if (i === cfg.killIndex) {
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('killed by the test')), cfg.killAfterMs);
      results.push(
        rx(i, { signal: ac.signal }).then(
          () => 'not-killed',
          (e) => `killed: ${e.message}`,
        ),
      );
    } else results.push(rx(i));
  }
  const settled = await Promise.all(results);
  const summary = await sender;
  const hashes = [];
  for (let i = 0; i < cfg.losses.length; i++) {
    if (i === cfg.killIndex) continue;
    hashes.push(
      createHash('sha256')
        .update(await readFile(settled[i].path))
        .digest('hex') === hash,
    );
  }
  Object.assign(out, {
    ok: true,
    identical: hashes,
    killed: cfg.killIndex === undefined ? undefined : settled[cfg.killIndex],
    drops: settled.filter((s) => typeof s === 'object').map((s) => s.drops['simulated-loss']),
    badTags: settled.filter((s) => typeof s === 'object').map((s) => s.drops['bad-tag']),
    lossSeen: settled.filter((s) => typeof s === 'object').map((s) => s.datagramsLost / (s.datagramsLost + s.datagramsReceived)),
    overhead: settled.filter((s) => typeof s === 'object').map((s) => s.symbolsReceived / s.symbolsNeeded),
    doneAtMs: doneAt,
    completed: summary.completed,
    failed: summary.failed,
    datagramsSent: Math.max(...summary.receivers.map((r) => r.datagramsSent)),
    symbolsNeeded: settled.find((s) => typeof s === 'object').symbolsNeeded,
  });
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  await rm(dir, { recursive: true, force: true });
  console.log(JSON.stringify(out));
}

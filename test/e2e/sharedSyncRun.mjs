// Runs inside a private network namespace (see shared.test.ts): a tree of 200 files served on a
// multicast stream, first to an empty receiver (the baseline), then to a receiver holding all
// but three of the files (--sync). Prints one JSON line: both trees identical to the source, and
// the datagrams each stream sent.
// Uses the built library (dist/), like the CLI.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receive, send } from '../../dist/index.js';

const dir = await mkdtemp(join(tmpdir(), 'fountcast-shared-sync-'));
const out = { ok: false };
const bytes = (seed, n) => {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return b;
};
const serve = async (receivers, outs, sync) => {
  let onPort;
  const port = new Promise((r) => (onPort = r));
  const sender = send({
    paths: [join(dir, 'src') + '/'],
    host: '127.0.0.1',
    port: 0,
    receivers,
    segmentSize: 256 * 1024,
    multicast: { group: '239.255.42.7', port: 47091 },
    onListening: (a) => onPort(a.port),
  });
  const p = await port;
  const summaries = await Promise.all(outs.map((o, i) => receive({ host: '127.0.0.1', port: p, out: o, sync: sync[i] })));
  return { summaries, sent: (await sender).sharedStream?.datagramsSent ?? -1 };
};
try {
  await mkdir(join(dir, 'src', 'd'), { recursive: true });
  for (let i = 0; i < 200; i++) await writeFile(join(dir, 'src', 'd', `f${i}`), bytes(i + 1, 20_000));
  // The baseline: the whole tree to one receiver, on the same kind of stream.
  const full = await serve(1, [join(dir, 'full')], [false]);
  // The syncing receiver already holds the tree but for three files that differ.
  await cp(join(dir, 'full'), join(dir, 'synced'), { recursive: true });
  for (const i of [5, 100, 190]) await writeFile(join(dir, 'synced', 'd', `f${i}`), bytes(1000 + i, 20_000));
  const synced = await serve(1, [join(dir, 'synced')], [true]);
  const same = (a) => {
    try {
      execFileSync('diff', ['-r', join(dir, 'src'), a]);
      return true;
    } catch {
      return false;
    }
  };
  Object.assign(out, { ok: true, identical: [same(join(dir, 'full')), same(join(dir, 'synced'))], fullSent: full.sent, syncSent: synced.sent });
} catch (e) {
  out.error = e.message;
} finally {
  await rm(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(out));

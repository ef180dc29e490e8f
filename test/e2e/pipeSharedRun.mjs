// Runs inside a private network namespace (see pipes.test.ts): `send -` on a multicast stream
// reads its input to the end before it listens, then serves it as one complete object to a
// receiver writing to "standard output" (a stream here) and one storing a file. Prints one
// JSON line with the outcome. Uses the built library (dist/), like the CLI.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { receive, send } from '../../dist/index.js';
import { writeSeededPayload } from './payload.mjs';

const dir = await mkdtemp(join(tmpdir(), 'fountcast-pipe-shared-'));
const out = { ok: false };
try {
  const { file, hash } = await writeSeededPayload(dir, 3_000_000, 777);
  const data = await readFile(file);
  const stdin = new PassThrough();
  stdin.write(data.subarray(0, 1_000_000));
  let onPort;
  const port = new Promise((r) => (onPort = r));
  let listenedAfterEnd;
  let ended = false;
  const sender = send({
    paths: ['-'],
    stdin,
    name: 'piped.bin',
    host: '127.0.0.1',
    port: 0,
    receivers: 2,
    segmentSize: 1 << 20,
    rateBitsPerSecond: 200e6,
    minReceivers: 2,
    multicast: { group: '239.255.42.2', port: 47091 },
    onListening: (a) => {
      listenedAfterEnd = ended;
      onPort(a.port);
    },
  });
  setTimeout(() => {
    ended = true;
    stdin.end(data.subarray(1_000_000));
  }, 300);
  const p = await port;
  const chunks = [];
  const stdout = new PassThrough();
  stdout.on('data', (c) => chunks.push(c));
  await mkdir(join(dir, 'files'));
  const [a, b] = await Promise.all([
    receive({ host: '127.0.0.1', port: p, out: '-', stdout }),
    receive({ host: '127.0.0.1', port: p, out: join(dir, 'files') }),
  ]);
  const summary = await sender;
  const sha = (x) => createHash('sha256').update(x).digest('hex');
  Object.assign(out, {
    ok: true,
    listenedAfterEnd,
    identical: [sha(Buffer.concat(chunks)) === hash, sha(await readFile(b.path)) === hash],
    names: [a.path, b.path.endsWith('piped.bin')],
    completed: summary.completed,
  });
} catch (e) {
  out.error = e?.stack ?? String(e);
} finally {
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(out) + '\n');
}

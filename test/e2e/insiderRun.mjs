// Runs inside a private network namespace (see insider.test.ts): a broadcast stream to enrolled
// receivers, and an insider — enrolled like them, so it completes the handshake and learns the
// group's datagram key — that floods the stream with validly MACed garbage for every source
// symbol. Prints one JSON line with the outcome. Uses the built library (dist/).
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receive, send } from '../../dist/index.js';
import { writeSeededPayload } from './payload.mjs';
import { enroll, loadReceiverKeyFile, receiverKeyDirectory } from '../../dist/control/keyFiles.js';
import { newNonce, receiverProof, sessionKey, unwrapDataKey } from '../../dist/control/auth.js';
import { encodeFrame, FrameDecoder } from '../../dist/control/framing.js';
import { decodeMessage, encodeMessage } from '../../dist/control/messageCodec.js';
import { writeDatagram } from '../../dist/encoder/datagram.js';
import { hmacSha256Scheme } from '../../dist/encoder/integrity.js';

const cfg = JSON.parse(process.argv[2]);
const dir = await mkdtemp(join(tmpdir(), 'fountcast-insider-'));
const out = { ok: false };
let allSettled = Promise.resolve();
try {
  const { file, hash } = await writeSeededPayload(dir, cfg.sizeBytes, 999);
  const keys = join(dir, 'keys');
  const honest = await Promise.all(['r0', 'r1'].map((n) => enroll(n, keys)));
  const moleKey = await loadReceiverKeyFile(await enroll('mole', keys));

  let onPort;
  const port = new Promise((r) => (onPort = r));
  const sender = send({
    file,
    host: '127.0.0.1',
    port: 0,
    receivers: 2,
    minReceivers: 2,
    segmentSize: 1 << 20,
    rateBitsPerSecond: cfg.rateBits,
    broadcast: { port: cfg.dataPort, address: '127.255.255.255' },
    receiverKeys: receiverKeyDirectory(keys),
    onListening: (a) => onPort(a.port),
  });
  const p = await port;

  // The insider's handshake: a genuine enrollment, so every check passes and it learns the key.
  const manifest = await new Promise((resolve, reject) => {
    const nR = newNonce();
    const s = connect({ host: '127.0.0.1', port: p });
    const d = new FrameDecoder(1 << 20);
    const frame = (m) => s.write(Buffer.from(encodeFrame(encodeMessage(m))));
    s.on('connect', () =>
      frame({
        type: 'hello',
        version: 4,
        receiverId: 'mole',
        codecs: ['raptorq'],
        udpPort: 9,
        window: 1,
        auth: { name: 'mole', nonce: nR.toString('base64') },
      }),
    );
    let nS;
    s.on('data', (c) => {
      d.push(c);
      for (let f = d.next(); f; f = d.next()) {
        const m = decodeMessage(f.frame);
        if (!m.ok) return reject(new Error(m.detail));
        if (m.message.type === 'challenge') {
          nS = Buffer.from(m.message.nonce, 'base64');
          frame({ type: 'auth-response', proof: receiverProof(moleKey.secret, 'mole', nR, nS).toString('base64') });
        } else if (m.message.type === 'manifest') {
          const key = unwrapDataKey(sessionKey(moleKey.secret, 'mole', nR, nS), m.message.keyWrap, m.message.sessionId);
          resolve({ ...m.message, dataKey: key });
        }
      }
    });
    s.on('error', reject);
  });
  if (!manifest.dataKey) throw new Error('the insider could not open its key wrap');

  const forge = async () => {
    const mac = hmacSha256Scheme(manifest.dataKey);
    const T = manifest.symbolSize;
    const segments = Math.ceil(manifest.fileSize / manifest.segmentSize);
    const k = Math.ceil(manifest.segmentSize / T);
    const sock = createSocket('udp4');
    await new Promise((r) => sock.bind(0, r));
    sock.setBroadcast(true);
    const garbage = Buffer.alloc(T, 0x5a);
    let seq = 0;
    const until = performance.now() + cfg.forgeMs;
    let forged = 0;
    while (performance.now() < until) {
      for (let s = 0; s < segments; s++) {
        for (let esi = 0; esi < k; esi += 1) {
          const dg = new Uint8Array(24 + T + 16);
          writeDatagram(dg, { sessionId: manifest.sessionId, sequenceNumber: seq++ >>> 0, segmentIndex: s, encodingSymbolId: esi }, garbage, mac);
          sock.send(dg, cfg.dataPort, '127.255.255.255');
          forged++;
        }
        await new Promise((r) => setImmediate(r));
      }
    }
    sock.close();
    return forged;
  };

  const rx = (i) =>
    mkdir(join(dir, `r${i}`)).then(async () =>
      receive({ host: '127.0.0.1', port: p, out: join(dir, `r${i}`), receiverId: `r${i}`, key: await loadReceiverKeyFile(honest[i]), decodeWorkers: 1 }),
    );
  const receivers = [rx(0), rx(1)];
  // Settle them even if the run fails first, so the temp dir is removed after, not under, them.
  allSettled = Promise.allSettled(receivers);
  // Forge once the honest receivers listen on the stream (they joined: the stream started).
  await new Promise((r) => setTimeout(r, cfg.forgeAfterMs));
  const forged = await forge();
  const settled = await Promise.all(receivers);
  const summary = await sender;
  const identical = [];
  for (const s of settled)
    identical.push(
      createHash('sha256')
        .update(await readFile(s.path))
        .digest('hex') === hash,
    );
  Object.assign(out, {
    ok: true,
    forged,
    identical,
    hashMismatches: settled.map((s) => s.hashMismatches),
    completed: summary.completed,
    failed: summary.failed,
  });
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  await allSettled;
  await rm(dir, { recursive: true, force: true });
  console.log(JSON.stringify(out));
}

/**
 * Enrolled receivers end to end over 127.0.0.1: the challenge–response handshake both ways,
 * HMAC-tagged datagrams under a key the handshake hands over, and refusals of unenrolled,
 * revoked and impostor peers on either side.
 */
import { createSocket } from 'node:dgram';
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { enroll, loadReceiverKeyFile, receiverKeyDirectory } from '../../control/keyFiles.js';
import { encodeFrame, FrameDecoder } from '../../control/framing.js';
import { decodeMessage, encodeMessage } from '../../control/messageCodec.js';
import type { ControlMessage, Manifest } from '../../control/messages.js';
import { writeDatagram } from '../../encoder/datagram.js';
import { crc32Scheme, hmacSha256Scheme } from '../../encoder/integrity.js';
import { receive } from '../../receiver/receive.js';
import { send, type SendOptions } from '../../sender/send.js';
import { SeededRandom } from '../../util/random.js';
import { quiet, seededFile, sha256Of, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function serve(file: string, extra: Partial<SendOptions>) {
  let onPort!: (p: number) => void;
  const port = new Promise<number>((r) => (onPort = r));
  const stop = new AbortController();
  const done = send({
    file,
    host: '127.0.0.1',
    port: 0,
    logger: quiet,
    signal: stop.signal,
    segmentSize: 1 << 20,
    onListening: (a) => onPort(a!.port),
    ...extra,
  });
  return { port: await port, done, stop };
}

const frame = (m: ControlMessage) => Buffer.from(encodeFrame(encodeMessage(m)));

describe('enrolled receivers', () => {
  it('complete with HMAC-tagged datagrams while spoofed ones are dropped and counted', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const keys = join(t.dir, 'receivers');
    const keyPath = await enroll('lab-pc-17', keys);
    const file = join(t.dir, 'payload.bin');
    const hash = await seededFile(file, 3 * (1 << 20) + 11, 3);
    // A rate cap keeps the transfer long enough for the spoofing to overlap it.
    const { port, done } = await serve(file, { receivers: 1, receiverKeys: receiverKeyDirectory(keys), rateBitsPerSecond: 40e6 });
    let manifest: Manifest | undefined;
    let dataPort = 0;
    const blaster = createSocket('udp4');
    let blasting = true;
    const random = new SeededRandom(77);
    const blast = (async () => {
      while (blasting) {
        if (manifest && dataPort) {
          const T = manifest.symbolSize;
          const header = { sessionId: manifest.sessionId, sequenceNumber: 1, segmentIndex: 0, encodingSymbolId: 5 };
          const crc = new Uint8Array(24 + T + 4);
          writeDatagram(crc, header, random.fill(new Uint8Array(T)), crc32Scheme); // the open format
          const forged = new Uint8Array(24 + T + 16);
          writeDatagram(forged, header, random.fill(new Uint8Array(T)), hmacSha256Scheme(random.fill(new Uint8Array(32)))); // a guessed key
          blaster.send(crc, dataPort, '127.0.0.1');
          blaster.send(forged, dataPort, '127.0.0.1');
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const out = join(t.dir, 'out');
    await mkdir(out);
    try {
      const r = await receive({
        host: '127.0.0.1',
        port,
        out,
        key: await loadReceiverKeyFile(keyPath),
        simulateLoss: 0.1,
        seed: 4,
        logger: quiet,
        onManifest: (m) => (manifest = m),
        onDataPort: (p) => (dataPort = p),
      });
      expect(await sha256Of(r.path)).toBe(hash);
      expect(manifest).toMatchObject({ tagKind: 2 });
      expect(manifest!.keyWrap).toBeDefined();
      expect(r.drops['bad-tag']).toBeGreaterThan(0);
      expect(r.drops['bad-tag-kind'] + r.drops['length-mismatch']).toBeGreaterThan(0);
    } finally {
      blasting = false;
      await blast;
      blaster.close();
    }
    expect((await done).completed).toBe(1);
  });

  it('--encrypt: the same transfer with every symbol under AES-256-GCM, at 10 % loss', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const keys = join(t.dir, 'receivers');
    const keyPath = await enroll('pc-9', keys);
    const file = join(t.dir, 'payload.bin');
    const hash = await seededFile(file, 2 * (1 << 20) + 3, 6);
    const { port, done } = await serve(file, { receivers: 1, receiverKeys: receiverKeyDirectory(keys), encrypt: true });
    let manifest: Manifest | undefined;
    const out = join(t.dir, 'out');
    await mkdir(out);
    const r = await receive({
      host: '127.0.0.1',
      port,
      out,
      key: await loadReceiverKeyFile(keyPath),
      simulateLoss: 0.1,
      seed: 2,
      logger: quiet,
      onManifest: (m) => (manifest = m),
    });
    expect(manifest).toMatchObject({ tagKind: 3 });
    expect(await sha256Of(r.path)).toBe(hash);
    expect(r.drops['bad-tag']).toBe(0);
    expect((await done).completed).toBe(1);
    // Without enrolled receivers there is no key to encrypt with.
    await expect(send({ file, port: 0, encrypt: true, logger: quiet })).rejects.toThrow(/--encrypt needs --receiver-keys/);
  });

  it('refuses unenrolled, revoked and impostor peers on both sides, writing nothing', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const keys = join(t.dir, 'receivers');
    const keyPath = await enroll('pc-1', keys);
    const key = await loadReceiverKeyFile(keyPath);
    const file = join(t.dir, 'payload.bin');
    await seededFile(file, 100_000, 8);
    const { port, done, stop } = await serve(file, { receiverKeys: receiverKeyDirectory(keys) });
    const out = join(t.dir, 'out');
    await mkdir(out);
    const attempt = (extra: Parameters<typeof receive>[0]['key']) =>
      receive({ host: '127.0.0.1', port, out, key: extra, logger: quiet }).catch((e: Error) => e);

    // No key at all: the sender refuses.
    expect(await attempt(undefined)).toMatchObject({ name: 'ReceiveError', message: expect.stringMatching(/admits only enrolled receivers/) });
    // The right name with the wrong secret: the receiver finds out first (the sender cannot prove it knows that secret).
    expect(await attempt({ name: 'pc-1', secret: Buffer.alloc(32, 1) })).toMatchObject({ name: 'SenderAuthenticationError' });

    // A hostile client that claims the name but cannot answer the challenge.
    const answer = await new Promise<ControlMessage[]>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      const d = new FrameDecoder(1 << 16);
      const got: ControlMessage[] = [];
      s.on('connect', () =>
        s.write(
          frame({
            type: 'hello',
            version: 4,
            receiverId: 'x',
            codecs: ['raptorq'],
            udpPort: 9,
            window: 1,
            auth: { name: 'pc-1', nonce: Buffer.alloc(32, 5).toString('base64') },
          }),
        ),
      );
      s.on('data', (c) => {
        d.push(c);
        for (let f = d.next(); f; f = d.next()) {
          if (!f.ok) continue;
          const m = decodeMessage(f.frame);
          if (!m.ok) continue;
          got.push(m.message);
          if (m.message.type === 'challenge') s.write(frame({ type: 'auth-response', proof: Buffer.alloc(32, 6).toString('base64') }));
        }
      });
      s.on('close', () => resolve(got));
      s.on('error', () => undefined);
    });
    expect(answer.map((m) => m.type)).toEqual(['challenge', 'error']);
    expect(answer[1]).toMatchObject({ code: 'refused', message: expect.stringMatching(/authentication failed/) });

    // Revocation: delete the key file and the very next Hello is refused.
    await unlink(keyPath);
    expect(await attempt(key)).toMatchObject({ message: expect.stringMatching(/not enrolled here \(or its key was revoked\)/) });
    stop.abort();
    expect((await done).completed).toBe(0);

    // A fake sender that skips the challenge cannot feed an enrolled receiver.
    const fake = createServer((s) => {
      s.once('data', () =>
        s.write(
          frame({
            type: 'manifest',
            sessionId: 1,
            fileName: 'evil.bin',
            fileSize: 10,
            segmentSize: 1 << 20,
            symbolSize: 1392,
            codec: 'raptorq',
            segmentDigests: Buffer.alloc(32).toString('base64'),
            fileSha256: '0'.repeat(64),
            rateBytesPerSecond: 0,
            tagKind: 1,
            idleTimeoutMs: 500,
            heartbeatIntervalMs: 100,
          }),
        ),
      );
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const fakePort = (fake.address() as { port: number }).port;
      const err = await receive({ host: '127.0.0.1', port: fakePort, out, key, logger: quiet }).catch((e: Error) => e);
      expect(err).toMatchObject({ name: 'SenderAuthenticationError', message: expect.stringMatching(/skipped authentication/) });
    } finally {
      fake.close();
    }
    expect(await readdir(out)).toEqual([]);
  });
});

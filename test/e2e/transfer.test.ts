/**
 * Real sockets on 127.0.0.1, port 0: one sender, three concurrent receivers behind seeded loss,
 * and hostile traffic (garbage control frames, random and forged datagrams) during the transfer.
 */
import { createSocket } from 'node:dgram';
import { mkdir, readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../control/messages.js';
import { writeDatagram } from '../../encoder/datagram.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { receive, type ReceiveSummary } from '../../receiver/receive.js';
import { send } from '../../sender/send.js';
import { SeededRandom } from '../../util/random.js';
import { freeTcpPort, quiet, seededFile, sha256Of, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function startSender(file: string, receivers: number, extra: Partial<Parameters<typeof send>[0]> = {}) {
  let onPort!: (p: number) => void;
  const port = new Promise<number>((r) => (onPort = r));
  const done = send({ file, host: '127.0.0.1', port: 0, receivers, segmentSize: 1 << 20, logger: quiet, onListening: (a) => onPort(a!.port), ...extra });
  return { port: await Promise.race([port, done.then(() => -1)]), done };
}

describe('unicast end to end over loopback', () => {
  it('delivers with the node:dgram send path when the native module is off in the stream workers (FOUNTCAST_NATIVE=0: no sendmmsg)', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'payload.bin');
    const hash = await seededFile(file, 3 * (1 << 20) + 77, 43);
    // Stream workers read the environment when they start (this process's own module is already loaded).
    const before = process.env.FOUNTCAST_NATIVE;
    process.env.FOUNTCAST_NATIVE = '0';
    try {
      // send --sha256: the identity is the plain SHA-256, which the receiver verifies and reports.
      const { port, done } = await startSender(file, 1, { sha256: true });
      const out = join(t.dir, 'r');
      await mkdir(out);
      const r = await receive({ host: '127.0.0.1', port, out, receiverId: 'r', simulateLoss: 0.05, seed: 3, logger: quiet, decodeWorkers: 1 });
      expect(await sha256Of(r.path)).toBe(hash);
      expect(r).toMatchObject({ objectDigest: hash, sha256: hash });
      expect((await done).completed).toBe(1);
    } finally {
      if (before === undefined) delete process.env.FOUNTCAST_NATIVE;
      else process.env.FOUNTCAST_NATIVE = before;
    }
  });

  it('delivers a multi-segment file byte-identical to 3 concurrent receivers at 10 % loss (fountain recovery: repair symbols, wasm on both ends)', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'payload.bin');
    const size = 5 * (1 << 20) + 12_345; // 6 segments of 1 MiB, the last one short
    const hash = await seededFile(file, size, 42);
    const { port, done } = await startSender(file, 3, { recovery: 'fountain' });
    const results = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const out = join(t.dir, `r${i}`);
        await mkdir(out);
        return receive({ host: '127.0.0.1', port, out, receiverId: `r${i}`, simulateLoss: 0.1, seed: 7 + i, logger: quiet, decodeWorkers: 1 });
      }),
    );
    for (const [i, r] of results.entries()) {
      expect(r.path).toBe(join(t.dir, `r${i}`, 'payload.bin'));
      expect(await sha256Of(r.path)).toBe(hash);
      expect(r.drops['simulated-loss']).toBeGreaterThan(0);
      // Fountain code: about K symbols suffice whatever was lost.
      expect(r.symbolsReceived / r.symbolsNeeded).toBeLessThan(1.02);
      // No temporary file left next to the result.
      expect(await readdir(join(t.dir, `r${i}`))).toEqual(['payload.bin']);
    }
    const summary = await done;
    expect(summary.completed).toBe(3);
    expect(summary.failed).toBe(0);
    expect(summary.receivers.every((r) => r.repairSymbolsSent > 0 && r.sourceRetransmits === 0)).toBe(true);
    // The summary carries the loss each receiver saw (10 % simulated, plus any real drops).
    for (const r of summary.receivers) {
      const seen = r.datagramsLost / (r.datagramsReceived + r.datagramsLost);
      expect(seen).toBeGreaterThan(0.05);
      expect(seen).toBeLessThan(0.3);
    }
  });

  it('a receiver started before its sender waits for it (waitForSenderMs), and says how long it tried when none comes', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'early.bin');
    const hash = await seededFile(file, 300_000, 5);
    const port = await freeTcpPort();
    // Nothing listens yet: refused at once without waiting, after the wait with it.
    await expect(receive({ host: '127.0.0.1', port, out: t.dir, logger: quiet })).rejects.toThrow(/ECONNREFUSED/);
    await expect(receive({ host: '127.0.0.1', port, out: t.dir, logger: quiet, waitForSenderMs: 150 })).rejects.toThrow(/ECONNREFUSED.*kept trying for 150 ms/);
    const out = join(t.dir, 'out');
    await mkdir(out);
    const early = receive({ host: '127.0.0.1', port, out, logger: quiet, waitForSenderMs: 10_000 });
    await new Promise((r) => setTimeout(r, 200)); // several refused attempts happen meanwhile
    const done = send({ file, host: '127.0.0.1', port, receivers: 1, logger: quiet });
    const r = await early;
    expect(await sha256Of(r.path)).toBe(hash);
    expect((await done).completed).toBe(1);
  });

  it('completes unharmed while a hostile client sends garbage frames and forged datagrams', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'payload.bin');
    const hash = await seededFile(file, 3 * (1 << 20) + 7, 9);
    // A rate cap keeps the transfer running long enough for the attack to overlap it.
    const { port, done } = await startSender(file, 1, { rateBitsPerSecond: 40e6 });
    const random = new SeededRandom(1234);

    // 1. Control-channel garbage: several connections, each with a different kind of junk.
    const junk = [
      Buffer.from([0xff, 0xff, 0xff, 0xff]), // declares a 4 GiB frame
      Buffer.concat([Buffer.from([0, 0, 0, 4]), Buffer.from('{"ty')]), // a complete frame of broken JSON
      Buffer.from(random.fill(new Uint8Array(3000))),
      Buffer.concat([Buffer.from([0, 0, 0, 30]), Buffer.from('{"type":"exec","cmd":"reboot"}')]),
    ];
    const hostileControl = Promise.all(
      junk.map(
        (bytes) =>
          new Promise<string>((resolve) => {
            const s = connect({ host: '127.0.0.1', port }, () => s.write(bytes));
            let answer = '';
            s.on('data', (d) => (answer += d.toString('latin1')));
            s.on('close', () => resolve(answer));
            s.on('error', () => undefined);
          }),
      ),
    );

    // 2. Data-plane junk at the receiver's UDP port: random bytes, and well-formed datagrams of
    //    its own session with a bad tag, an out-of-range segment and garbage symbols re-sealed.
    let manifest!: Manifest;
    let dataPort = 0;
    const blaster = createSocket('udp4');
    let blasting = true;
    const blast = async () => {
      while (!dataPort) await new Promise((r) => setTimeout(r, 5));
      while (blasting) {
        const junkDatagrams: Uint8Array[] = [random.fill(new Uint8Array(random.nextInt(1500)))];
        if (manifest) {
          const d = new Uint8Array(24 + manifest.symbolSize + 4);
          writeDatagram(
            d,
            { sessionId: manifest.sessionId, sequenceNumber: 0, segmentIndex: 99, encodingSymbolId: 1 },
            new Uint8Array(manifest.symbolSize),
            crc32Scheme,
          );
          junkDatagrams.push(d); // segment out of range
          const bad = new Uint8Array(24 + manifest.symbolSize + 4);
          writeDatagram(
            bad,
            { sessionId: manifest.sessionId, sequenceNumber: 0, segmentIndex: 0, encodingSymbolId: 3 },
            random.fill(new Uint8Array(manifest.symbolSize)),
            crc32Scheme,
          );
          bad[30] ^= 1; // corrupt after sealing: bad tag
          junkDatagrams.push(bad);
        }
        for (const d of junkDatagrams) blaster.send(d, dataPort, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    const blasting$ = blast();

    const out = join(t.dir, 'out');
    await mkdir(out);
    let r: ReceiveSummary;
    try {
      r = await receive({
        host: '127.0.0.1',
        port,
        out,
        logger: quiet,
        onManifest: (m) => (manifest = m),
        onDataPort: (p) => (dataPort = p),
      });
    } finally {
      blasting = false;
      await blasting$;
      blaster.close();
    }
    expect(await sha256Of(r.path)).toBe(hash);
    const drops = r.drops;
    expect(drops['segment-out-of-range']).toBeGreaterThan(0);
    expect(drops['bad-tag']).toBeGreaterThan(0);
    expect(Object.values(drops).reduce((a, b) => a + b, 0)).toBeGreaterThan(drops['segment-out-of-range']!);

    const answers = await hostileControl;
    expect(answers[0]).toMatch(/frame-too-large/);
    expect(answers[1]).toMatch(/bad-message/);
    expect(answers[3]).toMatch(/unexpected-message/);
    const summary = await done;
    expect(summary.completed).toBe(1);
  });

  it('carries the research schemes on the wire too: lt, rs and arq each deliver byte-identical at 10 % loss', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'payload.bin');
    const hash = await seededFile(file, 2 * (1 << 20) + 999, 11);
    for (const codec of ['lt', 'rs', 'arq'] as const) {
      let manifest!: Manifest;
      const { port, done } = await startSender(file, 1, { codec, recovery: 'fountain' });
      const out = join(t.dir, codec);
      await mkdir(out);
      const r = await receive({ host: '127.0.0.1', port, out, simulateLoss: 0.1, seed: 3, logger: quiet, decodeWorkers: 1, onManifest: (m) => (manifest = m) });
      expect(manifest.codec).toBe(codec);
      expect(await sha256Of(r.path)).toBe(hash);
      expect(r.drops['simulated-loss']).toBeGreaterThan(0);
      const [rx] = (await done).receivers;
      expect(rx!.outcome).toBe('completed');
      // ARQ resends what receivers list as lost even when told 'fountain' (its only "repair" is
      // a source carousel after a stall); the codes send repair symbols and never resend sources.
      if (codec === 'arq') expect(rx!.sourceRetransmits).toBeGreaterThan(0);
      else expect(rx).toMatchObject({ sourceRetransmits: 0 });
      if (codec !== 'arq') expect(rx!.repairSymbolsSent).toBeGreaterThan(0);
    }
  });
});

/**
 * The unicast stream starts on Request, not with the Manifest (a Hello must not cost a worker):
 * nothing is sent to a receiver that has not asked, the stream starts when it does, and a client
 * that never asks is dropped by the handshake timeout with no stream ever started (send() returns).
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../control/framing.js';
import { decodeMessage, encodeMessage } from '../../control/messageCodec.js';
import type { ControlMessage, Manifest } from '../../control/messages.js';
import { quiet, seededFile, sendOnLoopback, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const frame = (m: ControlMessage) => Buffer.from(encodeFrame(encodeMessage(m)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A control client that says Hello for `udpPort` and resolves with the Manifest. */
function client(port: number, udpPort: number, id: string) {
  const socket = connect({ host: '127.0.0.1', port });
  const frames = new FrameDecoder(1 << 20);
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  const manifest = new Promise<Manifest>((resolve) => {
    socket.on('data', (d) => {
      frames.push(d);
      for (let f = frames.next(); f; f = frames.next()) {
        const m = f.ok ? decodeMessage(f.frame) : undefined;
        if (m?.ok && m.message.type === 'manifest') resolve(m.message);
      }
    });
  });
  socket.write(frame({ type: 'hello', version: 4, receiverId: id, codecs: ['raptorq'], udpPort, window: 4 }));
  return { socket, manifest, closed };
}

describe('unicast stream start', () => {
  it('sends nothing before Request, starts on it, and drops a client that never asks without starting its stream', async () => {
    const t = await tempDir();
    const udp = createSocket('udp4');
    cleanup = async () => {
      udp.close();
      await t.cleanup();
    };
    const file = join(t.dir, 'f.bin');
    await seededFile(file, 1 << 20, 9);
    let arrivals = 0;
    udp.on('message', () => arrivals++);
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    const controller = new AbortController();
    const { port, done } = await sendOnLoopback({
      file,
      handshakeTimeoutMs: 1500,
      logger: quiet,
      signal: controller.signal,
    });

    const asker = client(port, udp.address().port, 'asker');
    await asker.manifest;
    await sleep(400); // nothing may come before Request
    expect(arrivals).toBe(0);
    asker.socket.write(frame({ type: 'request' }));
    const t0 = performance.now();
    while (arrivals === 0 && performance.now() - t0 < 3000) await sleep(5);
    expect(arrivals).toBeGreaterThan(0);

    // Never asks: the handshake timeout closes it; it never had a stream.
    const silent = client(port, 9, 'silent');
    await silent.manifest;
    await silent.closed;
    asker.socket.destroy();
    controller.abort();
    const summary = await done;
    const quietOne = summary.receivers.find((r) => r.receiverId === 'silent');
    expect(quietOne).toMatchObject({ outcome: 'failed' });
    expect(quietOne!.reason).toMatch(/handshake/);
    expect(quietOne!.datagramsSent).toBe(0);
  }, 20_000);
});

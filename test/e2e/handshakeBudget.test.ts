/**
 * Real sockets on 127.0.0.1: what a peer can make the sender hold before it asks for the file.
 * A Hello costs a Manifest, not a stream worker (the stream starts on Request), and connections
 * that never say Hello have their own small budget instead of taking receivers' places.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../control/framing.js';
import { decodeMessage, encodeMessage } from '../../control/messageCodec.js';
import type { ControlMessage } from '../../control/messages.js';
import { receive } from '../../receiver/receive.js';
import { quiet, seededFile, sha256Of, sendOnLoopback, tempDir } from './helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const frame = (m: ControlMessage) => Buffer.from(encodeFrame(encodeMessage(m)));
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** Connects and says Hello; resolves once the Manifest came. */
function helloOnly(port: number, i: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    const frames = new FrameDecoder(1 << 20);
    s.on('error', reject);
    s.on('data', (d) => {
      frames.push(d);
      for (let f = frames.next(); f; f = frames.next()) {
        const m = f.ok ? decodeMessage(f.frame) : undefined;
        if (m?.ok && m.message.type === 'manifest') resolve(s);
      }
    });
    s.write(frame({ type: 'hello', version: 4, receiverId: `h${i}`, codecs: ['raptorq'], udpPort: 9, window: 64 }));
  });
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('what a peer can make the sender hold before Request', () => {
  it('64 Hello-only connections keep the sender (its own process) under 300 MB RSS', async () => {
    const t = await tempDir();
    const file = join(t.dir, 'f.bin');
    await seededFile(file, 8 << 20, 5);
    const child = spawn(process.execPath, [cli, 'send', file, '--host', '127.0.0.1', '--port', '0', '--handshake-timeout', '30s', '--json', '-v'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const sockets: Socket[] = [];
    cleanup = async () => {
      sockets.forEach((s) => s.destroy());
      child.kill('SIGKILL');
      await t.cleanup();
    };
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      child.stderr.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /"port":(\d+)[^\n]*listening on/.exec(text);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`sender exited (${code}): ${text}`)));
    });
    const before = rssMiB(child.pid!);
    sockets.push(...(await Promise.all(Array.from({ length: 64 }, (_, i) => helloOnly(port, i)))));
    // Give a worker that was wrongly started time to boot and load its codec.
    await new Promise((r) => setTimeout(r, 1000));
    const after = rssMiB(child.pid!);
    expect(after, `RSS ${before.toFixed(0)} MB -> ${after.toFixed(0)} MB`).toBeLessThan(300);
  }, 30_000);

  it('50 connections that never say Hello do not lock a real receiver out', async () => {
    const t = await tempDir();
    const file = join(t.dir, 'f.bin');
    const hash = await seededFile(file, 300_000, 6);
    const { port, done } = await sendOnLoopback({
      file,
      receivers: 1,
      maxReceivers: 2,
      maxPendingHandshakes: 16,
      handshakeTimeoutMs: 30_000,
      logger: quiet,
    });
    const idle: Socket[] = [];
    cleanup = async () => {
      idle.forEach((s) => s.destroy());
      await t.cleanup();
    };
    const heard: string[] = [];
    for (let i = 0; i < 50; i++) {
      const s = connect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      heard.push('');
      s.on('data', (d: Buffer) => (heard[i] += d.toString('latin1')));
      idle.push(s);
      await new Promise((r) => s.once('connect', r));
    }
    const r = await receive({ host: '127.0.0.1', port, out: join(t.dir, 'got.bin'), logger: quiet });
    expect(await sha256Of(r.path)).toBe(hash);
    const summary = await done;
    expect(summary).toMatchObject({ completed: 1, failed: 0, reason: '1 receiver(s) completed' });
    // The oldest idle connections made way; at most the newest 16 (the pre-Hello budget) are open.
    await new Promise((r) => setTimeout(r, 100));
    expect(idle.filter((s) => !s.destroyed && !s.readableEnded).length).toBeLessThanOrEqual(16);
    // Each one dropped was told why (an Error frame), not just cut off.
    expect(heard.filter((h) => h.includes('dropped before its Hello')).length).toBeGreaterThanOrEqual(50 - 16);
  }, 30_000);
});

/**
 * What a run prints, on real sockets (127.0.0.1): off a terminal a successful receive is one
 * summary line and nothing else; --json events parse line by line (on stdout, or on stderr when
 * stdout carries the data) and end with a summary carrying goodput; on a pseudo-terminal the
 * status line is closed before any later line, so the summary ends the output on its own line.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lines, onPty, screen, spawnCli, type Event } from './cliProcess.js';
import { freeTcpPort, seededFile, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const parse = (text: string): Event[] => lines(text).map((l) => JSON.parse(l) as Event);

describe('what a run prints', () => {
  it('off a terminal: one summary line per side, --json events on stdout (stderr with --out -) ending with goodput', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'f.bin');
    // ~2.8 s at 24 Mbit/s: progress events with a known rate and ETA on both sides.
    const hash = await seededFile(file, 8 << 20, 31);
    const sender = spawnCli(['send', file, '--host', '127.0.0.1', '--port', '0', '--receivers', '2', '--rate', '24M', '--fixed-rate', '--json']);
    await expect.poll(() => parse(sender.stdout())[0], { timeout: 10_000 }).toMatchObject({ event: 'start' });
    const start = parse(sender.stdout())[0]!;
    expect(start).toEqual({ event: 'start', role: 'sender', name: 'f.bin', bytes: 8 << 20, address: '127.0.0.1', port: expect.any(Number) });

    const plain = spawnCli(['receive', `127.0.0.1:${String(start.port)}`, '--out', t.dir + '/plain']);
    // --sha256: the plain SHA-256 reported too (the identity is the digest of the segment digests).
    const piped = spawnCli(['receive', `127.0.0.1:${String(start.port)}`, '--out', '-', '--json', '--sha256']);
    const stdoutData: Buffer[] = [];
    piped.child.stdout!.removeAllListeners('data');
    piped.child.stdout!.on('data', (d: Buffer) => stdoutData.push(d));
    expect(await plain.exited, plain.stderr()).toBe(0);
    expect(await piped.exited, piped.stderr()).toBe(0);
    expect(await sender.exited, sender.stderr()).toBe(0);

    // Off a terminal: the summary line, nothing else.
    expect(plain.stdout()).toBe('');
    expect(lines(plain.stderr())).toEqual([
      expect.stringMatching(/^received f\.bin \(8\.0 MiB\) in \d+\.\d\d s, [\d.]+ Mbit\/s, SHA-256 verified, stored at .*plain$/),
    ]);
    expect(sha(await readFile(join(t.dir, 'plain')))).toBe(hash);

    // --out -: the data alone on stdout, the events on stderr.
    expect(sha(Buffer.concat(stdoutData))).toBe(hash);
    const received = parse(piped.stderr());
    expect(received[0]).toMatchObject({ event: 'start', role: 'receiver', name: 'f.bin', bytes: 8 << 20, path: '-' });
    expect(received.at(-1)).toMatchObject({
      event: 'summary',
      role: 'receiver',
      exitCode: 0,
      bytes: 8 << 20,
      sha256: hash,
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(received.at(-1)!.digest).not.toBe(hash);
    expect((received.at(-1)!.goodputBitsPerSecond as number) / 1e6).toBeGreaterThan(5);
    const progress = received.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.some((e) => typeof e.rateBitsPerSecond === 'number' && typeof e.etaSeconds === 'number')).toBe(true);

    // The sender's events: nothing on stderr (logs at warn), every stdout line an event.
    expect(sender.stderr()).toBe('');
    const sent = parse(sender.stdout());
    expect(sent.filter((e) => e.event === 'receiver')).toEqual([
      expect.objectContaining({ outcome: 'completed', bytes: 8 << 20, goodputBitsPerSecond: expect.any(Number) }),
      expect.objectContaining({ outcome: 'completed', bytes: 8 << 20 }),
    ]);
    const sending = sent.filter((e) => e.event === 'progress');
    expect(sending.at(-1)).toMatchObject({ role: 'sender', receiversTotal: 2, resends: expect.any(Number), bytesSent: expect.any(Number) });
    expect(sending.some((e) => typeof e.rateBitsPerSecond === 'number')).toBe(true);
    const summary = sent.at(-1)!;
    expect(summary).toMatchObject({ event: 'summary', role: 'sender', exitCode: 0, completed: 2, failed: 0, bytes: 2 * (8 << 20) });
    expect(summary.goodputBitsPerSecond as number).toBeGreaterThan(10e6);
  }, 60_000);

  it('on a pseudo-terminal: a bar while it runs, log lines above it (-v), the summary last on its own line', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'f.bin');
    await seededFile(file, 6 << 20, 32);
    const port = await freeTcpPort();
    const sender = onPty(['send', file, '--host', '127.0.0.1', '--port', String(port), '--receivers', '1', '--rate', '24M', '--fixed-rate']);
    const receiver = onPty(['receive', `127.0.0.1:${port}`, '--out', join(t.dir, 'got.bin'), '--wait-for-sender', '10s', '-v']);
    const [sentRaw, receivedRaw] = await Promise.all([sender.output, receiver.output]);
    expect(await receiver.exited, receivedRaw).toBe(0);
    expect(await sender.exited, sentRaw).toBe(0);

    const shown = screen(receivedRaw).filter((l) => l.trim() !== '');
    expect(receivedRaw).toMatch(/receiving f\.bin +\d+% +\[#*\.*\] +[\d.]+ MiB \/ 6\.0 MiB/);
    expect(shown.at(-1)).toMatch(/^received f\.bin \(6\.0 MiB\) in \d+\.\d\d s, [\d.]+ Mbit\/s, SHA-256 verified, stored at .*got\.bin$/);
    // Nothing is drawn after the summary (the terminal's own CR LF aside).
    const after = receivedRaw.slice(receivedRaw.lastIndexOf('received f.bin'));
    expect(after.replace(/\r?\n/g, '')).not.toMatch(/[\r\x1b]/);
    // The -v line about the file went above the bar, whole, never onto it.
    expect(shown.filter((l) => /INFO: receiving f\.bin/.test(l))).toEqual([
      expect.stringMatching(/^\[[\d:.]+\] INFO: receiving f\.bin \(6291456 bytes\) into /),
    ]);
    expect(shown.filter((l) => /receiving f\.bin +\d+%/.test(l))).toEqual([]);

    const sent = screen(sentRaw).filter((l) => l.trim() !== '');
    expect(sentRaw).toMatch(/sending f\.bin +\d+% +\[#*\.*\] +0\/1 done +[\d.]+ MiB sent/);
    expect(sent).toEqual([expect.stringMatching(/^served f\.bin \(6\.0 MiB\): 1 receiver completed in \d+\.\d\d s, [\d.]+ Mbit\/s goodput/)]);
  }, 60_000);
});

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

import { describe, expect, it } from 'vitest';
import {
  DecodeWorkerError,
  DiskError,
  HashMismatchError,
  ManifestRejectedError,
  ReceiveError,
  SenderAuthenticationError,
  TransferAbortedError,
  UnsafeOutputPathError,
  UntrustedManifestError,
} from '../../receiver/errors.js';
import { keepsStaging, reconnects } from '../../receiver/interruption.js';
import { resolveReceiveConfig } from '../../receiver/receiveConfig.js';
import { receiveWithReconnect, type TransferRun } from '../../receiver/reconnect.js';

describe('which failures keep the staging (resume)', () => {
  const cases: [string, Error, boolean, boolean][] = [
    ['abort signal / SIGTERM', new TransferAbortedError('transfer aborted: SIGTERM'), true, false],
    ['control connection lost (reset, idle timeout)', new ReceiveError('sender vanished: peer silent', { loss: 'vanished' }), true, true],
    ['sender stopped (restarting)', new ReceiveError('sender stopped the transfer: shutting down', { loss: 'sender-stopped' }), true, true],
    ['connect failure', new ReceiveError('cannot connect', { loss: 'connect-failed' }), true, false],
    ['a decode worker died', new DecodeWorkerError('worker exited'), true, false],
    ['a transient disk error', new DiskError('busy', 'EBUSY', '/out/x'), true, false],
    ['the sender refused (Error frame)', new ReceiveError('sender refused: full (refused)'), false, false],
    ['manifest refused', new ManifestRejectedError('too big'), false, false],
    ['untrusted manifest', new UntrustedManifestError('unsigned', 'unsigned'), false, false],
    ['replayed manifest', new UntrustedManifestError('replayed', 'older'), false, false],
    ['sender not authenticated', new SenderAuthenticationError('no proof'), false, false],
    ['whole-object hash mismatch', new HashMismatchError('mismatch'), false, false],
    ['unsafe path', new UnsafeOutputPathError('../x'), false, false],
    ['disk full', new DiskError('full', 'ENOSPC', '/out/x'), false, false],
    ['I/O error', new DiskError('eio', 'EIO', '/out/x'), false, false],
    ['anything unknown', new Error('?'), false, false],
  ];
  it.each(cases)('%s', (_name, error, keep, again) => {
    expect(keepsStaging(error)).toBe(keep);
    expect(reconnects(error)).toBe(again);
  });
});

/** A scripted run: fails with `error` (or succeeds), having got under way or not. */
function run(error: Error | undefined, transferStarted: boolean, log: string[]): TransferRun<string> {
  return {
    result: error ? Promise.reject(error) : Promise.resolve('stored'),
    transferStarted,
    cleanup: async (e) => void log.push(`cleanup ${e ? (keepsStaging(e) ? 'keep' : 'remove') : 'done'}`),
  };
}

describe('reconnecting during a transfer (waitForSenderMs)', () => {
  const lost = new ReceiveError('sender vanished: read ECONNRESET', { loss: 'vanished' });
  const connectFailed = new ReceiveError('cannot connect (kept trying)', { loss: 'connect-failed' });
  const config = (waitForSenderMs: number) => resolveReceiveConfig({ host: 'h', port: 1, waitForSenderMs });

  it('connects again after a loss mid-transfer, with the time left, and resumes', async () => {
    let t = 0;
    const waits: number[] = [];
    const log: string[] = [];
    const script = [run(lost, true, log), run(connectFailed, false, log), run(undefined, true, log)];
    const result = await receiveWithReconnect(config(30_000), {
      clock: () => t,
      startRun: async (c) => {
        waits.push(c.waitForSenderMs);
        t += 10_000; // each run takes 10 s of (virtual) time
        return script.shift()!;
      },
    });
    expect(result).toBe('stored');
    expect(waits).toEqual([30_000, 30_000, 20_000]);
    expect(log).toEqual(['cleanup keep', 'cleanup keep', 'cleanup done']);
  });

  it('gives up with the original reason once waitForSenderMs has passed since the loss', async () => {
    let t = 0;
    const log: string[] = [];
    const startRun = async () => {
      t += 10_000;
      return log.length === 0 ? run(lost, true, log) : run(connectFailed, false, log);
    };
    await expect(receiveWithReconnect(config(25_000), { clock: () => t, startRun })).rejects.toBe(lost);
    expect(log).toEqual(['cleanup keep', 'cleanup keep', 'cleanup keep', 'cleanup keep']); // lost at 10 s; retries at 20 and 30 s; at 40 s the 25 s are over
  });

  it('without waitForSenderMs, or before the transfer began, or for a refusal: the first failure is final', async () => {
    const log: string[] = [];
    await expect(receiveWithReconnect(config(0), { startRun: async () => run(lost, true, log) })).rejects.toBe(lost);
    await expect(receiveWithReconnect(config(5000), { startRun: async () => run(lost, false, log) })).rejects.toBe(lost);
    const mismatch = new HashMismatchError('mismatch');
    await expect(receiveWithReconnect(config(5000), { startRun: async () => run(mismatch, true, log) })).rejects.toBe(mismatch);
    expect(log).toEqual(['cleanup keep', 'cleanup keep', 'cleanup remove']);
  });

  it('a refusal on the way back is the reason (e.g. the restarted sender serves other content)', async () => {
    const refused = new ManifestRejectedError('other content');
    const script = [run(lost, true, []), run(refused, false, [])];
    await expect(receiveWithReconnect(config(5000), { clock: () => 0, startRun: async () => script.shift()! })).rejects.toBe(refused);
  });
});

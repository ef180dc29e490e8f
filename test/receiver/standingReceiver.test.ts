/**
 * receiveForever's loop with its collaborators scripted: each receive run is a step that sees
 * the options the loop passes (the manifest callback, the run's signal), pauses are recorded
 * instead of slept, and the clock and the file check are given. No socket, no real time.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../control/messages.js';
import { ReceiveError, TransferAbortedError, UntrustedManifestError } from '../../receiver/errors.js';
import type { ReceiveOptions } from '../../receiver/receiveConfig.js';
import type { ReceiveSummary } from '../../receiver/receiveStates.js';
import { receiveForever, type PublicationEvent, type StandingReceiveOptions } from '../../receiver/standingReceiver.js';
import { StandingState } from '../../receiver/standingState.js';
import { tempDir } from '../e2e/helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const V1 = '1'.repeat(64);
const V2 = '2'.repeat(64);
const manifest = (sha: string, name = 'app.tar'): Manifest => ({ type: 'manifest', fileName: name, fileSha256: sha }) as unknown as Manifest;
const summary = (sha: string, path: string): ReceiveSummary => ({ path, objectDigest: sha, bytes: 1 }) as unknown as ReceiveSummary;

type Step = (o: ReceiveOptions) => Promise<ReceiveSummary>;
/** A sender offering `m`: stores it unless the loop aborts the run from the manifest callback. */
const offers =
  (m: Manifest): Step =>
  async (o) => {
    o.onManifest?.(m);
    if (o.signal?.aborted) throw new TransferAbortedError(`transfer aborted: ${(o.signal.reason as Error).message}`);
    return summary(m.fileSha256!, join(o.out!, m.fileName));
  };
const refusedConnection: Step = () => Promise.reject(new ReceiveError('cannot connect to 127.0.0.1:9: ECONNREFUSED', { cause: 'ECONNREFUSED' }));

/** Runs the loop over `steps`; in the pause after the last one the caller's signal aborts. Returns events, pauses and the runs' options. */
async function drive(steps: Step[], options: Partial<StandingReceiveOptions> = {}, present = true) {
  const t = await tempDir();
  cleanups.push(t.cleanup);
  const controller = new AbortController();
  const seen: ReceiveOptions[] = [];
  const pauses: number[] = [];
  const events: PublicationEvent[] = [];
  let i = 0;
  const statePath = join(t.dir, 'standing.json');
  const loop = receiveForever(
    { host: '127.0.0.1', port: 9, out: join(t.dir, 'out'), statePath, pollIntervalMs: 5000, signal: controller.signal, ...options },
    {
      receiveOnce: (o) => {
        seen.push(o);
        return steps[i++]!(o);
      },
      sleep: async (ms) => {
        pauses.push(ms);
        if (i === steps.length) controller.abort(new Error('test over'));
      },
      exists: async () => present,
      wallClock: () => 42,
    },
  );
  for await (const e of loop) events.push(e);
  return { events, pauses, seen, statePath, runs: i, out: join(t.dir, 'out') };
}

describe('receiveForever', () => {
  it('stores a publication, declines the same content after the manifest, takes the next one', async () => {
    const r = await drive([offers(manifest(V1)), offers(manifest(V1)), offers(manifest(V2)), offers(manifest(V2))]);
    expect(r.events.map((e) => e.type)).toEqual(['stored', 'unchanged', 'stored', 'unchanged']);
    expect(r.events[1]).toEqual({ type: 'unchanged', fileName: 'app.tar', sha256: V1 });
    // The decline aborted the run's own signal, with the reason the sender gets in Stop.
    expect(r.seen[1]!.signal!.aborted).toBe(true);
    expect((r.seen[1]!.signal!.reason as Error).message).toBe('already current');
    expect(r.seen[2]!.signal!.aborted).toBe(false);
    // Every run is a single connection attempt: the loop does the waiting.
    expect(r.seen.every((o) => o.waitForSenderMs === 0)).toBe(true);
    expect(r.pauses).toEqual([5000, 5000, 5000, 5000]);
    expect((await StandingState.load(r.statePath)).lastStored(r.out)).toMatchObject({ sha256: V2, storedAt: 42 });
  });

  it('remembers across restarts, and fetches again what was removed from disk', async () => {
    const first = await drive([offers(manifest(V1))]);
    const restarted = await drive([offers(manifest(V1))], { statePath: first.statePath, out: first.out });
    expect(restarted.events.map((e) => e.type)).toEqual(['unchanged']);
    const removed = await drive([offers(manifest(V1))], { statePath: first.statePath, out: first.out }, false);
    expect(removed.events.map((e) => e.type)).toEqual(['stored']);
  });

  it('waits quietly for a sender with a growing pause, one waiting event per wait', async () => {
    const r = await drive([refusedConnection, refusedConnection, refusedConnection, offers(manifest(V1)), refusedConnection]);
    expect(r.events.map((e) => e.type)).toEqual(['waiting', 'stored', 'waiting']);
    expect(r.events[0]).toEqual({ type: 'waiting', host: '127.0.0.1', port: 9 });
    expect(r.pauses).toEqual([250, 500, 1000, 5000, 250]);
  });

  it('reports a failure or a refusal and goes on, backing off while they repeat', async () => {
    const failing: Step = () => Promise.reject(new TransferAbortedError('the sender went silent'));
    const replay: Step = (o) => {
      o.onManifest?.(manifest(V1));
      return Promise.reject(new UntrustedManifestError('replayed', 'older than the version already accepted'));
    };
    const r = await drive([failing, replay, failing, offers(manifest(V2)), failing]);
    expect(r.events.map((e) => e.type)).toEqual(['failed', 'refused', 'failed', 'stored', 'failed']);
    expect(r.events[1]).toMatchObject({ type: 'refused', reason: 'replayed', fileName: 'app.tar' });
    expect(r.events[0]).toMatchObject({ type: 'failed', error: { name: 'TransferAbortedError' } });
    expect(r.pauses).toEqual([5000, 10_000, 20_000, 5000, 5000]);
  });

  it('under --trust, refuses other content with the stored publication time', async () => {
    const signed = (sha: string, at: number) =>
      ({ ...manifest(sha), publication: { publishedAt: at, publisher: Buffer.alloc(32, 7).toString('base64'), signature: '' } }) as Manifest;
    const trust = { publishers: [{} as never], statePath: '/nonexistent/trust.json' };
    const r = await drive([offers(signed(V1, 1000)), offers(signed(V2, 1000)), offers(signed(V1, 1000))], { trust });
    expect(r.events.map((e) => e.type)).toEqual(['stored', 'refused', 'unchanged']);
    expect(r.events[0]).toMatchObject({ publishedAt: 1000, publisherId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(r.events[1]).toMatchObject({ reason: 'not-newer', message: expect.stringMatching(/not newer/) });
    expect((r.seen[1]!.signal!.reason as Error).message).toBe('not newer than the stored version');
  });

  it('ends on abort during a transfer, through the run’s signal, with no event for it', async () => {
    const controller = new AbortController();
    let runSignal: AbortSignal | undefined;
    const events: PublicationEvent[] = [];
    const t = await tempDir();
    cleanups.push(t.cleanup);
    const loop = receiveForever(
      { host: 'h', port: 1, statePath: join(t.dir, 's.json'), signal: controller.signal },
      {
        receiveOnce: (o) =>
          new Promise((_, reject) => {
            runSignal = o.signal;
            o.signal!.addEventListener('abort', () => reject(new TransferAbortedError('transfer aborted: interrupted by SIGTERM')));
            controller.abort(new Error('interrupted by SIGTERM'));
          }),
        sleep: async () => expect.fail('no pause after an abort'),
      },
    );
    for await (const e of loop) events.push(e);
    expect(events).toEqual([]);
    expect((runSignal!.reason as Error).message).toBe('interrupted by SIGTERM');
  });

  it('refuses options that make no sense for it before connecting', async () => {
    const first = (o: object) => receiveForever({ host: 'h', port: 1, ...o } as StandingReceiveOptions).next();
    await expect(first({ pollIntervalMs: 0 })).rejects.toMatchObject({ name: 'ReceiveOptionsError' });
    await expect(first({ waitForSenderMs: 1000 })).rejects.toMatchObject({ name: 'ReceiveOptionsError' });
    await expect(first({ port: 0 })).rejects.toMatchObject({ name: 'ReceiveOptionsError' });
  });
});

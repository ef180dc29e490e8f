import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { planSegments } from '../../encoder/segmentLayout.js';
import type { PreparedFile } from '../../sender/preparedFile.js';
import { resolveSendConfig, type SendOptions } from '../../sender/sendConfig.js';
import { SharedSession } from '../../sender/sharedSession.js';
import type { SharedStreamParams, SharedStreamPort } from '../../sender/streamPort.js';
import { emptyStreamStats } from '../../sender/streamCore.js';

/** A stand-in for the stream worker that records what the session tells it. */
class FakeStream implements SharedStreamPort {
  readonly calls: string[] = [];
  /** Called with itself when the session starts it. */
  onStart?: (f: FakeStream) => void;
  stats = emptyStreamStats();
  private resolve!: (f: { reason: 'stopped' | 'error'; message?: string }) => void;
  readonly finished = new Promise<{ reason: 'stopped' | 'error'; message?: string }>((r) => (this.resolve = r));
  constructor(readonly data: SharedStreamParams & { carousel: boolean }) {}
  start() {
    this.onStart?.(this);
  }
  join(id: string, window: number) {
    this.calls.push(`join ${id} ${window}`);
  }
  leave(id: string) {
    this.calls.push(`leave ${id}`);
  }
  progress(id: string) {
    this.calls.push(`progress ${id}`);
  }
  stop(reason: string) {
    this.calls.push(`stop ${reason}`);
    this.resolve({ reason: 'stopped' });
  }
  fail(message: string) {
    this.resolve({ reason: 'error', message });
  }
}

const file = {
  path: '/nonexistent',
  fileName: 'f',
  layout: planSegments(1000),
  segmentDigests: new Uint8Array(32),
  fileSha256: '0'.repeat(64),
} as unknown as PreparedFile;

/** `created`: the streams made (at construction, booting); `started`: those the policy started. */
function session(extra: Partial<SendOptions> = {}) {
  const started: FakeStream[] = [];
  const created: FakeStream[] = [];
  const config = resolveSendConfig({ file: 'f', multicast: { group: '239.255.42.1', port: 7071 }, rateBitsPerSecond: 8e6, ...extra });
  const s = new SharedSession(config as never, {
    file,
    sessionId: 7,
    wasmModule: {} as never,
    logger: pino({ level: 'silent' }),
    openStream: (c, _file, _wasm, p) => {
      const f = new FakeStream({ ...p, carousel: c.shared.carousel });
      f.onStart = (x) => started.push(x);
      created.push(f);
      return f;
    },
  });
  return { s, started, created };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('SharedSession start policy', () => {
  it('boots the stream worker at once and starts it at the first request when no policy is given, passing later joins through', () => {
    const { s, started, created } = session();
    expect(s.started).toBe(false);
    // Booted ahead (waiting for its start), told nothing yet.
    expect(created).toHaveLength(1);
    expect(created[0]!.calls).toEqual([]);
    expect(s.stats).toBeUndefined();
    s.join('c1', 8);
    expect(started).toEqual(created);
    expect(started[0]!.data).toMatchObject({ sessionId: 7 });
    s.join('c2', 4);
    s.leave('c1');
    expect(started[0]!.calls).toEqual(['join c1 8', 'join c2 4', 'leave c1']);
  });

  it('waits for --min-receivers, forgetting those who left meanwhile', () => {
    const { s, started } = session({ minReceivers: 3 });
    s.join('a', 8);
    s.join('b', 8);
    s.leave('a');
    s.join('c', 8);
    expect(started).toHaveLength(0);
    s.progress('b', {} as never); // a stray report before the start goes nowhere
    s.join('d', 8);
    expect(started).toHaveLength(1);
    expect(started[0]!.calls).toEqual(['join b 8', 'join c 8', 'join d 8']);
  });

  it('starts after --wait with whoever is there, or with the first to come after it', () => {
    const { s, started } = session({ waitMs: 30_000, minReceivers: 5 });
    s.join('a', 8);
    vi.advanceTimersByTime(29_999);
    expect(started).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(started).toHaveLength(1);
    const empty = session({ waitMs: 1000 });
    vi.advanceTimersByTime(1000);
    expect(empty.started).toHaveLength(0); // nobody to send to yet
    empty.s.join('late', 8);
    expect(empty.started).toHaveLength(1);
  });

  it('a carousel starts at once with nobody and keeps its data settings', async () => {
    const { s, started } = session({ carousel: true });
    await Promise.resolve();
    expect(s.started).toBe(true);
    expect(started[0]!.data.carousel).toBe(true);
    s.join('walk-in', 8);
    expect(started[0]!.calls).toEqual(['join walk-in 8']);
  });

  it('tells the server when the stream fails, and stop() ends it', async () => {
    const { s, started } = session();
    const failed = new Promise<string>((r) => (s.onFailed = r));
    s.join('a', 8);
    started[0]!.fail('socket gone');
    await expect(failed).resolves.toBe('socket gone');
    const other = session();
    other.s.join('a', 8);
    await other.s.stop('done');
    expect(other.started[0]!.calls.at(-1)).toBe('stop done');
    // A session stopped before anyone asked still ends its booted worker.
    const idle = session({ minReceivers: 2 });
    await idle.s.stop('interrupted');
    expect(idle.started).toHaveLength(0);
    expect(idle.created[0]!.calls).toEqual(['stop interrupted']);
  });
});

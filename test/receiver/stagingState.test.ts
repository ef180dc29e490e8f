import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { STATE_WRITE_INTERVAL_MS, StagingState } from '../../receiver/stagingState.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fountcast-state-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
});

const ID = '0123456789abcdef0123456789abcdef';
const list = (b: { size: number; has(i: number): boolean } | undefined) => (b ? Array.from({ length: b.size }, (_, i) => i).filter((i) => b.has(i)) : b);

describe('StagingState', () => {
  it('writes at most once per interval, then round-trips the written segments', async () => {
    vi.useFakeTimers();
    const path = join(dir, 'throttled.state');
    const s = new StagingState(path, ID, 20);
    s.note(3);
    s.note(17);
    expect(existsSync(path)).toBe(false);
    vi.advanceTimersByTime(STATE_WRITE_INTERVAL_MS - 1);
    expect(existsSync(path)).toBe(false);
    vi.advanceTimersByTime(1);
    vi.useRealTimers();
    await s.flush();
    expect(list(await StagingState.load(path, ID, 20))).toEqual([3, 17]);
    expect(existsSync(`${path}.tmp`)).toBe(false);
    await s.stop(true);
    expect(existsSync(path)).toBe(false);
  });

  it('stop(false) flushes what is pending; a state for other content, another layout or garbage is no claim', async () => {
    const path = join(dir, 'kept.state');
    const s = new StagingState(path, ID, 9);
    s.note(8);
    await s.stop(false);
    expect(list(await StagingState.load(path, ID, 9))).toEqual([8]);
    expect(await StagingState.load(path, 'f'.repeat(32), 9)).toBeUndefined();
    expect(await StagingState.load(path, ID, 10)).toBeUndefined();
    writeFileSync(path, '{not json');
    expect(await StagingState.load(path, ID, 9)).toBeUndefined();
    expect(readFileSync(path, 'utf8')).toBe('{not json');
  });
});

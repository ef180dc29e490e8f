/** The standing receiver's memory on disk: per --out, atomic, and loud when it cannot be read. */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultStandingStatePath, StandingState, StandingStateError, type StoredPublication } from '../../receiver/standingState.js';
import { tempDir } from '../e2e/helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const p: StoredPublication = { fileName: 'app.tar', sha256: 'c'.repeat(64), publisherId: 'p1', publishedAt: 5, path: '/srv/app/app.tar', storedAt: 9 };

describe('StandingState', () => {
  it('remembers the last publication per --out across loads, written atomically', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'state', 'standing.json');
    const s = await StandingState.load(path);
    expect(s.lastStored('/srv/app')).toBeUndefined();
    await s.record('/srv/app/', p);
    const again = await StandingState.load(path);
    expect(again.lastStored('/srv/app')).toEqual(p);
    expect(again.lastStored('/srv/other')).toBeUndefined();
    expect(await readdir(join(t.dir, 'state'))).toEqual(['standing.json']);
  });

  it('refuses a state it cannot read rather than forgetting it', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'standing.json');
    for (const text of ['{', '{"version":2,"outs":{}}', JSON.stringify({ version: 1, outs: { '/x': { ...p, sha256: 'nothex' } } })]) {
      await writeFile(path, text);
      await expect(StandingState.load(path)).rejects.toThrow(StandingStateError);
    }
  });

  it('lives beside the trust state when there is one', () => {
    expect(defaultStandingStatePath('/etc/fountcast/state/trust.json')).toBe('/etc/fountcast/state/standing-state.json');
    expect(defaultStandingStatePath()).toMatch(/fountcast[/\\]standing-state\.json$/);
  });
});

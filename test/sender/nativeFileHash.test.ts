import { spawnSync } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { segmentDigest } from '../../control/segmentHash.js';
import { loadNativeCrypto, nativeModulePath, type NativeCrypto } from '../../encoder/nativeCrypto.js';
import { planSegments } from '../../encoder/segmentLayout.js';
import { FileDigests } from '../../sender/fileDigests.js';
import { hashFileNatively } from '../../sender/nativeFileHash.js';
import { SourceFileError } from '../../sender/sourceFileError.js';
import { seededFile, tempDir } from '../e2e/helpers.js';

const native = loadNativeCrypto().module;
const has = native?.blake3HashFile !== undefined;
type Event = [kind: number, value: number, payload: Uint8Array | string | null];

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  delete process.env.FOUNTCAST_NATIVE_FILE_HASH;
  await cleanup?.();
  cleanup = undefined;
});

async function fileOf(size: number, seed: number): Promise<{ path: string; data: Buffer }> {
  const t = await tempDir();
  cleanup = t.cleanup;
  const path = join(t.dir, `f${size}.bin`);
  await seededFile(path, size, seed);
  return { path, data: await readFile(path) };
}

function partOf(path: string) {
  const st = statSync(path);
  return { path, size: st.size, mtimeMs: st.mtimeMs };
}

/** Runs blake3HashFile on `path` to its last event. */
function events(m: NativeCrypto, path: string, offset: number, length: number, segmentSize: number): Promise<Event[]> {
  const fd = openSync(path, 'r');
  try {
    return new Promise((resolve) => {
      const got: Event[] = [];
      m.blake3HashFile!(fd, offset, length, segmentSize, 0, (kind, value, payload) => {
        got.push([kind, value, payload instanceof Uint8Array ? Buffer.from(payload) : payload]);
        if (kind !== 0) resolve(got);
      });
    });
  } finally {
    closeSync(fd); // the thread has its own descriptor
  }
}

describe('hashing a file on a native thread (skipped without the native module)', () => {
  it.runIf(has)('gives every segment’s digest in order, in batches from segment 0, the short last one too, then the count', async () => {
    const size = 5 * (1 << 18) + 1234;
    const { path, data } = await fileOf(size, 5);
    for (const [offset, length] of [
      [0, size],
      [1000, size - 1000],
      [0, 0],
    ] as const) {
      const got = await events(native!, path, offset, length, 1 << 18);
      const segments = Math.ceil(length / (1 << 18));
      expect(got.at(-1)).toEqual([1, segments, null]);
      let next = 0;
      for (const [kind, first, payload] of got.slice(0, -1)) {
        expect(kind).toBe(0);
        expect(first).toBe(next);
        const digests = payload as Uint8Array;
        for (let i = 0; i < digests.length / 32; i++, next++) {
          const at = offset + next * (1 << 18);
          const want = segmentDigest(data.subarray(at, Math.min(offset + length, at + (1 << 18))));
          expect(Buffer.from(digests.subarray(32 * i, 32 * i + 32)).equals(want), `segment ${next}`).toBe(true);
        }
      }
      expect(next).toBe(segments);
    }
  });

  it.runIf(has)('reports a file that ends before the length asked for, with nothing after it', async () => {
    const { path } = await fileOf(300_000, 6);
    const got = await events(native!, path, 0, 300_005, 100_000);
    expect(got.at(-1)).toEqual([2, 0, 'the file ended before the length announced']);
    expect(got.filter(([kind]) => kind === 0).reduce((n, [, , d]) => n + (d as Uint8Array).length / 32, 0)).toBeLessThan(3);
  });

  it.runIf(has)('reports a read error by its errno, with nothing after it (a directory: EISDIR)', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const got = await events(native!, t.dir, 0, 100_000, 50_000);
    expect(got).toEqual([[2, osConstants.errno.EISDIR, '']]);
  });

  it.runIf(has)('refuses bad arguments with a typed error, before starting anything', () => {
    const m = native!;
    const cb = (): void => undefined;
    for (const args of [
      [-1, 0, 1, 1, 0, cb],
      [0, -1, 1, 1, 0, cb],
      [0, 0, 1, 0, 0, cb],
      [0, 0, 1, 1, 20, cb],
      [0, 0, 1, 1, 0, 'not a function'],
      [Number.NaN, 0, 1, 1, 0, cb],
      [0x7ffffff0, 0, 1, 1, 0, cb], // no such descriptor
    ]) {
      expect(() => (m.blake3HashFile as (...a: unknown[]) => unknown)(...args)).toThrow(expect.objectContaining({ code: 'ERR_FOUNTCAST_NATIVE_BLAKE3' }));
    }
    expect(() => m.blake3HashFileCancel!({} as never)).toThrow(expect.objectContaining({ code: 'ERR_FOUNTCAST_NATIVE_BLAKE3' }));
  });

  it.runIf(has)('delivers nothing once cancelled (its first batch would come at once)', async () => {
    const { path } = await fileOf(4 << 20, 7);
    const cancelled: Event[] = [];
    const fd = openSync(path, 'r');
    const handle = native!.blake3HashFile!(fd, 0, 4 << 20, 1 << 16, 0, (...e) => cancelled.push(e));
    native!.blake3HashFileCancel!(handle);
    closeSync(fd);
    // A second run to its end: the cancelled one had all that time to post its first batch.
    const uncancelled = await events(native!, path, 0, 4 << 20, 1 << 16);
    expect(uncancelled.at(-1)).toEqual([1, 64, null]);
    expect(cancelled).toEqual([]);
  });
});

describe('hashing threads and the garbage collector (skipped without the native module)', () => {
  it.runIf(has)('300 jobs, handles dropped, a third cancelled, under constant collection: each other one ends once, and the process exits', async () => {
    const { path } = await fileOf(1 << 20, 11);
    const script = `
      const n = require(${JSON.stringify(nativeModulePath())});
      const { openSync, closeSync } = require('node:fs');
      let ended = 0, cancelledEvents = 0;
      for (let i = 0; i < 300; i++) {
        const fd = openSync(${JSON.stringify(path)}, 'r');
        const cancel = i % 3 === 0;
        const h = n.blake3HashFile(fd, 0, 1 << 20, 4096, 0, (kind) => {
          if (cancel) cancelledEvents++;
          else if (kind !== 0) ended++;
        });
        if (cancel) n.blake3HashFileCancel(h);
        closeSync(fd);
        if (i % 10 === 0) gc();
      }
      const t = setInterval(gc, 1);
      const w = setInterval(() => {
        if (ended < 200) return;
        clearInterval(t);
        clearInterval(w);
        setTimeout(() => console.log(JSON.stringify({ ended, cancelledEvents })), 20);
      }, 2);`;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ended: 200, cancelledEvents: 0 });
  });
});

describe('hashFileNatively (skipped without the native module)', () => {
  it.runIf(has)('fills FileDigests as the hashing worker would', async () => {
    const { path, data } = await fileOf(3 * (1 << 20) + 5, 8);
    const layout = planSegments(data.length, { segmentSize: 1 << 20 });
    const digests = new FileDigests(layout.segmentCount, 'segments');
    await expect(hashFileNatively(partOf(path), layout, digests)).resolves.toEqual({ sha256: undefined, partSha256: [] });
    const want = Buffer.concat(Array.from({ length: 4 }, (_, i) => segmentDigest(data.subarray(i << 20, (i + 1) << 20))));
    expect(Buffer.from(digests.segmentDigests).equals(want)).toBe(true);
  });

  it.runIf(has)('refuses a file no longer as described (SourceFileError), and leaves a layout of another size to the worker', async () => {
    const { path, data } = await fileOf(2 << 20, 9);
    const layout = planSegments(data.length, { segmentSize: 1 << 20 });
    const part = partOf(path);
    const stale = hashFileNatively({ ...part, mtimeMs: part.mtimeMs - 1000 }, layout, new FileDigests(2, 'segments'));
    await expect(stale).rejects.toThrow(SourceFileError);
    await expect(stale).rejects.toThrow(/changed while it was being served \(a new mtime\)/);
    const longer = planSegments(data.length + 10, { segmentSize: 1 << 20 });
    expect(hashFileNatively(part, longer, new FileDigests(3, 'segments'))).toBeUndefined();
  });

  it.runIf(has)('stops the thread on FileDigests.stop: the promise rejects, no digest is taken after', async () => {
    const { path, data } = await fileOf(16 << 20, 13);
    const layout = planSegments(data.length, { segmentSize: 1 << 16 });
    const digests = new FileDigests(layout.segmentCount, 'segments');
    const hashing = hashFileNatively(partOf(path), layout, digests)!;
    let at = -1;
    digests.subscribe(() => {
      if (at >= 0) return;
      at = digests.known;
      digests.stop('stopped by the test');
    });
    await expect(hashing).rejects.toThrow('stopped');
    await expect(digests.done).rejects.toThrow('stopped by the test');
    await new Promise((r) => setTimeout(r, 30));
    expect(at).toBeGreaterThan(0);
    expect(digests.known).toBe(at);
  });

  it.runIf(has)('names a read error in its SourceFileError (a directory where the file was: EISDIR)', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const part = partOf(t.dir);
    const layout = planSegments(part.size, { segmentSize: 1024, symbolSize: 64 });
    const hashing = hashFileNatively(part, layout, new FileDigests(layout.segmentCount, 'segments'));
    await expect(hashing).rejects.toThrow(SourceFileError);
    await expect(hashing).rejects.toThrow(`cannot read ${t.dir}: EISDIR`);
  });

  it('is not taken with FOUNTCAST_NATIVE_FILE_HASH=0 (the hashing worker is)', async () => {
    const { path, data } = await fileOf(2 << 20, 10);
    process.env.FOUNTCAST_NATIVE_FILE_HASH = '0';
    expect(hashFileNatively(partOf(path), planSegments(data.length, { segmentSize: 1 << 20 }), new FileDigests(2, 'segments'))).toBeUndefined();
  });
});

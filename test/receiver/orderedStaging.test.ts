/**
 * OrderedStaging: segments verified in any order reach the sink in object order, a write
 * resolving only once it (and everything before it) is in the sink; a sink failure (EPIPE)
 * fails every write waiting; a file whose length follows is staged and renamed into place.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OrderedStaging, streamSink, type OrderedSink } from '../../receiver/orderedStaging.js';
import { openStreamedFile } from '../../receiver/streamedFile.js';

/** A sink that records what it got and lets the test decide when each write completes. */
function manualSink() {
  const got: number[][] = [];
  const pending: (() => void)[] = [];
  const sink: OrderedSink & { finished: boolean; aborted: boolean } = {
    finished: false,
    aborted: false,
    write: (data) =>
      new Promise<void>((resolve) => {
        got.push([...data]);
        pending.push(resolve);
      }),
    finish: async () => void (sink.finished = true),
    abort: async () => void (sink.aborted = true),
  };
  return { sink, got, release: () => pending.shift()?.() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('OrderedStaging', () => {
  it('writes in object order: a segment past a gap waits until the gap is written', async () => {
    const { sink, got, release } = manualSink();
    const s = new OrderedStaging('-', sink);
    const done: string[] = [];
    const w2 = s.write(4, Uint8Array.of(4, 5)).then(() => done.push('2'));
    const w1 = s.write(2, Uint8Array.of(2, 3)).then(() => done.push('1'));
    await tick();
    expect(got).toEqual([]); // nothing before byte 0 is known
    const w0 = s.write(0, Uint8Array.of(0, 1)).then(() => done.push('0'));
    await tick();
    expect(got).toEqual([[0, 1]]); // one at a time: the next waits for this one to be handed over
    release();
    await tick();
    expect(done).toEqual(['0']);
    release();
    await tick();
    release();
    await Promise.all([w0, w1, w2]);
    expect(got).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(done).toEqual(['0', '1', '2']);
    expect(s.bytesWritten).toBe(6);
    await s.commit();
    expect(sink.finished).toBe(true);
  });

  it('refuses bytes written twice, a commit with segments still waiting, and reading back', async () => {
    const { sink, release } = manualSink();
    const s = new OrderedStaging('-', sink);
    const w0 = s.write(0, Uint8Array.of(1));
    await expect(s.write(0, Uint8Array.of(1))).rejects.toThrow(/written already/);
    const late = s.write(5, Uint8Array.of(9));
    release();
    await w0;
    await expect(s.commit()).rejects.toThrow(/still wait/);
    await expect(s.read(0, 1)).rejects.toThrow(/cannot be read back/);
    await s.abort();
    await expect(late).rejects.toThrow(/ended/);
    expect(sink.aborted).toBe(true);
  });

  it('a failing sink (the reader went away) fails the write and every one waiting, and later ones', async () => {
    const broken = new Writable({ write: (_c, _e, cb) => cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) });
    const s = new OrderedStaging('-', streamSink(broken));
    const waiting = s.write(1, Uint8Array.of(2));
    await expect(s.write(0, Uint8Array.of(1))).rejects.toThrow(/EPIPE/);
    await expect(waiting).rejects.toThrow(/EPIPE/);
    await expect(s.write(2, Uint8Array.of(3))).rejects.toThrow(/EPIPE/);
  });

  it('streamSink hands the bytes to the stream in order', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const s = new OrderedStaging('-', streamSink(out));
    await Promise.all([s.write(3, Buffer.from('def')), s.write(0, Buffer.from('abc'))]);
    await s.commit();
    expect(Buffer.concat(chunks).toString()).toBe('abcdef');
  });
});

describe('a file whose length follows (streamedFile)', () => {
  it('is staged beside its target, renamed into place at the commit, and leaves nothing on abort', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fountcast-test-'));
    try {
      const target = join(dir, 'img.bin');
      await writeFile(target, 'old');
      const s = await openStreamedFile(target, { noClobber: false, backupDir: undefined });
      await Promise.all([s.write(2, Buffer.from('cd')), s.write(0, Buffer.from('ab'))]);
      expect(await readFile(target, 'utf8')).toBe('old'); // nothing under the final name before the commit
      await s.commit();
      expect(await readFile(target, 'utf8')).toBe('abcd');
      expect(await readdir(dir)).toEqual(['img.bin']);

      const other = join(dir, 'other.bin');
      const t = await openStreamedFile(other, { noClobber: false, backupDir: undefined });
      await t.write(0, Buffer.from('x'));
      await t.abort();
      expect(existsSync(other)).toBe(false);
      expect(await readdir(dir)).toEqual(['img.bin']);
      await expect(openStreamedFile(target, { noClobber: true, backupDir: undefined })).rejects.toThrow(/exists|refus/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskError } from '../../receiver/errors.js';
import { FileAssembler, toDiskError, type FileHandleLike } from '../../receiver/fileAssembler.js';
import { SeededRandom } from '../../util/random.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fountcast-assembler-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

/** A FileHandle stand-in that records writes and fails on demand. */
function fakeHandle(over: Partial<FileHandleLike> = {}): FileHandleLike & { closed: number; bytes: Uint8Array } {
  const h = {
    closed: 0,
    bytes: new Uint8Array(64),
    async write(buffer: Uint8Array, offset: number, length: number, position: number) {
      const n = Math.min(length, 3); // short writes: the assembler must loop
      h.bytes.set(buffer.subarray(offset, offset + n), position);
      return { bytesWritten: n };
    },
    async truncate() {},
    async sync() {},
    async close() {
      h.closed++;
    },
    ...over,
  };
  return h;
}

describe('FileAssembler on a real directory', () => {
  it('writes segments in any order, commits atomically, removes the temp name', async () => {
    const data = new SeededRandom(1).fill(new Uint8Array(10_000));
    const temp = join(dir, '.a.bin.0011.fountcast-part');
    const final = join(dir, 'a.bin');
    const fa = await FileAssembler.open(temp, data.length);
    expect(statSync(temp).size).toBe(10_000);
    expect(statSync(temp).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(existsSync(final)).toBe(false);
    await Promise.all([fa.write(4096, data.subarray(4096)), fa.write(0, data.subarray(0, 4096))]);
    expect(fa.bytesWritten).toBe(10_000);
    await fa.commit(final);
    expect(existsSync(temp)).toBe(false);
    expect(readFileSync(final).equals(data)).toBe(true);
    await fa.abort(); // after commit: nothing happens
    expect(existsSync(final)).toBe(true);
  });

  it('replaces an existing regular file', async () => {
    const final = join(dir, 'replace.bin');
    writeFileSync(final, 'old contents that are longer');
    const fa = await FileAssembler.open(join(dir, '.replace.tmp'), 3);
    await fa.write(0, new Uint8Array([1, 2, 3]));
    await fa.commit(final);
    expect([...readFileSync(final)]).toEqual([1, 2, 3]);
  });

  it('abort leaves nothing behind, under either name', async () => {
    const temp = join(dir, '.b.part');
    const final = join(dir, 'b.bin');
    const fa = await FileAssembler.open(temp, 100);
    await fa.write(0, new Uint8Array(50).fill(7));
    await fa.abort();
    await fa.abort();
    expect(existsSync(temp)).toBe(false);
    expect(existsSync(final)).toBe(false);
    await expect(fa.write(0, new Uint8Array(1))).rejects.toThrow(/aborted/);
    await expect(fa.commit(final)).rejects.toThrow(/aborted/);
  });

  it('creates exclusively: an existing temp path is a DiskError, and is left alone', async () => {
    const temp = join(dir, '.exists.keep');
    writeFileSync(temp, 'someone else');
    const err = await FileAssembler.open(temp, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskError);
    expect((err as DiskError).code).toBe('EEXIST');
    expect(readFileSync(temp, 'utf8')).toBe('someone else');
  });

  it('refuses writes outside the file', async () => {
    const fa = await FileAssembler.open(join(dir, '.range.part'), 10);
    await expect(fa.write(8, new Uint8Array(3))).rejects.toThrow(RangeError);
    await expect(fa.write(-1, new Uint8Array(1))).rejects.toThrow(RangeError);
    await fa.abort();
  });

  it('an empty file commits', async () => {
    const fa = await FileAssembler.open(join(dir, '.empty.part'), 0);
    await fa.commit(join(dir, 'empty.bin'));
    expect(statSync(join(dir, 'empty.bin')).size).toBe(0);
  });
});

describe('FileAssembler errors (injected handle)', () => {
  it('loops over short writes', async () => {
    const h = fakeHandle();
    const fa = new FileAssembler(h, '/x/.y.fountcast-part', 64);
    await fa.write(10, new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
    expect([...h.bytes.subarray(10, 17)]).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('ENOSPC on write is a DiskError saying the disk is full', async () => {
    const fa = new FileAssembler(fakeHandle({ write: () => Promise.reject(errno('ENOSPC')) }), '/x/.y.fountcast-part', 64);
    const err = await fa.write(0, new Uint8Array(8)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskError);
    expect((err as DiskError).name).toBe('DiskError');
    expect((err as DiskError).code).toBe('ENOSPC');
    expect((err as DiskError).path).toBe('/x/.y.fountcast-part');
    expect((err as Error).message).toBe('disk full writing /x/.y.fountcast-part (ENOSPC)');
  });

  it('a write that makes no progress fails instead of spinning', async () => {
    const fa = new FileAssembler(fakeHandle({ write: async () => ({ bytesWritten: 0 }) }), '/x/p', 64);
    await expect(fa.write(0, new Uint8Array(8))).rejects.toThrow(/no progress/);
  });

  it('EIO on fsync fails the commit; abort still closes and cleans up', async () => {
    const temp = join(dir, '.eio.part');
    writeFileSync(temp, 'partial');
    const h = fakeHandle({ sync: () => Promise.reject(errno('EIO')) });
    const fa = new FileAssembler(h, temp, 7);
    const err = await fa.commit(join(dir, 'eio.bin')).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`I/O error syncing ${temp} (EIO)`);
    expect(existsSync(join(dir, 'eio.bin'))).toBe(false);
    await fa.abort();
    expect(h.closed).toBe(1);
    expect(existsSync(temp)).toBe(false);
  });

  it('maps errno codes to clear messages', () => {
    expect(toDiskError(errno('EDQUOT'), 'writing', '/a').message).toBe('disk quota exceeded writing /a (EDQUOT)');
    expect(toDiskError(errno('EROFS'), 'creating', '/a').message).toBe('read-only filesystem creating /a (EROFS)');
    const odd = toDiskError(errno('EWHATEVER'), 'writing', '/a');
    expect(odd.message).toBe('writing /a failed: EWHATEVER: simulated');
    expect(odd.code).toBe('EWHATEVER');
    expect(toDiskError(new Error('plain'), 'writing', '/a').code).toBeUndefined();
    const d = new DiskError('x', 'EIO', '/p');
    expect(toDiskError(d, 'writing', '/q')).toBe(d);
  });

  it('no temp files are left in the test directory by the real-directory tests', () => {
    const leftovers = readdirSync(dir).filter((n) => n.endsWith('.part') || n.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });
});

/**
 * A pipe read into a spool (streamSource.ts): segments announced as they fill, never a short
 * one before the end; the spool holds exactly the input; the end gives the length and the
 * object's digest; a failing input fails the digests; the spool goes away when removed.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { segmentsDigest } from '../../control/objectIdentity.js';
import { SourceFileError } from '../../sender/sourceFileError.js';
import { openStreamSource } from '../../sender/streamSource.js';
import { openSource } from '../../sender/preparedFile.js';
import { SeededRandom } from '../../util/random.js';
import { segmentDigest } from '../../control/segmentHash.js';

const SEG = 4096;
const T = 64;

/** `data` as a stream of uneven chunks (1 byte to 3 segments). */
function chunked(data: Uint8Array, seed: number): Readable {
  const r = new SeededRandom(seed);
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length;) {
    const n = Math.min(data.length - at, 1 + r.nextInt(3 * SEG));
    chunks.push(Buffer.from(data.subarray(at, at + n)));
    at += n;
  }
  return Readable.from(chunks);
}

describe('streamSource: a pipe spooled and announced as it fills', () => {
  it.each([
    ['a short last segment', 5 * SEG + 123],
    ['a length at a segment boundary', 3 * SEG],
    ['an empty pipe', 0],
  ])('%s: digests, length, spool and layout match the input', async (_name, size) => {
    const data = new SeededRandom(size + 1).fill(new Uint8Array(size));
    const file = await openStreamSource(chunked(data, 3), '-', { segmentSize: SEG, symbolSize: T });
    expect(file.fileName).toBe('stdin');
    expect(file.digests.lengthFollows).toBe(true);
    // Every announcement before the end covers full segments only, never more than was read.
    const seen: [number, boolean][] = [];
    file.digests.subscribe(() => seen.push([file.layout.fileSize, file.digests.complete]));
    await file.digests.done;
    for (const [bytes, complete] of seen.slice(0, -1)) {
      expect(complete).toBe(false);
      expect(bytes % SEG).toBe(0);
    }
    expect(seen.at(-1)).toEqual([size, true]);
    const n = Math.ceil(size / SEG);
    expect(file.layout).toEqual({ fileSize: size, segmentSize: SEG, symbolSize: T, segmentCount: n });
    expect(file.digests.fileSize).toBe(size);
    const expected = Buffer.concat(Array.from({ length: n }, (_, i) => segmentDigest(data.subarray(i * SEG, Math.min(size, (i + 1) * SEG)))));
    const identity = segmentsDigest(size, SEG, expected);
    expect(file.digests.fileSha256).toBe(identity);
    expect(Buffer.from(file.digests.segmentDigests).equals(expected)).toBe(true);
    // The last Digests frame carries the length beside the object's digest.
    expect(file.digests.framesSince(0, false).at(-1)).toMatchObject({ fileSha256: identity, fileSize: size });
    // Complete: an ordinary file from here on.
    expect(file.parts).toEqual([{ path: file.spool!.path, size, mtimeMs: file.mtimeMs }]);
    expect(Buffer.from(await readFile(file.spool!.path)).equals(Buffer.from(data))).toBe(true);
    await file.spool!.remove();
    expect(existsSync(dirname(file.spool!.path))).toBe(false);
    await file.spool!.remove(); // idempotent
  });

  it('segments are announced while the pipe is still open', async () => {
    const input = new PassThrough();
    const file = await openStreamSource(input, '-', { segmentSize: SEG, symbolSize: T, fileName: 'img' });
    expect(file.fileName).toBe('img');
    expect(file.parts).toEqual([]); // nothing to serve as an ordinary file yet
    const announced = new Promise<void>((resolve) => file.digests.subscribe(() => file.digests.known === 2 && resolve()));
    input.write(Buffer.alloc(2 * SEG + 7, 1));
    await announced;
    expect(file.digests.complete).toBe(false);
    expect(file.layout).toMatchObject({ segmentCount: 2, fileSize: 2 * SEG });
    input.end(Buffer.alloc(1, 2));
    await file.digests.done;
    expect(file.layout).toMatchObject({ segmentCount: 3, fileSize: 2 * SEG + 8 });
    await file.spool!.remove();
  });

  it('a failing input fails the digests with a SourceFileError naming it', async () => {
    const input = new PassThrough();
    const file = await openStreamSource(input, '-', { segmentSize: SEG, symbolSize: T });
    input.write(Buffer.alloc(SEG + 1));
    input.destroy(new Error('read EIO'));
    await expect(file.digests.done).rejects.toThrow(SourceFileError);
    expect(file.digests.failure?.message).toMatch(/reading - failed: read EIO/);
    await file.spool!.remove();
  });

  it('openSource takes - alone (standard input, or the stream given), never beside other paths', async () => {
    await expect(openSource(['-', 'x'])).rejects.toThrow(/on its own/);
    const { file } = await openSource(['-'], { stdin: Readable.from([Buffer.from('hello')]), segmentSize: SEG, symbolSize: T });
    await file.digests.done;
    expect(file.layout.fileSize).toBe(5);
    await file.spool!.remove();
  });

  it('a bad layout fails before anything is read', async () => {
    await expect(openStreamSource(Readable.from([]), '-', { segmentSize: 10, symbolSize: T })).rejects.toThrow(/segment size/);
  });
});

import { createHash } from 'node:crypto';
import { utimesSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareFile, SourceFileError } from '../../sender/preparedFile.js';
import { seededFile, tempDir } from '../e2e/helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

describe('prepareFile', () => {
  it('hashes every segment (on a worker thread) and the whole file (here), the short last segment too', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    for (const size of [3 * (1 << 20) + 777, 1000, 0]) {
      const file = join(t.dir, `f${size}.bin`);
      const whole = await seededFile(file, size, size + 1);
      const p = await prepareFile(file, { segmentSize: 1 << 20 });
      const data = await readFile(file);
      expect(p.fileSha256).toBe(whole);
      expect(p.layout.segmentCount).toBe(Math.ceil(size / (1 << 20)));
      for (let i = 0; i < p.layout.segmentCount; i++) {
        expect(Buffer.from(p.segmentSha256.subarray(32 * i, 32 * i + 32)).equals(sha256(data.subarray(i << 20, (i + 1) << 20))), `segment ${i} of ${size}`).toBe(true);
      }
    }
  });

  it('refuses a file written to while it was being hashed', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'growing.bin');
    await seededFile(file, 64 << 20, 3);
    const preparing = prepareFile(file);
    await new Promise((r) => setTimeout(r, 5)); // the first stat is done, hashing 64 MiB is not
    utimesSync(file, new Date(), new Date(Date.now() + 60_000));
    await expect(preparing).rejects.toThrow(SourceFileError);
    await expect(prepareFile(file)).resolves.toMatchObject({ fileName: 'growing.bin' });
  });
});

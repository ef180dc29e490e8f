/**
 * The seeded payload file of the namespace scripts (sharedRun.mjs, insiderRun.mjs): an LCG's
 * top bytes, written to <dir>/payload.bin. Plain JS, as those scripts run from test/ without a
 * build step.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `size` seeded bytes; returns the file's path and its SHA-256 (hex). */
export async function writeSeededPayload(dir, size, seed) {
  const data = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < data.length; i++) data[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const file = join(dir, 'payload.bin');
  await writeFile(file, data);
  return { file, hash: createHash('sha256').update(data).digest('hex') };
}

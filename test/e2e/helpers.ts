/** Shared pieces of the real-socket tests: seeded files in a temp dir, hashing, a silent logger. */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SeededRandom } from '../../util/random.js';

export const quiet = pino({ level: 'silent' });

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fountcast-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function seededFile(path: string, size: number, seed: number): Promise<string> {
  const data = new SeededRandom(seed).fill(new Uint8Array(size));
  await writeFile(path, data);
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** A TCP port nothing listens on (just released by the kernel's choice). */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

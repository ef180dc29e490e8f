/**
 * A small file replaced so that a crash leaves the old or the new content, never a torn one:
 * written to a temporary name beside it, fsynced, renamed over. The directory is created
 * (private) when missing. For the receiver's state files (trust, standing receiver).
 */

/**
 * A state file's JSON: undefined when there is none yet; `unreadable` (why) or `not-json` when
 * it cannot be taken, which callers refuse rather than start over from nothing.
 */
export async function readJsonFile(path: string): Promise<{ value: unknown } | { problem: 'unreadable' | 'not-json'; detail: string } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { problem: 'unreadable', detail: (e as Error).message };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { problem: 'not-json', detail: 'not JSON' };
  }
}
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileDurably(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  const f = await open(temp, 'w', 0o600);
  try {
    await f.writeFile(text);
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(temp, path);
}

/**
 * A small file replaced so that a crash leaves the old or the new content, never a torn one:
 * written to a temporary name beside it, fsynced, renamed over. The directory is created
 * (private) when missing. For the receiver's state files (trust, standing receiver).
 */
import { mkdir, open, rename } from 'node:fs/promises';
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

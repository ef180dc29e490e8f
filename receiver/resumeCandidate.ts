/**
 * Whether an earlier run may have left resume state where this one writes: then the Hello does
 * not offer digestsFollow, since a manifest whose digests follow has no content identity to
 * resume against (adapter; one readdir).
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Staging entries (files and directories) carry this in their names. */
export const STAGING_MARK = '.fountcast-';

/** True when the directory `out` names (or that holds the file `out` names) has a staging entry. */
export async function resumeStateExists(out: string): Promise<boolean> {
  let dir = out;
  try {
    if (!(await stat(out)).isDirectory()) dir = dirname(out);
  } catch {
    dir = dirname(out);
  }
  try {
    return (await readdir(dir)).some((name) => name.includes(STAGING_MARK));
  } catch {
    return false;
  }
}

/**
 * Filesystem failures as DiskError, with the cause spelled out ("disk full writing
 * /x/.y.fountcast-part"): what the CLI prints is one readable line.
 */
import { DiskError } from './errors.js';

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EIO: 'I/O error',
  EROFS: 'read-only filesystem',
  EFBIG: 'file too large for the filesystem',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file already exists',
  ENOENT: 'no such file or directory',
  EMFILE: 'too many open files',
};

/** Maps a filesystem error to a DiskError: "<what went wrong> <action> <path>". */
export function toDiskError(error: unknown, action: string, path: string): DiskError {
  if (error instanceof DiskError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const what = code !== undefined ? DESCRIPTIONS[code] : undefined;
  const detail = (error as Error | undefined)?.message ?? String(error);
  const message = what !== undefined ? `${what} ${action} ${path} (${code})` : `${action} ${path} failed: ${detail}`;
  return new DiskError(message, code, path, { cause: error });
}

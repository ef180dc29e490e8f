/**
 * A single file received from a pipe whose length follows (Manifest.lengthFollows): its size is
 * unknown until the end, so it is written in order (orderedStaging.ts) to a staging file beside
 * its final path (`.<name>.<id>.fountcast-part`, a random id: there is no content identity to
 * resume by), then fsynced and renamed into place like any received file (fileStaging.ts), the
 * old copy moved to --backup first if asked. The target is checked before anything is written.
 */
import { randomBytes } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { renameSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { toDiskError } from './diskError.js';
import { syncDirectorySync } from './objectFiles.js';
import { backUp, checkBackupDir, checkTarget, checkWritableDir, type OldCopyPolicy } from './oldCopy.js';
import { OrderedStaging, type OrderedSink } from './orderedStaging.js';
import { stagingPaths } from './outputPath.js';

export async function openStreamedFile(finalPath: string, policy: OldCopyPolicy): Promise<OrderedStaging> {
  const dir = dirname(finalPath);
  checkTarget(finalPath, 'file', policy);
  checkWritableDir(dir);
  if (policy.backupDir !== undefined) checkBackupDir(policy.backupDir, dir);
  const { partPath } = stagingPaths(finalPath, randomBytes(16).toString('hex'));
  let handle: FileHandle;
  try {
    // The mode the stored file will have (umask applies): it is renamed, not copied.
    handle = await open(partPath, 'wx', 0o644);
  } catch (e) {
    throw toDiskError(e, 'creating', partPath);
  }
  return new OrderedStaging(finalPath, fileSink(handle, partPath, finalPath, policy));
}

function fileSink(handle: FileHandle, partPath: string, finalPath: string, policy: OldCopyPolicy): OrderedSink {
  let position = 0;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    write: async (data) => {
      try {
        for (let done = 0; done < data.length;) done += (await handle.write(data, done, data.length - done, position + done)).bytesWritten;
      } catch (e) {
        throw toDiskError(e, 'writing', partPath);
      }
      position += data.length;
    },
    finish: async () => {
      try {
        await handle.sync();
        await close();
      } catch (e) {
        throw toDiskError(e, 'syncing', partPath);
      }
      if (policy.backupDir !== undefined) backUp(finalPath, basename(finalPath), policy.backupDir);
      try {
        renameSync(partPath, finalPath);
      } catch (e) {
        throw toDiskError(e, `renaming ${partPath} to`, finalPath);
      }
      syncDirectorySync(dirname(finalPath));
      if (policy.backupDir !== undefined) syncDirectorySync(policy.backupDir);
    },
    abort: async () => {
      await close().catch(() => undefined);
      try {
        unlinkSync(partPath);
      } catch {
        // Already gone (renamed, or never made): nothing to clean.
      }
    },
  };
}

/**
 * One file staged for its final path: `.<name>.<id>.fountcast-part` next to it (same directory,
 * so the commit's rename is atomic) and the resume state `.<name>.<id>.fountcast-state`. The id
 * is the content identity, so a restarted receiver reopens its own staging; staging of the same
 * name for other content (or an older version's random name) is removed when the offer is taken.
 */
import { readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { BitSet } from '../util/bitset.js';
import { toDiskError } from './diskError.js';
import { ObjectFiles, syncDirectorySync } from './objectFiles.js';
import { backUp, checkBackupDir, checkTarget, checkWritableDir, type OldCopyPolicy } from './oldCopy.js';
import { stagingIdOf, stagingPaths } from './outputPath.js';
import { resumeFrom, StagingBase, type StagedObject } from './stagingBase.js';
import { StagingState } from './stagingState.js';

export class FileStaging extends StagingBase {
  private constructor(
    finalPath: string,
    held: BitSet,
    /** The file being written, renamed to finalPath by the commit. */
    readonly partPath: string,
    files: ObjectFiles,
    state: StagingState | undefined,
    private readonly policy: OldCopyPolicy,
  ) {
    super(finalPath, held, files, state);
  }

  /** Checks the target can be replaced, removes stale staging, and opens (or resumes) this one. */
  static async open(finalPath: string, object: StagedObject, policy: OldCopyPolicy): Promise<FileStaging> {
    const dir = dirname(finalPath);
    checkTarget(finalPath, 'file', policy);
    checkWritableDir(dir);
    if (policy.backupDir !== undefined) checkBackupDir(policy.backupDir, dir);
    const { partPath, statePath, prefix } = stagingPaths(finalPath, object.id);
    removeStale(dir, prefix, object.id);

    const { layout } = object;
    // Claims can be checked only against known digests; while they follow, nothing is held (and
    // the bytes already there stay: every segment is written again before the commit).
    const verifiable = object.resumable && object.segmentDigests !== undefined;
    const claimed = verifiable ? await StagingState.load(statePath, object.id, layout.segmentCount) : undefined;
    // The file gets the mode the stored file will have (umask applies): it is renamed, not copied.
    const files = new ObjectFiles([{ path: partPath, offset: 0, size: layout.fileSize }], layout.fileSize, 0o644);
    const intact = await files.createAll(object.resumable);
    const { held, state } = await resumeFrom(object, statePath, intact.has(partPath) ? claimed : undefined, files);
    return new FileStaging(finalPath, held, partPath, files, state, policy);
  }

  /** fsync, the old copy to --backup (if asked), rename into place, fsync the directory, drop the state. */
  async commit(): Promise<void> {
    this.beginCommit();
    await this.files.syncAll();
    if (this.policy.backupDir !== undefined) backUp(this.finalPath, basename(this.finalPath), this.policy.backupDir);
    try {
      renameSync(this.partPath, this.finalPath);
    } catch (e) {
      throw toDiskError(e, `renaming ${this.partPath} to`, this.finalPath);
    }
    this.phase = 'done';
    syncDirectorySync(dirname(this.finalPath));
    if (this.policy.backupDir !== undefined) syncDirectorySync(this.policy.backupDir);
    await this.state?.stop(true);
  }

  protected removeStaged(): void {
    try {
      unlinkSync(this.partPath);
    } catch {
      // Already gone (or never made): nothing to clean.
    }
  }
}

/** Removes the staging files of this name for other content (and older versions' random names). */
function removeStale(dir: string, prefix: string, id: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw toDiskError(e, 'listing', dir);
  }
  for (const name of names) {
    const other = stagingIdOf(name, prefix);
    if (other === undefined || other === id) continue;
    try {
      unlinkSync(`${dir}/${name}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw toDiskError(e, 'removing stale staging', `${dir}/${name}`);
    }
  }
}

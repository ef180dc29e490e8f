/**
 * One file staged for its final path: `.<name>.<id>.fountcast-part` next to it (same directory,
 * so the commit's rename is atomic) and the resume state `.<name>.<id>.fountcast-state`. The id
 * is the content identity, so a restarted receiver reopens its own staging; staging of the same
 * name for other content (or an older version's random name) is removed when the offer is taken.
 */
import { readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import { segmentRange } from '../encoder/segmentLayout.js';
import { BitSet } from '../util/bitset.js';
import { toDiskError } from './diskError.js';
import { ObjectFiles, syncDirectorySync } from './objectFiles.js';
import type { ObjectStaging } from './objectStaging.js';
import { backUp, checkBackupDir, checkTarget, checkWritableDir, type OldCopyPolicy } from './oldCopy.js';
import { stagingIdOf, stagingPaths } from './outputPath.js';
import { StagingState, verifyHeld } from './stagingState.js';

/** What opening a staging needs to know about the object. */
export interface StagedObject {
  readonly layout: SegmentLayout;
  /** 32 bytes per segment; undefined while the digests follow (no resume then). */
  readonly segmentSha256: Uint8Array | undefined;
  /** The content identity (32 hex), or a random one when the object cannot be resumed. */
  readonly id: string;
  /** The identity is the content's: its staging may be resumed and its state is kept. */
  readonly resumable: boolean;
}

type Phase = 'open' | 'committing' | 'done';

export class FileStaging implements ObjectStaging {
  private phase: Phase = 'open';

  private constructor(
    readonly finalPath: string,
    readonly held: BitSet,
    private readonly partPath: string,
    private readonly files: ObjectFiles,
    private readonly state: StagingState | undefined,
    private readonly policy: OldCopyPolicy,
  ) {}

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
    const verifiable = object.resumable && object.segmentSha256 !== undefined;
    const claimed = verifiable ? await StagingState.load(statePath, object.id, layout.segmentCount) : undefined;
    // The file gets the mode the stored file will have (umask applies): it is renamed, not copied.
    const files = new ObjectFiles([{ path: partPath, offset: 0, size: layout.fileSize }], layout.fileSize, 0o644);
    const intact = await files.createAll(object.resumable);
    const held =
      claimed !== undefined && intact.has(partPath)
        ? await verifyHeld(
            claimed,
            object.segmentSha256!,
            (i) => segmentRange(layout, i),
            (o, n) => files.read(o, n),
          )
        : new BitSet(layout.segmentCount);
    const state = object.resumable ? new StagingState(statePath, object.id, layout.segmentCount) : undefined;
    state?.seed(held);
    return new FileStaging(finalPath, held, partPath, files, state, policy);
  }

  write(offset: number, data: Uint8Array): Promise<void> {
    if (this.phase !== 'open') return Promise.reject(new Error(`cannot write: the staging is ${this.phase}`));
    return this.files.write(offset, data);
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return this.files.read(offset, length);
  }

  noteWritten(index: number): void {
    if (this.phase === 'open') this.state?.note(index);
  }

  /** fsync, the old copy to --backup (if asked), rename into place, fsync the directory, drop the state. */
  async commit(): Promise<void> {
    if (this.phase !== 'open') throw new Error(`cannot commit: the staging is ${this.phase}`);
    this.phase = 'committing';
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

  async abort(keep: boolean): Promise<void> {
    if (this.phase === 'done') return;
    this.phase = 'done';
    await this.files.closeAll().catch(() => undefined);
    if (keep && this.state !== undefined) return this.state.stop(false);
    await this.state?.stop(true);
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

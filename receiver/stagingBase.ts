/**
 * What the two stagings (fileStaging.ts, treeStaging.ts) share: the object they stage, the phase
 * they are in, writes and reads through their files, the resume state, and how a reopened
 * staging decides which segments it still holds. Each adds where its bytes live and how they
 * are put in place.
 */
import { segmentRange, type SegmentLayout } from '../encoder/segmentLayout.js';
import { BitSet } from '../util/bitset.js';
import type { ObjectFiles } from './objectFiles.js';
import type { ObjectStaging } from './objectStaging.js';
import { StagingState, verifyHeld } from './stagingState.js';

/** What opening a staging needs to know about the object. */
export interface StagedObject {
  readonly layout: SegmentLayout;
  /** 32 bytes per segment; undefined while the digests follow (no resume then). */
  readonly segmentDigests: Uint8Array | undefined;
  /** The content identity (32 hex), or a random one when the object cannot be resumed. */
  readonly id: string;
  /** The identity is the content's: its staging may be resumed and its state is kept. */
  readonly resumable: boolean;
}

/**
 * The segments a reopened staging still holds (those its state `claimed` whose bytes still match
 * their digests; none without claims) and the state that goes on recording, seeded with them.
 */
export async function resumeFrom(
  object: StagedObject,
  statePath: string,
  claimed: BitSet | undefined,
  files: ObjectFiles,
): Promise<{ held: BitSet; state: StagingState | undefined }> {
  const { layout } = object;
  const held =
    claimed !== undefined && object.segmentDigests !== undefined
      ? await verifyHeld(
          claimed,
          object.segmentDigests,
          (i) => segmentRange(layout, i),
          (o, n) => files.read(o, n),
        )
      : new BitSet(layout.segmentCount);
  const state = object.resumable ? new StagingState(statePath, object.id, layout.segmentCount) : undefined;
  state?.seed(held);
  return { held, state };
}

export abstract class StagingBase implements ObjectStaging {
  protected phase: 'open' | 'committing' | 'done' = 'open';

  protected constructor(
    readonly finalPath: string,
    readonly held: BitSet,
    protected readonly files: ObjectFiles,
    protected readonly state: StagingState | undefined,
  ) {}

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

  abstract commit(): Promise<void>;

  async abort(keep: boolean): Promise<void> {
    if (this.phase === 'done') return;
    this.phase = 'done';
    await this.files.closeAll().catch(() => undefined);
    if (keep && this.state !== undefined) return this.state.stop(false);
    await this.state?.stop(true);
    this.removeStaged();
  }

  /** The commit starts: only once, and only from an open staging. */
  protected beginCommit(): void {
    if (this.phase !== 'open') throw new Error(`cannot commit: the staging is ${this.phase}`);
    this.phase = 'committing';
  }

  /** Removes what is staged (abort without keeping). Never throws. */
  protected abstract removeStaged(): void;
}

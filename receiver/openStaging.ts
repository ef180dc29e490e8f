/**
 * The one place the receive adapter opens a staging: a tree (Manifest.entries) is checked
 * (treeCheck.ts) and staged under --out, a single file next to its final path. Nothing is
 * written before the tree's paths and every target's replaceability have been checked.
 * `--out -` writes the object to standard output in order (orderedStaging.ts), and so is a file
 * whose length follows (streamedFile.ts): neither can seek, resume or be read back.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Manifest } from '../control/messages.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import { ManifestRejectedError } from './errors.js';
import { FileStaging } from './fileStaging.js';
import { OrderedStaging, STANDARD_OUTPUT, streamSink } from './orderedStaging.js';

export { STANDARD_OUTPUT };
import { openStreamedFile } from './streamedFile.js';
import type { StagedObject } from './stagingBase.js';
import type { ObjectStaging } from './objectStaging.js';
import { resolveOutputPath, stagingPaths } from './outputPath.js';
import { checkTree } from './treeCheck.js';
import { TreeStaging, treePlaces, type TreePolicy, type TreeSync } from './treeStaging.js';
import { segmentsCovered } from './syncPlan.js';

export type { TreePolicy as StagingPolicy };

export interface StagingInit {
  /** --out: the directory (or, for a single file, the exact path) to receive into. */
  readonly out: string;
  /** The accepted manifest. */
  readonly manifest: Manifest;
  readonly layout: SegmentLayout;
  /** The accepted segment digests (32 bytes each); undefined while they follow (no resume then). */
  readonly segmentDigests: Uint8Array | undefined;
  readonly policy: TreePolicy;
  /** --sync on a tree: the files already in place, and whether the object holds only the others (unicast). */
  readonly sync?: TreeSync;
  /** A tree kept as its object, one file named after it (ReceiveOptions.packedTree). */
  readonly packed?: boolean;
  /** Where `--out -` writes. @default process.stdout */
  readonly stdout?: NodeJS.WritableStream;
}

/** The content identity a staging is keyed by: the first 32 hex of the object's SHA-256. */
export function contentId(fileSha256: string): string {
  return fileSha256.slice(0, 32).toLowerCase();
}

/**
 * Checks, removes stale staging, and opens (or resumes) the staging for this manifest. Throws
 * UnsafeOutputPathError / ManifestRejectedError for a hostile tree, OutputConflictError for a
 * target that cannot be replaced, DiskError for a filesystem failure.
 */
export async function openStaging(init: StagingInit): Promise<ObjectStaging> {
  const { manifest, layout, policy } = init;
  if (init.out === STANDARD_OUTPUT) {
    if (manifest.entries !== undefined)
      throw new ManifestRejectedError(
        `${manifest.fileName} is a tree (${manifest.entries.length} entries): it cannot be written to standard output; give --out a directory`,
      );
    return new OrderedStaging(STANDARD_OUTPUT, streamSink(init.stdout ?? process.stdout));
  }
  if (manifest.lengthFollows === true) return openStreamedFile(resolveOutputPath(init.out, manifest.fileName).finalPath, policy);
  const known = manifest.fileSha256 !== undefined && init.segmentDigests !== undefined;
  // Packed, a tree's entries are still checked (a relay passes on no hostile manifest), then it
  // is staged as the one file its object is.
  if (manifest.entries !== undefined && init.packed === true) checkTree(manifest.entries, manifest.fileSize);
  else if (manifest.entries !== undefined) {
    // A subset's digests come from the sender after the Request: no identity to resume by, a
    // random one, never resumed. A whole tree whose digests follow is staged under its layout's
    // identity and adopted later, as a single file is (below).
    const subset = init.sync?.subset === true;
    const tree = checkTree(manifest.entries, manifest.fileSize);
    const provisional = subset ? undefined : treeLayoutId(manifest);
    if (known && provisional !== undefined) adoptProvisionalTree(resolve(init.out), policy.atomicTree, provisional, contentId(manifest.fileSha256!));
    const object: StagedObject = {
      layout,
      segmentDigests: subset ? undefined : init.segmentDigests,
      id: subset ? randomBytes(16).toString('hex') : known ? contentId(manifest.fileSha256!) : provisional!,
      resumable: !subset,
    };
    const staging = await TreeStaging.open(resolve(init.out), tree, object, policy, init.sync);
    // On a shared stream, a segment made only of files already in place is held without a byte received.
    if (init.sync !== undefined && !init.sync.subset) {
      const covered = segmentsCovered(manifest.entries, init.sync.present, layout);
      for (let s = 0; s < layout.segmentCount; s++) if (covered.has(s)) staging.held.add(s);
    }
    return staging;
  }
  const { finalPath } = resolveOutputPath(init.out, manifest.fileName);
  // A single file whose digests follow is staged under its layout's identity and its state
  // kept: a later run, offered the same layout with its digests, adopts that staging and
  // re-verifies what it claims (so a wrong guess costs nothing but the check).
  const provisional = layoutId(manifest);
  if (known) adoptProvisional(finalPath, provisional, contentId(manifest.fileSha256!));
  const object: StagedObject = {
    layout,
    segmentDigests: init.segmentDigests,
    id: known ? contentId(manifest.fileSha256!) : provisional,
    resumable: true,
  };
  return FileStaging.open(finalPath, object, policy);
}

/** The identity of a file's layout (name, size, segment and symbol size): 32 hex, like a content id. */
export function layoutId(m: Pick<Manifest, 'fileName' | 'fileSize' | 'segmentSize' | 'symbolSize'>): string {
  const h = createHash('sha256').update(JSON.stringify(['fountcast-layout-id', m.fileName, m.fileSize, m.segmentSize, m.symbolSize]));
  return h.digest('hex').slice(0, 32);
}

/**
 * A tree's layout identity: layoutId's, and its entries' paths, kinds, sizes, modes, mtimes and
 * targets (not the files' digests: a manifest whose digests follow has none).
 */
export function treeLayoutId(m: Pick<Manifest, 'fileName' | 'fileSize' | 'segmentSize' | 'symbolSize' | 'entries'>): string {
  const h = createHash('sha256').update(layoutId(m));
  for (const e of m.entries ?? []) h.update(JSON.stringify([e.path, e.kind, e.size, e.mode, e.mtimeMs, e.target ?? null]));
  return h.digest('hex').slice(0, 32);
}

/** adoptProvisional for a tree's staging directory and state (treeStaging.ts places). */
function adoptProvisionalTree(outDir: string, atomic: boolean, provisional: string, id: string): void {
  const from = treePlaces(outDir, provisional, atomic);
  const to = treePlaces(outDir, id, atomic);
  adopt({ partPath: from.stagingDir, statePath: from.statePath }, { partPath: to.stagingDir, statePath: to.statePath }, id);
}

/**
 * Renames the staging a digests-follow run left under the layout identity to the content
 * identity (its state rewritten for that identity), before anything opens it. Nothing to do
 * when there is none, or the content's own staging already exists.
 */
function adoptProvisional(finalPath: string, provisional: string, id: string): void {
  adopt(stagingPaths(finalPath, provisional), stagingPaths(finalPath, id), id);
}

function adopt(from: { partPath: string; statePath: string }, to: { partPath: string; statePath: string }, id: string): void {
  let state: { identity?: string };
  try {
    state = JSON.parse(readFileSync(from.statePath, 'utf8')) as { identity?: string };
  } catch {
    return;
  }
  try {
    renameSync(from.partPath, to.partPath);
    writeFileSync(to.statePath, JSON.stringify({ ...state, identity: id }), { mode: 0o600 });
    unlinkSync(from.statePath);
  } catch {
    // Not adoptable (gone, or a race with another receiver): the stale cleanup removes what is left.
  }
}

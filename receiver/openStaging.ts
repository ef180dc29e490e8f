/**
 * The one place the receive adapter opens a staging: a tree (Manifest.entries) is checked
 * (treeCheck.ts) and staged under --out, a single file next to its final path. Nothing is
 * written before the tree's paths and every target's replaceability have been checked.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Manifest } from '../control/messages.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import { FileStaging, type StagedObject } from './fileStaging.js';
import type { ObjectStaging } from './objectStaging.js';
import { resolveOutputPath } from './outputPath.js';
import { checkTree } from './treeCheck.js';
import { TreeStaging, type TreePolicy } from './treeStaging.js';

export type { TreePolicy as StagingPolicy };

export interface StagingInit {
  /** --out: the directory (or, for a single file, the exact path) to receive into. */
  readonly out: string;
  /** The accepted manifest. */
  readonly manifest: Manifest;
  readonly layout: SegmentLayout;
  /** The accepted segment digests (32 bytes each); undefined while they follow (no resume then). */
  readonly segmentSha256: Uint8Array | undefined;
  readonly policy: TreePolicy;
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
  const known = manifest.fileSha256 !== undefined && init.segmentSha256 !== undefined;
  const object: StagedObject = {
    layout,
    segmentSha256: init.segmentSha256,
    // Digests that follow give no identity yet: a random one, never resumed.
    id: known ? contentId(manifest.fileSha256!) : randomBytes(16).toString('hex'),
    resumable: known,
  };
  if (manifest.entries !== undefined) {
    const tree = checkTree(manifest.entries, manifest.fileSize);
    return TreeStaging.open(resolve(init.out), tree, object, policy);
  }
  const { finalPath } = resolveOutputPath(init.out, manifest.fileName);
  return FileStaging.open(finalPath, object, policy);
}

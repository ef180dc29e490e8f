/**
 * A tree staged for --out. The files are staged at their relative paths in one directory,
 * `.fountcast-<id>.part/` inside --out (same filesystem: each file's rename into place is
 * atomic), with the resume state `.fountcast-<id>.state` beside it. The commit makes the bytes
 * durable, then per entry in order: directories created, files renamed in (modes and mtimes set
 * first), links made; directory modes and mtimes last, deepest first, so a read-only directory
 * is filled before it is closed.
 *
 * With --atomic-tree the staging directory goes beside --out (`.<out>.fountcast-<id>.part/`),
 * holds the complete tree and replaces --out as a whole: --out is renamed away, the staging
 * directory renamed to --out, the old one removed. POSIX has no atomic exchange of two
 * directories (Linux's renameat2 RENAME_EXCHANGE is not reachable from Node), so between the
 * two renames --out is briefly absent (microseconds); a reader sees the old tree or the new one,
 * never a mix. A crash inside that window leaves the old tree as `.<out>.fountcast-<id>.old`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { TreeEntry } from '../control/messages.js';
import type { BitSet } from '../util/bitset.js';
import { HashMismatchError, OutputConflictError } from './errors.js';
import { toDiskError } from './diskError.js';
import { resumeFrom, StagingBase, type StagedObject } from './stagingBase.js';
import { ObjectFiles, type ObjectFile } from './objectFiles.js';
import { checkBackupDir, checkTarget, checkWritableDir, lstatOrUndefined, type OldCopyPolicy } from './oldCopy.js';
import { StagingState } from './stagingState.js';
import type { CheckedTree, TreeFile } from './treeCheck.js';
import { placeEach, swapIn, type Placement } from './treePlacement.js';

export interface TreePolicy extends OldCopyPolicy {
  /** Stage beside --out and swap the whole tree in. */
  readonly atomicTree: boolean;
}

/**
 * --sync: the file entries (by entry index) already in place under --out with the manifest's
 * content. They are not staged: a shared stream's object still holds their bytes (read from
 * where they are, writes dropped); a unicast session's object (`subset`) holds only the other
 * files, packed in entry order, and each of those is checked against its entry's SHA-256 before
 * the commit (the object's own digests then come from the sender, not the signed manifest).
 */
export interface TreeSync {
  readonly present: BitSet;
  readonly subset: boolean;
}

/** Where a tree is staged, and the names a stale staging of it has. */
export interface TreePlaces {
  readonly stagingDir: string;
  readonly statePath: string;
  /** The directory holding the staging, and the names in it that are (any identity's) staging. */
  readonly home: string;
  readonly stale: RegExp;
}

export function treePlaces(outDir: string, id: string, atomic: boolean): TreePlaces {
  if (!atomic) {
    return {
      stagingDir: join(outDir, `.fountcast-${id}.part`),
      statePath: join(outDir, `.fountcast-${id}.state`),
      home: outDir,
      stale: /^\.fountcast-([0-9a-f]{32})\.(part|state)(\.tmp)?$/,
    };
  }
  const home = dirname(outDir);
  const name = basename(outDir);
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    stagingDir: join(home, `.${name}.fountcast-${id}.part`),
    statePath: join(home, `.${name}.fountcast-${id}.state`),
    home,
    stale: new RegExp(`^\\.${escaped}\\.fountcast-([0-9a-f]{32})\\.(part|state)(\\.tmp)?$`),
  };
}

export class TreeStaging extends StagingBase {
  private constructor(
    finalPath: string,
    held: BitSet,
    private readonly tree: CheckedTree,
    private readonly places: TreePlaces,
    files: ObjectFiles,
    state: StagingState | undefined,
    private readonly policy: TreePolicy,
    private readonly sync: TreeSync | undefined,
    /** The entry index of each of the object's files. */
    private readonly entryOf: ReadonlyMap<ObjectFile, number>,
  ) {
    super(finalPath, held, files, state);
  }

  /** Checks every target can be replaced, removes stale staging, and opens (or resumes) this one. */
  static async open(outDir: string, tree: CheckedTree, object: StagedObject, policy: TreePolicy, sync?: TreeSync): Promise<TreeStaging> {
    checkTargets(outDir, tree.entries, policy, sync?.present);
    if (!policy.atomicTree && lstatOrUndefined(outDir) === undefined) {
      try {
        mkdirSync(outDir, 0o755);
      } catch (e) {
        throw toDiskError(e, 'creating', outDir);
      }
    }
    const places = treePlaces(outDir, object.id, policy.atomicTree);
    removeStale(places, object.id);

    const { layout } = object;
    const claimed = object.resumable ? await StagingState.load(places.statePath, object.id, layout.segmentCount) : undefined;
    if (claimed === undefined) rmSync(places.stagingDir, { recursive: true, force: true });
    try {
      mkdirSync(places.stagingDir, { mode: 0o700, recursive: true });
      for (const e of tree.entries) if (e.kind === 'dir') mkdirSync(join(places.stagingDir, e.path), { mode: 0o700, recursive: true });
    } catch (e) {
      throw toDiskError(e, 'creating the staging directory', places.stagingDir);
    }
    const parts = objectFiles(tree, outDir, places.stagingDir, sync);
    const files = new ObjectFiles(parts, layout.fileSize);
    await files.createAll(claimed !== undefined, { lazySmall: true });
    const { held, state } = await resumeFrom(object, places.statePath, claimed, files);
    // The object's files in tree-file order (a subset's are the files not in place, in order).
    const staged = sync?.subset ? tree.files.filter((f) => !sync.present.has(f.index)) : tree.files;
    const entryOf = new Map(parts.map((p, i) => [p, staged[i]!.index]));
    return new TreeStaging(outDir, held, tree, places, files, state, policy, sync, entryOf);
  }

  /** Is entry `index` a file already in place (--sync)? */
  private present(index: number): boolean {
    return this.sync?.present.has(index) === true;
  }

  async commit(): Promise<void> {
    this.beginCommit();
    await this.files.syncAll();
    if (this.sync?.subset) await this.verifyFiles();
    const settled = new Set<number>();
    for (const f of this.files.settled) settled.add(this.entryOf.get(f)!);
    const placement: Placement = {
      entries: this.tree.entries,
      out: this.finalPath,
      staged: this.places.stagingDir,
      policy: this.policy,
      present: (i) => this.present(i),
      settled: (i) => settled.has(i),
    };
    if (this.policy.atomicTree) await swapIn(placement);
    else await placeEach(placement);
    this.phase = 'done';
    rmSync(this.places.stagingDir, { recursive: true, force: true });
    await this.state?.stop(true);
  }

  protected removeStaged(): void {
    try {
      rmSync(this.places.stagingDir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // abort never throws: what cannot be removed now is stale staging the next offer removes.
    }
  }

  /** --sync over unicast: every staged file against its entry's SHA-256 (the signed manifest's, not the sender's object digest). */
  private async verifyFiles(): Promise<void> {
    for (const f of this.tree.files) {
      if (this.present(f.index)) continue;
      const path = join(this.places.stagingDir, f.path);
      const hash = createHash('sha256');
      try {
        for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      } catch (e) {
        throw toDiskError(e, 'reading', path);
      }
      if (hash.digest('hex') !== this.tree.entries[f.index]!.sha256)
        throw new HashMismatchError(`${f.path} does not match its SHA-256 in the manifest; nothing was stored`);
    }
  }
}

/** The object's files: staged ones, and (--sync, shared stream) those already in place, read-only. */
function objectFiles(tree: CheckedTree, outDir: string, stagingDir: string, sync: TreeSync | undefined): ObjectFile[] {
  const staged = (f: TreeFile, offset: number): ObjectFile => {
    const e = tree.entries[f.index]!;
    return { path: join(stagingDir, f.path), offset, size: f.size, final: { mode: e.mode, mtimeMs: e.mtimeMs } };
  };
  if (sync === undefined) return tree.files.map((f) => staged(f, f.offset));
  if (!sync.subset)
    return tree.files.map((f) =>
      sync.present.has(f.index) ? { path: join(outDir, f.path), offset: f.offset, size: f.size, readOnly: true } : staged(f, f.offset),
    );
  let offset = 0;
  return tree.files
    .filter((f) => !sync.present.has(f.index))
    .map((f) => {
      const file = staged(f, offset);
      offset += f.size;
      return file;
    });
}

/**
 * Before anything is streamed: every target replaceable (see oldCopy.ts), every directory that
 * receives entries writable. Entries under a directory absent on disk are absent too, unchecked.
 */
function checkTargets(outDir: string, entries: readonly TreeEntry[], policy: TreePolicy, inPlace?: BitSet): void {
  const outStat = lstatOrUndefined(outDir);
  if (policy.atomicTree) {
    if (outStat !== undefined && !outStat.isDirectory()) throw new OutputConflictError(`cannot replace ${outDir} with a tree: it is not a directory`, outDir);
    if (outStat !== undefined && policy.noClobber) throw new OutputConflictError(`refusing to replace ${outDir}: it exists (--no-clobber)`, outDir);
    checkWritableDir(dirname(outDir));
    if (policy.backupDir !== undefined) checkBackupDir(policy.backupDir, dirname(outDir));
    return;
  }
  if (outStat === undefined) {
    checkWritableDir(dirname(outDir));
    if (policy.backupDir !== undefined) checkBackupDir(policy.backupDir, dirname(outDir));
    return;
  }
  // --out itself may be a link to a directory (the user chose it); nothing below it may be.
  if (!statSync(outDir).isDirectory()) throw new OutputConflictError(`cannot receive a tree into ${outDir}: it is not a directory`, outDir);
  if (policy.backupDir !== undefined) checkBackupDir(policy.backupDir, outDir);
  const present = new Set<string>(['']);
  const writable = new Set<string>();
  for (const [i, e] of entries.entries()) {
    // Already in place with this content (--sync): kept, not replaced.
    if (inPlace?.has(i)) continue;
    const slash = e.path.lastIndexOf('/');
    const parent = slash < 0 ? '' : e.path.slice(0, slash);
    if (!present.has(parent)) continue;
    if (!writable.has(parent)) {
      checkWritableDir(join(outDir, parent));
      writable.add(parent);
    }
    if (checkTarget(join(outDir, e.path), e.kind, policy) && e.kind === 'dir') present.add(e.path);
  }
}

/** Removes staging of --out for other content (any identity but `id`). */
function removeStale(places: TreePlaces, id: string): void {
  let names: string[];
  try {
    names = readdirSync(places.home);
  } catch (e) {
    throw toDiskError(e, 'listing', places.home);
  }
  for (const name of names) {
    const m = places.stale.exec(name);
    if (m === null || m[1] === id) continue;
    const path = join(places.home, name);
    try {
      if (lstatSync(path).isDirectory()) rmSync(path, { recursive: true, force: true });
      else rmSync(path, { force: true });
    } catch (e) {
      throw toDiskError(e, 'removing stale staging', path);
    }
  }
}

/**
 * What a standing receiver (standingReceiver.ts) has stored last, per --out directory, kept on
 * disk so a restarted daemon does not fetch the same publication again: the content identity
 * (name, whole-object SHA-256, tree digest) and, under --trust, the publisher and version.
 *
 * Like the trust state: a small JSON file written atomically (temporary file, fsync, rename),
 * and a file that cannot be read is an error, not an empty state. Forgetting it costs only one
 * download (replay protection is the trust state's, not this file's), but a daemon that
 * silently ignores a broken state file would hide a broken disk.
 */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readJsonFile, writeFileDurably } from '../util/durableFile.js';

/** --out directories remembered per state file; the least recently stored go first. */
const MAX_OUTS = 1_000;

export class StandingStateError extends Error {
  override readonly name = 'StandingStateError';
}

/** The last publication a standing receiver stored into one --out. */
export interface StoredPublication {
  readonly fileName: string;
  /** The object's identity, hex (the manifest's fileSha256, of either kind). */
  readonly sha256: string;
  /** SHA-256 over the manifest's tree entries (offerIdentity), for a tree. */
  readonly entriesSha256?: string;
  /** Under --trust: the verified publisher and publication time. */
  readonly publisherId?: string;
  readonly publishedAt?: number;
  /** Where it was stored (ReceiveSummary.path): gone from disk, the same offer is taken again. */
  readonly path: string;
  /** ms since the epoch (for eviction order and the curious reader). */
  readonly storedAt: number;
}

type State = { version: 1; outs: Record<string, StoredPublication> };

/**
 * Beside the trust state when there is one (one directory for what a receiver remembers), else
 * `$XDG_STATE_HOME/fountcast/standing-state.json` or `~/.local/state/fountcast/standing-state.json`.
 */
export function defaultStandingStatePath(trustStatePath?: string): string {
  if (trustStatePath !== undefined) return join(dirname(trustStatePath), 'standing-state.json');
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'fountcast', 'standing-state.json');
}

const isHex64 = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

function validEntry(v: unknown): v is StoredPublication {
  const p = v as StoredPublication;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.fileName === 'string' &&
    isHex64(p.sha256) &&
    (p.entriesSha256 === undefined || isHex64(p.entriesSha256)) &&
    (p.publisherId === undefined || typeof p.publisherId === 'string') &&
    (p.publishedAt === undefined || (Number.isSafeInteger(p.publishedAt) && p.publishedAt >= 0)) &&
    typeof p.path === 'string' &&
    Number.isFinite(p.storedAt)
  );
}

export class StandingState {
  private constructor(
    readonly path: string,
    private readonly state: State,
  ) {}

  static async load(path: string): Promise<StandingState> {
    const read = await readJsonFile(path);
    if (read === undefined) return new StandingState(path, { version: 1, outs: Object.create(null) });
    const fail = (why: string) => new StandingStateError(`standing receiver state ${path} is ${why} (move it away to start over)`);
    if ('problem' in read) {
      if (read.problem === 'unreadable') throw new StandingStateError(`cannot read the standing receiver's state ${path}: ${read.detail}`);
      throw fail('not JSON');
    }
    const o = read.value as State;
    if (typeof o !== 'object' || o === null || o.version !== 1 || typeof o.outs !== 'object' || o.outs === null)
      throw fail('not a fountcast standing receiver state');
    const outs: State['outs'] = Object.create(null);
    for (const [out, p] of Object.entries(o.outs)) {
      if (!validEntry(p)) throw fail('malformed');
      outs[out] = p;
    }
    return new StandingState(path, { version: 1, outs });
  }

  /** The last publication stored into `out` (resolved to an absolute path), if any. */
  lastStored(out: string): StoredPublication | undefined {
    return this.state.outs[resolve(out)];
  }

  /** Remembers `p` as the last stored into `out` and writes the state atomically. */
  async record(out: string, p: StoredPublication): Promise<void> {
    const outs = this.state.outs;
    outs[resolve(out)] = p;
    const keys = Object.keys(outs);
    if (keys.length > MAX_OUTS) {
      keys.sort((a, b) => outs[a]!.storedAt - outs[b]!.storedAt);
      for (const k of keys.slice(0, keys.length - MAX_OUTS)) delete outs[k];
    }
    try {
      await writeFileDurably(this.path, JSON.stringify(this.state));
    } catch (e) {
      throw new StandingStateError(`cannot write the standing receiver's state ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }
}

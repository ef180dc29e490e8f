/**
 * Replay protection for signed manifests: per publisher and file name, the newest publication
 * time this receiver has stored. A manifest older than that is refused (someone replaying an
 * old, validly signed version to roll a machine back); the same or a newer one is accepted.
 *
 * The state is a small JSON file written atomically (temporary file, fsync, rename), so a crash
 * leaves the old or the new state, never a torn one. A state file that cannot be read is an
 * error, not an empty state: silently forgetting it would reopen every replay.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readJsonFile, writeFileDurably } from '../util/durableFile.js';

/** Entries kept per publisher; the oldest go first (a name unseen for that long is fine to forget). */
const MAX_NAMES_PER_PUBLISHER = 10_000;

export class TrustStateError extends Error {
  override readonly name = 'TrustStateError';
}

type State = { version: 1; accepted: Record<string, Record<string, number>> };

/** `$XDG_STATE_HOME/fountcast/trust-state.json`, else `~/.local/state/fountcast/trust-state.json`. */
export function defaultTrustStatePath(): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'fountcast', 'trust-state.json');
}

export class TrustState {
  private constructor(
    readonly path: string,
    private readonly state: State,
  ) {}

  static async load(path: string): Promise<TrustState> {
    const read = await readJsonFile(path);
    if (read === undefined) return new TrustState(path, { version: 1, accepted: Object.create(null) });
    const fail = (why: string) => new TrustStateError(`trust state ${path} is ${why}; refusing to run without replay protection (move it away to start over)`);
    if ('problem' in read) {
      if (read.problem === 'unreadable') throw new TrustStateError(`cannot read the trust state ${path}: ${read.detail}`);
      throw fail('not JSON');
    }
    const o = read.value as State;
    if (typeof o !== 'object' || o === null || o.version !== 1 || typeof o.accepted !== 'object' || o.accepted === null)
      throw fail('not a fountcast trust state');
    const accepted: State['accepted'] = Object.create(null);
    for (const [publisher, names] of Object.entries(o.accepted)) {
      if (typeof names !== 'object' || names === null) throw fail('malformed');
      const m: Record<string, number> = Object.create(null);
      for (const [name, at] of Object.entries(names)) {
        if (!Number.isSafeInteger(at) || at < 0) throw fail('malformed');
        m[name] = at;
      }
      accepted[publisher] = m;
    }
    return new TrustState(path, { version: 1, accepted });
  }

  /** The newest publication time stored for this publisher and name, if any. */
  lastAccepted(publisherId: string, fileName: string): number | undefined {
    return this.state.accepted[publisherId]?.[fileName];
  }

  /** Undefined when acceptable, else why not. */
  replayProblem(publisherId: string, fileName: string, publishedAt: number): string | undefined {
    const last = this.lastAccepted(publisherId, fileName);
    if (last !== undefined && publishedAt < last) {
      return `the manifest for ${fileName} was published at ${new Date(publishedAt).toISOString()}, older than the version already accepted from publisher ${publisherId} (${new Date(last).toISOString()}): a replay`;
    }
    return undefined;
  }

  /** Records an accepted publication and writes the state atomically. */
  async record(publisherId: string, fileName: string, publishedAt: number): Promise<void> {
    const names = (this.state.accepted[publisherId] ??= Object.create(null) as Record<string, number>);
    names[fileName] = Math.max(publishedAt, names[fileName] ?? 0);
    const keys = Object.keys(names);
    if (keys.length > MAX_NAMES_PER_PUBLISHER) {
      keys.sort((a, b) => names[a]! - names[b]!);
      for (const k of keys.slice(0, keys.length - MAX_NAMES_PER_PUBLISHER)) delete names[k];
    }
    await writeFileDurably(this.path, JSON.stringify(this.state));
  }
}

/**
 * The resume state beside a staging area: the content identity and which segments were written.
 * It is a claim, not a proof: the data may not have reached the disk before a crash, so a later
 * run re-reads every claimed segment and keeps only those whose digest still matches
 * (verifyHeld). Writes are throttled (at most one per interval, and on flush) and replace the file
 * atomically (write a temporary file, rename it over), so a crash leaves the old or the new state.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { BitSet } from '../util/bitset.js';
import { segmentDigest } from '../control/segmentHash.js';

/**
 * Most often the state file is rewritten while segments are being written: every segment the
 * state lags behind is one a resumed run receives again (a 4 MiB segment takes ~40 ms at
 * 100 MB/s), while a rewrite costs a small write and a rename.
 */
export const STATE_WRITE_INTERVAL_MS = 25;
const FORMAT = 'fountcast-staging-1';

interface StateJson {
  format: string;
  /** The content identity (first 32 hex of the manifest's fileSha256). */
  identity: string;
  segmentCount: number;
  /** Written segments, bit i of byte i>>3 (LSB first), base64. */
  written: string;
}

export class StagingState {
  private readonly written: BitSet;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private stopped = false;

  constructor(
    readonly path: string,
    readonly identity: string,
    readonly segmentCount: number,
  ) {
    this.written = new BitSet(segmentCount);
  }

  /** The segments a state file at `path` claims for this identity and layout; undefined when there is none or it is for other content. */
  static async load(path: string, identity: string, segmentCount: number): Promise<BitSet | undefined> {
    let json: StateJson;
    try {
      json = JSON.parse(await readFile(path, 'utf8')) as StateJson;
    } catch {
      return undefined;
    }
    if (json?.format !== FORMAT || json.identity !== identity || json.segmentCount !== segmentCount || typeof json.written !== 'string') return undefined;
    const bytes = Buffer.from(json.written, 'base64');
    if (bytes.length !== Math.ceil(segmentCount / 8)) return undefined;
    const claimed = new BitSet(segmentCount);
    for (let i = 0; i < segmentCount; i++) if (bytes[i >>> 3]! & (1 << (i & 7))) claimed.add(i);
    return claimed;
  }

  /** Segment `index` is written (its bytes handed to the kernel); the file follows within the interval. */
  note(index: number): void {
    if (this.stopped || index < 0 || index >= this.segmentCount) return;
    this.written.add(index);
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => undefined);
    }, STATE_WRITE_INTERVAL_MS);
    this.timer.unref?.();
  }

  /** Writes the state now (if anything changed); resolves once it is on disk under its name. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty || this.stopped) return this.writing;
    this.dirty = false;
    const json: StateJson = { format: FORMAT, identity: this.identity, segmentCount: this.segmentCount, written: this.bitmap() };
    const tmp = `${this.path}.tmp`;
    this.writing = this.writing.then(async () => {
      await writeFile(tmp, JSON.stringify(json), { mode: 0o600 });
      await rename(tmp, this.path);
    });
    return this.writing;
  }

  /** No more writes; removes the state file when `remove`. Never throws. */
  async stop(remove: boolean): Promise<void> {
    if (!remove) await this.flush().catch(() => undefined);
    this.stopped = true;
    clearTimeout(this.timer);
    await this.writing.catch(() => undefined);
    if (remove) {
      await unlink(this.path).catch(() => undefined);
      await unlink(`${this.path}.tmp`).catch(() => undefined);
    }
  }

  private bitmap(): string {
    const bytes = new Uint8Array(Math.ceil(this.segmentCount / 8));
    for (let i = 0; i < this.segmentCount; i++) if (this.written.has(i)) bytes[i >>> 3]! |= 1 << (i & 7);
    return Buffer.from(bytes).toString('base64');
  }

  /** Marks `held` segments as written (they are on disk already). */
  seed(held: BitSet): void {
    for (let i = 0; i < this.segmentCount; i++) if (held.has(i)) this.written.add(i);
  }
}

/**
 * Of the `claimed` segments, those whose staged bytes hash to the manifest's digest
 * (`segmentDigests`, 32 bytes per segment). A read that fails only drops that segment.
 */
export async function verifyHeld(
  claimed: BitSet,
  segmentDigests: Uint8Array,
  rangeOf: (index: number) => { offset: number; length: number },
  read: (offset: number, length: number) => Promise<Uint8Array>,
): Promise<BitSet> {
  const held = new BitSet(claimed.size);
  for (let i = 0; i < claimed.size; i++) {
    if (!claimed.has(i)) continue;
    const { offset, length } = rangeOf(i);
    const bytes = await read(offset, length).catch(() => undefined);
    if (bytes === undefined) continue;
    const digest = segmentDigest(bytes);
    if (digest.equals(segmentDigests.subarray(32 * i, 32 * i + 32))) held.add(i);
  }
  return held;
}

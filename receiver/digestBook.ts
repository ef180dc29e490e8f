/**
 * The digests a receiver verifies against: every segment's and the whole object's, known from
 * the manifest or arriving later in Digests frames (Manifest.digestsFollow). It takes the frames
 * in order, knows which segments wait for theirs, and since when something has waited with
 * none coming: a sender that streams but never sends them must not keep a receiver forever.
 *
 * A length that follows (Manifest.lengthFollows, a piped sender): the object has as many
 * segments as digests have come, each full; the frame with the object's digest gives the length
 * (Digests.fileSize), which must fit them: every segment announced before it full, exactly as
 * many segments as digests in all. Growth is capped (`maxSegments`) before anything is kept.
 */
import type { Digests } from '../control/messages.js';

/** How a length that follows is judged: the manifest's segment size and this receiver's caps. */
export interface FollowingLength {
  readonly segmentSize: number;
  /** Most segments this receiver takes (its file size and segment count caps). */
  readonly maxSegments: number;
  readonly maxFileSize: number;
}

export class DigestBook {
  /** 32 bytes per segment (capacity, while a length follows); those at `known` and above are not known yet. */
  private digestBytes: Uint8Array;
  private known: number;
  private fileSha256: string | undefined;
  /** Segments of the object: grows with the digests while a length follows. */
  private count: number;
  /** A length that follows, once announced (with the object's digest). */
  private _fileSize: number | undefined;
  /** Segments ready to verify whose digest has not come yet. */
  private readonly awaiting: number[] = [];
  /** Since when something has waited for a digest with none coming (undefined: nothing waits). */
  private waitSince: number | undefined;

  constructor(
    segmentCount: number,
    accepted: { readonly segmentDigests: Uint8Array; readonly fileSha256: string | undefined },
    private readonly following?: FollowingLength,
  ) {
    this.count = segmentCount;
    this.digestBytes = accepted.segmentDigests;
    this.fileSha256 = accepted.fileSha256;
    this.known = accepted.fileSha256 === undefined ? 0 : segmentCount;
  }

  /** Segments of the object so far (every one, unless a length follows and has not come). */
  get segmentCount(): number {
    return this.count;
  }

  /** A length that followed, once it came (undefined otherwise: the manifest's is the length). */
  get fileSize(): number | undefined {
    return this._fileSize;
  }

  /** The object will not grow any more: its length was in the manifest, or has come. */
  get lengthKnown(): boolean {
    return this.following === undefined || this._fileSize !== undefined;
  }

  /** Every segment's digest is known (a manifest that carried them, or all have come). */
  get allSegmentsKnown(): boolean {
    return this.known === this.count && this.lengthKnown;
  }

  /** The known segment digests, 32 bytes each, in order (a view: do not modify). */
  get segmentDigests(): Uint8Array {
    return this.digestBytes.subarray(0, 32 * this.known);
  }

  /** The object's identity (hex, Manifest.fileSha256), once known. */
  get expectedFileSha256(): string | undefined {
    return this.fileSha256;
  }

  /** Segment `s`'s digest, or undefined (and `s` noted as waiting for it) while it has not come. */
  digestFor(now: number, s: number): Uint8Array | undefined {
    if (s < this.known) return this.digestBytes.slice(32 * s, 32 * s + 32);
    if (!this.awaiting.includes(s)) this.awaiting.push(s);
    this.waitSince ??= now;
    return undefined;
  }

  /** The object is hashed: if its own digest has not come, that is waited for too. */
  objectHashed(now: number): void {
    if (this.fileSha256 === undefined) this.waitSince ??= now;
  }

  /** When the wait becomes a failure (undefined: nothing waits). */
  deadline(limitMs: number): number | undefined {
    return this.waitSince === undefined ? undefined : this.waitSince + limitMs;
  }

  /**
   * The next Digests frame. Returns why it is refused (a protocol violation), or the segments
   * that waited for the digests it brought. `objectHashed`: the object's own hash is computed,
   * so a missing object digest still counts as a wait.
   */
  take(now: number, d: Digests, objectHashed: boolean): { problem: string } | { released: number[] } {
    if (this.known === this.count && this.fileSha256 !== undefined) return { problem: 'digests after all digests were known' };
    if (d.firstSegment !== this.known) return { problem: `digests from segment ${d.firstSegment}, expected ${this.known}` };
    const bytes = Buffer.from(d.segmentDigests, 'base64');
    const count = bytes.length / 32;
    if (!Number.isInteger(count)) return { problem: `digests of ${bytes.length} bytes are not whole 32-byte digests` };
    const problem = this.following === undefined ? this.fixedProblem(d, count) : this.grow(d, count, this.following);
    if (problem !== undefined) return { problem };
    this.digestBytes.set(bytes, 32 * this.known);
    this.known += count;
    if (d.fileSha256 !== undefined) this.fileSha256 = d.fileSha256.toLowerCase();
    const released: number[] = [];
    for (let i = this.awaiting.length - 1; i >= 0; i--) {
      const s = this.awaiting[i]!;
      if (s >= this.known) continue;
      this.awaiting.splice(i, 1);
      released.push(s);
    }
    // Digests came: whatever still waits for one waits afresh.
    this.waitSince = this.awaiting.length > 0 || (objectHashed && this.fileSha256 === undefined) ? now : undefined;
    return { released };
  }

  /** A manifest that gave the length: the digests fill its segments, the object's digest last. */
  private fixedProblem(d: Digests, count: number): string | undefined {
    const n = this.count;
    if (d.fileSize !== undefined) return 'a length in Digests after a manifest that gave it';
    if (this.known + count > n) return `${count} digests from segment ${d.firstSegment} run past the ${n} segments`;
    if (d.fileSha256 !== undefined && this.known + count < n) return 'the whole-file digest came before the last segment digest';
    return undefined;
  }

  /**
   * A length that follows: `count` more segments (and, with the object's digest, the length).
   * Checked, then room is made for them.
   */
  private grow(d: Digests, count: number, f: FollowingLength): string | undefined {
    const n = this.known + count;
    if (n > f.maxSegments) return `${n} segments exceed this receiver's limit of ${f.maxSegments}`;
    if ((d.fileSha256 === undefined) !== (d.fileSize === undefined)) return 'the length and the whole-object digest come together, in one Digests frame';
    if (d.fileSize !== undefined) {
      const size = d.fileSize;
      if (size > f.maxFileSize) return `a length of ${size} bytes exceeds this receiver's limit of ${f.maxFileSize}`;
      // The segments announced before were taken as full; the length must not shorten them.
      if (Math.ceil(size / f.segmentSize) !== n || size < this.known * f.segmentSize)
        return `a length of ${size} bytes does not fit the ${n} segments announced (${this.known} of them full, ${f.segmentSize} bytes each)`;
      this._fileSize = size;
    }
    if (32 * n > this.digestBytes.length) {
      // Doubling: copies stay linear in the number of segments.
      const grown = new Uint8Array(Math.max(32 * n, 2 * this.digestBytes.length));
      grown.set(this.digestBytes.subarray(0, 32 * this.known));
      this.digestBytes = grown;
    }
    this.count = n;
    return undefined;
  }
}

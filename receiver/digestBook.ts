/**
 * The digests a receiver verifies against: every segment's and the whole object's, known from
 * the manifest or arriving later in Digests frames (Manifest.digestsFollow). It takes the frames
 * in order, knows which segments wait for theirs, and since when something has waited with
 * none coming: a sender that streams but never sends them must not keep a receiver forever.
 */
import type { Digests } from '../control/messages.js';

export class DigestBook {
  /** 32 bytes per segment; those at `known` and above are not known yet. */
  private readonly segmentSha256: Uint8Array;
  private known: number;
  private fileSha256: string | undefined;
  /** Segments ready to verify whose digest has not come yet. */
  private readonly awaiting: number[] = [];
  /** Since when something has waited for a digest with none coming (undefined: nothing waits). */
  private waitSince: number | undefined;

  constructor(
    private readonly segmentCount: number,
    accepted: { readonly segmentSha256: Uint8Array; readonly fileSha256: string | undefined },
  ) {
    this.segmentSha256 = accepted.segmentSha256;
    this.fileSha256 = accepted.fileSha256;
    this.known = accepted.fileSha256 === undefined ? 0 : segmentCount;
  }

  /** Every segment's digest is known (a manifest that carried them, or all have come). */
  get allSegmentsKnown(): boolean {
    return this.known === this.segmentCount;
  }

  /** The whole object's SHA-256 (hex), once known. */
  get expectedFileSha256(): string | undefined {
    return this.fileSha256;
  }

  /** Segment `s`'s digest, or undefined (and `s` noted as waiting for it) while it has not come. */
  digestFor(now: number, s: number): Uint8Array | undefined {
    if (s < this.known) return this.segmentSha256.slice(32 * s, 32 * s + 32);
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
    const n = this.segmentCount;
    if (this.known === n && this.fileSha256 !== undefined) return { problem: 'digests after all digests were known' };
    if (d.firstSegment !== this.known) return { problem: `digests from segment ${d.firstSegment}, expected ${this.known}` };
    const bytes = Buffer.from(d.segmentSha256, 'base64');
    const count = bytes.length / 32;
    if (!Number.isInteger(count) || this.known + count > n) return { problem: `${count} digests from segment ${d.firstSegment} run past the ${n} segments` };
    if (d.fileSha256 !== undefined && this.known + count < n) return { problem: 'the whole-file digest came before the last segment digest' };
    this.segmentSha256.set(bytes, 32 * this.known);
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
}

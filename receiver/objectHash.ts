/**
 * The whole object's SHA-256 on the receiver, computed one of two ways. Normally a running hash
 * is fed the decoded segments in object order (out-of-order ones wait in their slots, inside the
 * window), so the object is never re-read; a decode job may feed a copy alongside the segment's
 * own digest (hashFor) and hand the result back. With held segments (resume) their bytes are not
 * in memory, so no running hash can cover the object: decoded segments are not hashed at all,
 * and once every segment is written the object is read back and hashed once (pollVerify /
 * handleVerified). Never reads the disk itself: the adapter does the read-back.
 */
import { createHash, type Hash } from 'node:crypto';

/** What of a segment slot the running hash reads and marks. */
export interface HashedSlot {
  readonly index: number;
  /** Decoded bytes, until written and hashed. */
  readonly data: Uint8Array | undefined;
  hashed: boolean;
}

export class ObjectHash {
  /** Segments below this are in the running hash. */
  private hashedBelow = 0;
  private running: Hash = createHash('sha256');
  private digest: string | undefined;
  /** The read-back is due (every segment written) and not yet handed out. */
  private verifyDue = false;
  private verifyAsked = false;

  /** `readBack`: segments were held, so the digest comes from a read-back, not a running hash. */
  constructor(readonly readBack: boolean) {}

  /** Hex SHA-256 of the received object, once computed (or read back). */
  get sha256(): string | undefined {
    return this.digest;
  }

  /**
   * The running hash when segment `s` is the next it takes, for a decode job to feed a copy of
   * it alongside the segment's own digest; undefined otherwise (feed does it later).
   */
  hashFor(s: number): Hash | undefined {
    if (this.readBack) return undefined;
    return s === this.hashedBelow && this.digest === undefined ? this.running : undefined;
  }

  /** Segment `slot` decoded; `hashAfter` is the running hash the job fed it to, if it did. */
  decoded(slot: HashedSlot, hashAfter: Hash | undefined): void {
    // Read back at the end instead (held segments): nothing to hash here.
    if (this.readBack) slot.hashed = true;
    else if (hashAfter !== undefined && this.hashedBelow === slot.index) {
      // Hashed alongside its segment digest (hashFor): the running hash moves on.
      this.running = hashAfter;
      slot.hashed = true;
      this.hashedBelow++;
    }
  }

  /** Feeds decoded segments to the running hash while the prefix is contiguous; `hashed` hears of each. */
  feed<S extends HashedSlot>(slotAt: (index: number) => S | undefined, hashed: (slot: S) => void): void {
    if (this.readBack) return;
    for (;;) {
      const slot = slotAt(this.hashedBelow);
      if (slot?.data === undefined || slot.hashed) return;
      this.running.update(slot.data);
      slot.hashed = true;
      this.hashedBelow++;
      hashed(slot);
    }
  }

  /**
   * After a write (or at the start, or when a length that follows arrives): with every one of
   * the object's `segmentCount` segments written, the running hash's digest is taken, or the
   * read-back is asked for (once). True when either just happened.
   */
  checkComplete(allWritten: boolean, segmentCount: number): boolean {
    if (this.digest !== undefined) return false;
    if (this.readBack) {
      if (!allWritten || this.verifyAsked) return false;
      this.verifyAsked = true;
      this.verifyDue = true;
      return true;
    }
    if (!allWritten || this.hashedBelow < segmentCount) return false;
    this.digest = this.running.digest('hex');
    return true;
  }

  /** True once, when the read-back is due; never without held segments. */
  pollVerify(): boolean {
    const due = this.verifyDue;
    this.verifyDue = false;
    return due;
  }

  /** The read-back's SHA-256 (hex). True when taken (read-back mode, every segment written, first answer). */
  handleVerified(allWritten: boolean, sha256hex: string): boolean {
    if (!this.readBack || this.digest !== undefined || !allWritten) return false;
    this.digest = sha256hex.toLowerCase();
    return true;
  }
}

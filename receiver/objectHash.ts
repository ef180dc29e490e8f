/**
 * The received object's identity (control/objectIdentity.ts) and, when asked for or when it is
 * the identity, its plain SHA-256, computed on the receiver.
 *
 * - Identity of kind `segments` and no plain SHA-256 wanted: no byte is hashed here. Every
 *   segment was verified against its digest before it was written, so once all are written the
 *   identity is derived from the digests (a running hash would re-read bytes already checked).
 * - Otherwise a running SHA-256 is fed the decoded segments in object order (out-of-order ones
 *   wait in their slots, inside the window), so the object is never re-read; a decode job may
 *   feed a copy alongside the segment's own digest (hashFor) and hand the result back.
 * - With held segments (resume) their bytes are not in memory and were written by an earlier
 *   run: nothing is hashed on the way, and once every segment is written the object is read back
 *   (pollVerify / handleVerified) for its segment digests, its plain SHA-256 or both, so a staged
 *   file changed between runs is caught either way.
 *
 * Never reads the disk itself: the adapter does the read-back (objectDigest.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import type { FileDigestKind } from '../control/objectIdentity.js';

/** What of a segment slot the running hash reads and marks. */
export interface HashedSlot {
  readonly index: number;
  /** Decoded bytes, until written and hashed. */
  readonly data: Uint8Array | undefined;
  hashed: boolean;
}

/** What the read-back must compute (ReceiveAction 'verify-object'). */
export interface ReadBackNeeds {
  /** Each segment's digest (an identity of kind `segments`). */
  readonly segments: boolean;
  /** The object's plain SHA-256. */
  readonly plain: boolean;
}

/** The read-back's answer. */
export interface ObjectReadBack {
  /** 32 bytes per segment, when asked for. */
  readonly segmentDigests?: Uint8Array;
  /** Hex, when asked for. */
  readonly sha256?: string;
}

export interface ObjectHashOptions {
  /** Segments were held, so the digests come from a read-back, not from memory. */
  readonly readBack: boolean;
  /** How the manifest's identity is made. */
  readonly kind: FileDigestKind;
  /** The plain SHA-256 is wanted even when it is not the identity (receive --sha256). */
  readonly plain?: boolean;
}

export class ObjectHash {
  readonly readBack: boolean;
  readonly kind: FileDigestKind;
  /** The plain SHA-256 is computed (the identity, or asked for). */
  readonly plain: boolean;
  /** Segments below this are in the running hash. */
  private hashedBelow = 0;
  /** Undefined when no byte is hashed on the way (see the file comment). */
  private running: Hash | undefined;
  private _identity: string | undefined;
  private _sha256: string | undefined;
  /** The read-back is due (every segment written) and not yet handed out. */
  private verifyDue = false;
  private verifyAsked = false;

  constructor(o: ObjectHashOptions) {
    this.readBack = o.readBack;
    this.kind = o.kind;
    this.plain = o.kind === 'bytes' || o.plain === true;
    this.running = this.plain && !this.readBack ? createHash('sha256') : undefined;
  }

  /** Hex identity of the received object (of `kind`), once computed (or read back). */
  get identity(): string | undefined {
    return this._identity;
  }

  /** Hex plain SHA-256 of the received object, once computed, when computed at all. */
  get sha256(): string | undefined {
    return this._sha256;
  }

  /** What a read-back computes. */
  get readBackNeeds(): ReadBackNeeds {
    return { segments: this.kind === 'segments', plain: this.plain };
  }

  /**
   * The running hash when segment `s` is the next it takes, for a decode job to feed a copy of
   * it alongside the segment's own digest; undefined otherwise (feed does it later, or nothing).
   */
  hashFor(s: number): Hash | undefined {
    if (this.running === undefined) return undefined;
    return s === this.hashedBelow && this._identity === undefined ? this.running : undefined;
  }

  /** Segment `slot` decoded; `hashAfter` is the running hash the job fed it to, if it did. */
  decoded(slot: HashedSlot, hashAfter: Hash | undefined): void {
    // Nothing hashed on the way: the slot need not wait for the running hash.
    if (this.running === undefined) slot.hashed = true;
    else if (hashAfter !== undefined && this.hashedBelow === slot.index) {
      // Hashed alongside its segment digest (hashFor): the running hash moves on.
      this.running = hashAfter;
      slot.hashed = true;
      this.hashedBelow++;
    }
  }

  /** Feeds decoded segments to the running hash while the prefix is contiguous; `hashed` hears of each. */
  feed<S extends HashedSlot>(slotAt: (index: number) => S | undefined, hashed: (slot: S) => void): void {
    if (this.running === undefined) return;
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
   * the object's `segmentCount` segments written, the identity is taken (`derive` gives it from
   * the digests the segments were verified against), or the read-back is asked for (once).
   * True when either just happened.
   */
  checkComplete(allWritten: boolean, segmentCount: number, derive: () => string): boolean {
    if (this._identity !== undefined) return false;
    if (this.readBack) {
      if (!allWritten || this.verifyAsked) return false;
      this.verifyAsked = true;
      this.verifyDue = true;
      return true;
    }
    if (!allWritten) return false;
    if (this.running !== undefined) {
      if (this.hashedBelow < segmentCount) return false;
      this._sha256 = this.running.digest('hex');
    }
    this._identity = this.kind === 'bytes' ? this._sha256 : derive();
    return true;
  }

  /** True once, when the read-back is due; never without held segments. */
  pollVerify(): boolean {
    const due = this.verifyDue;
    this.verifyDue = false;
    return due;
  }

  /**
   * The read-back's answer, `derive` giving the identity from its segment digests. True when
   * taken (read-back mode, every segment written, first answer). An answer without what
   * readBackNeeds asked for is the adapter's fault: thrown, since waiting for another would hang.
   */
  handleVerified(allWritten: boolean, answer: ObjectReadBack, derive: (segmentDigests: Uint8Array) => string): boolean {
    if (!this.readBack || this._identity !== undefined || !allWritten) return false;
    if ((this.plain && answer.sha256 === undefined) || (this.kind === 'segments' && answer.segmentDigests === undefined))
      throw new RangeError('the read-back lacks a digest it was asked for');
    if (this.plain) this._sha256 = answer.sha256!.toLowerCase();
    this._identity = this.kind === 'bytes' ? this._sha256 : derive(answer.segmentDigests!);
    return true;
  }
}

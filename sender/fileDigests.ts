/**
 * The file's digests as they become known: every segment's (BLAKE3), in order, then the object's
 * identity (control/objectIdentity.ts). The sender starts serving before hashing ends (receivers that offer digestsFollow get
 * a Manifest without hashes and the digests in Digests frames as they come), so this is a value
 * that grows, with listeners, rather than two fields filled before the server listens.
 *
 * An object read from a pipe (streamSource.ts) has no length until its input ends: its digests
 * are made with `lengthFollows`, their segment count grows with every segment that fills, and
 * `end` adds the last (possibly short) segment, the length and the object's digest at once, so
 * that no listener ever sees a short segment announced as an ordinary one.
 *
 * Plain state, no I/O: the hashing adapter (preparedFile.ts, streamSource.ts) feeds it.
 */
import { MAX_DIGESTS_PER_FRAME, type Digests } from '../control/messages.js';
import type { FileDigestKind } from '../control/objectIdentity.js';

export type DigestListener = () => void;

export class FileDigests {
  /** 32 bytes per segment (capacity, for a length that follows); those at `known` and above are not computed yet. */
  private digests: Uint8Array;
  /** Made with its length to follow (see the class comment), whether or not it has ended since. */
  readonly lengthFollows: boolean;
  private count: number | undefined;
  private _fileSize: number | undefined;
  private _known = 0;
  private _fileSha256: string | undefined;
  private _failure: Error | undefined;
  private readonly listeners = new Set<DigestListener>();
  /** What computes the digests, stopped by stop() (a hashing thread, a worker). */
  private readonly stoppers = new Set<() => void>();
  private settle!: { resolve: () => void; reject: (e: Error) => void };
  /** Resolves once every digest is known; rejects when hashing failed (or the file changed). */
  readonly done: Promise<void>;

  /**
   * `segmentCount` undefined: the length follows (a pipe), segments are added as they fill.
   * `kind`: how the object's digest (setFile, end) was made (Manifest.fileDigest).
   */
  constructor(
    segmentCount: number | undefined,
    readonly kind: FileDigestKind = 'bytes',
  ) {
    this.count = segmentCount;
    this.lengthFollows = segmentCount === undefined;
    this.digests = new Uint8Array(32 * (segmentCount ?? 64));
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined); // a failure is reported through `failure` and listeners too
  }

  /** Segments of the object; undefined while its length follows and has not come. */
  get segmentCount(): number | undefined {
    return this.count;
  }

  /** A length that follows, once known (with the object's digest). */
  get fileSize(): number | undefined {
    return this._fileSize;
  }

  /** The known segment digests, 32 bytes each. */
  get segmentDigests(): Uint8Array {
    return this.digests.subarray(0, 32 * this._known);
  }

  /** Segment digests known so far (segments 0 .. known-1). */
  get known(): number {
    return this._known;
  }

  get fileSha256(): string | undefined {
    return this._fileSha256;
  }

  get complete(): boolean {
    return this._fileSha256 !== undefined;
  }

  get failure(): Error | undefined {
    return this._failure;
  }

  /** The next segments' digests, contiguous with those known. */
  addSegments(first: number, digests: Uint8Array): void {
    if (this._failure || this.complete) return;
    this.append(first, digests);
    this.notify();
  }

  private append(first: number, digests: Uint8Array): void {
    const limit = this.count ?? Infinity;
    if (first !== this._known || digests.length % 32 !== 0 || first + digests.length / 32 > limit) {
      throw new RangeError(`segment digests ${first}+${digests.length / 32} do not follow the ${this._known} known of ${this.count ?? 'a growing number'}`);
    }
    const end = 32 * first + digests.length;
    if (end > this.digests.length) {
      // Growing (a length that follows): doubling keeps the copies linear in the object's size.
      const grown = new Uint8Array(Math.max(end, 2 * this.digests.length));
      grown.set(this.digests.subarray(0, 32 * this._known));
      this.digests = grown;
    }
    this.digests.set(digests, 32 * first);
    this._known += digests.length / 32;
  }

  /** The object's digest (of this.kind): only after every segment's. */
  setFile(hex: string): void {
    if (this._failure || this.complete) return;
    if (this.count === undefined) throw new RangeError('an object whose length follows ends with end(), not setFile()');
    if (this._known !== this.count) throw new RangeError(`the file digest before all ${this.count} segment digests (${this._known} known)`);
    this.settleFile(hex);
  }

  /**
   * A length that follows is known: the remaining segment digests (the last, short one, if any),
   * the length in bytes and the object's digest, announced together.
   */
  end(first: number, digests: Uint8Array, fileSize: number, hex: string): void {
    if (this._failure || this.complete) return;
    if (this.count !== undefined) throw new RangeError('end() is for an object whose length follows');
    this.append(first, digests);
    this.count = this._known;
    this._fileSize = fileSize;
    this.settleFile(hex);
  }

  private settleFile(hex: string): void {
    this._fileSha256 = hex;
    this.notify();
    this.settle.resolve();
  }

  fail(e: Error): void {
    if (this._failure || this.complete) return;
    this._failure = e;
    this.notify();
    this.settle.reject(e);
  }

  /**
   * The run that needed the digests ended before they were all known (an interrupted sender, a
   * failed session): whatever still computes them stops, and they fail with `reason`. Without
   * it a sender interrupted while hashing a large file on a slow disk would wait for the end of
   * the hashing to exit. Nothing when complete or failed already.
   */
  stop(reason: string): void {
    if (this._failure || this.complete) return;
    for (const s of [...this.stoppers]) s();
    this.fail(new Error(reason));
  }

  /** `stopper` runs on stop(); the returned function removes it (once hashing has ended). */
  onStop(stopper: () => void): () => void {
    this.stoppers.add(stopper);
    return () => this.stoppers.delete(stopper);
  }

  /** Called on every change (new digests, completion, failure) until the returned function removes it. */
  subscribe(listener: DigestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Digests frames carrying what a peer that has `sent` segment digests (and the file digest
   * when `fileSent`) lacks: contiguous, at most MAX_DIGESTS_PER_FRAME each, the file's last.
   */
  framesSince(sent: number, fileSent: boolean): Digests[] {
    const frames: Digests[] = [];
    for (let first = sent; first < this._known; first += MAX_DIGESTS_PER_FRAME) {
      const end = Math.min(this._known, first + MAX_DIGESTS_PER_FRAME);
      frames.push({ type: 'digests', firstSegment: first, segmentDigests: Buffer.from(this.digests.subarray(32 * first, 32 * end)).toString('base64') });
    }
    if (this._fileSha256 !== undefined && !fileSent) {
      const last = frames.pop() ?? { type: 'digests' as const, firstSegment: this._known, segmentDigests: '' };
      frames.push({ ...last, fileSha256: this._fileSha256, ...(this._fileSize !== undefined ? { fileSize: this._fileSize } : {}) });
    }
    return frames;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

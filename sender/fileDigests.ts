/**
 * The file's SHA-256 digests as they become known: every segment's, in order, then the whole
 * file's. The sender starts serving before hashing ends (receivers that offer digestsFollow get
 * a Manifest without hashes and the digests in Digests frames as they come), so this is a value
 * that grows, with listeners, rather than two fields filled before the server listens.
 *
 * Plain state, no I/O: the hashing adapter (preparedFile.ts) feeds it.
 */
import { MAX_DIGESTS_PER_FRAME, type Digests } from '../control/messages.js';

export type DigestListener = () => void;

export class FileDigests {
  /** 32 bytes per segment; those at `known` and above are not computed yet. */
  readonly segmentSha256: Uint8Array;
  private _known = 0;
  private _fileSha256: string | undefined;
  private _failure: Error | undefined;
  private readonly listeners = new Set<DigestListener>();
  private settle!: { resolve: () => void; reject: (e: Error) => void };
  /** Resolves once every digest is known; rejects when hashing failed (or the file changed). */
  readonly done: Promise<void>;

  constructor(readonly segmentCount: number) {
    this.segmentSha256 = new Uint8Array(32 * segmentCount);
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined); // a failure is reported through `failure` and listeners too
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
    if (first !== this._known || digests.length % 32 !== 0 || first + digests.length / 32 > this.segmentCount) {
      throw new RangeError(`segment digests ${first}+${digests.length / 32} do not follow the ${this._known} known of ${this.segmentCount}`);
    }
    this.segmentSha256.set(digests, 32 * first);
    this._known += digests.length / 32;
    this.notify();
  }

  /** The whole file's digest: only after every segment's. */
  setFile(hex: string): void {
    if (this._failure || this.complete) return;
    if (this._known !== this.segmentCount) throw new RangeError(`the file digest before all ${this.segmentCount} segment digests (${this._known} known)`);
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
      frames.push({ type: 'digests', firstSegment: first, segmentSha256: Buffer.from(this.segmentSha256.subarray(32 * first, 32 * end)).toString('base64') });
    }
    if (this._fileSha256 !== undefined && !fileSent) {
      const last = frames.pop() ?? { type: 'digests' as const, firstSegment: this._known, segmentSha256: '' };
      frames.push({ ...last, fileSha256: this._fileSha256 });
    }
    return frames;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

/**
 * A fixed-size set of small non-negative integers (segment indexes), one bit each: bit i of byte
 * i >> 3, least significant first. That layout is also Request.have's on the wire (base64).
 */
export class BitSet {
  private readonly bits: Uint8Array;

  constructor(readonly size: number) {
    this.bits = new Uint8Array(Math.ceil(size / 8));
  }

  /**
   * The set whose bitmap is `bytes` (copied): exactly ceil(size / 8) bytes and no bit at or past
   * `size`; undefined otherwise (the caller names the refusal).
   */
  static fromBytes(size: number, bytes: Uint8Array): BitSet | undefined {
    const set = new BitSet(size);
    if (bytes.length !== set.bits.length) return undefined;
    // Bits past `size` in the last byte would name segments that do not exist.
    if (size % 8 !== 0 && bytes.length > 0 && bytes[bytes.length - 1]! >>> (size % 8) !== 0) return undefined;
    set.bits.set(bytes);
    return set;
  }

  /** As fromBytes, from base64 (Request.have); undefined for anything but the exact bitmap. */
  static fromBase64(size: number, text: string): BitSet | undefined {
    const bytes = Buffer.from(text, 'base64');
    // Buffer.from skips characters it does not know: a round trip proves the text was canonical.
    if (bytes.toString('base64') !== text) return undefined;
    return BitSet.fromBytes(size, bytes);
  }

  /** A copy with room for `size` members (at least this set's size), holding the same ones: a set that grows. */
  grown(size: number): BitSet {
    if (size < this.size) throw new RangeError(`a set of ${this.size} cannot shrink to ${size}`);
    const set = new BitSet(size);
    set.bits.set(this.bits);
    return set;
  }

  has(i: number): boolean {
    return (this.bits[i >>> 3]! & (1 << (i & 7))) !== 0;
  }

  add(i: number): void {
    this.bits[i >>> 3]! |= 1 << (i & 7);
  }

  /** How many members. */
  count(): number {
    let n = 0;
    for (let b of this.bits) {
      while (b !== 0) {
        b &= b - 1;
        n++;
      }
    }
    return n;
  }

  /** A copy of the bitmap (ceil(size / 8) bytes), e.g. to post to a worker. */
  toBytes(): Uint8Array {
    return this.bits.slice();
  }

  toBase64(): string {
    return Buffer.from(this.bits.buffer, this.bits.byteOffset, this.bits.length).toString('base64');
  }
}

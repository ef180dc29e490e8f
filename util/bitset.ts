/** A fixed-size set of small non-negative integers (segment indexes), one bit each. */
export class BitSet {
  private readonly bits: Uint8Array;

  constructor(readonly size: number) {
    this.bits = new Uint8Array(Math.ceil(size / 8));
  }

  has(i: number): boolean {
    return (this.bits[i >>> 3]! & (1 << (i & 7))) !== 0;
  }

  add(i: number): void {
    this.bits[i >>> 3]! |= 1 << (i & 7);
  }
}

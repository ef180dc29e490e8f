/**
 * GF(2^8) arithmetic for the Reed–Solomon baseline: the field with the primitive polynomial
 * x^8 + x^4 + x^3 + x^2 + 1 (0x11d, as in most erasure-coding libraries), log/exp tables and a
 * full 64 KiB multiplication table, so multiplying a whole symbol by a constant is one table
 * lookup per byte.
 */
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

/** MUL[a·256 + b] = a·b */
const MUL = new Uint8Array(65536);
for (let a = 1; a < 256; a++) for (let b = 1; b < 256; b++) MUL[(a << 8) | b] = EXP[LOG[a]! + LOG[b]!]!;

export function gfMul(a: number, b: number): number {
  return MUL[(a << 8) | b]!;
}

export function gfInv(a: number): number {
  if (a === 0) throw new RangeError('GF(256): 0 has no inverse');
  return EXP[255 - LOG[a]!]!;
}

/** dst ^= c · src, bytewise. */
export function gfMulAddInto(dst: Uint8Array, src: Uint8Array, c: number): void {
  if (c === 0) return;
  const n = dst.length;
  if (c === 1) {
    for (let i = 0; i < n; i++) dst[i]! ^= src[i]!;
    return;
  }
  const row = MUL.subarray(c << 8, (c + 1) << 8);
  for (let i = 0; i < n; i++) dst[i]! ^= row[src[i]!]!;
}

/**
 * Inverts the n×n matrix `m` (row-major, GF(256); left untouched) by Gauss–Jordan elimination.
 * Returns the inverse, or undefined if `m` is singular.
 */
export function gfInvert(m: Uint8Array, n: number): Uint8Array | undefined {
  const a = m.slice();
  const inv = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && a[pivot * n + col] === 0) pivot++;
    if (pivot === n) return undefined;
    if (pivot !== col) {
      for (let j = 0; j < n; j++) {
        [a[col * n + j], a[pivot * n + j]] = [a[pivot * n + j]!, a[col * n + j]!];
        [inv[col * n + j], inv[pivot * n + j]] = [inv[pivot * n + j]!, inv[col * n + j]!];
      }
    }
    const scale = gfInv(a[col * n + col]!);
    for (let j = 0; j < n; j++) {
      a[col * n + j] = gfMul(a[col * n + j]!, scale);
      inv[col * n + j] = gfMul(inv[col * n + j]!, scale);
    }
    for (let r = 0; r < n; r++) {
      const f = a[r * n + col]!;
      if (r === col || f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j]! ^= gfMul(f, a[col * n + j]!);
        inv[r * n + j]! ^= gfMul(f, inv[col * n + j]!);
      }
    }
  }
  return inv;
}

/**
 * Gaussian elimination over GF(2) for what LT peeling leaves (the `lt-ge` decoder, ltDecoder.ts).
 *
 * When peeling stalls, u source symbols are still unknown and some received equations still
 * hold two or more of them. Those equations, restricted to the unknown columns, are a binary
 * system; it determines every unknown exactly when its rank is u. That is maximum-likelihood
 * decoding of the erasure channel: no decoder of this code can do better with the same ids,
 * which is the point of the comparison with plain peeling (MacKay, ITILA ch. 50; RFC 6330's
 * inactivation decoding is a faster way to the same answer).
 *
 * Two entry points, so a failed attempt stays cheap: `gf2Rank` looks at the structure only
 * (bit rows, no symbol bytes); `gf2Solve` repeats the elimination carrying each row's T bytes
 * and returns every unknown's value. Rows are dense bitsets of ⌈u/32⌉ words: cost m·u²/32
 * word operations for m rows, fine at the K of a research run (a few thousand).
 */

/** One equation: the unknown columns (0 … u − 1) it holds, and (for gf2Solve) its bytes. */
export interface Gf2Row {
  readonly columns: ArrayLike<number>;
  readonly data?: Uint8Array;
}

function bitRows(rows: readonly Gf2Row[], words: number): Uint32Array[] {
  return rows.map((r) => {
    const bits = new Uint32Array(words);
    // A column twice in one row cancels (XOR), as the bytes would.
    for (let j = 0; j < r.columns.length; j++) {
      const c = r.columns[j]!;
      bits[c >>> 5]! ^= 1 << (c & 31);
    }
    return bits;
  });
}

function xorWords(dst: Uint32Array, src: Uint32Array, from: number): void {
  for (let w = from; w < dst.length; w++) dst[w]! ^= src[w]!;
}

/**
 * Forward elimination over the bit rows; calls `onPivot(column, pivotRow)` for each column that
 * gets a pivot and `onEliminate(targetRow, pivotRow)` for each row reduction. Returns the rank.
 * `full`: also clear the pivot's column above it (Gauss–Jordan), so each pivot row ends holding
 * its column alone.
 */
function eliminate(
  bits: Uint32Array[],
  unknowns: number,
  full: boolean,
  onEliminate?: (target: number, pivot: number) => void,
  onPivot?: (column: number, row: number) => void,
): number {
  let rank = 0;
  for (let c = 0; c < unknowns; c++) {
    const word = c >>> 5;
    const bit = 1 << (c & 31);
    let p = rank;
    while (p < bits.length && (bits[p]![word]! & bit) === 0) p++;
    if (p === bits.length) continue;
    if (p !== rank) {
      [bits[p], bits[rank]] = [bits[rank]!, bits[p]!];
      onEliminate?.(-1 - p, rank); // a swap, told as (-(p+1), rank)
    }
    const pivot = bits[rank]!;
    for (let r = full ? 0 : rank + 1; r < bits.length; r++) {
      if (r === rank || (bits[r]![word]! & bit) === 0) continue;
      xorWords(bits[r]!, pivot, full ? 0 : word);
      onEliminate?.(r, rank);
    }
    onPivot?.(c, rank);
    rank++;
  }
  return rank;
}

/** Rank of the system (structure only). Decoding succeeds exactly when it equals `unknowns`. */
export function gf2Rank(rows: readonly Gf2Row[], unknowns: number): number {
  if (unknowns === 0) return 0;
  return eliminate(bitRows(rows, (unknowns + 31) >>> 5), unknowns, false);
}

/**
 * The value of every unknown column (`out[c]` gets T bytes), or false when the rank is short.
 * Each row's `data` must be its equation's bytes with every known symbol already XORed out.
 * `xor(dst, src)` is the caller's byte XOR (sourceBlock.xorInto).
 */
export function gf2Solve(rows: readonly Gf2Row[], unknowns: number, out: Uint8Array[], xor: (dst: Uint8Array, src: Uint8Array) => void): boolean {
  const bits = bitRows(rows, (unknowns + 31) >>> 5);
  const data = rows.map((r) => Uint8Array.from(r.data!));
  const pivotRow = new Int32Array(unknowns).fill(-1);
  const rank = eliminate(
    bits,
    unknowns,
    true,
    (target, pivot) => {
      if (target < 0) [data[-1 - target], data[pivot]] = [data[pivot]!, data[-1 - target]!];
      else xor(data[target]!, data[pivot]!);
    },
    (column, row) => (pivotRow[column] = row),
  );
  if (rank < unknowns) return false;
  for (let c = 0; c < unknowns; c++) out[c]!.set(data[pivotRow[c]!]!);
  return true;
}

/**
 * --sync, the arithmetic: given which of a tree's files the receiver already has (localInventory.ts),
 * what it still wants. A unicast receiver asks for the files it lacks (Request.want: the sender
 * packs only those into the session's object). A receiver of a shared stream cannot change the
 * object everyone receives, so it counts as held every segment made only of bytes it already has,
 * and waits only for the rest.
 */
import type { Manifest, TreeEntry } from '../control/messages.js';
import { segmentRange, type SegmentLayout } from '../encoder/segmentLayout.js';
import { BitSet } from '../util/bitset.js';

/** Indexes of the file entries not in `present` (a set over entry indexes). */
export function wantedFiles(entries: readonly TreeEntry[], present: BitSet): BitSet {
  const want = new BitSet(entries.length);
  entries.forEach((e, i) => {
    if (e.kind === 'file' && !present.has(i)) want.add(i);
  });
  return want;
}

/**
 * Segments of the object packed from `entries` (files in entry order) whose every byte lies in a
 * present file. Empty files hold no bytes, so they never keep a segment from being covered.
 */
export function segmentsCovered(entries: readonly TreeEntry[], present: BitSet, layout: SegmentLayout): BitSet {
  const covered = new BitSet(layout.segmentCount);
  // Walk the segments and the files together: both are in object order.
  let file = 0;
  let fileStart = 0;
  const files = entries.map((e, i) => ({ e, i })).filter(({ e }) => e.kind === 'file' && e.size > 0);
  for (let s = 0; s < layout.segmentCount; s++) {
    const { offset, length } = segmentRange(layout, s);
    const end = offset + length;
    while (file < files.length && fileStart + files[file]!.e.size <= offset) fileStart += files[file++]!.e.size;
    let ok = true;
    let f = file;
    let at = fileStart;
    while (f < files.length && at < end) {
      if (!present.has(files[f]!.i)) {
        ok = false;
        break;
      }
      at += files[f]!.e.size;
      f++;
    }
    if (ok && at >= end) covered.add(s);
  }
  return covered;
}

/** Bytes the object would have if only `want`'s files were packed into it. */
export function wantedBytes(entries: readonly TreeEntry[], want: BitSet): number {
  let n = 0;
  entries.forEach((e, i) => {
    if (want.has(i)) n += e.size;
  });
  return n;
}

/**
 * What a unicast receiver's core receives after Request.want: the wanted files packed in entry
 * order, laid out with the manifest's segment and symbol sizes, its digests following in
 * Digests frames (the sender hashes the subset when asked).
 */
export function subsetManifest(m: Manifest, want: BitSet): Manifest {
  const { segmentDigests: _s, fileSha256: _f, ...rest } = m;
  return { ...rest, fileSize: wantedBytes(m.entries ?? [], want), digestsFollow: true };
}

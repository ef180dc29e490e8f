/**
 * The sender's judgement of a Request's optional fields, against what it offered: `have`
 * (resume: segments the receiver holds) and `want` (--sync over unicast: the tree's files it
 * lacks). Each gives the set, or the reason it is refused (Error 'bad-message'); pure.
 */
import type { TreeEntry } from '../control/messages.js';
import { BitSet } from '../util/bitset.js';

export interface Offered {
  readonly segmentCount: number;
  readonly entries: readonly TreeEntry[] | undefined;
  /** A shared stream (multicast/broadcast): its object is every receiver's. */
  readonly shared: boolean;
  /** The Manifest went without its digests (they follow in Digests frames). */
  readonly digestsFollowed: boolean;
}

/**
 * Request.have: only after a Manifest that carried its digests (a receiver verified what it
 * holds against them), and exactly this object's bitmap.
 */
export function heldOf(have: string, o: Offered): BitSet | string {
  if (o.digestsFollowed) return 'Request.have after a Manifest whose digests follow (nothing held can have been verified)';
  return (
    BitSet.fromBase64(o.segmentCount, have) ??
    `Request.have must be the bitmap of exactly ${o.segmentCount} segments (${Math.ceil(o.segmentCount / 8)} bytes, no bit past the last segment)`
  );
}

/**
 * Request.want: a tree's manifest with its hashes, a unicast session, exactly the entries'
 * bitmap, file entries only.
 */
export function wantedOf(want: string, o: Offered): BitSet | string {
  const entries = o.entries;
  if (entries === undefined) return 'Request.want needs a tree (a manifest with entries)';
  if (o.shared) return "Request.want on a shared stream: its object is every receiver's (list held segments in have instead)";
  if (o.digestsFollowed) return 'Request.want after a Manifest whose digests follow';
  const bits = BitSet.fromBase64(entries.length, want);
  if (bits === undefined) return `Request.want must be the bitmap of exactly ${entries.length} entries (${Math.ceil(entries.length / 8)} bytes)`;
  for (let i = 0; i < entries.length; i++) if (bits.has(i) && entries[i]!.kind !== 'file') return `Request.want asks for entry ${i}, which is not a file`;
  return bits;
}

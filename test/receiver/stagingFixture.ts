/** Objects packed by hand (a single file, or a tree's files in entry order) with the manifest a sender would send for them. */
import { createHash } from 'node:crypto';
import type { Manifest, TreeEntry } from '../../control/messages.js';
import { planSegments, segmentRange, type SegmentLayout } from '../../encoder/segmentLayout.js';
import type { StagingInit, StagingPolicy } from '../../receiver/openStaging.js';
import { SeededRandom } from '../../util/random.js';
import { segmentDigest } from '../../control/segmentHash.js';

export const DEFAULT_POLICY: StagingPolicy = { noClobber: false, backupDir: undefined, atomicTree: false };

export interface Packed {
  readonly bytes: Uint8Array;
  readonly layout: SegmentLayout;
  readonly init: (out: string, policy?: Partial<StagingPolicy>) => StagingInit;
  /** Each file entry's bytes. */
  readonly fileBytes: Map<string, Uint8Array>;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();

/** `entries` with file sizes set; the files' bytes are seeded and packed in entry order. */
export function pack(entries: readonly TreeEntry[] | undefined, singleSize: number, seed: number, segmentSize = 4096): Packed {
  const random = new SeededRandom(seed);
  const fileBytes = new Map<string, Uint8Array>();
  const parts: Uint8Array[] = [];
  if (entries === undefined) parts.push(random.fill(new Uint8Array(singleSize)));
  else
    for (const e of entries) {
      if (e.kind !== 'file') continue;
      const b = random.fill(new Uint8Array(e.size));
      fileBytes.set(e.path, b);
      parts.push(b);
    }
  const bytes = new Uint8Array(Buffer.concat(parts));
  const layout = planSegments(bytes.length, { segmentSize, symbolSize: 512 });
  const digests = Buffer.alloc(32 * layout.segmentCount);
  for (let i = 0; i < layout.segmentCount; i++) {
    const { offset, length } = segmentRange(layout, i);
    segmentDigest(bytes.subarray(offset, offset + length)).copy(digests, 32 * i);
  }
  const manifest = {
    type: 'manifest',
    sessionId: 1,
    fileName: entries === undefined ? 'data.bin' : 'tree',
    fileSize: bytes.length,
    segmentSize: layout.segmentSize,
    symbolSize: layout.symbolSize,
    codec: 'raptorq',
    segmentDigests: digests.toString('base64'),
    fileSha256: sha(bytes).toString('hex'),
    rateBytesPerSecond: 0,
    tagKind: 0,
    idleTimeoutMs: 5000,
    heartbeatIntervalMs: 1000,
    ...(entries === undefined ? {} : { entries }),
  } as Manifest;
  return {
    bytes,
    layout,
    fileBytes,
    init: (out, policy = {}) => ({ out, manifest, layout, segmentDigests: new Uint8Array(digests), policy: { ...DEFAULT_POLICY, ...policy } }),
  };
}

/** Segment `i`'s bytes of a packed object. */
export function segmentOf(p: Packed, i: number): { offset: number; data: Uint8Array } {
  const { offset, length } = segmentRange(p.layout, i);
  return { offset, data: p.bytes.subarray(offset, offset + length) };
}

const T = Date.UTC(2024, 0, 2, 3, 4, 5);
export const dir = (path: string, mode = 0o755): TreeEntry => ({ path, kind: 'dir', size: 0, mode, mtimeMs: T });
export const file = (path: string, size: number, mode = 0o644): TreeEntry => ({ path, kind: 'file', size, mode, mtimeMs: T + size });
export const link = (path: string, target: string): TreeEntry => ({ path, kind: 'symlink', size: 0, mode: 0o777, mtimeMs: T, target });
export const MTIME = T;

/**
 * The receiver's own judgement of a manifest, before it allocates anything sized by it: sizes
 * within this receiver's caps, a layout the codec can decode, hashes of the right length. The
 * control layer has checked types and formats already; this checks what this receiver accepts.
 */
import type { Manifest } from '../control/messages.js';
import type { Codec } from '../encoder/codec.js';
import type { IntegrityScheme } from '../encoder/integrity.js';
import { MAX_FILE_SIZE, MAX_SEGMENT_SIZE, validateLayoutParameters, type SegmentLayout } from '../encoder/segmentLayout.js';
import type { FollowingLength } from './digestBook.js';
import { ManifestRejectedError } from './errors.js';

/** Largest segment count accepted: per-segment state stays within a few MiB. */
export const MAX_SEGMENT_COUNT = 2 ** 24;
/** Default budget for source buffers: window x segment size (repair areas grow only with traffic). */
export const DEFAULT_MAX_BUFFER_BYTES = 1024 * 1024 * 1024;

export interface ManifestLimits {
  readonly codec: Codec;
  readonly integrity: IntegrityScheme;
  /** @default MAX_FILE_SIZE (2^50) */
  readonly maxFileSize?: number;
  /** @default MAX_SEGMENT_SIZE (256 MiB): one decoder (and window slot) holds about this much. */
  readonly maxSegmentSize?: number;
  /** Segments buffered at once; with maxBufferBytes bounds window x segmentSize. @default 1 */
  readonly window?: number;
  /** @default DEFAULT_MAX_BUFFER_BYTES (1 GiB) */
  readonly maxBufferBytes?: number;
}

export interface AcceptedManifest {
  readonly layout: SegmentLayout;
  /** 32 bytes per segment (zeros where a digest is still to follow). */
  readonly segmentDigests: Uint8Array;
  /** Lower-case hex; undefined while the digests follow (Manifest.digestsFollow). */
  readonly fileSha256: string | undefined;
  /** Manifest.lengthFollows: how the length that follows is judged (the layout starts empty). */
  readonly following?: FollowingLength;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

function isWhole(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Throws ManifestRejectedError with the first reason found. */
export function checkManifest(manifest: Manifest, limits: ManifestLimits): AcceptedManifest {
  const reject = (why: string): never => {
    throw new ManifestRejectedError(`manifest rejected: ${why}`);
  };
  if (typeof manifest !== 'object' || manifest === null || manifest.type !== 'manifest') reject('not a manifest');
  const maxFileSize = Math.min(limits.maxFileSize ?? MAX_FILE_SIZE, MAX_FILE_SIZE);
  const maxSegmentSize = Math.min(limits.maxSegmentSize ?? MAX_SEGMENT_SIZE, MAX_SEGMENT_SIZE);
  const { fileSize, segmentSize, symbolSize } = manifest;

  if (!isU32(manifest.sessionId)) reject(`session id ${manifest.sessionId} is not a u32`);
  if (manifest.codec !== limits.codec.name) reject(`codec ${JSON.stringify(manifest.codec)} is not ${limits.codec.name}`);
  if (manifest.tagKind !== limits.integrity.kind) reject(`tag kind ${manifest.tagKind}, this receiver checks ${limits.integrity.kind}`);
  if (!isWhole(fileSize) || fileSize > maxFileSize) reject(`file size ${fileSize} exceeds the limit of ${maxFileSize} bytes`);
  if (!isWhole(segmentSize) || segmentSize > maxSegmentSize) reject(`segment size ${segmentSize} exceeds the limit of ${maxSegmentSize} bytes`);
  try {
    validateLayoutParameters(fileSize, segmentSize, symbolSize);
  } catch (e) {
    reject((e as Error).message);
  }
  if (Math.ceil(segmentSize / symbolSize) > limits.codec.maxSourceSymbols) {
    reject(`K=${Math.ceil(segmentSize / symbolSize)} exceeds ${limits.codec.name}'s ${limits.codec.maxSourceSymbols} per segment`);
  }
  // A collector allocates K*T bytes on a segment's first symbol: a hostile sender could touch every
  // segment of the window at once.
  const window = limits.window ?? 1;
  const budget = limits.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
  if (window * segmentSize > budget) {
    reject(`segment size ${segmentSize} x window ${window} exceeds the receiver's ${budget}-byte buffer budget (use a smaller window or segment size)`);
  }
  const segmentCount = Math.ceil(fileSize / segmentSize);
  if (segmentCount > MAX_SEGMENT_COUNT) reject(`${segmentCount} segments exceed the limit of ${MAX_SEGMENT_COUNT}`);

  if (manifest.lengthFollows === true) {
    if (manifest.digestsFollow !== true || fileSize !== 0 || manifest.entries !== undefined)
      reject('a manifest whose length follows is one file, with fileSize 0 and its digests to follow');
    // The length comes last: every segment up to this receiver's caps may be announced.
    const maxSegments = Math.min(MAX_SEGMENT_COUNT, Math.ceil(maxFileSize / segmentSize));
    return {
      layout: { fileSize: 0, segmentSize, symbolSize, segmentCount: 0 },
      segmentDigests: new Uint8Array(32 * Math.min(maxSegments, 1024)),
      fileSha256: undefined,
      following: { segmentSize, maxSegments, maxFileSize },
    };
  }
  if (manifest.digestsFollow === true) {
    if (manifest.segmentDigests !== undefined || manifest.fileSha256 !== undefined) reject('a manifest whose digests follow carries no hashes');
    return { layout: { fileSize, segmentSize, symbolSize, segmentCount }, segmentDigests: new Uint8Array(32 * segmentCount), fileSha256: undefined };
  }
  // Length first: the decoded size follows from it, so nothing is allocated for a wrong one.
  const hashes = manifest.segmentDigests ?? '';
  const expectedChars = 4 * Math.ceil((32 * segmentCount) / 3);
  if (typeof hashes !== 'string' || hashes.length !== expectedChars || !BASE64.test(hashes)) {
    reject(`segment hashes must be ${32 * segmentCount} bytes of base64 (${expectedChars} characters)`);
  }
  const segmentDigests = new Uint8Array(Buffer.from(hashes, 'base64'));
  if (segmentDigests.length !== 32 * segmentCount) reject(`segment hashes decode to ${segmentDigests.length} bytes, expected ${32 * segmentCount}`);
  if (typeof manifest.fileSha256 !== 'string' || !SHA256_HEX.test(manifest.fileSha256)) reject('file SHA-256 is not 64 hex digits');

  return {
    layout: { fileSize, segmentSize, symbolSize, segmentCount },
    segmentDigests,
    fileSha256: manifest.fileSha256!.toLowerCase(),
  };
}

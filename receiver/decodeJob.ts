/**
 * One decode attempt of one segment, as a pure function of plain buffers so it runs the same on
 * the receiver thread (inline) and in a decode worker (buffers moved with transfer lists).
 *
 * Every symbol in a job was validated by the intake (length, segment, ESI range) and the job was
 * built by SegmentCollector; the shape is checked again anyway, because a wrong length reaching
 * the wasm decoder kills it, and a worker should answer "failed" rather than die.
 */
import type { Hash } from 'node:crypto';
import { hashAlongside } from '../util/hashAlongside.js';
import type { Codec, CodecParameters, SegmentDecoder } from '../encoder/codec.js';
import { segmentHasher } from '../control/segmentHash.js';

export interface DecodeJob {
  readonly segmentIndex: number;
  /** Segment length in bytes (RFC 6330 F). */
  readonly transferLength: number;
  /** T. */
  readonly symbolSize: number;
  /** K. */
  readonly sourceSymbols: number;
  /** K*T bytes: source symbol i at [i*T, (i+1)*T), meaningful where sourcePresent[i] != 0. */
  readonly source: Uint8Array;
  /** K bytes, non-zero where source symbol i is present. */
  readonly sourcePresent: Uint8Array;
  /** ESI of each repair symbol (all >= K), in arrival order. */
  readonly repairIds: Uint32Array;
  /** repairIds.length * T bytes, packed in the same order. */
  readonly repair: Uint8Array;
  /** The manifest's digest of this segment (BLAKE3, 32 bytes; control/segmentHash.ts). */
  readonly expectedDigest: Uint8Array;
}

/** A job's buffers coming back (after a worker round trip: new views of the same memory). */
export interface DecodeBuffers {
  readonly source: Uint8Array;
  readonly sourcePresent: Uint8Array;
  readonly repairIds: Uint32Array;
  readonly repair: Uint8Array;
}

export type DecodeOutcome =
  /**
   * Decoded and its digest matched. `data` may be a view into the job's source buffer.
   * `fileHashAfter`: the running whole-file hash the job was given, with `data` fed to it (only
   * on the calling thread; never from a worker).
   */
  | { readonly type: 'decoded'; readonly segmentIndex: number; readonly data: Uint8Array; readonly fileHashAfter?: Hash }
  /** The symbols were not enough (RaptorQ fails from exactly K about 1 % of the time). */
  | { readonly type: 'need-more'; readonly segmentIndex: number; readonly buffers: DecodeBuffers }
  /** Decoded, but not to the manifest's bytes: some symbol was bad; start the segment over. */
  | { readonly type: 'hash-mismatch'; readonly segmentIndex: number; readonly buffers: DecodeBuffers }
  /** The codec threw (or the job was malformed, or its worker died: then no buffers). */
  | { readonly type: 'failed'; readonly segmentIndex: number; readonly reason: string; readonly buffers?: DecodeBuffers };

export function jobBuffers(job: DecodeJob): DecodeBuffers {
  return { source: job.source, sourcePresent: job.sourcePresent, repairIds: job.repairIds, repair: job.repair };
}

/** Why `job` cannot be decoded as given, or undefined when its shape is consistent. */
export function checkDecodeJob(job: DecodeJob, codec: Codec): string | undefined {
  const { sourceSymbols: k, symbolSize: t, transferLength } = job;
  if (!Number.isSafeInteger(transferLength) || transferLength < 1) return `transfer length ${transferLength}`;
  if (!Number.isInteger(t) || t < 1 || k !== Math.ceil(transferLength / t)) return `K=${k} does not match F=${transferLength}, T=${t}`;
  if (job.source.length !== k * t) return `source buffer has ${job.source.length} bytes, expected ${k * t}`;
  if (job.sourcePresent.length < k) return `presence map has ${job.sourcePresent.length} entries for K=${k}`;
  if (job.repair.length !== job.repairIds.length * t) {
    return `repair buffer has ${job.repair.length} bytes for ${job.repairIds.length} symbols of ${t}`;
  }
  for (let j = 0; j < job.repairIds.length; j++) {
    const id = job.repairIds[j]!;
    if (id < k || id >= codec.encodingSymbolIdLimit) return `repair symbol id ${id} outside ${k}..${codec.encodingSymbolIdLimit - 1}`;
  }
  if (job.expectedDigest.length !== 32) return `expected digest has ${job.expectedDigest.length} bytes`;
  return undefined;
}

/**
 * Decodes (or, with every source symbol present and a codec that offers the systematic shortcut,
 * just reassembles) the segment and verifies its digest. Never throws for codec failures.
 * `fileHashBefore`: the whole-file hash when this segment is the next it takes; the segment is
 * then hashed into a copy of it alongside its own digest (one read of the bytes from memory,
 * util/hashAlongside.ts), and the copy comes back in the outcome if the digest matched.
 */
export function runDecodeJob(job: DecodeJob, codec: Codec, fileHashBefore?: Hash): DecodeOutcome {
  const segmentIndex = job.segmentIndex;
  const problem = checkDecodeJob(job, codec);
  if (problem !== undefined) return { type: 'failed', segmentIndex, reason: `malformed decode job: ${problem}`, buffers: jobBuffers(job) };

  const params: CodecParameters = { transferLength: job.transferLength, symbolSize: job.symbolSize };
  let data: Uint8Array | undefined;
  try {
    if (allSourcePresent(job) && codec.segmentFromSourceSymbols !== undefined) data = codec.segmentFromSourceSymbols(job.source, params);
    else data = codec.decodeBlock !== undefined ? codec.decodeBlock(params, job) : decode(job, codec, params);
  } catch (e) {
    return { type: 'failed', segmentIndex, reason: `decoding segment ${segmentIndex} failed: ${(e as Error).message}`, buffers: jobBuffers(job) };
  }
  if (data === undefined) return { type: 'need-more', segmentIndex, buffers: jobBuffers(job) };
  if (data.length !== job.transferLength) return { type: 'hash-mismatch', segmentIndex, buffers: jobBuffers(job) };
  const segment = segmentHasher();
  const fileHashAfter = fileHashBefore?.copy();
  if (fileHashAfter) hashAlongside(data, segment, fileHashAfter);
  else segment.update(data);
  if (!segment.digest().equals(job.expectedDigest)) return { type: 'hash-mismatch', segmentIndex, buffers: jobBuffers(job) };
  return fileHashAfter ? { type: 'decoded', segmentIndex, data, fileHashAfter } : { type: 'decoded', segmentIndex, data };
}

/** Every source symbol is in the job: no decoding needed, only reassembly and the hash. */
export function allSourcePresent(job: DecodeJob): boolean {
  if (job.sourcePresent.length < job.sourceSymbols) return false;
  const present = job.sourcePresent;
  for (let i = 0; i < job.sourceSymbols; i++) if (present[i] === 0) return false;
  return true;
}

/** Feeds source symbols, then repair symbols, until the decoder completes (settling at the end). Frees it always. */
function decode(job: DecodeJob, codec: Codec, params: CodecParameters): Uint8Array | undefined {
  const t = job.symbolSize;
  const decoder: SegmentDecoder = codec.createDecoder(params);
  try {
    for (let i = 0; i < job.sourceSymbols; i++) {
      if (job.sourcePresent[i] === 0) continue;
      if (decoder.add(i, job.source.subarray(i * t, i * t + t))) return decoder.result();
    }
    for (let j = 0; j < job.repairIds.length; j++) {
      if (decoder.add(job.repairIds[j]!, job.repair.subarray(j * t, j * t + t))) return decoder.result();
    }
    return decoder.settle?.() ? decoder.result() : undefined;
  } finally {
    decoder.free();
  }
}

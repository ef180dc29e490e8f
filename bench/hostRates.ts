/**
 * This host's speed at the per-byte work a transfer does beside the socket paths, measured in
 * the same run as the end-to-end benchmark (bench/e2e.ts) so its ratios can be read across hosts:
 * the codec's standalone decode rate, and the digest, SHA-256 and datagram-tag rates.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { segmentDigest } from '../control/segmentHash.js';
import { datagramLength } from '../encoder/datagram.js';
import { crc32Scheme } from '../encoder/integrity.js';
import { raptorqCodec } from '../encoder/raptorq.js';
import { planSegments, segmentRange } from '../encoder/segmentLayout.js';
import { SeededRandom } from '../util/random.js';

/** Standalone decode rate (MB/s) of the codec at `loss`, for 4 MiB segments, T=1392. */
export function codecDecodeRate(loss: number): number {
  const codec = raptorqCodec();
  const layout = planSegments(4 << 20);
  const range = segmentRange(layout, 0);
  const data = new SeededRandom(5).fill(new Uint8Array(range.length));
  const enc = codec.createEncoder(data, { transferLength: range.length, symbolSize: layout.symbolSize });
  const rnd = new SeededRandom(9);
  const symbols: { encodingSymbolId: number; data: Uint8Array }[] = [];
  for (let esi = 0; esi < range.sourceSymbols; esi++) if (rnd.next() >= loss) symbols.push({ encodingSymbolId: esi, data: enc.sourceSymbol(esi).slice() });
  for (let n = 0; symbols.length < range.sourceSymbols + 4; n++) {
    const s = enc.repairSymbol(n);
    if (rnd.next() >= loss) symbols.push({ encodingSymbolId: s.encodingSymbolId, data: s.data.slice() });
  }
  enc.free();
  const rounds = 5;
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    const dec = codec.createDecoder({ transferLength: range.length, symbolSize: layout.symbolSize });
    for (const s of symbols) if (dec.add(s.encodingSymbolId, s.data)) break;
    if (!dec.result()) throw new Error('benchmark decode failed');
    dec.free();
  }
  return (range.length * rounds) / 1e6 / ((performance.now() - t0) / 1000);
}

/**
 * This host's speed at the per-byte work every transfer must do and the raw blasts do not:
 * the segment digest (BLAKE3, control/segmentHash.ts, 4 MiB at a time: each end hashes every
 * byte once), SHA-256 (node:crypto: only for `--sha256`, the plain identity) and the datagram
 * tag (zlib.crc32 over one datagram: once at each end). They differ from host to host far more than the socket
 * paths do (SHA-256 by a factor of two between otherwise similar 2-core VMs), so they are
 * printed beside the ratios to make runs on different hosts comparable.
 */
export function hostHashRates(): { segmentHashMBps: number; sha256MBps: number; crc32MBps: number } {
  const block = new SeededRandom(3).fill(new Uint8Array(4 << 20));
  createHash('sha256').update(block).digest(); // first-call set-up off the clock
  segmentDigest(block);
  const rounds = 24;
  let t0 = performance.now();
  for (let i = 0; i < rounds; i++) segmentDigest(block);
  const segmentHashMBps = (block.length * rounds) / 1e6 / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < rounds; i++) createHash('sha256').update(block).digest();
  const sha256MBps = (block.length * rounds) / 1e6 / ((performance.now() - t0) / 1000);
  const datagram = block.subarray(0, datagramLength(1392, crc32Scheme));
  let x = 0;
  for (let i = 0; i < 10_000; i++) x ^= crc32(datagram);
  const n = 200_000;
  t0 = performance.now();
  for (let i = 0; i < n; i++) x ^= crc32(datagram);
  const crc32MBps = (datagram.length * n) / 1e6 / ((performance.now() - t0) / 1000);
  if (x === 0.5) console.log(x); // keeps the loop's result live
  return { segmentHashMBps, sha256MBps, crc32MBps };
}

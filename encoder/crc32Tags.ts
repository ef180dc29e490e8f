/**
 * CRC-32 tags a batch at a time. A datagram's CRC-32 tag (open mode, integrity.ts) costs a
 * zlib.crc32 call per datagram from JS: the call, a Buffer view and zlib's table-driven CRC,
 * ~0.3 µs for 1.4 kB, paid at both ends for every datagram. The native module
 * (encoder/native/crc32Tags.c) seals or checks a whole sendmmsg/recvmmsg batch per call, with
 * carry-less multiplication where the CPU has it, at about a quarter of that.
 *
 * - The sender's stream cores then write datagrams without their tag (`crc32Unsealed`), and the
 *   pump seals each batch just before the kernel takes it (sender/datagramBatchPump.ts; the
 *   node:dgram pump seals each datagram in JS, sender/streamWorker.ts).
 * - A receiver's reader checks each batch and marks the datagrams it found right; the parser
 *   then skips its own check of those (encoder/datagram.ts). One it did not mark is checked as
 *   before, so a disagreement could only cost time, never admit a wrong datagram: the module
 *   is used only after it agrees with node:zlib on a known input, once per thread.
 *
 * FOUNTCAST_NATIVE_CRC=0 keeps every tag in JS (A/B measurements).
 */
import { crc32 } from 'node:zlib';
import { crc32Scheme } from './integrity.js';
import { TagKind, type IntegrityScheme } from './integrityScheme.js';
import { loadNativeCrypto, type NativeCrypto } from './nativeCrypto.js';

/** Seals datagrams from..to-1 of a slab: datagram i at i * slotBytes, lengths[i] bytes, the last four its tag. */
export type SlotSealer = (buffer: Uint8Array, slotBytes: number, lengths: Uint32Array, from: number, to: number) => void;

/**
 * verdicts[i] = 1 when datagram i, buffer[offsets[i], + lengths[i]), names CRC-32 in its tag-kind
 * byte and its tag is right; 0 for anything else (to be checked the slow way, or dropped).
 */
export type TagChecker = (buffer: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number, verdicts: Uint8Array) => void;

type NativeCrc = Required<Pick<NativeCrypto, 'crc32' | 'sealCrc32Tags' | 'checkCrc32Tags'>>;

let native: NativeCrc | null | undefined;

function nativeCrc(): NativeCrc | null {
  if (native === undefined) {
    const m = process.env.FOUNTCAST_NATIVE_CRC === '0' ? undefined : loadNativeCrypto().module;
    native = m?.crc32 && m.sealCrc32Tags && m.checkCrc32Tags && agrees(m as NativeCrc) ? (m as NativeCrc) : null;
  }
  return native;
}

/** The module's CRC equals node:zlib's on lengths either side of its 16- and 64-byte steps. */
function agrees(m: NativeCrc): boolean {
  const input = Uint8Array.from({ length: 1500 }, (_, i) => (i * 131 + 7) & 0xff);
  return [0, 1, 15, 63, 64, 65, 79, 1396, 1500].every((n) => m.crc32(input.subarray(0, n)) === crc32(input.subarray(0, n)));
}

/** Which implementation batches CRC-32 tags in this thread. */
export function crc32TagImplementation(): 'native' | 'javascript' {
  return nativeCrc() ? 'native' : 'javascript';
}

/** The slab sealer: the module's, else crc32Scheme's seal over each datagram. */
export function slotSealer(): SlotSealer {
  const m = nativeCrc();
  if (m) return (buffer, slotBytes, lengths, from, to) => void m.sealCrc32Tags(buffer, slotBytes, lengths, from, to);
  return (buffer, slotBytes, lengths, from, to) => {
    for (let i = from; i < to; i++) crc32Scheme.seal(buffer.subarray(i * slotBytes), lengths[i]! - crc32Scheme.tagLength);
  };
}

/** The batch checker, where the module has one (a reader without it leaves every check to the parser). */
export function nativeTagChecker(): TagChecker | undefined {
  const m = nativeCrc();
  if (!m) return undefined;
  return (buffer, offsets, lengths, count, verdicts) => m.checkCrc32Tags(buffer, offsets, lengths, count, TagKind.Crc32, verdicts);
}

/** Seals one whole datagram (its last four bytes) in JS: the node:dgram pump's path. */
export function sealCrc32Datagram(datagram: Uint8Array): void {
  crc32Scheme.seal(datagram, datagram.length - crc32Scheme.tagLength);
}

/**
 * CRC-32 as the stream cores write it when their pump seals: the tag's four bytes are left as
 * they are, to be written as the datagram is handed to the kernel. Checks like crc32Scheme.
 */
export const crc32Unsealed: IntegrityScheme = {
  kind: TagKind.Crc32,
  tagLength: crc32Scheme.tagLength,
  seal() {},
  check: crc32Scheme.check,
};

/**
 * RaptorQ segment decoder over the wasm build.
 *
 * The wasm decoder panics (and is then dead) on a malformed packet, so every symbol is checked
 * here (id range, length) and the packet is built locally from a validated id: nothing from the
 * network reaches wasm as-is. Duplicates are dropped before wasm with a bitmap. As soon as the
 * segment decodes, the result (already copied out of wasm by wasm-bindgen) is kept and the wasm
 * decoder is freed, so a decoded-but-not-yet-freed segment holds no wasm memory.
 *
 * Repair ESIs arrive numbered as RFC 6330 numbers them (from K); the wasm build takes the same
 * symbols labelled with their internal ids (from K'), so a repair ESI is handed over plus K' - K.
 */
import { Decoder } from 'raptorq/raptorq.js';
import type { SegmentDecoder } from './codec.js';
import { CodecError } from './errors.js';
import { RAPTORQ_ENCODING_SYMBOL_ID_LIMIT, type RaptorQObjectInformation } from './raptorqParameters.js';

const PAYLOAD_ID_LENGTH = 4;

export class RaptorQSegmentDecoder implements SegmentDecoder {
  private wasm: Decoder | undefined;
  /** One bit per ESI seen; grown by doubling up to 2^24 bits (2 MiB) as ids arrive. */
  private seen: Uint8Array;
  /** Reused for every packet: wasm-bindgen copies it into the wasm heap on each call. */
  private readonly packet: Uint8Array;
  private readonly symbolSize: number;
  private readonly transferLength: number;
  private readonly sourceSymbols: number;
  /** K' - K: what a repair ESI gains on its way into the wasm. */
  private readonly padding: number;
  private decoded: Uint8Array | undefined;
  private broken = false;
  private freed = false;
  private count = 0;

  constructor(info: RaptorQObjectInformation) {
    this.symbolSize = info.symbolSize;
    this.transferLength = info.transferLength;
    this.sourceSymbols = info.sourceSymbols;
    this.padding = info.extendedSourceSymbols - info.sourceSymbols;
    this.packet = new Uint8Array(PAYLOAD_ID_LENGTH + info.symbolSize);
    // Room for every source id and as many repair ids before the first growth.
    this.seen = new Uint8Array(Math.ceil((info.extendedSourceSymbols * 2) / 8));
    this.wasm = Decoder.with_defaults(BigInt(info.transferLength), info.symbolSize);
  }

  /** Distinct symbols accepted until the segment decoded (adds after that are not counted). */
  get received(): number {
    return this.count;
  }

  add(encodingSymbolId: number, data: Uint8Array): boolean {
    if (!Number.isInteger(encodingSymbolId) || encodingSymbolId < 0 || encodingSymbolId >= RAPTORQ_ENCODING_SYMBOL_ID_LIMIT) {
      throw new CodecError(`encoding symbol id ${encodingSymbolId} is outside 0..${RAPTORQ_ENCODING_SYMBOL_ID_LIMIT - 1}`);
    }
    if (data.length !== this.symbolSize) {
      throw new CodecError(`symbol has ${data.length} bytes, expected ${this.symbolSize}`);
    }
    if (this.decoded !== undefined) return true;
    if (this.freed) throw new CodecError('decoder was freed');
    if (this.broken || this.wasm === undefined) throw new CodecError('decoder failed earlier and cannot take symbols');

    const byte = encodingSymbolId >>> 3;
    const bit = 1 << (encodingSymbolId & 7);
    if (byte >= this.seen.length) this.growSeen(byte);
    if ((this.seen[byte]! & bit) !== 0) return false;
    this.seen[byte]! |= bit;
    this.count++;

    const label = encodingSymbolId < this.sourceSymbols ? encodingSymbolId : encodingSymbolId + this.padding;
    const packet = this.packet;
    packet[0] = 0;
    packet[1] = label >>> 16;
    packet[2] = (label >>> 8) & 0xff;
    packet[3] = label & 0xff;
    packet.set(data, PAYLOAD_ID_LENGTH);
    let out: Uint8Array | undefined;
    try {
      out = this.wasm.decode(packet);
    } catch (cause) {
      // Validated input should never trap; if it does, this decoder's wasm state is unknown:
      // never touch it again (not even free) and let the caller restart the segment.
      this.broken = true;
      this.wasm = undefined;
      throw new CodecError(`raptorq decoder failed on symbol ${encodingSymbolId}`, { cause });
    }
    if (out === undefined) return false;
    if (out.length < this.transferLength) {
      this.releaseWasm();
      this.broken = true;
      throw new CodecError(`raptorq returned ${out.length} bytes, expected ${this.transferLength}`);
    }
    this.decoded = out.length === this.transferLength ? out : out.slice(0, this.transferLength);
    this.releaseWasm();
    return true;
  }

  result(): Uint8Array | undefined {
    return this.decoded;
  }

  /** Idempotent. The decoded result (if any) stays readable: it lives in JS memory. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.releaseWasm();
    this.seen = new Uint8Array(0);
  }

  private releaseWasm(): void {
    const wasm = this.wasm;
    this.wasm = undefined;
    // wasm-bindgen's free() on an already-freed object would pass a null pointer to Rust.
    if (wasm !== undefined && !this.broken) wasm.free();
  }

  private growSeen(byte: number): void {
    let size = Math.max(this.seen.length, 64);
    while (size <= byte) size *= 2;
    const grown = new Uint8Array(Math.min(size, RAPTORQ_ENCODING_SYMBOL_ID_LIMIT / 8));
    grown.set(this.seen);
    this.seen = grown;
  }
}

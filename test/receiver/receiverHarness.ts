/** Test helpers: a manifest and a datagram source for a seeded file, and a driver for ReceiverCore. */
import { manifestOfBytes } from '../../control/bytesManifest.js';
import type { Manifest } from '../../control/messages.js';
import type { Codec, SegmentEncoder } from '../../encoder/codec.js';
import { datagramLength, writeDatagram } from '../../encoder/datagram.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { planSegments, segmentRange, type SegmentLayout } from '../../encoder/segmentLayout.js';
import { runDecodeJob } from '../../receiver/decodeJob.js';
import type { ReceiverCore } from '../../receiver/receiverCore.js';
import { SeededRandom } from '../../util/random.js';

export const SESSION = 0x5eed0001;

export function makeFile(size: number, seed: number): Uint8Array {
  return new SeededRandom(seed).fill(new Uint8Array(size));
}

export function makeManifest(
  data: Uint8Array,
  segmentSize: number,
  symbolSize: number,
  over: Partial<Manifest> = {},
  identity: { sha256?: boolean } = {},
): Manifest {
  return {
    ...manifestOfBytes(data, planSegments(data.length, { segmentSize, symbolSize }), { sessionId: SESSION, fileName: 'file.bin', ...identity }),
    ...over,
  };
}

/** Emits real datagrams: source symbols of a segment, then fresh repair symbols. */
export class TestSender {
  readonly layout: SegmentLayout;
  readonly codec: Codec = raptorqCodec();
  private readonly encoders = new Map<number, SegmentEncoder>();
  private readonly nextRepair = new Map<number, number>();
  sequence = 0;

  constructor(
    private readonly data: Uint8Array,
    segmentSize: number,
    symbolSize: number,
    private readonly sessionId = SESSION,
  ) {
    this.layout = planSegments(data.length, { segmentSize, symbolSize });
  }

  encoder(segment: number): SegmentEncoder {
    let e = this.encoders.get(segment);
    if (e === undefined) {
      const r = segmentRange(this.layout, segment);
      e = this.codec.createEncoder(this.data.subarray(r.offset, r.offset + r.length), { transferLength: r.length, symbolSize: this.layout.symbolSize });
      this.encoders.set(segment, e);
    }
    return e;
  }

  /** The datagram carrying symbol `esi` (source) of `segment`. */
  source(segment: number, esi: number, sequenceNumber = this.sequence++): Uint8Array {
    return this.packet(segment, esi, this.encoder(segment).sourceSymbol(esi), sequenceNumber);
  }

  /** The next fresh repair symbol of `segment`. */
  repair(segment: number): Uint8Array {
    const n = this.nextRepair.get(segment) ?? 0;
    this.nextRepair.set(segment, n + 1);
    const s = this.encoder(segment).repairSymbol(n);
    return this.packet(segment, s.encodingSymbolId, s.data, this.sequence++);
  }

  /** All source datagrams of a segment, in order. */
  allSource(segment: number): Uint8Array[] {
    const k = segmentRange(this.layout, segment).sourceSymbols;
    return Array.from({ length: k }, (_, i) => this.source(segment, i));
  }

  packet(segment: number, esi: number, symbol: Uint8Array, sequenceNumber: number, sessionId = this.sessionId): Uint8Array {
    const out = new Uint8Array(datagramLength(this.layout.symbolSize, crc32Scheme));
    writeDatagram(out, { sessionId, sequenceNumber, segmentIndex: segment, encodingSymbolId: esi }, symbol, crc32Scheme);
    return out;
  }

  free(): void {
    for (const e of this.encoders.values()) e.free();
    this.encoders.clear();
  }
}

/** Runs every decode job and write the core has, in place (inline), into `out`. */
export function pump(core: ReceiverCore, now: number, out: Uint8Array, codec: Codec = raptorqCodec()): number {
  let work = 0;
  for (;;) {
    let did = false;
    for (let job = core.pollDecodeJob(); job; job = core.pollDecodeJob()) {
      core.handleDecodeOutcome(now, runDecodeJob(job, codec, core.fileHashFor(job.segmentIndex)));
      did = true;
      work++;
    }
    for (let w = core.pollWrite(); w; w = core.pollWrite()) {
      out.set(w.data, w.offset);
      core.handleWriteDone(now, w.segmentIndex);
      did = true;
      work++;
    }
    if (!did) return work;
  }
}

/**
 * Warms the receive path up while a receiver waits for its sender (adapter helper).
 *
 * A fresh Node process runs its per-datagram code interpreted at first, and V8 compiles the hot
 * functions on helper threads as they get hot. In a receiver's first second that compiling and
 * the slower interpreted code cost CPU just when the stream starts; where several receivers share
 * cores with the sender, the stream thread then waits for a core and falls behind its pace.
 *
 * So, once per process, a receiver with nothing else to do (its sender is not up yet) runs the
 * code every datagram goes through — ReceiverCore.handleDatagram (intake, integrity tag,
 * collector, combined resends), the all-source "decode" and the whole-file hash, Progress — on
 * a synthetic transfer: a 6 MiB file of random bytes, its datagrams built by the sender's own
 * writer, 5 % of them lost (seeded) and sent again alone or combined. Nothing leaves the process
 * and nothing touches the disk; the objects are dropped at the end. It takes tens of
 * milliseconds (WARM_UP_SEGMENTS sets the size).
 * A receiver whose sender is already listening skips it: then it would only delay the transfer.
 * The gain is largest where receivers share cores (a test bed, a VM host, a small board); a
 * receiver alone on its machine pays its cold start with its own CPU and loses less to it.
 */
import { randomFillSync } from 'node:crypto';
import { manifestOfBytes } from '../control/bytesManifest.js';
import type { Codec } from '../encoder/codec.js';
import { datagramLength, writeCombinedDatagram, writeDatagram } from '../encoder/datagram.js';
import { nativeTagChecker } from '../encoder/crc32Tags.js';
import { integrityFor, TagKind } from '../encoder/integrity.js';
import { DEFAULT_SYMBOL_SIZE, planSegments, segmentRange } from '../encoder/segmentLayout.js';
import { xorInto } from '../encoder/sourceBlock.js';
import { SeededRandom } from '../util/random.js';
import { runDecodeJob } from './decodeJob.js';
import { ReceiverCore } from './receiverCore.js';

/** Segments of the synthetic file (1 MiB each: ~750 datagrams per segment at the default T). */
export const WARM_UP_SEGMENTS = 6;
const SEGMENT_SIZE = 1 << 20;
const LOSS = 0.05;
const SESSION_ID = 0x3a3a3a3a;

export interface WarmUpResult {
  /** Datagrams through handleDatagram: every source symbol once, lost ones in their resends. */
  datagrams: number;
  /** Of those, resends that XOR a lost symbol with one the receiver holds. */
  combined: number;
  /** The synthetic file came out whole (a check that the path really ran end to end). */
  complete: boolean;
  ms: number;
}

/** Runs the synthetic transfer once through a fresh ReceiverCore with `codec`. Never throws. */
export function warmUpReceivePath(codec: Codec, segments = WARM_UP_SEGMENTS): WarmUpResult {
  const started = performance.now();
  let datagrams = 0;
  let combined = 0;
  try {
    // The bytes do not matter (the loss pattern is seeded below); the native fill is ~20x faster
    // than a JS generator, and this runs in the receivers' start-up.
    const data = randomFillSync(new Uint8Array(segments * SEGMENT_SIZE - 1000)); // a short last segment too
    const random = new SeededRandom(0x5eed);
    const integrity = integrityFor(TagKind.Crc32);
    const layout = planSegments(data.length, { segmentSize: SEGMENT_SIZE, symbolSize: DEFAULT_SYMBOL_SIZE });
    const manifest = manifestOfBytes(data, layout, { sessionId: SESSION_ID, fileName: 'warm-up' });
    let now = 0;
    const core = new ReceiverCore({ manifest, codec, integrity, window: 8, now });
    // As the socket reader delivers them: views of one reused Buffer.
    const socketBuffer = Buffer.allocUnsafe(65_536);
    // And with their tags checked as the reader checks them, where the module does.
    const check = nativeTagChecker();
    const at = new Uint32Array(1);
    const lengthOf = new Uint32Array(1);
    const verdict = new Uint8Array(1);
    const out = new Uint8Array(datagramLength(DEFAULT_SYMBOL_SIZE, integrity, 2));
    const symbol = new Uint8Array(DEFAULT_SYMBOL_SIZE);
    let sequenceNumber = 0;
    const deliver = (length: number): void => {
      socketBuffer.set(out.subarray(0, length));
      now += 0.06; // ~190 Mbit/s
      lengthOf[0] = length;
      check?.(socketBuffer, at, lengthOf, 1, verdict);
      core.handleDatagram(now, socketBuffer.subarray(0, length), check ? verdict[0] === 1 : undefined);
      datagrams++;
    };
    const sourceSymbol = (s: number, esi: number): Uint8Array => {
      const r = segmentRange(layout, s);
      const from = r.offset + esi * layout.symbolSize;
      symbol.fill(0);
      symbol.set(data.subarray(from, Math.min(from + layout.symbolSize, r.offset + r.length)));
      return symbol;
    };
    const pump = (): void => {
      for (let job = core.pollDecodeJob(); job; job = core.pollDecodeJob())
        core.handleDecodeOutcome(now, runDecodeJob(job, codec, core.fileHashFor(job.segmentIndex)));
      for (let w = core.pollWrite(); w; w = core.pollWrite()) core.handleWriteDone(now, w.segmentIndex);
      core.pollProgress(now);
      core.pollTimeout();
    };
    for (let s = 0; s < layout.segmentCount; s++) {
      const k = segmentRange(layout, s).sourceSymbols;
      const lost: number[] = [];
      for (let esi = 0; esi < k; esi++) {
        const header = { sessionId: SESSION_ID, sequenceNumber: sequenceNumber++, segmentIndex: s, encodingSymbolId: esi };
        const length = writeDatagram(out, header, sourceSymbol(s, esi), integrity);
        if (random.next() < LOSS) lost.push(esi);
        else deliver(length);
        if ((esi & 63) === 63) pump();
      }
      pump();
      // The losses again: alone, or XORed with a symbol the receiver holds (a combined resend).
      for (let i = 0; i < lost.length; i++) {
        const esi = lost[i]!;
        const other = esi > 0 && !lost.includes(esi - 1) ? esi - 1 : -1;
        let length: number;
        if (i % 2 === 1 && other >= 0) {
          const xor = Uint8Array.from(sourceSymbol(s, other));
          xorInto(xor, sourceSymbol(s, esi));
          combined++;
          length = writeCombinedDatagram(out, { sessionId: SESSION_ID, sequenceNumber: sequenceNumber++, segmentIndex: s }, [other, esi], xor, integrity);
        } else {
          length = writeDatagram(
            out,
            { sessionId: SESSION_ID, sequenceNumber: sequenceNumber++, segmentIndex: s, encodingSymbolId: esi },
            sourceSymbol(s, esi),
            integrity,
          );
        }
        deliver(length);
      }
      pump();
    }
    pump();
    return { datagrams, combined, complete: core.complete && core.fileHashMatches(), ms: performance.now() - started };
  } catch {
    // Only a warm-up: the real transfer reports its own problems.
    return { datagrams, combined, complete: false, ms: performance.now() - started };
  }
}

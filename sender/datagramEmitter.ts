/**
 * DatagramEmitter: what every stream core does to put a symbol on the wire, whatever chose it.
 * It numbers datagrams (unwrapped in the core, u32 on the wire), remembers when each of the last
 * SEND_TIME_HISTORY went out (in-flight and report-delay estimates), paces them with a token
 * bucket and writes them (single or combined) into the adapter's buffer. Sans-IO: `now` is an
 * argument.
 */
import { datagramLength, writeCombinedDatagram, writeDatagram } from '../encoder/datagram.js';
import type { IntegrityScheme } from '../encoder/integrity.js';
import { SEND_TIME_HISTORY, SEQUENCE_MODULUS, unwrapSequence } from './sequence.js';
import { TokenBucket } from './tokenBucket.js';

export interface DatagramEmitterInit {
  sessionId: number;
  symbolSize: number;
  integrity: IntegrityScheme;
  /** Pace in bytes/s; 0 = unpaced. */
  rateBytesPerSecond: number;
  now: number;
  /** @default 0 */
  firstSequence?: number;
  /** Counters the emitter adds to (the core's stats object). */
  stats: { datagramsSent: number; bytesSent: number };
}

export class DatagramEmitter {
  /** Bytes of a single-symbol datagram. */
  readonly datagramBytes: number;
  private sequence: number;
  private readonly sendTimes = new Float64Array(SEND_TIME_HISTORY);
  private readonly bucket: TokenBucket;

  /** The emitter of a stream core made from `init`, paced at `rateBytesPerSecond` to begin with. */
  static forStream(
    init: { sessionId: number; layout: { symbolSize: number }; integrity: IntegrityScheme; now: number; firstSequence?: number },
    rateBytesPerSecond: number,
    stats: DatagramEmitterInit['stats'],
  ): DatagramEmitter {
    const { sessionId, integrity, now, firstSequence } = init;
    return new DatagramEmitter({ sessionId, symbolSize: init.layout.symbolSize, integrity, rateBytesPerSecond, now, firstSequence, stats });
  }

  constructor(private readonly init: DatagramEmitterInit) {
    this.sequence = init.firstSequence ?? 0;
    this.datagramBytes = datagramLength(init.symbolSize, init.integrity);
    this.bucket = new TokenBucket({ rateBytesPerSecond: init.rateBytesPerSecond, now: init.now });
  }

  /** The unwrapped number the next datagram gets. */
  get nextSequence(): number {
    return this.sequence;
  }

  get rateBytesPerSecond(): number {
    return this.bucket.rateBytesPerSecond;
  }

  setRate(now: number, rateBytesPerSecond: number): void {
    this.bucket.setRate(now, rateBytesPerSecond);
  }

  /** Earliest time (>= now) a datagram of `bytes` may go. */
  nextSendTime(now: number, bytes = this.datagramBytes): number {
    return this.bucket.nextSendTime(now, bytes);
  }

  /** Maps a wire (u32) sequence number a receiver reports to the unwrapped numbering. */
  unwrap(wire: number): number {
    return unwrapSequence(this.sequence - 1, wire);
  }

  /**
   * A reported highestSequence unwrapped, or undefined when it lies ahead of everything sent (a
   * forged datagram reached the receiver): unwrap would read it as 2^31 or more behind, which no
   * real report is, and every symbol since would look unreported.
   */
  unwrapReported(wire: number): number | undefined {
    const last = this.sequence - 1;
    if (last < 0 || ((wire - (last % SEQUENCE_MODULUS)) | 0) > 0) return undefined;
    return unwrapSequence(last, wire);
  }

  /** When datagram `seq` (unwrapped) went out, if it did and is still remembered. */
  sentAt(seq: number): number | undefined {
    if (seq < 0 || seq >= this.sequence || this.sequence - seq > SEND_TIME_HISTORY) return undefined;
    return this.sendTimes[seq % SEND_TIME_HISTORY];
  }

  /** How many datagrams after `seq` (unwrapped) went out before `before` (as far as remembered). */
  sentBetween(seq: number, before: number): number {
    let lo = Math.max(seq + 1, this.sequence - SEND_TIME_HISTORY, 0);
    let hi = this.sequence; // send times rise with the sequence: find the first at or after `before`
    const start = lo;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.sendTimes[mid % SEND_TIME_HISTORY]! < before) lo = mid + 1;
      else hi = mid;
    }
    return lo - start;
  }

  /**
   * Writes one symbol's datagram, into `into` when it is long enough (a view of it is returned)
   * so the adapter can recycle buffers, else into a new buffer. Call when nextSendTime(now) <= now.
   */
  emit(now: number, segmentIndex: number, encodingSymbolId: number, symbol: Uint8Array, into?: Uint8Array): Uint8Array {
    const out = this.buffer(this.datagramBytes, into);
    writeDatagram(out, { sessionId: this.init.sessionId, sequenceNumber: this.next(now), segmentIndex, encodingSymbolId }, symbol, this.init.integrity);
    this.sent(now, out.length);
    return out;
  }

  /** Writes a datagram carrying the XOR `symbol` of source symbols `ids` (resends combined). */
  emitCombined(now: number, segmentIndex: number, ids: readonly number[], symbol: Uint8Array, into?: Uint8Array): Uint8Array {
    // Longer than the buffers the adapter recycles: a fresh one then.
    const out = this.buffer(datagramLength(this.init.symbolSize, this.init.integrity, ids.length), into);
    writeCombinedDatagram(out, { sessionId: this.init.sessionId, sequenceNumber: this.next(now), segmentIndex }, ids, symbol, this.init.integrity);
    this.sent(now, out.length);
    return out;
  }

  private buffer(bytes: number, into: Uint8Array | undefined): Uint8Array {
    if (into === undefined || into.length < bytes) return new Uint8Array(bytes);
    return into.length === bytes ? into : into.subarray(0, bytes);
  }

  /** Numbers the datagram going out at `now`; returns its wire number. */
  private next(now: number): number {
    const seq = this.sequence++;
    this.sendTimes[seq % SEND_TIME_HISTORY] = now;
    return seq % SEQUENCE_MODULUS;
  }

  private sent(now: number, bytes: number): void {
    this.bucket.consume(now, bytes);
    this.init.stats.datagramsSent++;
    this.init.stats.bytesSent += bytes;
  }
}

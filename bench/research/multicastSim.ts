/**
 * One shared (multicast) stream on virtual time: the real SharedStream and one real ReceiverCore
 * per receiver, each behind its own seeded channel (loss model, delay, reordering, duplication;
 * by default Bernoulli loss at `loss` with a fixed one-way delay). Progress goes straight to the
 * stream after the delay (the control plane is tested elsewhere); Stop is a removal. Receivers
 * may join late or die (stop receiving and reporting; removed after `removeAfterMs`, as an idle
 * timeout would). Decode jobs run inline and are timed. No sockets, no sleeping.
 *
 * Used by the simulated tests (test/sim) and by the research harness (bench/research).
 */
import type { Manifest, Progress } from '../../control/messages.js';
import type { Codec } from '../../encoder/codec.js';
import { parseDatagram } from '../../encoder/datagram.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { planSegments, segmentRange, type SegmentLayout } from '../../encoder/segmentLayout.js';
import { runDecodeJob } from '../../receiver/decodeJob.js';
import { ReceiverCore } from '../../receiver/receiverCore.js';
import { SharedStream, type SharedStreamInit } from '../../sender/sharedStream.js';
import { SeededRandom } from '../../util/random.js';
import type { Channel } from './lossModels.js';
import type { ModelReceiver } from './modelReceiver.js';
import { manifestOfBytes } from '../../control/bytesManifest.js';

export interface SharedSimReceiver {
  id: string;
  /** Bernoulli loss when no `channel` is given. */
  loss: number;
  /** This receiver's path (overrides `loss` and the one-way delay). */
  channel?: Channel;
  /** Virtual ms at which it sends Request. @default 0 */
  joinAt?: number;
  /** Virtual ms at which it dies. */
  killAt?: number;
  window?: number;
}

export interface SharedSimOptions {
  data: Uint8Array;
  codec: Codec;
  segmentSize: number;
  /** T, bytes per symbol. @default the product's (1392) */
  symbolSize?: number;
  rateBytesPerSecond: number;
  seed: number;
  receivers: SharedSimReceiver[];
  oneWayDelayMs?: number;
  /** A dead receiver is removed this long after it died. @default 2000 */
  removeAfterMs?: number;
  maxVirtualMs?: number;
  /** Extra SharedStream settings (e.g. slowDropAfterMs, recovery). */
  stream?: Partial<SharedStreamInit>;
  /** Keep each receiver's output bytes (tests compare them). Experiments rely on the cores'
   * SHA-256 checks instead and save the memory. @default true */
  storeOutput?: boolean;
  /** `--decode model`: a ModelReceiver per receiver instead of a ReceiverCore (no data path). */
  modelReceiver?: (layout: SegmentLayout, window: number, seed: number) => ModelReceiver;
  /**
   * Advance virtual time by at least this much per step (events due meanwhile are handled
   * together, up to this late). 0 = exact. A step costs O(receivers), so with thousands of
   * receivers a quantum of ~0.25 ms (about 20 datagrams at 1 Gbit/s; the token bucket holds
   * 2 ms) is what keeps a run to seconds. @default 0
   */
  quantumMs?: number;
}

interface Timed<T> {
  at: number;
  value: T;
}

export class SimReceiver {
  core?: ReceiverCore | ModelReceiver;
  readonly output: Uint8Array;
  completedAt?: number;
  /** Wall ms spent in this receiver's decode jobs (codec work and hashing). */
  decodeMs = 0;
  joined = false;
  dead = false;
  /** Why the stream dropped it, if it did. */
  droppedFor?: string;
  removed = false;
  readonly inbox: Timed<Uint8Array>[] = [];
  readonly random: SeededRandom;
  constructor(
    readonly cfg: SharedSimReceiver,
    size: number,
    seed: number,
  ) {
    this.output = new Uint8Array(size); // size 0 when outputs are not stored
    this.random = new SeededRandom(seed);
  }
}

export class SharedSimulation {
  now = 0;
  readonly stream: SharedStream;
  readonly receivers: SimReceiver[];
  /** Repair ESIs sent per segment, to check none repeats. */
  readonly repairIds = new Map<number, Set<number>>();
  repeatedRepairIds = 0;
  /** Wall ms the stream spent producing datagrams (encoding included). */
  senderMs = 0;
  private readonly toSender: Timed<{ id: string; p: Progress | 'stop' }>[] = [];
  private readonly layout: SegmentLayout;
  private readonly manifest: Manifest;
  private readonly delay: number;

  constructor(private readonly o: SharedSimOptions) {
    this.delay = o.oneWayDelayMs ?? 0.25;
    this.layout = planSegments(o.data.length, { segmentSize: o.segmentSize, symbolSize: o.symbolSize });
    this.manifest = manifestOfBytes(o.data, this.layout, {
      sessionId: 0x5a5a,
      fileName: 'shared.bin',
      codec: o.codec.name,
      rateBytesPerSecond: o.rateBytesPerSecond,
    });
    this.stream = new SharedStream({
      sessionId: 0x5a5a,
      layout: this.layout,
      codec: o.codec,
      integrity: crc32Scheme,
      rateBytesPerSecond: o.rateBytesPerSecond,
      now: 0,
      ...o.stream,
    });
    this.receivers = o.receivers.map((r, i) => new SimReceiver(r, o.storeOutput === false ? 0 : o.data.length, o.seed * 1000 + i));
  }

  /** Runs until every receiver completed or was removed (or the virtual time limit). */
  run(): this {
    const limit = this.o.maxVirtualMs ?? 120_000;
    for (let guard = 0; guard < 5_000_000; guard++) {
      this.step();
      if (this.receivers.every((r) => r.removed) && this.toSender.length === 0) return this;
      const next = this.nextDeadline();
      if (next === undefined || next > limit) return this;
      this.now = Math.max(this.now + (this.o.quantumMs ?? 0), next);
    }
    throw new Error(`shared simulation did not settle at ${this.now} ms`);
  }

  private removeAt(r: SimReceiver): number | undefined {
    return r.cfg.killAt === undefined ? undefined : r.cfg.killAt + (this.o.removeAfterMs ?? 2000);
  }

  private nextDeadline(): number | undefined {
    let next = Infinity;
    const consider = (t: number | undefined) => {
      if (t !== undefined && t < next) next = t;
    };
    consider(this.stream.pollTimeout());
    consider(this.toSender[0]?.at);
    for (const r of this.receivers) {
      if (r.removed) continue;
      if (!r.joined) consider(r.cfg.joinAt ?? 0);
      else if (!r.dead) {
        consider(r.cfg.killAt);
        consider(r.core?.pollTimeout());
        consider(r.inbox[0]?.at);
      } else consider(this.removeAt(r));
    }
    return next === Infinity ? undefined : next;
  }

  private step(): void {
    const now = this.now;
    for (const r of this.receivers) this.lifecycle(r, now);
    while (this.toSender[0] && this.toSender[0].at <= now) {
      const { id, p } = this.toSender.shift()!.value;
      if (p === 'stop') this.stream.removeMember(now, id);
      else this.stream.handleProgress(now, id, p);
    }
    for (const r of this.receivers) {
      if (!r.joined || r.dead || r.removed) continue;
      const core = r.core!;
      while (r.inbox[0] && r.inbox[0].at <= now) {
        core.handleDatagram(now, r.inbox.shift()!.value);
        // Decode as soon as a segment is ready, not at the end of the step: symbols that arrive
        // in the same step would otherwise count as reception overhead.
        if (core instanceof ReceiverCore) this.pumpDecodes(r, core, now);
      }
      this.pumpReceiver(r, now);
    }
    for (const d of this.stream.pollDropped()) {
      const r = this.receivers.find((x) => x.cfg.id === d.id)!;
      r.droppedFor = d.reason;
      r.removed = true;
    }
    for (let i = this.stream.pollSegmentLoad(); i !== undefined; i = this.stream.pollSegmentLoad()) {
      const range = segmentRange(this.layout, i);
      this.stream.provideSegment(now, i, this.o.data.slice(range.offset, range.offset + range.length));
    }
    for (;;) {
      const t0 = performance.now();
      const d = this.stream.pollTransmit(now);
      this.senderMs += performance.now() - t0;
      if (!d) break;
      this.noteRepair(d);
      for (const r of this.receivers) {
        if (!r.joined || r.dead || r.removed) continue;
        if (r.cfg.channel) for (const at of r.cfg.channel.deliver(now)) insertByTime(r.inbox, { at, value: d });
        else if (r.random.next() >= r.cfg.loss) r.inbox.push({ at: now + this.delay, value: d });
      }
    }
  }

  private lifecycle(r: SimReceiver, now: number): void {
    if (!r.joined && now >= (r.cfg.joinAt ?? 0)) {
      r.joined = true;
      const window = r.cfg.window ?? 8;
      r.core = this.o.modelReceiver
        ? this.o.modelReceiver(this.layout, window, r.random.seed ^ 0x2545f491)
        : new ReceiverCore({ manifest: this.manifest, codec: this.o.codec, integrity: crc32Scheme, window, now });
      this.stream.addMember(now, r.cfg.id, r.cfg.window ?? 8);
    }
    if (r.joined && !r.dead && r.cfg.killAt !== undefined && now >= r.cfg.killAt) {
      r.dead = true;
      r.inbox.length = 0;
    }
    if (r.dead && !r.removed && now >= this.removeAt(r)!) {
      r.removed = true;
      this.stream.removeMember(now, r.cfg.id);
    }
  }

  private pumpReceiver(r: SimReceiver, now: number): void {
    const core = r.core!;
    if (core instanceof ReceiverCore) this.pumpDecodes(r, core, now);
    const p = core.pollProgress(now);
    if (p) this.toSender.push({ at: now + this.delay, value: { id: r.cfg.id, p } });
    if (core.complete && r.completedAt === undefined) {
      r.completedAt = now;
      r.removed = true;
      this.toSender.push({ at: now + this.delay, value: { id: r.cfg.id, p: 'stop' } });
    }
  }

  /** Decode jobs inline (timed) and writes into the output. */
  private pumpDecodes(r: SimReceiver, core: ReceiverCore, now: number): void {
    for (let job = core.pollDecodeJob(); job; job = core.pollDecodeJob()) {
      const t0 = performance.now();
      const outcome = runDecodeJob(job, this.o.codec);
      r.decodeMs += performance.now() - t0;
      core.handleDecodeOutcome(now, outcome);
    }
    for (let w = core.pollWrite(); w; w = core.pollWrite()) {
      if (r.output.length > 0) r.output.set(w.data, w.offset);
      core.handleWriteDone(now, w.segmentIndex);
    }
  }

  private noteRepair(d: Uint8Array): void {
    const parsed = parseDatagram(d, {
      sessionId: 0x5a5a,
      symbolSize: this.layout.symbolSize,
      segmentCount: this.layout.segmentCount,
      encodingSymbolIdLimit: this.o.codec.encodingSymbolIdLimit,
      integrity: crc32Scheme,
    });
    if (!parsed.ok) throw new Error(`stream emitted an invalid datagram: ${parsed.reason}`);
    const { segmentIndex, encodingSymbolId } = parsed;
    if (encodingSymbolId < segmentRange(this.layout, segmentIndex).sourceSymbols) return;
    const seen = this.repairIds.get(segmentIndex) ?? new Set<number>();
    if (seen.has(encodingSymbolId)) this.repeatedRepairIds++;
    seen.add(encodingSymbolId);
    this.repairIds.set(segmentIndex, seen);
  }
}

/** Inserts keeping `at` order (reordered datagrams arrive after later-sent ones). */
function insertByTime<T>(queue: Timed<T>[], item: Timed<T>): void {
  let i = queue.length;
  while (i > 0 && queue[i - 1]!.at > item.at) i--;
  queue.splice(i, 0, item);
}

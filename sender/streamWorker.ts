/**
 * Worker thread entry (adapter) for one stream, unicast or shared (workerData.mode): runs its
 * StreamCore, reads the segments it asks for from the object (the file, or a tree's files,
 * objectReader.ts), sends its datagrams on a connected
 * UDP socket (the receiver's port, or the multicast group / broadcast address, as planned by
 * streamSocket.ts), and sleeps until
 * the core's next deadline (at least PACE_QUANTUM_MS while nothing is due). The send loop is the DatagramPump. Members, reports and the stop come
 * as messages from the main thread, which owns the control connections.
 */
import { createSocket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { integrityFor, TagKind } from '../encoder/integrity.js';
import { crc32Unsealed, sealCrc32Datagram, slotSealer } from '../encoder/crc32Tags.js';
import { codecByName } from '../encoder/codecs.js';
import { maxCombinedSymbols } from '../encoder/datagram.js';
import { DatagramBatchPump, nativeSendBatch } from './datagramBatchPump.js';
import { DatagramPump } from './datagramPump.js';
import { socketDescriptor } from '../util/socketDescriptor.js';
import { ObjectReader } from './objectReader.js';
import { SourceFileError } from './sourceFileError.js';
import { SpoolReader } from './spoolReader.js';
import { segmentRange } from '../encoder/segmentLayout.js';
import { BitSet } from '../util/bitset.js';
import { BufferPool } from '../util/bufferPool.js';
import { followPacingPriority } from '../util/threadPriority.js';
import { SharedStream } from './sharedStream.js';
import { connectStreamSocket } from './streamSocket.js';
import { emptyStreamStats, type StreamCore } from './streamCore.js';
import type { FromStreamWorker, StreamFinishReason, StreamWorkerData, ToStreamWorker } from './streamMessages.js';
import { UnicastStream } from './unicastStream.js';

const data = workerData as StreamWorkerData;
const port = parentPort!;
const priority = followPacingPriority(data.rateBytesPerSecond > 0, data.streamNice ?? 0);
const post = (m: FromStreamWorker) => port.postMessage(m);

const codec = codecByName(data.codecName ?? 'raptorq', data.wasmModule);
const tagKind = data.tagKind ?? TagKind.Crc32;
// CRC-32 tags are written by the pump as the kernel takes each batch (encoder/crc32Tags.ts):
// the core leaves them out, and every datagram it makes goes through the pump.
const sealsOnSend = tagKind === TagKind.Crc32;
const integrity = sealsOnSend ? crc32Unsealed : integrityFor(tagKind, data.dataKey);
// Segment reads reuse the buffers of segments whose encoders are freed (see BufferPool).
const buffers = new BufferPool();
const onSegmentFreed = (bytes: Uint8Array) => buffers.give(bytes, bytes.length);

/** Made on 'start' (or at once without waitForStart): its clocks start when the stream does. */
function makeCore(now: number): StreamCore {
  const common = {
    sessionId: data.sessionId,
    layout: data.layout,
    codec,
    integrity,
    rateBytesPerSecond: data.rateBytesPerSecond,
    fixedRate: data.fixedRate,
    recovery: data.recovery,
    now,
    onSegmentFreed,
    // A copy: the core's set grows by segmentAvailable, this one by the messages before it existed.
    ...(available ? { available: BitSet.fromBytes(data.layout.segmentCount, available.toBytes())! } : {}),
  };
  if (data.mode === 'unicast') {
    const growing = data.spool !== undefined && !data.spool.final;
    const stream = new UnicastStream({ ...common, window: data.window, stallTimeoutMs: data.stallTimeoutMs, growing });
    stream.addMember(now, 'receiver', data.window, heldOf(data.held));
    return stream;
  }
  // Combined resends sized to the stream's family: IPv6's longer header leaves less room.
  const family = data.socket.type === 'udp6' ? 6 : 4;
  const combineMax = data.combineResends === false ? 1 : maxCombinedSymbols(data.layout.symbolSize, integrity, family);
  return new SharedStream({ ...common, combineMax, repeatFinalResends: data.repeatFinalResends !== false, carousel: data.carousel });
}

/** A member's held segments (resume) as posted: the bitmap's bytes, checked by its session. */
function heldOf(bytes: Uint8Array | undefined): BitSet | undefined {
  return bytes === undefined ? undefined : BitSet.fromBytes(data.layout.segmentCount, bytes);
}

let core: StreamCore | undefined;
/** An object still arriving (cut-through): the segments readable so far, kept from before the core exists. */
const available = data.incoming ? BitSet.fromBytes(data.layout.segmentCount, data.incoming.available) : undefined;
if (data.incoming && !available) throw new RangeError('the incoming bitmap does not fit the layout');
let started = !data.waitForStart;
/** Socket bound and connected (files open on the first read). */
let ready = false;
const socket = createSocket({ type: data.socket.type, sendBufferSize: 4 << 20 });
// A piped object is read from its spool while it grows (spoolReader.ts), an object still
// arriving from what is written of it so far: neither keeps the size and mtime it was opened with.
const object = data.incoming
  ? new SpoolReader(data.incoming.path, 'the object arriving at')
  : data.mode === 'unicast' && data.spool
    ? new SpoolReader(data.spool.path)
    : new ObjectReader(data.parts);
let timer: NodeJS.Timeout | undefined;
let scheduled = false;
let done = false;
// Unicast: on a connected socket, ICMP "port unreachable" (receiver gone or not yet bound) comes
// back as a send or socket error: transient, the control channel decides that receiver's fate.
// A multicast or broadcast send has no peer to refuse it: only a full buffer is transient.
const TRANSIENT = data.mode === 'unicast' ? /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOBUFS/ : /ENOBUFS/;
const pumpHooks = {
  onError: (err: Error) => {
    if (!TRANSIENT.test(err.message)) finish('error', `UDP send failed: ${err.message}`);
  },
  onDrained: () => schedule(),
};
/** node:dgram sends; once the socket is connected, batched sendmmsg where the native module has it. */
let pump: Pick<DatagramPump, 'pump' | 'idle' | 'close'> = new DatagramPump(socket, {
  // Connected (connectStreamSocket): no per-send address handling.
  send: (buf, callback) => {
    if (sealsOnSend) sealCrc32Datagram(buf);
    return callback ? socket.send(buf, callback) : socket.send(buf);
  },
  ...pumpHooks,
});

function ensureCore(): StreamCore | undefined {
  if (started) core ??= makeCore(performance.now());
  return core;
}

function finish(reason: StreamFinishReason, message?: string, sourceChanged = false): void {
  if (done) return;
  done = true;
  clearTimeout(timer);
  clearInterval(statsTimer);
  pump.close();
  if (core && !core.finished) core.stop(performance.now(), message ?? reason);
  post({ type: 'finished', reason, message, stats: core?.stats ?? emptyStreamStats(), ...(sourceChanged ? { sourceChanged } : {}) });
  socket.close();
  void object.close().catch(() => undefined);
  port.close();
}

/**
 * Shortest sleep while nothing is due: a paced stream then sends this much of its rate per
 * wake-up instead of a datagram or two each millisecond (each wake-up costs about as much as the
 * sends it makes). The token bucket holds 8 ms of rate (tokenBucket.ts), so the rate is kept.
 */
const PACE_QUANTUM_MS = 4;

function schedule(): void {
  if (scheduled || done || !ready || !started) return;
  scheduled = true;
  setImmediate(run);
}

/** The object's layout: a growing one's as last extended. */
let layout = data.layout;

async function load(index: number): Promise<void> {
  const { offset, length } = segmentRange(layout, index);
  core!.provideSegment(performance.now(), index, await object.read(offset, length, buffers.take(length)));
}

function run(): void {
  scheduled = false;
  const c = ensureCore();
  if (done || !ready || !c) return;
  for (let i = c.pollSegmentLoad(); i !== undefined; i = c.pollSegmentLoad()) {
    load(i).then(schedule, (e: Error) => finish('error', `reading segment ${i}: ${e.message}`, e instanceof SourceFileError));
  }
  if (!pump.pump(performance.now(), c)) return; // paused on a full socket queue: onDrained reschedules
  if (c.finished) {
    if (pump.idle) finish(c.finishReason === 'complete' ? 'complete' : 'stopped', c.finishReason);
    return;
  }
  clearTimeout(timer);
  const at = c.pollTimeout();
  if (at !== undefined) {
    const wait = at - performance.now();
    if (wait <= 0) schedule();
    else timer = setTimeout(run, Math.max(wait, PACE_QUANTUM_MS));
  }
}

const statsTimer = setInterval(() => {
  if (core) post({ type: 'stats', stats: core.stats });
  priority?.tick();
}, 250);

port.on('message', (m: ToStreamWorker) => {
  if (done) return;
  const now = performance.now();
  if (m.type === 'start') started = true;
  if (m.type === 'available' && m.index >= 0 && m.index < data.layout.segmentCount) available?.add(m.index);
  const c = ensureCore();
  if (m.type === 'stop') {
    if (!c) return finish('stopped', m.reason); // before it ever sent
    c.stop(now, m.reason);
  } else if (c && m.type === 'join') c.addMember(now, m.id, m.window, heldOf(m.held));
  else if (c && m.type === 'leave') c.removeMember(now, m.id);
  else if (c && m.type === 'progress') c.handleProgress(now, m.id, m.progress);
  else if (c && m.type === 'available') c.segmentAvailable(now, m.index);
  else if (c && m.type === 'grow') {
    layout = m.layout;
    c.extend?.(now, m.layout, m.final);
  }
  for (const d of c?.pollDropped() ?? []) post({ type: 'drop', id: d.id, reason: d.reason });
  schedule();
});

/** Connects the socket, picks the pump, and starts; no top-level await (the build bundles this entry as a classic script). */
async function open(): Promise<void> {
  // Its errors name what failed; the socket's later errors are handled from here on.
  await connectStreamSocket(socket, data.socket);
  const sendBatch = nativeSendBatch();
  const descriptor = sendBatch && socketDescriptor(socket);
  // UDP GSO unless FOUNTCAST_GSO=0 (the pump falls back by itself where the kernel refuses it).
  if (sendBatch && descriptor) {
    pump = new DatagramBatchPump(descriptor.fd, sendBatch, pumpHooks, process.env.FOUNTCAST_GSO !== '0', sealsOnSend ? slotSealer() : undefined);
  }
  socket.on('error', (e) => {
    if (!TRANSIENT.test(e.message)) finish('error', `UDP socket error: ${e.message}`);
  });
  ready = true;
  schedule();
}
open().catch((e: Error) => finish('error', e.message));

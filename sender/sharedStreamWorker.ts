/**
 * Worker thread entry (adapter): the one shared multicast/broadcast stream. Runs a SharedStream
 * core, reads the segments it asks for (again, for late joiners), sends its datagrams to the
 * group or broadcast address, and sleeps until the core's next deadline. Members come and go
 * as messages from the main thread, which owns the control connections.
 */
import { createSocket } from 'node:dgram';
import { open, type FileHandle } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { integrityFor, TagKind } from '../encoder/integrity.js';
import { codecByName } from '../encoder/codecs.js';
import { DatagramPump } from './datagramPump.js';
import { readSegment } from './segmentReader.js';
import { segmentRange } from '../encoder/segmentLayout.js';
import { BufferPool } from '../util/bufferPool.js';
import { followPacingPriority } from '../util/threadPriority.js';
import { SharedStream } from './sharedStreamCore.js';
import type { FromSharedWorker, SharedWorkerData, ToSharedWorker } from './sharedWorkerMessages.js';

const data = workerData as SharedWorkerData;
const port = parentPort!;
const priority = followPacingPriority(data.rateBytesPerSecond > 0, data.streamNice ?? 0);
const post = (m: FromSharedWorker) => port.postMessage(m);

// Segment reads reuse the buffers of segments whose encoders are freed (see BufferPool).
const buffers = new BufferPool();
const core = new SharedStream({
  sessionId: data.sessionId,
  layout: data.layout,
  codec: codecByName(data.codecName ?? 'raptorq', data.wasmModule),
  recovery: data.recovery,
  combineMax: data.combineResends === false ? 1 : undefined,
  integrity: integrityFor(data.tagKind ?? TagKind.Crc32, data.dataKey),
  rateBytesPerSecond: data.rateBytesPerSecond,
  fixedRate: data.fixedRate,
  carousel: data.carousel,
  now: performance.now(),
  onSegmentFreed: (bytes) => buffers.give(bytes, bytes.length),
});
const destination = data.dataPlane.mode === 'multicast' ? data.dataPlane.group : (data.broadcastAddress ?? '255.255.255.255');
const socket = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
let file: FileHandle | undefined;
let timer: NodeJS.Timeout | undefined;
let scheduled = false;
let done = false;
/** Members may join before the file and socket are open; nothing runs until then. */
let ready = false;
/** Booted ahead of the stream's start (waitForStart): nothing is sent before 'start'. */
let started = !data.waitForStart;
const pump = new DatagramPump(socket, {
  // Connected to the group or broadcast address (below): a send with an address would go
  // through an asynchronous lookup, and the pump would reuse the buffer before it left.
  send: (buf, callback) => (callback ? socket.send(buf, callback) : socket.send(buf)),
  // A multicast send has no peer to refuse it; anything but a full buffer is a real socket problem.
  onError: (err) => {
    if (!/ENOBUFS/.test(err.message)) finish('error', `UDP send failed: ${err.message}`);
  },
  onDrained: () => schedule(),
});

function finish(reason: 'stopped' | 'error', message?: string): void {
  if (done) return;
  done = true;
  clearTimeout(timer);
  clearInterval(statsTimer);
  pump.close();
  post({ type: 'finished', reason, message, stats: core.stats });
  socket.close();
  void file?.close().catch(() => undefined);
  port.close();
}

function schedule(): void {
  if (scheduled || done || !ready || !started) return;
  scheduled = true;
  setImmediate(run);
}

async function load(index: number): Promise<void> {
  const length = segmentRange(data.layout, index).length;
  core.provideSegment(performance.now(), index, await readSegment(file!, data.filePath, data.layout, index, buffers.take(length)));
}

function run(): void {
  scheduled = false;
  if (done) return;
  for (let i = core.pollSegmentLoad(); i !== undefined; i = core.pollSegmentLoad()) {
    load(i).then(schedule, (e: Error) => finish('error', `reading ${data.filePath}: ${e.message}`));
  }
  if (!pump.pump(performance.now(), core)) return; // paused on a full socket queue: onDrained reschedules
  clearTimeout(timer);
  const at = core.pollTimeout();
  if (at !== undefined) {
    const wait = at - performance.now();
    if (wait <= 0) schedule();
    else timer = setTimeout(run, wait);
  }
}

const statsTimer = setInterval(() => {
  post({ type: 'stats', stats: core.stats });
  priority?.tick();
}, 250);

port.on('message', (m: ToSharedWorker) => {
  if (done) return;
  const now = performance.now();
  if (m.type === 'start') started = true;
  else if (m.type === 'join') core.addMember(now, m.id, m.window);
  else if (m.type === 'leave') core.removeMember(now, m.id);
  else if (m.type === 'progress') core.handleProgress(now, m.id, m.progress);
  else return finish('stopped', m.reason);
  for (const d of core.pollDropped()) post({ type: 'drop', id: d.id, reason: d.reason });
  schedule();
});

socket.on('error', (e) => finish('error', `UDP socket error: ${e.message}`));
try {
  file = await open(data.filePath, 'r');
  await new Promise<void>((resolve) => socket.bind(0, data.interfaceAddress, resolve));
  if (data.dataPlane.mode === 'multicast') {
    socket.setMulticastTTL(data.ttl ?? 1);
    socket.setMulticastLoopback(true); // receivers on the sender's own host
    if (data.interfaceAddress) socket.setMulticastInterface(data.interfaceAddress);
  } else {
    socket.setBroadcast(true);
  }
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(data.dataPlane.port, destination, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  ready = true;
  schedule();
} catch (e) {
  finish('error', (e as Error).message);
}

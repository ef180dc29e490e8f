/**
 * Worker thread entry (adapter): one receiver's stream. Runs a SenderStream core, reads the
 * segments it asks for from the file, sends its datagrams on a UDP socket, and sleeps until the
 * core's next deadline. The send loop is the shared DatagramPump.
 */
import { createSocket } from 'node:dgram';
import { open, type FileHandle } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { integrityFor } from '../encoder/integrity.js';
import { codecByName } from '../encoder/codecs.js';
import { DatagramPump } from './datagramPump.js';
import { readSegment } from './segmentReader.js';
import { segmentRange } from '../encoder/segmentLayout.js';
import { BufferPool } from '../util/bufferPool.js';
import { followPacingPriority } from '../util/threadPriority.js';
import { emptyStreamStats, SenderStream } from './streamCore.js';
import type { FromStreamWorker, StreamFinishReason, StreamWorkerData, ToStreamWorker } from './workerMessages.js';

const data = workerData as StreamWorkerData;
const port = parentPort!;
const priority = followPacingPriority(data.rateBytesPerSecond > 0, data.streamNice ?? 0);

function post(m: FromStreamWorker): void {
  port.postMessage(m);
}

const codec = codecByName(data.codecName, data.wasmModule);
// Segment reads reuse the buffers of segments whose encoders are freed (see BufferPool).
const buffers = new BufferPool();
/**
 * The stream core, made on the first run: at once, or, with waitForStart, when the receiver's
 * Request arrives (its clocks start then, not while the receiver was still setting up).
 */
let core: SenderStream | undefined;
let startRequested = !data.waitForStart;
/** File open and socket connected. */
let ready = false;
const makeCore = (): SenderStream => new SenderStream({
  sessionId: data.sessionId,
  layout: data.layout,
  codec,
  integrity: integrityFor(data.tagKind, data.dataKey),
  rateBytesPerSecond: data.rateBytesPerSecond,
  fixedRate: data.fixedRate,
  recovery: data.recovery,
  window: data.window,
  now: performance.now(),
  onSegmentFreed: (bytes) => buffers.give(bytes, bytes.length),
  stallTimeoutMs: data.stallTimeoutMs,
});
const socket = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
let file: FileHandle | undefined;
let timer: NodeJS.Timeout | undefined;
let scheduled = false;
let done = false;
let loads = 0;
// On a connected socket, ICMP "port unreachable" (receiver gone or not yet bound) comes back as
// a send or socket error: transient, the control channel decides that receiver's fate.
const TRANSIENT = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOBUFS/;
const pump = new DatagramPump(socket, {
  // A connected socket skips the per-send address handling (measurably faster).
  send: (buf, callback) => (callback ? socket.send(buf, callback) : socket.send(buf)),
  onError: (err) => {
    if (!TRANSIENT.test(err.message)) finish('error', `UDP send failed: ${err.message}`);
  },
  onDrained: () => schedule(),
});

function finish(reason: StreamFinishReason, message?: string): void {
  if (done) return;
  done = true;
  clearTimeout(timer);
  clearInterval(statsTimer);
  pump.close();
  if (core && !core.finished) core.stop(performance.now(), message ?? reason);
  post({ type: 'finished', reason, message, stats: core?.stats ?? emptyStreamStats() });
  socket.close();
  void file?.close().catch(() => undefined);
  port.close();
}

function schedule(): void {
  if (scheduled || done) return;
  scheduled = true;
  setImmediate(run);
}

async function load(index: number): Promise<void> {
  const length = segmentRange(data.layout, index).length;
  core!.provideSegment(performance.now(), index, await readSegment(file!, data.filePath, data.layout, index, buffers.take(length)));
}

function run(): void {
  scheduled = false;
  if (done || !startRequested || !ready) return;
  core ??= makeCore();
  for (let i = core.pollSegmentLoad(); i !== undefined; i = core.pollSegmentLoad()) {
    loads++;
    load(i).then(
      () => {
        loads--;
        schedule();
      },
      (e: Error) => finish('error', `reading ${data.filePath}: ${e.message}`),
    );
  }
  if (!pump.pump(performance.now(), core)) return; // paused on a full socket queue: onDrained reschedules
  if (core.finished) {
    if (pump.idle) finish(core.finishReason === 'complete' ? 'complete' : 'stopped', core.finishReason);
    return;
  }
  clearTimeout(timer);
  const at = core.pollTimeout();
  if (at !== undefined) {
    const wait = at - performance.now();
    if (wait <= 0) schedule();
    else timer = setTimeout(run, wait);
  }
}

const statsTimer = setInterval(() => {
  if (core) post({ type: 'stats', stats: core.stats });
  priority?.tick();
}, 250);

port.on('message', (m: ToStreamWorker) => {
  if (done) return;
  if (m.type === 'start') startRequested = true;
  else if (m.type === 'stop' && !core) return finish('stopped', m.reason); // before it ever sent
  else if (m.type === 'progress') core?.handleProgress(performance.now(), m.progress);
  else if (m.type === 'stop') core?.stop(performance.now(), m.reason);
  schedule();
});

socket.on('error', (e) => {
  if (!TRANSIENT.test(e.message)) finish('error', `UDP socket error: ${e.message}`);
});
try {
  file = await open(data.filePath, 'r');
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(data.destination.port, data.destination.address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  ready = true;
  schedule();
} catch (e) {
  finish('error', (e as Error).message);
}
void loads;

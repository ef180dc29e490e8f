/**
 * Worker thread entry (adapter): one receiver's stream. Runs a SenderStream core, reads the
 * segments it asks for from the file, sends its datagrams on a UDP socket, and sleeps until the
 * core's next deadline. The socket's send queue is bounded so a slow kernel path cannot make
 * memory grow.
 */
import { createSocket } from 'node:dgram';
import { open, type FileHandle } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { crc32Scheme } from '../encoder/integrity.js';
import { loadRaptorQ } from '../encoder/raptorq.js';
import { readSegment } from './segmentReader.js';
import { SenderStream } from './streamCore.js';
import type { FromStreamWorker, StreamFinishReason, StreamWorkerData, ToStreamWorker } from './workerMessages.js';

const MAX_SEND_QUEUE = 512;
const data = workerData as StreamWorkerData;
const port = parentPort!;

function post(m: FromStreamWorker): void {
  port.postMessage(m);
}

const codec = loadRaptorQ(data.wasmModule);
const core = new SenderStream({
  sessionId: data.sessionId,
  layout: data.layout,
  codec,
  integrity: crc32Scheme,
  rateBytesPerSecond: data.rateBytesPerSecond,
  fixedRate: data.fixedRate,
  recovery: data.recovery,
  window: data.window,
  now: performance.now(),
  stallTimeoutMs: data.stallTimeoutMs,
});
const socket = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
let file: FileHandle | undefined;
let timer: NodeJS.Timeout | undefined;
let scheduled = false;
let done = false;
let inFlightSends = 0;
let loads = 0;

function finish(reason: StreamFinishReason, message?: string): void {
  if (done) return;
  done = true;
  clearTimeout(timer);
  clearInterval(statsTimer);
  if (!core.finished) core.stop(performance.now(), message ?? reason);
  post({ type: 'finished', reason, message, stats: core.stats });
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
  core.provideSegment(performance.now(), index, await readSegment(file!, data.filePath, data.layout, index));
}

function run(): void {
  scheduled = false;
  if (done) return;
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
  const now = performance.now();
  while (inFlightSends < MAX_SEND_QUEUE) {
    const buf = freeBuffers.pop() ?? Buffer.allocUnsafe(core.datagramLength);
    const d = core.pollTransmit(now, buf);
    if (!d) {
      freeBuffers.push(buf);
      break;
    }
    inFlightSends++;
    // A connected socket skips the per-send address handling (measurably faster).
    socket.send(buf, onSent.bind(buf));
  }
  if (core.finished) {
    // Let queued datagrams leave before closing.
    if (inFlightSends === 0) finish(core.finishReason === 'complete' ? 'complete' : 'stopped', core.finishReason);
    return;
  }
  if (inFlightSends >= MAX_SEND_QUEUE) return; // onSent reschedules
  clearTimeout(timer);
  const at = core.pollTimeout();
  if (at !== undefined) {
    const wait = at - performance.now();
    if (wait <= 0) schedule();
    else timer = setTimeout(run, wait);
  }
}

/** Datagram buffers come back here when their send completes (no per-datagram allocation). */
const freeBuffers: Buffer[] = [];

function onSent(this: Buffer, err: Error | null): void {
  inFlightSends--;
  freeBuffers.push(this);
  // ICMP port unreachable etc. are expected while a receiver goes away; the control channel
  // decides its fate. Other errors end the stream.
  if (err && !TRANSIENT.test(err.message)) {
    finish('error', `UDP send failed: ${err.message}`);
    return;
  }
  if (inFlightSends < MAX_SEND_QUEUE / 2 || core.finished) schedule();
}

const statsTimer = setInterval(() => post({ type: 'stats', stats: core.stats }), 250);

port.on('message', (m: ToStreamWorker) => {
  if (done) return;
  if (m.type === 'progress') core.handleProgress(performance.now(), m.progress);
  else if (m.type === 'stop') core.stop(performance.now(), m.reason);
  schedule();
});

// On a connected socket, ICMP "port unreachable" (receiver gone or not yet bound) arrives as an
// error event: transient, the control channel decides that receiver's fate.
const TRANSIENT = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOBUFS/;
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
  schedule();
} catch (e) {
  finish('error', (e as Error).message);
}
void loads;

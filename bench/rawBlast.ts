/**
 * The physical ceiling for the end-to-end benchmark: a raw node:dgram blast of the same number
 * of datagrams of the same size, sender thread -> receiver process(es), no coding, no checks, no
 * pacing beyond the socket's own backpressure. Goodput = bytes the slowest receiver got / time.
 *
 * Two flavours. `plain` is node:dgram as documented (the ceiling): a send with the
 * address and a callback per datagram, the 'message' event per datagram. `lean` does what
 * fountcast itself does at each end: a connected socket sending without callbacks (backing off
 * while the socket's queue is not empty), and the receiver reading the socket's descriptor
 * (receiver/datagramReader.ts). fountcast's pipeline is compared with both, so a ratio is never
 * flattered by a ceiling slower than what the pipeline itself uses.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { readDatagrams } from '../receiver/datagramReader.js';

export type BlastFlavour = 'plain' | 'lean';

export interface BlastResult {
  datagramsPerReceiver: number;
  datagramBytes: number;
  seconds: number;
  worstReceivedFraction: number;
  goodputMBps: number;
  /**
   * CPU seconds of the blast's sending (this process over the blast: its blaster threads, its
   * otherwise idle main thread) and of each receiver process (whole life; start-up included).
   */
  senderCpuSeconds: number;
  receiverCpuSeconds: number[];
  /** CPU ms per MiB delivered: sender's per stream, the busiest receiver's. */
  senderCpuMsPerMiB: number;
  receiverCpuMsPerMiB: number;
}

/** Child role: count datagrams on a port until told to report. */
function receiverMain(flavour: BlastFlavour): void {
  const socket = createSocket('udp4');
  let count = 0;
  let bytes = 0;
  let last = 0;
  const onDatagram = (m: Uint8Array) => {
    count++;
    bytes += m.length;
    last = performance.now() + performance.timeOrigin;
  };
  if (flavour === 'plain') socket.on('message', onDatagram);
  socket.bind(0, '127.0.0.1', () => {
    socket.setRecvBufferSize(8 << 20);
    if (flavour === 'lean') readDatagrams(socket, onDatagram, (e) => console.error(`blast receiver: ${e.message}`));
    process.send!({ type: 'port', port: socket.address().port });
  });
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'report') {
      const cpu = process.cpuUsage();
      process.send!({ type: 'report', count, bytes, last, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
      socket.close();
      process.disconnect();
    }
  });
}

/** Worker role: blast `count` datagrams of `size` bytes at a port. */
async function blasterMain(port: number, count: number, size: number, flavour: BlastFlavour): Promise<void> {
  const { parentPort } = await import('node:worker_threads');
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await new Promise((r) => socket.once('listening', r));
  socket.setSendBufferSize(4 << 20);
  const buf = Buffer.alloc(size, 7);
  if (flavour === 'lean') {
    await new Promise<void>((r) => socket.connect(port, '127.0.0.1', r));
    for (let sent = 0; sent < count;) {
      socket.send(buf);
      sent++;
      // As the product's DatagramPump: a datagram still queued in libuv means the kernel's send
      // buffer is full; wait for it to drain. Otherwise yield now and then.
      if (socket.getSendQueueCount() > 0) while (socket.getSendQueueCount() > 0) await new Promise((r) => setTimeout(r, 1));
      else if (sent % 1024 === 0) await new Promise((r) => setImmediate(r));
    }
    socket.close();
    parentPort!.postMessage('done');
    return;
  }
  let sent = 0;
  let inFlight = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < count && inFlight < 256) {
        inFlight++;
        sent++;
        socket.send(buf, port, '127.0.0.1', () => {
          inFlight--;
          if (sent === count && inFlight === 0) resolve();
          else if (inFlight < 64) pump();
        });
      }
    };
    pump();
  });
  socket.close();
  parentPort!.postMessage('done');
}

export async function runRawBlast(receivers: number, datagrams: number, size: number, flavour: BlastFlavour = 'plain'): Promise<BlastResult> {
  const self = fileURLToPath(import.meta.url);
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  for (let i = 0; i < receivers; i++) {
    const child = fork(self, ['blast-receiver', flavour], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    ports.push(await new Promise<number>((r) => child.once('message', (m: { port: number }) => r(m.port))));
  }
  const start = performance.now() + performance.timeOrigin;
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    ports.map(
      (port) =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(self, { argv: ['blast-sender', String(port), String(datagrams), String(size), flavour] });
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
    ),
  );
  const cpuSent = process.cpuUsage(cpuBefore);
  await new Promise((r) => setTimeout(r, 300)); // let the kernel queues drain
  type Report = { count: number; bytes: number; last: number; cpuSeconds: number };
  const reports = await Promise.all(
    children.map(
      (child) =>
        new Promise<Report>((r) => {
          child.once('message', (m: Report) => r(m));
          child.send({ type: 'report' });
        }),
    ),
  );
  const end = Math.max(...reports.map((r) => r.last));
  const seconds = (end - start) / 1000;
  const worst = Math.min(...reports.map((r) => r.bytes));
  return {
    datagramsPerReceiver: datagrams,
    datagramBytes: size,
    seconds,
    worstReceivedFraction: Math.min(...reports.map((r) => r.count)) / datagrams,
    goodputMBps: worst / 1e6 / seconds,
    senderCpuSeconds: (cpuSent.user + cpuSent.system) / 1e6,
    receiverCpuSeconds: reports.map((r) => r.cpuSeconds),
    senderCpuMsPerMiB: (cpuSent.user + cpuSent.system) / 1e3 / receivers / ((datagrams * size) / 2 ** 20),
    receiverCpuMsPerMiB: Math.max(...reports.map((r) => (r.cpuSeconds * 1e3) / (r.bytes / 2 ** 20))),
  };
}

const { isMainThread, workerData } = await import('node:worker_threads');
void workerData;
const flavourArg = (i: number): BlastFlavour => (process.argv[i] === 'lean' ? 'lean' : 'plain');
if (process.argv[2] === 'blast-receiver' && isMainThread) receiverMain(flavourArg(3));
if (!isMainThread && process.argv[2] === 'blast-sender') {
  await blasterMain(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]), flavourArg(6));
}

/**
 * A UDP receiver bound to 127.0.0.1 (a port the kernel picks) and a sender connected to it: the
 * setup of the real-socket tests of the batched datagram paths. Every pair is closed by
 * closeLoopbackPairs (register it with afterEach).
 */
import { createSocket, type Socket } from 'node:dgram';

const open: Socket[] = [];

export async function loopbackPair(options: { recvBufferSize?: number; bindSender?: boolean } = {}): Promise<{ rx: Socket; tx: Socket }> {
  const rx = options.recvBufferSize === undefined ? createSocket('udp4') : createSocket({ type: 'udp4', recvBufferSize: options.recvBufferSize });
  const tx = createSocket('udp4');
  open.push(rx, tx);
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  // Bound first, the sender's own address is 127.0.0.1 too (not whatever connect picks).
  if (options.bindSender) await new Promise<void>((r) => tx.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => tx.connect(rx.address().port, '127.0.0.1', r));
  return { rx, tx };
}

/** Closes every pair opened so far (a socket a test closed itself is skipped). */
export function closeLoopbackPairs(): void {
  for (const s of open.splice(0))
    try {
      s.close();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_SOCKET_DGRAM_NOT_RUNNING') throw e;
    }
}

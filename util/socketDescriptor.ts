/**
 * A bound node:dgram socket's descriptor and libuv handle, from Node's internals (the socket's
 * 'state symbol' -> handle: `fd`, `recvStop`). The batched and descriptor I/O paths
 * (receiver/datagramReader.ts, sender/datagramBatchPump.ts) read and write the descriptor
 * themselves; every piece is checked, and undefined means "use node:dgram as documented".
 */
import type { Socket } from 'node:dgram';

interface InternalHandle {
  fd?: unknown;
  recvStop?: unknown;
}

export interface SocketDescriptor {
  readonly fd: number;
  /** Stops libuv's own reading of the descriptor (0 on success). */
  recvStop(): number;
}

/** The bound socket's descriptor, if this Node exposes what the batched paths need. */
export function socketDescriptor(socket: Socket): SocketDescriptor | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = state && (socket as unknown as Record<symbol, { handle?: InternalHandle } | undefined>)[state]?.handle;
  if (!handle || typeof handle.fd !== 'number' || handle.fd < 0 || typeof handle.recvStop !== 'function') return undefined;
  const recvStop = handle.recvStop as () => number;
  return { fd: handle.fd, recvStop: () => recvStop.call(handle) };
}

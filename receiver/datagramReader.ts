/**
 * Reads a bound UDP socket's datagrams (adapter).
 *
 * Node's 'message' event costs several times more CPU per datagram than the read itself: a fresh
 * Buffer, an rinfo object with the source address formatted as a string, a callback scope with
 * its microtask checkpoint. Reading the socket's descriptor with fs.readSync into one reused
 * buffer avoids all three. A 256 MiB file is ~193,000 datagrams, so the difference adds up per
 * receiver, and it is CPU that several receivers on one host, or a receiver beside its sender,
 * compete for.
 *
 * The descriptor comes from Node's internals (the socket's handle: `fd`, `recvStop`), so the
 * reader checks every piece it needs and otherwise falls back to the 'message' event; `mode`
 * says which one runs (a test pins the fast one on the Node this project supports). libuv's own
 * reading is stopped and the descriptor is drained up to BATCH datagrams per turn (other I/O
 * runs in between), then polled again after 1 ms, backing off to MAX_IDLE_MS while nothing
 * comes; the kernel's receive buffer (the 8 MiB receivers ask for, ~5,900 datagrams) holds what arrives
 * meanwhile. The source address is not read: nothing downstream uses it (the session id and
 * the tag say whose a datagram is).
 *
 * `onDatagram` gets a view of the reused buffer, valid only during the call: copy what you keep.
 */
import type { Socket } from 'node:dgram';
import { readSync } from 'node:fs';

export interface DatagramReader {
  readonly mode: 'descriptor' | 'events';
  /** Stops reading (call before closing the socket). */
  stop(): void;
}

/** Datagrams read per turn before other I/O gets the event loop. */
export const BATCH = 256;
const FIRST_IDLE_MS = 1;
const MAX_IDLE_MS = 8;
/** Above the largest UDP payload over IPv4 or IPv6 (without jumbograms): nothing is ever truncated. */
const BUFFER_BYTES = 65_536;

interface InternalHandle {
  fd?: unknown;
  recvStop?: unknown;
}

/** The bound socket's handle, if this Node exposes what the reader needs. */
function internalHandle(socket: Socket): { fd: number; recvStop: () => number } | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = state && (socket as unknown as Record<symbol, { handle?: InternalHandle } | undefined>)[state]?.handle;
  if (!handle || typeof handle.fd !== 'number' || handle.fd < 0 || typeof handle.recvStop !== 'function') return undefined;
  const recvStop = handle.recvStop as () => number;
  return { fd: handle.fd, recvStop: () => recvStop.call(handle) };
}

/**
 * Starts delivering the datagrams of `socket` (bound already) to `onDatagram`. `onError` gets a
 * read error other than "nothing to read"; reading stops then.
 */
export function readDatagrams(
  socket: Socket,
  onDatagram: (bytes: Uint8Array) => void,
  onError: (e: Error) => void,
  options: { preferEvents?: boolean } = {},
): DatagramReader {
  const handle = options.preferEvents ? undefined : internalHandle(socket);
  if (handle === undefined || handle.recvStop() !== 0) {
    const listener = (msg: Buffer) => onDatagram(msg);
    socket.on('message', listener);
    return { mode: 'events', stop: () => socket.off('message', listener) };
  }
  const { fd } = handle;
  const buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let stopped = false;
  let idleMs = FIRST_IDLE_MS;
  const drain = (): void => {
    timer = undefined;
    immediate = undefined;
    if (stopped) return;
    for (let n = 0; n < BATCH; n++) {
      let bytes: number;
      try {
        bytes = readSync(fd, buffer, 0, BUFFER_BYTES, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EINTR') continue;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          if (n > 0) idleMs = FIRST_IDLE_MS;
          else idleMs = Math.min(MAX_IDLE_MS, idleMs * 2);
          timer = setTimeout(drain, idleMs);
          return;
        }
        stopped = true;
        onError(e as Error);
        return;
      }
      onDatagram(buffer.subarray(0, bytes));
      if (stopped) return;
    }
    idleMs = FIRST_IDLE_MS;
    immediate = setImmediate(drain);
  };
  const stop = (): void => {
    stopped = true;
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
  // Closing the socket closes the descriptor, and its number may be reused at once by a file:
  // 'close' comes on the next tick, before any timer or immediate could drain again.
  socket.once('close', stop);
  drain();
  return { mode: 'descriptor', stop };
}

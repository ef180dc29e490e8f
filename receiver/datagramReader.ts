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
 * runs in between), then polled again after 1 ms while the stream is busy (a drain found
 * BUSY_MESSAGES or more), after QUIET_POLL_MS while it brought only a few (a paced stream: each
 * wake-up costs about as much as the datagrams it reads, so fewer, fuller ones cost less), and
 * backing off to MAX_IDLE_MS while nothing comes; the kernel's receive buffer (the 8 MiB
 * receivers ask for, ~5,900 datagrams) holds what arrives meanwhile. The source address is not read: nothing downstream uses it (the session id and
 * the tag say whose a datagram is).
 *
 * Where the native module (encoder/native/udpBatch.c) is built, the descriptor is read with
 * recvmmsg, up to RECV_BATCH datagrams per call into slots of one reused buffer (`mode`
 * 'batch'): one JS-to-C++ crossing and one syscall per batch instead of per datagram. Without
 * it (or with FOUNTCAST_NATIVE=0, or `noBatch`) each datagram is one fs.readSync ('descriptor').
 * The batch reader also turns UDP GRO on (unless FOUNTCAST_GRO=0): the kernel may then hand a
 * run of equal datagrams as one message (a sender's GSO send, arriving whole on loopback and
 * veth; datagrams a NIC coalesced), which is split at the segment size the kernel reports
 * (receiver/batchSplit.ts), one pass through the kernel's receive path per run instead of per
 * datagram.
 *
 * Where the module checks CRC-32 tags (encoder/crc32Tags.ts), each batch's datagrams are checked
 * in one call before they are handed on, up to CHECK_BATCH at a time: `crcChecked` says the
 * datagram names CRC-32 and its tag is right, so the parser need not check it again.
 *
 * `onDatagram` gets a view of the reused buffer, valid only during the call: copy what you keep.
 */
import type { Socket } from 'node:dgram';
import { readSync } from 'node:fs';
import { constants } from 'node:os';
import { nativeTagChecker, type TagChecker } from '../encoder/crc32Tags.js';
import { loadNativeCrypto } from '../encoder/nativeCrypto.js';
import { socketDescriptor } from '../util/socketDescriptor.js';
import { splitBatch } from './batchSplit.js';

export interface DatagramReader {
  readonly mode: 'batch' | 'descriptor' | 'events';
  /** The batch reader took UDP GRO (runs of datagrams as one message, split here). */
  readonly gro?: boolean;
  /** Stops reading (call before closing the socket). */
  stop(): void;
}

/** Datagrams read per turn before other I/O gets the event loop. */
export const BATCH = 256;
const FIRST_IDLE_MS = 1;
const MAX_IDLE_MS = 8;
/** After a drain that found only a few messages: the next one waits this long (see the header). */
const QUIET_POLL_MS = 4;
/** Messages in one drain from which the stream counts as busy: polled again after FIRST_IDLE_MS. */
const BUSY_MESSAGES = 32;
/** Above the largest UDP payload over IPv4 or IPv6 (without jumbograms): nothing is ever truncated. */
const BUFFER_BYTES = 65_536;
/** Datagrams per recvmmsg call; each gets a whole BUFFER_BYTES slot, so none is ever cut (2 MiB). */
export const RECV_BATCH = 32;
/** Datagrams whose tags are checked in one call (a GRO batch may split into more: checked in turns). */
const CHECK_BATCH = 256;

/** `crcChecked`: the reader found its CRC-32 tag right (see the header). */
export type OnDatagram = (bytes: Uint8Array, crcChecked?: boolean) => void;

type RecvBatch = (fd: number, buffer: Uint8Array, slotBytes: number, lengths: Uint32Array, segments?: Uint32Array) => number;

/** The native recvmmsg reader, where built and enabled. */
function nativeRecvBatch(): RecvBatch | undefined {
  const m = loadNativeCrypto().module;
  return typeof m?.recvBatch === 'function' ? m.recvBatch.bind(m) : undefined;
}

/** Turns UDP GRO on for `fd` where the native module and the kernel have it (not with FOUNTCAST_GRO=0). */
function enableGro(fd: number): boolean {
  if (process.env.FOUNTCAST_GRO === '0') return false;
  const m = loadNativeCrypto().module;
  return typeof m?.enableUdpGro === 'function' && m.enableUdpGro(fd) === 0;
}

/** An errno as Node names it in its errors (the batch reader returns -errno). */
function errnoError(negative: number): Error {
  const code = Object.entries(constants.errno).find(([, n]) => n === -negative)?.[0] ?? `errno ${-negative}`;
  const e = new Error(`recvmmsg failed: ${code}`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = negative;
  e.syscall = 'recvmmsg';
  return e;
}

/**
 * Starts delivering the datagrams of `socket` (bound already) to `onDatagram`. `onError` gets a
 * read error other than "nothing to read"; reading stops then.
 */
export function readDatagrams(
  socket: Socket,
  onDatagram: OnDatagram,
  onError: (e: Error) => void,
  options: { preferEvents?: boolean; noBatch?: boolean } = {},
): DatagramReader {
  const handle = options.preferEvents ? undefined : socketDescriptor(socket);
  if (handle === undefined || handle.recvStop() !== 0) {
    const listener = (msg: Buffer) => onDatagram(msg);
    socket.on('message', listener);
    return { mode: 'events', stop: () => socket.off('message', listener) };
  }
  const { fd } = handle;
  const recvBatch = options.noBatch ? undefined : nativeRecvBatch();
  const buffer = Buffer.allocUnsafe(recvBatch ? BUFFER_BYTES * RECV_BATCH : BUFFER_BYTES);
  const lengths = new Uint32Array(RECV_BATCH);
  // With GRO on, the size of the datagrams each message coalesces (0: one datagram).
  const segments = recvBatch && enableGro(fd) ? new Uint32Array(RECV_BATCH) : undefined;
  const checker = recvBatch && nativeTagChecker();
  const checked = checker ? new CheckedDelivery(buffer, checker, onDatagram, () => stopped) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let stopped = false;
  let idleMs = FIRST_IDLE_MS;
  const drain = (): void => {
    timer = undefined;
    immediate = undefined;
    if (stopped) return;
    const idle = (n: number): void => {
      if (n >= BUSY_MESSAGES) idleMs = FIRST_IDLE_MS;
      else if (n > 0) idleMs = Math.max(FIRST_IDLE_MS, QUIET_POLL_MS);
      else idleMs = Math.min(MAX_IDLE_MS, idleMs * 2);
      timer = setTimeout(drain, idleMs);
    };
    if (recvBatch) {
      for (let n = 0; n < BATCH;) {
        const got = segments ? recvBatch(fd, buffer, BUFFER_BYTES, lengths, segments) : recvBatch(fd, buffer, BUFFER_BYTES, lengths);
        if (got < 0) {
          stopped = true;
          onError(errnoError(got));
          return;
        }
        if (got === 0) return idle(n);
        // A cut message (length BUFFER_BYTES + 1) cannot happen with whole-size slots; dropped anyway.
        splitBatch(buffer, BUFFER_BYTES, lengths, segments, got, checked ? checked.add : onDatagram, () => stopped);
        checked?.flush();
        if (stopped) return;
        n += got;
      }
    } else {
      for (let n = 0; n < BATCH; n++) {
        let bytes: number;
        try {
          bytes = readSync(fd, buffer, 0, BUFFER_BYTES, null);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EINTR') continue;
          if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return idle(n);
          stopped = true;
          onError(e as Error);
          return;
        }
        onDatagram(buffer.subarray(0, bytes));
        if (stopped) return;
      }
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
  return { mode: recvBatch ? 'batch' : 'descriptor', gro: segments !== undefined, stop };
}

/** Collects a batch's datagrams (views of `buffer`), checks their tags in one call, hands them on in order. */
class CheckedDelivery {
  private readonly views: Uint8Array[] = [];
  private readonly offsets = new Uint32Array(CHECK_BATCH);
  private readonly lengths = new Uint32Array(CHECK_BATCH);
  private readonly verdicts = new Uint8Array(CHECK_BATCH);

  constructor(
    private readonly buffer: Uint8Array,
    private readonly check: TagChecker,
    private readonly onDatagram: OnDatagram,
    private readonly stopped: () => boolean,
  ) {}

  readonly add = (view: Uint8Array): void => {
    const i = this.views.length;
    this.offsets[i] = view.byteOffset - this.buffer.byteOffset;
    this.lengths[i] = view.length;
    this.views.push(view);
    if (i + 1 === CHECK_BATCH) this.flush();
  };

  flush(): void {
    const n = this.views.length;
    if (n === 0) return;
    this.check(this.buffer, this.offsets, this.lengths, n, this.verdicts);
    for (let i = 0; i < n && !this.stopped(); i++) this.onDatagram(this.views[i]!, this.verdicts[i] === 1);
    this.views.length = 0;
  }
}

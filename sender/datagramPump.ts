/**
 * The send loop both stream workers share (adapter): fills recycled datagram buffers from a
 * sans-IO core and hands them to a UDP socket.
 *
 * Sends carry no per-datagram callback. Node finishes a send synchronously when the kernel takes
 * the datagram, and a callback costs a bound function and a tick for each one, a noticeable share
 * of the sender's CPU at hundreds of thousands of datagrams per file. The socket's queue count
 * tells whether a buffer was taken at once (reuse it now) or is still queued in libuv (the
 * kernel's send buffer is full): then the pump holds that buffer and pauses until the queue has
 * drained, as sending more would only grow the queue. One send in PROBE_EVERY carries a callback,
 * so a persistent error (a firewall's EPERM, a vanished interface) still ends the stream; the
 * transient ones (ICMP port unreachable on a connected socket) are the caller's to ignore.
 *
 * The socket must be connected: a send that names an address goes through an asynchronous
 * lookup first, returns before the datagram is queued anywhere, and its buffer would be
 * overwritten by the next datagram before it left.
 */
import type { Socket } from 'node:dgram';

/** What the pump drains: the stream cores' pollTransmit, which returns the datagram to send
 * (normally `out` itself, filled; datagramLength is the size of the buffers handed in). */
export interface TransmitSource {
  pollTransmit(now: number, out: Uint8Array): Uint8Array | undefined;
  readonly datagramLength: number;
}

export interface DatagramPumpHooks {
  /** Sends one datagram; `callback` only on probes. */
  send(buf: Buffer, callback?: (err: Error | null) => void): void;
  /** A probe send failed. */
  onError(err: Error): void;
  /** The socket's queue drained after a pause: pump again. */
  onDrained(): void;
}

/** One send in this many carries a callback (error detection). */
export const PROBE_EVERY = 64;
const DRAIN_POLL_MS = 1;

export class DatagramPump {
  private readonly free: Buffer[] = [];
  private readonly held: Buffer[] = [];
  private sends = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly socket: Pick<Socket, 'getSendQueueCount'>,
    private readonly hooks: DatagramPumpHooks,
  ) {}

  /** No datagram is still queued in the socket (safe to close it). */
  get idle(): boolean {
    return this.held.length === 0;
  }

  /**
   * Sends everything `source` has due at `now`. Returns false when it paused because the
   * socket's queue is full (onDrained follows), true when the source had nothing more.
   */
  pump(now: number, source: TransmitSource): boolean {
    if (this.held.length > 0 || this.closed) return false;
    for (;;) {
      const buf = this.free.pop() ?? Buffer.allocUnsafe(source.datagramLength);
      const d = source.pollTransmit(now, buf);
      if (!d) {
        this.free.push(buf);
        return true;
      }
      // Usually the core filled `buf`; a longer datagram (a combined resend) comes in its own.
      const out = d.buffer === buf.buffer && d.byteOffset === buf.byteOffset && d.length === buf.length ? buf : Buffer.from(d.buffer, d.byteOffset, d.length);
      this.hooks.send(out, ++this.sends % PROBE_EVERY === 0 ? this.onProbe : undefined);
      if (this.socket.getSendQueueCount() === 0) {
        this.free.push(buf);
        continue;
      }
      this.held.push(buf);
      this.timer = setTimeout(this.checkDrained, DRAIN_POLL_MS);
      return false;
    }
  }

  /** Stops polling the queue (the socket is closing). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private readonly onProbe = (err: Error | null): void => {
    if (err && !this.closed) this.hooks.onError(err);
  };

  private readonly checkDrained = (): void => {
    if (this.closed) return;
    if (this.socket.getSendQueueCount() > 0) {
      this.timer = setTimeout(this.checkDrained, DRAIN_POLL_MS);
      return;
    }
    this.free.push(...this.held.splice(0));
    this.hooks.onDrained();
  };
}

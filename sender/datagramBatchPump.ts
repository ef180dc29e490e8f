/**
 * The send loop with batched writes (adapter): where the native module has sendmmsg
 * (encoder/native/udpBatch.c), the stream workers use this instead of DatagramPump. The core
 * fills datagrams straight into the slots of one reused buffer, and up to BATCH of them go to
 * the kernel in one call: no node:dgram send (its argument checks, request object and libuv
 * try-send) per datagram, one JS-to-C++ crossing and one syscall per batch.
 *
 * Same contract as DatagramPump: `pump` sends everything due and returns true, or returns false
 * when the kernel's send buffer is full; the unsent datagrams stay in order at the front of the
 * buffer, are retried every DRAIN_POLL_MS, and onDrained follows once they are out. A datagram
 * the kernel refuses (the first of a call failing: ICMP port unreachable on a connected socket,
 * ENOBUFS, EPERM) is dropped, as node:dgram drops it, and reported to onError, which decides
 * whether it is transient. The socket must be connected.
 */
import { constants } from 'node:os';
import type { SlotSealer } from '../encoder/crc32Tags.js';
import { loadNativeCrypto } from '../encoder/nativeCrypto.js';
import type { TransmitSource } from './datagramPump.js';

export type SendBatch = (fd: number, buffer: Uint8Array, slotBytes: number, lengths: Uint32Array, count: number, gso?: boolean) => number;

/**
 * What a send with UDP GSO fails with where the kernel or the device cannot segment (or the
 * datagrams exceed the device's MTU): the pump then sends without GSO, losing nothing.
 */
const GSO_REFUSED = new Set([constants.errno.EIO, constants.errno.EINVAL, constants.errno.EOPNOTSUPP, constants.errno.ENOPROTOOPT]);

export interface DatagramBatchPumpHooks {
  /** A datagram the kernel refused (dropped). */
  onError(err: Error): void;
  /** The kernel took what was held after a pause: pump again. */
  onDrained(): void;
  /** GSO was refused (why): every later batch goes without it. */
  onGsoOff?(why: string): void;
}

/** The native sendmmsg, where built and enabled (not with FOUNTCAST_NATIVE=0). */
export function nativeSendBatch(): SendBatch | undefined {
  const m = loadNativeCrypto().module;
  return typeof m?.sendBatch === 'function' ? m.sendBatch.bind(m) : undefined;
}

/** Datagrams per sendmmsg call. */
export const BATCH = 32;

/**
 * Slot bytes for datagrams of `length`: a combined resend (a few symbol ids more, sized to stay
 * one IP packet, encoder/datagram.ts) is longer than a single-symbol datagram but never twice it.
 */
export function slotFor(length: number): number {
  return Math.max(2 * length, 2048);
}
const DRAIN_POLL_MS = 1;

export class DatagramBatchPump {
  private slab: Buffer | undefined;
  /** One view per slot, made with the slab: nothing is allocated per datagram. */
  private views: Buffer[] = [];
  private slot = 0;
  private viewBytes = 0;
  private readonly lengths = new Uint32Array(BATCH);
  /** Datagrams filled in the slab, not yet taken by the kernel. */
  private count = 0;
  /** Of those, how many (from the front) `seal` has tagged. */
  private sealed = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * `gso`: send runs of equal-length datagrams as one UDP GSO send each (udpBatch.c), one pass
   * through the kernel's stack per run instead of per datagram; turned off for good at the first
   * refusal. `seal`: the datagrams come without their tags (encoder/crc32Tags.ts,
   * crc32Unsealed), which it writes a batch at a time just before the kernel takes them.
   */
  constructor(
    private readonly fd: number,
    private readonly sendBatch: SendBatch,
    private readonly hooks: DatagramBatchPumpHooks,
    private gso = false,
    private readonly seal?: SlotSealer,
  ) {}

  /** Whether batches still go with UDP GSO. */
  get segmenting(): boolean {
    return this.gso;
  }

  /** No datagram is still held (safe to close the socket). */
  get idle(): boolean {
    return this.count === 0;
  }

  /** Sends everything `source` has due at `now`; false when paused on a full send buffer (onDrained follows). */
  pump(now: number, source: TransmitSource): boolean {
    if (this.timer !== undefined || this.closed) return false;
    if (this.slab === undefined || this.viewBytes !== source.datagramLength) {
      if (this.count > 0 && !this.flush()) return false;
      const length = source.datagramLength;
      const slot = slotFor(length);
      const slab = Buffer.allocUnsafe(slot * BATCH);
      this.slab = slab;
      this.slot = slot;
      this.viewBytes = length;
      // The core fills datagramLength bytes; a combined resend may use the slot's spare room.
      this.views = Array.from({ length: BATCH }, (_, i) => slab.subarray(i * slot, i * slot + length));
    }
    const slab = this.slab;
    for (;;) {
      const into = this.views[this.count]!;
      const d = source.pollTransmit(now, into);
      if (d === undefined) return this.flush();
      if (d.buffer !== slab.buffer || d.byteOffset !== into.byteOffset) {
        // The core made a datagram in its own buffer (a combined resend): into the slot if it fits.
        if (d.length > this.slot) {
          this.hooks.onError(new Error(`a ${d.length}-byte datagram exceeds the batch slot (${this.slot} bytes): dropped`));
          continue;
        }
        slab.set(d, this.count * this.slot);
      }
      this.lengths[this.count++] = d.length;
      if (this.count === BATCH && !this.flush()) return false;
    }
  }

  /** Stops retrying (the socket is closing). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Hands the held datagrams to the kernel; false (retry armed) when its buffer is full. */
  private flush(): boolean {
    if (this.seal && this.sealed < this.count) {
      this.seal(this.slab!, this.slot, this.lengths, this.sealed, this.count);
      this.sealed = this.count;
    }
    while (this.count > 0) {
      const sent = this.sendBatch(this.fd, this.slab!, this.slot, this.lengths, this.count, this.gso);
      if (sent < 0 && this.gso && GSO_REFUSED.has(-sent)) {
        this.gso = false;
        this.hooks.onGsoOff?.(errnoError(-sent).message);
        continue;
      }
      if (sent === 0) {
        this.timer = setTimeout(this.retry, DRAIN_POLL_MS);
        return false;
      }
      // A refused first datagram is dropped; the rest go on.
      if (sent < 0) this.hooks.onError(errnoError(-sent));
      this.shift(sent < 0 ? 1 : sent);
    }
    return true;
  }

  /** Drops the first `n` held datagrams, moving the rest to the front in order. */
  private shift(n: number): void {
    const rest = this.count - n;
    if (rest > 0) {
      this.slab!.copyWithin(0, n * this.slot, this.count * this.slot);
      this.lengths.copyWithin(0, n, this.count);
    }
    this.count = rest;
    this.sealed = Math.max(0, this.sealed - n);
  }

  private readonly retry = (): void => {
    this.timer = undefined;
    if (this.closed) return;
    if (this.flush()) this.hooks.onDrained();
  };
}

/** An Error named as Node names a failed send (its message carries the code, as the callers test). */
function errnoError(errno: number): NodeJS.ErrnoException {
  const code = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0] ?? `errno ${errno}`;
  const e: NodeJS.ErrnoException = new Error(`sendmmsg ${code}`);
  e.code = code;
  e.errno = -errno;
  e.syscall = 'sendmmsg';
  return e;
}

/**
 * Thin adapter: drives a ControlConnection core over a ByteStream (byteStream.ts: a TCP or TLS
 * socket, a child's pipes, our own stdin and stdout). Feeds bytes and timeouts in with
 * `now = performance.now()`, writes the core's frames, keeps one timer armed for the core's next
 * deadline, delivers events to the callback, and ends the stream once the core has closed and
 * its last frames are written.
 */
import type { ByteStream } from './byteStream.js';
import type { ControlEvent } from './connection.js';

/**
 * What the channel drives: a ControlConnection, or a core that wraps one (the sender's
 * ReceiverSession) and hands out its own events.
 */
export interface ChannelCore<E = ControlEvent> {
  handleBytes(now: number, chunk: Uint8Array): void;
  handleEof(now: number, reason?: string): void;
  handleTimeout(now: number): void;
  pollTimeout(): number | undefined;
  pollTransmit(): Uint8Array | undefined;
  pollEvent(): E | undefined;
  readonly wantsSocketClose: boolean;
  close(reason: string): void;
}

export class ControlChannel<C extends ChannelCore<E>, E = ControlEvent> {
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private again = false;
  private ended = false;

  constructor(
    private readonly socket: ByteStream,
    readonly core: C,
    private readonly onEvent: (event: E) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.act((c) => c.handleBytes(performance.now(), chunk)));
    socket.on('end', () => this.act((c) => c.handleEof(performance.now())));
    socket.on('error', (e) => this.act((c) => c.handleEof(performance.now(), `connection error: ${e.message}`)));
    socket.on('close', () => this.act((c) => c.handleEof(performance.now())));
    this.flush();
  }

  /** Runs an action on the core, then writes what it produced and re-arms the timer. */
  act(action: (core: C) => void): void {
    action(this.core);
    this.flush();
  }

  /** Resolves once everything written so far has left the process (or the stream is gone). */
  drained(): Promise<void> {
    if (this.socket.destroyed || this.socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /**
   * Runs an action that ends the core (a refusal), writes its last frames, and frees the socket
   * as soon as they are written, without waiting for the peer to close its side: for peers that
   * must not hold a connection slot (the pre-Hello budget's evictions).
   */
  dismiss(action: (core: C) => void): void {
    this.act(action);
    clearTimeout(this.timer);
    const socket = this.socket;
    if (socket.writableFinished) socket.destroy();
    else socket.end(() => socket.destroy());
  }

  /** Closes the core (if still open) and the stream at once. */
  close(reason = 'closed locally'): void {
    this.core.close(reason);
    this.flush();
    clearTimeout(this.timer);
    this.socket.destroy();
  }

  private flush(): void {
    // Event handlers may call act() again: loop instead of recursing.
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.again = false;
        for (let f = this.core.pollTransmit(); f; f = this.core.pollTransmit()) {
          if (!this.socket.destroyed && this.socket.writable) this.socket.write(f);
        }
        for (let e = this.core.pollEvent(); e; e = this.core.pollEvent()) this.onEvent(e);
      } while (this.again);
    } finally {
      this.flushing = false;
    }
    if (this.core.wantsSocketClose && !this.ended) {
      this.ended = true;
      clearTimeout(this.timer);
      this.socket.end();
      // A peer that never closes its side must not keep us around.
      setTimeout(() => this.socket.destroy(), 2000).unref();
      return;
    }
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const at = this.core.pollTimeout();
    if (at === undefined) return;
    this.timer = setTimeout(() => this.act((c) => c.handleTimeout(performance.now())), Math.max(0, at - performance.now()) + 1);
  }
}

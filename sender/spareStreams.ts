/**
 * Unicast stream workers booted ahead of need. A worker takes tens of milliseconds to start (a
 * thread, module loading, the codec, the file and a socket), and a stream starts on Request, so
 * a receiver would wait that long for its first datagram. A few spares boot while the sender
 * listens; a Request takes one and names its receiver ('start' with the assignment), and a new
 * spare boots behind it. Their number is the sender's choice, never a peer's: what a connection
 * costs before Request stays a Manifest.
 */
import type { UnicastAssignment, UnicastWorkerData } from './streamMessages.js';
import { StreamHandle } from './streamHandle.js';

/** Most spares kept booted: enough for a burst of receivers asking at once. */
export const MAX_SPARE_STREAMS = 4;

export class SpareStreams {
  private readonly spares: StreamHandle[] = [];
  private closed = false;

  /**
   * @param data what every unicast worker of this sender is told (no assignment)
   * @param count spares kept booted (0: none, every stream boots on its Request)
   */
  constructor(
    private readonly data: Omit<UnicastWorkerData, 'assignment' | 'waitForStart'>,
    private readonly count: number,
    private readonly boot: (data: UnicastWorkerData) => StreamHandle = (d) => new StreamHandle(d),
  ) {
    this.refill();
  }

  /** A running stream for `assignment`: a booted spare when one is ready, else a fresh worker. */
  take(assignment: UnicastAssignment): StreamHandle {
    let handle: StreamHandle | undefined;
    while (handle === undefined && this.spares.length > 0) {
      const h = this.spares.shift()!;
      if (!h.ended) handle = h; // a spare that died while idle is simply dropped
    }
    if (handle) handle.start(assignment);
    else handle = this.boot({ ...this.data, assignment });
    this.refill();
    return handle;
  }

  /** Stops the idle spares (the sender is closing). */
  close(): void {
    this.closed = true;
    for (const h of this.spares.splice(0)) h.stop('sender closing');
  }

  private refill(): void {
    while (!this.closed && this.spares.length < this.count) this.spares.push(this.boot({ ...this.data, waitForStart: true }));
  }
}

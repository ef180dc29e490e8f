import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DatagramPump, PROBE_EVERY, type TransmitSource } from '../../sender/datagramPump.js';

/** A source with `n` datagrams due, each stamped with its index in byte 0. */
function source(n: number): TransmitSource & { given: number } {
  return {
    given: 0,
    datagramLength: 16,
    pollTransmit(_now: number, out: Uint8Array) {
      if (this.given >= n) return undefined;
      out[0] = this.given++ & 0xff;
      return out;
    },
  };
}

function harness(queueAfterSend: (i: number) => number) {
  let queue = 0;
  const sent: { buf: Buffer; first: number; probe: boolean }[] = [];
  const callbacks: ((err: Error | null) => void)[] = [];
  const errors: Error[] = [];
  let drained = 0;
  const pump = new DatagramPump(
    { getSendQueueCount: () => queue },
    {
      send: (buf, cb) => {
        sent.push({ buf, first: buf[0]!, probe: cb !== undefined });
        if (cb) callbacks.push(cb);
        queue = queueAfterSend(sent.length - 1);
      },
      onError: (e) => errors.push(e),
      onDrained: () => drained++,
    },
  );
  return { pump, sent, callbacks, errors, setQueue: (q: number) => (queue = q), drained: () => drained };
}

describe('DatagramPump', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reuses one buffer while the kernel takes every datagram at once, and probes every PROBE_EVERY-th', () => {
    const h = harness(() => 0);
    const src = source(200);
    expect(h.pump.pump(0, src)).toBe(true);
    expect(h.sent).toHaveLength(200);
    expect(h.sent.map((s) => s.first)).toEqual([...Array(200).keys()]);
    expect(new Set(h.sent.map((s) => s.buf)).size).toBe(1);
    expect(h.sent.filter((s) => s.probe)).toHaveLength(Math.floor(200 / PROBE_EVERY));
    expect(h.sent[PROBE_EVERY - 1]!.probe).toBe(true);
    expect(h.pump.idle).toBe(true);
  });

  it('sends a longer datagram the core made in its own buffer (a combined resend) as it is', () => {
    const h = harness(() => 0);
    let n = 0;
    const src: TransmitSource = {
      datagramLength: 16,
      pollTransmit(_now, out) {
        if (n === 3) return undefined;
        if (n++ !== 1) return out.fill(n);
        return new Uint8Array(22).fill(0xee);
      },
    };
    expect(h.pump.pump(0, src)).toBe(true);
    expect(h.sent.map((s) => s.buf.length)).toEqual([16, 22, 16]);
    expect([...h.sent[1]!.buf]).toEqual(new Array(22).fill(0xee));
    expect(h.sent[0]!.buf).toBe(h.sent[2]!.buf); // the recycled buffer is still reused
  });

  it('pauses while a datagram sits in the socket queue and resumes when it drained', () => {
    const h = harness((i) => (i === 9 ? 1 : 0));
    const src = source(30);
    expect(h.pump.pump(0, src)).toBe(false);
    expect(h.sent).toHaveLength(10);
    expect(h.pump.idle).toBe(false);
    expect(h.pump.pump(1, src)).toBe(false); // still paused: nothing more is written or sent
    expect(h.sent).toHaveLength(10);
    expect(src.given).toBe(10);
    vi.advanceTimersByTime(5);
    expect(h.drained()).toBe(0); // the queue has not drained yet
    h.setQueue(0);
    vi.advanceTimersByTime(1);
    expect(h.drained()).toBe(1);
    expect(h.pump.idle).toBe(true);
    expect(h.pump.pump(2, src)).toBe(true);
    expect(h.sent).toHaveLength(30);
    expect(h.sent.map((s) => s.first)).toEqual([...Array(30).keys()]);
  });

  it('reports a failed probe, and stops after close', () => {
    const h = harness(() => 0);
    h.pump.pump(0, source(PROBE_EVERY));
    expect(h.callbacks).toHaveLength(1);
    h.callbacks[0]!(new Error('send EPERM'));
    expect(h.errors.map((e) => e.message)).toEqual(['send EPERM']);
    h.callbacks[0]!(null);
    expect(h.errors).toHaveLength(1);
    h.pump.close();
    h.callbacks[0]!(new Error('late'));
    expect(h.errors).toHaveLength(1);
    expect(h.pump.pump(1, source(5))).toBe(false);
  });
});

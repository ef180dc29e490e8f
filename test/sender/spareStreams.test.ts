import { describe, expect, it } from 'vitest';
import { SpareStreams } from '../../sender/spareStreams.js';
import type { StreamHandle } from '../../sender/streamHandle.js';
import type { UnicastAssignment, UnicastWorkerData } from '../../sender/streamMessages.js';

/** Stands in for a worker: records how it was booted and what it was told. */
class FakeHandle {
  started?: UnicastAssignment | 'no-assignment';
  stopped?: string;
  ended = false;
  constructor(readonly data: UnicastWorkerData) {}
  start(a?: UnicastAssignment): void {
    this.started = a ?? 'no-assignment';
  }
  stop(reason: string): void {
    this.stopped = reason;
  }
}

const base = { mode: 'unicast' } as Omit<UnicastWorkerData, 'assignment' | 'waitForStart'>;
const to = (port: number): UnicastAssignment => ({ sessionId: port, window: 8, destination: { address: '127.0.0.1', port } });

function pool(count: number) {
  const booted: FakeHandle[] = [];
  const spares = new SpareStreams(base, count, (d) => {
    const h = new FakeHandle(d);
    booted.push(h);
    return h as unknown as StreamHandle;
  });
  return { spares, booted };
}

describe('SpareStreams', () => {
  it('boots its spares at once, waiting for start and knowing no receiver', () => {
    const { booted } = pool(2);
    expect(booted).toHaveLength(2);
    for (const h of booted) expect(h.data).toEqual({ mode: 'unicast', waitForStart: true });
  });

  it('a Request takes a booted spare, names its receiver, and a new spare boots behind it', () => {
    const { spares, booted } = pool(1);
    const got = spares.take(to(5000)) as unknown as FakeHandle;
    expect(got).toBe(booted[0]);
    expect(got.started).toEqual(to(5000));
    expect(booted).toHaveLength(2);
    expect(booted[1]!.started).toBeUndefined();
  });

  it('more Requests than spares: the rest boot with their assignment and start at once', () => {
    const { spares, booted } = pool(1);
    spares.take(to(1));
    const second = spares.take(to(2)) as unknown as FakeHandle;
    expect(second).toBe(booted[1]); // the refill
    const third = spares.take(to(3)) as unknown as FakeHandle;
    expect(third.started).toEqual(to(3));
    expect(booted.filter((h) => h.started === undefined)).toHaveLength(1); // one spare again
  });

  it('a spare that died while idle is passed over', () => {
    const { spares, booted } = pool(1);
    booted[0]!.ended = true;
    const got = spares.take(to(7)) as unknown as FakeHandle;
    expect(got).not.toBe(booted[0]);
    expect(got.data.assignment).toEqual(to(7));
  });

  it('none kept: every stream boots on its Request', () => {
    const { spares, booted } = pool(0);
    expect(booted).toHaveLength(0);
    const got = spares.take(to(9)) as unknown as FakeHandle;
    expect(got.data).toEqual({ mode: 'unicast', assignment: to(9) });
    expect(booted).toHaveLength(1);
  });

  it('close stops the idle spares and boots no more', () => {
    const { spares, booted } = pool(2);
    spares.close();
    expect(booted.map((h) => h.stopped)).toEqual(['sender closing', 'sender closing']);
    spares.take(to(1));
    expect(booted).toHaveLength(3); // the Request's own worker, no refill
  });
});

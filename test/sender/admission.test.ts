/** The server's tally on virtual time: the pre-Hello budget, maxReceivers, the target and the give-up bound. */
import { describe, expect, it } from 'vitest';
import { Admission } from '../../sender/admission.js';

const tally = (o: Partial<ConstructorParameters<typeof Admission>[0]> = {}) =>
  new Admission({ maxReceivers: 2, maxPendingHandshakes: 3, giveUpAfterMs: 60_000, ...o });

describe('Admission', () => {
  it('counts only receivers whose Hello was accepted towards maxReceivers', () => {
    const a = tally();
    // Idle connections that never say Hello take no receiver's place.
    for (const id of ['i1', 'i2', 'i3']) expect(a.connected(0, id)).toBeUndefined();
    a.connected(1, 'r1');
    a.connected(2, 'r2');
    expect(a.admit('r1')).toBe(true);
    expect(a.admit('r2')).toBe(true);
    expect(a.servedCount).toBe(2);
    a.connected(3, 'r3');
    expect(a.admit('r3')).toBe(false); // the maximum is reached by served receivers only
    a.ended(4, 'r1', 'completed');
    a.connected(5, 'r4');
    expect(a.admit('r4')).toBe(true);
  });

  it('keeps pre-Hello connections to their own budget, dropping the oldest for a newcomer', () => {
    const a = tally();
    expect(['p1', 'p2', 'p3'].map((id, i) => a.connected(i, id))).toEqual([undefined, undefined, undefined]);
    expect(a.connected(10, 'p4')).toBe('p1');
    a.admit('p2'); // said Hello: out of the pre-Hello budget
    expect(a.connected(11, 'p5')).toBeUndefined();
    expect(a.connected(12, 'p6')).toBe('p3');
    a.ended(13, 'p3'); // the evicted one's end changes nothing
    expect(a.pendingCount).toBe(3);
    expect(a.completed + a.failed).toBe(0);
  });

  it('finishes once `receivers` completed', () => {
    const a = tally({ receivers: 2 });
    for (const id of ['a', 'b']) {
      a.connected(0, id);
      a.admit(id);
    }
    a.ended(5, 'a', 'completed');
    expect(a.pollFinish()).toBeUndefined();
    a.ended(6, 'b', 'completed');
    expect(a.pollFinish()).toBe('2 receiver(s) completed');
    expect(a.pollFinish()).toBeUndefined();
  });

  it('gives up giveUpAfterMs after the last receiver ended while none is served and fewer than N completed', () => {
    const a = tally({ receivers: 3, maxReceivers: 3 });
    for (const id of ['a', 'b', 'c']) {
      a.connected(0, id);
      a.admit(id);
    }
    a.ended(100, 'a', 'completed');
    a.ended(200, 'b', 'failed'); // killed: c is still being served, no countdown
    expect(a.pollTimeout()).toBeUndefined();
    a.ended(1000, 'c', 'completed');
    expect(a.pollTimeout()).toBe(61_000);
    // A new receiver's Hello cancels the countdown; its failure starts a new one.
    a.connected(30_000, 'd');
    expect(a.pollTimeout()).toBe(61_000); // a connection alone does not
    a.admit('d');
    expect(a.pollTimeout()).toBeUndefined();
    a.ended(40_000, 'd', 'failed');
    a.handleTimeout(99_999);
    expect(a.pollFinish()).toBeUndefined();
    a.handleTimeout(100_000);
    expect(a.pollFinish()).toBe('gave up: 2 of 3 receiver(s) completed (2 failed), and no receiver came for 60 s after the last one ended');
  });

  it('never gives up without a target or with giveUpAfterMs 0, and waits for the first receiver as long as it takes', () => {
    const open = tally();
    open.connected(0, 'a');
    open.admit('a');
    open.ended(1, 'a', 'failed');
    expect(open.pollTimeout()).toBeUndefined();
    const patient = tally({ receivers: 1, giveUpAfterMs: 0 });
    patient.connected(0, 'a');
    patient.admit('a');
    patient.ended(1, 'a', 'failed');
    expect(patient.pollTimeout()).toBeUndefined();
    expect(tally({ receivers: 1 }).pollTimeout()).toBeUndefined();
  });

  it('named receivers (peers): finishes once each has ended, completed or failed, and never gives up early', () => {
    const peers = [{ name: 'a' }, { name: 'b' }, { name: 'c' }] as never;
    const a = tally({ peers, maxReceivers: 3 });
    for (const id of ['a', 'b', 'c']) expect(a.admit(id)).toBe(true);
    a.ended(1, 'a', 'completed');
    a.ended(2, 'b', 'failed');
    expect(a.pollFinish()).toBeUndefined();
    expect(a.pollTimeout()).toBeUndefined();
    a.ended(3, 'c', 'completed');
    expect(a.pollFinish()).toBe('2 of 3 receiver(s) completed');
  });
});

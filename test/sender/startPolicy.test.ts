/** The shared stream's start policy on virtual time: it hands out its deadline and its go. */
import { describe, expect, it } from 'vitest';
import { StartPolicy } from '../../sender/startPolicy.js';

describe('StartPolicy', () => {
  it('starts at the first Request without a policy', () => {
    const p = new StartPolicy({ carousel: false }, 0);
    expect(p.pollTimeout()).toBeUndefined();
    expect(p.pollStart()).toBeUndefined();
    p.join(5, 'a', 8);
    expect(p.pollStart()).toEqual({ why: '1 receiver(s) ready', members: [['a', 8]] });
    expect(p.pollStart()).toBeUndefined();
    p.join(6, 'b', 8); // after the start the adapter joins members itself
    expect(p.pollStart()).toBeUndefined();
  });

  it('waits for minReceivers, forgetting those who left', () => {
    const p = new StartPolicy({ minReceivers: 3, carousel: false }, 0);
    p.join(1, 'a', 8);
    p.join(2, 'b', 4);
    p.leave('a');
    p.join(3, 'c', 8);
    expect(p.pollStart()).toBeUndefined();
    p.join(4, 'd', 2);
    expect(p.pollStart()).toEqual({
      why: '3 receiver(s) ready',
      members: [
        ['b', 4],
        ['c', 8],
        ['d', 2],
      ],
    });
  });

  it('hands out the --wait deadline and starts there with whoever came, or with the first after it', () => {
    const p = new StartPolicy({ waitMs: 30_000, minReceivers: 5, carousel: false }, 1000);
    p.join(2000, 'a', 8);
    expect(p.pollTimeout()).toBe(31_000);
    p.handleTimeout(30_999);
    expect(p.pollStart()).toBeUndefined();
    p.handleTimeout(31_000);
    expect(p.pollStart()).toEqual({ why: '--wait 30000 ms elapsed', members: [['a', 8]] });
    expect(p.pollTimeout()).toBeUndefined();

    const empty = new StartPolicy({ waitMs: 1000, carousel: false }, 0);
    empty.handleTimeout(1000);
    expect(empty.pollStart()).toBeUndefined(); // nobody to send to yet
    expect(empty.pollTimeout()).toBeUndefined();
    empty.join(5000, 'late', 8);
    expect(empty.pollStart()?.members).toEqual([['late', 8]]);
  });

  it('a join past the deadline starts even if the timer has not fired yet', () => {
    const p = new StartPolicy({ waitMs: 100, minReceivers: 9, carousel: false }, 0);
    p.join(150, 'a', 8);
    expect(p.pollStart()?.members).toEqual([['a', 8]]);
  });

  it('a carousel starts at once with nobody; a stopped policy never starts', () => {
    const c = new StartPolicy({ carousel: true }, 0);
    expect(c.started).toBe(true);
    expect(c.pollStart()).toEqual({ why: 'carousel', members: [] });
    const s = new StartPolicy({ waitMs: 10, carousel: false }, 0);
    s.join(1, 'a', 8);
    s.stop();
    s.handleTimeout(10);
    expect(s.pollStart()).toBeUndefined();
    expect(s.pollTimeout()).toBeUndefined();
  });

  it('named receivers (send --to): starts once every one still running has asked; one that ends is not waited for', () => {
    const p = new StartPolicy({ carousel: false, named: 3 }, 0);
    p.join(1, 'a', 8);
    p.join(2, 'b', 8);
    expect(p.started).toBe(false);
    p.namedEnded(3, 'c'); // its SSH failed: it will never ask
    expect(p.pollStart()).toEqual({
      why: '2 receiver(s) ready',
      members: [
        ['a', 8],
        ['b', 8],
      ],
    });
    // One that asked and left before the start is neither waited for nor a member.
    const q = new StartPolicy({ carousel: false, named: 2 }, 0);
    q.join(1, 'a', 8);
    q.leave('a');
    q.namedEnded(2, 'a');
    expect(q.started).toBe(false);
    q.join(3, 'b', 8);
    expect(q.pollStart()?.members).toEqual([['b', 8]]);
    // --wait still bounds it; --min-receivers still decides when given.
    const w = new StartPolicy({ carousel: false, named: 3, waitMs: 100 }, 0);
    w.join(1, 'a', 8);
    w.handleTimeout(100);
    expect(w.pollStart()?.members).toEqual([['a', 8]]);
    const m = new StartPolicy({ carousel: false, named: 3, minReceivers: 1 }, 0);
    m.join(1, 'a', 8);
    expect(m.started).toBe(true);
  });
});

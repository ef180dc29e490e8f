import { describe, expect, it } from 'vitest';
import { defaultBurstBytes, TokenBucket } from '../../sender/tokenBucket.js';

describe('TokenBucket', () => {
  it('lets a burst through, then spaces datagrams at the rate', () => {
    const b = new TokenBucket({ rateBytesPerSecond: 1_000_000, burstBytes: 3000, now: 0 });
    expect(b.nextSendTime(0, 1000)).toBe(0);
    b.consume(0, 1000);
    b.consume(0, 1000);
    b.consume(0, 1000);
    // Empty: the next 1000 bytes need 1 ms at 1 MB/s.
    expect(b.nextSendTime(0, 1000)).toBeCloseTo(1, 9);
    expect(b.nextSendTime(0.5, 1000)).toBeCloseTo(1, 9);
    expect(b.nextSendTime(1, 1000)).toBe(1);
  });

  it('holds the long-run rate within one datagram', () => {
    const rate = 12_500_000; // 100 Mbit/s
    const b = new TokenBucket({ rateBytesPerSecond: rate, now: 0 });
    let now = 0;
    let sent = 0;
    while (now < 1000) {
      now = b.nextSendTime(now, 1420);
      b.consume(now, 1420);
      sent += 1420;
    }
    expect(Math.abs(sent - rate - defaultBurstBytes(rate))).toBeLessThanOrEqual(1420);
  });

  it('never exceeds its burst after idling', () => {
    const b = new TokenBucket({ rateBytesPerSecond: 1_000_000, burstBytes: 5000, now: 0 });
    expect(b.nextSendTime(10_000, 5000)).toBe(10_000);
    b.consume(10_000, 5000);
    expect(b.nextSendTime(10_000, 1)).toBeGreaterThan(10_000);
  });

  it('is unlimited at rate 0 and follows rate changes', () => {
    const b = new TokenBucket({ rateBytesPerSecond: 0, now: 0 });
    for (let i = 0; i < 1000; i++) b.consume(0, 65_000);
    expect(b.nextSendTime(0, 65_000)).toBe(0);
    b.setRate(0, 1_000_000);
    // It kept the tokens it had at rate 0 (the 6000-byte minimum bucket), not a fresh full one.
    b.consume(0, 6000);
    expect(b.nextSendTime(0, 1000)).toBeCloseTo(1, 9);
    b.setRate(0, 2_000_000);
    expect(b.nextSendTime(0, 1000)).toBeCloseTo(0.5, 9);
  });
});

import { describe, expect, it } from 'vitest';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { SeededRandom } from '../../util/random.js';
import { AUTO_RESEND_MAX_LOSS } from '../../sender/unicastStream.js';
import { BURST_SECONDS } from '../../sender/tokenBucket.js';
import { SimulatedTransfer } from './simulatedTransfer.js';

const codec = raptorqCodec();
const data = new SeededRandom(77).fill(new Uint8Array(3 * (1 << 20) + 999));

function run(loss: number, seed = 5, extra: Partial<ConstructorParameters<typeof SimulatedTransfer>[0]> = {}) {
  return new SimulatedTransfer({ data, codec, segmentSize: 1 << 20, loss, seed, rateBytesPerSecond: 50e6, ...extra }).run();
}

describe('simulated unicast transfer (sender and receiver cores, virtual time, lossy link)', () => {
  it.each([0, 0.1, 0.3, 0.5])('delivers the file intact at %s loss with little reception overhead', (loss) => {
    const sim = run(loss);
    const seed = 5;
    expect(sim.completedAt, `seed ${seed}`).toBeDefined();
    expect(Buffer.compare(Buffer.from(sim.output), Buffer.from(data)), `seed ${seed}`).toBe(0);
    const stats = sim.core!.stats;
    expect(stats.symbolsReceived / stats.symbolsNeeded).toBeLessThan(1.01);
    // The sender ended the stream because the receiver said so, and both sides closed cleanly.
    expect(sim.stream!.finishReason).toBe('complete');
    expect(sim.sEvents.at(-1)).toMatchObject({ type: 'closed', reason: 'peer stopped (done): verified' });
    // Virtual completion time tracks size / rate / (1 - loss): the pipeline adds little.
    const ideal = (((data.length / 1392) * 1420) / 50e6 / (1 - loss)) * 1000;
    // (Less the token bucket's initial burst, which leaves at once.)
    expect(sim.completedAt!).toBeGreaterThan(ideal * 0.95 - BURST_SECONDS * 1000);
    expect(sim.completedAt!).toBeLessThan(ideal * 1.5 + 20);
    const tx = sim.stream!.stats;
    if (loss === 0) expect(tx.repairSymbolsSent + tx.sourceRetransmits).toBe(0);
    // auto: listed losses are resent up to 10 % loss; above that repair symbols do the work.
    else if (loss <= AUTO_RESEND_MAX_LOSS) expect(tx.sourceRetransmits).toBeGreaterThan(0);
    else expect(tx.repairSymbolsSent).toBeGreaterThan(0);
  });

  it.each([
    ['resend', 0.05],
    ['resend', 0.3],
    ['fountain', 0.05],
    ['fountain', 0.3],
  ] as const)('%s recovery at %s loss: intact, and only that kind of recovery symbol', (recovery, loss) => {
    const sim = run(loss, 9, { recovery });
    expect(sim.completedAt).toBeDefined();
    expect(Buffer.compare(Buffer.from(sim.output), Buffer.from(data))).toBe(0);
    const tx = sim.stream!.stats;
    if (recovery === 'fountain') {
      expect(tx.sourceRetransmits).toBe(0);
      expect(tx.repairSymbolsSent).toBeGreaterThan(0);
    } else {
      expect(tx.sourceRetransmits).toBeGreaterThan(0);
      // Lists plus the lost-tail rule explain every shortfall: the codec is never needed.
      expect(tx.repairSymbolsSent).toBe(0);
    }
    const ideal = (((data.length / 1392) * 1420) / 50e6 / (1 - loss)) * 1000;
    expect(sim.completedAt!).toBeLessThan(ideal * 2 + 40);
  });

  it('is deterministic: the same seed gives the same run', () => {
    const a = run(0.2, 11);
    const b = run(0.2, 11);
    expect(a.completedAt).toBe(b.completedAt);
    expect(a.stream!.stats).toEqual(b.stream!.stats);
    expect(a.core!.stats.symbolsReceived).toBe(b.core!.stats.symbolsReceived);
  });

  it('fires the idle timeout on both sides when the link drops everything mid-transfer', () => {
    const sim = run(0, 3, { blackoutAt: 20, idleTimeoutMs: 2000, heartbeatIntervalMs: 250, rateBytesPerSecond: 10e6 });
    expect(sim.completedAt).toBeUndefined();
    const s = sim.sEvents.find((e) => e.type === 'closed');
    const r = sim.rEvents.find((e) => e.type === 'closed');
    expect(s).toMatchObject({ reason: expect.stringMatching(/idle timeout 2000 ms/) });
    expect(r).toMatchObject({ reason: expect.stringMatching(/idle timeout 2000 ms/) });
    // The last frame got through just before 20 ms; silence of 2000 ms ends it by ~2020 ms.
    expect(sim.now).toBeGreaterThanOrEqual(2000);
    expect(sim.now).toBeLessThanOrEqual(2021);
    expect(sim.stream!.finished).toBe(true);
  });
});

describe('a fountain behind 99.9 % loss', () => {
  it('keeps the symbols flowing while the receiver needs them, and completes', () => {
    // 12 source symbols; about one datagram in 1,000 arrives, so ~12,000 must go out. The receiver
    // reports only when something arrives: the stream must not fall back to a few symbols per
    // stall, which would take hours to get 12 symbols through.
    const small = new SeededRandom(5).fill(new Uint8Array(16 << 10));
    const sim = new SimulatedTransfer({
      data: small,
      codec,
      segmentSize: 1 << 20,
      loss: 0.999,
      seed: 3,
      rateBytesPerSecond: 50e6,
      fixedRate: true,
      recovery: 'fountain',
      idleTimeoutMs: 100_000,
      maxVirtualMs: 60_000,
    }).run();
    expect(sim.completedAt, 'seed 3').toBeDefined();
    // Doubling stall bursts until arrivals teach the loss, then repair planned for it.
    expect(sim.completedAt!).toBeLessThan(8_000);
    expect(sim.stream!.stats.datagramsSent).toBeGreaterThan(5_000);
    expect(Buffer.compare(Buffer.from(sim.output), Buffer.from(small))).toBe(0);
  });
});

describe('forged sequence numbers (open mode, the right session id)', () => {
  it("leave the receiver's loss count and the sender's loss estimate at the true loss", () => {
    // One forged copy (random sequence number) per ~10 real datagrams, 5 % real loss.
    const seed = 11;
    const sim = run(0.05, seed, { forged: 0.1 });
    expect(sim.completedAt, `seed ${seed}`).toBeDefined();
    expect(Buffer.compare(Buffer.from(sim.output), Buffer.from(data)), `seed ${seed}`).toBe(0);
    expect(sim.forgedSent).toBeGreaterThan(100);
    const rx = sim.core!.stats;
    // About half the forged numbers lie ahead (serial arithmetic): dropped, not counted as loss.
    expect(rx.drops['sequence-jump']).toBeGreaterThan(sim.forgedSent * 0.3);
    // Only the real loss counts (less a lost tail the receiver cannot see).
    expect(rx.datagramsLost, `seed ${seed}`).toBeLessThanOrEqual(sim.dataLost);
    expect(rx.datagramsLost, `seed ${seed}`).toBeGreaterThan(sim.dataLost * 0.9);
    expect(rx.sequence.received + rx.sequence.stale, `seed ${seed}`).toBeLessThanOrEqual(sim.dataSent - sim.dataLost + sim.forgedSent);
    expect(sim.stream!.stats.lossEstimate, `seed ${seed}`).toBeLessThan(0.15);
    expect(sim.stream!.stats.datagramsSent / sim.dataSent).toBe(1);
    expect(sim.dataSent, `seed ${seed}`).toBeLessThan(1.2 * (data.length / 1392));
  });
});

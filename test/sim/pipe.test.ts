/**
 * A piped sender on virtual time: the object grows one segment at a time, each announced in a
 * Digests frame and only then served (UnicastStream.extend), the length last; the receiver core
 * grows with the digests. Seeded loss on the data plane; the real cores on both ends.
 */
import { describe, expect, it } from 'vitest';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { SeededRandom } from '../../util/random.js';
import { SimulatedTransfer } from './simulatedTransfer.js';

const codec = raptorqCodec();
const SEG = 1 << 20;

function run(size: number, loss: number, fillMs: number, seed = 7) {
  const data = new SeededRandom(seed).fill(new Uint8Array(size));
  const sim = new SimulatedTransfer({ data, codec, segmentSize: SEG, loss, seed, rateBytesPerSecond: 50e6, pipe: { fillMs } }).run();
  return { sim, data };
}

describe('simulated piped transfer (a segment count that grows, lossy link)', () => {
  it.each([0, 0.05, 0.3])('delivers the pipe intact at %s loss, each segment as it fills', (loss) => {
    // 4.4 segments, one filling every 40 ms: slower than the 50 MB/s stream, so it waits for each.
    const { sim, data } = run(4 * SEG + 400_000, loss, 40);
    expect(sim.completedAt, `loss ${loss}, seed 7`).toBeDefined();
    expect(Buffer.from(sim.output).equals(Buffer.from(data))).toBe(true);
    expect(sim.stream!.finishReason).toBe('complete');
    expect(sim.core!.layout).toMatchObject({ segmentCount: 5, fileSize: data.length });
    expect(sim.sEvents.at(-1)).toMatchObject({ type: 'closed', reason: 'peer stopped (done): verified' });
    // The last segment fills at 200 ms; the transfer ends soon after (a segment at 50 MB/s is ~21 ms, more with loss).
    expect(sim.completedAt!).toBeGreaterThan(200);
    expect(sim.completedAt!).toBeLessThan(200 + (loss === 0 ? 40 : 150));
    if (loss > 0) expect(sim.stream!.stats.sourceRetransmits + sim.stream!.stats.repairSymbolsSent).toBeGreaterThan(0);
  });

  it('a pipe faster than the link: the window, not the pipe, paces the stream; intact', () => {
    const { sim, data } = run(6 * SEG + 12_345, 0.1, 1);
    expect(Buffer.from(sim.output).equals(Buffer.from(data))).toBe(true);
    expect(sim.stream!.finishReason).toBe('complete');
  });

  it('a pipe that ends at a segment boundary: the end frame adds no segment, and still completes', () => {
    const { sim, data } = run(3 * SEG, 0.05, 20);
    expect(Buffer.from(sim.output).equals(Buffer.from(data))).toBe(true);
    expect(sim.core!.layout.segmentCount).toBe(3);
  });

  it('an empty pipe completes with nothing sent', () => {
    const { sim } = run(0, 0, 10);
    expect(sim.completedAt).toBeDefined();
    expect(sim.stream?.stats.datagramsSent ?? 0).toBe(0);
  });

  it('is deterministic: the same seed gives the same run', () => {
    const a = run(3 * SEG + 5, 0.2, 15, 11).sim;
    const b = run(3 * SEG + 5, 0.2, 15, 11).sim;
    expect(a.completedAt).toBe(b.completedAt);
    expect(a.stream!.stats).toEqual(b.stream!.stats);
  });
});

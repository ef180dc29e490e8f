import { describe, expect, it } from 'vitest';
import type { Codec } from '../../encoder/codec.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { DEFAULT_SYMBOL_SIZE, planSegments, totalSourceSymbols } from '../../encoder/segmentLayout.js';
import { WARM_UP_SEGMENTS, warmUpReceivePath } from '../../receiver/warmUp.js';

describe('warmUpReceivePath', () => {
  it('runs a whole synthetic transfer, losses and combined resends included, and verifies it', () => {
    const r = warmUpReceivePath(raptorqCodec());
    const k = totalSourceSymbols(planSegments(WARM_UP_SEGMENTS * (1 << 20) - 1000, { segmentSize: 1 << 20, symbolSize: DEFAULT_SYMBOL_SIZE }));
    // Every source symbol arrives exactly once: directly, or in the one resend of its loss.
    expect(r.datagrams).toBe(k);
    expect(r.combined).toBeGreaterThan(50);
    expect(r.complete).toBe(true);
  });

  it('is deterministic (seeded loss)', () => {
    const a = warmUpReceivePath(raptorqCodec(), 2);
    const b = warmUpReceivePath(raptorqCodec(), 2);
    expect({ ...a, ms: 0 }).toEqual({ ...b, ms: 0 });
    expect(a.complete).toBe(true);
  });

  it('never throws: a codec that cannot assemble segments leaves it incomplete', () => {
    const broken: Codec = {
      ...raptorqCodec(),
      segmentFromSourceSymbols: () => {
        throw new Error('broken codec');
      },
      createDecoder: () => {
        throw new Error('broken codec');
      },
    };
    const r = warmUpReceivePath(broken, 2);
    expect(r.complete).toBe(false);
    expect(r.datagrams).toBeGreaterThan(0);
  });
});

/**
 * The shared stream's per-segment choice between combined resends and shared repair
 * (SharedRecovery.resendsPay): resends while they cost at most about 2.5 times the worst member's
 * losses, since repair costs every member that gets any a RaptorQ decode.
 */
import { describe, expect, it } from 'vitest';
import { crc32Scheme } from '../../encoder/integrity.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { DatagramEmitter } from '../../sender/datagramEmitter.js';
import { Membership } from '../../sender/membership.js';
import { SharedRecovery, SharedSegment } from '../../sender/sharedRecovery.js';
import { emptyStreamStats } from '../../sender/streamCore.js';

const T = 1392;

/** Whether a fresh segment gets resends, for members with these loss estimates. */
function resendsPay(losses: readonly number[], combineMax = 8): boolean {
  const members = new Membership(4, 500);
  losses.forEach((p, i) => {
    members.add(`m${i}`, 4, 0).lossEstimate = p;
  });
  const stats = emptyStreamStats();
  const emitter = DatagramEmitter.forStream({ sessionId: 1, layout: { symbolSize: T }, integrity: crc32Scheme, now: 0 }, 0, stats);
  const recovery = new SharedRecovery('auto', members, emitter, combineMax, T, stats);
  const data = new Uint8Array(4 * T);
  const seg = new SharedSegment(0, 4, raptorqCodec().createEncoder(data, { transferLength: data.length, symbolSize: T }));
  try {
    return recovery.resendsPay(0, seg);
  } finally {
    seg.encoder.free();
  }
}

describe('SharedRecovery.resendsPay (auto)', () => {
  it('resends for groups larger than one combination while the cost stays near the worst loss', () => {
    expect(resendsPay(Array(16).fill(0.05))).toBe(true); // 0.8 / 8 = 2 × 5 %, within 2.5 ×
    expect(resendsPay(Array(4).fill(0.3))).toBe(true); // 1.2 / 8 < 30 %
    expect(resendsPay(Array(16).fill(0))).toBe(true); // lossless so far: each counts as 1 %
  });

  it('repairs when the summed loss outgrows the combinations, or one member loses too much', () => {
    expect(resendsPay(Array(32).fill(0.05))).toBe(false); // 1.6 / 8 = 4 × 5 %
    expect(resendsPay([0.45, 0.01])).toBe(false);
    expect(resendsPay(Array(64).fill(0))).toBe(false); // a large group before any estimate
    expect(resendsPay(Array(16).fill(0.05), 4)).toBe(false); // 0.8 / 4 = 4 × 5 %
  });
});

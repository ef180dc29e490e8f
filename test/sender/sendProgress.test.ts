/** send()'s progress snapshots: a receiver's bytes from its Progress report, and the streams' totals. */
import { describe, expect, it } from 'vitest';
import { planSegments } from '../../encoder/segmentLayout.js';
import { bytesHeld, streamTotals } from '../../sender/sendProgress.js';

import { progress as report } from './progressReport.js';

describe('send progress', () => {
  // 10 MiB + 100 bytes in 4 MiB segments of 1024-byte symbols: 4 MiB, 4 MiB, 2 MiB + 100.
  const layout = planSegments(10 * 2 ** 20 + 100, { segmentSize: 4 * 2 ** 20, symbolSize: 1024 });

  it('counts complete segments whole (the short last one by its length) and open ones by the symbols held', () => {
    expect(bytesHeld(layout, report({}))).toBe(0);
    expect(bytesHeld(layout, report({ completeBelow: 1 }))).toBe(4 * 2 ** 20);
    expect(bytesHeld(layout, report({ completeBelow: 1, completeAbove: [2] }))).toBe(6 * 2 ** 20 + 100);
    expect(bytesHeld(layout, report({ completeBelow: 1, open: [{ index: 1, received: 10, needed: 4086 }] }))).toBe(4 * 2 ** 20 + 10 * 1024);
    // An open segment never counts more than its length (repair symbols beyond K).
    expect(bytesHeld(layout, report({ completeBelow: 2, open: [{ index: 2, received: 5000, needed: 0 }] }))).toBe(layout.fileSize);
    expect(bytesHeld(layout, report({ completeBelow: 3 }))).toBe(layout.fileSize);
  });

  it('ignores what lies outside the layout (a report is the peer’s word)', () => {
    expect(bytesHeld(layout, report({ completeBelow: 99, completeAbove: [7, -1], open: [{ index: 50, received: 9, needed: 1 }] }))).toBe(layout.fileSize);
  });

  it('sums every stream, ended ones too; resends are listed losses sent again plus repair symbols', () => {
    expect(
      streamTotals([
        { bytesSent: 1000, datagramsSent: 10, sourceRetransmits: 1, repairSymbolsSent: 2 },
        undefined,
        { bytesSent: 500, datagramsSent: 5, sourceRetransmits: 0 },
      ]),
    ).toEqual({ bytesSent: 1500, datagramsSent: 15, resends: 3 });
  });
});

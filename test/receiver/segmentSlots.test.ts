/** The open segments' bytes on their way in: what progress displays add to the bytes written. */
import { describe, expect, it } from 'vitest';
import { planSegments } from '../../encoder/segmentLayout.js';
import { SegmentSlots } from '../../receiver/segmentSlots.js';

describe('SegmentSlots.bytesInFlight', () => {
  it('counts each open segment’s symbols, at most its length, a decoded one whole and a written one not at all', () => {
    // Two segments of 4 symbols of 64 bytes (256 bytes each) and a last one of 80 bytes (2 symbols).
    const layout = planSegments(592, { segmentSize: 256, symbolSize: 64 });
    const slots = new SegmentSlots(() => layout, { encodingSymbolIdLimit: 1 << 20 });
    expect(slots.bytesInFlight()).toBe(0);
    const a = slots.open(0);
    for (let id = 0; id < 3; id++) a.collector!.add(id, new Uint8Array(64));
    expect(slots.bytesInFlight()).toBe(192);
    // Repair symbols beyond K add nothing: the segment is at most its length.
    for (let id = 3; id < 9; id++) a.collector!.add(id, new Uint8Array(64));
    expect(slots.bytesInFlight()).toBe(256);
    const last = slots.open(2);
    for (let id = 0; id < 5; id++) last.collector!.add(id, new Uint8Array(64));
    expect(slots.bytesInFlight()).toBe(256 + 80);
    // Decoded (data present, collector gone): its length; written: nothing, it is in bytesWritten.
    last.collector = undefined;
    last.data = new Uint8Array(80);
    expect(slots.bytesInFlight()).toBe(336);
    last.written = true;
    expect(slots.bytesInFlight()).toBe(256);
  });
});

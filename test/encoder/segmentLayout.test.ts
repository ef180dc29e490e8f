import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SEGMENT_SIZE,
  DEFAULT_SYMBOL_SIZE,
  MAX_SEGMENT_SIZE,
  MAX_SOURCE_SYMBOLS_PER_SEGMENT,
  MAX_SYMBOL_SIZE,
  MIN_SYMBOL_SIZE,
  planSegments,
  segmentRange,
  sourceSymbolCount,
} from '../../encoder/segmentLayout.js';

describe('segment layout', () => {
  it('cuts a file into full segments and a shorter last one', () => {
    const l = planSegments(10 * 1392 + 5, { segmentSize: 4 * 1392, symbolSize: 1392 });
    expect(l.segmentCount).toBe(3);
    expect(segmentRange(l, 0)).toEqual({ index: 0, offset: 0, length: 4 * 1392, sourceSymbols: 4 });
    expect(segmentRange(l, 2)).toEqual({ index: 2, offset: 8 * 1392, length: 2 * 1392 + 5, sourceSymbols: 3 });
  });

  it('handles an empty file and an exact multiple', () => {
    expect(planSegments(0).segmentCount).toBe(0);
    const l = planSegments(8 << 20);
    expect(l.segmentCount).toBe(2);
    expect(segmentRange(l, 1).length).toBe(4 << 20);
  });

  it('refuses out-of-range parameters with LayoutError', () => {
    const bad: [number, object][] = [
      [-1, {}],
      [1.5, {}],
      [2 ** 51, {}],
      [100, { symbolSize: 1391 }],
      [100, { symbolSize: 0 }],
      [100, { symbolSize: 1392, segmentSize: 100 }],
      [100, { symbolSize: 1392, segmentSize: (MAX_SOURCE_SYMBOLS_PER_SEGMENT + 1) * 1392 }],
    ];
    for (const [size, o] of bad) expect(() => planSegments(size, o), JSON.stringify([size, o])).toThrow(expect.objectContaining({ name: 'LayoutError' }));
    expect(() => segmentRange(planSegments(10), 1)).toThrow(expect.objectContaining({ name: 'LayoutError' }));
  });

  it('uses the defaults and accepts the exact limits', () => {
    const l = planSegments(1);
    expect(l).toEqual({ fileSize: 1, segmentSize: DEFAULT_SEGMENT_SIZE, symbolSize: DEFAULT_SYMBOL_SIZE, segmentCount: 1 });
    expect(segmentRange(l, 0)).toEqual({ index: 0, offset: 0, length: 1, sourceSymbols: 1 });
    // K exactly 56403 is one source block; one byte more is not.
    const atLimit = MAX_SOURCE_SYMBOLS_PER_SEGMENT * 1392;
    expect(planSegments(atLimit, { segmentSize: atLimit }).segmentCount).toBe(1);
    expect(() => planSegments(atLimit, { segmentSize: atLimit + 1 })).toThrow(expect.objectContaining({ name: 'LayoutError' }));
    expect(planSegments(100, { symbolSize: MIN_SYMBOL_SIZE, segmentSize: MIN_SYMBOL_SIZE }).segmentCount).toBe(2);
    expect(planSegments(100, { symbolSize: MAX_SYMBOL_SIZE, segmentSize: MAX_SYMBOL_SIZE }).segmentCount).toBe(1);
    expect(planSegments(2 ** 30, { symbolSize: 8192, segmentSize: MAX_SEGMENT_SIZE }).segmentCount).toBe(4);
  });

  it('rejects symbol sizes the codec cannot use and oversized segments', () => {
    // Below 64 the raptorq wasm panics; 65008 no longer fits the datagram / u16 budget.
    for (const symbolSize of [8, 56, MIN_SYMBOL_SIZE - 8, MAX_SYMBOL_SIZE + 8, 1000.5, Number.NaN]) {
      expect(() => planSegments(100, { symbolSize, segmentSize: 65_536 }), String(symbolSize)).toThrow(expect.objectContaining({ name: 'LayoutError' }));
    }
    expect(() => planSegments(2 ** 30, { symbolSize: 8192, segmentSize: MAX_SEGMENT_SIZE + 8192 })).toThrow(expect.objectContaining({ name: 'LayoutError' }));
  });

  it('segment ranges tile the file exactly, with a one-byte last segment', () => {
    const fileSize = 3 * 65_536 + 1;
    const l = planSegments(fileSize, { symbolSize: 1024, segmentSize: 65_536 });
    expect(l.segmentCount).toBe(4);
    let next = 0;
    for (let i = 0; i < l.segmentCount; i++) {
      const r = segmentRange(l, i);
      expect(r.offset).toBe(next);
      expect(r.sourceSymbols).toBe(sourceSymbolCount(r.length, 1024));
      next += r.length;
    }
    expect(next).toBe(fileSize);
    expect(segmentRange(l, 3)).toEqual({ index: 3, offset: 3 * 65_536, length: 1, sourceSymbols: 1 });
    for (const bad of [-1, 4, 0.5, Number.NaN]) {
      expect(() => segmentRange(l, bad)).toThrow(expect.objectContaining({ name: 'LayoutError' }));
    }
  });
});

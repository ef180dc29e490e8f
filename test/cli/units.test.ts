import { describe, expect, it } from 'vitest';
import { formatDuration, formatRate, parseDuration, parseInteger, parseRate, parseSize, UnitError } from '../../cli/units.js';

describe('command-line units', () => {
  it('reads binary sizes', () => {
    expect(parseSize('1392')).toBe(1392);
    expect(parseSize('64K')).toBe(64 * 1024);
    expect(parseSize('4M')).toBe(4 * 1024 * 1024);
    expect(parseSize('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(() => parseSize('-4M')).toThrow(UnitError);
    expect(() => parseSize('4X')).toThrow(/cannot read size "4X"/);
  });

  it('reads decimal bit rates', () => {
    expect(parseRate('400M')).toBe(400e6);
    expect(parseRate('1G')).toBe(1e9);
    expect(parseRate('250Mbit')).toBe(250e6);
    expect(parseRate('0')).toBe(0);
    expect(() => parseRate('fast')).toThrow(UnitError);
    expect(() => parseRate('5000G')).toThrow(/out of range/);
  });

  it('reads durations, bare numbers as seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('0')).toBe(0);
    // A bare number could mean ms or s: refused, with the unit suggested.
    expect(() => parseDuration('10000')).toThrow(/"10000" needs a unit, e.g. 10000s or 10000ms/);
    expect(() => parseDuration('soon')).toThrow(UnitError);
    for (const ms of [0, 250, 5000, 90_000, 120_000, 3_600_000, 1500]) expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect(formatDuration(10_000)).toBe('10s');
    expect(formatRate(1e9)).toBe('1 Gbit/s');
    expect(formatRate(400e6)).toBe('400 Mbit/s');
  });

  it('reads whole numbers in a range, negative ones where the range allows them', () => {
    expect(parseInteger('7070', 'port', 0, 65535)).toBe(7070);
    expect(parseInteger('-5', 'nice', -20, 0)).toBe(-5);
    expect(() => parseInteger('-1', 'port', 0, 65535)).toThrow(/port must be a whole number from 0 to 65535, not "-1"/);
    expect(() => parseInteger('1', 'nice', -20, 0)).toThrow(UnitError);
    expect(() => parseInteger('1.5', 'port', 0, 65535)).toThrow(UnitError);
    expect(() => parseInteger('--5', 'nice', -20, 0)).toThrow(UnitError);
  });
});

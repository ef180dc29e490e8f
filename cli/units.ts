/**
 * Human units on the command line. Sizes are binary (64M = 64 MiB, as dd and udpcast read them);
 * rates are network bits per second, decimal (400M = 400 Mbit/s), like iperf and udp-sender's
 * --max-bitrate. Durations take ms/s/m/h and must carry one (a bare number is ambiguous: "10000"
 * could mean ms or s), except 0. Every parser throws UnitError with the offending text.
 */

export class UnitError extends Error {
  override readonly name = 'UnitError';
}

const SIZE_FACTORS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
const RATE_FACTORS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };
const DURATION_FACTORS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "4M", "1.5G", "512k", "1048576", "64MiB" -> bytes (whole number). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw new UnitError(`cannot read size "${text}" (examples: 1392, 64K, 4M, 1.5G)`);
  const bytes = Math.round(Number(m[1]) * SIZE_FACTORS[m[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new UnitError(`size "${text}" is too large`);
  return bytes;
}

/** "400M", "1G", "900m", "0" (unlimited), "250Mbit", "1.2Gbps" -> bits per second. */
export function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:bit|bps|b\/s|bit\/s)?\s*$/i.exec(text);
  if (!m) throw new UnitError(`cannot read rate "${text}" (bits per second, examples: 400M, 1G, 0 for no cap)`);
  const bits = Number(m[1]) * RATE_FACTORS[m[2]!.toLowerCase()]!;
  if (!Number.isFinite(bits) || bits > 1e12) throw new UnitError(`rate "${text}" is out of range`);
  return bits;
}

/** "30s", "500ms", "2m", "1h", "0" -> milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|)\s*$/i.exec(text);
  if (!m) throw new UnitError(`cannot read duration "${text}" (examples: 500ms, 30s, 2m)`);
  if (m[2] === '') {
    if (Number(m[1]) === 0) return 0;
    throw new UnitError(`duration "${text.trim()}" needs a unit, e.g. ${m[1]}s or ${m[1]}ms`);
  }
  return Math.round(Number(m[1]) * DURATION_FACTORS[m[2]!.toLowerCase()]!);
}

/** Milliseconds as the shortest exact form the parser reads back: 0, 500ms, 5s, 2m, 1h. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, f] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms % f === 0) return `${ms / f}${unit}`;
  return `${ms}ms`;
}

/** Bits per second as people write them: 1 Gbit/s, 400 Mbit/s. */
export function formatRate(bitsPerSecond: number): string {
  for (const [unit, f] of [
    ['Gbit/s', 1e9],
    ['Mbit/s', 1e6],
    ['kbit/s', 1e3],
  ] as const)
    if (bitsPerSecond >= f) return `${+(bitsPerSecond / f).toFixed(2)} ${unit}`;
  return `${bitsPerSecond} bit/s`;
}

/** Whole number within [min, max]. */
export function parseInteger(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\s*-?\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UnitError(`${what} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return n;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/**
 * RaptorQ on the wire against an independent RFC 6330 implementation: librecast's liblcrq (a
 * Debian package, GPL, so only this test links it, through the small C tool beside it). Both
 * directions, with 10 % of the source symbols lost (seeded) and repair symbols making up the
 * rest: our symbols decoded by liblcrq, liblcrq's decoded by us, identical bytes each time. The
 * segments include K != K' (1 MiB: K 754, K' 759; 1,000,003 bytes: 719 / 728), where repair ESIs
 * numbered from K' instead of K decode to wrong bytes. CI installs liblcrq-dev (.ci/run) and
 * sets FOUNTCAST_REQUIRE_INTEROP=1, so the test cannot pass there by being skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { extendedSourceSymbols } from '../../encoder/raptorqParameters.js';
import { SeededRandom } from '../../util/random.js';

const T = 1392;
const SIZES = [1 << 20, 1_000_003, 4 << 20];
const source = fileURLToPath(new URL('./interop/lcrqtool.c', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fountcast-lcrq-'));

/** The C tool, built here; or why it cannot be. */
function buildTool(): { path: string } | { why: string } {
  if (!existsSync('/usr/include/lcrq.h')) return { why: 'liblcrq-dev is not installed (/usr/include/lcrq.h missing)' };
  const path = join(dir, 'lcrqtool');
  try {
    execFileSync('cc', ['-O2', '-o', path, source, '-llcrq'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    return { why: `cannot build the liblcrq tool: ${(e as Error).message}` };
  }
  return { path };
}

const tool = buildTool();
if ('why' in tool) {
  if (process.env.FOUNTCAST_REQUIRE_INTEROP === '1') throw new Error(`FOUNTCAST_REQUIRE_INTEROP=1 but ${tool.why}`);
  console.warn(`RFC 6330 interop test not run: ${tool.why} (apt-get install liblcrq-dev)`);
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Seeded data, and the source ESIs a 10 % loss leaves. */
function scenario(size: number, seed: number) {
  const r = new SeededRandom(seed);
  const data = r.fill(new Uint8Array(size));
  const k = Math.ceil(size / T);
  const kept = [...Array(k).keys()].filter(() => r.next() >= 0.1);
  return { data, k, kept, lost: k - kept.length };
}

function lcrqSymbols(path: string, data: Uint8Array, esis: number[]): Uint8Array[] {
  const out = execFileSync(path, ['encode', String(data.length), String(T), ...esis.map(String)], {
    input: data,
    stdio: ['pipe', 'pipe', 'ignore'],
    maxBuffer: 64 << 20,
  });
  return esis.map((_, i) => new Uint8Array(out.subarray(i * T, (i + 1) * T)));
}

function lcrqDecode(path: string, size: number, symbols: { esi: number; data: Uint8Array }[]): Uint8Array | undefined {
  const input = Buffer.concat(
    symbols.flatMap((s) => [Buffer.from([s.esi >>> 24, (s.esi >>> 16) & 255, (s.esi >>> 8) & 255, s.esi & 255]), Buffer.from(s.data)]),
  );
  try {
    return new Uint8Array(execFileSync(path, ['decode', String(size), String(T)], { input, stdio: ['pipe', 'pipe', 'ignore'], maxBuffer: 64 << 20 }));
  } catch {
    return undefined;
  }
}

/** Our decoder fed `symbols` in order: the segment, or undefined when they were not enough. */
function ourDecode(size: number, symbols: { esi: number; data: Uint8Array }[]): Uint8Array | undefined {
  const d = raptorqCodec().createDecoder({ transferLength: size, symbolSize: T });
  try {
    for (const s of symbols) if (d.add(s.esi, s.data)) return d.result();
    return undefined;
  } finally {
    d.free();
  }
}

const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe.runIf('path' in tool)(`RaptorQ symbols are RFC 6330 (interop with liblcrq)${'why' in tool ? ` (skipped: ${tool.why})` : ''}`, () => {
  const path = (tool as { path: string }).path;

  it.each(SIZES)('%i bytes: liblcrq decodes our source and repair symbols', (size) => {
    const { data, k, kept, lost } = scenario(size, size % 1000);
    const encoder = raptorqCodec().createEncoder(data, { transferLength: size, symbolSize: T });
    // liblcrq wants K' symbols or a few more: as many repair symbols as lost, plus the padding and a margin.
    const repair = lost + (extendedSourceSymbols(k) - k) + 8;
    const symbols = [
      ...kept.map((esi) => ({ esi, data: encoder.sourceSymbol(esi) })),
      ...Array.from({ length: repair }, (_, n) => {
        const s = encoder.repairSymbol(n);
        return { esi: s.encodingSymbolId, data: s.data };
      }),
    ];
    encoder.free();
    expect(symbols[kept.length]!.esi).toBe(k);
    expect(same(lcrqDecode(path, size, symbols), data)).toBe(true);
  });

  it.each(SIZES)("%i bytes: we decode liblcrq's source and repair symbols", (size) => {
    const { data, k, kept, lost } = scenario(size, 7 + (size % 1000));
    const repairEsis = Array.from({ length: lost + 4 }, (_, n) => k + n);
    const esis = [...kept, ...repairEsis];
    const bytes = lcrqSymbols(path, data, esis);
    const symbols = esis.map((esi, i) => ({ esi, data: bytes[i]! }));
    expect(same(ourDecode(size, symbols), data)).toBe(true);
    // The numbering is what decides: the same repair symbols labelled from K' (the npm build's
    // own numbering) decode to other bytes, or not at all, wherever K' != K.
    const padding = extendedSourceSymbols(k) - k;
    if (padding > 0) {
      const relabelled = symbols.map((s) => (s.esi >= k ? { ...s, esi: s.esi + padding } : s));
      expect(same(ourDecode(size, relabelled), data)).toBe(false);
    }
  });
});

/**
 * Fuzz target `raptorq-native`: the native RaptorQ decoder (encoder/native/raptorqCodec.c over
 * the vendored crate) with symbols a receiver could hand it, and some it never should: losses
 * up to more than K, duplicate and altered symbols, repair ids at and past the edges, buffers
 * a byte short, and parameters no manifest carries (NaN, fractions, T not a multiple of the
 * alignment, more sub-blocks than sub-symbols, K over one block). Each case must end in the
 * segment's exact bytes (when the symbols were unaltered and enough), "not enough", or a typed
 * refusal (CodecError / ERR_FOUNTCAST_NATIVE_RAPTORQ): never a panic, a crash, or a byte written
 * outside `out`. The native encoder gets the same hostile parameters, and repair requests at and
 * past the ESI space's end, with short output buffers and after free: the symbols the decoder
 * takes, or a typed refusal.
 */
import fc from 'fast-check';
import { CodecError } from '../../encoder/errors.js';
import { loadNativeCrypto } from '../../encoder/nativeCrypto.js';
import { wasmRaptorQ } from '../../encoder/raptorq.js';
import { nativeRaptorQ } from '../../encoder/raptorqNative.js';
import { raptorqObjectInformation } from '../../encoder/raptorqParameters.js';
import { SYMBOL_ALIGNMENT } from '../../encoder/segmentLayout.js';
import { SeededRandom } from '../../util/random.js';
import { collectSymbols, type CollectedSymbols } from '../collectSymbols.js';
import { fail, type Of, type Target } from './asyncTarget.js';

const GUARD = 16;
const ESI_LIMIT = 1 << 24;

const input = fc.record({
  size: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 200, max: 40_000 })),
  symbolSize: fc.constantFrom(64, 128, 200, 1392),
  loss: fc.constantFrom(0, 0.05, 0.3, 0.9),
  /** Symbols beyond K handed over (negative: fewer than K). */
  extra: fc.integer({ min: -3, max: 6 }),
  seed: fc.nat(),
  mutation: fc.constantFrom(
    'none',
    'none',
    'none',
    'duplicate-repair',
    'alter-byte',
    'id-below-k',
    'id-at-limit',
    'id-last',
    'short-source',
    'short-presence',
    'short-repair',
    'long-repair',
    'raw-parameters',
    'encoder',
  ),
  /** For raw-parameters: which argument goes wrong. */
  hostile: fc.constantFrom<[number, number | undefined]>(
    [0, NaN],
    [0, 0.5],
    [0, -1],
    [0, 64 * 56_404],
    [1, 60],
    [1, 0],
    [1, 65_536],
    [2, 0],
    [2, 1000],
    [3, 0],
    [3, 3],
    [3, 256],
    [0, undefined],
  ),
});

type Case = Of<typeof input>;

export const raptorqNative: Target<Case> = {
  name: 'raptorq-native',
  available: nativeRaptorQ().decode !== undefined,
  input,
  async check(c) {
    const decode = nativeRaptorQ().decode ?? fail('no native RaptorQ decoder');
    const raw = loadNativeCrypto().module?.raptorqDecode ?? fail('no raptorqDecode in the module');
    const t = c.symbolSize;
    const random = new SeededRandom(c.seed);
    const data = random.fill(new Uint8Array(c.size));
    const info = raptorqObjectInformation(c.size, t);
    const k = info.sourceSymbols;
    const encoder = wasmRaptorQ().createEncoder(data, { transferLength: c.size, symbolSize: t });
    let collected: CollectedSymbols;
    try {
      collected = collectSymbols(encoder, t, c.loss, c.extra, random, 4 * k + 20);
    } finally {
      encoder.free();
    }
    let { source, sourcePresent } = collected;
    const ids = Array.from(collected.repairIds);
    // One array per repair symbol, so the mutations below can alter, add and duplicate them.
    const repairSymbols = ids.map((_, j) => collected.repair.slice(j * t, (j + 1) * t));
    let altered = false;
    let expectRefusal = false;
    const pick = (n: number) => Math.floor(random.next() * n);
    switch (c.mutation) {
      case 'duplicate-repair':
        if (ids.length > 0) {
          const j = pick(ids.length);
          ids.push(ids[j]!);
          repairSymbols.push(repairSymbols[j]!.map((b) => b ^ 1)); // a second copy that differs: either may be used
          altered = true;
        }
        break;
      case 'alter-byte':
        if (ids.length > 0) {
          repairSymbols[0]![pick(t)]! ^= 0x80;
          altered = true;
        }
        break;
      case 'id-below-k':
      case 'id-at-limit':
      case 'id-last':
        ids.push(c.mutation === 'id-below-k' ? pick(k) : c.mutation === 'id-at-limit' ? ESI_LIMIT : ESI_LIMIT - 1);
        repairSymbols.push(new Uint8Array(t));
        altered = true;
        expectRefusal = c.mutation !== 'id-last';
        break;
      case 'short-source':
        source = source.subarray(1);
        expectRefusal = true;
        break;
      case 'short-presence':
        sourcePresent = sourcePresent.subarray(1);
        expectRefusal = true;
        break;
    }
    const repair = new Uint8Array(repairSymbols.length * t + (c.mutation === 'long-repair' ? 1 : 0));
    repairSymbols.forEach((s, j) => repair.set(s, j * t));
    const repairView = c.mutation === 'short-repair' ? repair.subarray(0, Math.max(0, repair.length - 1)) : repair;
    if (c.mutation === 'long-repair' || (c.mutation === 'short-repair' && repair.length > 0)) expectRefusal = true;
    const block = { source, sourcePresent, repairIds: Uint32Array.from(ids), repair: repairView };

    if (c.mutation === 'encoder') return encoderCase(c, data, info.subBlocks, random);
    if (c.mutation === 'raw-parameters') {
      const args: unknown[] = [c.size, t, info.subBlocks, SYMBOL_ALIGNMENT];
      const [at, value] = c.hostile;
      args[at] = value;
      const backing = new Uint8Array(c.size + 2 * GUARD).fill(0xa5);
      const out = backing.subarray(GUARD, GUARD + c.size);
      let result: number;
      try {
        result = (raw as (...a: unknown[]) => number)(...args, block.source, block.sourcePresent, block.repairIds, block.repair, out);
      } catch (e) {
        if ((e as { code?: string }).code !== 'ERR_FOUNTCAST_NATIVE_RAPTORQ') fail(`raw call threw ${(e as Error).name}: ${(e as Error).message}`);
        return 'rejected';
      }
      // Only harmless changes get through: sub-blocks and alignment the crate accepts.
      if (result !== 0 && result !== 1) fail(`raw call with argument ${at} = ${String(value)} returned ${result}`);
      for (let i = 0; i < GUARD; i++) {
        if (backing[i] !== 0xa5 || backing[GUARD + c.size + i] !== 0xa5) fail(`raw call with argument ${at} = ${String(value)} wrote outside out`);
      }
      return result === 1 ? 'accepted' : 'rejected';
    }

    let out: Uint8Array | undefined;
    try {
      out = decode({ transferLength: c.size, symbolSize: t }, block);
    } catch (e) {
      if (!(e instanceof CodecError)) fail(`decode threw ${(e as Error).name}: ${(e as Error).message}`);
      if (!expectRefusal) fail(`decode refused a well-formed block (${c.mutation}): ${(e as Error).message}`);
      return 'rejected';
    }
    if (expectRefusal) fail(`decode took a malformed block (${c.mutation})`);
    // RaptorQ may fail with K or more symbols (rarely): "not enough" is a valid answer then.
    if (out === undefined) return 'rejected';
    const distinct = sourcePresent.reduce((a, b) => a + b, 0) + new Set(ids).size;
    if (distinct < k) fail(`decoded from ${distinct} symbols, fewer than K = ${k}`);
    if (out.length !== c.size) fail(`decoded ${out.length} bytes, expected ${c.size}`);
    if (!altered && !out.every((b, i) => b === data[i])) fail(`decoded wrong bytes from unaltered symbols (F=${c.size}, T=${t})`);
    return 'accepted';
  },
};

/** The native encoder under hostile arguments: a typed refusal, or its symbols written within `out` and nowhere else. */
function encoderCase(c: Case, data: Uint8Array, subBlocks: number, random: SeededRandom): 'accepted' | 'rejected' {
  const m = loadNativeCrypto().module;
  if (!m?.raptorqEncoderCreate || !m.raptorqEncoderRepair || !m.raptorqEncoderFree) fail('no native RaptorQ encoder in the module');
  const t = c.symbolSize;
  const k = Math.ceil(c.size / t);
  const refused = (e: unknown) => {
    if ((e as { code?: string }).code !== 'ERR_FOUNTCAST_NATIVE_RAPTORQ') fail(`encoder threw ${(e as Error).name}: ${(e as Error).message}`);
    return 'rejected' as const;
  };
  const args: unknown[] = [c.size, t, subBlocks, SYMBOL_ALIGNMENT, data];
  const [at, value] = c.hostile;
  const hostile = random.next() < 0.3;
  if (hostile) args[at] = value;
  let encoder: ReturnType<NonNullable<typeof m.raptorqEncoderCreate>>;
  try {
    encoder = (m.raptorqEncoderCreate as (...a: unknown[]) => typeof encoder)(...args);
  } catch (e) {
    return refused(e);
  }
  try {
    // A first id anywhere, near the end of the ESI space half the time; counts that cross it.
    const first = random.next() < 0.5 ? Math.floor(random.next() * 4 * k) : ESI_LIMIT - k - Math.floor(random.next() * 4);
    const count = Math.floor(random.next() * 6);
    const short = count > 0 && random.next() < 0.2 ? 1 : 0;
    const backing = new Uint8Array(count * t + 2 * GUARD).fill(0x5a);
    const out = backing.subarray(GUARD, GUARD + Math.max(0, count * t - short));
    const freed = random.next() < 0.1;
    if (freed) m.raptorqEncoderFree(encoder);
    let status: number;
    try {
      status = m.raptorqEncoderRepair(encoder, first, count, out);
    } catch (e) {
      return refused(e);
    }
    if (status !== 1) fail(`encoder repair ${first}+${count} returned ${status}`);
    for (let i = 0; i < GUARD; i++) {
      if (backing[i] !== 0x5a || backing[GUARD + count * t + i] !== 0x5a) fail(`encoder repair ${first}+${count} wrote outside out`);
    }
    // Hostile parameters may be harmless ones (an alignment that divides T): those may be taken.
    if (freed || first + count > ESI_LIMIT - k || short) fail(`encoder took a request it should refuse (${first}+${count}, short ${short}, freed ${freed})`);
    return 'accepted';
  } finally {
    m.raptorqEncoderFree(encoder);
  }
}

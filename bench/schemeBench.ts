/**
 * `npm run bench` research section: encode and decode MB/s of every scheme at K ≈ 1,000 and
 * 10,000 (T = 1392, 10 % loss: the decoder gets 90 % of the sources plus repair until done),
 * and the wall time to simulate 1,000 receivers × 16 MiB at 5 % loss (`--decode model`).
 * One line per configuration; the caller writes everything to the results JSON.
 */
import { parseLossSpec } from './research/lossModels.js';
import { runTrial } from './research/experiment.js';
import { SCHEMES, schemeCodec, type SchemeName } from './research/schemes.js';
import { SeededRandom } from '../util/random.js';

const T = 1392;

export interface SchemeBenchRow {
  scheme: SchemeName;
  sourceSymbols: number;
  encodeMBps: number;
  decodeMBps: number;
  /** Symbols the decoder took / K − 1. */
  overhead: number;
}

function measure(scheme: SchemeName, k: number, loss: number): SchemeBenchRow {
  const codec = schemeCodec(scheme);
  const data = new SeededRandom(k).fill(new Uint8Array(k * T));
  const params = { transferLength: data.length, symbolSize: T };
  const rng = new SeededRandom(99);
  // Encode (timed): the encoder and repair symbols for the loss, ceil(loss·K) for every scheme.
  let t0 = performance.now();
  const enc = codec.createEncoder(data, params);
  const timedRepair = scheme === 'arq' ? 0 : Math.ceil(k * loss);
  const repair = Array.from({ length: timedRepair }, (_, n) => enc.repairSymbol(n));
  const encodeSeconds = (performance.now() - t0) / 1000;
  // More for the decoder (untimed): LT's peeling needs far more than the loss, RS a few per block.
  const extra = scheme === 'arq' ? 0 : scheme === 'lt' ? k : Math.ceil(k * loss) + 16;
  for (let n = timedRepair; n < timedRepair + extra; n++) repair.push(enc.repairSymbol(n));
  const received = [...Array(k).keys()].filter(() => rng.next() >= loss);
  const lost = [...Array(k).keys()].filter((i) => !received.includes(i));
  t0 = performance.now();
  const dec = codec.createDecoder(params);
  let done = false;
  for (const esi of received) if (!done) done = dec.add(esi, enc.sourceSymbol(esi));
  // ARQ gets its lost sources again; the codes get repair.
  for (const esi of scheme === 'arq' ? lost : []) if (!done) done = dec.add(esi, enc.sourceSymbol(esi));
  for (const r of repair) if (!done) done = dec.add(r.encodingSymbolId, r.data);
  const decodeSeconds = (performance.now() - t0) / 1000;
  if (!done || !Buffer.from(dec.result()!).equals(data)) throw new Error(`${scheme} K=${k}: benchmark decode failed`);
  const overhead = dec.received / k - 1;
  enc.free();
  dec.free();
  return { scheme, sourceSymbols: k, encodeMBps: data.length / 1e6 / Math.max(encodeSeconds, 1e-9), decodeMBps: data.length / 1e6 / decodeSeconds, overhead };
}

export interface ResearchBenchReport {
  schemes: SchemeBenchRow[];
  simulation: { receivers: number; sizeMiB: number; loss: number; scheme: SchemeName; decode: 'model'; wallSeconds: number; completed: number };
}

export function runResearchBench(opts: { quick?: boolean } = {}): ResearchBenchReport {
  const rows: SchemeBenchRow[] = [];
  // One row per codec: lt-ge and lt-systematic put lt on the wire, arq-* arq.
  for (const scheme of SCHEMES.filter((s) => s !== 'lt-ge' && s !== 'lt-systematic')) {
    for (const k of opts.quick ? [1000] : [1000, 10000]) {
      const r = measure(scheme, k, 0.1);
      rows.push(r);
      console.log(
        `bench=scheme scheme=${scheme} k=${k} symbol_size=${T} loss=0.1 encode_mb_per_s=${r.encodeMBps.toFixed(1)} decode_mb_per_s=${r.decodeMBps.toFixed(1)} overhead=${(r.overhead * 100).toFixed(2)}%`,
      );
    }
  }
  const receivers = opts.quick ? 100 : 1000;
  const sizeMiB = 16;
  const t0 = performance.now();
  const { row } = runTrial(
    { schemes: ['raptorq'], losses: [], receivers: [receivers], sizeBytes: sizeMiB << 20, trials: 1, seed: 1, decode: 'model' },
    'raptorq',
    parseLossSpec('0.05'),
    receivers,
    0,
  );
  const wallSeconds = (performance.now() - t0) / 1000;
  console.log(
    `bench=simulation scheme=raptorq decode=model receivers=${receivers} size_mib=${sizeMiB} loss=0.05 wall_s=${wallSeconds.toFixed(1)} completed=${row.completed}`,
  );
  return { schemes: rows, simulation: { receivers, sizeMiB, loss: 0.05, scheme: 'raptorq', decode: 'model', wallSeconds, completed: row.completed } };
}

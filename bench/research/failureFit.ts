/**
 * The real RaptorQ codec's decoding failures after K + h symbols, h = 0, 1, 2: what
 * decodeModels.ts's RAPTORQ_MEASURED_FAILURES records and its 1/256^(h+1) is checked against.
 * Each trial: seeded data of K symbols of T = 64 bytes, 20 % of the source symbols lost, the
 * losses made up by lost + h repair symbols from a random repair index. Trials that lose no
 * source symbol are not counted (nothing to decode).
 *
 *   node dist/bench/research/failureFit.js [trials=4000] [K list=10,26,101,754]
 */
import { raptorqCodec } from '../../encoder/raptorq.js';
import { SeededRandom } from '../../util/random.js';

const T = 64;
const SOURCE_LOSS = 0.2;

export interface FailureCount {
  readonly k: number;
  /** Per h = 0, 1, 2. */
  readonly trials: readonly [number, number, number];
  readonly failures: readonly [number, number, number];
}

export function measureFailures(k: number, trials: number, seed = k): FailureCount {
  const codec = raptorqCodec();
  const r = new SeededRandom(seed);
  const counted: [number, number, number] = [0, 0, 0];
  const failed: [number, number, number] = [0, 0, 0];
  for (const h of [0, 1, 2] as const) {
    for (let t = 0; t < trials; t++) {
      const data = r.fill(new Uint8Array(k * T));
      const params = { transferLength: k * T, symbolSize: T };
      const encoder = codec.createEncoder(data, params);
      const decoder = codec.createDecoder(params);
      try {
        let lost = 0;
        for (let i = 0; i < k; i++) {
          if (r.next() < SOURCE_LOSS) lost++;
          else decoder.add(i, encoder.sourceSymbol(i));
        }
        if (lost === 0) continue;
        counted[h]++;
        const start = Math.floor(r.next() * 1000);
        let done = false;
        for (let n = 0; n < lost + h; n++) {
          const s = encoder.repairSymbol(start + n);
          done = decoder.add(s.encodingSymbolId, s.data);
        }
        if (!done) failed[h]++;
      } finally {
        encoder.free();
        decoder.free();
      }
    }
  }
  return { k, trials: counted, failures: failed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const trials = Number(process.argv[2] ?? 4000);
  const ks = (process.argv[3] ?? '10,26,101,754').split(',').map(Number);
  for (const k of ks) {
    const m = measureFailures(k, trials);
    console.log(`bench=raptorq-failures k=${k} ${[0, 1, 2].map((h) => `h${h}=${m.failures[h]}/${m.trials[h]}`).join(' ')}`);
  }
}

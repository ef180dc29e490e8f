/**
 * The coding schemes an experiment can compare, by name, and how the sender recovers with each.
 * A scheme is a codec on the wire plus a transmission and recovery strategy, so a comparison
 * says what it compares: `lt` is the literature's LT (non-systematic), `arq` is textbook
 * selective repeat, and the shared stream's own refinements of them are schemes of their own.
 * Constructions, parameters and references: docs/research.md.
 */
import type { Codec } from '../../encoder/codec.js';
import { codecByName, WIRE_LT_OPTIONS, type CodecName } from '../../encoder/codecs.js';
import { ltCodec } from '../../encoder/lt.js';
import { compileRaptorQModule } from '../../encoder/raptorq.js';
import type { RecoveryMode } from '../../sender/streamCore.js';

interface SchemeSpec {
  readonly codec: CodecName;
  readonly recovery: RecoveryMode;
  /** The K source symbols go out first (a systematic code); false: repair symbols only. */
  readonly sendSource: boolean;
  /** LT only: Gaussian elimination when peeling stalls (ltDecoder.ts). */
  readonly gaussianElimination?: boolean;
  /** Resend datagrams XOR several receivers' lost source symbols (sender/resendQueue.ts). */
  readonly combineResends: boolean;
  /** Each resend goes out twice once nothing else is left (sender/sharedRecovery.ts). */
  readonly repeatFinalResends: boolean;
}

const FOUNTAIN = { recovery: 'fountain', sendSource: true, combineResends: false, repeatFinalResends: false } as const;
const RESEND = { codec: 'arq', recovery: 'resend', sendSource: true, repeatFinalResends: false } as const;

const SPECS = {
  // Codes run as pure fountains (repair only, no resends), so the comparison is between codes.
  raptorq: { ...FOUNTAIN, codec: 'raptorq' },
  /** Luby's LT: robust soliton repair symbols only, peeling decoder. */
  lt: { ...FOUNTAIN, codec: 'lt', sendSource: false },
  /** `lt` whose decoder finishes a stalled peel by Gaussian elimination over GF(2). */
  'lt-ge': { ...FOUNTAIN, codec: 'lt', sendSource: false, gaussianElimination: true },
  /** Sources first, then LT repair over all K: what `send --codec lt` puts on the wire. */
  'lt-systematic': { ...FOUNTAIN, codec: 'lt' },
  rs: { ...FOUNTAIN, codec: 'rs' },
  /** Textbook selective repeat: each listed loss resent alone, once per round. */
  arq: { ...RESEND, combineResends: false },
  /** Selective repeat whose resends XOR symbols different receivers lost, once per round. */
  'arq-combined': { ...RESEND, combineResends: true },
  /** What fountcast's shared stream does with `--codec arq`: combined, and each resend twice at the end. */
  'arq-product': { ...RESEND, combineResends: true, repeatFinalResends: true },
} as const satisfies Record<string, SchemeSpec>;

export type SchemeName = keyof typeof SPECS;
export const SCHEMES = Object.keys(SPECS) as SchemeName[];

/** LT's robust soliton parameters (encoder/robustSoliton.ts has the defaults). */
export interface LtParameters {
  c?: number;
  delta?: number;
}

export function isScheme(name: string): name is SchemeName {
  return Object.hasOwn(SPECS, name);
}

function definedOnly(lt: LtParameters | undefined): LtParameters {
  const out: LtParameters = {};
  if (lt?.c !== undefined) out.c = lt.c;
  if (lt?.delta !== undefined) out.delta = lt.delta;
  return out;
}

/** The codec the scheme puts on the wire. */
export function schemeCodecName(name: SchemeName): CodecName {
  return SPECS[name].codec;
}

/**
 * The scheme's codec. LT takes `lt` (c, δ) and `graphSeed`: a trial's seed, so that trials
 * without loss are not all the same LT graph (both ends of a simulation share this object).
 */
export function schemeCodec(name: SchemeName, options: { lt?: LtParameters; graphSeed?: number } = {}): Codec {
  const spec: SchemeSpec = SPECS[name];
  if (spec.codec === 'lt') {
    // lt-systematic is what send --codec lt sends: the wire's parameters unless told otherwise.
    const defaults = spec.sendSource ? WIRE_LT_OPTIONS : {};
    return ltCodec({ ...defaults, ...definedOnly(options.lt), seed: options.graphSeed, gaussianElimination: spec.gaussianElimination ?? false });
  }
  return codecByName(spec.codec, compileRaptorQModule());
}

export function schemeRecovery(name: SchemeName): RecoveryMode {
  return SPECS[name].recovery;
}

/** Whether the stream sends the source symbols before repair (false: non-systematic). */
export function schemeSendsSource(name: SchemeName): boolean {
  return SPECS[name].sendSource;
}

/** The product's `send()` can run this scheme (`--real`): systematic streams of its own codecs. */
export function schemeIsSendable(name: SchemeName): boolean {
  const spec: SchemeSpec = SPECS[name];
  return spec.sendSource && !spec.gaussianElimination;
}

/** How the shared stream resends under this scheme. */
export function schemeResends(name: SchemeName): { combineResends: boolean; repeatFinalResends: boolean } {
  const { combineResends, repeatFinalResends } = SPECS[name];
  return { combineResends, repeatFinalResends };
}

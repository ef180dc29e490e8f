/**
 * The coding schemes an experiment can compare, by name, and how the sender recovers with each.
 * A scheme is a codec on the wire plus a recovery strategy, so a comparison says what it
 * compares: `arq` is textbook selective repeat, and the shared stream's own refinements of it
 * are schemes of their own.
 */
import type { Codec } from '../../encoder/codec.js';
import { codecByName, type CodecName } from '../../encoder/codecs.js';
import { compileRaptorQModule } from '../../encoder/raptorq.js';
import type { RecoveryMode } from '../../sender/streamCore.js';

interface SchemeSpec {
  readonly codec: CodecName;
  readonly recovery: RecoveryMode;
  /** Resend datagrams XOR several receivers' lost source symbols (sender/resendQueue.ts). */
  readonly combineResends: boolean;
  /** Each resend goes out twice once nothing else is left (sender/sharedRecovery.ts). */
  readonly repeatFinalResends: boolean;
}

const SPECS = {
  // Codes run as pure fountains (repair only, no resends), so the comparison is between codes.
  raptorq: { codec: 'raptorq', recovery: 'fountain', combineResends: false, repeatFinalResends: false },
  lt: { codec: 'lt', recovery: 'fountain', combineResends: false, repeatFinalResends: false },
  rs: { codec: 'rs', recovery: 'fountain', combineResends: false, repeatFinalResends: false },
  /** Textbook selective repeat: each listed loss resent alone, once per round. */
  arq: { codec: 'arq', recovery: 'resend', combineResends: false, repeatFinalResends: false },
  /** Selective repeat whose resends XOR symbols different receivers lost, once per round. */
  'arq-combined': { codec: 'arq', recovery: 'resend', combineResends: true, repeatFinalResends: false },
  /** What fountcast's shared stream does with `--codec arq`: combined, and each resend twice at the end. */
  'arq-product': { codec: 'arq', recovery: 'resend', combineResends: true, repeatFinalResends: true },
} as const satisfies Record<string, SchemeSpec>;

export type SchemeName = keyof typeof SPECS;
export const SCHEMES = Object.keys(SPECS) as SchemeName[];

export function isScheme(name: string): name is SchemeName {
  return Object.hasOwn(SPECS, name);
}

/** The codec the scheme puts on the wire. */
export function schemeCodecName(name: SchemeName): CodecName {
  return SPECS[name].codec;
}

export function schemeCodec(name: SchemeName): Codec {
  return codecByName(SPECS[name].codec, compileRaptorQModule());
}

export function schemeRecovery(name: SchemeName): RecoveryMode {
  return SPECS[name].recovery;
}

/** How the shared stream resends under this scheme. */
export function schemeResends(name: SchemeName): { combineResends: boolean; repeatFinalResends: boolean } {
  const { combineResends, repeatFinalResends } = SPECS[name];
  return { combineResends, repeatFinalResends };
}

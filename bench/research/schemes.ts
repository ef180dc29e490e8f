/** The coding schemes an experiment can compare, by name, and how the sender recovers with each. */
import type { Codec } from '../../encoder/codec.js';
import { arqCodec } from '../../encoder/arq.js';
import { ltCodec } from '../../encoder/lt.js';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { rsCodec } from '../../encoder/reedSolomon.js';
import type { RecoveryMode } from '../../sender/streamCore.js';

export const SCHEMES = ['raptorq', 'lt', 'rs', 'arq'] as const;
export type SchemeName = (typeof SCHEMES)[number];

export function isScheme(s: string): s is SchemeName {
  return (SCHEMES as readonly string[]).includes(s);
}

export function schemeCodec(name: SchemeName): Codec {
  switch (name) {
    case 'raptorq':
      return raptorqCodec();
    case 'lt':
      return ltCodec();
    case 'rs':
      return rsCodec();
    case 'arq':
      return arqCodec();
  }
}

/**
 * Coding schemes run as pure fountains (repair only, no resends), so the comparison is between
 * codes; `arq` runs the shared stream's selective-repeat resends of listed losses, no coding.
 */
export function schemeRecovery(name: SchemeName): RecoveryMode {
  return name === 'arq' ? 'resend' : 'fountain';
}

/** The coding schemes an experiment can compare, by name, and how the sender recovers with each. */
import type { Codec } from '../../encoder/codec.js';
import { CODEC_NAMES, codecByName, isCodecName, type CodecName } from '../../encoder/codecs.js';
import { compileRaptorQModule } from '../../encoder/raptorq.js';
import type { RecoveryMode } from '../../sender/streamCore.js';

/** The schemes are the codecs the wire can name (encoder/codecs.ts). */
export const SCHEMES = CODEC_NAMES;
export type SchemeName = CodecName;
export const isScheme = isCodecName;

export function schemeCodec(name: SchemeName): Codec {
  return codecByName(name, compileRaptorQModule());
}

/**
 * Coding schemes run as pure fountains (repair only, no resends), so the comparison is between
 * codes; `arq` runs the shared stream's selective-repeat resends of listed losses, no coding.
 */
export function schemeRecovery(name: SchemeName): RecoveryMode {
  return name === 'arq' ? 'resend' : 'fountain';
}

/**
 * Every scheme the wire can name, by its Manifest/Hello name. The product sends RaptorQ; the
 * others (LT, Reed–Solomon, ARQ) exist for the research harness's `--real` mode and for
 * `fountcast send --codec`, which researchers use to race schemes over real sockets.
 */
import type { Codec } from './codec.js';
import { arqCodec, ARQ_CODEC_NAME } from './arq.js';
import { ltCodec, LT_CODEC_NAME, type LtOptions } from './lt.js';
import { loadRaptorQ, RAPTORQ_CODEC_NAME, type RaptorQWasmModule } from './raptorq.js';
import { rsCodec, RS_CODEC_NAME } from './reedSolomon.js';

export const CODEC_NAMES = [RAPTORQ_CODEC_NAME, LT_CODEC_NAME, RS_CODEC_NAME, ARQ_CODEC_NAME] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

export function isCodecName(name: string): name is CodecName {
  return (CODEC_NAMES as readonly string[]).includes(name);
}

/**
 * `send --codec lt`'s robust soliton (c = 0.03, δ = 0.05). Every repair symbol's neighbours
 * follow from them, so they are the wire's, fixed here rather than by the research harness's
 * default (δ = 0.5, robustSoliton.ts): a peer with other values would decode garbage.
 */
export const WIRE_LT_OPTIONS: Readonly<LtOptions> = { c: 0.03, delta: 0.05 };

/** The codec called `name`; RaptorQ instantiates `wasmModule` (compiled once by the caller). */
export function codecByName(name: CodecName, wasmModule: RaptorQWasmModule): Codec {
  switch (name) {
    case 'raptorq':
      return loadRaptorQ(wasmModule);
    case 'lt':
      return ltCodec(WIRE_LT_OPTIONS);
    case 'rs':
      return rsCodec();
    case 'arq':
      return arqCodec();
  }
}

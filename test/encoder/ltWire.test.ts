/** `send --codec lt`'s repair symbols are fixed by the wire's robust soliton (docs/protocol.md). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { codecByName, WIRE_LT_OPTIONS } from '../../encoder/codecs.js';
import { ltCodec } from '../../encoder/lt.js';
import { compileRaptorQModule } from '../../encoder/raptorq.js';

const T = 16;
const K = 100;

function repairDigest(codec: ReturnType<typeof ltCodec>): string {
  const data = new Uint8Array(K * T);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 255;
  const enc = codec.createEncoder(data, { transferLength: data.length, symbolSize: T });
  const h = createHash('sha256');
  for (let n = 0; n < 60; n++) {
    const s = enc.repairSymbol(n);
    h.update(Buffer.from([s.encodingSymbolId & 255]));
    h.update(s.data);
  }
  enc.free();
  return h.digest('hex');
}

describe('LT on the wire', () => {
  it('sends the repair symbols peers built with c = 0.03, δ = 0.05 expect (recorded before the research default changed)', () => {
    expect(WIRE_LT_OPTIONS).toEqual({ c: 0.03, delta: 0.05 });
    expect(repairDigest(codecByName('lt', compileRaptorQModule()))).toBe('2c97d6f9f3b84d448a2565b50357d683667a14be8897ea13e64d4a4fd81374e5');
  });

  it('a different δ is a different code (the digest would catch a changed default)', () => {
    expect(repairDigest(ltCodec({ c: 0.03, delta: 0.5 }))).not.toBe(repairDigest(ltCodec(WIRE_LT_OPTIONS)));
  });
});

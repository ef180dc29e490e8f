import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HASH_CHUNK_BYTES, hashAlongside } from '../../util/hashAlongside.js';
import { SeededRandom } from '../../util/random.js';

describe('hashAlongside', () => {
  it('gives both states exactly what one update of the whole buffer gives, at every chunk boundary', () => {
    for (const n of [0, 1, HASH_CHUNK_BYTES - 1, HASH_CHUNK_BYTES, HASH_CHUNK_BYTES + 1, 3 * HASH_CHUNK_BYTES + 17]) {
      const data = new SeededRandom(n + 1).fill(new Uint8Array(n));
      const prefix = new SeededRandom(99).fill(new Uint8Array(333));
      const first = createHash('sha256');
      const second = createHash('sha256').update(prefix);
      hashAlongside(data, first, second);
      expect(first.digest('hex'), `${n} bytes`).toBe(createHash('sha256').update(data).digest('hex'));
      expect(second.digest('hex'), `${n} bytes`).toBe(createHash('sha256').update(prefix).update(data).digest('hex'));
    }
  });
});

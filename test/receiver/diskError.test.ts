import { describe, expect, it } from 'vitest';
import { toDiskError } from '../../receiver/diskError.js';
import { DiskError } from '../../receiver/errors.js';

const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

describe('toDiskError', () => {
  it('maps errno codes to clear messages', () => {
    expect(toDiskError(errno('EDQUOT'), 'writing', '/a').message).toBe('disk quota exceeded writing /a (EDQUOT)');
    expect(toDiskError(errno('EROFS'), 'creating', '/a').message).toBe('read-only filesystem creating /a (EROFS)');
    const odd = toDiskError(errno('EWHATEVER'), 'writing', '/a');
    expect(odd.message).toBe('writing /a failed: EWHATEVER: simulated');
    expect(odd.code).toBe('EWHATEVER');
    expect(toDiskError(new Error('plain'), 'writing', '/a').code).toBeUndefined();
    const d = new DiskError('x', 'EIO', '/p');
    expect(toDiskError(d, 'writing', '/q')).toBe(d);
  });
});

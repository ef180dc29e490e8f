/** The standing receiver's decisions: which offers to take, what a failed run means, the pauses. */
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../control/messages.js';
import { ManifestRejectedError, ReceiveError, TransferAbortedError, UntrustedManifestError } from '../../receiver/errors.js';
import { Backoff, classifyFailure, judgeOffer, offerOf, type Offer } from '../../receiver/standingPolicy.js';
import type { StoredPublication } from '../../receiver/standingState.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

const stored = (p: Partial<StoredPublication> = {}): StoredPublication => ({
  fileName: 'app.tar',
  sha256: A,
  path: '/srv/app/app.tar',
  storedAt: 1,
  ...p,
});
const offer = (o: Partial<Offer> = {}): Offer => ({
  fileName: 'app.tar',
  sha256: A,
  entriesSha256: undefined,
  publisherId: undefined,
  publishedAt: undefined,
  ...o,
});

describe('judgeOffer', () => {
  it('takes anything when nothing was stored, or when the content is not known yet (digests follow)', () => {
    expect(judgeOffer(undefined, false, offer(), false)).toEqual({ type: 'take' });
    expect(judgeOffer(stored(), true, offer({ sha256: undefined }), false)).toEqual({ type: 'take' });
  });

  it('declines the content in place, and takes it again once it is gone from disk', () => {
    expect(judgeOffer(stored(), true, offer(), false)).toEqual({ type: 'unchanged' });
    expect(judgeOffer(stored(), false, offer(), false)).toEqual({ type: 'take' });
  });

  it('takes other content, another name or another tree with the same bytes', () => {
    expect(judgeOffer(stored(), true, offer({ sha256: B }), false)).toEqual({ type: 'take' });
    expect(judgeOffer(stored(), true, offer({ fileName: 'other.tar' }), false)).toEqual({ type: 'take' });
    expect(judgeOffer(stored({ entriesSha256: A }), true, offer({ entriesSha256: B }), false)).toEqual({ type: 'take' });
  });

  describe('under --trust', () => {
    const signedV1 = stored({ publisherId: 'p1', publishedAt: 1000 });
    it('declines the stored version, takes newer ones, and leaves older ones to the trust state', () => {
      expect(judgeOffer(signedV1, true, offer({ publisherId: 'p1', publishedAt: 1000 }), true)).toEqual({ type: 'unchanged' });
      expect(judgeOffer(signedV1, true, offer({ publisherId: 'p1', publishedAt: 2000, sha256: B }), true)).toEqual({ type: 'take' });
      // receive() refuses it as 'replayed' after checking the signature.
      expect(judgeOffer(signedV1, true, offer({ publisherId: 'p1', publishedAt: 500, sha256: B }), true)).toEqual({ type: 'take' });
    });

    it('refuses other content under the stored publication time as not newer', () => {
      const v = judgeOffer(signedV1, true, offer({ publisherId: 'p1', publishedAt: 1000, sha256: B }), true);
      expect(v).toMatchObject({ type: 'refuse', reason: 'not-newer' });
      expect(v.type === 'refuse' && v.message).toMatch(/not newer/);
    });

    it('restores the stored version when it was removed from disk', () => {
      expect(judgeOffer(signedV1, false, offer({ publisherId: 'p1', publishedAt: 1000 }), true)).toEqual({ type: 'take' });
    });
  });
});

describe('offerOf', () => {
  const base = { type: 'manifest', fileName: 'app', fileSha256: A } as unknown as Manifest;
  it('reads the identity, and digests a tree’s entries', () => {
    expect(offerOf(base)).toEqual({ fileName: 'app', sha256: A, entriesSha256: undefined, publisherId: undefined, publishedAt: undefined });
    const tree = (mode: number, sha256?: string) =>
      offerOf({ ...base, entries: [{ path: 'x', kind: 'file', size: 0, mode, mtimeMs: 0, ...(sha256 ? { sha256 } : {}) }] } as unknown as Manifest)
        .entriesSha256;
    expect(tree(0o644, A)).toMatch(/^[0-9a-f]{64}$/);
    expect(tree(0o755, A)).not.toBe(tree(0o644, A));
    // The files' digests are left out: a manifest whose digests follow (none in its entries) names the same tree.
    expect(tree(0o644)).toBe(tree(0o644, A));
  });

  it('names the claimed publisher and time of a signed manifest', () => {
    const m = { ...base, publication: { publishedAt: 7, publisher: Buffer.alloc(32, 1).toString('base64'), signature: '' } } as unknown as Manifest;
    expect(offerOf(m)).toMatchObject({ publishedAt: 7, publisherId: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });
});

describe('classifyFailure', () => {
  const connectError = (code: string) => new ReceiveError(`cannot connect to h:1: ${code}`, { cause: code });
  it('reads a connection nobody took, before any manifest, as no sender yet', () => {
    expect(classifyFailure(connectError('ECONNREFUSED'), false)).toEqual({ type: 'no-sender' });
    expect(classifyFailure(connectError('ETIMEDOUT'), false)).toEqual({ type: 'no-sender' });
    expect(classifyFailure(connectError('ECONNREFUSED'), true)).toEqual({ type: 'failed' });
    expect(classifyFailure(new ReceiveError('sender refused: not enrolled'), false)).toEqual({ type: 'failed' });
  });

  it('names refusals by reason and everything else a failure', () => {
    expect(classifyFailure(new UntrustedManifestError('replayed', 'old'), true)).toEqual({ type: 'refused', reason: 'replayed' });
    expect(classifyFailure(new ManifestRejectedError('too big'), true)).toEqual({ type: 'refused', reason: 'rejected' });
    expect(classifyFailure(new TransferAbortedError('idle'), true)).toEqual({ type: 'failed' });
  });
});

describe('Backoff', () => {
  it('doubles from its first pause up to its cap, and starts over after reset', () => {
    const b = new Backoff(250, 5000);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    b.reset();
    expect(b.next()).toBe(250);
    expect(new Backoff(250, 100).next()).toBe(100);
  });
});

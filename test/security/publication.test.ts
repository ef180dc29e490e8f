import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../control/messageCodec.js';
import type { Manifest, TreeEntry } from '../../control/messages.js';
import { SAMPLE_MANIFEST } from '../../bench/fuzz/targets.js';
import {
  KeyFileError,
  parsePrivateKey,
  parsePublicKey,
  generatePublisherKeys,
  publicationBytes,
  publisherId,
  rawPublicKey,
  signManifest,
  verifyPublication,
} from '../../control/publication.js';
import { TrustState, TrustStateError } from '../../receiver/trustState.js';

const manifest: Manifest = { ...SAMPLE_MANIFEST, sessionId: 77 };

const keys = () => {
  const k = generatePublisherKeys();
  return { priv: parsePrivateKey(k.privatePem), pub: parsePublicKey(k.publicPem) };
};

describe('signed manifests', () => {
  const a = keys();
  const b = keys();
  const signed = signManifest(manifest, a.priv, 1_790_000_000_000);

  it('verifies against a trusted key, survives the wire, and names the publisher', () => {
    const wire = decodeMessage(encodeMessage(signed));
    expect(wire.ok).toBe(true);
    const v = verifyPublication((wire as { message: Manifest }).message, [b.pub, a.pub]);
    expect(v).toEqual({ ok: true, publisherId: publisherId(rawPublicKey(a.pub)), publishedAt: 1_790_000_000_000 });
    expect(rawPublicKey(a.priv).equals(rawPublicKey(a.pub))).toBe(true);
  });

  it('refuses unsigned manifests, untrusted keys and any altered signed field', () => {
    expect(verifyPublication(manifest, [a.pub])).toMatchObject({ ok: false, reason: 'unsigned' });
    expect(verifyPublication(signed, [b.pub])).toMatchObject({ ok: false, reason: 'untrusted-key' });
    const altered: Partial<Manifest>[] = [
      { fileName: 'other.iso' },
      { fileSize: manifest.fileSize - 1 },
      { segmentSize: 2 * 1024 * 1024 },
      { symbolSize: 1400 },
      { codec: 'lt' },
      { segmentDigests: Buffer.alloc(32 * 3, 8).toString('base64') },
      { fileSha256: 'b'.repeat(64) },
      // How the identity is made is signed too: a relay cannot switch its kind.
      { fileDigest: 'segments' },
      { publication: { ...signed.publication!, publishedAt: signed.publication!.publishedAt + 1 } },
    ];
    for (const change of altered)
      expect(verifyPublication({ ...signed, ...change }, [a.pub]), JSON.stringify(change)).toMatchObject({ ok: false, reason: 'bad-signature' });
    // A key swapped in by an attacker is simply not trusted, whatever it signs.
    const forged = signManifest({ ...manifest, fileSha256: 'c'.repeat(64) }, b.priv, Date.now());
    expect(verifyPublication({ ...forged, publication: { ...forged.publication!, publisher: signed.publication!.publisher } }, [a.pub])).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it("covers a tree's entries, every field of each, and leaves a single file's signed bytes as they were", () => {
    const entries: TreeEntry[] = [
      { path: 'bin', kind: 'dir', size: 0, mode: 0o755, mtimeMs: 1000 },
      { path: 'bin/run', kind: 'file', size: 9, mode: 0o755, mtimeMs: 2000, sha256: 'e'.repeat(64) },
      { path: 'bin/run.lnk', kind: 'symlink', size: 0, mode: 0o777, mtimeMs: 3000, target: 'run' },
      { path: 'data', kind: 'file', size: manifest.fileSize - 9, mode: 0o644, mtimeMs: 4000, sha256: 'f'.repeat(64) },
    ];
    const tree = signManifest({ ...manifest, fileName: 'release', entries }, a.priv, 1_790_000_000_000);
    expect(decodeMessage(encodeMessage(tree)).ok).toBe(true);
    expect(verifyPublication(tree, [a.pub]).ok).toBe(true);
    const changes: [number, Partial<TreeEntry>][] = [
      [0, { path: 'bim' }],
      [1, { kind: 'dir' }],
      [1, { size: 8 }],
      [1, { mode: 0o644 }],
      [1, { mtimeMs: 2001 }],
      [3, { sha256: 'd'.repeat(64) }],
      [2, { target: 'data' }],
      [2, { target: undefined }],
    ];
    for (const [i, change] of changes) {
      const altered = entries.map((e, j) => (j === i ? { ...e, ...change } : e));
      expect(verifyPublication({ ...tree, entries: altered }, [a.pub]), JSON.stringify(change)).toMatchObject({ ok: false, reason: 'bad-signature' });
    }
    expect(verifyPublication({ ...tree, entries: entries.slice(0, 3) }, [a.pub])).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyPublication({ ...tree, entries: undefined }, [a.pub])).toMatchObject({ ok: false, reason: 'bad-signature' });
    // Signatures made before trees existed still verify: the single-file bytes are unchanged.
    const m = manifest;
    expect(Buffer.from(publicationBytes(m, 42)).toString()).toBe(
      'fountcast-publication-v1\n' + JSON.stringify([m.fileName, m.fileSize, m.segmentSize, m.symbolSize, m.codec, m.segmentDigests, m.fileSha256, 42]),
    );
  });

  it('leaves session fields unsigned: a relay may change rate, timeouts and session id', () => {
    expect(verifyPublication({ ...signed, sessionId: 1, rateBytesPerSecond: 1, idleTimeoutMs: 9000 }, [a.pub]).ok).toBe(true);
  });

  it('takes only Ed25519 keys, with a clear error', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => parsePrivateKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }))).toThrow(KeyFileError);
    expect(() => parsePublicKey('not a key')).toThrow(/not a PEM public key/);
    expect(() => signManifest(manifest, rsa.privateKey, 1)).toThrow(/Ed25519/);
  });

  it('rejects malformed publications on the wire', () => {
    const bad = [
      { ...signed.publication!, signature: Buffer.alloc(63).toString('base64') },
      { ...signed.publication!, publisher: Buffer.alloc(33).toString('base64') },
      { ...signed.publication!, publishedAt: -1 },
      'signed',
    ];
    for (const publication of bad) expect(decodeMessage(new TextEncoder().encode(JSON.stringify({ ...signed, publication }))).ok).toBe(false);
  });
});

describe('replay state', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses an older version of a name from the same publisher, across restarts', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fountcast-trust-'));
    const path = join(dir, 'sub', 'state.json');
    const s = await TrustState.load(path);
    expect(s.replayProblem('p1', 'image.iso', 100)).toBeUndefined();
    await s.record('p1', 'image.iso', 200);
    const again = await TrustState.load(path);
    expect(again.replayProblem('p1', 'image.iso', 199)).toMatch(/older than the version already accepted.*a replay/);
    expect(again.replayProblem('p1', 'image.iso', 200)).toBeUndefined();
    expect(again.replayProblem('p1', 'image.iso', 201)).toBeUndefined();
    // Other names and other publishers are independent.
    expect(again.replayProblem('p1', 'other.iso', 1)).toBeUndefined();
    expect(again.replayProblem('p2', 'image.iso', 1)).toBeUndefined();
    // Recording an older time never moves the mark back.
    await again.record('p1', 'image.iso', 150);
    expect((await TrustState.load(path)).lastAccepted('p1', 'image.iso')).toBe(200);
  });

  it('refuses to run on a damaged state file rather than forget it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fountcast-trust-'));
    const path = join(dir, 'state.json');
    for (const text of ['{', '[]', '{"version":2,"accepted":{}}', '{"version":1,"accepted":{"p":{"a":-5}}}']) {
      await writeFile(path, text);
      await expect(TrustState.load(path)).rejects.toThrow(TrustStateError);
    }
    await writeFile(path, '{"version":1,"accepted":{"__proto__":{"x":1}}}');
    const s = await TrustState.load(path);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    await s.record('p', 'f', 1);
    expect(JSON.parse(await readFile(path, 'utf8')).accepted.p).toEqual({ f: 1 });
  });
});

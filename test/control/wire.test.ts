import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../control/framing.js';
import { decodeMessage, encodeMessage } from '../../control/messageCodec.js';
import type { ControlMessage, Manifest } from '../../control/messages.js';
import { SAMPLE_MANIFEST } from '../../bench/fuzz/targets.js';
import { MAX_FRAME_BYTES, MAX_HAVE_BYTES } from '../../control/constants.js';
import { BitSet } from '../../util/bitset.js';

const manifest: Manifest = SAMPLE_MANIFEST;

const samples: ControlMessage[] = [
  { type: 'hello', version: 4, receiverId: 'lab-pc-17', codecs: ['raptorq'], udpPort: 40000, window: 8 },
  manifest,
  { type: 'request' },
  { type: 'request', have: Buffer.from([0b1010_0101, 0x01]).toString('base64') },
  { type: 'request', want: Buffer.from([0b0000_0110]).toString('base64') },
  { type: 'hello', version: 4, receiverId: 'lab-pc-18', codecs: ['raptorq'], udpPort: 40001, window: 8, digestsFollow: true },
  { ...deferredManifest(), digestsFollow: true },
  { type: 'digests', firstSegment: 0, segmentDigests: Buffer.alloc(64, 1).toString('base64') },
  { type: 'digests', firstSegment: 2, segmentDigests: Buffer.alloc(32, 2).toString('base64'), fileSha256: 'cd'.repeat(32) },
  { type: 'digests', firstSegment: 3, segmentDigests: '', fileSha256: 'cd'.repeat(32) },
  // A pipe: the receiver takes a length that follows, the manifest says so, the last frame gives it.
  { type: 'hello', version: 4, receiverId: 'lab-pc-19', codecs: ['raptorq'], udpPort: 40002, window: 8, digestsFollow: true, lengthFollows: true },
  { ...deferredManifest(), fileSize: 0, digestsFollow: true, lengthFollows: true },
  // A tree served while it is hashed: the receiver takes it, its file entries carry no digest.
  { type: 'hello', version: 4, receiverId: 'lab-pc-20', codecs: ['raptorq'], udpPort: 40003, window: 8, digestsFollow: true, treeDigestsFollow: true },
  {
    ...deferredManifest(),
    fileSize: 3,
    digestsFollow: true,
    entries: [
      { path: 'd', kind: 'dir', size: 0, mode: 0o755, mtimeMs: 0 },
      { path: 'd/f', kind: 'file', size: 3, mode: 0o644, mtimeMs: 1 },
    ],
  },
  { type: 'digests', firstSegment: 7, segmentDigests: Buffer.alloc(32, 3).toString('base64'), fileSha256: 'ef'.repeat(32), fileSize: 29_360_129 },
  { type: 'digests', firstSegment: 0, segmentDigests: '', fileSha256: 'ef'.repeat(32), fileSize: 0 },
  {
    type: 'progress',
    completeBelow: 3,
    completeAbove: [5],
    open: [{ index: 4, received: 10, needed: 3004 }],
    highestSequence: 123456,
    datagramsReceived: 120000,
    datagramsLost: 3456,
  },
  { type: 'progress', completeBelow: 0, completeAbove: [], open: [], highestSequence: 9, datagramsReceived: 9, datagramsLost: 0, heldMs: 17 },
  // Over pipes (SSH): the receiver says where its datagrams go; the key comes in the manifest.
  { type: 'hello', version: 4, receiverId: 'lab-pc-20', codecs: ['raptorq'], udpPort: 40003, window: 8, address: '10.0.0.20' },
  { type: 'hello', version: 4, receiverId: 'lab-pc-21', codecs: ['raptorq'], udpPort: 40004, window: 8, address: '2001:db8::21' },
  { ...manifest, tagKind: 2, dataKey: Buffer.alloc(32, 9).toString('base64') },
  // A large group's sender asks each receiver for fewer reports.
  { ...manifest, progressIntervalMs: 625 },
  // The identity is the digest of the segment digests (hash each byte once).
  { ...manifest, fileDigest: 'segments' },
  { type: 'stop', outcome: 'done', reason: 'verified' },
  { type: 'stop', outcome: 'aborted' },
  { type: 'heartbeat' },
  { type: 'error', code: 'version-mismatch', message: 'sender 1, receiver 2' },
];

function deferredManifest(): Omit<Manifest, 'segmentDigests' | 'fileSha256'> {
  const { segmentDigests: _s, fileSha256: _f, ...rest } = SAMPLE_MANIFEST;
  return rest;
}

function encodeJson(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}

describe('framing', () => {
  it('reassembles frames split at every byte and coalesced', () => {
    const frames = samples.map((m) => encodeFrame(encodeMessage(m)));
    const all = Buffer.concat(frames);
    const d = new FrameDecoder(1 << 20);
    const got: Uint8Array[] = [];
    for (let i = 0; i < all.length; i++) {
      d.push(all.subarray(i, i + 1));
      for (let r = d.next(); r; r = d.next()) {
        expect(r.ok).toBe(true);
        if (r.ok) got.push(r.frame);
      }
    }
    expect(got.map((f) => decodeMessage(f))).toEqual(samples.map((m) => ({ ok: true, message: m })));
    const d2 = new FrameDecoder(1 << 20);
    d2.push(all);
    let n = 0;
    for (let r = d2.next(); r; r = d2.next()) n++;
    expect(n).toBe(samples.length);
  });

  it('accepts a frame exactly at the cap and rejects one byte over from the header alone', () => {
    const d = new FrameDecoder(10);
    d.push(encodeFrame(new Uint8Array(10)));
    expect(d.next()).toMatchObject({ ok: true });
    const over = new FrameDecoder(10);
    // Only the 4-byte header of a 4 GiB frame: rejected before any payload is buffered.
    over.push(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    expect(over.next()).toEqual({ ok: false, reason: 'frame-too-large', declaredLength: 0xffffffff });
    expect(over.bufferedBytes).toBe(0);
    over.push(new Uint8Array(100));
    expect(over.next()).toBeUndefined();
  });

  it('rejects an empty frame', () => {
    const d = new FrameDecoder(10);
    d.push(new Uint8Array(4));
    expect(d.next()).toMatchObject({ ok: false, reason: 'empty-frame' });
  });
});

describe('message codec', () => {
  it('round-trips every message type', () => {
    for (const m of samples) expect(decodeMessage(encodeMessage(m))).toEqual({ ok: true, message: m });
  });

  const bad: [string, unknown, string][] = [
    ['not an object', [1, 2], 'bad-message'],
    ['unknown type', { type: 'exec', cmd: 'rm -rf /' }, 'unexpected-message'],
    ['hello without port', { type: 'hello', version: 4, receiverId: 'a', codecs: [], window: 8 }, 'bad-message'],
    ['hello bad id', { type: 'hello', version: 4, receiverId: 'a b', codecs: [], udpPort: 1, window: 8 }, 'bad-message'],
    ['hello window 0', { type: 'hello', version: 4, receiverId: 'a', codecs: [], udpPort: 1, window: 0 }, 'bad-message'],
    ['hello 17 codecs', { type: 'hello', version: 4, receiverId: 'a', codecs: Array(17).fill('x'), udpPort: 1, window: 1 }, 'bad-message'],
    ['manifest path traversal', { ...manifest, fileName: '../../etc/passwd' }, 'bad-message'],
    ['manifest progress interval 0', { ...manifest, progressIntervalMs: 0 }, 'bad-message'],
    ['manifest progress interval an hour', { ...manifest, progressIntervalMs: 3_600_000 }, 'bad-message'],
    ['manifest progress interval not a number', { ...manifest, progressIntervalMs: '20' }, 'bad-message'],
    ['manifest absolute path', { ...manifest, fileName: '/etc/passwd' }, 'bad-message'],
    ['manifest dot-dot', { ...manifest, fileName: '..' }, 'bad-message'],
    ['manifest huge file', { ...manifest, fileSize: 2 ** 53 }, 'bad-message'],
    ['manifest negative size', { ...manifest, fileSize: -1 }, 'bad-message'],
    ['manifest fractional size', { ...manifest, fileSize: 1.5 }, 'bad-message'],
    ['manifest symbol size not /8', { ...manifest, symbolSize: 1391 }, 'bad-message'],
    ['manifest K over 56403', { ...manifest, segmentSize: 56404 * 1392 }, 'bad-message'],
    ['manifest hash list short', { ...manifest, segmentDigests: Buffer.alloc(64).toString('base64') }, 'bad-message'],
    ['manifest file hash not hex', { ...manifest, fileSha256: 'z'.repeat(64) }, 'bad-message'],
    ['manifest fileDigest bytes (the plain SHA-256 is its absence)', { ...manifest, fileDigest: 'bytes' }, 'bad-message'],
    ['manifest fileDigest not a string', { ...manifest, fileDigest: true }, 'bad-message'],
    ['manifest session over u32', { ...manifest, sessionId: 2 ** 32 }, 'bad-message'],
    [
      'progress negative',
      { type: 'progress', completeBelow: -1, completeAbove: [], open: [], highestSequence: 0, datagramsReceived: 0, datagramsLost: 0 },
      'bad-message',
    ],
    [
      'progress huge list',
      { type: 'progress', completeBelow: 0, completeAbove: Array(5000).fill(1), open: [], highestSequence: 0, datagramsReceived: 0, datagramsLost: 0 },
      'bad-message',
    ],
    [
      'progress heldMs negative',
      { type: 'progress', completeBelow: 0, completeAbove: [], open: [], highestSequence: 0, datagramsReceived: 0, datagramsLost: 0, heldMs: -1 },
      'bad-message',
    ],
    [
      'progress heldMs over an hour',
      { type: 'progress', completeBelow: 0, completeAbove: [], open: [], highestSequence: 0, datagramsReceived: 0, datagramsLost: 0, heldMs: 3_600_001 },
      'bad-message',
    ],
    [
      'progress heldMs not an integer',
      { type: 'progress', completeBelow: 0, completeAbove: [], open: [], highestSequence: 0, datagramsReceived: 0, datagramsLost: 0, heldMs: 1.5 },
      'bad-message',
    ],
    [
      'progress open entry not object',
      { type: 'progress', completeBelow: 0, completeAbove: [], open: [7], highestSequence: 0, datagramsReceived: 0, datagramsLost: 0 },
      'bad-message',
    ],
    ['stop bad outcome', { type: 'stop', outcome: 'maybe' }, 'bad-message'],
    ['stop long reason', { type: 'stop', outcome: 'done', reason: 'x'.repeat(513) }, 'bad-message'],
    ['error unknown code', { type: 'error', code: 'teapot', message: '' }, 'bad-message'],
    ['hello digestsFollow not true', { type: 'hello', version: 4, receiverId: 'a', codecs: [], udpPort: 1, window: 1, digestsFollow: 1 }, 'bad-message'],
    ['manifest digestsFollow with hashes', { ...manifest, digestsFollow: true }, 'bad-message'],
    [
      'manifest digestsFollow with a publication',
      {
        ...deferredManifest(),
        digestsFollow: true,
        publication: { publishedAt: 1, publisher: Buffer.alloc(32).toString('base64'), signature: Buffer.alloc(64).toString('base64') },
      },
      'bad-message',
    ],
    ['manifest without hashes or digestsFollow', deferredManifest(), 'bad-message'],
    ['digests not a whole number of hashes', { type: 'digests', firstSegment: 0, segmentDigests: Buffer.alloc(33).toString('base64') }, 'bad-message'],
    ['digests over the per-frame cap', { type: 'digests', firstSegment: 0, segmentDigests: Buffer.alloc(32 * 8193).toString('base64') }, 'bad-message'],
    ['digests negative first segment', { type: 'digests', firstSegment: -1, segmentDigests: '' }, 'bad-message'],
    ['request have not a string', { type: 'request', have: 7 }, 'bad-message'],
    ['request have empty', { type: 'request', have: '' }, 'bad-message'],
    ['request have not base64', { type: 'request', have: 'ab!d' }, 'bad-message'],
    ['request have unpadded', { type: 'request', have: 'AQ' }, 'bad-message'],
    ['request have over MAX_HAVE_BYTES', { type: 'request', have: Buffer.alloc(MAX_HAVE_BYTES + 3).toString('base64') }, 'bad-message'],
    ['request want not base64', { type: 'request', want: 'ab!d' }, 'bad-message'],
    ['request want over the entries bound', { type: 'request', want: Buffer.alloc(25_003).toString('base64') }, 'bad-message'],
    ['request with have and want', { type: 'request', have: 'AQ==', want: 'AQ==' }, 'bad-message'],
    [
      'hello lengthFollows without digestsFollow',
      { type: 'hello', version: 4, receiverId: 'a', codecs: [], udpPort: 1, window: 1, lengthFollows: true },
      'bad-message',
    ],
    [
      'hello lengthFollows not true',
      { type: 'hello', version: 4, receiverId: 'a', codecs: [], udpPort: 1, window: 1, digestsFollow: true, lengthFollows: 'yes' },
      'bad-message',
    ],
    [
      'hello treeDigestsFollow without digestsFollow',
      { type: 'hello', version: 4, receiverId: 'a', codecs: [], udpPort: 1, window: 1, treeDigestsFollow: true },
      'bad-message',
    ],
    [
      'manifest digestsFollow with a file digest in a tree entry',
      {
        ...deferredManifest(),
        fileSize: 3,
        digestsFollow: true,
        entries: [{ path: 'f', kind: 'file', size: 3, mode: 0o644, mtimeMs: 1, sha256: 'ab'.repeat(32) }],
      },
      'bad-message',
    ],
    [
      'manifest with its hashes and a tree entry without its digest',
      { ...manifest, fileSize: 3, entries: [{ path: 'f', kind: 'file', size: 3, mode: 0o644, mtimeMs: 1 }] },
      'bad-message',
    ],
    ['manifest lengthFollows with its hashes', { ...manifest, fileSize: 0, lengthFollows: true }, 'bad-message'],
    ['manifest lengthFollows with a fileSize', { ...deferredManifest(), digestsFollow: true, lengthFollows: true }, 'bad-message'],
    [
      'manifest lengthFollows for a tree',
      { ...deferredManifest(), fileSize: 0, digestsFollow: true, lengthFollows: true, entries: [{ path: 'a', kind: 'dir', size: 0, mode: 0o755, mtimeMs: 0 }] },
      'bad-message',
    ],
    ['digests fileSize without the file hash', { type: 'digests', firstSegment: 0, segmentDigests: '', fileSize: 5 }, 'bad-message'],
    ['digests fileSize negative', { type: 'digests', firstSegment: 0, segmentDigests: '', fileSha256: 'ab'.repeat(32), fileSize: -1 }, 'bad-message'],
    ['digests fileSize not whole', { type: 'digests', firstSegment: 0, segmentDigests: '', fileSha256: 'ab'.repeat(32), fileSize: 1.5 }, 'bad-message'],
    ['digests fileSize over 2^50', { type: 'digests', firstSegment: 0, segmentDigests: '', fileSha256: 'ab'.repeat(32), fileSize: 2 ** 50 + 1 }, 'bad-message'],
    ['digests file hash not hex', { type: 'digests', firstSegment: 0, segmentDigests: '', fileSha256: 'x'.repeat(64) }, 'bad-message'],
  ];
  it.each(bad)('rejects %s', (_name, value, code) => {
    const r = decodeMessage(encodeJson(value));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  it('rejects invalid UTF-8 and invalid JSON', () => {
    expect(decodeMessage(new Uint8Array([0xff, 0xfe]))).toMatchObject({ ok: false, code: 'bad-message' });
    expect(decodeMessage(new TextEncoder().encode('{"type":'))).toMatchObject({ ok: false, code: 'bad-message' });
  });

  it('ignores unknown fields, including __proto__, without polluting anything', () => {
    const r = decodeMessage(new TextEncoder().encode('{"type":"request","__proto__":{"polluted":true},"extra":1}'));
    expect(r).toEqual({ ok: true, message: { type: 'request' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never throws on arbitrary bytes or arbitrary JSON (seeded property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = decodeMessage(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { seed: 42, numRuns: 20_000 },
    );
    const types = fc.constantFrom('hello', 'manifest', 'request', 'progress', 'stop', 'heartbeat', 'error', 'other');
    fc.assert(
      fc.property(types, fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 3 })), (type, rest) => {
        const r = decodeMessage(encodeJson({ ...rest, type }));
        if (r.ok) expect(r.message.type).toBe(type);
        else expect(r.detail.length).toBeGreaterThan(0);
      }),
      { seed: 43, numRuns: 20_000 },
    );
  });
});

describe('stricter message checks', () => {
  const cases: [string, unknown, string][] = [
    [
      "hello of an older version (repair ESIs from K' instead of RFC 6330's K)",
      { type: 'hello', version: 1, receiverId: 'a', codecs: [], udpPort: 1, window: 1 },
      'version-mismatch',
    ],
    ['manifest unknown tag kind', { ...manifest, tagKind: 200 }, 'bad-message'],
    ['manifest heartbeat not below idle timeout', { ...manifest, heartbeatIntervalMs: 5000 }, 'bad-message'],
    ['manifest idle timeout below 100 ms', { ...manifest, idleTimeoutMs: 99, heartbeatIntervalMs: 10 }, 'bad-message'],
    ['manifest hash list with wrong padding', { ...manifest, segmentDigests: `${manifest.segmentDigests!.slice(0, -1)}=` }, 'bad-message'],
    ['manifest file name with a newline', { ...manifest, fileName: 'a\nb.iso' }, 'bad-message'],
    ['manifest file name with a backslash', { ...manifest, fileName: '..\\x' }, 'bad-message'],
    ['manifest file name with DEL', { ...manifest, fileName: 'a\u007f' }, 'bad-message'],
    [
      'progress missing ESI over 24 bits',
      {
        type: 'progress',
        completeBelow: 0,
        completeAbove: [],
        open: [{ index: 0, received: 0, needed: 1, missing: [2 ** 24] }],
        highestSequence: 0,
        datagramsReceived: 0,
        datagramsLost: 0,
      },
      'bad-message',
    ],
    ['type not a string', { type: 7 }, 'bad-message'],
    ['hello address not an address', { ...(samples[0] as object), address: 'pc7.example' }, 'bad-message'],
    ['hello address multicast', { ...(samples[0] as object), address: '239.1.1.1' }, 'bad-message'],
    ['hello address unspecified', { ...(samples[0] as object), address: '::' }, 'bad-message'],
    ['hello address with a zone', { ...(samples[0] as object), address: 'fe80::1%eth0' }, 'bad-message'],
    ['hello address not a string', { ...(samples[0] as object), address: 7 }, 'bad-message'],
    ['manifest dataKey of 31 bytes', { ...manifest, tagKind: 2, dataKey: Buffer.alloc(31).toString('base64') }, 'bad-message'],
    ['manifest dataKey with a CRC-32 stream', { ...manifest, tagKind: 1, dataKey: Buffer.alloc(32).toString('base64') }, 'bad-message'],
    [
      'manifest with both keyWrap and dataKey',
      {
        ...manifest,
        tagKind: 2,
        dataKey: Buffer.alloc(32).toString('base64'),
        keyWrap: { iv: Buffer.alloc(12).toString('base64'), sealed: Buffer.alloc(48).toString('base64') },
      },
      'bad-message',
    ],
    ['manifest keyed without a key', { ...manifest, tagKind: 3 }, 'bad-message'],
    ['manifest multicast to a unicast address', { ...manifest, dataPlane: { mode: 'multicast', group: '10.0.0.1', port: 7071 } }, 'bad-message'],
    ['manifest multicast group not dotted quad', { ...manifest, dataPlane: { mode: 'multicast', group: '239.1.1', port: 7071 } }, 'bad-message'],
    ['manifest multicast to an IPv6 unicast address', { ...manifest, dataPlane: { mode: 'multicast', group: 'fe80::1', port: 7071 } }, 'bad-message'],
    ['manifest IPv6 group with a zone', { ...manifest, dataPlane: { mode: 'multicast', group: 'ff02::114%eth0', port: 7071 } }, 'bad-message'],
    ['manifest IPv6 group with two ::', { ...manifest, dataPlane: { mode: 'multicast', group: 'ff02::1::2', port: 7071 } }, 'bad-message'],
    ['manifest IPv6 group of nine hextets', { ...manifest, dataPlane: { mode: 'multicast', group: 'ff02:0:0:0:0:0:0:1:2', port: 7071 } }, 'bad-message'],
    ['manifest data plane port 0', { ...manifest, dataPlane: { mode: 'broadcast', port: 0 } }, 'bad-message'],
    ['manifest unknown data plane mode', { ...manifest, dataPlane: { mode: 'anycast', port: 7071 } }, 'bad-message'],
    [
      'progress missing list over 4096 ids',
      {
        type: 'progress',
        completeBelow: 0,
        completeAbove: [],
        open: [{ index: 0, received: 0, needed: 1, missing: Array(4097).fill(1) }],
        highestSequence: 0,
        datagramsReceived: 0,
        datagramsLost: 0,
      },
      'bad-message',
    ],
    [
      'progress missing lists over 16384 ids together',
      {
        type: 'progress',
        completeBelow: 0,
        completeAbove: [],
        open: Array.from({ length: 5 }, (_, index) => ({ index, received: 0, needed: 1, missing: Array(4000).fill(1) })),
        highestSequence: 0,
        datagramsReceived: 0,
        datagramsLost: 0,
      },
      'bad-message',
    ],
  ];
  it.each(cases)('rejects %s', (_name, value, code) => {
    const r = decodeMessage(encodeJson(value));
    expect(r).toMatchObject({ ok: false, code });
  });

  it('accepts multicast and broadcast data planes', () => {
    for (const dataPlane of [
      { mode: 'multicast', group: '239.255.42.1', port: 7071 },
      { mode: 'multicast', group: 'ff02::114', port: 7071 },
      { mode: 'multicast', group: 'FF05:0:0:0:0:0:1:3', port: 7071 },
      { mode: 'broadcast', port: 7071 },
    ]) {
      expect(decodeMessage(encodeJson({ ...manifest, dataPlane }))).toEqual({ ok: true, message: { ...manifest, dataPlane } });
    }
  });

  it('accepts a 255-byte UTF-8 file name and hands back frozen messages', () => {
    const name = 'é'.repeat(127) + 'x';
    const r = decodeMessage(encodeJson({ ...manifest, fileName: name }));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(Object.isFrozen(r.message)).toBe(true);
      expect((r.message as Manifest).fileName).toBe(name);
    }
    expect(decodeMessage(encodeJson({ ...manifest, fileName: `${name}x` })).ok).toBe(false);
  });

  it('encodeFrame refuses a payload over the limit with FrameTooLargeError', () => {
    expect(() => encodeFrame(new Uint8Array(11), 10)).toThrow(expect.objectContaining({ name: 'FrameTooLargeError', frameBytes: 11 }));
    expect(encodeFrame(new Uint8Array(10), 10).length).toBe(14);
  });
});

describe('Request.have (resume bitmap)', () => {
  it('a Request with the largest bitmap still fits in a frame', () => {
    const have = Buffer.alloc(MAX_HAVE_BYTES, 0xff).toString('base64');
    const bytes = encodeMessage({ type: 'request', have });
    expect(bytes.length).toBeLessThan(MAX_FRAME_BYTES);
    expect(decodeMessage(bytes)).toEqual({ ok: true, message: { type: 'request', have } });
  });

  it('BitSet round-trips through base64, bit i of byte i >> 3 least significant first', () => {
    const s = new BitSet(11);
    for (const i of [0, 2, 5, 7, 8, 10]) s.add(i);
    expect([...s.toBytes()]).toEqual([0b1010_0101, 0b0000_0101]);
    expect(s.count()).toBe(6);
    const back = BitSet.fromBase64(11, s.toBase64())!;
    expect([...Array(11).keys()].filter((i) => back.has(i))).toEqual([0, 2, 5, 7, 8, 10]);
  });

  it('BitSet.fromBase64 takes only the exact bitmap for the segment count', () => {
    const two = Buffer.from([0xff, 0x07]).toString('base64');
    expect(BitSet.fromBase64(11, two)?.count()).toBe(11);
    expect(BitSet.fromBase64(10, two)).toBeUndefined(); // bit 10 names no segment
    expect(BitSet.fromBase64(17, two)).toBeUndefined(); // one byte short
    expect(BitSet.fromBase64(8, two)).toBeUndefined(); // one byte long
    expect(BitSet.fromBase64(11, '/wc=')?.count()).toBe(11);
    expect(BitSet.fromBase64(11, '/wd=')).toBeUndefined(); // not canonical (non-zero padding bits)
    expect(BitSet.fromBase64(0, '')?.count()).toBe(0);
  });
});

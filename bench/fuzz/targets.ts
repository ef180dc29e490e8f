/**
 * Property-based fuzz targets for every parser of network input: the datagram header, the
 * control-frame decoder, control messages, and the manifest in particular. Each target is a
 * fast-check property that must hold for any input: the parser never throws, answers with a
 * typed verdict, never lets an out-of-range value through (what would reach the wasm codec or an
 * allocation), and never buffers beyond its bound. CI runs each with ≥ 100,000 seeded cases
 * (test/fuzz/parsers.test.ts); `npm run fuzz` runs a longer campaign (bench/fuzz/run.ts).
 *
 * Inputs mix pure noise with mutations of valid values, since noise alone rarely gets past the
 * first check (magic, JSON syntax) and the interesting bugs live behind it.
 */
import fc from 'fast-check';
import { encodeFrame, FrameDecoder, FRAME_HEADER_BYTES } from '../../control/framing.js';
import { decodeMessage, encodeMessage } from '../../control/messageCodec.js';
import type { ControlMessage, Manifest } from '../../control/messages.js';
import {
  datagramLength,
  MAX_COMBINED_SYMBOLS,
  parseDatagram,
  writeCombinedDatagram,
  writeDatagram,
  type DatagramExpectations,
} from '../../encoder/datagram.js';
import { crc32Scheme } from '../../encoder/integrity.js';

export type Verdict = 'accepted' | 'rejected';

export interface FuzzTarget<T = unknown> {
  readonly name: string;
  readonly input: fc.Arbitrary<T>;
  /** Parses one case; throws on a violated invariant; says whether the parser accepted it. */
  readonly check: (input: T) => Verdict;
}

/** A target with its input type erased, so targets of different inputs fit in one list. */
export interface RunnableTarget {
  readonly name: string;
  /** The property to hand to fc.assert. */
  property(): fc.IPropertyWithHooks<[unknown]>;
  /** How many of `n` seeded cases the parser accepted (throws on a violation). */
  census(seed: number, n: number): { accepted: number; rejected: number };
}

function runnable<T>(t: FuzzTarget<T>): RunnableTarget {
  return {
    name: t.name,
    property: () =>
      fc.property(t.input, (x) => {
        t.check(x);
      }) as unknown as fc.IPropertyWithHooks<[unknown]>,
    census(seed, n) {
      const counts = { accepted: 0, rejected: 0 };
      for (const x of fc.sample(t.input, { seed, numRuns: n })) counts[t.check(x)]++;
      return counts;
    },
  };
}

const T = 64;
const EXPECT: DatagramExpectations = { sessionId: 0x01020304, symbolSize: T, segmentCount: 5, encodingSymbolIdLimit: 1 << 20, integrity: crc32Scheme };

/** A plain datagram, or (combine >= 2) a combined one of esi, esi + 1, ... */
function validDatagram(segmentIndex: number, esi: number, fill: number, combine = 1): Uint8Array {
  const d = new Uint8Array(datagramLength(T, crc32Scheme, combine));
  const symbol = new Uint8Array(T).fill(fill);
  const header = { sessionId: EXPECT.sessionId, sequenceNumber: 7, segmentIndex };
  if (combine < 2) writeDatagram(d, { ...header, encodingSymbolId: esi }, symbol, crc32Scheme);
  else
    writeCombinedDatagram(
      d,
      header,
      Array.from({ length: combine }, (_, i) => (esi + i) % (1 << 24)).sort((a, b) => a - b),
      symbol,
      crc32Scheme,
    );
  return d;
}

/** Byte edits (position, value), a truncation or extension, and an optional re-seal. */
const mutatedDatagram = fc
  .record({
    segmentIndex: fc.nat(7),
    esi: fc.oneof(fc.nat(10), fc.nat((1 << 24) - 1)),
    fill: fc.nat(255),
    // Type 2 (combined source symbols) a third of the time.
    combine: fc.oneof({ arbitrary: fc.constant(1), weight: 2 }, { arbitrary: fc.integer({ min: 2, max: MAX_COMBINED_SYMBOLS }), weight: 1 }),
    // Mostly small changes, so that many cases pass the length and tag checks and reach the
    // range checks behind them.
    edits: fc.oneof(
      { arbitrary: fc.constant([]), weight: 2 },
      { arbitrary: fc.array(fc.tuple(fc.nat(24 + 21 + T + 3), fc.nat(255)), { minLength: 1, maxLength: 4 }), weight: 3 },
    ),
    resize: fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, { arbitrary: fc.integer({ min: -30, max: 30 }), weight: 1 }),
    reseal: fc.boolean(),
  })
  .map(({ segmentIndex, esi, fill, combine, edits, resize, reseal }) => {
    let d = validDatagram(segmentIndex, esi, fill, combine);
    for (const [at, v] of edits) if (at < d.length) d[at] = v;
    if (reseal) crc32Scheme.seal(d, d.length - crc32Scheme.tagLength);
    if (resize < 0) d = d.subarray(0, Math.max(0, d.length + resize));
    else if (resize > 0) d = Uint8Array.from([...d, ...new Uint8Array(resize)]);
    return d;
  });

const datagram: FuzzTarget<Uint8Array> = {
  name: 'datagram',
  input: fc.oneof(fc.uint8Array({ maxLength: 1600 }), mutatedDatagram),
  check: (bytes) => {
    const v = parseDatagram(bytes, EXPECT);
    if (typeof v.ok !== 'boolean') throw new Error('verdict without ok');
    if (!v.ok) {
      if (typeof v.reason !== 'string' || v.reason.length === 0) throw new Error('rejection without a reason');
      return 'rejected';
    }
    // What passes must be safe to hand to a decoder as it is.
    if (v.symbol.length !== T) throw new Error(`accepted a symbol of ${v.symbol.length} bytes`);
    if (v.segmentIndex >= EXPECT.segmentCount) throw new Error(`accepted segment ${v.segmentIndex}`);
    if (v.encodingSymbolId >= EXPECT.encodingSymbolIdLimit) throw new Error(`accepted ESI ${v.encodingSymbolId}`);
    if (v.sessionId !== EXPECT.sessionId) throw new Error('accepted another session');
    if (v.combinedIds !== undefined) {
      const ids = v.combinedIds;
      if (ids.length < 2 || ids.length > MAX_COMBINED_SYMBOLS) throw new Error(`accepted ${ids.length} combined ids`);
      if (ids[0] !== v.encodingSymbolId) throw new Error('combined ids do not start with the header ESI');
      for (let i = 1; i < ids.length; i++)
        if (!(ids[i]! > ids[i - 1]! && ids[i]! < EXPECT.encodingSymbolIdLimit)) throw new Error(`accepted combined ids ${ids.join(',')}`);
    }
    return 'accepted';
  },
};

const LIMIT = 4096;

/** A byte stream of valid frames, noise and hostile length prefixes, cut into arbitrary chunks. */
const frameStream = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((p) => encodeFrame(p)),
      fc.uint8Array({ maxLength: 300 }),
      fc.nat(0xffffffff).map((n) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)),
    ),
    { maxLength: 12 },
  )
  .chain((parts) => {
    const all = Uint8Array.from(parts.flatMap((p) => [...p]));
    return fc.array(fc.nat(all.length), { maxLength: 8 }).map((cuts) => {
      const points = [...new Set([0, ...cuts, all.length])].sort((a, b) => a - b);
      return points.slice(1).map((end, i) => all.subarray(points[i], end));
    });
  });

const frames: FuzzTarget<Uint8Array[]> = {
  name: 'frames',
  input: frameStream,
  check: (chunks) => {
    const d = new FrameDecoder(LIMIT);
    let failed = false;
    let frameCount = 0;
    for (const c of chunks) {
      d.push(c);
      for (let r = d.next(); r; r = d.next()) {
        if (!r.ok) {
          failed = true;
          if (r.reason !== 'frame-too-large' && r.reason !== 'empty-frame') throw new Error(`unknown rejection ${String(r.reason)}`);
          continue;
        }
        if (r.frame.length > LIMIT || r.frame.length === 0) throw new Error(`frame of ${r.frame.length} bytes passed a ${LIMIT}-byte limit`);
        frameCount++;
      }
      // Nothing complete is left waiting, and nothing beyond one frame is held: a peer cannot make
      // the decoder grow past its limit by declaring a large frame and trickling bytes.
      if (!failed && d.bufferedBytes > FRAME_HEADER_BYTES + LIMIT + c.length) throw new Error(`buffered ${d.bufferedBytes} bytes`);
    }
    return frameCount > 0 && !failed ? 'accepted' : 'rejected';
  },
};

/** A valid manifest (unicast, CRC, unsigned): the base of the fuzz cases, and of tests that need one. */
export const SAMPLE_MANIFEST: Manifest = {
  type: 'manifest',
  sessionId: 0xdeadbeef,
  fileName: 'image.iso',
  fileSize: 10 * 1024 * 1024 + 5,
  segmentSize: 4 * 1024 * 1024,
  symbolSize: 1392,
  codec: 'raptorq',
  segmentDigests: Buffer.alloc(32 * 3, 7).toString('base64'),
  fileSha256: 'a'.repeat(64),
  rateBytesPerSecond: 50_000_000,
  tagKind: 1,
  idleTimeoutMs: 5000,
  heartbeatIntervalMs: 1000,
};

const manifestSample: Manifest = {
  ...SAMPLE_MANIFEST,
  dataPlane: { mode: 'multicast', group: '239.255.42.1', port: 7071 },
  publication: { publishedAt: 1_790_000_000_000, publisher: Buffer.alloc(32, 1).toString('base64'), signature: Buffer.alloc(64, 2).toString('base64') },
};

const b64 = (n: number, fill: number) => Buffer.alloc(n, fill).toString('base64');

const samples: ControlMessage[] = [
  { type: 'hello', version: 4, receiverId: 'lab-pc-17', codecs: ['raptorq', 'lt'], udpPort: 40000, window: 8 },
  { type: 'hello', version: 4, receiverId: 'lab-pc-17', codecs: ['raptorq'], udpPort: 40000, window: 8, auth: { name: 'lab-pc-17', nonce: b64(32, 1) } },
  { type: 'challenge', nonce: b64(32, 2), proof: b64(32, 3) },
  { type: 'auth-response', proof: b64(32, 4) },
  manifestSample,
  { ...manifestSample, tagKind: 2, keyWrap: { iv: b64(12, 5), sealed: b64(48, 6) } },
  // Over pipes (SSH): the receiver's own address, and the datagram key as it is.
  { type: 'hello', version: 4, receiverId: 'lab-pc-20', codecs: ['raptorq'], udpPort: 40003, window: 8, address: '10.0.0.20' },
  { type: 'hello', version: 4, receiverId: 'lab-pc-21', codecs: ['raptorq'], udpPort: 40004, window: 8, address: '2001:db8::21' },
  { ...manifestSample, tagKind: 3, dataKey: b64(32, 7) },
  { ...SAMPLE_MANIFEST, segmentDigests: undefined, fileSha256: undefined, digestsFollow: true },
  {
    ...SAMPLE_MANIFEST,
    fileSize: 7,
    segmentDigests: b64(32, 9),
    entries: [
      { path: 'd', kind: 'dir', size: 0, mode: 0o755, mtimeMs: 1 },
      { path: 'd/f', kind: 'file', size: 7, mode: 0o644, mtimeMs: 2, sha256: 'ef'.repeat(32) },
      { path: 'd/l', kind: 'symlink', size: 0, mode: 0o777, mtimeMs: 3, target: 'f' },
    ],
  },
  { type: 'hello', version: 4, receiverId: 'lab-pc-18', codecs: ['raptorq'], udpPort: 40001, window: 8, digestsFollow: true },
  { type: 'request' },
  { type: 'digests', firstSegment: 2, segmentDigests: b64(96, 7) },
  { type: 'digests', firstSegment: 5, segmentDigests: b64(32, 8), fileSha256: 'ab'.repeat(32) },
  // A pipe: a receiver that takes a length that follows, such a manifest, and its end frame.
  { type: 'hello', version: 4, receiverId: 'lab-pc-19', codecs: ['raptorq'], udpPort: 40002, window: 8, digestsFollow: true, lengthFollows: true },
  { ...SAMPLE_MANIFEST, fileSize: 0, segmentDigests: undefined, fileSha256: undefined, digestsFollow: true, lengthFollows: true },
  { type: 'digests', firstSegment: 6, segmentDigests: b64(32, 9), fileSha256: 'cd'.repeat(32), fileSize: 25_165_825 },
  {
    type: 'progress',
    completeBelow: 3,
    completeAbove: [5],
    open: [{ index: 4, received: 10, needed: 3004, missing: [1, 2, 9] }],
    highestSequence: 123456,
    datagramsReceived: 120000,
    datagramsLost: 3456,
    heldMs: 3,
  },
  { type: 'stop', outcome: 'done', reason: 'verified' },
  { type: 'heartbeat' },
  { type: 'error', code: 'version-mismatch', message: 'sender 1, receiver 2' },
];

/** Values an attacker would try in any field. */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 2 ** 53, 2 ** 64, 1e308, -0, 0.5, '', '../../etc/passwd', '/etc/passwd', 'a\u0000b', '__proto__', 'x'.repeat(5000), [], {}, null, true),
  fc.string({ maxLength: 40 }),
);

/** A valid message with fields replaced, deleted or added. */
function mutated(base: fc.Arbitrary<ControlMessage>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      base,
      fc.array(fc.tuple(fc.constantFrom('set', 'delete', 'add'), fc.nat(20), hostileValue, fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 3 }),
    )
    .map(([m, ops]) => {
      const o: Record<string, unknown> = JSON.parse(JSON.stringify(m));
      for (const [op, pick, value, name] of ops) {
        const keys = Object.keys(o).filter((k) => k !== 'type');
        const key = keys[pick % Math.max(1, keys.length)];
        if (op === 'delete' && key !== undefined) delete o[key];
        else if (op === 'set' && key !== undefined) o[key] = value;
        else o[name] = value;
      }
      return o;
    });
}

function checkMessage(bytes: Uint8Array): Verdict {
  const r = decodeMessage(bytes);
  if (!r.ok) {
    if (typeof r.detail !== 'string' || r.detail.length === 0) throw new Error('rejection without detail');
    return 'rejected';
  }
  // Whatever is accepted is canonical: encoding it again gives the same message.
  const again = decodeMessage(encodeMessage(r.message));
  if (!again.ok || JSON.stringify(again.message) !== JSON.stringify(r.message)) throw new Error(`accepted ${r.message.type} does not round-trip`);
  return 'accepted';
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

const messages: FuzzTarget<Uint8Array> = {
  name: 'control-messages',
  input: fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc
      .tuple(fc.constantFrom(...samples.map((s) => s.type), 'other'), fc.dictionary(fc.string({ maxLength: 12 }), hostileValue, { maxKeys: 6 }))
      .map(([type, rest]) => json({ ...rest, type })),
    mutated(fc.constantFrom(...samples)).map(json),
    // Unchanged samples too: the fuzzer must see acceptances, or its invariants test nothing.
    fc.constantFrom(...samples).map(json),
  ),
  check: checkMessage,
};

const manifest: FuzzTarget<Record<string, unknown>> = {
  name: 'manifest',
  input: mutated(fc.constant(manifestSample as ControlMessage)),
  check: (o) => {
    const r = decodeMessage(json(o));
    checkMessage(json(o));
    if (!r.ok) return 'rejected';
    const m = r.message;
    if (m.type !== 'manifest') throw new Error(`a manifest came out as ${m.type}`);
    // The receiver sizes buffers from these: they must be sane before anything is allocated.
    const segments = Math.ceil(m.fileSize / m.segmentSize);
    if (
      m.digestsFollow
        ? m.segmentDigests !== undefined || m.fileSha256 !== undefined || m.publication !== undefined
        : Buffer.from(m.segmentDigests ?? '', 'base64').length !== 32 * segments
    ) {
      throw new Error('segment hashes do not match the layout (or came with digestsFollow)');
    }
    if (m.lengthFollows && (m.fileSize !== 0 || !m.digestsFollow || m.entries !== undefined))
      throw new Error('accepted a length that follows with a size, its hashes or a tree');
    if (/[/\\\u0000]|^\.\.?$/.test(m.fileName)) throw new Error(`accepted file name ${JSON.stringify(m.fileName)}`);
    if (!(m.symbolSize > 0 && m.symbolSize <= 65_535 && m.segmentSize >= m.symbolSize)) throw new Error('accepted an impossible layout');
    return 'accepted';
  },
};

export const FUZZ_TARGETS: readonly RunnableTarget[] = [runnable(datagram), runnable(frames), runnable(messages), runnable(manifest)];

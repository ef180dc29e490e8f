/**
 * JSON <-> ControlMessage. `decodeMessage` checks every field of peer input and returns a typed
 * rejection (an ErrorCode and a detail for the Error frame); it never throws. Messages are
 * rebuilt from validated fields only (unknown keys, `__proto__` included, go nowhere) and frozen.
 * The same checks guard what we send (`validateMessage`), so a bug here cannot emit a message
 * the peer would reject.
 */
import { TagKind } from '../encoder/integrity.js';
import { MAX_FILE_SIZE, validateLayoutParameters } from '../encoder/segmentLayout.js';
import {
  MAX_CODEC_NAME_LENGTH,
  MAX_CODECS,
  MAX_HAVE_BYTES,
  MAX_IDLE_TIMEOUT_MS,
  MAX_LIST_ENTRIES,
  MAX_TEXT_LENGTH,
  MAX_WINDOW,
  MIN_HEARTBEAT_INTERVAL_MS,
  MIN_IDLE_TIMEOUT_MS,
} from './constants.js';
import { RemoteProtocolError } from './errors.js';
import { treeEntries } from './treeEntriesCodec.js';
import {
  BASE64,
  BAD_NAME_CHARS,
  CODEC_NAME,
  HEX_SHA256,
  int,
  intValue,
  list,
  obj,
  own,
  RECEIVER_ID,
  str,
  strValue,
  TAG_KINDS,
  U32,
  unicastAddressProblem,
  type Obj,
} from './wireValues.js';

export { treePathProblem, treeTargetProblem } from './treeEntriesCodec.js';
import {
  ERROR_CODES,
  MAX_DIGESTS_PER_FRAME,
  MAX_MISSING_LISTED,
  MAX_MISSING_PER_PROGRESS,
  MAX_TREE_ENTRIES,
  PROTOCOL_VERSION,
  type ControlMessage,
  type DataPlane,
  type Digests,
  type ErrorCode,
  type Hello,
  type HelloAuth,
  type KeyWrap,
  type Manifest,
  type Progress,
  type Publication,
  type Request,
  type SegmentProgress,
} from './messages.js';

export type DecodeResult = { readonly ok: true; readonly message: ControlMessage } | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

/** The slowest Progress interval a sender may ask for (its receivers keep alive at twice it). */
const MAX_PROGRESS_INTERVAL_MS = 10_000;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** No validation: use `validateMessage` first for anything built from outside input. */
export function encodeMessage(m: ControlMessage): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(m));
}

export function decodeMessage(bytes: Uint8Array): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(utf8Decoder.decode(bytes));
  } catch {
    return { ok: false, code: 'bad-message', detail: 'frame is not UTF-8 JSON' };
  }
  return validateMessage(value);
}

/**
 * Validates a parsed JSON value (or a message about to be sent) and returns a clean, frozen copy.
 * The checks below throw RemoteProtocolError - what the message would be from a peer - and it
 * never leaves this function: it becomes the rejection (connection.ts throws LocalProtocolError
 * for one of our own).
 */
export function validateMessage(value: unknown): DecodeResult {
  try {
    return { ok: true, message: message(obj(value, 'message')) };
  } catch (e) {
    if (e instanceof RemoteProtocolError) return { ok: false, code: e.code, detail: e.message };
    return { ok: false, code: 'bad-message', detail: 'malformed message' };
  }
}

function hello(o: Obj): Hello {
  // Version first: a Hello from another protocol version may differ in every other field.
  const version = int(o, 'version', 0, U32);
  if (version !== PROTOCOL_VERSION) {
    throw new RemoteProtocolError('version-mismatch', `protocol version mismatch: sender speaks ${PROTOCOL_VERSION}, receiver ${version}`);
  }
  return {
    type: 'hello',
    version,
    receiverId: str(o, 'receiverId', 64, RECEIVER_ID),
    codecs: list(o, 'codecs', MAX_CODECS, (v) => strValue(v, 'codecs[]', MAX_CODEC_NAME_LENGTH, CODEC_NAME)),
    udpPort: int(o, 'udpPort', 1, 65_535),
    window: int(o, 'window', 1, MAX_WINDOW),
    ...(own(o, 'address') === undefined ? {} : { address: unicastAddress(o, 'address') }),
    ...(own(o, 'auth') === undefined ? {} : { auth: helloAuth(obj(own(o, 'auth'), 'auth')) }),
    ...(flag(o, 'digestsFollow') ? { digestsFollow: true as const } : {}),
    ...lengthFollows(o, 'a Hello offering lengthFollows offers digestsFollow too'),
    ...treeDigestsFollow(o),
  };
}

/** An IPv4 or IPv6 unicast address in text form (wireValues.ts unicastAddressProblem). */
function unicastAddress(o: Obj, k: string): string {
  const v = str(o, k, 45);
  const problem = unicastAddressProblem(v);
  if (problem) throw new RemoteProtocolError('bad-message', `${k} ${problem}`);
  return v;
}

/** The optional lengthFollows flag, which needs digestsFollow beside it (`why` otherwise). */
function lengthFollows(o: Obj, why: string): { lengthFollows?: true } {
  if (!flag(o, 'lengthFollows')) return {};
  if (own(o, 'digestsFollow') !== true) throw new RemoteProtocolError('bad-message', why);
  return { lengthFollows: true };
}

/** The optional treeDigestsFollow flag of a Hello, which needs digestsFollow beside it. */
function treeDigestsFollow(o: Obj): { treeDigestsFollow?: true } {
  if (!flag(o, 'treeDigestsFollow')) return {};
  if (own(o, 'digestsFollow') !== true) throw new RemoteProtocolError('bad-message', 'a Hello offering treeDigestsFollow offers digestsFollow too');
  return { treeDigestsFollow: true };
}

/** An optional `true` flag: absent or true, nothing else. */
function flag(o: Obj, k: string): boolean {
  const v = own(o, k);
  if (v !== undefined && v !== true) throw new RemoteProtocolError('bad-message', `${k} must be true or absent`);
  return v === true;
}

function helloAuth(o: Obj): HelloAuth {
  return Object.freeze({ name: str(o, 'name', 64, RECEIVER_ID), nonce: base64Of(o, 'nonce', 32) });
}

function fileName(o: Obj): string {
  const name = str(o, 'fileName', 255);
  const bytes = utf8Encoder.encode(name).length;
  if (bytes < 1 || bytes > 255 || BAD_NAME_CHARS.test(name) || name === '.' || name === '..') {
    throw new RemoteProtocolError('bad-message', 'fileName must be a plain base name of 1..255 UTF-8 bytes without /, \\ or control characters');
  }
  return name;
}

/** Base64 of exactly `bytes` bytes: the exact length and padding, so the decoded length is exact too. */
function base64Of(o: Obj, k: string, bytes: number): string {
  const v = own(o, k);
  const padding = (3 - (bytes % 3)) % 3;
  // BASE64 allows '=' only at the end, so counting the trailing ones is enough.
  const trailing = typeof v === 'string' ? (v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0) : -1;
  if (typeof v !== 'string' || v.length !== Math.ceil(bytes / 3) * 4 || trailing !== padding || !BASE64.test(v)) {
    throw new RemoteProtocolError('bad-message', `${k} must be base64 of exactly ${bytes} bytes`);
  }
  return v;
}

function manifest(o: Obj): Manifest {
  const fileSize = int(o, 'fileSize', 0, Number.MAX_SAFE_INTEGER);
  const segmentSize = int(o, 'segmentSize', 1, Number.MAX_SAFE_INTEGER);
  const symbolSize = int(o, 'symbolSize', 1, Number.MAX_SAFE_INTEGER);
  try {
    validateLayoutParameters(fileSize, segmentSize, symbolSize);
  } catch (e) {
    throw new RemoteProtocolError('bad-message', `manifest layout: ${(e as Error).message}`);
  }
  const segmentCount = Math.ceil(fileSize / segmentSize);
  const tagKind = int(o, 'tagKind', 0, 255);
  if (!TAG_KINDS.includes(tagKind)) throw new RemoteProtocolError('bad-message', `tagKind ${tagKind} is not one of ${TAG_KINDS.join(', ')}`);
  const idleTimeoutMs = int(o, 'idleTimeoutMs', MIN_IDLE_TIMEOUT_MS, MAX_IDLE_TIMEOUT_MS);
  // Heartbeats must come more often than the idle timeout or the peer would drop a live link.
  const heartbeatIntervalMs = int(o, 'heartbeatIntervalMs', MIN_HEARTBEAT_INTERVAL_MS, idleTimeoutMs - 1);
  return {
    type: 'manifest',
    sessionId: int(o, 'sessionId', 0, U32),
    fileName: fileName(o),
    fileSize,
    segmentSize,
    symbolSize,
    codec: str(o, 'codec', MAX_CODEC_NAME_LENGTH, CODEC_NAME),
    ...manifestDigests(o, segmentCount),
    ...(own(o, 'fileDigest') === undefined ? {} : { fileDigest: fileDigestKind(own(o, 'fileDigest')) }),
    ...lengthFollowsManifest(o, fileSize),
    rateBytesPerSecond: int(o, 'rateBytesPerSecond', 0, Number.MAX_SAFE_INTEGER),
    tagKind,
    idleTimeoutMs,
    heartbeatIntervalMs,
    ...(own(o, 'progressIntervalMs') === undefined ? {} : { progressIntervalMs: int(o, 'progressIntervalMs', 1, MAX_PROGRESS_INTERVAL_MS) }),
    ...(own(o, 'dataPlane') === undefined ? {} : { dataPlane: dataPlane(obj(own(o, 'dataPlane'), 'dataPlane')) }),
    ...(own(o, 'publication') === undefined ? {} : { publication: publication(obj(own(o, 'publication'), 'publication')) }),
    ...keyed(o, tagKind),
    // While a tree's digests follow, so do its files' (the entries carry none).
    ...(own(o, 'entries') === undefined ? {} : { entries: treeEntries(o, fileSize, own(o, 'digestsFollow') !== true) }),
  };
}

/** The hashes, or digestsFollow without them (and without a publication, which would cover them). */
function manifestDigests(o: Obj, segmentCount: number): Pick<Manifest, 'segmentSha256' | 'fileSha256' | 'digestsFollow'> {
  if (!flag(o, 'digestsFollow')) return { segmentSha256: base64Of(o, 'segmentSha256', 32 * segmentCount), fileSha256: str(o, 'fileSha256', 64, HEX_SHA256) };
  if (own(o, 'segmentSha256') !== undefined || own(o, 'fileSha256') !== undefined)
    throw new RemoteProtocolError('bad-message', 'a manifest whose digests follow carries no hashes');
  if (own(o, 'publication') !== undefined)
    throw new RemoteProtocolError('bad-message', 'a signed manifest carries its hashes: digestsFollow is not allowed with a publication');
  return { digestsFollow: true };
}

/** Manifest.fileDigest: only `segments` is a kind; the plain SHA-256 is the field's absence. */
function fileDigestKind(v: unknown): 'segments' {
  if (v !== 'segments') throw new RemoteProtocolError('bad-message', 'fileDigest is "segments" or absent');
  return v;
}

/** A manifest whose length follows: digests follow too, fileSize is 0, and it is one file, unsigned. */
function lengthFollowsManifest(o: Obj, fileSize: number): { lengthFollows?: true } {
  const taken = lengthFollows(o, 'a manifest whose length follows has its digests follow too');
  if (!taken.lengthFollows) return taken;
  if (fileSize !== 0) throw new RemoteProtocolError('bad-message', 'a manifest whose length follows has fileSize 0');
  if (own(o, 'entries') !== undefined) throw new RemoteProtocolError('bad-message', 'a tree cannot have its length follow');
  return taken;
}

function digests(o: Obj): Digests {
  const v = own(o, 'segmentSha256');
  // base64 of 32n bytes is ceil(32n / 3) * 4 characters, so n = floor(3 * length / 128); base64Of checks the rest.
  const count = typeof v === 'string' ? Math.floor((3 * v.length) / 128) : 0;
  if (count > MAX_DIGESTS_PER_FRAME) throw new RemoteProtocolError('bad-message', `a Digests frame carries at most ${MAX_DIGESTS_PER_FRAME} segment digests`);
  return {
    type: 'digests',
    firstSegment: int(o, 'firstSegment', 0, U32),
    segmentSha256: base64Of(o, 'segmentSha256', 32 * count),
    ...(own(o, 'fileSha256') === undefined ? {} : { fileSha256: str(o, 'fileSha256', 64, HEX_SHA256) }),
    ...digestsLength(o),
  };
}

/** Digests.fileSize: a whole number of bytes (up to MAX_FILE_SIZE), only beside the object's digest. */
function digestsLength(o: Obj): { fileSize?: number } {
  if (own(o, 'fileSize') === undefined) return {};
  if (own(o, 'fileSha256') === undefined) throw new RemoteProtocolError('bad-message', 'fileSize comes only with fileSha256');
  return { fileSize: int(o, 'fileSize', 0, MAX_FILE_SIZE) };
}

/** A keyed tag kind comes with its key, wrapped or (in a private control stream) as it is; and only then. */
function keyed(o: Obj, tagKind: number): { keyWrap?: KeyWrap; dataKey?: string } {
  const wrap = own(o, 'keyWrap');
  const plain = own(o, 'dataKey');
  const needsKey = tagKind !== TagKind.Crc32;
  if (wrap !== undefined && plain !== undefined) throw new RemoteProtocolError('bad-message', 'a manifest carries keyWrap or dataKey, not both');
  const given = wrap !== undefined || plain !== undefined;
  if (needsKey !== given)
    throw new RemoteProtocolError('bad-message', needsKey ? `tagKind ${tagKind} needs keyWrap or dataKey` : 'keyWrap and dataKey are only for keyed tag kinds');
  if (plain !== undefined) return { dataKey: base64Of(o, 'dataKey', 32) };
  return wrap === undefined ? {} : { keyWrap: keyWrap(obj(wrap, 'keyWrap')) };
}

function keyWrap(o: Obj): KeyWrap {
  return Object.freeze({ iv: base64Of(o, 'iv', 12), sealed: base64Of(o, 'sealed', 48) });
}

function publication(o: Obj): Publication {
  return Object.freeze({
    publishedAt: int(o, 'publishedAt', 0, Number.MAX_SAFE_INTEGER),
    publisher: base64Of(o, 'publisher', 32),
    signature: base64Of(o, 'signature', 64),
  });
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Why a data plane would be refused by receivers, or undefined when it is valid. */
export function dataPlaneProblem(plane: unknown): string | undefined {
  try {
    dataPlane(obj(plane, 'dataPlane'));
    return undefined;
  } catch (e) {
    return e instanceof RemoteProtocolError ? e.message : 'invalid dataPlane';
  }
}

function dataPlane(o: Obj): DataPlane {
  const mode = own(o, 'mode');
  const port = int(o, 'port', 1, 65_535);
  if (mode === 'broadcast') return Object.freeze({ mode, port });
  if (mode !== 'multicast') throw new RemoteProtocolError('bad-message', 'dataPlane.mode must be "multicast" or "broadcast"');
  const group = str(o, 'group', 39, MULTICAST_GROUP_TEXT);
  // 224.0.0.0/4 or ff00::/8 only: addMembership with anything else fails late and obscurely.
  if (IPV4.test(group)) {
    const first = Number(group.split('.')[0]);
    if (first < 224 || first > 239) throw new RemoteProtocolError('bad-message', `dataPlane.group ${group} is not an IPv4 multicast address`);
  } else if (!isIpv6Multicast(group))
    throw new RemoteProtocolError('bad-message', `dataPlane.group ${group} is not a multicast address (224.0.0.0/4 or ff00::/8, no zone)`);
  return Object.freeze({ mode, group, port });
}

/** What a group's text may hold: an IPv4 or IPv6 address in plain form (no zone, no embedded IPv4). */
const MULTICAST_GROUP_TEXT = /^[0-9A-Fa-f.:]+$/;

/** An IPv6 multicast address (ff00::/8) in hex groups, `::` at most once; no embedded IPv4, no zone. */
export function isIpv6Multicast(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  const count = groups.reduce((n, g) => n + g.length, 0);
  if (halves.length === 1 ? count !== 8 : count > 7) return false;
  if (!groups.every((g) => g.every((x) => /^[0-9A-Fa-f]{1,4}$/.test(x)))) return false;
  const first = groups[0]![0];
  return first !== undefined && /^ff[0-9a-f]{2}$/i.test(first);
}

function segmentProgress(v: unknown): SegmentProgress {
  const o = obj(v, 'open[]');
  const base = { index: int(o, 'index', 0, U32), received: int(o, 'received', 0, U32), needed: int(o, 'needed', 0, U32) };
  if (own(o, 'missing') === undefined) return Object.freeze(base);
  // ESIs are 24-bit (RFC 6330 FEC Payload ID).
  return Object.freeze({ ...base, missing: list(o, 'missing', MAX_MISSING_LISTED, (x) => intValue(x, 'missing[]', 0, 0xff_ffff)) });
}

function progress(o: Obj): Progress {
  const open = list(o, 'open', MAX_LIST_ENTRIES, segmentProgress);
  let listed = 0;
  for (const e of open) listed += e.missing?.length ?? 0;
  if (listed > MAX_MISSING_PER_PROGRESS)
    throw new RemoteProtocolError('bad-message', `missing lists hold ${listed} ids, more than ${MAX_MISSING_PER_PROGRESS}`);
  return {
    type: 'progress',
    completeBelow: int(o, 'completeBelow', 0, U32 + 1),
    completeAbove: list(o, 'completeAbove', MAX_LIST_ENTRIES, (v) => intValue(v, 'completeAbove[]', 0, U32)),
    open,
    highestSequence: int(o, 'highestSequence', 0, U32),
    datagramsReceived: int(o, 'datagramsReceived', 0, Number.MAX_SAFE_INTEGER),
    datagramsLost: int(o, 'datagramsLost', 0, Number.MAX_SAFE_INTEGER),
    ...(own(o, 'heldMs') === undefined ? {} : { heldMs: int(o, 'heldMs', 0, 3_600_000) }),
  };
}

/**
 * Request.have: canonical base64 of at most MAX_HAVE_BYTES bytes. Its exact length (the segment
 * count) and its spare bits are the sender session's to check: only it knows the manifest.
 */
function request(o: Obj): Request {
  const have = bitmap(o, 'have', MAX_HAVE_BYTES);
  const want = bitmap(o, 'want', Math.ceil(MAX_TREE_ENTRIES / 8));
  if (have !== undefined && want !== undefined) throw new RemoteProtocolError('bad-message', 'a Request carries have or want, not both');
  return { type: 'request', ...(have === undefined ? {} : { have }), ...(want === undefined ? {} : { want }) };
}

/** An optional bitmap field: canonical base64 of 1..maxBytes bytes (its exact length is the session's to check). */
function bitmap(o: Obj, k: string, maxBytes: number): string | undefined {
  const v = own(o, k);
  if (v === undefined) return undefined;
  const maxChars = Math.ceil(maxBytes / 3) * 4;
  if (typeof v !== 'string' || v.length === 0 || v.length > maxChars || v.length % 4 !== 0 || !BASE64.test(v)) {
    throw new RemoteProtocolError('bad-message', `${k} must be base64 of 1..${maxBytes} bytes`);
  }
  return v;
}

function message(o: Obj): ControlMessage {
  const type = own(o, 'type');
  switch (type) {
    case 'hello':
      return Object.freeze(hello(o));
    case 'challenge':
      return Object.freeze({ type, nonce: base64Of(o, 'nonce', 32), proof: base64Of(o, 'proof', 32) });
    case 'auth-response':
      return Object.freeze({ type, proof: base64Of(o, 'proof', 32) });
    case 'manifest':
      return Object.freeze(manifest(o));
    case 'request':
      return Object.freeze(request(o));
    case 'heartbeat':
      return Object.freeze({ type });
    case 'digests':
      return Object.freeze(digests(o));
    case 'progress':
      return Object.freeze(progress(o));
    case 'stop': {
      const outcome = own(o, 'outcome');
      if (outcome !== 'done' && outcome !== 'aborted') throw new RemoteProtocolError('bad-message', 'outcome must be "done" or "aborted"');
      if (own(o, 'reason') === undefined) return Object.freeze({ type, outcome });
      return Object.freeze({ type, outcome, reason: str(o, 'reason', MAX_TEXT_LENGTH) });
    }
    case 'error': {
      const code = own(o, 'code');
      if (typeof code !== 'string' || !(ERROR_CODES as readonly string[]).includes(code)) {
        throw new RemoteProtocolError('bad-message', `error code must be one of ${ERROR_CODES.join(', ')}`);
      }
      return Object.freeze({ type, code: code as ErrorCode, message: str(o, 'message', MAX_TEXT_LENGTH) });
    }
    default: {
      if (typeof type !== 'string') throw new RemoteProtocolError('bad-message', 'type must be a string');
      throw new RemoteProtocolError('unexpected-message', `unknown message type ${JSON.stringify(type.slice(0, 32))}`);
    }
  }
}

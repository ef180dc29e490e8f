/**
 * JSON <-> ControlMessage. `decodeMessage` checks every field of peer input and returns a typed
 * rejection (an ErrorCode and a detail for the Error frame); it never throws. Messages are
 * rebuilt from validated fields only (unknown keys, `__proto__` included, go nowhere) and frozen.
 * The same checks guard what we send (`validateMessage`), so a bug here cannot emit a message
 * the peer would reject.
 */
import { MAX_FILE_SIZE } from '../encoder/segmentLayout.js';
import { MAX_CODEC_NAME_LENGTH, MAX_CODECS, MAX_HAVE_BYTES, MAX_LIST_ENTRIES, MAX_TEXT_LENGTH, MAX_WINDOW } from './constants.js';
import { RemoteProtocolError } from './errors.js';
import {
  BASE64,
  base64Of,
  flag,
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
  U32,
  unicastAddressProblem,
  type Obj,
} from './wireValues.js';

export { treePathProblem, treeTargetProblem } from './treeEntriesCodec.js';
export { dataPlaneProblem, isIpv6Multicast } from './manifestCodec.js';
import { lengthFollows, manifest } from './manifestCodec.js';
import {
  ERROR_CODES,
  MAX_DIGESTS_PER_FRAME,
  MAX_MISSING_LISTED,
  MAX_MISSING_PER_PROGRESS,
  MAX_TREE_ENTRIES,
  PROTOCOL_VERSION,
  type ControlMessage,
  type Digests,
  type ErrorCode,
  type Hello,
  type HelloAuth,
  type Progress,
  type Request,
  type SegmentProgress,
} from './messages.js';

export type DecodeResult = { readonly ok: true; readonly message: ControlMessage } | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

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

/** The optional treeDigestsFollow flag of a Hello, which needs digestsFollow beside it. */
function treeDigestsFollow(o: Obj): { treeDigestsFollow?: true } {
  if (!flag(o, 'treeDigestsFollow')) return {};
  if (own(o, 'digestsFollow') !== true) throw new RemoteProtocolError('bad-message', 'a Hello offering treeDigestsFollow offers digestsFollow too');
  return { treeDigestsFollow: true };
}

function helloAuth(o: Obj): HelloAuth {
  return Object.freeze({ name: str(o, 'name', 64, RECEIVER_ID), nonce: base64Of(o, 'nonce', 32) });
}

function digests(o: Obj): Digests {
  const v = own(o, 'segmentDigests');
  // base64 of 32n bytes is ceil(32n / 3) * 4 characters, so n = floor(3 * length / 128); base64Of checks the rest.
  const count = typeof v === 'string' ? Math.floor((3 * v.length) / 128) : 0;
  if (count > MAX_DIGESTS_PER_FRAME) throw new RemoteProtocolError('bad-message', `a Digests frame carries at most ${MAX_DIGESTS_PER_FRAME} segment digests`);
  return {
    type: 'digests',
    firstSegment: int(o, 'firstSegment', 0, U32),
    segmentDigests: base64Of(o, 'segmentDigests', 32 * count),
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

/**
 * JSON <-> ControlMessage. `decodeMessage` checks every field of peer input and returns a typed
 * rejection (an ErrorCode and a detail for the Error frame); it never throws. Decoded messages
 * are rebuilt from validated fields only, so unknown keys (including `__proto__`) go nowhere.
 */
import { validateLayoutParameters } from '../encoder/segmentLayout.js';
import { MAX_TEXT_LENGTH } from './constants.js';
import {
  ERROR_CODES,
  MAX_MISSING_LISTED,
  type ControlMessage,
  type ErrorCode,
  type Manifest,
  type Progress,
  type SegmentProgress,
} from './messages.js';

export type DecodeResult = { ok: true; message: ControlMessage } | { ok: false; code: ErrorCode; detail: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeMessage(m: ControlMessage): Uint8Array {
  return encoder.encode(JSON.stringify(m));
}

/** Thrown only inside this module and converted to a rejection at `decodeMessage`. */
class Invalid extends Error {
  constructor(readonly code: ErrorCode, detail: string) {
    super(detail);
  }
}

type Obj = Record<string, unknown>;
const own = (o: Obj, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

function intValue(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new Invalid('bad-message', `${what} must be an integer in [${min}, ${max}]`);
  }
  return v;
}

function int(o: Obj, k: string, min: number, max: number): number {
  return intValue(own(o, k), k, min, max);
}

function strValue(v: unknown, what: string, maxLength: number, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length > maxLength || (pattern && !pattern.test(v))) {
    throw new Invalid('bad-message', `${what} must be a string of at most ${maxLength} characters${pattern ? ` matching ${pattern}` : ''}`);
  }
  return v;
}

function str(o: Obj, k: string, maxLength: number, pattern?: RegExp): string {
  return strValue(own(o, k), k, maxLength, pattern);
}

function optionalStr(o: Obj, k: string, maxLength: number): string | undefined {
  return own(o, k) === undefined ? undefined : str(o, k, maxLength);
}

function arr(o: Obj, k: string, maxLength: number): unknown[] {
  const v = own(o, k);
  if (!Array.isArray(v) || v.length > maxLength) throw new Invalid('bad-message', `${k} must be an array of at most ${maxLength} entries`);
  return v;
}

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid('bad-message', `${what} must be an object`);
  return v as Obj;
}

const U32 = 2 ** 32 - 1;
const MAX_LIST = 4096;
const RECEIVER_ID = /^[A-Za-z0-9._-]{1,64}$/;
const CODEC_NAME = /^[a-z0-9-]{1,32}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function fileName(o: Obj): string {
  const name = str(o, 'fileName', 1024);
  const bytes = encoder.encode(name).length;
  if (bytes < 1 || bytes > 255 || /[/\\\0]/.test(name) || name === '.' || name === '..') {
    throw new Invalid('bad-message', 'fileName must be a plain base name of 1..255 bytes');
  }
  return name;
}

function manifest(o: Obj): Manifest {
  const fileSize = int(o, 'fileSize', 0, 2 ** 50);
  const segmentSize = int(o, 'segmentSize', 1, 2 ** 40);
  const symbolSize = int(o, 'symbolSize', 1, 65_535);
  try {
    validateLayoutParameters(fileSize, segmentSize, symbolSize);
  } catch (e) {
    throw new Invalid('bad-message', `manifest layout: ${(e as Error).message}`);
  }
  const segmentCount = Math.ceil(fileSize / segmentSize);
  const segmentSha256 = str(o, 'segmentSha256', Math.ceil((32 * segmentCount) / 3) * 4, BASE64);
  if (segmentSha256.length !== Math.ceil((32 * segmentCount) / 3) * 4) {
    throw new Invalid('bad-message', `segmentSha256 must hold 32 bytes for each of ${segmentCount} segments`);
  }
  return {
    type: 'manifest',
    sessionId: int(o, 'sessionId', 0, U32),
    fileName: fileName(o),
    fileSize,
    segmentSize,
    symbolSize,
    codec: str(o, 'codec', 32, CODEC_NAME),
    segmentSha256,
    fileSha256: str(o, 'fileSha256', 64, HEX_SHA256),
    rateBytesPerSecond: int(o, 'rateBytesPerSecond', 0, 2 ** 40),
    tagKind: int(o, 'tagKind', 0, 255),
    idleTimeoutMs: int(o, 'idleTimeoutMs', 100, 3_600_000),
    heartbeatIntervalMs: int(o, 'heartbeatIntervalMs', 10, 600_000),
  };
}

function segmentProgress(v: unknown): SegmentProgress {
  const o = obj(v, 'open[]');
  const base = { index: int(o, 'index', 0, U32), received: int(o, 'received', 0, U32), needed: int(o, 'needed', 0, U32) };
  if (own(o, 'missing') === undefined) return base;
  return { ...base, missing: arr(o, 'missing', MAX_MISSING_LISTED).map((x) => intValue(x, 'missing[]', 0, 2 ** 24 - 1)) };
}

function progress(o: Obj): Progress {
  return {
    type: 'progress',
    completeBelow: int(o, 'completeBelow', 0, U32),
    completeAbove: arr(o, 'completeAbove', MAX_LIST).map((v) => intValue(v, 'completeAbove[]', 0, U32)),
    open: arr(o, 'open', MAX_LIST).map(segmentProgress),
    highestSequence: int(o, 'highestSequence', 0, U32),
    datagramsReceived: int(o, 'datagramsReceived', 0, Number.MAX_SAFE_INTEGER),
    datagramsLost: int(o, 'datagramsLost', 0, Number.MAX_SAFE_INTEGER),
  };
}

function message(o: Obj): ControlMessage {
  const type = own(o, 'type');
  switch (type) {
    case 'hello': {
      const codecs = arr(o, 'codecs', 16).map((v) => strValue(v, 'codecs[]', 32, CODEC_NAME));
      return {
        type,
        version: int(o, 'version', 0, U32),
        receiverId: str(o, 'receiverId', 64, RECEIVER_ID),
        codecs,
        udpPort: int(o, 'udpPort', 1, 65_535),
        window: int(o, 'window', 1, 1024),
      };
    }
    case 'manifest':
      return manifest(o);
    case 'request':
      return { type };
    case 'progress':
      return progress(o);
    case 'stop': {
      const outcome = own(o, 'outcome');
      if (outcome !== 'done' && outcome !== 'aborted') throw new Invalid('bad-message', 'outcome must be "done" or "aborted"');
      const reason = optionalStr(o, 'reason', MAX_TEXT_LENGTH);
      return reason === undefined ? { type, outcome } : { type, outcome, reason };
    }
    case 'heartbeat':
      return { type };
    case 'error': {
      const code = own(o, 'code');
      if (!ERROR_CODES.includes(code as ErrorCode)) throw new Invalid('bad-message', 'unknown error code');
      return { type, code: code as ErrorCode, message: str(o, 'message', MAX_TEXT_LENGTH) };
    }
    default:
      throw new Invalid('unexpected-message', `unknown message type ${JSON.stringify(String(type)).slice(0, 40)}`);
  }
}

export function decodeMessage(bytes: Uint8Array): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false, code: 'bad-message', detail: 'frame is not UTF-8 JSON' };
  }
  try {
    return { ok: true, message: message(obj(value, 'message')) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, code: e.code, detail: e.message };
    return { ok: false, code: 'bad-message', detail: 'malformed message' };
  }
}

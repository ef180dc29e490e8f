/**
 * The field checks every control message is rebuilt with (messageCodec.ts, treeEntriesCodec.ts):
 * own properties only, integers and strings within bounds, bounded lists. Each throws
 * RemoteProtocolError, which validateMessage turns into the typed rejection.
 */
import { TagKind } from '../encoder/integrity.js';
import { RemoteProtocolError } from './errors.js';
import { RECEIVER_ID_PATTERN } from './messages.js';

export type Obj = Record<string, unknown>;
// Own properties only: a plain read could reach Object.prototype for a missing key.
export const own = (o: Obj, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

export const U32 = 0xffff_ffff;
export const RECEIVER_ID = RECEIVER_ID_PATTERN;
export const CODEC_NAME = /^[a-z0-9-]{1,32}$/;
export const HEX_SHA256 = /^[0-9a-f]{64}$/;
export const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// C0 controls and DEL (log and terminal injection) and lone surrogates (not representable on disk).
export const BAD_NAME_CHARS = /[\u0000-\u001f\u007f/\\]|\p{Surrogate}/u;
export const TAG_KINDS: readonly number[] = Object.values(TagKind);

export function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RemoteProtocolError('bad-message', `${what} must be an object`);
  return v as Obj;
}

export function intValue(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new RemoteProtocolError('bad-message', `${what} must be an integer in [${min}, ${max}]`);
  }
  return v;
}

export const int = (o: Obj, k: string, min: number, max: number): number => intValue(own(o, k), k, min, max);

export function strValue(v: unknown, what: string, maxLength: number, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length > maxLength || (pattern && !pattern.test(v))) {
    throw new RemoteProtocolError('bad-message', `${what} must be a string of at most ${maxLength} characters${pattern ? ` matching ${pattern}` : ''}`);
  }
  return v;
}

export const str = (o: Obj, k: string, maxLength: number, pattern?: RegExp): string => strValue(own(o, k), k, maxLength, pattern);

export function list<T>(o: Obj, k: string, maxLength: number, item: (v: unknown) => T): readonly T[] {
  const v = own(o, k);
  if (!Array.isArray(v) || v.length > maxLength) throw new RemoteProtocolError('bad-message', `${k} must be an array of at most ${maxLength} entries`);
  return Object.freeze(v.map(item));
}

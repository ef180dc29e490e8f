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

const IPV4_ADDRESS = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** The eight 16-bit groups of an IPv6 address in text form (RFC 4291 2.2, no zone), or undefined. */
function ipv6Groups(text: string): number[] | undefined {
  if (text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (const [i, g] of parts.entries()) {
      // A dotted IPv4 tail stands for the last two groups.
      if (i === parts.length - 1 && IPV4_ADDRESS.test(g)) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else if (HEX_GROUP.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  // An IPv4 tail may only end the address.
  if (halves.length === 2 && halves[0]!.includes('.')) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/**
 * Why `text` cannot be where a sender aims a receiver's unicast datagrams (Hello.address), or
 * undefined: an IPv4 or IPv6 address in text form, neither unspecified, nor multicast, nor the
 * limited broadcast, nor carrying a zone (a receiver's interface name means nothing to the sender).
 */
export function unicastAddressProblem(text: string): string | undefined {
  if (IPV4_ADDRESS.test(text)) {
    const first = Number(text.split('.')[0]);
    if (text === '0.0.0.0' || text === '255.255.255.255' || (first >= 224 && first <= 239)) return 'is not a unicast address';
    return undefined;
  }
  const groups = ipv6Groups(text);
  if (groups === undefined) return 'is not an IPv4 or IPv6 address';
  if (groups.every((g) => g === 0) || groups[0]! >> 8 === 0xff) return 'is not a unicast address';
  return undefined;
}

/** An optional `true` flag: absent or true, nothing else. */
export function flag(o: Obj, k: string): boolean {
  const v = own(o, k);
  if (v !== undefined && v !== true) throw new RemoteProtocolError('bad-message', `${k} must be true or absent`);
  return v === true;
}

/** Base64 of exactly `bytes` bytes: the exact length and padding, so the decoded length is exact too. */
export function base64Of(o: Obj, k: string, bytes: number): string {
  const v = own(o, k);
  const padding = (3 - (bytes % 3)) % 3;
  // BASE64 allows '=' only at the end, so counting the trailing ones is enough.
  const trailing = typeof v === 'string' ? (v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0) : -1;
  if (typeof v !== 'string' || v.length !== Math.ceil(bytes / 3) * 4 || trailing !== padding || !BASE64.test(v)) {
    throw new RemoteProtocolError('bad-message', `${k} must be base64 of exactly ${bytes} bytes`);
  }
  return v;
}

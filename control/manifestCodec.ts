/**
 * The Manifest frame from the wire: every field checked (sizes and layout, names, hashes and
 * the identity's kind, the data plane, the publication, the key), typed rejections only
 * (RemoteProtocolError), rebuilt from validated fields and frozen. messageCodec.ts dispatches
 * here.
 */
import { TagKind } from '../encoder/integrity.js';
import { validateLayoutParameters } from '../encoder/segmentLayout.js';
import { MAX_CODEC_NAME_LENGTH, MAX_IDLE_TIMEOUT_MS, MIN_HEARTBEAT_INTERVAL_MS, MIN_IDLE_TIMEOUT_MS } from './constants.js';
import { RemoteProtocolError } from './errors.js';
import type { DataPlane, KeyWrap, Manifest, Publication } from './messages.js';
import { treeEntries } from './treeEntriesCodec.js';
import { BAD_NAME_CHARS, base64Of, CODEC_NAME, flag, HEX_SHA256, int, obj, own, str, TAG_KINDS, U32, type Obj } from './wireValues.js';

const utf8Encoder = new TextEncoder();

/** The slowest Progress interval a sender may ask for (its receivers keep alive at twice it). */
const MAX_PROGRESS_INTERVAL_MS = 10_000;

function fileName(o: Obj): string {
  const name = str(o, 'fileName', 255);
  const bytes = utf8Encoder.encode(name).length;
  if (bytes < 1 || bytes > 255 || BAD_NAME_CHARS.test(name) || name === '.' || name === '..') {
    throw new RemoteProtocolError('bad-message', 'fileName must be a plain base name of 1..255 UTF-8 bytes without /, \\ or control characters');
  }
  return name;
}

export function manifest(o: Obj): Manifest {
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
function manifestDigests(o: Obj, segmentCount: number): Pick<Manifest, 'segmentDigests' | 'fileSha256' | 'digestsFollow'> {
  if (!flag(o, 'digestsFollow')) return { segmentDigests: base64Of(o, 'segmentDigests', 32 * segmentCount), fileSha256: str(o, 'fileSha256', 64, HEX_SHA256) };
  if (own(o, 'segmentDigests') !== undefined || own(o, 'fileSha256') !== undefined)
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

/** The optional lengthFollows flag, which needs digestsFollow beside it (`why` otherwise). */
export function lengthFollows(o: Obj, why: string): { lengthFollows?: true } {
  if (!flag(o, 'lengthFollows')) return {};
  if (own(o, 'digestsFollow') !== true) throw new RemoteProtocolError('bad-message', why);
  return { lengthFollows: true };
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

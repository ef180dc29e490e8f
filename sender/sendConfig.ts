/**
 * `SendOptions` (what a library caller or the CLI says) turned once into `SendConfig` (what the
 * sender runs with): validated, every default applied here and nowhere else, frozen, and passed
 * down whole. One name per quantity from here on: the rate is `rateBytesPerSecond`.
 */
import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { isCodecName, type CodecName } from '../encoder/codecs.js';
import type { RelaySource } from './relayedObject.js';
import { DEFAULT_SEGMENT_SIZE, DEFAULT_SYMBOL_SIZE } from '../encoder/segmentLayout.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_IDLE_TIMEOUT_MS } from '../control/constants.js';
import type { DataPlane } from '../control/messages.js';
import { TagKind } from '../encoder/integrity.js';
import { dataPlaneProblem, treePathProblem } from '../control/messageCodec.js';
import { PACING_NICE } from '../util/threadPriority.js';
import { resolveInterface, systemInterfaceTable, type InterfaceTable, type NetInterface } from '../util/netInterface.js';
import type { RecoveryMode } from './streamCore.js';
import { SYMLINK_POLICIES, type SymlinkPolicy } from './sourceTree.js';
import { sharedSocketPlan, type StreamSocketPlan } from './streamSocket.js';
import type { ControlPeer, ControlTlsOptions, SendOptions } from './sendOptions.js';

/** The sender's defaults, in one place (the CLI shows these in its help). */
export const SEND_DEFAULTS = Object.freeze({
  /** Every address, IPv6 and IPv4 (dual-stack; 0.0.0.0 where the host has no IPv6). */
  host: '::',
  port: 7070,
  /** A gigabit LAN: the ceiling the adaptive pace stays under. */
  rateBitsPerSecond: 1e9,
  recovery: 'auto' as RecoveryMode,
  codec: 'raptorq' as CodecName,
  maxReceivers: 64,
  /**
   * Connections that have not said Hello yet, apart from the receivers being served: room for
   * as many receivers connecting at once as are served by default (a connection holds a socket
   * and a 64 KiB frame bound until its Hello), while idle ones cannot take a receiver's place.
   * When it is full the oldest such connection is dropped for the newcomer.
   */
  maxPendingHandshakes: 64,
  /** With `receivers`: give up this long after the last receiver ended while none is served. */
  giveUpAfterMs: 60_000,
  segmentSize: DEFAULT_SEGMENT_SIZE,
  symbolSize: DEFAULT_SYMBOL_SIZE,
  idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
  handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
  ttl: 1,
  broadcastAddress: '255.255.255.255',
  combineResends: true,
  symlinks: 'skip' as SymlinkPolicy,
});

export type { ControlPeer, ControlTlsOptions, PeerLink, SendOptions } from './sendOptions.js';

export class SendOptionsError extends Error {
  override readonly name = 'SendOptionsError';
}

/** The shared (multicast/broadcast) stream's settings. */
export interface SharedStreamConfig {
  readonly dataPlane: DataPlane;
  /** The stream's socket: family, local address, multicast interface, destination. */
  readonly socket: StreamSocketPlan;
  readonly ttl: number;
  readonly broadcastAddress: string;
  readonly minReceivers?: number;
  readonly waitMs?: number;
  readonly carousel: boolean;
  readonly combineResends: boolean;
  readonly repeatFinalResends: boolean;
}

/** Everything the sender runs with, fully defaulted. Runtime hooks (signal, logger, onListening, onProgress, onReceiverEnd) stay in SendOptions. */
export interface SendConfig {
  /** What to serve (SendOptions.paths, or [SendOptions.file]; a relayed object's path). */
  readonly paths: readonly string[];
  /** A relayed object (SendOptions.relay): served under its publisher's manifest. */
  readonly relay?: RelaySource;
  readonly symlinks: SymlinkPolicy;
  /** SendOptions.sha256: the object's identity is its plain SHA-256. */
  readonly sha256: boolean;
  readonly name?: string;
  readonly host: string;
  readonly port: number;
  /** Per-stream rate ceiling; 0 = none. The one name for the rate from here to the cores. */
  readonly rateBytesPerSecond: number;
  readonly fixedRate: boolean;
  readonly streamNice: number;
  readonly recovery: RecoveryMode;
  readonly codec: CodecName;
  readonly receivers?: number;
  /** 0 = never give up. */
  readonly giveUpAfterMs: number;
  readonly maxReceivers: number;
  readonly maxPendingHandshakes: number;
  readonly segmentSize: number;
  readonly symbolSize: number;
  readonly idleTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly handshakeTimeoutMs: number;
  /** SendOptions.interface, resolved. */
  readonly interface?: NetInterface;
  /** Present for a multicast/broadcast stream; absent: a unicast stream per receiver. */
  readonly shared?: SharedStreamConfig;
  readonly sign?: { readonly privateKey: KeyObject; readonly publishedAt: number };
  readonly receiverKeys?: (name: string) => Promise<Uint8Array | undefined>;
  readonly encrypt: boolean;
  readonly tls?: ControlTlsOptions;
  readonly peers?: readonly ControlPeer[];
  /** With peers, unless anonymous: each datagram key is handed over in the peer's control stream. */
  readonly channelKeys: boolean;
}

/**
 * Validates `o` (SendOptionsError naming the problem, InterfaceError for `interface`) and applies
 * every default once. `interfaces`: what `interface` is resolved against.
 */
export function resolveSendConfig(o: SendOptions, now: () => number = Date.now, interfaces: () => InterfaceTable = systemInterfaceTable): SendConfig {
  const d = SEND_DEFAULTS;
  const rateBits = o.rateBitsPerSecond ?? d.rateBitsPerSecond;
  if (!(rateBits >= 0) || !Number.isFinite(rateBits))
    throw new SendOptionsError(`rate must be a finite number of bits per second >= 0, not ${o.rateBitsPerSecond}`);
  const peers = peersOf(o);
  const channelKeys = peers !== undefined && !o.anonymous;
  // Encryption keys come from the enrolled receivers' handshakes, or through the peers' own
  // control streams: there is no key without one of them.
  if (o.encrypt && !o.receiverKeys && !channelKeys)
    throw new SendOptionsError(
      o.anonymous
        ? '--encrypt and --anonymous exclude each other: an encrypted stream needs a key'
        : "--encrypt needs --receiver-keys (or --to / --exec): the stream key is handed over in the enrolled receivers' handshake",
    );
  const count = (name: string, v: number | undefined, min: number, fallback: number) => {
    const n = v ?? fallback;
    if (!Number.isSafeInteger(n) || n < min) throw new SendOptionsError(`${name} must be a whole number >= ${min}, not ${v}`);
    return n;
  };
  const codec = (o.relay?.manifest.codec as CodecName | undefined) ?? o.codec ?? d.codec;
  if (o.interface !== undefined && o.interfaceAddress !== undefined && o.interface !== o.interfaceAddress)
    throw new SendOptionsError('give interface or interfaceAddress, not both');
  const spec = o.interface ?? o.interfaceAddress;
  const iface = spec === undefined ? undefined : resolveInterface(spec, interfaces());
  const shared = sharedConfig(o, iface);
  const symlinks = o.symlinks ?? d.symlinks;
  if (!SYMLINK_POLICIES.includes(symlinks)) throw new SendOptionsError(`symlinks must be ${SYMLINK_POLICIES.join(' or ')}, not ${String(symlinks)}`);
  return Object.freeze({
    paths: sourcePaths(o),
    symlinks,
    sha256: Boolean(o.sha256),
    ...(o.name !== undefined ? { name: publicationName(o.name) } : {}),
    host: o.host ?? d.host,
    port: count('port', o.port, 0, d.port),
    rateBytesPerSecond: Math.floor(rateBits / 8),
    fixedRate: Boolean(o.fixedRate) && rateBits > 0,
    // A rate the caller gave is a pace to hold (see SendOptions.streamNice); the default ceiling is not.
    streamNice: o.streamNice ?? ((o.rateBitsPerSecond ?? 0) > 0 ? PACING_NICE : 0),
    recovery: codec === 'arq' ? 'resend' : (o.recovery ?? d.recovery),
    codec,
    ...(o.receivers !== undefined ? { receivers: count('receivers', o.receivers, 1, 1) } : {}),
    giveUpAfterMs: count('giveUpAfterMs', o.giveUpAfterMs, 0, d.giveUpAfterMs),
    // Every named receiver is served at once unless told otherwise.
    maxReceivers: count('maxReceivers', o.maxReceivers, 1, Math.max(d.maxReceivers, peers?.length ?? 0)),
    maxPendingHandshakes: count('maxPendingHandshakes', o.maxPendingHandshakes, 1, d.maxPendingHandshakes),
    segmentSize: o.relay?.manifest.segmentSize ?? o.segmentSize ?? d.segmentSize,
    symbolSize: o.relay?.manifest.symbolSize ?? o.symbolSize ?? d.symbolSize,
    idleTimeoutMs: count('idleTimeoutMs', o.idleTimeoutMs, 1, d.idleTimeoutMs),
    heartbeatIntervalMs: count('heartbeatIntervalMs', o.heartbeatIntervalMs, 1, d.heartbeatIntervalMs),
    handshakeTimeoutMs: count('handshakeTimeoutMs', o.handshakeTimeoutMs, 1, d.handshakeTimeoutMs),
    ...(iface ? { interface: iface } : {}),
    ...(shared ? { shared } : {}),
    ...(o.relay ? { relay: o.relay } : {}),
    ...(o.sign ? { sign: Object.freeze({ privateKey: o.sign.privateKey, publishedAt: o.sign.publishedAt ?? now() }) } : {}),
    ...(o.receiverKeys ? { receiverKeys: o.receiverKeys } : {}),
    encrypt: Boolean(o.encrypt),
    ...(o.tls ? { tls: o.tls } : {}),
    ...(peers ? { peers } : {}),
    channelKeys,
  });
}

/** The named receivers (SendOptions.peers), checked against the options that assume a listener. */
function peersOf(o: SendOptions): readonly ControlPeer[] | undefined {
  if (o.peers === undefined) {
    if (o.anonymous) throw new SendOptionsError('anonymous applies to receivers reached over their own control streams (--to, --exec)');
    return undefined;
  }
  if (o.peers.length === 0) throw new SendOptionsError('peers must name at least one receiver');
  const names = new Set<string>();
  for (const p of o.peers) {
    if (names.has(p.name)) throw new SendOptionsError(`two receivers are named ${JSON.stringify(p.name)}`);
    names.add(p.name);
  }
  // The named receivers are the audience: none connects, none is counted or waited for beyond them.
  const clash = [o.tls && 'tls', o.receiverKeys && 'receiverKeys', o.receivers !== undefined && 'receivers', o.carousel && 'carousel'].filter(Boolean);
  if (clash.length > 0) throw new SendOptionsError(`${clash.join(', ')} cannot apply to receivers reached over their own control streams (--to, --exec)`);
  return Object.freeze([...o.peers]);
}

function sourcePaths(o: SendOptions): readonly string[] {
  if (o.relay !== undefined) {
    const clash = (['file', 'paths', 'sign', 'codec', 'segmentSize', 'symbolSize', 'name'] as const).filter((k) => o[k] !== undefined);
    if (clash.length > 0) throw new SendOptionsError(`${clash.join(', ')} cannot apply to a relayed object (its manifest says what is served)`);
    if (!isCodecName(o.relay.manifest.codec)) throw new SendOptionsError(`the relayed manifest's codec ${o.relay.manifest.codec} is not one this sender has`);
    return Object.freeze([o.relay.path]);
  }
  if ((o.file === undefined) === (o.paths === undefined)) throw new SendOptionsError('give exactly one of file and paths');
  const paths = o.paths ?? [o.file!];
  if (paths.length === 0 || paths.some((p) => typeof p !== 'string' || p === '')) throw new SendOptionsError('paths must be one or more non-empty paths');
  return Object.freeze([...paths]);
}

/** The manifest's fileName rules (control/messageCodec.ts), checked before anything is read. */
function publicationName(name: string): string {
  const problem = name.includes('/') ? 'has a /' : treePathProblem(name);
  if (problem) throw new SendOptionsError(`name ${JSON.stringify(name)} ${problem}: it must be a plain name of 1..255 UTF-8 bytes`);
  return name;
}

function sharedConfig(o: SendOptions, iface: NetInterface | undefined): SharedStreamConfig | undefined {
  if (o.multicast && o.broadcast) throw new SendOptionsError('choose multicast or broadcast, not both');
  if (!o.multicast && !o.broadcast) {
    if (o.minReceivers !== undefined || o.waitMs !== undefined || o.carousel)
      throw new SendOptionsError('minReceivers, waitMs and carousel apply to a multicast or broadcast stream');
    return undefined;
  }
  const dataPlane: DataPlane = o.multicast
    ? { mode: 'multicast', group: o.multicast.group, port: o.multicast.port }
    : { mode: 'broadcast', port: o.broadcast!.port };
  const problem = dataPlaneProblem(dataPlane);
  if (problem) throw new SendOptionsError(problem);
  if (o.carousel && o.receivers !== undefined) throw new SendOptionsError('a carousel runs until stopped: drop receivers (--receivers)');
  const broadcastAddress = o.broadcast?.address ?? SEND_DEFAULTS.broadcastAddress;
  if (o.broadcast && isIP(broadcastAddress) !== 4)
    throw new SendOptionsError(
      `broadcast address ${broadcastAddress}: broadcast is IPv4 only (give an IPv4 address such as 10.0.0.255; for IPv6 use multicast, e.g. [ff02::1]:PORT)`,
    );
  if (dataPlane.mode === 'multicast' && needsInterface(dataPlane.group) && !iface)
    throw new SendOptionsError(`multicast group ${dataPlane.group} is link-scoped: say which link with an interface (--interface eth0)`);
  const ttl = o.ttl ?? SEND_DEFAULTS.ttl;
  return Object.freeze({
    dataPlane: Object.freeze(dataPlane),
    socket: sharedSocketPlan(dataPlane, { ttl, broadcastAddress }, iface),
    ttl,
    broadcastAddress,
    ...(o.minReceivers !== undefined ? { minReceivers: o.minReceivers } : {}),
    ...(o.waitMs !== undefined ? { waitMs: o.waitMs } : {}),
    carousel: Boolean(o.carousel),
    combineResends: o.combineResends ?? SEND_DEFAULTS.combineResends,
    repeatFinalResends: o.repeatFinalResends ?? true,
  });
}

/** An IPv6 group of interface- or link-local scope (ff01::/16, ff02::/16 and the like): sent on a link that must be named. */
function needsInterface(group: string): boolean {
  return isIP(group) === 6 && /^ff[0-9a-f][12]:/i.test(group);
}

/** Datagram tag kind of authenticated streams: encrypted, or MACed in the clear. */
export function keyedTagKind(config: Pick<SendConfig, 'encrypt'>): TagKind {
  return config.encrypt ? TagKind.Aes256Gcm : TagKind.HmacSha256_128;
}

/**
 * `ReceiveOptions` (what a caller may give) and `ReceiveConfig` (what every part below uses):
 * resolveReceiveConfig validates the options once, applies every default once, and returns one
 * frozen object that is passed down whole. The defaults live here and nowhere else; the CLI's
 * flags map one to one onto these names (--window → window, --connect-timeout →
 * connectTimeoutMs, --wait-for-sender → waitForSenderMs, --decode-workers → decodeWorkers, ...).
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { ByteStream } from '../control/byteStream.js';
import { MAX_WINDOW } from '../control/constants.js';
import { RECEIVER_ID_PATTERN, type Manifest } from '../control/messages.js';
import { unicastAddressProblem } from '../control/wireValues.js';
import { defaultDecodePoolSize } from './decodePool.js';
import { ReceiveOptionsError } from './errors.js';
import { STANDARD_OUTPUT } from './orderedStaging.js';
import type { IntakeLoss } from './lossSimulator.js';
import { defaultTrustStatePath } from './trustState.js';
import { resolveInterface, systemInterfaceTable, type InterfaceTable, type NetInterface } from '../util/netInterface.js';
import type { BitSet } from '../util/bitset.js';

/** Segments buffered at once. */
export const DEFAULT_WINDOW = 8;
/** TCP (and TLS) connect, and then the wait for the sender's first answer (Manifest). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** 0: the first refused connection is final. */
export const DEFAULT_WAIT_FOR_SENDER_MS = 0;
export const DEFAULT_OUT = '.';
export const DEFAULT_SEED = 1;
export const DEFAULT_SIMULATE_LOSS = 0;
/** Most decode worker threads a receiver may ask for. */
export const MAX_DECODE_WORKERS = 64;

/** The receiver id a Hello carries when none is given: hostname-pid, cut to the wire's alphabet and length. */
export function defaultReceiverId(): string {
  return `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
}

export interface ReceiveOptions {
  /**
   * The sender's control address (TCP, or TLS with `tls`); not with `control`. A name, an IPv4
   * address, or an IPv6 one (a link-local one with its zone, fe80::1%eth0).
   */
  host?: string;
  port?: number;
  /**
   * Other sources of the same content (relays, the publisher), tried in order when the current
   * one serves segments that do not match the digests (TamperedSourceError): the transfer goes on
   * from the next where it stopped. Not with `control`. @default []
   */
  sources?: readonly { host: string; port: number }[];
  /**
   * Run the control protocol over this byte stream instead of connecting to host:port: what
   * `receive --stdio` does with its own stdin and stdout when sshd (or any command runner)
   * started it. The stream is trusted as private: a datagram key the sender hands over in it
   * (Manifest.dataKey) is taken. One run: it cannot be reopened, so no waitForSenderMs.
   */
  control?: ByteStream;
  /**
   * Hello.address: where the sender is to send this receiver's unicast datagrams, for a control
   * stream that has no address of its own (`control`); `receive --stdio` takes the server side
   * of SSH_CONNECTION. A sender that reached us over TCP ignores it.
   */
  address?: string;
  /**
   * Directory to write into, or the exact file path; `-`: standard output (or `stdout`), the
   * verified bytes in order (not with sync, atomicTree, backupDir or noClobber, nor for a tree).
   * @default '.'
   */
  out?: string;
  /** Where `out: '-'` writes. @default process.stdout */
  stdout?: NodeJS.WritableStream;
  /** @default `${hostname}-${pid}` */
  receiverId?: string;
  /** Segments buffered at once, 1..1024. @default 8 */
  window?: number;
  /** Decode worker threads. @default max(1, min(2, cores - 1)) */
  decodeWorkers?: number;
  /** Decode on the calling thread, no workers (a single-file bundle has no worker script on disk). @default false */
  decodeInline?: boolean;
  /** Connecting, and then waiting for the sender's manifest. @default 10000 */
  connectTimeoutMs?: number;
  /**
   * Keep trying to connect while the sender is not there yet (connection refused, host or
   * network unreachable) for this long, so receivers can be started before the sender, as
   * udpcast's and UFTP's are. @default 0: the first refusal is final
   */
  waitForSenderMs?: number;
  /**
   * Compute the object's plain SHA-256 (ReceiveSummary.sha256) even when its identity is the
   * digest of its segment digests, at the cost of hashing every byte a second time. @default false
   */
  sha256?: boolean;
  /** TEST/BENCH ONLY: fraction of datagrams dropped at intake (seeded). @default 0 */
  simulateLoss?: number;
  /** @default 1 */
  seed?: number;
  /**
   * Accept only manifests signed by one of these publisher keys (Ed25519 public keys), and
   * refuse a version older than one already accepted for the same name (the replay state,
   * default defaultTrustStatePath()). Without it, signed manifests are accepted like unsigned.
   */
  trust?: { publishers: readonly KeyObject[]; statePath?: string };
  /**
   * This receiver's enrollment (`fountcast enroll`): it proves its key to the sender, checks the
   * sender's proof of the same key, and accepts only datagrams MACed under the key the handshake
   * hands over. A sender that cannot prove the key, skips the challenge or offers unkeyed
   * datagrams is refused.
   */
  key?: { name: string; secret: Uint8Array };
  /**
   * Mutual TLS 1.3 on the control channel: the CA the sender's certificate must chain to (and
   * match `servername`, default the host), and this receiver's client certificate and key.
   */
  tls?: { ca: string | Buffer; cert: string | Buffer; key: string | Buffer; servername?: string };
  /** TEST/RESEARCH ONLY: a drop decision per datagram at intake (e.g. bursty loss); overrides simulateLoss. */
  intakeLoss?: IntakeLoss;
  signal?: AbortSignal;
  logger?: Logger;
  onManifest?: (manifest: Manifest) => void;
  /** Called with the local UDP port once bound (tests aim hostile datagrams at it). */
  onDataPort?: (port: number) => void;
  /**
   * After each segment written and every 250 ms: the bytes held or written so far plus an estimate
   * of those on their way in open segments (never decreasing), out of the object's size, and
   * `storedBytes`: only those verified and stored (held from an earlier run, or written).
   */
  onProgress?: (doneBytes: number, totalBytes: number, storedBytes: number) => void;
  /**
   * A single file's staging is open (not a tree's, nor standard output): the file being written
   * (renamed into place at the end) and the segments it already holds (resume). With
   * onSegmentStored, what a relay serves on while it still receives (cut-through).
   */
  onStaging?: (staging: { partPath: string; held: BitSet }) => void;
  /**
   * Keep a tree as its object, one file named after the tree under --out, instead of unpacking
   * its entries: what a relay keeps and serves on (sender/relay.ts), so a tree too is served
   * while it arrives. Not with sync. @default false
   */
  packedTree?: boolean;
  /** Segment `index` matched its digest and is written to the staging. */
  onSegmentStored?: (index: number) => void;
  /**
   * The interface to use, by name (`eth0`) or by one of its addresses: the control connection
   * and the unicast stream use its address (of the sender's family), a multicast group is
   * joined on it; a broadcast reaches the port on every interface, so there it is only checked.
   * Resolved once (util/netInterface.ts): a name that does not exist, is down or lacks an
   * address of the family needed fails with InterfaceError. @default the system's choice
   */
  interface?: string;
  /** The same as `interface`, given as an address. */
  interfaceAddress?: string;
  /** Refuse to replace an existing target (checked before any data is streamed). @default false */
  noClobber?: boolean;
  /**
   * Move each old copy into this directory (keeping its path relative to --out) just before the
   * new one is renamed in; it must exist on the same filesystem. @default none: old copies are replaced
   */
  backupDir?: string;
  /**
   * A tree is staged beside --out and replaces it as a whole (--out then holds exactly the
   * tree). @default false: each file is renamed into --out on its own
   */
  atomicTree?: boolean;
  /**
   * Fetch only what differs: files already at their place with the manifest's SHA-256 are kept
   * (a unicast sender packs only the others; on a shared stream the segments made only of kept
   * files are not waited for), and a single file already identical is not received at all.
   * @default false
   */
  sync?: boolean;
  /**
   * The manifest must come with every digest (a relay re-serves it as received): the Hello
   * offers no digests that follow, so the sender waits for its hashes. @default false
   */
  digestsFirst?: boolean;
}

/** ReceiveOptions with every default applied; frozen. Optional fields are the ones whose absence means "off". */
export interface ReceiveConfig {
  /** '' and 0 with `control`. */
  readonly host: string;
  readonly port: number;
  readonly sources: readonly { readonly host: string; readonly port: number }[];
  readonly control: ByteStream | undefined;
  readonly address: string | undefined;
  readonly out: string;
  readonly stdout: NodeJS.WritableStream | undefined;
  readonly receiverId: string;
  readonly window: number;
  readonly decodeWorkers: number;
  readonly decodeInline: boolean;
  readonly connectTimeoutMs: number;
  readonly waitForSenderMs: number;
  readonly sha256: boolean;
  readonly simulateLoss: number;
  readonly seed: number;
  readonly trust: { readonly publishers: readonly KeyObject[]; readonly statePath: string } | undefined;
  readonly key: { readonly name: string; readonly secret: Uint8Array } | undefined;
  readonly digestsFirst: boolean;
  readonly tls: ReceiveOptions['tls'];
  readonly intakeLoss: IntakeLoss | undefined;
  /** ReceiveOptions.interface, resolved. */
  readonly interface: NetInterface | undefined;
  readonly noClobber: boolean;
  readonly backupDir: string | undefined;
  readonly atomicTree: boolean;
  readonly sync: boolean;
  readonly signal: AbortSignal | undefined;
  readonly logger: Logger;
  readonly onManifest: ((manifest: Manifest) => void) | undefined;
  readonly onDataPort: ((port: number) => void) | undefined;
  readonly onProgress: ((doneBytes: number, totalBytes: number, storedBytes: number) => void) | undefined;
  readonly onStaging: ReceiveOptions['onStaging'];
  readonly onSegmentStored: ReceiveOptions['onSegmentStored'];
  readonly packedTree: boolean;
}

function integer(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new ReceiveOptionsError(`${name} must be an integer in ${min}..${max}, not ${v}`);
  return v;
}

function milliseconds(name: string, v: number, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
    throw new ReceiveOptionsError(`${name} must be a finite number of milliseconds >= ${min}, not ${v}`);
  return v;
}

function flag(name: string, v: boolean | undefined): boolean {
  if (v !== undefined && typeof v !== 'boolean') throw new ReceiveOptionsError(`${name} must be a boolean, not ${String(v)}`);
  return v ?? false;
}

/**
 * Throws ReceiveOptionsError for a value out of range, InterfaceError for an interface this host
 * cannot use (`interfaces`: what it is resolved against); never touches the network.
 */
export function resolveReceiveConfig(o: ReceiveOptions, interfaces: () => InterfaceTable = systemInterfaceTable): ReceiveConfig {
  if (o.control !== undefined) {
    if (o.host !== undefined || o.port !== undefined) throw new ReceiveOptionsError('give host and port, or a control stream, not both');
    if (o.tls !== undefined) throw new ReceiveOptionsError('tls applies to a TCP connection, not to a control stream');
    if ((o.waitForSenderMs ?? 0) > 0) throw new ReceiveOptionsError('a control stream cannot be opened again: waitForSenderMs must be 0');
  } else if (typeof o.host !== 'string' || o.host.length === 0) throw new ReceiveOptionsError('host must be a non-empty string');
  const addressProblem = o.address === undefined ? undefined : unicastAddressProblem(o.address);
  if (addressProblem) throw new ReceiveOptionsError(`address ${JSON.stringify(o.address)} ${addressProblem}`);
  const receiverId = o.receiverId ?? defaultReceiverId();
  if (!RECEIVER_ID_PATTERN.test(receiverId)) throw new ReceiveOptionsError(`receiverId ${JSON.stringify(receiverId)} must be 1-64 of A-Z a-z 0-9 . _ -`);
  const simulateLoss = o.simulateLoss ?? DEFAULT_SIMULATE_LOSS;
  if (typeof simulateLoss !== 'number' || !(simulateLoss >= 0 && simulateLoss < 1))
    throw new ReceiveOptionsError(`simulateLoss must be in [0, 1), not ${simulateLoss}`);
  if (o.trust !== undefined && o.trust.publishers.length === 0) throw new ReceiveOptionsError('trust needs at least one publisher key');
  if (o.key !== undefined && (o.key.name.length === 0 || o.key.secret.length === 0)) throw new ReceiveOptionsError('key needs a name and a secret');
  const noClobber = flag('noClobber', o.noClobber);
  if (o.backupDir !== undefined && (typeof o.backupDir !== 'string' || o.backupDir.length === 0 || o.backupDir.includes('\0')))
    throw new ReceiveOptionsError('backupDir must be a non-empty path');
  if (noClobber && o.backupDir !== undefined)
    throw new ReceiveOptionsError('noClobber and backupDir exclude each other: nothing is replaced, so nothing is backed up');
  if (o.packedTree && o.sync) throw new ReceiveOptionsError('packedTree keeps a tree as one object: sync compares files in place, so not both');
  if (o.out === STANDARD_OUTPUT) {
    const clash = [o.sync && 'sync', o.atomicTree && 'atomicTree', o.backupDir !== undefined && 'backupDir', noClobber && 'noClobber'].filter(Boolean);
    if (clash.length > 0) throw new ReceiveOptionsError(`out '-' (standard output) stores no file: ${clash.join(', ')} cannot apply`);
  }
  if (o.interface !== undefined && o.interfaceAddress !== undefined && o.interface !== o.interfaceAddress)
    throw new ReceiveOptionsError('give interface or interfaceAddress, not both');
  const spec = o.interface ?? o.interfaceAddress;
  return Object.freeze({
    host: o.control ? '' : o.host!,
    sources: Object.freeze((o.sources ?? []).map((x) => Object.freeze({ host: x.host, port: x.port }))),
    port: o.control ? 0 : integer('port', o.port!, 1, 65535),
    control: o.control,
    address: o.address,
    out: o.out ?? DEFAULT_OUT,
    stdout: o.stdout,
    receiverId,
    window: integer('window', o.window ?? DEFAULT_WINDOW, 1, MAX_WINDOW),
    decodeWorkers: integer('decodeWorkers', o.decodeWorkers ?? defaultDecodePoolSize(), 1, MAX_DECODE_WORKERS),
    decodeInline: o.decodeInline ?? false,
    connectTimeoutMs: milliseconds('connectTimeoutMs', o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 1),
    waitForSenderMs: milliseconds('waitForSenderMs', o.waitForSenderMs ?? DEFAULT_WAIT_FOR_SENDER_MS, 0),
    sha256: o.sha256 === true,
    simulateLoss,
    seed: integer('seed', o.seed ?? DEFAULT_SEED, 0, 2 ** 32 - 1),
    trust:
      o.trust === undefined
        ? undefined
        : Object.freeze({ publishers: Object.freeze([...o.trust.publishers]), statePath: o.trust.statePath ?? defaultTrustStatePath() }),
    key: o.key === undefined ? undefined : Object.freeze({ ...o.key }),
    digestsFirst: o.digestsFirst ?? false,
    tls: o.tls === undefined ? undefined : Object.freeze({ ...o.tls }),
    intakeLoss: o.intakeLoss,
    interface: spec === undefined ? undefined : resolveInterface(spec, interfaces()),
    noClobber,
    backupDir: o.backupDir === undefined ? undefined : resolve(o.backupDir),
    atomicTree: flag('atomicTree', o.atomicTree),
    sync: flag('sync', o.sync),
    signal: o.signal,
    logger: o.logger ?? pino({ level: 'silent' }),
    onManifest: o.onManifest,
    onDataPort: o.onDataPort,
    onProgress: o.onProgress,
    onStaging: o.onStaging,
    onSegmentStored: o.onSegmentStored,
    packedTree: flag('packedTree', o.packedTree),
  });
}

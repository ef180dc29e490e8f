/**
 * What a library caller or the CLI says to `send()`: every option, documented where it is
 * declared. `resolveSendConfig` (sendConfig.ts) validates them and applies the defaults once.
 */
import type { Readable } from 'node:stream';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { ByteStream } from '../control/byteStream.js';
import type { CodecName } from '../encoder/codecs.js';
import type { RelaySource } from './relayedObject.js';
import type { ReceiverSummary } from './receiverSessionTable.js';
import type { SendProgress, ServedObject } from './sendProgress.js';
import type { RecoveryMode } from './streamCore.js';
import type { SymlinkPolicy } from './sourceTree.js';

export interface ControlTlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  ca: string | Buffer;
}

/**
 * A receiver the sender reaches itself, over a control stream it opens (an SSH session, any
 * command's stdin and stdout: commandPeer.ts), instead of one that connects to its port.
 */
export interface ControlPeer {
  /** Its name in logs, in its summary and in the one line its failure prints (a host, a command). */
  readonly name: string;
  /** Starts it; called once, when the sender is ready to serve. */
  open(): PeerLink;
}

/** A started peer: its control stream, and how it ended. */
export interface PeerLink {
  readonly stream: ByteStream;
  /**
   * Resolves once the other end is gone: undefined when it ended cleanly, else why in its own
   * words (SSH's message, the command's last line and exit status).
   */
  readonly exited: Promise<string | undefined>;
  /** Ends it now (the command is killed). */
  kill(): void;
}

export interface SendOptions {
  /** Path of the one file to serve (or give `paths`). */
  file?: string;
  /**
   * Files and directories to serve, as `fountcast send` takes them (exactly one of this and
   * `file`): a path contributes its base name, a directory with a trailing slash its contents.
   * Exactly one plain file is served as that file; anything else as a tree (Manifest.entries).
   */
  paths?: readonly string[];
  /**
   * What the path `-` reads (it is sent on its own, its length following as it is read, spooled
   * to a temporary file; see streamSource.ts): to its end, or destroyed when send() returns
   * first. @default process.stdin
   */
  stdin?: Readable;
  /** A tree's symlinks: left out (`skip`) or stored as links that must stay inside the tree (`keep`). @default 'skip' */
  symlinks?: SymlinkPolicy;
  /**
   * Identify the object by its plain SHA-256 (what sha256sum prints; receivers report it) rather
   * than by the digest of its segment digests, at the cost of hashing every byte twice at each
   * end (control/objectIdentity.ts). @default false
   */
  sha256?: boolean;
  /**
   * Name of the publication: the file name receivers write for a single file, a tree's name (logs,
   * replay state) for a tree. @default the file's, or the first path's, base name
   */
  name?: string;
  /** Address to listen on for control connections. @default '::' (every address, IPv6 and IPv4; 0.0.0.0 without IPv6) */
  host?: string;
  /** TCP control port; 0 picks a free one (see onListening). @default 7070 */
  port?: number;
  /**
   * Rate ceiling per stream in bits per second (the unit of `--rate`); the pace adapts below it
   * to loss feedback (rateController.ts); 0 = no ceiling. @default 1e9 (a gigabit LAN)
   */
  rateBitsPerSecond?: number;
  /** Pace at exactly the rate instead of adapting below it (needs a rate). @default false */
  fixedRate?: boolean;
  /**
   * Nice adjustment the stream threads ask for while they pace, relative to the sender's own
   * nice value as `nice -n` (util/threadPriority.ts): Linux, and only where permitted (root or
   * CAP_SYS_NICE; otherwise they keep their priority). A thread that saturates its core returns
   * to the sender's priority. 0 leaves the priority alone.
   * @default PACING_NICE (-5) when rateBitsPerSecond is given and above 0 (a declared pace to
   * hold), else 0: the default ceiling is no link speed, and a stream that runs as fast as the
   * CPU allows must not take the CPU from receivers on the same host.
   */
  streamNice?: number;
  /**
   * How losses are made good: `resend` the source symbols receivers list as lost (no codec work),
   * `fountain` sends fresh RaptorQ repair symbols, `auto` resends unless loss (long-run and
   * recent) exceeds 20 % and uses repair above. @default 'auto' ('resend' with codec arq)
   */
  recovery?: RecoveryMode;
  /**
   * Coding scheme on the wire (research): raptorq (the product), lt, rs or arq. `arq` sends
   * no repair at all and always resends listed losses. @default 'raptorq'
   */
  codec?: CodecName;
  /** Resolve once this many receivers have completed; undefined = serve until aborted. */
  receivers?: number;
  /**
   * With `receivers`: once no receiver is being served and fewer than `receivers` have completed,
   * give up this long after the last one ended (completed or failed); a receiver that says Hello
   * meanwhile cancels the countdown. 0 = wait for ever. @default 60 000 (one minute)
   */
  giveUpAfterMs?: number;
  /** Receivers served at once, counted from an accepted Hello; further Hellos are refused. @default 64 */
  maxReceivers?: number;
  /** Connections that have not said Hello yet (their own budget; the oldest is dropped when full). @default 64 */
  maxPendingHandshakes?: number;
  /** @default 4 MiB */
  segmentSize?: number;
  /** @default 1392 */
  symbolSize?: number;
  /** @default 5000 */
  idleTimeoutMs?: number;
  /** @default 1000 */
  heartbeatIntervalMs?: number;
  /** @default 5000 */
  handshakeTimeoutMs?: number;
  /**
   * One shared stream for every receiver: to a multicast group (`{ group, port }`, group in
   * 224.0.0.0/4 or ff00::/8; a link-scope IPv6 group such as ff02::114 needs `interface`) or as
   * LAN broadcast (`{ port }`, IPv4 only). Receivers learn it from the manifest.
   * Its pace follows the slowest receiver's rate controller below the rate (or exactly the rate
   * with fixedRate). @default unicast
   */
  multicast?: { group: string; port: number };
  broadcast?: { port: number; address?: string };
  /**
   * The interface the streams go out on, by name (`eth0`) or by one of its addresses: a shared
   * stream is sent on it, the streams' sockets are bound to its address of their family.
   * Resolved once (util/netInterface.ts): a name that does not exist, is down or lacks an
   * address of the family needed fails resolveSendConfig with InterfaceError.
   */
  interface?: string;
  /** The same as `interface`, given as an address. */
  interfaceAddress?: string;
  /** Multicast TTL. @default 1 */
  ttl?: number;
  /** Shared stream: start once this many receivers have asked. */
  minReceivers?: number;
  /** Shared stream: start this long after listening, with whoever has joined. */
  waitMs?: number;
  /** Shared stream: start at once and keep cycling through the file for late joiners until aborted. */
  carousel?: boolean;
  /**
   * Shared stream: a resend datagram may carry the XOR of several source symbols, each lost by
   * a different receiver (sender/resendQueue.ts); false resends each on its own. @default true
   */
  combineResends?: boolean;
  /**
   * Shared stream: once nothing but resends is left to send, each resend datagram goes out a
   * second time (a lost resend would otherwise cost a whole feedback round). false: once per
   * round, textbook selective repeat (the research harness's `arq`). @default true
   */
  repeatFinalResends?: boolean;
  /**
   * Sign every manifest with this publisher key (Ed25519, e.g. from `fountcast keygen`);
   * receivers with --trust accept only signed manifests. `publishedAt` is the version receivers
   * compare for replays. @default publishedAt: now
   */
  sign?: { privateKey: KeyObject; publishedAt?: number };
  /**
   * Re-serve an object received from its publisher (a relay): instead of `file`/`paths`, the
   * manifest as received and where the receiver wrote the object. Its publication, digests,
   * layout and codec are served unchanged (relayedObject.ts); no key is needed and `sign`,
   * `codec`, `segmentSize`, `symbolSize` and `name` do not apply.
   */
  relay?: RelaySource;
  /**
   * Admit only enrolled receivers: the secret enrolled under a name, or undefined when it is not
   * (or no longer) enrolled. Asked at every Hello (removing a key revokes at once). Their
   * datagrams carry a truncated HMAC-SHA256 under a key handed over in the handshake.
   */
  receiverKeys?: (name: string) => Promise<Uint8Array | undefined>;
  /** Encrypt every symbol (AES-256-GCM) under the key the handshake hands over; needs receiverKeys or peers. */
  encrypt?: boolean;
  /**
   * Serve exactly these receivers, over control streams the sender opens (`send --to ssh://…`,
   * `--exec`), and listen for no one else: host, port and tls do not apply. It ends once every
   * one has ended, completed or failed (each summary names its peer). Their streams are taken
   * as private (SSH): each receiver's datagram key is handed over in its own stream, so the
   * data plane is MACed (AES-256-GCM with encrypt) with no key files, unless `anonymous`.
   */
  peers?: readonly ControlPeer[];
  /** With peers: no datagram key, CRC-32 tags only (the fastest mode, unauthenticated). @default false */
  anonymous?: boolean;
  /** Mutual TLS 1.3 on the control channel: server certificate and key, and the CA of client certificates. */
  tls?: ControlTlsOptions;
  /** Aborting stops every stream, closes every socket and resolves with the summary so far. */
  signal?: AbortSignal;
  logger?: Logger;
  /**
   * Called once the control port listens, with its address and what is served; the address is
   * undefined when the sender reaches its receivers over their own control streams (peers).
   */
  onListening?: (address: { address: string; port: number } | undefined, served: ServedObject) => void;
  /**
   * Called every SEND_PROGRESS_INTERVAL_MS (250 ms) from listening to the end with where the run
   * stands: bytes on the wire, resends, receivers done/total and each receiver's bytes (the
   * CLI's running line and --json progress events). @default none
   */
  onProgress?: (progress: SendProgress) => void;
  /** Called as each receiver's session ends (completed or failed), with its summary. @default none */
  onReceiverEnd?: (summary: ReceiverSummary) => void;
}

/**
 * Control-channel messages (TCP, one JSON object per length-prefixed frame; see framing.ts).
 * Everything here is a plain immutable value. `decodeMessage` (messageCodec.ts) validates every
 * field of anything that came from the network and returns a typed rejection; nothing here
 * trusts a peer.
 *
 * Flow:  receiver -> Hello;  sender -> Manifest (or Error);  receiver -> Request;
 *        sender -> Digests* (only after a Manifest with digestsFollow);
 *        receiver -> Progress*;  receiver -> Stop(done|aborted)  or  sender -> Stop(aborted);
 *        Heartbeat both ways whenever a side has sent nothing for `heartbeatIntervalMs`.
 */

export const PROTOCOL_VERSION = 4;

/** Receiver ids and enrolled names: 1..64 of [A-Za-z0-9._-]. */
export const RECEIVER_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface Hello {
  readonly type: 'hello';
  readonly version: number;
  /** Receiver-chosen id (1..64 chars of [A-Za-z0-9._-]) used in logs and summaries. */
  readonly receiverId: string;
  /** Codec names the receiver can decode, e.g. ["raptorq"]. */
  readonly codecs: readonly string[];
  /** UDP port the receiver listens on for unicast; the sender sends only to the TCP peer's IP. */
  readonly udpPort: number;
  /**
   * The receiver's own unicast address (IPv4 or IPv6 text, no zone), for a control stream that
   * has none (pipes: an SSH session, a command): where its unicast datagrams go. A sender that
   * has the peer's address from its transport (TCP, TLS) ignores it, so a receiver cannot aim a
   * stream at another host; over SSH the sender trusts the host it logged into to say it.
   */
  readonly address?: string;
  /** Largest number of segments the receiver buffers at once; the sender keeps at most this many
   * segments open (sent but not confirmed complete). */
  readonly window: number;
  /** An enrolled receiver's claim (auth.ts): its enrolled name and a fresh 32-byte nonce. */
  readonly auth?: HelloAuth;
  /**
   * The receiver takes a Manifest whose hashes follow in Digests frames, so the sender can
   * start streaming while it still hashes the file. Absent: the sender waits for its hashes.
   */
  readonly digestsFollow?: true;
  /**
   * The receiver also takes a Manifest whose length follows (the sender reads a pipe): segments
   * announced by their digests as they fill, the length in the last Digests frame. Only with
   * digestsFollow. Absent: a piped sender makes it wait for the Manifest until its input ended.
   */
  readonly lengthFollows?: true;
  /**
   * The receiver also takes a tree's Manifest whose digests follow: its file entries then carry
   * no sha256 (the segment and object digests that follow cover every byte). Only with
   * digestsFollow; a receiver comparing files by their digests (--sync) leaves it out. Absent: a
   * tree's manifest waits for its hashes.
   */
  readonly treeDigestsFollow?: true;
}

export interface HelloAuth {
  /** The name it was enrolled under (same pattern as receiverId). */
  readonly name: string;
  /** 32 random bytes, base64. */
  readonly nonce: string;
}

/** Sender -> enrolled receiver: the sender's nonce and its proof that it knows the receiver's key. */
export interface Challenge {
  readonly type: 'challenge';
  /** 32 random bytes, base64. */
  readonly nonce: string;
  /** HMAC-SHA256 (auth.ts senderProof), base64 of 32 bytes. */
  readonly proof: string;
}

/** Enrolled receiver -> sender: its proof that it knows its key. */
export interface AuthResponse {
  readonly type: 'auth-response';
  /** HMAC-SHA256 (auth.ts receiverProof), base64 of 32 bytes. */
  readonly proof: string;
}

export interface Manifest {
  readonly type: 'manifest';
  /** Identifies this receiver's stream in every datagram (u32). */
  readonly sessionId: number;
  /** Base name only; receivers still confine it to their output directory. */
  readonly fileName: string;
  readonly fileSize: number;
  readonly segmentSize: number;
  readonly symbolSize: number;
  /** Codec of every segment; its parameters per segment follow from the layout (segmentLayout.ts). */
  readonly codec: string;
  /**
   * BLAKE3-256 of each segment (control/segmentHash.ts), concatenated (32 bytes per segment),
   * base64. Absent exactly when digestsFollow is set.
   */
  readonly segmentDigests?: string;
  /**
   * The object's identity, hex: with fileDigest `segments`, the SHA-256 over its length, segment
   * size and segment digests (control/objectIdentity.ts); without, the SHA-256 of its bytes.
   * Absent exactly when digestsFollow is set.
   */
  readonly fileSha256?: string;
  /** How fileSha256 is made: `segments` (hash each byte once); absent, the plain SHA-256 of the bytes. */
  readonly fileDigest?: 'segments';
  /**
   * The hashes are still being computed and follow in Digests frames, in segment order, the
   * whole-file hash last. Only to a receiver whose Hello offered it (for a tree, treeDigestsFollow
   * too: its file entries then carry no sha256), and never with a publication (a signature
   * covers the hashes, so a signed manifest carries them).
   */
  readonly digestsFollow?: true;
  /**
   * The object's length is not known yet: the sender reads a pipe. fileSize is 0 and means
   * nothing; digestsFollow is set; no entries, no publication. The object has as many segments
   * as digests have come, each of them full (segmentSize bytes); the Digests frame with the
   * whole-object digest gives the length (Digests.fileSize), and with it the last, possibly
   * shorter, segment. Only to a receiver whose Hello offered it.
   */
  readonly lengthFollows?: true;
  /** Stream rate cap, bytes per second (0 = uncapped). */
  readonly rateBytesPerSecond: number;
  /** Integrity tag kind in datagrams (integrity.ts TagKind). */
  readonly tagKind: number;
  /** How long (ms) each side waits in silence before dropping the other. */
  readonly idleTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /**
   * Report Progress at most this often while data flows (ms). A shared stream's sender sets it
   * from the group's size so the group's reports stay bounded (sender/feedbackScaling.ts);
   * absent, the receiver keeps its own interval (20 ms).
   */
  readonly progressIntervalMs?: number;
  /**
   * Where the symbols come from when they are shared: absent, the sender streams to this
   * receiver's Hello.udpPort (unicast); otherwise the receiver binds `port` (address reuse, so
   * several receivers on one host work) and, for multicast, joins `group`.
   */
  readonly dataPlane?: DataPlane;
  /** The publisher's signature over the file's definition (publication.ts); absent when unsigned. */
  readonly publication?: Publication;
  /**
   * Authenticated sessions: the datagram MAC key, sealed (AES-256-GCM) under the session key the
   * handshake derived (auth.ts wrapDataKey). Present exactly when tagKind needs a key.
   */
  readonly keyWrap?: KeyWrap;
  /**
   * The datagram key itself, 32 bytes, base64: handed over in a control stream that is private
   * and authenticated by its transport (an SSH session the sender started; `receive --stdio`),
   * where no enrollment is needed. Exactly one of keyWrap and dataKey with a keyed tagKind; a
   * receiver on a TCP connection refuses a manifest that carries it.
   */
  readonly dataKey?: string;
  /**
   * A tree (several paths, or a directory): every entry, sorted by path (strictly increasing,
   * UTF-16 order), each entry's parent directories listed before it. The object the segments
   * carry (fileSize, segmentDigests, fileSha256) is the files' bytes packed in entry order, so
   * many small files share segments. `fileName` names the publication (logs, replay state).
   * Absent: a single file named `fileName`. Signed with the rest when there is a publication.
   */
  readonly entries?: readonly TreeEntry[];
}

export type TreeEntryKind = 'file' | 'dir' | 'symlink';

/** One entry of a tree (Manifest.entries). */
export interface TreeEntry {
  /**
   * Relative path, components joined by '/': each a plain name (1..255 UTF-8 bytes, not '.' or
   * '..', no backslash, NUL or control characters), at most MAX_TREE_PATH_BYTES in all.
   */
  readonly path: string;
  readonly kind: TreeEntryKind;
  /** Bytes of a file (its bytes follow the previous file's in the object); 0 for dirs and links. */
  readonly size: number;
  /** Permission bits, 0..0o777 (set-id and sticky bits are never carried). */
  readonly mode: number;
  /** Modification time, ms since the epoch (whole ms). */
  readonly mtimeMs: number;
  /** SHA-256 of a file's bytes, hex; files only (what --sync compares), absent while the manifest's digests follow. */
  readonly sha256?: string;
  /** A symlink's target: relative, and resolving inside the tree; symlinks only. */
  readonly target?: string;
}

/** Most entries in one tree (a Manifest frame stays under MAX_MANIFEST_FRAME_BYTES). */
export const MAX_TREE_ENTRIES = 200_000;
/** Longest TreeEntry.path / target, in UTF-8 bytes (PATH_MAX). */
export const MAX_TREE_PATH_BYTES = 4096;

export interface KeyWrap {
  /** 12-byte GCM nonce, base64. */
  readonly iv: string;
  /** The 32-byte key and the 16-byte GCM tag, base64 of 48 bytes. */
  readonly sealed: string;
}

export interface Publication {
  /**
   * The publisher's version of this file: ms since the epoch when it was published. A receiver
   * refuses a name older than the last it accepted from the same publisher (replay).
   */
  readonly publishedAt: number;
  /** The publisher's raw Ed25519 public key (32 bytes), base64. */
  readonly publisher: string;
  /** Ed25519 signature over publicationBytes (publication.ts), 64 bytes, base64. */
  readonly signature: string;
}

export type DataPlane = { readonly mode: 'multicast'; readonly group: string; readonly port: number } | { readonly mode: 'broadcast'; readonly port: number };

export interface Request {
  readonly type: 'request';
  /**
   * Resume: segments this receiver already holds, verified against the manifest's digests, as a
   * bitmap (bit i of byte i >> 3, least significant first, is segment i), base64 of exactly
   * ceil(segmentCount / 8) bytes. The sender treats them as complete for this receiver from the
   * start. Absent: none. Only after a Manifest that carried its digests.
   */
  readonly have?: string;
  /**
   * --sync over a unicast session: the tree's files this receiver lacks, as a bitmap over
   * Manifest.entries (same encoding as `have`, exactly ceil(entries.length / 8) bytes; only file
   * entries set). The sender packs only those files, in entry order, into this receiver's
   * object, laid out with the manifest's segment and symbol sizes, and sends its digests in
   * Digests frames as they are computed (as after a Manifest whose digests follow). Only after a
   * Manifest with entries, its digests and no data plane; never with `have`.
   */
  readonly want?: string;
}

/**
 * Sender -> receiver after a Manifest with digestsFollow: the next segments' digests (BLAKE3).
 * Frames are contiguous: firstSegment is the number of segment digests sent before.
 */
export interface Digests {
  readonly type: 'digests';
  readonly firstSegment: number;
  /** Digests of segments firstSegment, firstSegment + 1, ... (32 bytes each, at most MAX_DIGESTS_PER_FRAME), base64. */
  readonly segmentDigests: string;
  /** The whole file's SHA-256, hex: once, in the frame that carries the last segment's digest or after it. */
  readonly fileSha256?: string;
  /**
   * After a Manifest with lengthFollows: the object's length in bytes, in the frame with
   * fileSha256 and only there. Every segment announced before this frame is full, so it is at
   * least their bytes, and it gives exactly as many segments as digests have come with it.
   */
  readonly fileSize?: number;
}

/** Segment digests in one Digests frame (~350 KB of base64, under MAX_FRAME_BYTES). */
export const MAX_DIGESTS_PER_FRAME = 8192;

/** Per-segment state of a segment the receiver has started but not finished. */
export interface SegmentProgress {
  readonly index: number;
  /** Distinct symbols held for this segment. */
  readonly received: number;
  /** Symbols the receiver still needs before it can (re)try decoding; 0 while a decode runs. */
  readonly needed: number;
  /**
   * Source symbol ids known lost (below the highest source id received, or all once the sender
   * has moved on to a later segment or to repair), listed only when there are at most
   * MAX_MISSING_LISTED and the report's MAX_MISSING_PER_PROGRESS budget allows. A sender in
   * `resend` recovery resends these instead of building the segment's RaptorQ encoder.
   */
  readonly missing?: readonly number[];
}

/** Longest `missing` list of one segment (a 4 MiB segment has 3013 source symbols, so a whole
 * burst fits): beyond that repair symbols take over. */
export const MAX_MISSING_LISTED = 4096;
/** All `missing` lists of one Progress together (keeps a frame under ~150 KB whatever the window). */
export const MAX_MISSING_PER_PROGRESS = 16384;

export interface Progress {
  readonly type: 'progress';
  /** Every segment with index < completeBelow is decoded, verified and written. */
  readonly completeBelow: number;
  /** Completed segments with index >= completeBelow (bounded by the window). */
  readonly completeAbove: readonly number[];
  /** Open segments (bounded by the window). */
  readonly open: readonly SegmentProgress[];
  /** Highest datagram sequence number seen when this report was made (for in-flight accounting). */
  readonly highestSequence: number;
  /** Datagrams accepted / lost (gaps in sequence numbers) since the stream started. */
  readonly datagramsReceived: number;
  readonly datagramsLost: number;
  /**
   * Milliseconds between the arrival of the highestSequence datagram and this report (the
   * receiver held it that long before reporting). The sender subtracts it from the report's
   * age to get the queueing delay; absent from older receivers (then taken as 0).
   */
  readonly heldMs?: number;
}

export type StopOutcome = 'done' | 'aborted';

export interface Stop {
  readonly type: 'stop';
  readonly outcome: StopOutcome;
  /** Human-readable reason, at most 512 chars. */
  readonly reason?: string;
}

export interface Heartbeat {
  readonly type: 'heartbeat';
}

export const ERROR_CODES = ['version-mismatch', 'unsupported-codec', 'bad-message', 'unexpected-message', 'frame-too-large', 'refused', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorMessage {
  readonly type: 'error';
  readonly code: ErrorCode;
  /** At most 512 chars. */
  readonly message: string;
}

export type ControlMessage = Hello | Challenge | AuthResponse | Manifest | Request | Digests | Progress | Stop | Heartbeat | ErrorMessage;
export type ControlMessageType = ControlMessage['type'];

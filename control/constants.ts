/** Control-channel defaults and hard caps (see docs/protocol.md, "Control channel"). */

/** Send a Heartbeat after this long without sending anything. @default 1000 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
/** Close a peer that has sent nothing for this long. @default 5000 */
export const DEFAULT_IDLE_TIMEOUT_MS = 5000;
/** Sender: close a client without a valid Hello by then. Receiver: give up without a Manifest. @default 5000 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;

/** Largest frame accepted before the handshake (a Hello is well under 1 KiB). @default 64 KiB */
export const MAX_HANDSHAKE_FRAME_BYTES = 64 * 1024;
/**
 * Largest Manifest frame: 1 TiB in 4 MiB segments is 262144 x 32 bytes of hashes, ~11 MB in
 * base64; 32 MiB leaves room for smaller segments. Only accepted while a Manifest is expected.
 * @default 32 MiB
 */
export const MAX_MANIFEST_FRAME_BYTES = 32 * 1024 * 1024;
/** Largest frame of any other kind (Progress is bounded by MAX_LIST_ENTRIES). @default 1 MiB */
export const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * Longest resume bitmap a Request carries (Request.have), in bytes: 4,194,304 segments (16 TiB in
 * 4 MiB segments), ~700 KB of base64, so a Request stays under MAX_FRAME_BYTES. A receiver whose
 * segment count needs more leaves `have` out (it then receives everything). @default 512 KiB
 */
export const MAX_HAVE_BYTES = 512 * 1024;
/** Longest Stop reason / Error message, in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 512;
/** Longest Progress list (completeAbove, open). */
export const MAX_LIST_ENTRIES = 4096;
/**
 * Largest window (segments a receiver buffers at once): the bound on the Hello's field and on
 * the ReceiverCore that buffers what the Hello announced.
 */
export const MAX_WINDOW = 1024;
/** Hello: at most this many codec names, each at most MAX_CODEC_NAME_LENGTH characters. */
export const MAX_CODECS = 16;
export const MAX_CODEC_NAME_LENGTH = 32;
/** Manifest timer bounds: long enough for a real network, short enough to notice a dead peer. */
export const MIN_IDLE_TIMEOUT_MS = 100;
export const MAX_IDLE_TIMEOUT_MS = 3_600_000;
export const MIN_HEARTBEAT_INTERVAL_MS = 10;

/** Control-channel defaults and hard caps. */

/** Send a Heartbeat after this long without sending anything. @default 1000 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
/** Close a peer silent this long. @default 5000 */
export const DEFAULT_IDLE_TIMEOUT_MS = 5000;
/** Close a connection whose handshake has not finished by then. @default 5000 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;
/** Largest frame accepted before the handshake (a Hello is well under 1 KiB). */
export const MAX_HANDSHAKE_FRAME_BYTES = 64 * 1024;
/** Largest Manifest frame: 262144 segments (1 TiB in 4 MiB segments) x 32-byte hashes, base64. */
export const MAX_MANIFEST_FRAME_BYTES = 32 * 1024 * 1024;
/** Largest frame of any other kind (Progress is bounded by the window). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Longest reason/message string accepted. */
export const MAX_TEXT_LENGTH = 512;

/*
 * fountcast's optional native module: per-datagram AES-256-GCM (aes256gcm.c) and truncated
 * HMAC-SHA256 (hmacSha256.c) with per-key state kept across datagrams, and batched datagram
 * I/O (udpBatch.c: recvmmsg, sendmmsg), BLAKE3 segment digests (blake3Hash.c; a file's on a thread of its own, blake3File.c), CRC-32 tags a batch at a time (crc32Tags.c) and, when built
 * with Rust, RaptorQ coding (raptorqCodec.c). Context-aware, so every worker thread may load it.
 */
#include "napiArgs.h"

NAPI_MODULE_INIT() {
  if (fountcast_register_gcm(env, exports) != napi_ok || fountcast_register_hmac(env, exports) != napi_ok ||
      fountcast_register_udp(env, exports) != napi_ok || fountcast_register_raptorq(env, exports) != napi_ok ||
      fountcast_register_blake3(env, exports) != napi_ok || fountcast_register_blake3_file(env, exports) != napi_ok ||
      fountcast_register_crc32(env, exports) != napi_ok) return NULL;
  return exports;
}

/*
 * BLAKE3 for segment digests (blake3/: the reference C implementation, SIMD chosen at run time).
 *
 * Why native: every byte of a transfer is hashed once at each end for its segment's digest.
 * BLAKE3 runs at ~10 GB/s on one AVX-512 core here, OpenSSL's SHA-256 (with SHA-NI) at ~2.2,
 * and @noble/hashes' JavaScript BLAKE3 far below both (control/segmentHash.ts falls back to it).
 *
 * blake3Hash(bytes, out): one-shot digest of a whole segment into out[0, 32).
 * blake3Create() -> context; blake3Update(context, bytes); blake3Digest(context, out): the
 * digest so far (the context may go on taking bytes).
 */
#include <stdlib.h>
#include <string.h>

#include "blake3/blake3.h"
#include "napiArgs.h"

#define CODE "ERR_FOUNTCAST_NATIVE_BLAKE3"

static void finalize_hasher(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static const napi_type_tag BLAKE3_HASHER_TAG = {0x5a1f0c3e9d7b2486ULL, 0xc4e2a0f81b3d5967ULL};

static blake3_hasher *hasher_of(napi_env env, napi_value value) {
  return (blake3_hasher *)tagged_external(env, value, &BLAKE3_HASHER_TAG);
}

/* A Uint8Array of at least 32 bytes for a digest, or NULL. */
static uint8_t *digest_out(napi_env env, napi_value value) {
  uint8_t *out;
  size_t length;
  return bytes_of(env, value, &out, &length) && length >= BLAKE3_OUT_LEN ? out : NULL;
}

static napi_value Hash(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint8_t *bytes, *out;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !bytes_of(env, argv[0], &bytes, &length) ||
      (out = digest_out(env, argv[1])) == NULL) {
    return throw_error(env, CODE, "blake3Hash(bytes, out): bytes and a 32-byte out, both Uint8Array");
  }
  blake3_hasher h;
  blake3_hasher_init(&h);
  blake3_hasher_update(&h, bytes, length);
  blake3_hasher_finalize(&h, out, BLAKE3_OUT_LEN);
  return NULL;
}

static napi_value Create(napi_env env, napi_callback_info info) {
  (void)info;
  blake3_hasher *h = malloc(sizeof(blake3_hasher));
  if (h == NULL) return throw_error(env, CODE, "out of memory");
  blake3_hasher_init(h);
  return new_tagged_external(env, h, finalize_hasher, &BLAKE3_HASHER_TAG, CODE);
}

static napi_value Update(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint8_t *bytes;
  size_t length;
  blake3_hasher *h;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || (h = hasher_of(env, argv[0])) == NULL ||
      !bytes_of(env, argv[1], &bytes, &length)) {
    return throw_error(env, CODE, "blake3Update(hasher, bytes): bad arguments");
  }
  blake3_hasher_update(h, bytes, length);
  return NULL;
}

static napi_value Digest(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint8_t *out;
  blake3_hasher *h;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || (h = hasher_of(env, argv[0])) == NULL ||
      (out = digest_out(env, argv[1])) == NULL) {
    return throw_error(env, CODE, "blake3Digest(hasher, out): bad arguments");
  }
  blake3_hasher_finalize(h, out, BLAKE3_OUT_LEN);
  return NULL;
}

napi_status fountcast_register_blake3(napi_env env, napi_value exports) {
  static const char *const names[] = {"blake3Hash", "blake3Create", "blake3Update", "blake3Digest"};
  static const napi_callback functions[] = {Hash, Create, Update, Digest};
  return define_functions(env, exports, names, functions, 4);
}

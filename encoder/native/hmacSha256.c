/*
 * HMAC-SHA256 of one datagram at a time, truncated to 16 bytes, with the key's padded blocks
 * absorbed once per stream key.
 *
 * Why native: MAC mode tags every datagram at the sender and checks it at every receiver. The
 * JS path (integrity.ts) already reuses the padded key blocks, but still pays two one-shot
 * crypto.hash calls, a copy of the datagram and two Buffers per datagram, about as much work
 * outside SHA-256 as in it. Here the SHA-256 states after K^ipad and K^opad
 * are computed once and copied (a plain struct) for each datagram.
 *
 * The low-level SHA256_* calls are deprecated in OpenSSL 3 but exported by Node's OpenSSL; the
 * EVP_MAC replacement re-derives the pads or allocates a context per datagram, which is what
 * this module exists to avoid. The JS side checks this module against node:crypto on load.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "napiArgs.h"

#define BLOCK 64
#define TAG_LENGTH 16

typedef struct {
  SHA256_CTX inner; /* after K ^ ipad */
  SHA256_CTX outer; /* after K ^ opad */
} hmac_context;

static void finalize_context(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  if (data != NULL) OPENSSL_cleanse(data, sizeof(hmac_context));
  free(data);
}

/* Each context kind carries its own type tag, so one kind can never be read as the other. */
static const napi_type_tag HMAC_CONTEXT_TAG = {0x3c5e7a9b1d2f4061ULL, 0x8b0d2f4e6a1c3e57ULL};

static hmac_context *context_of(napi_env env, napi_value value) {
  return (hmac_context *)tagged_external(env, value, &HMAC_CONTEXT_TAG);
}

/* hmacCreate(key: Uint8Array, at least 16 bytes) -> external context */
static napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint8_t *key = NULL;
  size_t key_length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !bytes_of(env, argv[0], &key, &key_length) || key_length < 16) {
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_HMAC", "the key must be a Uint8Array of at least 16 bytes");
  }
  uint8_t k[BLOCK] = {0};
  if (key_length > BLOCK) SHA256(key, key_length, k); /* RFC 2104: a long key is hashed first */
  else memcpy(k, key, key_length);
  uint8_t pad[BLOCK];
  hmac_context *c = calloc(1, sizeof(hmac_context));
  if (c == NULL) return throw_error(env, "ERR_FOUNTCAST_NATIVE_HMAC", "out of memory");
  for (int i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x36;
  SHA256_Init(&c->inner);
  SHA256_Update(&c->inner, pad, BLOCK);
  for (int i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x5c;
  SHA256_Init(&c->outer);
  SHA256_Update(&c->outer, pad, BLOCK);
  OPENSSL_cleanse(k, sizeof(k));
  OPENSSL_cleanse(pad, sizeof(pad));
  napi_value result;
  if (napi_create_external(env, c, finalize_context, NULL, &result) != napi_ok) {
    finalize_context(env, c, NULL);
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_HMAC", "cannot wrap the context");
  }
  /* From here the finalizer owns c. */
  if (napi_type_tag_object(env, result, &HMAC_CONTEXT_TAG) != napi_ok) return throw_error(env, "ERR_FOUNTCAST_NATIVE_HMAC", "cannot tag the context");
  return result;
}

/* The full tag of bytes[0, end) into out; 0 on bad arguments (end + 16 must fit the buffer). */
static int tag_of(napi_env env, napi_callback_info info, uint8_t out[32], uint8_t **tag_at) {
  size_t argc = 3;
  napi_value argv[3];
  uint8_t *bytes;
  size_t length;
  int64_t end;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return 0;
  hmac_context *c = context_of(env, argv[0]);
  if (c == NULL || !bytes_of(env, argv[1], &bytes, &length) || !int_of(env, argv[2], &end)) return 0;
  if (end < 0 || (uint64_t)end + TAG_LENGTH > length) return 0;
  SHA256_CTX h = c->inner;
  SHA256_Update(&h, bytes, (size_t)end);
  SHA256_Final(out, &h);
  h = c->outer;
  SHA256_Update(&h, out, 32);
  SHA256_Final(out, &h);
  OPENSSL_cleanse(&h, sizeof(h));
  *tag_at = bytes + end;
  return 1;
}

/* hmacSeal(context, bytes, end): writes the 16-byte tag of bytes[0, end) at end. */
static napi_value Seal(napi_env env, napi_callback_info info) {
  uint8_t full[32];
  uint8_t *at;
  if (!tag_of(env, info, full, &at)) return throw_error(env, "ERR_FOUNTCAST_NATIVE_HMAC", "hmacSeal(context, bytes, end): bad arguments");
  memcpy(at, full, TAG_LENGTH);
  return NULL;
}

/* hmacCheck(context, bytes, end) -> boolean: the tag at end is that of bytes[0, end) (constant time). */
static napi_value Check(napi_env env, napi_callback_info info) {
  uint8_t full[32];
  uint8_t *at;
  int ok = tag_of(env, info, full, &at) && CRYPTO_memcmp(full, at, TAG_LENGTH) == 0;
  return boolean_of(env, ok);
}

napi_status fountcast_register_hmac(napi_env env, napi_value exports) {
  static const char *const names[] = {"hmacCreate", "hmacSeal", "hmacCheck"};
  static const napi_callback functions[] = {Create, Seal, Check};
  return define_functions(env, exports, names, functions, 3);
}

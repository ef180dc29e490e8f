/*
 * AES-256-GCM for one datagram at a time, with the key schedule kept across datagrams.
 *
 * Why native: node:crypto offers GCM only through a new Cipheriv per nonce. That object (key
 * expansion, GHASH table, a JS wrapper, a fresh output Buffer from update() and another from
 * getAuthTag()) costs several times what the cipher itself does, and encrypted mode pays it once
 * per datagram at each end. OpenSSL keeps the expanded key when
 * EVP_*Init_ex is given only a new IV, so one context per stream key serves every datagram.
 *
 * The OpenSSL is Node's own: its headers ship with Node and its EVP symbols are exported by the
 * node binary (or come from the libcrypto it links), so nothing else is linked or downloaded.
 * The JS side (encoder/nativeCrypto.ts) validates every length before calling and checks this
 * module against node:crypto on load; the checks here only keep a misuse from touching memory
 * outside the buffers.
 *
 * Wire layout (as encoder/integrity.ts): bytes[0, header) are authenticated as additional data,
 * bytes[header, end) are the symbol (encrypted in place), then the 12-byte nonce, then the tag.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "napiArgs.h"

#define KEY_LENGTH 32
#define NONCE_LENGTH 12
#define TAG_LENGTH 16

typedef struct {
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
  uint8_t *scratch; /* open() decrypts here first, so a forged datagram is left untouched */
  size_t scratch_length;
} gcm_context;

static void context_free(gcm_context *c) {
  if (c == NULL) return;
  EVP_CIPHER_CTX_free(c->enc);
  EVP_CIPHER_CTX_free(c->dec);
  free(c->scratch);
  free(c);
}

static void finalize_context(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  context_free((gcm_context *)data);
}

/* Each context kind carries its own type tag, so one kind can never be read as the other. */
static const napi_type_tag GCM_CONTEXT_TAG = {0x9a1c3e0f5b7d2a41ULL, 0x6f2e8d4c1b3a5970ULL};

static gcm_context *context_of(napi_env env, napi_value value) {
  return (gcm_context *)tagged_external(env, value, &GCM_CONTEXT_TAG);
}

/* gcmCreate(key: Uint8Array(32)) -> external context */
static napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return throw_error(env, "ERR_FOUNTCAST_NATIVE_GCM", "gcmCreate(key)");
  uint8_t *key = NULL;
  size_t key_length = 0;
  if (!bytes_of(env, argv[0], &key, &key_length) || key_length != KEY_LENGTH) return throw_error(env, "ERR_FOUNTCAST_NATIVE_GCM", "the key must be a 32-byte Uint8Array");
  gcm_context *c = calloc(1, sizeof(gcm_context));
  if (c == NULL) return throw_error(env, "ERR_FOUNTCAST_NATIVE_GCM", "out of memory");
  c->enc = EVP_CIPHER_CTX_new();
  c->dec = EVP_CIPHER_CTX_new();
  if (c->enc == NULL || c->dec == NULL ||
      EVP_EncryptInit_ex(c->enc, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
      EVP_DecryptInit_ex(c->dec, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
      EVP_CIPHER_CTX_ctrl(c->enc, EVP_CTRL_GCM_SET_IVLEN, NONCE_LENGTH, NULL) != 1 ||
      EVP_CIPHER_CTX_ctrl(c->dec, EVP_CTRL_GCM_SET_IVLEN, NONCE_LENGTH, NULL) != 1) {
    context_free(c);
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_GCM", "OpenSSL refused an AES-256-GCM context");
  }
  napi_value result;
  if (napi_create_external(env, c, finalize_context, NULL, &result) != napi_ok) {
    context_free(c);
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_GCM", "cannot wrap the context");
  }
  /* From here the finalizer owns c. */
  if (napi_type_tag_object(env, result, &GCM_CONTEXT_TAG) != napi_ok) return throw_error(env, "ERR_FOUNTCAST_NATIVE_GCM", "cannot tag the context");
  return result;
}

/* Reads (context, bytes, header, end) and checks header <= end and end + trailer <= length. */
static int datagram_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, gcm_context **c,
                         uint8_t **bytes, size_t *length, int64_t *header, int64_t *end) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return 0;
  *c = context_of(env, argv[0]);
  if (*c == NULL || !bytes_of(env, argv[1], bytes, length)) return 0;
  if (!int_of(env, argv[2], header) || !int_of(env, argv[3], end)) return 0;
  if (*header < 0 || *end < *header || *end > INT32_MAX) return 0;
  if ((uint64_t)*end + NONCE_LENGTH + TAG_LENGTH > *length) return 0;
  return 1;
}

/*
 * gcmSeal(context, bytes, header, end, nonce: Uint8Array(12)): encrypts bytes[header, end) in
 * place, writes the nonce at end and the tag after it. Throws only on misuse.
 */
static napi_value Seal(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  gcm_context *c;
  uint8_t *bytes, *nonce;
  size_t length, nonce_length;
  int64_t header, end;
  if (!datagram_args(env, info, 5, argv, &c, &bytes, &length, &header, &end)) return throw_error(env, "ERR_FOUNTCAST_NATIVE_GCM", "gcmSeal(context, bytes, header, end, nonce): bad arguments");
  if (!bytes_of(env, argv[4], &nonce, &nonce_length) || nonce_length != NONCE_LENGTH) return throw_error(env, "ERR_FOUNTCAST_NATIVE_GCM", "the nonce must be a 12-byte Uint8Array");
  int out = 0;
  int body = (int)(end - header);
  uint8_t final_block[16];
  memmove(bytes + end, nonce, NONCE_LENGTH); /* the IV is read from where it travels */
  if (EVP_EncryptInit_ex(c->enc, NULL, NULL, NULL, bytes + end) != 1 ||
      (header > 0 && EVP_EncryptUpdate(c->enc, NULL, &out, bytes, (int)header) != 1) ||
      (body > 0 && EVP_EncryptUpdate(c->enc, bytes + header, &out, bytes + header, body) != 1) ||
      EVP_EncryptFinal_ex(c->enc, final_block, &out) != 1 ||
      EVP_CIPHER_CTX_ctrl(c->enc, EVP_CTRL_GCM_GET_TAG, TAG_LENGTH, bytes + end + NONCE_LENGTH) != 1) {
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_GCM", "AES-256-GCM sealing failed");
  }
  return NULL;
}

/*
 * gcmOpen(context, bytes, header, end) -> boolean: true when the tag after the nonce at `end`
 * authenticates bytes[0, end); only then is bytes[header, end) replaced by its plaintext.
 */
static napi_value Open(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  gcm_context *c;
  uint8_t *bytes;
  size_t length;
  int64_t header, end;
  int ok = 0;
  if (datagram_args(env, info, 4, argv, &c, &bytes, &length, &header, &end)) {
    size_t body = (size_t)(end - header);
    if (body > c->scratch_length) {
      uint8_t *grown = realloc(c->scratch, body);
      if (grown != NULL) {
        c->scratch = grown;
        c->scratch_length = body;
      }
    }
    int out = 0;
    uint8_t final_block[16];
    ok = body <= c->scratch_length &&
         EVP_DecryptInit_ex(c->dec, NULL, NULL, NULL, bytes + end) == 1 &&
         (header == 0 || EVP_DecryptUpdate(c->dec, NULL, &out, bytes, (int)header) == 1) &&
         (body == 0 || EVP_DecryptUpdate(c->dec, c->scratch, &out, bytes + header, (int)body) == 1) &&
         EVP_CIPHER_CTX_ctrl(c->dec, EVP_CTRL_GCM_SET_TAG, TAG_LENGTH, bytes + end + NONCE_LENGTH) == 1 &&
         EVP_DecryptFinal_ex(c->dec, final_block, &out) == 1;
    if (ok && body > 0) memcpy(bytes + header, c->scratch, body);
  }
  return boolean_of(env, ok);
}

napi_status fountcast_register_gcm(napi_env env, napi_value exports) {
  static const char *const names[] = {"gcmCreate", "gcmSeal", "gcmOpen"};
  static const napi_callback functions[] = {Create, Seal, Open};
  return define_functions(env, exports, names, functions, 3);
}

/*
 * Argument helpers shared by the native module's functions (the .c files beside it). Every value
 * from JS is checked for its type here; callers check lengths and ranges.
 */
#ifndef FOUNTCAST_NAPI_ARGS_H
#define FOUNTCAST_NAPI_ARGS_H

#include <node_api.h>
#include <stdint.h>

static inline napi_value throw_error(napi_env env, const char *code, const char *message) {
  napi_throw_error(env, code, message);
  return NULL;
}

/* A Uint8Array argument: its bytes and length, or 0 when it is something else. */
static inline int bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = (uint8_t *)raw;
  return 1;
}

/* A Uint32Array argument: its elements and count, or 0 when it is something else. */
static inline int uint32s_of(napi_env env, napi_value value, uint32_t **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok || type != napi_uint32_array) return 0;
  *data = (uint32_t *)raw;
  return 1;
}

/*
 * An integral JS number within ±2^53. NaN, ±Infinity and fractions are refused: napi_get_value_int64
 * would make the first three 0 (descriptor 0, stdin, for a NaN fd) and truncate the last.
 */
static inline int int_of(napi_env env, napi_value value, int64_t *out) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok) return 0;
  if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) || d != (double)(int64_t)d) return 0;
  *out = (int64_t)d;
  return 1;
}

/* The data of an external created with this type tag, or NULL (another value, another kind). */
static inline void *tagged_external(napi_env env, napi_value value, const napi_type_tag *tag) {
  napi_valuetype t;
  if (napi_typeof(env, value, &t) != napi_ok || t != napi_external) return NULL;
  bool tagged = false;
  if (napi_check_object_type_tag(env, value, tag, &tagged) != napi_ok || !tagged) return NULL;
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok) return NULL;
  return data;
}

/*
 * `data` wrapped in an external tagged with `tag` (read back with tagged_external); NULL with an
 * exception pending if that fails, and then `finalize` has already released `data`.
 */
static inline napi_value new_tagged_external(napi_env env, void *data, napi_finalize finalize, const napi_type_tag *tag, const char *code) {
  napi_value result;
  if (napi_create_external(env, data, finalize, NULL, &result) != napi_ok) {
    finalize(env, data, NULL);
    return throw_error(env, code, "cannot wrap the native state");
  }
  /* From here the finalizer owns data. */
  if (napi_type_tag_object(env, result, tag) != napi_ok) return throw_error(env, code, "cannot tag the native state");
  return result;
}

/* A JS boolean (module functions that answer yes or no). */
static inline napi_value boolean_of(napi_env env, int value) {
  napi_value result = NULL;
  napi_get_boolean(env, value != 0, &result);
  return result;
}

/* Defines `count` functions on `exports`, names[i] calling functions[i]. */
static inline napi_status define_functions(napi_env env, napi_value exports, const char *const *names, const napi_callback *functions, size_t count) {
  for (size_t i = 0; i < count; i++) {
    napi_value fn;
    napi_status status = napi_create_function(env, names[i], NAPI_AUTO_LENGTH, functions[i], NULL, &fn);
    if (status == napi_ok) status = napi_set_named_property(env, exports, names[i], fn);
    if (status != napi_ok) return status;
  }
  return napi_ok;
}

napi_status fountcast_register_gcm(napi_env env, napi_value exports);
napi_status fountcast_register_hmac(napi_env env, napi_value exports);
napi_status fountcast_register_udp(napi_env env, napi_value exports);
napi_status fountcast_register_raptorq(napi_env env, napi_value exports);
napi_status fountcast_register_blake3(napi_env env, napi_value exports);
napi_status fountcast_register_blake3_file(napi_env env, napi_value exports);
napi_status fountcast_register_crc32(napi_env env, napi_value exports);

#endif

/*
 * raptorqDecode: one segment's RaptorQ decode in native code (the raptorq crate built from
 * raptorq/ by raptorqFfi/, linked in when encoder/native/build.mjs found a Rust toolchain). The
 * wasm build decodes ~6x slower per core: it has no SIMD for the symbol arithmetic.
 *
 * Every argument is checked here before the crate sees it (the crate asserts, and a failed
 * assertion is a panic): the shape (K = ceil(F / T), buffer lengths), the parameter ranges the
 * crate asserts on, and every repair id. Without the library this file registers nothing.
 */
#include "napiArgs.h"

#ifdef FOUNTCAST_HAVE_RAPTORQ

#include <stdint.h>

extern int32_t fountcast_raptorq_decode(uint64_t transfer_length, uint16_t symbol_size, uint16_t sub_blocks, uint8_t alignment, uint32_t source_symbols,
                                        const uint8_t *source, const uint8_t *source_present, uint32_t repair_count, const uint32_t *repair_ids,
                                        const uint8_t *repair, uint8_t *out);

#define CODE "ERR_FOUNTCAST_NATIVE_RAPTORQ"
/* RFC 6330's K'max for one source block, and its 24-bit encoding symbol ids. */
#define MAX_SOURCE_SYMBOLS 56403
#define ESI_LIMIT (1u << 24)

static int uint32s_of(napi_env env, napi_value value, uint32_t **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok || type != napi_uint32_array) return 0;
  *data = (uint32_t *)raw;
  return 1;
}

/*
 * raptorqDecode(transferLength, symbolSize, subBlocks, alignment, source, sourcePresent, repairIds,
 * repair, out) -> 1 decoded into out[0, transferLength), 0 the symbols were not enough, -1 the
 * codec failed. Throws on arguments of the wrong type, shape or range.
 */
static napi_value Decode(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  int64_t f, t, n, al;
  uint8_t *source, *present, *repair, *out;
  uint32_t *ids;
  size_t source_length, present_length, ids_length, repair_length, out_length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 9 || !int_of(env, argv[0], &f) || !int_of(env, argv[1], &t) ||
      !int_of(env, argv[2], &n) || !int_of(env, argv[3], &al) || !bytes_of(env, argv[4], &source, &source_length) ||
      !bytes_of(env, argv[5], &present, &present_length) || !uint32s_of(env, argv[6], &ids, &ids_length) ||
      !bytes_of(env, argv[7], &repair, &repair_length) || !bytes_of(env, argv[8], &out, &out_length)) {
    return throw_error(env, CODE, "raptorqDecode(transferLength, symbolSize, subBlocks, alignment, source, sourcePresent, repairIds, repair, out): bad arguments");
  }
  if (t < 1 || t > 65535 || al < 1 || al > 255 || t % al != 0 || n < 1 || n > t / al || f < 1) return throw_error(env, CODE, "raptorqDecode: parameters out of range");
  int64_t k = (f + t - 1) / t;
  if (k > MAX_SOURCE_SYMBOLS) return throw_error(env, CODE, "raptorqDecode: more source symbols than one block can have");
  if ((uint64_t)source_length != (uint64_t)(k * t) || (uint64_t)present_length < (uint64_t)k || (uint64_t)out_length < (uint64_t)f ||
      ids_length > ESI_LIMIT || (uint64_t)repair_length != (uint64_t)ids_length * (uint64_t)t) {
    return throw_error(env, CODE, "raptorqDecode: buffer lengths do not match K, T and the repair count");
  }
  for (size_t j = 0; j < ids_length; j++) {
    if (ids[j] < (uint32_t)k || ids[j] >= ESI_LIMIT) return throw_error(env, CODE, "raptorqDecode: a repair symbol id is outside K..2^24-1");
  }
  int32_t status = fountcast_raptorq_decode((uint64_t)f, (uint16_t)t, (uint16_t)n, (uint8_t)al, (uint32_t)k, source, present, (uint32_t)ids_length, ids,
                                            repair, out);
  napi_value result = NULL;
  napi_create_int32(env, status, &result);
  return result;
}

napi_status fountcast_register_raptorq(napi_env env, napi_value exports) {
  static const char *const names[] = {"raptorqDecode"};
  static const napi_callback functions[] = {Decode};
  return define_functions(env, exports, names, functions, 1);
}

#else

napi_status fountcast_register_raptorq(napi_env env, napi_value exports) {
  (void)env;
  (void)exports;
  return napi_ok;
}

#endif

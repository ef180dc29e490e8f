/*
 * RaptorQ in native code (the raptorq crate built from raptorq/ by raptorqFfi/, linked in when
 * encoder/native/build.mjs found a Rust toolchain): raptorqDecode, one segment's decode from the
 * symbols a receiver collected, and raptorqEncoder*, a segment's encoder that hands out repair
 * symbols from any ESI. The wasm build is ~5x slower per core: it has no SIMD for the symbol
 * arithmetic, and its encoder regenerates every source symbol on each call.
 *
 * Every argument is checked here before the crate sees it (the crate asserts, and a failed
 * assertion is a panic): the shape (K = ceil(F / T), buffer lengths), the parameter ranges the
 * crate asserts on, and every repair id. Without the library this file registers nothing.
 */
#include "napiArgs.h"

#ifdef FOUNTCAST_HAVE_RAPTORQ

#include <stdint.h>
#include <stdlib.h>

extern int32_t fountcast_raptorq_decode(uint64_t transfer_length, uint16_t symbol_size, uint16_t sub_blocks, uint8_t alignment, uint32_t source_symbols,
                                        const uint8_t *source, const uint8_t *source_present, uint32_t repair_count, const uint32_t *repair_ids,
                                        const uint8_t *repair, uint8_t *out);

#define CODE "ERR_FOUNTCAST_NATIVE_RAPTORQ"
/* RFC 6330's K'max for one source block, and its 24-bit encoding symbol ids. */
#define MAX_SOURCE_SYMBOLS 56403
#define ESI_LIMIT (1u << 24)

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

typedef struct fountcast_segment_encoder fountcast_segment_encoder;
extern fountcast_segment_encoder *fountcast_raptorq_encoder_new(uint64_t transfer_length, uint16_t symbol_size, uint16_t sub_blocks, uint8_t alignment,
                                                                const uint8_t *data);
extern int32_t fountcast_raptorq_encoder_repair(const fountcast_segment_encoder *encoder, uint32_t first, uint32_t count, uint8_t *out);
extern void fountcast_raptorq_encoder_free(fountcast_segment_encoder *encoder);

/* What the external holds: the crate's encoder (NULL once freed) and what checks need. */
typedef struct {
  fountcast_segment_encoder *encoder;
  uint32_t source_symbols;
  uint32_t symbol_size;
  int64_t external_bytes;
} encoder_handle;

static const napi_type_tag ENCODER_TAG = {0x7e3a19c4d2b65f08ULL, 0x1f4c8a2e6b0d9357ULL};

static void release(napi_env env, encoder_handle *h) {
  if (h->encoder == NULL) return;
  fountcast_raptorq_encoder_free(h->encoder);
  h->encoder = NULL;
  int64_t unused;
  napi_adjust_external_memory(env, -h->external_bytes, &unused);
}

static void finalize_encoder(napi_env env, void *data, void *hint) {
  (void)hint;
  encoder_handle *h = (encoder_handle *)data;
  release(env, h);
  free(h);
}

/* Checks the parameters as Decode does; 0 (an exception pending) when they are bad. */
static int check_parameters(napi_env env, int64_t f, int64_t t, int64_t n, int64_t al) {
  if (t < 1 || t > 65535 || al < 1 || al > 255 || t % al != 0 || n < 1 || n > t / al || f < 1) {
    throw_error(env, CODE, "raptorq: parameters out of range");
    return 0;
  }
  if ((f + t - 1) / t > MAX_SOURCE_SYMBOLS) {
    throw_error(env, CODE, "raptorq: more source symbols than one block can have");
    return 0;
  }
  return 1;
}

/* raptorqEncoderCreate(transferLength, symbolSize, subBlocks, alignment, data) -> encoder */
static napi_value EncoderCreate(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int64_t f, t, n, al;
  uint8_t *data;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 || !int_of(env, argv[0], &f) || !int_of(env, argv[1], &t) ||
      !int_of(env, argv[2], &n) || !int_of(env, argv[3], &al) || !bytes_of(env, argv[4], &data, &length)) {
    return throw_error(env, CODE, "raptorqEncoderCreate(transferLength, symbolSize, subBlocks, alignment, data): bad arguments");
  }
  if (!check_parameters(env, f, t, n, al)) return NULL;
  if ((uint64_t)length != (uint64_t)f) return throw_error(env, CODE, "raptorqEncoderCreate: data is not transferLength bytes");
  encoder_handle *h = calloc(1, sizeof(encoder_handle));
  if (h == NULL) return throw_error(env, CODE, "out of memory");
  h->encoder = fountcast_raptorq_encoder_new((uint64_t)f, (uint16_t)t, (uint16_t)n, (uint8_t)al, data);
  if (h->encoder == NULL) {
    free(h);
    return throw_error(env, CODE, "raptorqEncoderCreate: the codec failed");
  }
  h->source_symbols = (uint32_t)((f + t - 1) / t);
  h->symbol_size = (uint32_t)t;
  /* Source and intermediate symbols, about twice the segment, held outside the JS heap. */
  h->external_bytes = 2 * (int64_t)h->source_symbols * t;
  int64_t unused;
  napi_adjust_external_memory(env, h->external_bytes, &unused);
  return new_tagged_external(env, h, finalize_encoder, &ENCODER_TAG, CODE);
}

/* raptorqEncoderRepair(encoder, first, count, out) -> 1, or -1 (the codec failed): repair symbols first.. (ESI K + first + i) into out. */
static napi_value EncoderRepair(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int64_t first, count;
  uint8_t *out;
  size_t length;
  encoder_handle *h;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 || (h = tagged_external(env, argv[0], &ENCODER_TAG)) == NULL ||
      !int_of(env, argv[1], &first) || !int_of(env, argv[2], &count) || !bytes_of(env, argv[3], &out, &length)) {
    return throw_error(env, CODE, "raptorqEncoderRepair(encoder, first, count, out): bad arguments");
  }
  if (h->encoder == NULL) return throw_error(env, CODE, "raptorqEncoderRepair: the encoder was freed");
  if (first < 0 || count < 0 || first + count > (int64_t)(ESI_LIMIT - h->source_symbols)) {
    return throw_error(env, CODE, "raptorqEncoderRepair: repair symbols past the 24-bit ESI space");
  }
  if ((uint64_t)length < (uint64_t)count * h->symbol_size) return throw_error(env, CODE, "raptorqEncoderRepair: out is shorter than count symbols");
  int32_t status = fountcast_raptorq_encoder_repair(h->encoder, (uint32_t)first, (uint32_t)count, out);
  napi_value result = NULL;
  napi_create_int32(env, status, &result);
  return result;
}

/* raptorqEncoderFree(encoder): releases its memory now (idempotent; the finalizer would later). */
static napi_value EncoderFree(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  encoder_handle *h;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || (h = tagged_external(env, argv[0], &ENCODER_TAG)) == NULL) {
    return throw_error(env, CODE, "raptorqEncoderFree(encoder): bad arguments");
  }
  release(env, h);
  return NULL;
}

napi_status fountcast_register_raptorq(napi_env env, napi_value exports) {
  static const char *const names[] = {"raptorqDecode", "raptorqEncoderCreate", "raptorqEncoderRepair", "raptorqEncoderFree"};
  static const napi_callback functions[] = {Decode, EncoderCreate, EncoderRepair, EncoderFree};
  return define_functions(env, exports, names, functions, 4);
}

#else

napi_status fountcast_register_raptorq(napi_env env, napi_value exports) {
  (void)env;
  (void)exports;
  return napi_ok;
}

#endif

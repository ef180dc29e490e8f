/*
 * CRC-32 datagram tags (open mode, encoder/integrity.ts) a batch per call: the stream's sender
 * seals the datagrams of a sendmmsg batch, a receiver checks those of a recvmmsg batch, instead
 * of one zlib.crc32 call per datagram from JS (a call, a Buffer view and zlib's table-driven
 * CRC for ~1.4 kB each).
 *
 * The CRC is zlib's (polynomial 0x04C11DB7, reflected, inverted in and out). On x86-64 with
 * PCLMULQDQ it is computed by carry-less multiplication (folding four 128-bit lanes, 64 bytes a
 * step, then a Barrett reduction), about four times the speed of zlib's tables here; elsewhere,
 * and for what is left after the last whole 16 bytes, by zlib's own crc32 (Node exports zlib to
 * addons). The folding constants are powers of x modulo the polynomial, bit-reflected:
 * x^(4*128+32) and x^(4*128-32) for the four-lane step, x^(128+32) and x^(128-32) for one lane,
 * x^64 for the last fold, and the Barrett pair (the polynomial, and x^64 divided by it). The
 * tests compare every length from 0 to 5000 bytes, at every alignment, with node:zlib.
 */
#include <stdint.h>
#include <string.h>
#include <zlib.h>
#include "napiArgs.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FOUNTCAST_CRC_PCLMUL 1
#include <immintrin.h>

/* The raw (not inverted) CRC of `len` bytes, len >= 64 and a multiple of 16. */
__attribute__((target("pclmul,sse4.1"))) static uint32_t crc32_pclmul(uint32_t crc, const uint8_t *p, size_t len) {
  const __m128i k4 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
  const __m128i k1 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
  const __m128i k64 = _mm_set_epi64x(0, 0x163cd6124);
  const __m128i barrett = _mm_set_epi64x(0x1f7011641, 0x1db710641);
  const __m128i low32 = _mm_set_epi32(0, 0, 0, -1);
#define LOAD(q) _mm_loadu_si128((const __m128i *)(q))
#define FOLD(x, k, next) _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next)
  __m128i x1 = _mm_xor_si128(LOAD(p), _mm_cvtsi32_si128((int)crc));
  __m128i x2 = LOAD(p + 16), x3 = LOAD(p + 32), x4 = LOAD(p + 48);
  p += 64;
  len -= 64;
  for (; len >= 64; p += 64, len -= 64) {
    x1 = FOLD(x1, k4, LOAD(p));
    x2 = FOLD(x2, k4, LOAD(p + 16));
    x3 = FOLD(x3, k4, LOAD(p + 32));
    x4 = FOLD(x4, k4, LOAD(p + 48));
  }
  x1 = FOLD(x1, k1, x2);
  x1 = FOLD(x1, k1, x3);
  x1 = FOLD(x1, k1, x4);
  for (; len >= 16; p += 16, len -= 16) x1 = FOLD(x1, k1, LOAD(p));
#undef FOLD
#undef LOAD
  /* 128 bits to 64, 64 to 32 (each appends 32 zero bits), then the Barrett reduction. */
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), _mm_clmulepi64_si128(x1, k1, 0x10));
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 4), _mm_clmulepi64_si128(_mm_and_si128(x1, low32), k64, 0x00));
  __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x1, low32), barrett, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
  return (uint32_t)_mm_extract_epi32(_mm_xor_si128(x1, t), 1);
}

static int has_pclmul = -1;
#endif

/* zlib's crc32 of `len` bytes continuing from `crc`. */
static uint32_t crc32_of(uint32_t crc, const uint8_t *p, size_t len) {
#ifdef FOUNTCAST_CRC_PCLMUL
  if (has_pclmul < 0) {
    __builtin_cpu_init();
    has_pclmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  }
  if (has_pclmul && len >= 64) {
    size_t whole = len & ~(size_t)15;
    crc = ~crc32_pclmul(~crc, p, whole);
    p += whole;
    len -= whole;
  }
#endif
  /* zlib takes its length as uInt: a datagram is far below that. */
  return len == 0 ? crc : (uint32_t)crc32(crc, p, (uInt)len);
}

static void put_u32be(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get_u32be(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* crc32(bytes) -> the CRC-32 of bytes, as node:zlib's crc32(bytes) gives it. */
static napi_value Crc32(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint8_t *bytes;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !bytes_of(env, argv[0], &bytes, &length))
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_CRC", "crc32(bytes): bad arguments");
  napi_value out;
  napi_create_uint32(env, crc32_of(0, bytes, length), &out);
  return out;
}

/*
 * sealCrc32Tags(buffer, slotBytes, lengths, from, to) -> datagrams sealed. Datagram i (from <= i
 * < to) is buffer[i * slotBytes, + lengths[i]); its last four bytes become the CRC-32 of the rest,
 * big-endian. Throws, sealing nothing, unless every one of them lies within its slot and holds
 * four bytes.
 */
static napi_value SealCrc32Tags(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *buffer;
  size_t buffer_length, count;
  uint32_t *lengths;
  int64_t slot, from, to;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 || !bytes_of(env, argv[0], &buffer, &buffer_length) ||
      !int_of(env, argv[1], &slot) || !uint32s_of(env, argv[2], &lengths, &count) || !int_of(env, argv[3], &from) || !int_of(env, argv[4], &to))
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_CRC", "sealCrc32Tags(buffer, slotBytes, lengths, from, to): bad arguments");
  /* Divided, not multiplied: a huge slot times a long lengths array must not wrap around. */
  if (slot < 4 || slot > 0x7fffffff || from < 0 || to < from || (uint64_t)to > count || (uint64_t)to > buffer_length / (uint64_t)slot)
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_CRC", "sealCrc32Tags: slots out of range");
  for (int64_t i = from; i < to; i++)
    if (lengths[i] < 4 || lengths[i] > (uint64_t)slot) return throw_error(env, "ERR_FOUNTCAST_NATIVE_CRC", "sealCrc32Tags: a length does not fit its slot");
  for (int64_t i = from; i < to; i++) {
    uint8_t *d = buffer + (size_t)i * (size_t)slot;
    size_t end = lengths[i] - 4;
    put_u32be(d + end, crc32_of(0, d, end));
  }
  napi_value out;
  napi_create_int64(env, to - from, &out);
  return out;
}

/*
 * checkCrc32Tags(buffer, offsets, lengths, count, kind, verdicts): verdicts[i] = 1 when datagram
 * i, buffer[offsets[i], + lengths[i]), names tag kind `kind` in its byte 4 and its last four bytes
 * are the CRC-32 of the rest; 0 otherwise (outside the buffer, too short, another kind, a wrong
 * tag). Throws unless the arrays hold `count` entries.
 */
static napi_value CheckCrc32Tags(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  uint8_t *buffer, *verdicts;
  size_t buffer_length, offsets_count, lengths_count, verdicts_count;
  uint32_t *offsets, *lengths;
  int64_t count, kind;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 || !bytes_of(env, argv[0], &buffer, &buffer_length) ||
      !uint32s_of(env, argv[1], &offsets, &offsets_count) || !uint32s_of(env, argv[2], &lengths, &lengths_count) ||
      !int_of(env, argv[3], &count) || !int_of(env, argv[4], &kind) || !bytes_of(env, argv[5], &verdicts, &verdicts_count))
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_CRC", "checkCrc32Tags(buffer, offsets, lengths, count, kind, verdicts): bad arguments");
  if (count < 0 || (uint64_t)count > offsets_count || (uint64_t)count > lengths_count || (uint64_t)count > verdicts_count || kind < 0 || kind > 255)
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_CRC", "checkCrc32Tags: count or kind out of range");
  for (int64_t i = 0; i < count; i++) {
    uint64_t at = offsets[i], length = lengths[i];
    verdicts[i] = 0;
    if (length < 8 || at + length > buffer_length) continue;
    const uint8_t *d = buffer + at;
    if (d[4] != (uint8_t)kind) continue;
    verdicts[i] = crc32_of(0, d, length - 4) == get_u32be(d + length - 4);
  }
  return NULL;
}

napi_status fountcast_register_crc32(napi_env env, napi_value exports) {
  static const char *const names[] = {"crc32", "sealCrc32Tags", "checkCrc32Tags"};
  static const napi_callback functions[] = {Crc32, SealCrc32Tags, CheckCrc32Tags};
  return define_functions(env, exports, names, functions, 3);
}

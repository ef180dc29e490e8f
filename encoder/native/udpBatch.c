/*
 * Batched datagram I/O on a non-blocking UDP descriptor, a batch of datagrams per call in
 * fixed-size slots of one caller-owned buffer: recvmmsg(2) replaces an fs.readSync per datagram
 * (receiver/datagramReader.ts), sendmmsg(2) a node:dgram send per datagram on a connected socket
 * (sender/datagramBatchPump.ts). Every argument from JS is checked; the kernel's lengths are
 * clamped to the slot, so a caller never sees a length past its buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "napiArgs.h"

#define MAX_BATCH 256

static int uint32s_of(napi_env env, napi_value value, uint32_t **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint32_array) return 0;
  *data = (uint32_t *)raw;
  return 1;
}

/*
 * recvBatch(fd, buffer, slotBytes, lengths) -> n >= 0 datagrams read (0: none waiting), or
 * -errno. Datagram i is at buffer[i * slotBytes, i * slotBytes + lengths[i]); one longer than a
 * slot is cut to it and its length reported as slotBytes + 1, so the caller can tell.
 * At most min(lengths.length, buffer.length / slotBytes, 256) datagrams.
 */
static napi_value RecvBatch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int64_t fd, slot;
  uint8_t *buffer;
  size_t buffer_length, count;
  uint32_t *lengths;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 || !int_of(env, argv[0], &fd) ||
      !bytes_of(env, argv[1], &buffer, &buffer_length) || !int_of(env, argv[2], &slot) || !uint32s_of(env, argv[3], &lengths, &count))
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "recvBatch(fd, buffer, slotBytes, lengths): bad arguments");
  if (fd < 0 || fd > 0x7fffffff || slot < 1 || slot > 0x7ffffffe)
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "recvBatch: descriptor or slot size out of range");
  size_t n = buffer_length / (size_t)slot;
  if (count < n) n = count;
  if (n > MAX_BATCH) n = MAX_BATCH;
  int result = 0;
  if (n > 0) {
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    memset(msgs, 0, sizeof(struct mmsghdr) * n);
    for (size_t i = 0; i < n; i++) {
      iov[i].iov_base = buffer + i * (size_t)slot;
      iov[i].iov_len = (size_t)slot;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    do result = recvmmsg((int)fd, msgs, (unsigned)n, MSG_DONTWAIT, NULL);
    while (result < 0 && errno == EINTR);
    if (result < 0) result = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    for (int i = 0; i < result; i++) {
      unsigned len = msgs[i].msg_len;
      lengths[i] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || len > (unsigned)slot ? (uint32_t)slot + 1 : len;
    }
  }
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

/*
 * sendBatch(fd, buffer, slotBytes, lengths, count) -> n >= 0 datagrams the kernel took, in order
 * (0: its send buffer is full), or -errno when the first one failed (the caller drops it and
 * goes on). Datagram i is buffer[i * slotBytes, + lengths[i]); the socket must be connected.
 */
static napi_value SendBatch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int64_t fd, slot, count;
  uint8_t *buffer;
  size_t buffer_length, lengths_count;
  uint32_t *lengths;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 || !int_of(env, argv[0], &fd) ||
      !bytes_of(env, argv[1], &buffer, &buffer_length) || !int_of(env, argv[2], &slot) || !uint32s_of(env, argv[3], &lengths, &lengths_count) ||
      !int_of(env, argv[4], &count))
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "sendBatch(fd, buffer, slotBytes, lengths, count): bad arguments");
  if (fd < 0 || fd > 0x7fffffff || slot < 1 || slot > 0x7ffffffe || count < 0 || count > MAX_BATCH || (uint64_t)count > lengths_count ||
      (uint64_t)count * (uint64_t)slot > buffer_length)
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "sendBatch: descriptor, slot size or count out of range");
  for (int64_t i = 0; i < count; i++)
    if (lengths[i] > (uint64_t)slot) return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "sendBatch: a datagram longer than its slot");
  int result = 0;
  if (count > 0) {
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int64_t i = 0; i < count; i++) {
      iov[i].iov_base = buffer + (size_t)i * (size_t)slot;
      iov[i].iov_len = lengths[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    do result = sendmmsg((int)fd, msgs, (unsigned)count, MSG_DONTWAIT);
    while (result < 0 && errno == EINTR);
    if (result < 0) result = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  }
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

napi_status fountcast_register_udp(napi_env env, napi_value exports) {
  static const char *const names[] = {"recvBatch", "sendBatch"};
  static const napi_callback functions[] = {RecvBatch, SendBatch};
  return define_functions(env, exports, names, functions, 2);
}

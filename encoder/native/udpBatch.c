/*
 * Batched datagram I/O on a non-blocking UDP descriptor, a batch of datagrams per call in
 * fixed-size slots of one caller-owned buffer: recvmmsg(2) replaces an fs.readSync per datagram
 * (receiver/datagramReader.ts), sendmmsg(2) a node:dgram send per datagram on a connected socket
 * (sender/datagramBatchPump.ts), optionally as UDP GSO sends and GRO reads. Every argument from JS is checked; the kernel's lengths are
 * clamped to the slot, so a caller never sees a length past its buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include "napiArgs.h"

#define MAX_BATCH 256
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
/* One GSO send: at most this many datagrams (the kernel's UDP_MAX_SEGMENTS is 64 or more) and
 * this many payload bytes (an IPv4/IPv6 UDP packet's 65,507, rounded down). */
#define MAX_GSO_SEGMENTS 64
#define MAX_GSO_BYTES 65000

/* An optional argument passed as undefined counts as absent (as the TypeScript signature allows). */
static int is_undefined(napi_env env, napi_value value) {
  napi_valuetype t;
  return napi_typeof(env, value, &t) == napi_ok && t == napi_undefined;
}

/*
 * recvBatch(fd, buffer, slotBytes, lengths[, segments]) -> n >= 0 messages read (0: none
 * waiting), or -errno. Message i is at buffer[i * slotBytes, i * slotBytes + lengths[i]); one
 * longer than a slot is cut to it and its length reported as slotBytes + 1, so the caller can
 * tell. With `segments` (a socket with UDP GRO on, enableUdpGro): segments[i] is the length of
 * the datagrams message i coalesces (the last may be shorter), or 0 for a single datagram.
 * At most min(lengths.length, segments.length, buffer.length / slotBytes, 256) messages.
 */
static napi_value RecvBatch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int64_t fd, slot;
  uint8_t *buffer;
  size_t buffer_length, count, segments_count = 0;
  uint32_t *lengths, *segments = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 || !int_of(env, argv[0], &fd) ||
      !bytes_of(env, argv[1], &buffer, &buffer_length) || !int_of(env, argv[2], &slot) || !uint32s_of(env, argv[3], &lengths, &count) ||
      (argc >= 5 && !is_undefined(env, argv[4]) && !uint32s_of(env, argv[4], &segments, &segments_count)))
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "recvBatch(fd, buffer, slotBytes, lengths[, segments]): bad arguments");
  if (segments != NULL && segments_count < count) count = segments_count;
  if (fd < 0 || fd > 0x7fffffff || slot < 1 || slot > 0x7ffffffe)
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "recvBatch: descriptor or slot size out of range");
  size_t n = buffer_length / (size_t)slot;
  if (count < n) n = count;
  if (n > MAX_BATCH) n = MAX_BATCH;
  int result = 0;
  if (n > 0) {
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    union {
      char buf[CMSG_SPACE(sizeof(int))];
      struct cmsghdr align;
    } control[MAX_BATCH];
    memset(msgs, 0, sizeof(struct mmsghdr) * n);
    for (size_t i = 0; i < n; i++) {
      iov[i].iov_base = buffer + i * (size_t)slot;
      iov[i].iov_len = (size_t)slot;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      if (segments != NULL) {
        msgs[i].msg_hdr.msg_control = control[i].buf;
        msgs[i].msg_hdr.msg_controllen = sizeof(control[i].buf);
      }
    }
    do result = recvmmsg((int)fd, msgs, (unsigned)n, MSG_DONTWAIT, NULL);
    while (result < 0 && errno == EINTR);
    if (result < 0) result = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    for (int i = 0; i < result; i++) {
      unsigned len = msgs[i].msg_len;
      lengths[i] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || len > (unsigned)slot ? (uint32_t)slot + 1 : len;
      if (segments == NULL) continue;
      segments[i] = 0;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != NULL; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level != IPPROTO_UDP || c->cmsg_type != UDP_GRO || c->cmsg_len < CMSG_LEN(sizeof(uint16_t))) continue;
        /* The kernel writes an int; its low 16 bits are the segment size on every Linux. */
        int size = 0;
        memcpy(&size, CMSG_DATA(c), c->cmsg_len >= CMSG_LEN(sizeof(int)) ? sizeof(int) : sizeof(uint16_t));
        if (size > 0 && size <= 0xffff) segments[i] = (uint32_t)size;
      }
    }
  }
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

/*
 * sendBatch(fd, buffer, slotBytes, lengths, count[, gso]) -> n >= 0 datagrams the kernel took,
 * in order (0: its send buffer is full), or -errno when the first one failed (the caller drops
 * it and goes on). Datagram i is buffer[i * slotBytes, + lengths[i]); the socket must be
 * connected. With gso, runs of equal-length datagrams (the last of a run may be shorter) go as
 * one UDP GSO send each (UDP_SEGMENT: the kernel cuts the run into datagrams of that length, one
 * pass through the stack for the run instead of one per datagram); a run of one goes plainly.
 * A kernel or device without GSO fails the first send with EIO, EINVAL or EOPNOTSUPP: the caller
 * then sends without it.
 */
static napi_value SendBatch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int64_t fd, slot, count;
  uint8_t *buffer;
  size_t buffer_length, lengths_count;
  uint32_t *lengths;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 || !int_of(env, argv[0], &fd) ||
      !bytes_of(env, argv[1], &buffer, &buffer_length) || !int_of(env, argv[2], &slot) || !uint32s_of(env, argv[3], &lengths, &lengths_count) ||
      !int_of(env, argv[4], &count))
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "sendBatch(fd, buffer, slotBytes, lengths, count[, gso]): bad arguments");
  bool gso = false;
  if (argc >= 6 && !is_undefined(env, argv[5]) && napi_get_value_bool(env, argv[5], &gso) != napi_ok)
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "sendBatch: gso must be a boolean");
  if (fd < 0 || fd > 0x7fffffff || slot < 1 || slot > 0x7ffffffe || count < 0 || count > MAX_BATCH || (uint64_t)count > lengths_count ||
      (uint64_t)count * (uint64_t)slot > buffer_length)
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "sendBatch: descriptor, slot size or count out of range");
  for (int64_t i = 0; i < count; i++)
    if (lengths[i] > (uint64_t)slot) return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "sendBatch: a datagram longer than its slot");
  int result = 0;
  if (count > 0) {
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    /* Datagrams in each message (a GSO run, or 1). */
    int per_message[MAX_BATCH];
    union {
      char buf[CMSG_SPACE(sizeof(uint16_t))];
      struct cmsghdr align;
    } control[MAX_BATCH];
    int messages = 0;
    memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int64_t i = 0; i < count; i++) {
      iov[i].iov_base = buffer + (size_t)i * (size_t)slot;
      iov[i].iov_len = lengths[i];
    }
    for (int64_t i = 0; i < count;) {
      int64_t j = i + 1;
      uint32_t segment = lengths[i];
      uint64_t bytes = segment;
      if (gso && segment > 0) {
        while (j < count && j - i < MAX_GSO_SEGMENTS && lengths[j] > 0 && lengths[j] <= segment && bytes + lengths[j] <= MAX_GSO_BYTES) {
          bytes += lengths[j];
          /* A shorter datagram can only end a run. */
          if (lengths[j++] < segment) break;
        }
      }
      struct msghdr *h = &msgs[messages].msg_hdr;
      h->msg_iov = &iov[i];
      h->msg_iovlen = (size_t)(j - i);
      if (j - i > 1) {
        memset(&control[messages], 0, sizeof(control[messages]));
        h->msg_control = control[messages].buf;
        h->msg_controllen = sizeof(control[messages].buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(h);
        c->cmsg_level = IPPROTO_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t size = (uint16_t)segment;
        memcpy(CMSG_DATA(c), &size, sizeof(size));
      }
      per_message[messages++] = (int)(j - i);
      i = j;
    }
    int sent;
    do sent = sendmmsg((int)fd, msgs, (unsigned)messages, MSG_DONTWAIT);
    while (sent < 0 && errno == EINTR);
    if (sent < 0) result = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    else
      for (int m = 0; m < sent; m++) result += per_message[m];
  }
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

/* enableUdpGro(fd) -> 0, or -errno (a kernel without UDP GRO: ENOPROTOOPT). */
static napi_value EnableUdpGro(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !int_of(env, argv[0], &fd) || fd < 0 || fd > 0x7fffffff)
    return throw_error(env, "ERR_FOUNTCAST_NATIVE_UDP", "enableUdpGro(fd): bad arguments");
  int on = 1;
  int result = setsockopt((int)fd, IPPROTO_UDP, UDP_GRO, &on, sizeof(on)) == 0 ? 0 : -errno;
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

napi_status fountcast_register_udp(napi_env env, napi_value exports) {
  static const char *const names[] = {"recvBatch", "sendBatch", "enableUdpGro"};
  static const napi_callback functions[] = {RecvBatch, SendBatch, EnableUdpGro};
  return define_functions(env, exports, names, functions, 3);
}

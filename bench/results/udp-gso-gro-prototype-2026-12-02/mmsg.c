#define _GNU_SOURCE
#include <node_api.h>
#include <sys/socket.h>
#include <errno.h>
#include <string.h>
#include <netinet/udp.h>
#include <netinet/in.h>
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#define MAXB 256
/* recvBatch(fd, buf, slot, max, lens) -> count or -errno */
static napi_value RecvBatch(napi_env env, napi_callback_info info) {
  size_t argc = 5; napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, slot, max; void *buf; size_t buflen, nl, off; napi_typedarray_type t; napi_value ab; void *lensp;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_typedarray_info(env, argv[1], &t, &buflen, &buf, &ab, &off);
  napi_get_value_int32(env, argv[2], &slot);
  napi_get_value_int32(env, argv[3], &max);
  napi_get_typedarray_info(env, argv[4], &t, &nl, &lensp, &ab, &off);
  int32_t *lens = lensp;
  if (max > MAXB) max = MAXB; if ((size_t)max * slot > buflen) max = buflen / slot; if ((size_t)max > nl) max = nl;
  struct mmsghdr msgs[MAXB]; struct iovec iov[MAXB];
  for (int i = 0; i < max; i++) { iov[i].iov_base = (char*)buf + (size_t)i*slot; iov[i].iov_len = slot; memset(&msgs[i].msg_hdr, 0, sizeof(struct msghdr)); msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1; }
  int n = recvmmsg(fd, msgs, max, MSG_DONTWAIT, NULL);
  if (n < 0) n = -errno; else for (int i = 0; i < n; i++) lens[i] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : (int32_t)msgs[i].msg_len;
  napi_value r; napi_create_int32(env, n, &r); return r;
}
/* sendBatch(fd, buf, slot, lens, count) -> sent or -errno: datagram i at buf[i*slot], lens[i] bytes */
static napi_value SendBatch(napi_env env, napi_callback_info info) {
  size_t argc = 5; napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, slot, count; void *buf; size_t buflen, nl, off; napi_typedarray_type t; napi_value ab; void *lensp;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_typedarray_info(env, argv[1], &t, &buflen, &buf, &ab, &off);
  napi_get_value_int32(env, argv[2], &slot);
  napi_get_typedarray_info(env, argv[3], &t, &nl, &lensp, &ab, &off);
  napi_get_value_int32(env, argv[4], &count);
  int32_t *lens = lensp;
  if (count > MAXB) count = MAXB; if ((size_t)count > nl) count = nl;
  struct mmsghdr msgs[MAXB]; struct iovec iov[MAXB];
  for (int i = 0; i < count; i++) { iov[i].iov_base = (char*)buf + (size_t)i*slot; iov[i].iov_len = lens[i]; memset(&msgs[i].msg_hdr, 0, sizeof(struct msghdr)); msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1; }
  int n = sendmmsg(fd, msgs, count, MSG_DONTWAIT);
  if (n < 0) n = -errno;
  napi_value r; napi_create_int32(env, n, &r); return r;
}
/* sendGso(fd, buf, len, segSize) -> bytes or -errno */
static napi_value SendGso(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, len, seg; void *buf; size_t buflen, off; napi_typedarray_type t; napi_value ab;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_typedarray_info(env, argv[1], &t, &buflen, &buf, &ab, &off);
  napi_get_value_int32(env, argv[2], &len);
  napi_get_value_int32(env, argv[3], &seg);
  if ((size_t)len > buflen) len = buflen;
  struct iovec iov = { buf, (size_t)len };
  char ctrl[CMSG_SPACE(sizeof(uint16_t))]; memset(ctrl, 0, sizeof ctrl);
  struct msghdr m; memset(&m, 0, sizeof m); m.msg_iov = &iov; m.msg_iovlen = 1; m.msg_control = ctrl; m.msg_controllen = sizeof ctrl;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m); c->cmsg_level = SOL_UDP; c->cmsg_type = UDP_SEGMENT; c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  *(uint16_t*)CMSG_DATA(c) = (uint16_t)seg;
  ssize_t n = sendmsg(fd, &m, MSG_DONTWAIT);
  napi_value r; napi_create_int32(env, n < 0 ? -errno : (int32_t)n, &r); return r;
}
static napi_value EnableGro(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd; napi_get_value_int32(env, argv[0], &fd); int one = 1;
  int rc = setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one);
  napi_value r; napi_create_int32(env, rc < 0 ? -errno : 0, &r); return r;
}
/* recvGro(fd, buf, out) -> len or -errno; out[0] = segment size (0: one datagram) */
static napi_value RecvGro(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3]; napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd; void *buf; size_t buflen, nl, off; napi_typedarray_type t; napi_value ab; void *outp;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_typedarray_info(env, argv[1], &t, &buflen, &buf, &ab, &off);
  napi_get_typedarray_info(env, argv[2], &t, &nl, &outp, &ab, &off);
  int32_t *out = outp; out[0] = 0;
  struct iovec iov = { buf, buflen };
  char ctrl[CMSG_SPACE(sizeof(int)) * 2]; struct msghdr m; memset(&m, 0, sizeof m);
  m.msg_iov = &iov; m.msg_iovlen = 1; m.msg_control = ctrl; m.msg_controllen = sizeof ctrl;
  ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
  if (n >= 0) for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) { int g; memcpy(&g, CMSG_DATA(c), sizeof g); out[0] = g; }
  napi_value r; napi_create_int32(env, n < 0 ? -errno : (int32_t)n, &r); return r;
}
static napi_value Init(napi_env env, napi_value exports) {
  napi_value f;
  napi_create_function(env, "recvBatch", NAPI_AUTO_LENGTH, RecvBatch, NULL, &f); napi_set_named_property(env, exports, "recvBatch", f);
  napi_create_function(env, "sendBatch", NAPI_AUTO_LENGTH, SendBatch, NULL, &f); napi_set_named_property(env, exports, "sendBatch", f);
  napi_create_function(env, "sendGso", NAPI_AUTO_LENGTH, SendGso, NULL, &f); napi_set_named_property(env, exports, "sendGso", f);
  napi_create_function(env, "enableGro", NAPI_AUTO_LENGTH, EnableGro, NULL, &f); napi_set_named_property(env, exports, "enableGro", f);
  napi_create_function(env, "recvGro", NAPI_AUTO_LENGTH, RecvGro, NULL, &f); napi_set_named_property(env, exports, "recvGro", f);
  return exports;
}
NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)

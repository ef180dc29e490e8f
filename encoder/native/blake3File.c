/*
 * A file's segment digests (BLAKE3) on a thread of its own, without an isolate.
 *
 * Why: the sender hashes every segment of the file it serves while it already serves it. A
 * worker_threads isolate for that costs ~25 ms of CPU to start, more than hashing 100 MiB; a
 * plain thread costs microseconds, reads the file in L2-sized pieces (the bytes are hashed while
 * still in cache) and runs at a lower priority, so the stream and local receivers go first.
 *
 * blake3HashFile(fd, offset, length, segmentSize, nice, onEvent) -> handle. Hashes bytes
 * [offset, offset + length) of `fd` (duplicated: the caller may close its own at once) in
 * segments of segmentSize (the last may be shorter) and calls, on the calling thread's loop:
 *   onEvent(0, first, digests): digests (32 bytes each) of segments first, first + 1, ...
 *   onEvent(1, count, null): every segment hashed (after all of its digests)
 *   onEvent(2, errno, message): the read failed (errno 0: the file ended early; a read error
 *   comes with its errno and an empty message); nothing follows.
 * Digests come in batches, the first at once and then at most every BATCH_NS. The thread raises
 * its own nice value by `nice` (0..19; Linux, where a thread has its own). A pending call keeps
 * the loop alive, as a worker would. blake3HashFileCancel(handle) stops it within one read:
 * no event follows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#endif

#include "blake3/blake3.h"
#include "napiArgs.h"

#define CODE "ERR_FOUNTCAST_NATIVE_BLAKE3"
/* Read size: within L2, so BLAKE3 reads what the copy just wrote. */
#define PIECE (256 * 1024)
#define BATCH_NS 8000000LL

typedef struct {
  atomic_int refs; /* the thread, the JS handle and the thread-safe function (its queued calls read the job) */
  atomic_int cancelled;
  int fd;
  int64_t offset, length, segment_size;
  int nice;
  napi_threadsafe_function tsfn;
} hash_job;

/* One event for JS; digests is malloc'd (kind 0) and handed over. */
typedef struct {
  int kind;
  int64_t value;
  uint8_t *digests;
  size_t digests_length;
  char message[96];
} hash_event;

static const napi_type_tag FILE_HASH_TAG = {0x3b9e1d7c5a2f4860ULL, 0x91c7e3a5f0d2b648ULL};

static void release_job(hash_job *job) {
  if (atomic_fetch_sub(&job->refs, 1) == 1) free(job);
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void post(hash_job *job, hash_event *event) {
  if (atomic_load(&job->cancelled) ||
      napi_call_threadsafe_function(job->tsfn, event, napi_tsfn_blocking) != napi_ok) {
    free(event->digests);
    free(event);
  }
}

static hash_event *new_event(int kind, int64_t value) {
  hash_event *e = calloc(1, sizeof(hash_event));
  if (e != NULL) {
    e->kind = kind;
    e->value = value;
  }
  return e;
}

static void post_error(hash_job *job, int err, const char *message) {
  hash_event *e = new_event(2, err);
  if (e == NULL) return;
  snprintf(e->message, sizeof e->message, "%s", message);
  post(job, e);
}

/* Whole reads of `want` bytes at `at`; 0, or -errno, or 1 when the file ended first. */
static int read_fully(int fd, uint8_t *into, size_t want, int64_t at) {
  size_t got = 0;
  while (got < want) {
    ssize_t n = pread(fd, into + got, want - got, (off_t)(at + (int64_t)got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) return 1;
    got += (size_t)n;
  }
  return 0;
}

static void *run(void *arg) {
  hash_job *job = arg;
#ifdef __linux__
  if (job->nice > 0) {
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    int was = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno == 0) setpriority(PRIO_PROCESS, (id_t)tid, was + job->nice > 19 ? 19 : was + job->nice);
  }
#endif
  int64_t segments = job->length == 0 ? 0 : (job->length + job->segment_size - 1) / job->segment_size;
  uint8_t *piece = malloc(PIECE);
  uint8_t *batch = malloc(32 * (size_t)(segments > 4096 ? 4096 : segments > 0 ? segments : 1));
  size_t batch_cap = segments > 4096 ? 4096 : (size_t)(segments > 0 ? segments : 1);
  if (piece == NULL || batch == NULL) {
    post_error(job, ENOMEM, "out of memory");
    goto done;
  }
  int64_t first = 0, last_post = 0;
  size_t in_batch = 0;
  for (int64_t s = 0; s < segments && !atomic_load(&job->cancelled); s++) {
    int64_t start = job->offset + s * job->segment_size;
    int64_t end = s == segments - 1 ? job->offset + job->length : start + job->segment_size;
    blake3_hasher h;
    blake3_hasher_init(&h);
    for (int64_t at = start; at < end && !atomic_load(&job->cancelled); at += PIECE) {
      size_t want = (size_t)(end - at < PIECE ? end - at : PIECE);
      int r = read_fully(job->fd, piece, want, at);
      if (r != 0) {
        /* The errno alone: strerror is not thread-safe; the JS side names it. */
        post_error(job, r < 0 ? -r : 0, r < 0 ? "" : "the file ended before the length announced");
        goto done;
      }
      blake3_hasher_update(&h, piece, want);
    }
    if (atomic_load(&job->cancelled)) break;
    blake3_hasher_finalize(&h, batch + 32 * in_batch, BLAKE3_OUT_LEN);
    in_batch++;
    int64_t t = now_ns();
    if (in_batch == batch_cap || s == segments - 1 || s == 0 || t - last_post >= BATCH_NS) {
      hash_event *e = new_event(0, first);
      uint8_t *copy = malloc(32 * in_batch);
      if (e == NULL || copy == NULL) {
        free(e);
        free(copy);
        post_error(job, ENOMEM, "out of memory");
        goto done;
      }
      memcpy(copy, batch, 32 * in_batch);
      e->digests = copy;
      e->digests_length = 32 * in_batch;
      post(job, e);
      first = s + 1;
      in_batch = 0;
      last_post = t;
    }
  }
  if (!atomic_load(&job->cancelled)) {
    hash_event *e = new_event(1, segments);
    if (e != NULL) post(job, e);
  }
done:
  free(piece);
  free(batch);
  close(job->fd);
  napi_release_threadsafe_function(job->tsfn, napi_tsfn_release);
  release_job(job);
  return NULL;
}

static void free_digests(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* On the loop's thread: one event to onEvent (dropped when the environment is going away). */
static void call_js(napi_env env, napi_value callback, void *context, void *data) {
  hash_event *e = data;
  hash_job *job = context;
  if (env == NULL || callback == NULL || atomic_load(&job->cancelled)) {
    free(e->digests);
    free(e);
    return;
  }
  napi_value argv[3], undefined;
  napi_get_undefined(env, &undefined);
  napi_create_int32(env, e->kind, &argv[0]);
  napi_create_int64(env, e->value, &argv[1]);
  argv[2] = NULL;
  if (e->kind == 0) {
    napi_value buffer;
    if (napi_create_external_arraybuffer(env, e->digests, e->digests_length, free_digests, NULL, &buffer) == napi_ok) {
      e->digests = NULL; /* the arraybuffer owns it now */
      napi_create_typedarray(env, napi_uint8_array, e->digests_length, buffer, 0, &argv[2]);
    } else {
      /* Runtimes without external buffers: a copy. */
      void *raw;
      if (napi_create_arraybuffer(env, e->digests_length, &raw, &buffer) == napi_ok) {
        memcpy(raw, e->digests, e->digests_length);
        napi_create_typedarray(env, napi_uint8_array, e->digests_length, buffer, 0, &argv[2]);
      }
    }
  } else if (e->kind == 2) {
    napi_create_string_utf8(env, e->message, NAPI_AUTO_LENGTH, &argv[2]);
  }
  if (argv[2] == NULL) napi_get_null(env, &argv[2]);
  free(e->digests);
  free(e);
  napi_call_function(env, undefined, callback, 3, argv, NULL);
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release_job(data);
}

/* Once the thread-safe function is gone: no call_js can read the job any more. */
static void finalize_tsfn(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release_job(data);
}

static napi_value HashFile(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int64_t fd, offset, length, segment_size, nice;
  napi_valuetype callback_type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 || !int_of(env, argv[0], &fd) ||
      !int_of(env, argv[1], &offset) || !int_of(env, argv[2], &length) || !int_of(env, argv[3], &segment_size) ||
      !int_of(env, argv[4], &nice) || napi_typeof(env, argv[5], &callback_type) != napi_ok || callback_type != napi_function)
    return throw_error(env, CODE, "blake3HashFile(fd, offset, length, segmentSize, nice, onEvent): bad arguments");
  if (fd < 0 || fd > 0x7fffffff || offset < 0 || length < 0 || segment_size < 1 || segment_size > 0x7fffffff || nice < 0 || nice > 19)
    return throw_error(env, CODE, "blake3HashFile: an argument is out of range");
  int own = dup((int)fd);
  if (own < 0) return throw_error(env, CODE, "blake3HashFile: the file descriptor cannot be duplicated");
  hash_job *job = calloc(1, sizeof(hash_job));
  if (job == NULL) {
    close(own);
    return throw_error(env, CODE, "out of memory");
  }
  job->fd = own;
  job->offset = offset;
  job->length = length;
  job->segment_size = segment_size;
  job->nice = (int)nice;
  atomic_init(&job->refs, 3);
  atomic_init(&job->cancelled, 0);
  napi_value name;
  napi_create_string_utf8(env, "fountcast.blake3HashFile", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[5], NULL, name, 0, 1, job, finalize_tsfn, job, call_js, &job->tsfn) != napi_ok) {
    close(own);
    free(job);
    return throw_error(env, CODE, "blake3HashFile: cannot make the callback");
  }
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int started = pthread_create(&thread, &attr, run, job);
  pthread_attr_destroy(&attr);
  if (started != 0) {
    close(own);
    /* The function's finalizer releases its reference; the thread's and the handle's go here. */
    napi_release_threadsafe_function(job->tsfn, napi_tsfn_abort);
    release_job(job);
    release_job(job);
    return throw_error(env, CODE, "blake3HashFile: cannot start a thread");
  }
  return new_tagged_external(env, job, finalize_handle, &FILE_HASH_TAG, CODE);
}

static napi_value HashFileCancel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  hash_job *job;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || (job = tagged_external(env, argv[0], &FILE_HASH_TAG)) == NULL)
    return throw_error(env, CODE, "blake3HashFileCancel(handle): bad arguments");
  atomic_store(&job->cancelled, 1);
  return NULL;
}

napi_status fountcast_register_blake3_file(napi_env env, napi_value exports) {
  static const char *const names[] = {"blake3HashFile", "blake3HashFileCancel"};
  static const napi_callback functions[] = {HashFile, HashFileCancel};
  return define_functions(env, exports, names, functions, 2);
}

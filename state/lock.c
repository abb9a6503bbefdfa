/* rcform-lock.node: the state lock as a kernel lock (open file description locks, fcntl(2)
 * F_OFD_SETLK), which Node has no API for. The kernel drops the lock when the last descriptor of
 * the open file description closes, however its holder ends, so a lock can never outlive its
 * holder; OFD locks (unlike classic POSIX record locks) also conflict between two opens in one
 * process. The descriptor is opened O_CLOEXEC: a process the holder execs (the detached embedded
 * supervisor, a service) never inherits it. state/lock.ts is the only caller. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>

static napi_value num(napi_env env, int64_t value) {
  napi_value v;
  napi_create_int64(env, value, &v);
  return v;
}

static int int_arg(napi_env env, napi_callback_info info, int32_t *out) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  return argc >= 1 && napi_get_value_int32(env, arg, out) == napi_ok;
}

static struct flock whole_file(short type) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0; /* to the end, however long the file grows */
  return fl;
}

/* open(path, create) -> fd >= 0, or -errno. A taker (create) opens read-write, to write its
 * LockInfo; a reader opens read-only and never creates the file. */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  char path[4096];
  size_t len = 0;
  bool create = false;
  if (argc < 2 || napi_get_value_string_utf8(env, args[0], path, sizeof path, &len) != napi_ok || len == 0 || len >= sizeof path - 1 ||
      napi_get_value_bool(env, args[1], &create) != napi_ok) {
    napi_throw_type_error(env, NULL, "open(path: string, create: boolean)");
    return NULL;
  }
  int fd = create ? open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) : open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  return num(env, fd >= 0 ? fd : -errno);
}

/* tryLock(fd) -> 0 when taken, -EAGAIN when someone holds it, else -errno. Never blocks. */
static napi_value js_try_lock(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_arg(env, info, &fd) || fd < 0) {
    napi_throw_type_error(env, NULL, "tryLock(fd: number)");
    return NULL;
  }
  struct flock fl = whole_file(F_WRLCK);
  if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return num(env, 0);
  int e = errno;
  return num(env, e == EACCES ? -EAGAIN : -e);
}

/* held(fd) -> 1 when another open file description holds the lock, 0 when it is free, else
 * -errno. Asks without taking it (F_OFD_GETLK), so a reader never makes a taker fail. */
static napi_value js_held(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_arg(env, info, &fd) || fd < 0) {
    napi_throw_type_error(env, NULL, "held(fd: number)");
    return NULL;
  }
  struct flock fl = whole_file(F_WRLCK);
  if (fcntl(fd, F_OFD_GETLK, &fl) != 0) return num(env, -errno);
  return num(env, fl.l_type == F_UNLCK ? 0 : 1);
}

/* close(fd) -> 0 or -errno: closing the last descriptor is what releases the lock. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_arg(env, info, &fd) || fd < 0) {
    napi_throw_type_error(env, NULL, "close(fd: number)");
    return NULL;
  }
  return num(env, close(fd) == 0 ? 0 : -errno);
}

/* cloexec(fd) -> 1 when FD_CLOEXEC is set, 0 when not, else -errno: for the tests. */
static napi_value js_cloexec(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_arg(env, info, &fd) || fd < 0) {
    napi_throw_type_error(env, NULL, "cloexec(fd: number)");
    return NULL;
  }
  int flags = fcntl(fd, F_GETFD);
  return num(env, flags < 0 ? -errno : (flags & FD_CLOEXEC) ? 1 : 0);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"tryLock", NULL, js_try_lock, NULL, NULL, NULL, napi_default, NULL},
      {"held", NULL, js_held, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"cloexec", NULL, js_cloexec, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof *props, props);
  return exports;
}

/*
 * rcform-s6.node: mkfifo(2) for the s6 engine, which Node does not offer.
 *
 * The engine listens to s6-supervise's events as s6's own listeners do: a FIFO of its own in the
 * service's event fifodir. Making that FIFO with a `mkfifo` process would cost a fork of the
 * whole applying process per transition, the very cost this replaces (s6-svc -w, s6-svlisten1).
 *
 * Exports:
 *   mkfifo(path, mode) -> 0 | errno
 */
#include <errno.h>
#include <node_api.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>

static napi_value js_mkfifo(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], ret;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  size_t len = 0;
  uint32_t mode = 0;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok || napi_get_value_uint32(env, argv[1], &mode) != napi_ok) {
    napi_throw_type_error(env, NULL, "mkfifo(path, mode) expected");
    return NULL;
  }
  char *path = malloc(len + 1);
  if (!path) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[0], path, len + 1, &len);
  int err = mkfifo(path, (mode_t)mode) == 0 ? 0 : errno;
  free(path);
  napi_create_int32(env, err, &ret);
  return ret;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"mkfifo", NULL, js_mkfifo, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof *props, props);
  return exports;
}

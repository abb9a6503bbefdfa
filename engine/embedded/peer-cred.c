/* rcform-peercred.node: who is at the other end of a connected Unix socket (SO_PEERCRED), which
 * Node has no API for. The supervisor asks it of every connection before it reads a request, and
 * the client of the supervisor before it sends one (engine/embedded/peer-cred.ts). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value set_int(napi_env env, napi_value obj, const char *key, int64_t value) {
  napi_value v;
  napi_create_int64(env, value, &v);
  napi_set_named_property(env, obj, key, v);
  return obj;
}

/* peer(fd) -> { pid, uid, gid }, or { errno } when the kernel cannot say. */
static napi_value js_peer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, arg, &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "peer(fd: number)");
    return NULL;
  }
  napi_value out;
  napi_create_object(env, &out);
  struct ucred cred;
  socklen_t len = sizeof cred;
  memset(&cred, 0, sizeof cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return set_int(env, out, "errno", errno);
  set_int(env, out, "pid", cred.pid);
  set_int(env, out, "uid", cred.uid);
  return set_int(env, out, "gid", cred.gid);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"peer", NULL, js_peer, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof *props, props);
  return exports;
}

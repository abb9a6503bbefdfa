/*
 * rcform-vfork.node: lets the embedded supervisor start its services itself, with a vfork-style
 * clone, on its main thread, and watch them through libuv.
 *
 * rcform-spawner (spawner.c) already avoids Node's fork, but every start through it is a round
 * trip to another process: two more wake-ups on every serial transition, which grow under load
 * (docs/benchmarks.md, "Spawning: what was measured"). Here the start is a plain function call: the
 * supervisor's thread is suspended only from the clone until the child's exec, and nothing else
 * wakes up. Same semantics as spawner.c, so the services cannot tell the difference.
 *
 * Each child gets a pidfd from the clone itself (CLONE_PIDFD), so it is reaped only through that
 * descriptor: libuv's SIGCHLD handling (for Node's own spawn(), still used in this process for
 * finish scripts of other users, oneshots, the spawner helpers) waits for its own pids only, and
 * our waitid(P_PIDFD) can never take one of its children either.
 *
 * Exports:
 *   setup(onEvent)  onEvent(kind, pid, a, b): kind 1 ready; kind 2 died, a = exit code or -1,
 *                   b = signal number. Readiness of a process is always reported before its death.
 *   launch(file, argv, cwd, env, slots) -> [pid, usec] | [-errno, what]
 *                   slots: flat [target, kind, path, ...] as spawner.c's requests; usec is the
 *                   clone until exec (the kernel's share); what: open, pipe, dup, chdir, exec, fork.
 *   release()       stops watching every process (they run on, for the next supervisor to adopt).
 *   watched()       how many processes are watched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <node_api.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "launch.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CHILD_STACK (64 * 1024)

/* The child's stack: one, reused, so its pages are faulted in once rather than on every start
   (a page fault costs ~20 us on this project's VMs). Launches come from the JavaScript thread
   one at a time; a second environment (a worker) launching at the same moment takes a fresh one. */
static char shared_stack[CHILD_STACK] __attribute__((aligned(64)));
static int shared_stack_busy;

struct watched;

struct instance {
  napi_env env;
  napi_ref on_event;
  napi_async_context async;
  uv_loop_t *loop;
  struct watched *all; /* doubly linked, for release() */
  long count;
};

struct watched {
  struct instance *inst;
  struct watched *prev, *next;
  pid_t pid;
  int pidfd, notify;
  uv_poll_t pid_poll, notify_poll;
  int notify_open; /* notify_poll started and not yet closed */
  int handles;     /* uv handles not yet through their close callback */
};

/* ---- the child ----------------------------------------------------------------------------- */

struct child_args {
  const char *cwd;
  struct slot *slots;
  long nslots;
  struct launch_account who;
  char **cands;
  char **argv;
  char **envp;
  /* Written by the child (it shares our memory until exec) when it cannot exec. */
  volatile int err;
  const char *volatile what;
};

/* Runs on its own stack in the supervisor's memory until exec (launch.h). */
static int child(void *p) {
  struct child_args *a = p;
  launch_child_exec(a->cwd, a->slots, a->nslots, &a->who, a->cands, a->argv, a->envp, &a->err, &a->what);
}

/* ---- events to JavaScript ------------------------------------------------------------------ */

static void emit(struct instance *inst, int kind, pid_t pid, int a, int b) {
  napi_env env = inst->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, args[4], result;
  napi_get_reference_value(env, inst->on_event, &fn);
  napi_get_global(env, &recv); /* make_callback wants an object to call on */
  napi_create_int32(env, kind, &args[0]);
  napi_create_int32(env, pid, &args[1]);
  napi_create_int32(env, a, &args[2]);
  napi_create_int32(env, b, &args[3]);
  /* make_callback, not call_function: we are called from libuv, outside any JavaScript, and the
     promises the handlers settle must have their reactions run now (the supervisor's reply),
     not at some later turn of the loop. */
  if (napi_make_callback(env, inst->async, recv, fn, 4, args, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void on_handle_closed(uv_handle_t *h) {
  struct watched *w = h->data;
  if (--w->handles == 0) free(w);
}

static void stop_notify(struct watched *w) {
  if (!w->notify_open) return;
  w->notify_open = 0;
  uv_close((uv_handle_t *)&w->notify_poll, on_handle_closed);
  close(w->notify);
  w->notify = -1;
}

static void unlink_watched(struct watched *w) {
  struct instance *inst = w->inst;
  if (w->prev) w->prev->next = w->next;
  else inst->all = w->next;
  if (w->next) w->next->prev = w->prev;
  inst->count--;
}

static void stop_all(struct watched *w) {
  stop_notify(w);
  unlink_watched(w);
  uv_close((uv_handle_t *)&w->pid_poll, on_handle_closed);
  close(w->pidfd);
  w->pidfd = -1;
}

/* Reads what is in the notification pipe: 1 when a newline came, -1 at its end, 0 otherwise. */
static int drain_notify(struct watched *w) {
  char chunk[512];
  for (;;) {
    ssize_t r = read(w->notify, chunk, sizeof chunk);
    if (r > 0) {
      if (memchr(chunk, '\n', (size_t)r)) return 1;
      continue;
    }
    if (r == 0) return -1;
    if (errno == EINTR) continue;
    return errno == EAGAIN ? 0 : -1;
  }
}

static void on_notify(uv_poll_t *h, int status, int events) {
  struct watched *w = h->data;
  (void)events;
  int got = status < 0 ? -1 : drain_notify(w);
  if (got == 0) return;
  pid_t pid = w->pid;
  struct instance *inst = w->inst;
  stop_notify(w);
  if (got > 0) emit(inst, 1, pid, 0, 0);
}

static void on_pidfd(uv_poll_t *h, int status, int events) {
  struct watched *w = h->data;
  (void)status;
  (void)events;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r;
  do r = waitid((idtype_t)P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0 && si.si_pid == 0) return; /* not dead yet */
  pid_t pid = w->pid;
  struct instance *inst = w->inst;
  /* Readiness before death: a service that notified and then died did both, in that order,
     whatever order epoll hands the two descriptors to us in. */
  int ready = w->notify_open && drain_notify(w) > 0;
  stop_all(w);
  if (ready) emit(inst, 1, pid, 0, 0);
  if (si.si_code == CLD_EXITED) emit(inst, 2, pid, si.si_status, 0);
  else if (si.si_pid != 0) emit(inst, 2, pid, -1, si.si_status);
  else emit(inst, 2, pid, -1, SIGKILL); /* reaped by someone else: it is gone, how is unknown */
}

/* ---- JavaScript entry points --------------------------------------------------------------- */

static char *get_string(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/* A JavaScript array of strings as a NULL-terminated C array; NULL when not one. */
static char **get_strings(napi_env env, napi_value arr, uint32_t *count) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof *out);
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, arr, i, &e);
    if (!(out[i] = get_string(env, e))) {
      for (uint32_t j = 0; j < i; j++) free(out[j]);
      free(out);
      return NULL;
    }
  }
  if (count) *count = n;
  return out;
}

static napi_value result_pair(napi_env env, int first, napi_value second) {
  napi_value arr, v;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int32(env, first, &v);
  napi_set_element(env, arr, 0, v);
  napi_set_element(env, arr, 1, second);
  return arr;
}

static napi_value failure(napi_env env, int err, const char *what) {
  napi_value w;
  napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &w);
  return result_pair(env, -err, w);
}

static napi_value launch_impl(napi_env env, struct instance *inst, char *file, char **argv, const char *cwd, char **envp, napi_value jslots, struct launch_account who) {
  uint32_t nspec;
  char **specs = get_strings(env, jslots, &nspec);
  if (!specs || nspec % 3 != 0 || nspec / 3 > LAUNCH_MAX_FDS) {
    launch_free_strings(specs);
    napi_throw_type_error(env, NULL, "slots: [target, kind, path, ...] expected");
    return NULL;
  }
  long nfd = nspec / 3;
  struct slot slots[LAUNCH_MAX_FDS];
  const char *what = "open";
  long nslots = launch_open_slots(specs, nfd, slots, &what);
  if (nslots < 0) {
    napi_value ret = failure(env, errno, what);
    launch_free_strings(specs);
    return ret;
  }
  if (launch_lift_sources(slots, nslots) < 0) {
    napi_value ret = failure(env, errno, "dup");
    launch_close_slots(slots, nslots);
    launch_free_strings(specs);
    return ret;
  }

  int notify = -1;
  for (long i = 0; i < nslots; i++)
    if (slots[i].notify >= 0) notify = slots[i].notify; /* one notification fd per service */
  struct watched *w = calloc(1, sizeof *w);
  char **cands = launch_candidates(file, envp);
  int own_stack = __atomic_exchange_n(&shared_stack_busy, 1, __ATOMIC_ACQUIRE);
  char *stack = own_stack ? malloc(CHILD_STACK) : shared_stack;
  if (!w || !cands || !stack) {
    free(w);
    launch_free_strings(cands);
    if (own_stack) free(stack);
    else __atomic_store_n(&shared_stack_busy, 0, __ATOMIC_RELEASE);
    launch_close_slots(slots, nslots);
    launch_free_strings(specs);
    return failure(env, ENOMEM, "fork");
  }

  struct child_args a = {cwd, slots, nslots, who, cands, argv, envp, 0, "exec"};
  sigset_t all, old;
  sigfillset(&all);
  /* No handler of the supervisor may run in the child before it resets them (it would run on
     the child's stack, in our memory); this thread's mask is what the child starts with. */
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  /* CLONE_VM | CLONE_VFORK: vfork's sharing and suspension, but on a stack of the child's own
     (as posix_spawn does), so nothing it does can disturb this frame; CLONE_PIDFD: the
     descriptor we reap it by, from the same system call, with no window for pid reuse. */
  pid_t pid = clone(child, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &a, &pidfd);
  int fork_errno = errno;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (own_stack) free(stack);
  else __atomic_store_n(&shared_stack_busy, 0, __ATOMIC_RELEASE);
  launch_free_strings(cands);
  for (long i = 0; i < nslots; i++) {
    close(slots[i].src);
    slots[i].src = -1;
  }
  launch_free_strings(specs);

  if (pid < 0 || a.err) {
    napi_value ret;
    if (pid < 0) ret = failure(env, fork_errno, "fork");
    else {
      siginfo_t si;
      waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
      close(pidfd);
      ret = failure(env, a.err, a.what);
    }
    launch_close_slots(slots, nslots);
    free(w);
    return ret;
  }
  for (long i = 0; i < nslots; i++)
    if (slots[i].notify >= 0 && slots[i].notify != notify) close(slots[i].notify);

  w->inst = inst;
  w->pid = pid;
  w->pidfd = pidfd;
  w->notify = notify;
  w->pid_poll.data = w;
  w->notify_poll.data = w;
  uv_poll_init(inst->loop, &w->pid_poll, pidfd);
  uv_poll_start(&w->pid_poll, UV_READABLE, on_pidfd);
  w->handles = 1;
  if (notify >= 0) {
    uv_poll_init(inst->loop, &w->notify_poll, notify);
    uv_poll_start(&w->notify_poll, UV_READABLE, on_notify);
    w->notify_open = 1;
    w->handles = 2;
  }
  w->next = inst->all;
  if (inst->all) inst->all->prev = w;
  inst->all = w;
  inst->count++;

  napi_value usec;
  napi_create_double(env, (double)((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000), &usec);
  return result_pair(env, pid, usec);
}

static struct instance *instance(napi_env env) {
  struct instance *inst = NULL;
  napi_get_instance_data(env, (void **)&inst);
  if (!inst || !inst->on_event) {
    napi_throw_error(env, NULL, "rcform-vfork: setup(onEvent) first");
    return NULL;
  }
  return inst;
}

static napi_value js_launch(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  struct instance *inst = instance(env);
  if (!inst) return NULL;
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "launch(file, argv, cwd, env, slots[, uid, gid])");
    return NULL;
  }
  /* uid and gid: numbers, -1 (or absent) for the supervisor's own. */
  struct launch_account who = {-1, -1};
  int64_t id;
  if (argc > 5 && napi_get_value_int64(env, args[5], &id) == napi_ok) who.uid = id < 0 ? -1 : (long)id;
  if (argc > 6 && napi_get_value_int64(env, args[6], &id) == napi_ok) who.gid = id < 0 ? -1 : (long)id;
  char *file = get_string(env, args[0]);
  char **argv = get_strings(env, args[1], NULL);
  char *cwd = get_string(env, args[2]);
  char **envp = get_strings(env, args[3], NULL);
  napi_value ret = NULL;
  if (!file || !argv || !cwd || !envp) napi_throw_type_error(env, NULL, "launch(file: string, argv: string[], cwd: string, env: string[], slots: string[])");
  else ret = launch_impl(env, inst, file, argv, cwd, envp, args[4], who);
  free(file);
  launch_free_strings(argv);
  free(cwd);
  launch_free_strings(envp);
  return ret;
}

static napi_value js_setup(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value fn;
  napi_get_cb_info(env, info, &argc, &fn, NULL, NULL);
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, fn, &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "setup(onEvent: function)");
    return NULL;
  }
  struct instance *inst = NULL;
  napi_get_instance_data(env, (void **)&inst);
  if (inst->on_event) napi_delete_reference(env, inst->on_event);
  napi_create_reference(env, fn, 1, &inst->on_event);
  if (!inst->async) {
    napi_value name;
    napi_create_string_utf8(env, "rcform-vfork", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env, NULL, name, &inst->async);
  }
  return NULL;
}

static napi_value js_release(napi_env env, napi_callback_info info) {
  (void)info;
  struct instance *inst = NULL;
  napi_get_instance_data(env, (void **)&inst);
  while (inst && inst->all) stop_all(inst->all);
  return NULL;
}

static napi_value js_watched(napi_env env, napi_callback_info info) {
  (void)info;
  struct instance *inst = NULL;
  napi_get_instance_data(env, (void **)&inst);
  napi_value v;
  napi_create_int64(env, inst ? inst->count : 0, &v);
  return v;
}

static void finalize_instance(napi_env env, void *data, void *hint) {
  (void)hint;
  struct instance *inst = data;
  while (inst->all) stop_all(inst->all);
  if (inst->async) napi_async_destroy(env, inst->async);
  free(inst);
}

NAPI_MODULE_INIT() {
  struct instance *inst = calloc(1, sizeof *inst);
  if (!inst) return NULL;
  inst->env = env;
  napi_get_uv_event_loop(env, &inst->loop);
  napi_set_instance_data(env, inst, finalize_instance, NULL);
  napi_property_descriptor props[] = {
      {"setup", NULL, js_setup, NULL, NULL, NULL, napi_default, NULL},
      {"launch", NULL, js_launch, NULL, NULL, NULL, napi_default, NULL},
      {"release", NULL, js_release, NULL, NULL, NULL, napi_default, NULL},
      {"watched", NULL, js_watched, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof *props, props);
  return exports;
}

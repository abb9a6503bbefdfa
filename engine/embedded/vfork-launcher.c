/*
 * rcform-vfork.node: lets the embedded supervisor start its services itself, with a vfork-style
 * clone, on its main thread, and watch them through libuv.
 *
 * rcform-spawner (spawner.c) already avoids Node's fork, but every start through it is a round
 * trip to another process: two more wake-ups, each 0.1-0.5 ms on this project's VMs and more
 * under load, on every serial transition. Here the start is a plain function call: the
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

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define MAX_FDS 1024
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

struct slot {
  int target;
  int src;
  int notify; /* the read end kept by the supervisor, for kind 'n'; -1 otherwise */
};

struct child_args {
  const char *cwd;
  struct slot *slots;
  long nslots;
  char **cands;
  char **argv;
  char **envp;
  /* Written by the child (it shares our memory until exec) when it cannot exec. */
  volatile int err;
  const char *volatile what;
};

/* Runs on its own stack in the supervisor's memory until exec: system calls only, no allocation,
   no lock that another thread of the supervisor might hold. */
static int child(void *p) {
  struct child_args *a = p;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  /* Node's handlers (SIGINT, SIGTERM, SIGCHLD through libuv...) mean nothing in the service. */
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
  /* Most of Node's descriptors are close-on-exec already, but not all that it inherited: the
     service gets exactly the slots it asked for. dup2 below clears the flag on the targets. */
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    a->err = errno;
    a->what = "close_range";
    _exit(127);
  }
  /* A new session, hence its own process group: down signals the whole group. */
  setsid();
  if (chdir(a->cwd) < 0) {
    a->err = errno;
    a->what = "chdir";
    _exit(127);
  }
  for (long i = 0; i < a->nslots; i++) {
    if (dup2(a->slots[i].src, a->slots[i].target) < 0) {
      a->err = errno;
      a->what = "dup";
      _exit(127);
    }
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  int err = ENOENT;
  for (char **c = a->cands; *c; c++) {
    execve(*c, a->argv, a->envp);
    if (errno != ENOENT && errno != ENOTDIR) err = errno;
  }
  a->err = err;
  a->what = "exec";
  _exit(127);
}

/* The program's candidates on the child's PATH, as execvp(3) would try them; NULL-terminated. */
static char **candidates(const char *file, char **envp) {
  size_t n = 0, cap = 4;
  char **cands = malloc(cap * sizeof *cands);
  if (!cands) return NULL;
  if (strchr(file, '/')) {
    cands[n++] = strdup(file);
  } else {
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (char **e = envp; *e; e++)
      if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
    for (const char *p = path;;) {
      const char *colon = strchr(p, ':');
      size_t dl = colon ? (size_t)(colon - p) : strlen(p);
      char *c = malloc(dl + strlen(file) + 2);
      if (!c) break;
      if (dl == 0) strcpy(c, file);
      else {
        memcpy(c, p, dl);
        c[dl] = '/';
        strcpy(c + dl + 1, file);
      }
      if (n + 2 > cap) {
        cap *= 2;
        char **more = realloc(cands, cap * sizeof *cands);
        if (!more) {
          free(c);
          break;
        }
        cands = more;
      }
      cands[n++] = c;
      if (!colon) break;
      p = colon + 1;
    }
  }
  cands[n] = NULL;
  return cands;
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

static void free_strings(char **s) {
  if (!s) return;
  for (char **p = s; *p; p++) free(*p);
  free(s);
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

static void close_slots(struct slot *slots, long n) {
  for (long i = 0; i < n; i++) {
    if (slots[i].src >= 0) close(slots[i].src);
    if (slots[i].notify >= 0) close(slots[i].notify);
  }
}

static napi_value launch_impl(napi_env env, struct instance *inst, char *file, char **argv, const char *cwd, char **envp, napi_value jslots) {
  uint32_t nspec;
  char **specs = get_strings(env, jslots, &nspec);
  if (!specs || nspec % 3 != 0 || nspec / 3 > MAX_FDS) {
    free_strings(specs);
    napi_throw_type_error(env, NULL, "slots: [target, kind, path, ...] expected");
    return NULL;
  }
  long nfd = nspec / 3;
  struct slot slots[MAX_FDS];
  long nslots = 0;
  napi_value ret = NULL;
  for (long i = 0; i < nfd; i++) {
    const char *kind = specs[i * 3 + 1], *path = specs[i * 3 + 2];
    struct slot s = {atoi(specs[i * 3]), -1, -1};
    if (kind[0] == 'n') {
      int p[2];
      if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
        ret = failure(env, errno, "pipe");
        break;
      }
      /* Only our end is non-blocking: the service's is its own business. */
      fcntl(p[1], F_SETFL, 0);
      s.notify = p[0];
      s.src = p[1];
    } else {
      /* stdout and stderr are usually the same log: one open, then a dup, which has no path to walk. */
      for (long j = 0; j < nslots && s.src < 0; j++)
        if (specs[j * 3 + 1][0] == kind[0] && strcmp(specs[j * 3 + 2], path) == 0) s.src = fcntl(slots[j].src, F_DUPFD_CLOEXEC, 0);
      int flags = kind[0] == 'r' ? O_RDONLY : kind[0] == 'a' ? O_WRONLY | O_APPEND | O_CREAT : O_RDWR;
      if (s.src < 0) s.src = open(path, flags | O_CLOEXEC, 0600);
      if (s.src < 0) {
        ret = failure(env, errno, "open");
        break;
      }
    }
    slots[nslots++] = s;
  }
  if (ret) {
    close_slots(slots, nslots);
    free_strings(specs);
    return ret;
  }

  /* Every source descriptor is moved above every target, so no dup2 in the child clobbers a
     source it still needs. */
  int top = 2;
  for (long i = 0; i < nslots; i++)
    if (slots[i].target > top) top = slots[i].target;
  for (long i = 0; i < nslots; i++) {
    if (slots[i].src > top) continue;
    int moved = fcntl(slots[i].src, F_DUPFD_CLOEXEC, top + 1);
    if (moved < 0) {
      ret = failure(env, errno, "dup");
      close_slots(slots, nslots);
      free_strings(specs);
      return ret;
    }
    close(slots[i].src);
    slots[i].src = moved;
  }

  int notify = -1;
  for (long i = 0; i < nslots; i++)
    if (slots[i].notify >= 0) notify = slots[i].notify; /* one notification fd per service */
  struct watched *w = calloc(1, sizeof *w);
  char **cands = candidates(file, envp);
  int own_stack = __atomic_exchange_n(&shared_stack_busy, 1, __ATOMIC_ACQUIRE);
  char *stack = own_stack ? malloc(CHILD_STACK) : shared_stack;
  if (!w || !cands || !stack) {
    free(w);
    free_strings(cands);
    if (own_stack) free(stack);
    else __atomic_store_n(&shared_stack_busy, 0, __ATOMIC_RELEASE);
    close_slots(slots, nslots);
    free_strings(specs);
    return failure(env, ENOMEM, "fork");
  }

  struct child_args a = {cwd, slots, nslots, cands, argv, envp, 0, "exec"};
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
  free_strings(cands);
  for (long i = 0; i < nslots; i++) {
    close(slots[i].src);
    slots[i].src = -1;
  }
  free_strings(specs);

  if (pid < 0 || a.err) {
    if (pid < 0) ret = failure(env, fork_errno, "fork");
    else {
      siginfo_t si;
      waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
      close(pidfd);
      ret = failure(env, a.err, a.what);
    }
    close_slots(slots, nslots);
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
  size_t argc = 5;
  napi_value args[5];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  struct instance *inst = instance(env);
  if (!inst) return NULL;
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "launch(file, argv, cwd, env, slots)");
    return NULL;
  }
  char *file = get_string(env, args[0]);
  char **argv = get_strings(env, args[1], NULL);
  char *cwd = get_string(env, args[2]);
  char **envp = get_strings(env, args[3], NULL);
  napi_value ret = NULL;
  if (!file || !argv || !cwd || !envp) napi_throw_type_error(env, NULL, "launch(file: string, argv: string[], cwd: string, env: string[], slots: string[])");
  else ret = launch_impl(env, inst, file, argv, cwd, envp, args[4]);
  free(file);
  free_strings(argv);
  free(cwd);
  free_strings(envp);
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

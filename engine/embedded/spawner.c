/*
 * rcform-spawner: starts the embedded supervisor's services with vfork(2) on its behalf.
 *
 * Node's spawn() forks the whole supervisor: the kernel copies its page tables, the child's
 * exec tears them down again, and afterwards every page the supervisor writes takes a
 * copy-on-write fault, and it blocks the supervisor's event loop throughout (docs/benchmarks.md,
 * "Spawning: what was measured"). vfork shares the memory until exec, so a start costs little
 * more than the exec itself, and the supervisor never waits for it.
 *
 * The services are this program's children: it reports their pids, their readiness (a newline
 * on their notification fd) and their deaths, in that order for any one process. It exits at
 * once when its input closes (the supervisor stopped or was killed), leaving the services
 * running for the next supervisor to adopt, as when the supervisor itself dies.
 *
 * Input: requests, each a series of NUL-terminated fields:
 *   id cwd uid gid file argc argv... envc env... nfd (target kind path)...
 * uid, gid: the account the service runs as, decimal, or empty for the helper's own.
 * kind: 'r' open path read-only, 'a' open path for appending (created 0600), 'w' open path
 * read-write (a FIFO), 'n' a notification pipe (path empty), 'l' the lock file (launch.h). Target descriptors 0, 1 and 2 are
 * always given; every other descriptor of the helper, inherited or its own, is close-on-exec.
 * Output, one line each:
 *   P id pid usec     spawned; usec: the vfork and exec, timed here (the kernel's share)
 *   E id errno what   not spawned (what: open, pipe, dup, close_range, chdir, setgroups, setgid,
 *                     setuid, exec, fork)
 *   R pid             the service wrote a newline on its notification fd
 *   X pid code signal it died (code -1 when killed by a signal, signal 0 otherwise)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"

#define MAX_COUNT 65536

struct watch {
  int fd;
  pid_t pid;
};

static struct watch *watches;
static size_t nwatches, capwatches;

static void die(const char *what) {
  fprintf(stderr, "rcform-spawner: %s: %s\n", what, strerror(errno));
  exit(111);
}

static void out(const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  for (int off = 0; off < n;) {
    ssize_t w = write(1, line + off, (size_t)(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      exit(0); /* the supervisor is gone */
    }
    off += (int)w;
  }
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) die("out of memory");
  return q;
}

/* The next NUL-terminated field at *pos, or NULL when the request is not complete yet. */
static char *field(char *buf, size_t len, size_t *pos) {
  if (*pos >= len) return NULL;
  char *s = buf + *pos;
  char *nul = memchr(s, 0, len - *pos);
  if (!nul) return NULL;
  *pos = (size_t)(nul - buf) + 1;
  return s;
}

static int count(char *buf, size_t len, size_t *pos, long *n) {
  char *s = field(buf, len, pos);
  if (!s) return 0;
  char *end;
  *n = strtol(s, &end, 10);
  if (*end || *n < 0 || *n > MAX_COUNT) {
    fprintf(stderr, "rcform-spawner: malformed request\n");
    exit(112);
  }
  return 1;
}

/* Shared with the vfork child, which sets them before _exit when it cannot exec. */
static volatile int child_errno;
static const char *volatile child_what;

/* The vfork child, in a frame of its own (it runs in the helper's memory until exec). */
static __attribute__((noreturn, noinline)) void child(const char *cwd, struct slot *slots, long nslots, const struct launch_account *who, char **cands, char **argv, char **envp) {
  launch_child_exec(cwd, slots, nslots, who, cands, argv, envp, &child_errno, &child_what);
}

static void spawn_one(const char *id, const char *cwd, const struct launch_account *who, const char *file, char **argv, char **envp, struct slot *slots, long nslots) {
  char **cands = launch_candidates(file, envp);
  if (!cands) die("out of memory");
  if (launch_lift_sources(slots, nslots) < 0) {
    out("E %s %d dup\n", id, errno);
    launch_close_slots(slots, nslots);
    launch_free_strings(cands);
    return;
  }

  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  child_errno = 0;
  child_what = "exec";
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = vfork();
  if (pid == 0) child(cwd, slots, nslots, who, cands, argv, envp);
  int fork_errno = errno;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  sigprocmask(SIG_SETMASK, &old, NULL);
  launch_free_strings(cands);
  for (long i = 0; i < nslots; i++) close(slots[i].src);

  if (pid < 0 || child_errno) {
    if (pid < 0) out("E %s %d fork\n", id, fork_errno);
    else {
      waitpid(pid, NULL, 0);
      out("E %s %d %s\n", id, child_errno, child_what);
    }
    for (long i = 0; i < nslots; i++)
      if (slots[i].notify >= 0) close(slots[i].notify);
    return;
  }
  out("P %s %d %ld\n", id, (int)pid, (long)((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000));
  for (long i = 0; i < nslots; i++) {
    if (slots[i].notify < 0) continue;
    if (nwatches == capwatches) {
      capwatches = capwatches ? capwatches * 2 : 64;
      watches = xrealloc(watches, capwatches * sizeof *watches);
    }
    watches[nwatches].fd = slots[i].notify;
    watches[nwatches].pid = pid;
    nwatches++;
  }
}

/* Handles one complete request at the start of buf; returns its length, or 0 when incomplete. */
static size_t handle(char *buf, size_t len) {
  size_t pos = 0;
  char *id = field(buf, len, &pos);
  char *cwd = id ? field(buf, len, &pos) : NULL;
  char *uid = cwd ? field(buf, len, &pos) : NULL;
  char *gid = uid ? field(buf, len, &pos) : NULL;
  char *file = gid ? field(buf, len, &pos) : NULL;
  long argc, envc, nfd;
  if (!file || !count(buf, len, &pos, &argc)) return 0;
  char **argv = xrealloc(NULL, (size_t)(argc + 1) * sizeof *argv);
  for (long i = 0; i < argc; i++)
    if (!(argv[i] = field(buf, len, &pos))) return free(argv), 0;
  argv[argc] = NULL;
  if (!count(buf, len, &pos, &envc)) return free(argv), 0;
  char **envp = xrealloc(NULL, (size_t)(envc + 1) * sizeof *envp);
  for (long i = 0; i < envc; i++)
    if (!(envp[i] = field(buf, len, &pos))) return free(argv), free(envp), 0;
  envp[envc] = NULL;
  if (!count(buf, len, &pos, &nfd)) return free(argv), free(envp), 0;
  if (nfd > LAUNCH_MAX_FDS) {
    fprintf(stderr, "rcform-spawner: malformed request\n");
    exit(112);
  }
  char *specs[LAUNCH_MAX_FDS * 3];
  for (long i = 0; i < nfd * 3; i++)
    if (!(specs[i] = field(buf, len, &pos))) return free(argv), free(envp), 0;

  struct slot slots[LAUNCH_MAX_FDS];
  const char *what = "open";
  long nslots = launch_open_slots(specs, nfd, slots, &what);
  if (nslots < 0) out("E %s %d %s\n", id, errno, what);
  else {
    struct launch_account who = {launch_id(uid), launch_id(gid)};
    spawn_one(id, cwd, &who, file, argv, envp, slots, nslots);
  }
  free(argv);
  free(envp);
  return pos;
}

static void drop_watch(size_t i) {
  close(watches[i].fd);
  watches[i] = watches[--nwatches];
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");
  /* Whatever the supervisor inherited and let through (a pipe of whoever started it) is not
     the services' business: they get exactly the descriptors asked for. */
  DIR *fds = opendir("/proc/self/fd");
  if (fds) {
    for (struct dirent *e; (e = readdir(fds));)
      if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(fds)) fcntl(atoi(e->d_name), F_SETFD, FD_CLOEXEC);
    closedir(fds);
  }

  char *buf = NULL;
  size_t len = 0, cap = 0;
  struct pollfd *pfds = NULL;
  size_t cappfds = 0;
  for (;;) {
    if (cappfds < nwatches + 2) {
      cappfds = nwatches + 64;
      pfds = xrealloc(pfds, cappfds * sizeof *pfds);
    }
    pfds[0] = (struct pollfd){0, POLLIN, 0};
    pfds[1] = (struct pollfd){sfd, POLLIN, 0};
    size_t nw = nwatches;
    for (size_t i = 0; i < nw; i++) pfds[i + 2] = (struct pollfd){watches[i].fd, POLLIN, 0};
    if (poll(pfds, nw + 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }

    /* Readiness before deaths: a service that notified and then died did both, in that order. */
    for (size_t i = nw; i-- > 0;) {
      if (!pfds[i + 2].revents) continue;
      char chunk[512];
      ssize_t r = read(watches[i].fd, chunk, sizeof chunk);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r > 0 && !memchr(chunk, '\n', (size_t)r)) continue;
      if (r > 0) out("R %d\n", (int)watches[i].pid);
      drop_watch(i);
    }

    if (pfds[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
      }
      int st;
      pid_t pid;
      while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        /* A pid can be recycled: its old notification pipe must not speak for the next one. */
        for (size_t i = nwatches; i-- > 0;)
          if (watches[i].pid == pid) drop_watch(i);
        if (WIFSIGNALED(st)) out("X %d -1 %d\n", (int)pid, WTERMSIG(st));
        else out("X %d %d 0\n", (int)pid, WEXITSTATUS(st));
      }
    }

    if (pfds[0].revents) {
      if (cap - len < 65536) {
        cap = cap ? cap * 2 : 131072;
        buf = xrealloc(buf, cap);
      }
      ssize_t r = read(0, buf + len, cap - len);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return 0; /* the supervisor is gone: the services stay for the next one */
      len += (size_t)r;
      size_t used;
      while (len > 0 && (used = handle(buf, len)) > 0) {
        memmove(buf, buf + used, len - used);
        len -= used;
      }
    }
  }
}

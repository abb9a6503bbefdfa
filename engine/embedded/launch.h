/*
 * How rcform-spawner (spawner.c, the embedded supervisor's helper process) starts a service,
 * apart from its protocol with the supervisor. Every function is static.
 *
 * A start: the descriptors it asks for are opened here (launch_open_slots), moved above every
 * target (launch_lift_sources), the program's candidates found on its PATH (launch_candidates),
 * then the vfork child runs launch_child_exec. Failures are errno values with the step that
 * failed: open, pipe, dup, close_range, chdir, setgroups, setgid, setuid, exec.
 *
 * A launch may name a launch record (kind 'p', target -1): a file the child itself writes its pid
 * and the boot-clock time into before it does anything else, so that the record is on disk before
 * the program can run, whatever happens to the launcher meanwhile (docs/engine.md: the supervisor
 * killed and started again).
 */
#ifndef RCFORM_LAUNCH_H
#define RCFORM_LAUNCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define LAUNCH_MAX_FDS 1024

/* The account a service runs as (its `user` and `group`); -1: the launcher's own. */
struct launch_account {
  long uid;
  long gid;
};

/* "" or "-1": none; otherwise a decimal id. Ids come from the supervisor, which resolved them. */
static long launch_id(const char *s) {
  return s[0] ? strtol(s, NULL, 10) : -1;
}

struct slot {
  int target; /* -1: the launch record, not a descriptor of the new process */
  int src;
  int notify; /* the read end kept by the launcher, for kind 'n'; -1 otherwise */
};

/* The launch record's length: "PID BOOTNS", padded with spaces and a newline, written in one
   pwrite at offset 0 over the previous launch's, so that it is never seen empty or torn. */
#define LAUNCH_RECORD_LEN 48

static void launch_close_slots(struct slot *slots, long n) {
  for (long i = 0; i < n; i++) {
    if (slots[i].src >= 0) close(slots[i].src);
    if (slots[i].notify >= 0) close(slots[i].notify);
  }
}

/*
 * Opens the slots of a request: specs is nfd triples (target, kind, path). kind: 'r' path
 * read-only, 'a' path for appending (created 0600), 'w' path read-write (a FIFO), 'n' a
 * notification pipe (path empty), whose read end (non-blocking) stays with the launcher, 'l' the
 * service's lock file (lock_fd, created 0600), locked here: the lock belongs to the open file, so
 * it lasts as long as any process of the service keeps the descriptor. Held already, by processes
 * of an earlier instance that outlived it, the launch fails ("lock", EWOULDBLOCK): s6-supervise's
 * child would wait for it, and a vfork child that blocked would block its launcher with it. 'p':
 * the launch record (target -1; created 0600, written by the child).
 * Returns the number of slots; on failure -1, *what set, errno kept, and nothing left open.
 */
static long launch_open_slots(char *const *specs, long nfd, struct slot *slots, const char **what) {
  long n = 0;
  for (long i = 0; i < nfd; i++) {
    const char *kind = specs[i * 3 + 1], *path = specs[i * 3 + 2];
    struct slot s = {atoi(specs[i * 3]), -1, -1};
    if (kind[0] == 'n') {
      int p[2];
      if (pipe2(p, O_CLOEXEC) < 0) {
        *what = "pipe";
        goto fail;
      }
      /* Only the launcher's end is non-blocking: the service's is its own business. */
      fcntl(p[0], F_SETFL, O_NONBLOCK);
      s.notify = p[0];
      s.src = p[1];
    } else if (kind[0] == 'l') {
      s.src = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (s.src < 0) {
        *what = "open";
        goto fail;
      }
      if (flock(s.src, LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        close(s.src);
        errno = err;
        *what = "lock";
        goto fail;
      }
    } else {
      /* stdout and stderr are usually the same log: one open, then a dup, which has no path to walk. */
      for (long j = 0; j < n && s.src < 0; j++)
        if (specs[j * 3 + 1][0] == kind[0] && strcmp(specs[j * 3 + 2], path) == 0) s.src = fcntl(slots[j].src, F_DUPFD_CLOEXEC, 0);
      int flags = kind[0] == 'r' ? O_RDONLY : kind[0] == 'a' ? O_WRONLY | O_APPEND | O_CREAT : kind[0] == 'p' ? O_WRONLY | O_CREAT | O_NOFOLLOW : O_RDWR;
      if (s.src < 0) s.src = open(path, flags | O_CLOEXEC, 0600);
      if (s.src < 0) {
        *what = "open";
        goto fail;
      }
    }
    slots[n++] = s;
  }
  return n;
fail: {
  int err = errno;
  launch_close_slots(slots, n);
  errno = err;
  return -1;
}
}

/* Every source descriptor is moved above every target, so that no dup2 in the child clobbers a
   source it still needs. 0, or -1 with errno (and the slots still open). */
static int launch_lift_sources(struct slot *slots, long n) {
  int top = 2;
  for (long i = 0; i < n; i++)
    if (slots[i].target > top) top = slots[i].target;
  for (long i = 0; i < n; i++) {
    if (slots[i].src > top) continue;
    int moved = fcntl(slots[i].src, F_DUPFD_CLOEXEC, top + 1);
    if (moved < 0) return -1;
    close(slots[i].src);
    slots[i].src = moved;
  }
  return 0;
}

static void launch_free_strings(char **s) {
  if (!s) return;
  for (char **p = s; *p; p++) free(*p);
  free(s);
}

/* The program's candidates on the child's PATH, as execvp(3) would try them; NULL-terminated,
   or NULL when memory ran out. Worked out before the vfork: the child may not allocate. */
static char **launch_candidates(const char *file, char **envp) {
  size_t n = 0, cap = 4;
  char **cands = malloc(cap * sizeof *cands);
  if (!cands) return NULL;
  cands[0] = NULL;
  if (strchr(file, '/')) {
    if (!(cands[n++] = strdup(file))) goto oom;
  } else {
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (char **e = envp; *e; e++)
      if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
    for (const char *p = path;;) {
      const char *colon = strchr(p, ':');
      size_t dl = colon ? (size_t)(colon - p) : strlen(p);
      if (n + 2 > cap) {
        char **more = realloc(cands, 2 * cap * sizeof *cands);
        if (!more) goto oom;
        cands = more;
        cap *= 2;
      }
      char *c = malloc(dl + strlen(file) + 2);
      if (!c) goto oom;
      if (dl == 0) strcpy(c, file);
      else {
        memcpy(c, p, dl);
        c[dl] = '/';
        strcpy(c + dl + 1, file);
      }
      cands[n++] = c;
      cands[n] = NULL;
      if (!colon) break;
      p = colon + 1;
    }
  }
  cands[n] = NULL;
  return cands;
oom:
  cands[n] = NULL;
  launch_free_strings(cands);
  return NULL;
}

/* Writes "PID BOOTNS" to the launch record: no allocation, no stdio, as the vfork child may. */
static void launch_write_record(int fd) {
  char rec[LAUNCH_RECORD_LEN], digits[24];
  struct timespec now;
  clock_gettime(CLOCK_BOOTTIME, &now);
  unsigned long long v[2] = {(unsigned long long)syscall(SYS_getpid), (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec};
  int n = 0;
  for (int k = 0; k < 2; k++) {
    int d = 0;
    do digits[d++] = (char)('0' + v[k] % 10);
    while ((v[k] /= 10) > 0);
    while (d > 0) rec[n++] = digits[--d];
    rec[n++] = k == 0 ? ' ' : '\n';
  }
  /* Padded over whatever a longer previous record left; the reader stops at the newline. */
  while (n < LAUNCH_RECORD_LEN) rec[n++] = ' ';
  rec[LAUNCH_RECORD_LEN - 1] = '\n';
  while (pwrite(fd, rec, LAUNCH_RECORD_LEN, 0) < 0 && errno == EINTR) {
  }
}

/* The kernel's sigset: 64 bits on every architecture Linux runs Node on. */
#define LAUNCH_SIGSET_BYTES 8

/*
 * The vfork child, in the launcher's memory until exec: system calls only, no allocation, no
 * lock that another thread of the launcher might hold. When it cannot exec it sets *err and
 * *what (the launcher reads them once the child is gone) and exits 127. Signals are blocked by
 * the launcher around the vfork; the child unblocks them once every handler is back to default.
 * The mask and the dispositions are set with raw system calls, not glibc's wrappers: those refuse
 * glibc's own two real-time signals, and a lazily bound wrapper's first call would run the dynamic
 * linker here, in the launcher's memory.
 */
static __attribute__((noreturn)) void launch_child_exec(const char *cwd, const struct slot *slots, long nslots, const struct launch_account *who, char **cands, char **argv, char **envp, volatile int *err, const char *volatile *what) {
  /* First of all: from here on a process exists that will run the service. */
  for (long i = 0; i < nslots; i++)
    if (slots[i].target < 0) launch_write_record(slots[i].src);
  /* The kernel's struct sigaction: handler, flags, restorer, mask. SIG_DFL needs no restorer. */
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long long mask;
  } dfl = {SIG_DFL, 0, NULL, 0};
  /* The launcher's handlers (Node's SIGINT, SIGTERM, libuv's SIGCHLD...) mean nothing in the service. */
  for (int s = 1; s <= 64; s++)
    if (s != SIGKILL && s != SIGSTOP) syscall(SYS_rt_sigaction, s, &dfl, NULL, LAUNCH_SIGSET_BYTES);
  /* Whatever the launcher inherited and let through is not the service's business: it gets
     exactly the slots it asked for. dup2 below clears the flag on the targets. */
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    *err = errno;
    *what = "close_range";
    _exit(127);
  }
  /* A new session, hence its own process group: down signals the whole group. */
  setsid();
  if (chdir(cwd) < 0) {
    *err = errno;
    *what = "chdir";
    _exit(127);
  }
  for (long i = 0; i < nslots; i++) {
    if (slots[i].target < 0) continue;
    if (dup2(slots[i].src, slots[i].target) < 0) {
      *err = errno;
      *what = "dup";
      _exit(127);
    }
  }
  /* Another account, as Node's spawn() (libuv) did it for these services before: no
     supplementary groups, then the group, then the user, after every descriptor is open (the
     log, a script handed over by descriptor: the account may not be able to open them).
     Raw system calls: glibc's wrappers apply a change of ids to every thread of the process,
     by signalling them, and the launcher's threads are not this process's. */
  if (who->uid >= 0 || who->gid >= 0) {
    if (syscall(SYS_setgroups, 0, NULL) < 0 && errno != EPERM) {
      *err = errno;
      *what = "setgroups";
      _exit(127);
    }
    if (who->gid >= 0 && syscall(SYS_setgid, (gid_t)who->gid) < 0) {
      *err = errno;
      *what = "setgid";
      _exit(127);
    }
    if (who->uid >= 0 && syscall(SYS_setuid, (uid_t)who->uid) < 0) {
      *err = errno;
      *what = "setuid";
      _exit(127);
    }
  }
  unsigned long long none = 0;
  if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, LAUNCH_SIGSET_BYTES) < 0) {
    *err = errno;
    *what = "sigprocmask";
    _exit(127);
  }
  int e = ENOENT;
  for (char **c = cands; *c; c++) {
    execve(*c, argv, envp);
    if (errno != ENOENT && errno != ENOTDIR) e = errno;
  }
  *err = e;
  *what = "exec";
  _exit(127);
}

#endif

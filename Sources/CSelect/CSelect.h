// Small C helpers over libc that Swift cannot express directly or safely.
// Every symbol is prefixed cselect_ and is static inline: this header is the whole module.
#ifndef CSELECT_H
#define CSELECT_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

// ---- fd sets of any size -------------------------------------------------------------------------
// glibc's FD_SET aborts under _FORTIFY_SOURCE past FD_SETSIZE (1024). The kernel's select() takes any
// nfds, reading ceil(nfds / bits-per-long) words, so we keep our own words and do the arithmetic here.

typedef unsigned long cselect_word;

static inline size_t cselect_fdset_word_count(int nfds) {
    size_t bits = sizeof(cselect_word) * 8;
    return ((size_t)nfds + bits - 1) / bits;
}

static inline size_t cselect_fdset_word_index(int fd) {
    return (size_t)fd / (sizeof(cselect_word) * 8);
}

static inline cselect_word cselect_fdset_bit(int fd) {
    return (cselect_word)1 << ((size_t)fd % (sizeof(cselect_word) * 8));
}

/// select() over caller-owned word arrays (NULL for an unused set); timeout_us < 0 waits forever.
/// Returns select()'s result; -1 with EINTR when a signal arrived.
static inline int cselect_select(int nfds, cselect_word *readable, cselect_word *writable, long long timeout_us) {
    struct timeval tv;
    struct timeval *tvp = NULL;
    if (timeout_us >= 0) {
        tv.tv_sec = (time_t)(timeout_us / 1000000);
        tv.tv_usec = (suseconds_t)(timeout_us % 1000000);
        tvp = &tv;
    }
    return select(nfds, (fd_set *)(void *)readable, (fd_set *)(void *)writable, NULL, tvp);
}

// ---- descriptors ---------------------------------------------------------------------------------

/// The only fcntl the brief allows.
static inline int cselect_set_nonblocking(int fd) {
    return fcntl(fd, F_SETFL, O_NONBLOCK);
}

static inline int cselect_errno(void) { return errno; }

/// Raises the soft descriptor limit to the hard one; returns the new soft limit (or the old on failure).
static inline long cselect_raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1048576L : (long)rl.rlim_cur;
}

// ---- signals -------------------------------------------------------------------------------------
// One flag per kind of signal, so a stop, a reload and a reopen arriving together are all seen.
// weak: one set of flags for the whole program whichever object files include this header.

__attribute__((weak)) volatile sig_atomic_t cselect_stop_received = 0;
__attribute__((weak)) volatile sig_atomic_t cselect_reload_received = 0;
__attribute__((weak)) volatile sig_atomic_t cselect_reopen_received = 0;

static inline void cselect_on_signal(int sig) {
    if (sig == SIGHUP) cselect_reload_received = 1;
    else if (sig == SIGUSR1) cselect_reopen_received = 1;
    else cselect_stop_received = 1;
}

/// SIGPIPE ignored (a vanished client is a byte count, not a death); SIGXFSZ ignored (a write past
/// RLIMIT_FSIZE fails with EFBIG and the upload gets a 507, like a full disk); SIGINT/SIGTERM (stop),
/// SIGHUP (reload the configuration) and SIGUSR1 (reopen the logs) set a flag and interrupt select()
/// (no SA_RESTART).
static inline void cselect_install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGXFSZ, &sa, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cselect_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    // A parent may have started us with these blocked (test runners do): they must reach us.
    sigset_t handled;
    sigemptyset(&handled);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGTERM);
    sigaddset(&handled, SIGHUP);
    sigaddset(&handled, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &handled, NULL);
}

/// Whether the flag was set since the last call, clearing it.
static inline int cselect_take_flag(volatile sig_atomic_t *flag) {
    int set = *flag;
    *flag = 0;
    return set;
}

/// SIGINT or SIGTERM arrived since the last call.
static inline int cselect_take_stop_signal(void) { return cselect_take_flag(&cselect_stop_received); }
/// SIGHUP arrived since the last call.
static inline int cselect_take_reload_signal(void) { return cselect_take_flag(&cselect_reload_received); }
/// SIGUSR1 arrived since the last call.
static inline int cselect_take_reopen_signal(void) { return cselect_take_flag(&cselect_reopen_received); }

// ---- processes -----------------------------------------------------------------------------------

/// fork → dup2 stdin/stdout/stderr → close every other descriptor → chdir → execve → _exit(127).
/// The child runs no Swift code: only async-signal-safe libc calls between fork and execve.
/// Returns the child's pid, or -1 when fork failed.
static inline pid_t cselect_spawn(const char *path, char *const argv[], char *const envp[], const char *dir,
                                  int stdin_fd, int stdout_fd, int stderr_fd) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGXFSZ, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    if (dup2(stdin_fd, 0) < 0 || dup2(stdout_fd, 1) < 0 || dup2(stderr_fd, 2) < 0) _exit(127);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
    {
        long max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536) max = 65536;
        for (int fd = 3; fd < max; fd++) close(fd);
    }
    if (dir != NULL && chdir(dir) != 0) _exit(127);
    execve(path, argv, envp);
    _exit(127);
}

static inline int cselect_wifexited(int status) { return WIFEXITED(status); }
static inline int cselect_wexitstatus(int status) { return WEXITSTATUS(status); }
static inline int cselect_wifsignaled(int status) { return WIFSIGNALED(status); }
static inline int cselect_wtermsig(int status) { return WTERMSIG(status); }

#endif

/* sandbox.c — the namespaces + rlimits + seccomp sandbox of sandboxInt.h.
 *
 * Design. The caller clone()s one process into new mount, PID, network, IPC,
 * UTS and cgroup namespaces (plus a user namespace when the caller is not
 * root). That process is PID 1 of its namespace; it builds the sandbox's
 * root and then only watches: it forks the program, waits for it, and exits
 * with its status. When PID 1 exits, the kernel kills everything left in the
 * namespace, so nothing the program started (setsid() or not) outlives it.
 *
 * Building the root: every host path to show is opened first (O_PATH), then
 * a tmpfs is mounted over /tmp in the private mount namespace and becomes
 * the new root; each path is bind-mounted into it from /proc/self/fd/N
 * (so the tmpfs hiding host /tmp does not matter), read-only ones remounted
 * read-only with the flags the kernel locks kept; then pivot_root, and the
 * root itself goes read-only.
 *
 * The program: a new session, rlimits, the unprivileged uid (root caller)
 * with no supplementary groups, no_new_privs, the seccomp filter, the
 * caller's descriptors at 0..n-1 and none other, then execve.
 *
 * The processes made by clone() here take no lock of the C library: the
 * caller may have threads (the web server compiles uploads from its pool),
 * and a lock another thread held at clone time stays held in the copy for
 * good. So they run no malloc (the seccomp program is compiled by libseccomp
 * in the caller, before clone, and loaded with prctl in the program's
 * process); PID 1 makes the program with the clone system call, not the C
 * library's fork(), which takes the atfork, stdio and malloc locks of a
 * threaded process (a compile stuck at its 120 s limit now and then, on a
 * loaded server: test_sandbox_threads); and the program changes its ids
 * with the system calls, not the C library's setresuid() and kin, which in
 * a threaded process take the thread list's lock to signal every thread.
 */
#define _GNU_SOURCE /* clone, unshare, pivot_root's flags, setresuid */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/fs.h> /* RWF_NOWAIT */
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "sandbox/sandboxInt.h"

/* Sanitizer builds (tests): LeakSanitizer stops the world with ptrace, and
   AddressSanitizer reserves terabytes of address space. */
#if defined(__SANITIZE_ADDRESS__)
#define RAMP__SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RAMP__SANITIZED 1
#endif
#endif

#define SETUP_FAILED 125
#define MAX_PATHS 96
#define STACK_BYTES (256u << 10)

/* System folders shown read-only (a symlink, as /bin on merged-/usr
   systems, is recreated as the same symlink). */
static const char *const system_dirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};
/* Of /usr/share (and /usr/local/share), where packages put data sets and
   documents (Debian's dataset-fashion-mnist: /usr/share/datasets), only
   what programs read at run time is shown: an empty folder covers the rest. */
static const char *const share_hidden[] = {"/usr/share", "/usr/local/share"};
static const char *const share_shown[] = {"/usr/share/zoneinfo", "/usr/share/locale",
                                          "/usr/share/fonts", "/usr/share/fontconfig",
                                          "/usr/share/terminfo", "/usr/share/mime",
                                          "/usr/share/misc", "/usr/share/python3",
                                          "/usr/share/python-wheels", "/usr/share/X11"};
/* /etc entries the dynamic loader, compilers and Python need; nothing that
   names the host's users, services or credentials. */
static const char *const etc_entries[] = {"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
                                          "/etc/alternatives", "/etc/localtime", "/etc/timezone",
                                          "/etc/python3", "/etc/python3.11"};
static const char *const dev_nodes[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                        "/dev/urandom"};
/* With opts.gpu, NVIDIA's device nodes, those of them the host has: the
   control and unified-memory nodes the CUDA driver opens, one node per GPU,
   and the capability folder of MIG slices; nothing else of the host's /dev
   (nor /sys, /proc/driver: the sandbox's own /proc shows the driver's
   version file). */
static const char *const gpu_nodes[] = {
    "/dev/nvidiactl",  "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset",
    "/dev/nvidia-caps", "/dev/nvidia0",   "/dev/nvidia1",          "/dev/nvidia2",
    "/dev/nvidia3",    "/dev/nvidia4",    "/dev/nvidia5",          "/dev/nvidia6",
    "/dev/nvidia7",    "/dev/nvidia8",    "/dev/nvidia9",          "/dev/nvidia10",
    "/dev/nvidia11",   "/dev/nvidia12",   "/dev/nvidia13",         "/dev/nvidia14",
    "/dev/nvidia15"};

/* One path to show: opened in the caller's view, mounted in the new root. */
typedef struct shown {
    const char *src;   /* NULL: an empty read-only folder */
    int fd;            /* O_PATH (opened inside, before the new root hides
                          anything), or -1 for a symlink */
    char link[256];    /* the symlink's target */
    const char *dst;
    int is_dir, writable;
} shown;

typedef struct child_arg {
    const ramp__sandbox_opts *o;
    const char *exe;
    char *const *argv;
    int root_caller;
    uid_t outer_uid;
    gid_t outer_gid;
    uint32_t uid, gid;
    shown paths[MAX_PATHS];
    int n_paths;
    struct sock_fprog *filter;
    int err_fd; /* the caller's stderr for set-up errors, or -1 */
    int go[2];  /* the caller says "go" once the control group is made */
} child_arg;

/* ---- inside the new processes: no malloc from here on -------------------- */

/* fork() by the system call alone (see the design note): no atfork
   handlers, no lock taken. The child returns on a copy of this stack, as
   from fork(). (Every architecture Debian builds takes the flags first.) */
static pid_t raw_fork(void)
{
    return (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, 0UL, 0UL, 0UL);
}

/* errno's text without the C library's translation machinery (and its
   locks: see the design note) */
static const char *err_text(int e)
{
#ifdef __GLIBC__
    const char *t = strerrordesc_np(e);
    return t ? t : "unknown error";
#else
    return strerror(e);
#endif
}

static void die(const child_arg *a, const char *what, const char *path)
{
    if (a->err_fd >= 0) {
        char line[1024];
        int n = snprintf(line, sizeof line, "sandbox: %s %s: %s\n", what, path ? path : "",
                         err_text(errno));
        if (n > 0) {
            ssize_t w = write(a->err_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
            (void)w;
        }
    }
    _exit(SETUP_FAILED);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int create_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    ssize_t n = text ? write(fd, text, strlen(text)) : 0;
    close(fd);
    return text && n != (ssize_t)strlen(text) ? -1 : 0;
}

/* mkdir -p within the new root (path is absolute, under root). */
static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int r = mkdir(path, 0755);
        *p = '/';
        if (r != 0 && errno != EEXIST) return -1;
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* Bind-mounts fd onto target; read-only unless writable, keeping the flags
   the kernel locks on the source (nosuid, nodev, noexec). */
static int bind_fd(int fd, const char *target, int writable)
{
    char src[64];
    snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
    if (mount(src, target, NULL, MS_BIND, NULL) != 0) return -1;
    struct statvfs sv;
    if (statvfs(target, &sv) != 0) return -1;
    unsigned long fl = MS_BIND | MS_REMOUNT | MS_NOSUID;
    if (!writable || (sv.f_flag & ST_RDONLY)) fl |= MS_RDONLY;
    if (sv.f_flag & ST_NODEV) fl |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) fl |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) fl |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) fl |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) fl |= MS_RELATIME;
    return mount(NULL, target, NULL, fl, NULL);
}

static void set_limit(int res, uint64_t v)
{
    struct rlimit rl = {(rlim_t)v, (rlim_t)v};
    setrlimit(res, &rl);
}

/* The program's process: session, limits, identity, filter, descriptors. */
static void program(child_arg *a)
{
    const ramp__sandbox_opts *o = a->o;
    setsid();
#ifndef RAMP__SANITIZED
    /* not with a GPU: the CUDA driver reserves far more address space than
       it uses (the memory is then bounded by the control group alone) */
    if (o->mem_bytes && !o->gpu) set_limit(RLIMIT_AS, o->mem_bytes);
#endif
    if (o->cpu_seconds > 0) set_limit(RLIMIT_CPU, (uint64_t)(o->cpu_seconds + 0.999));
    uint64_t tmp = o->tmp_bytes ? o->tmp_bytes : (uint64_t)1 << 30;
    set_limit(RLIMIT_FSIZE, o->file_bytes ? o->file_bytes : tmp);
    set_limit(RLIMIT_NPROC, (uint64_t)(o->max_procs > 0 ? o->max_procs : 4096));
    set_limit(RLIMIT_NOFILE, (uint64_t)(o->max_files > 0 ? o->max_files : 1024));
    set_limit(RLIMIT_CORE, 0);
    /* GPU folds too: the page-locked memory CUDA gives (cudaHostAlloc, the
       loader's pin_memory buffers) is locked by the NVIDIA driver outside
       the mlock accounting, so this limit does not hold it back (the
       memory control group counts it); mlock itself stays out of reach.
       test_sandbox_dev_gpu checks 256 MiB of it under this limit. */
    set_limit(RLIMIT_MEMLOCK, (uint64_t)64 << 10);
    set_limit(RLIMIT_MSGQUEUE, 0);
    if (a->root_caller) {
        /* this process has one thread: the system calls suffice (above) */
        if (syscall(SYS_setgroups, 0, NULL) != 0) die(a, "setgroups", NULL);
        if (syscall(SYS_setresgid, a->gid, a->gid, a->gid) != 0) die(a, "setresgid", NULL);
        if (syscall(SYS_setresuid, a->uid, a->uid, a->uid) != 0) die(a, "setresuid", NULL);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die(a, "no_new_privs", NULL);
    /* the caller's descriptors: first out of the way, then into 0..n-1 */
    int n = o->n_fds > 0 ? o->n_fds : 0;
    int moved[16];
    if (n > 16) n = 16;
    for (int i = 0; i < n; i++) {
        int fd = o->fds[i];
        moved[i] = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 64) : open("/dev/null", O_RDWR | O_CLOEXEC);
        if (moved[i] < 0) die(a, "descriptor", NULL);
    }
    for (int i = 0; i < n; i++)
        if (dup2(moved[i], i) < 0) die(a, "dup2", NULL);
    a->err_fd = 2; /* from here on, set-up errors go to the program's stderr */
    for (int i = n; i < 3; i++) { /* stdin/out/err always exist */
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0 && fd != i) {
            dup2(fd, i);
            close(fd);
        }
    }
    int first = n > 3 ? n : 3;
    syscall(SYS_close_range, (unsigned)first, ~0U, 0U);
    if (o->mode == RAMP__SANDBOX_ON) {
        const char *cwd = o->cwd ? o->cwd : "/tmp";
        if (chdir(cwd) != 0) die(a, "chdir", cwd);
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, a->filter, 0, 0) != 0)
            die(a, "seccomp", NULL);
    } else if (o->cwd && chdir(o->cwd) != 0) {
        die(a, "chdir", o->cwd);
    }
    static char *const empty_env[] = {NULL};
    execve(a->exe, a->argv, o->envp ? o->envp : empty_env);
    die(a, "cannot run", a->exe);
}

/* PID 1 is a clone of the caller, so its memory holds the caller's command
   line (a store's URI, a data path), and /proc/1/cmdline is readable by the
   program: it is zeroed. (The environment is kept: the program's own is
   built from it; /proc/1/environ is closed to the program, as PID 1 is not
   dumpable.) The place comes from /proc/self/stat (fields 48 and 49). */
static int inside(const void *p, unsigned long long lo, unsigned long long hi)
{
    return p && (uintptr_t)p >= lo && (uintptr_t)p < hi;
}

static void forget_caller_args(const child_arg *a)
{
    char st[4096];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, st, sizeof st - 1);
    close(fd);
    if (n <= 0) return;
    st[n] = '\0';
    char *p = strrchr(st, ')');
    if (!p) return;
    unsigned long long v[52] = {0};
    int field = 2; /* ')' ends field 2 */
    for (p++; *p && field < 51;) { /* fields 3 on: a letter, then numbers */
        while (*p == ' ') p++;
        field++;
        v[field] = strtoull(p, NULL, 10);
        while (*p && *p != ' ') p++;
    }
    if (field < 51) return;
    unsigned long long lo = v[48], hi = v[49];
    if (!lo || hi <= lo || hi - lo >= ((unsigned long long)1 << 24)) return;
    /* not when what the program needs lives there (a caller passing its own
       argv strings along) */
    if (inside(a->exe, lo, hi) || inside(a->o->cwd, lo, hi)) return;
    for (size_t i = 0; a->argv[i]; i++)
        if (inside(a->argv[i], lo, hi)) return;
    for (size_t i = 0; a->o->envp && a->o->envp[i]; i++)
        if (inside(a->o->envp[i], lo, hi)) return;
    memset((void *)(uintptr_t)lo, 0, (size_t)(hi - lo));
}

/* PID 1 of the sandbox: builds the root, starts the program, mirrors its end. */
static int sandbox_init(void *arg)
{
    child_arg *a = arg;
    const ramp__sandbox_opts *o = a->o;
    char buf[512];
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* the sandbox dies with its caller */
    close(a->go[1]);
    char go;
    while (read(a->go[0], &go, 1) < 0 && errno == EINTR) {
    }
    close(a->go[0]);
    if (!a->root_caller) {
        /* map our own uid/gid to themselves inside the new user namespace */
        if (write_file("/proc/self/setgroups", "deny") != 0) die(a, "setgroups deny", NULL);
        snprintf(buf, sizeof buf, "%u %u 1\n", (unsigned)a->outer_uid, (unsigned)a->outer_uid);
        if (write_file("/proc/self/uid_map", buf) != 0) die(a, "uid_map", NULL);
        snprintf(buf, sizeof buf, "%u %u 1\n", (unsigned)a->outer_gid, (unsigned)a->outer_gid);
        if (write_file("/proc/self/gid_map", buf) != 0) die(a, "gid_map", NULL);
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die(a, "make / private", NULL);
    /* root's sandbox user: one uid per sandbox, from this process's PID on
       the host (read while the host's /proc is still mounted), so that no
       two sandboxes share a process limit or can signal each other */
    if (a->root_caller && a->uid == 0) {
        char self[32];
        ssize_t k = readlink("/proc/self", self, sizeof self - 1);
        if (k <= 0) die(a, "readlink", "/proc/self");
        self[k] = '\0';
        unsigned long host_pid = strtoul(self, NULL, 10);
        if (host_pid == 0 || host_pid > RAMP__SANDBOX_UID_SPAN) die(a, "host pid", self);
        a->uid = a->gid = (uint32_t)(RAMP__SANDBOX_UID_BASE + host_pid);
    }
    /* every path to show is opened while it is visible (its writable ones
       given to the sandbox's user); then /tmp becomes the new root */
    for (int i = 0; i < a->n_paths; i++) {
        shown *s = &a->paths[i];
        if (s->fd < 0) continue; /* a symlink, or an empty folder */
        s->fd = open(s->src, O_PATH | O_CLOEXEC);
        if (s->fd < 0) die(a, "open", s->src);
        if (s->writable && a->root_caller && s->is_dir &&
            fchownat(s->fd, "", a->uid, a->gid, AT_EMPTY_PATH) != 0)
            die(a, "chown", s->src);
    }
    const char *root = "/tmp";
    if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m") != 0)
        die(a, "mount tmpfs", root);
    char path[4200];
    for (int i = 0; i < a->n_paths; i++) {
        const shown *s = &a->paths[i];
        snprintf(path, sizeof path, "%s%s", root, s->dst);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        if (slash != path && mkdirs(path) != 0) die(a, "mkdir", path);
        *slash = '/';
        if (s->fd == -2) {
            /* read-only once the mount points in it are made (below) */
            if (mkdirs(path) != 0 ||
                mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                      "size=64k,mode=0555") != 0)
                die(a, "empty folder", s->dst);
            continue;
        }
        if (s->fd < 0) {
            if (symlink(s->link, path) != 0) die(a, "symlink", path);
            continue;
        }
        if (s->is_dir ? mkdirs(path) != 0 : create_file(path, NULL) != 0) die(a, "mount point", path);
        if (bind_fd(s->fd, path, s->writable) != 0) die(a, "bind", s->dst);
    }
    for (int i = 0; i < a->n_paths; i++) {
        if (a->paths[i].fd != -2) continue;
        snprintf(path, sizeof path, "%s%s", root, a->paths[i].dst);
        if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV |
                  MS_NOEXEC, NULL) != 0)
            die(a, "remount read-only", a->paths[i].dst);
    }
    /* /proc of the new PID namespace, a minimal /dev, a private /tmp */
    snprintf(path, sizeof path, "%s/proc", root);
    if (mkdirs(path) != 0 || mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                      "hidepid=invisible"))
        die(a, "mount", "/proc");
    uint64_t tmp = o->tmp_bytes ? o->tmp_bytes : (uint64_t)1 << 30;
    char tmp_opts[64];
    snprintf(tmp_opts, sizeof tmp_opts, "mode=1777,size=%llu", (unsigned long long)tmp);
    snprintf(path, sizeof path, "%s/tmp", root);
    if (mkdirs(path) != 0 || mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, tmp_opts))
        die(a, "mount", "/tmp");
    snprintf(path, sizeof path, "%s/dev/shm", root);
    if (mkdirs(path) != 0 || mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, tmp_opts))
        die(a, "mount", "/dev/shm");
    static const char *const dev_links[][2] = {{"/proc/self/fd", "/dev/fd"},
                                               {"/proc/self/fd/0", "/dev/stdin"},
                                               {"/proc/self/fd/1", "/dev/stdout"},
                                               {"/proc/self/fd/2", "/dev/stderr"}};
    for (size_t i = 0; i < sizeof dev_links / sizeof *dev_links; i++) {
        snprintf(path, sizeof path, "%s%s", root, dev_links[i][1]);
        if (symlink(dev_links[i][0], path) != 0) die(a, "symlink", path);
    }
    /* the sandbox's user, so that getpwuid() has an answer */
    snprintf(path, sizeof path, "%s/etc", root);
    if (mkdirs(path) != 0) die(a, "mkdir", path);
    unsigned uid = a->root_caller ? a->uid : (unsigned)a->outer_uid;
    unsigned gid = a->root_caller ? a->gid : (unsigned)a->outer_gid;
    snprintf(buf, sizeof buf, "sandbox:x:%u:%u:sandbox:/tmp:/bin/false\n", uid, gid);
    snprintf(path, sizeof path, "%s/etc/passwd", root);
    if (create_file(path, buf) != 0) die(a, "write", path);
    snprintf(buf, sizeof buf, "sandbox:x:%u:\n", gid);
    snprintf(path, sizeof path, "%s/etc/group", root);
    if (create_file(path, buf) != 0) die(a, "write", path);
    for (int i = 0; i < a->n_paths; i++)
        if (a->paths[i].fd >= 0) close(a->paths[i].fd);
    if (sethostname("sandbox", 7) != 0) die(a, "sethostname", NULL);
    /* into the new root; the old one is detached */
    if (chdir(root) != 0) die(a, "chdir", root);
    if (syscall(SYS_pivot_root, ".", ".") != 0) die(a, "pivot_root", NULL);
    if (umount2(".", MNT_DETACH) != 0) die(a, "detach the old root", NULL);
    if (chdir("/") != 0) die(a, "chdir", "/");
    if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL))
        die(a, "remount / read-only", NULL);

    forget_caller_args(a); /* last: mount sources may have pointed there */
    /* PID 1 is closed to the program (not dumpable: no ptrace, no
       /proc/1/environ or /proc/1/mem); execve makes the program dumpable */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    pid_t prog = raw_fork();
    if (prog < 0) die(a, "fork", NULL);
    if (prog == 0) program(a);
    /* PID 1: reap, and end with the program */
    syscall(SYS_close_range, 0U, ~0U, 0U);
    for (;;) {
        int st;
        pid_t w = waitpid(-1, &st, 0);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) _exit(SETUP_FAILED);
        if (w != prog) continue;
        if (WIFSIGNALED(st)) _exit(128 + WTERMSIG(st));
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : SETUP_FAILED);
    }
}

/* ---- the caller's side ---------------------------------------------------- */

/* The seccomp program, compiled by libseccomp: everything allowed but the
   calls a training job never needs and that widen the kernel's attack
   surface or reach outside the sandbox. *out is malloc'd. */
static ramp_status build_filter(struct sock_fprog *out, ramp_err *err)
{
    static const char *const denied[] = {
#ifndef RAMP__SANITIZED
        "ptrace",
#endif
        "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root",
        "chroot", "unshare", "setns", "keyctl", "add_key", "request_key", "bpf",
        "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load", "init_module",
        "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct", "quotactl",
        "syslog", "open_by_handle_at", "name_to_handle_at", "iopl", "ioperm", "fanotify_init",
        "io_uring_setup", "io_uring_enter", "io_uring_register", "settimeofday", "clock_settime",
        "clock_adjtime", "adjtimex", "vhangup", "fsopen", "fsmount", "fspick", "fsconfig",
        "open_tree", "move_mount", "mount_setattr", "lookup_dcookie", "sethostname",
        "setdomainname", "personality",
        /* oracles of the page cache, a channel between sandboxes (a fold
           could pass its training labels to the fold that validates on
           them); timing stays, out of scope */
        "mincore", "cachestat"};
    memset(out, 0, sizeof *out);
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return ramp__err_set(err, RAMP_ENOMEM, "sandbox: seccomp_init failed");
    /* a binary tree over the system-call numbers: every call of the loader's
       (open, read, close per image) pays the filter (not an error where the
       library cannot) */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    int rc = 0;
    for (size_t i = 0; i < sizeof denied / sizeof *denied && rc == 0; i++) {
        int nr = seccomp_syscall_resolve_name(denied[i]);
#if defined(__x86_64__)
        if (nr == __NR_SCMP_ERROR && !strcmp(denied[i], "cachestat")) nr = 451; /* newer than libseccomp 2.5 */
#endif
        if (nr == __NR_SCMP_ERROR) continue; /* not on this architecture */
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    }
    /* reads and writes that fail unless the page is cached: the same oracle */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EOPNOTSUPP), SCMP_SYS(preadv2), 1,
                              SCMP_A5(SCMP_CMP_MASKED_EQ, RWF_NOWAIT, RWF_NOWAIT));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EOPNOTSUPP), SCMP_SYS(pwritev2), 1,
                              SCMP_A5(SCMP_CMP_MASKED_EQ, RWF_NOWAIT, RWF_NOWAIT));
    /* clone() making namespaces; clone3 answers ENOSYS so that the C library
       falls back to clone(), whose flags a filter can see */
    static const unsigned long ns_flags[] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,
                                             CLONE_NEWNET,  CLONE_NEWIPC, CLONE_NEWUTS,
                                             CLONE_NEWCGROUP};
    for (size_t i = 0; i < sizeof ns_flags / sizeof *ns_flags && rc == 0; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
    if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* typing into a terminal's input queue */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
    /* the program BPF, exported through a memory file */
    int fd = rc == 0 ? memfd_create("ramp-seccomp", MFD_CLOEXEC) : -1;
    if (fd >= 0) rc = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    off_t len = fd >= 0 && rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
    if (len <= 0 || len % (off_t)sizeof(struct sock_filter) != 0) {
        if (fd >= 0) close(fd);
        return ramp__err_set(err, RAMP_EINTERNAL, "sandbox: cannot build the seccomp filter (%d)",
                             rc);
    }
    struct sock_filter *prog = malloc((size_t)len);
    if (!prog || pread(fd, prog, (size_t)len, 0) != len) {
        free(prog);
        close(fd);
        return ramp__err_set(err, RAMP_ENOMEM, "sandbox: cannot read the seccomp filter");
    }
    close(fd);
    out->filter = prog;
    out->len = (unsigned short)((size_t)len / sizeof(struct sock_filter));
    return RAMP_OK;
}

/* Opens `src` for showing at `dst`. */
static ramp_status add_path(child_arg *a, const char *src, const char *dst, int writable,
                            int optional, ramp_err *err)
{
    if (a->n_paths == MAX_PATHS)
        return ramp__err_set(err, RAMP_ETOOBIG, "sandbox: more than %d paths", MAX_PATHS);
    if (!dst || dst[0] != '/' || strstr(dst, "/..") || strlen(dst) > 1024)
        return ramp__err_set(err, RAMP_EINVAL, "sandbox: bad mount point '%s'", dst ? dst : "");
    shown *s = &a->paths[a->n_paths];
    memset(s, 0, sizeof *s);
    s->dst = dst;
    s->writable = writable;
    struct stat sb;
    if (!src) { /* an empty folder over dst, which must exist where it is mounted */
        s->fd = -2;
        s->is_dir = 1;
        a->n_paths++;
        return RAMP_OK;
    }
    if (lstat(src, &sb) != 0) {
        if (optional) return RAMP_OK;
        return ramp__err_set(err, RAMP_ENOENT, "sandbox: %s: %s", src, strerror(errno));
    }
    if (S_ISLNK(sb.st_mode) && optional) { /* a system folder that is a symlink */
        ssize_t k = readlink(src, s->link, sizeof s->link - 1);
        if (k <= 0) return RAMP_OK;
        s->link[k] = '\0';
        s->fd = -1;
        a->n_paths++;
        return RAMP_OK;
    }
    if (stat(src, &sb) != 0)
        return ramp__err_set(err, RAMP_EIO, "sandbox: %s: %s", src, strerror(errno));
    s->src = src;
    s->fd = 0;
    s->is_dir = S_ISDIR(sb.st_mode);
    a->n_paths++;
    return RAMP_OK;
}

static void child_limits_off(const ramp__sandbox_opts *o, const char *exe, char *const argv[],
                             pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(SETUP_FAILED);
    child_arg a;
    memset(&a, 0, sizeof a);
    a.o = o;
    a.exe = exe;
    a.argv = argv;
    a.err_fd = o->n_fds > 2 ? o->fds[2] : -1;
    program(&a);
}

ramp_status ramp__sandbox_start(const ramp__sandbox_opts *o, const char *exe, char *const argv[],
                                pid_t *pid, ramp_err *err)
{
    *pid = -1;
    if (o->n_fds > 16) return ramp__err_set(err, RAMP_EINVAL, "sandbox: more than 16 descriptors");
    /* a GPU fold's memory can only be bounded by a memory control group
       (its address space is not: the CUDA driver reserves far more than it
       uses); a limit that cannot be kept is refused, never dropped */
    if (o->mode != RAMP__SANDBOX_OFF && o->gpu && o->mem_bytes && !(ramp__sandbox_cgroups() & 1))
        return ramp__err_set(err, RAMP_EUNSUPPORTED,
                             "sandbox: a memory limit on a GPU fold needs a memory control group "
                             "(the address-space limit cannot hold the CUDA driver), and none "
                             "can be made here: run ramp as root on a host with cgroup v2 (or a "
                             "delegated group), or run the GPU folds without --mem-limit");
    pid_t parent = getpid();
    if (o->mode == RAMP__SANDBOX_OFF) {
        fflush(NULL);
        pid_t p = fork();
        if (p < 0) return ramp__err_set(err, RAMP_EIO, "fork: %s", strerror(errno));
        if (p == 0) child_limits_off(o, exe, argv, parent);
        setpgid(p, p);
        *pid = p;
        return RAMP_OK;
    }
    child_arg *a = calloc(1, sizeof *a);
    if (!a) return ramp__err_set(err, RAMP_ENOMEM, "sandbox: out of memory");
    a->o = o;
    a->exe = exe;
    a->argv = argv;
    a->outer_uid = getuid();
    a->outer_gid = getgid();
    a->root_caller = geteuid() == 0;
    a->uid = o->uid; /* 0: one of its own (sandbox_init) */
    a->gid = o->uid ? (o->gid ? o->gid : o->uid) : 0;
    a->err_fd = o->n_fds > 2 ? o->fds[2] : -1;
    struct sock_fprog filter = {0, NULL};
    ramp_status st = build_filter(&filter, err);
    a->filter = &filter;
    for (size_t i = 0; !st && i < sizeof system_dirs / sizeof *system_dirs; i++)
        st = add_path(a, system_dirs[i], system_dirs[i], 0, 1, err);
    struct stat sb;
    for (size_t i = 0; !st && i < sizeof share_hidden / sizeof *share_hidden; i++)
        if (stat(share_hidden[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            st = add_path(a, NULL, share_hidden[i], 0, 0, err);
    for (size_t i = 0; !st && i < sizeof share_shown / sizeof *share_shown; i++)
        if (stat(share_shown[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            st = add_path(a, share_shown[i], share_shown[i], 0, 1, err);
    for (size_t i = 0; !st && i < sizeof etc_entries / sizeof *etc_entries; i++)
        st = add_path(a, etc_entries[i], etc_entries[i], 0, 1, err);
    for (size_t i = 0; !st && i < sizeof dev_nodes / sizeof *dev_nodes; i++)
        st = add_path(a, dev_nodes[i], dev_nodes[i], 1, 1, err);
    for (size_t i = 0; !st && o->gpu && i < sizeof gpu_nodes / sizeof *gpu_nodes; i++)
        st = add_path(a, gpu_nodes[i], gpu_nodes[i], 1, 1, err);
    if (!st) st = add_path(a, "/sys/devices/system/cpu", "/sys/devices/system/cpu", 0, 1, err);
    for (size_t i = 0; !st && i < o->n_mounts; i++)
        st = add_path(a, o->mounts[i].src, o->mounts[i].dst, o->mounts[i].writable, 0, err);
    void *stack = MAP_FAILED;
    if (!st) {
        stack = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                     -1, 0);
        if (stack == MAP_FAILED) st = ramp__err_set(err, RAMP_ENOMEM, "sandbox: no stack");
    }
    if (!st) {
        int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                    CLONE_NEWCGROUP | SIGCHLD;
        if (!a->root_caller) flags |= CLONE_NEWUSER;
        fflush(NULL);
        if (pipe2(a->go, O_CLOEXEC) != 0) {
            st = ramp__err_set(err, RAMP_EIO, "sandbox: pipe: %s", strerror(errno));
            goto out;
        }
        pid_t p = clone(sandbox_init, (char *)stack + STACK_BYTES, flags, a);
        if (p < 0) {
            int e = errno;
            st = ramp__err_set(err, RAMP_EUNSUPPORTED,
                               "cannot make the sandbox: clone(%s namespaces) failed: %s; the "
                               "kernel or the container forbids %s (run as root, or allow "
                               "unprivileged user namespaces: sysctl kernel."
                               "unprivileged_userns_clone=1 / user.max_user_namespaces > 0)",
                               a->root_caller ? "mount, PID, network" : "user, mount, PID, network",
                               strerror(e), a->root_caller ? "new namespaces" : "user namespaces");
        } else {
            /* the sandbox is its own process group, so the caller can end it
               with kill(-pid); it dies with the caller */
            setpgid(p, p);
            uint64_t tmp = o->tmp_bytes ? o->tmp_bytes : (uint64_t)1 << 30;
            /* the memory actually used (unlike the address space, also in
               sanitizer builds) */
            uint64_t mem = o->mem_bytes ? o->mem_bytes + 2 * tmp + ((uint64_t)64 << 20) : 0;
            ramp__sandbox_cgroup(p, mem, o->max_procs > 0 ? o->max_procs : 4096);
            *pid = p;
        }
        ssize_t w = write(a->go[1], "g", 1);
        (void)w;
        close(a->go[0]);
        close(a->go[1]);
    }
out:
    if (stack != MAP_FAILED) munmap(stack, STACK_BYTES);
    free(filter.filter);
    free(a);
    return st;
}

/* 1 when `a` is `b` or below it. */
static int below(const char *a, const char *b)
{
    size_t n = strlen(b);
    return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

int ramp__sandbox_shows(const char *host_path)
{
    char real[4096];
    if (!realpath(host_path, real)) return 0;
    for (size_t i = 0; i < sizeof etc_entries / sizeof *etc_entries; i++)
        if (below(real, etc_entries[i])) return 1;
    for (size_t i = 0; i < sizeof share_shown / sizeof *share_shown; i++)
        if (below(real, share_shown[i])) return 1;
    for (size_t i = 0; i < sizeof share_hidden / sizeof *share_hidden; i++)
        if (below(real, share_hidden[i])) return 0;
    for (size_t i = 0; i < sizeof system_dirs / sizeof *system_dirs; i++) {
        char sys[4096]; /* /lib may be a link to /usr/lib */
        if (realpath(system_dirs[i], sys) && below(real, sys)) return 1;
    }
    return below(real, "/sys/devices/system/cpu");
}

void ramp__sandbox_decode(const ramp__sandbox_opts *o, int status, int *sig, int *code)
{
    *sig = 0;
    *code = 0;
    if (WIFSIGNALED(status)) {
        *sig = WTERMSIG(status);
        return;
    }
    int c = WIFEXITED(status) ? WEXITSTATUS(status) : SETUP_FAILED;
    if (o->mode == RAMP__SANDBOX_ON && c > 128 && c < 128 + 65) {
        *sig = c - 128;
        return;
    }
    *code = c;
}

ramp_status ramp__sandbox_probe(ramp_err *err)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) return ramp__err_set(err, RAMP_EIO, "pipe: %s", strerror(errno));
    int fds[3] = {-1, -1, pfd[1]};
    ramp__sandbox_opts o;
    memset(&o, 0, sizeof o);
    o.tmp_bytes = 1 << 20;
    o.fds = fds;
    o.n_fds = 3;
    char *argv[] = {"true", NULL};
    pid_t pid;
    const char *exe = access("/bin/true", X_OK) == 0 ? "/bin/true" : "/usr/bin/true";
    ramp_status st = ramp__sandbox_start(&o, exe, argv, &pid, err);
    close(pfd[1]);
    if (st) {
        close(pfd[0]);
        return st;
    }
    char why[512] = "";
    ssize_t k, have = 0;
    while ((k = read(pfd[0], why + have, sizeof why - 1 - (size_t)have)) > 0 ||
           (k < 0 && errno == EINTR))
        if (k > 0) have += k;
    close(pfd[0]);
    why[have] = '\0';
    if (have && why[have - 1] == '\n') why[have - 1] = '\0';
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return ramp__err_set(err, RAMP_EUNSUPPORTED, "sandbox: waitpid: %s", strerror(errno));
    ramp__sandbox_end(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return ramp__err_set(err, RAMP_EUNSUPPORTED,
                             "cannot make the sandbox on this machine: %s",
                             why[0] ? why : "a test run failed");
    return RAMP_OK;
}

/* sandboxInt.h — running untrusted code (a participant's compiler run, a CV
 * fold) in a sandbox made of the kernel's namespaces, rlimits and seccomp.
 *
 * What the sandboxed program sees:
 *
 *   /usr /bin /sbin /lib* read-only (the system's programs and libraries);
 *                         of /usr/share only what programs read (zoneinfo,
 *                         locale, fonts...), not the data sets and documents
 *   /etc                  a handful of entries read-only (the dynamic
 *                         loader's cache, compiler alternatives, time zone),
 *                         a passwd/group naming the sandbox user
 *   /proc                 its own PID namespace's
 *   /dev                  null zero full random urandom, a private /dev/shm
 *                         (and NVIDIA's nodes with opts.gpu: /dev/nvidia*)
 *   /sys/devices/system/cpu  read-only (thread counts)
 *   /tmp                  private, writable, size-bounded (tmpfs); HOME
 *   the caller's mounts   e.g. the images at /data/imgs read-only
 *
 * and nothing else: no network (an empty network namespace), no other
 * process (a PID namespace: when its first process ends, every process left
 * in it is killed by the kernel), no System V IPC shared with the host, its
 * own host name. Started by root, the program runs as an unprivileged uid of
 * its own, RAMP__SANDBOX_UID_BASE + the host PID of the sandbox's first
 * process (so no two sandboxes share a process limit), or `uid` when set,
 * with no capabilities; started by another user, in a user namespace as that
 * user, without capabilities outside it. Either way
 * no_new_privs is set and a seccomp filter refuses the system calls that
 * only widen the attack surface (ptrace, mount, new namespaces, keyrings,
 * bpf, perf, userfaultfd, io_uring, kernel modules...).
 *
 * Resource bounds: address space, CPU seconds, file size, processes and
 * threads, open files, locked memory (64 KiB: mlock; CUDA's page-locked
 * memory is locked by the driver, outside it) (rlimits), the size of /tmp
 * and /dev/shm (tmpfs), and
 * whatever the caller enforces on the pipes it reads (time, output size).
 * Where the host lets ramp make a control group (cgroup.c), the sandbox gets
 * one: its memory as a whole (shared memory and tmpfs included: address
 * space + /tmp + /dev/shm) and its processes are counted there too.
 */
#ifndef RAMP_SANDBOX_INT_H
#define RAMP_SANDBOX_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ramp/status.h"

/* Root's sandboxes run as uid (and gid) BASE + their first process's host
   PID: a range of uids no account should use. */
#define RAMP__SANDBOX_UID_BASE 1000000000u
#define RAMP__SANDBOX_UID_SPAN 4194304u /* PID_MAX_LIMIT */

/* A host path shown inside the sandbox. */
typedef struct ramp__sandbox_mount {
    const char *src; /* host path: a folder or a file; NULL: an empty read-only
                        folder over dst (which must exist where it is made) */
    const char *dst; /* absolute path inside */
    int writable;    /* 0: read-only; a writable folder is given (chown) to the
                        sandbox's user when root starts it */
} ramp__sandbox_mount;

typedef enum ramp__sandbox_mode {
    RAMP__SANDBOX_ON = 0, /* namespaces + seccomp + rlimits (the default) */
    RAMP__SANDBOX_OFF = 1 /* rlimits and a process group only: the host is fully exposed */
} ramp__sandbox_mode;

typedef struct ramp__sandbox_opts {
    ramp__sandbox_mode mode;
    const ramp__sandbox_mount *mounts; /* beyond the system's; may be NULL */
    size_t n_mounts;
    uint64_t tmp_bytes;  /* size of /tmp and of /dev/shm (each); 0: 1 GiB */
    const char *cwd;     /* inside; NULL: /tmp (OFF: unchanged) */
    uint32_t uid, gid;   /* the uid/gid when started by root; 0: one per sandbox */
    uint64_t mem_bytes;  /* RLIMIT_AS; 0: none */
    double cpu_seconds;  /* RLIMIT_CPU; 0: none */
    uint64_t file_bytes; /* RLIMIT_FSIZE; 0: tmp_bytes */
    int max_procs;       /* RLIMIT_NPROC (threads count); 0: 4096 */
    int max_files;       /* RLIMIT_NOFILE; 0: 1024 */
    /* fds[i] becomes descriptor i of the program (0 stdin, 1 stdout, ...);
       -1 opens /dev/null there. Every other descriptor is closed. */
    const int *fds;
    int n_fds;
    char *const *envp; /* the program's whole environment (NULL: empty) */
    /* 1: the program uses the GPU: NVIDIA's device nodes (/dev/nvidiactl,
       /dev/nvidia-uvm, /dev/nvidia0...: those the host has) are shown, and
       mem_bytes bounds the control group only, not the address space (the
       CUDA driver reserves far more than it uses). 0: no /dev/nvidia* */
    int gpu;
} ramp__sandbox_opts;

/* Starts `exe` (a path inside the sandbox) with argv in a new process whose
   pid goes to *pid; it is its own process group and dies with the caller
   (PR_SET_PDEATHSIG). Reap it with waitpid/wait4: a normal exit is its exit
   status; a death by signal S is reported as exit status 128 + S (the
   sandbox's first process mirrors the program's end; see
   ramp__sandbox_decode). Errors of the set-up inside the new process (a
   mount that fails, say) are reported as exit status 125 with a line on
   descriptor 2. EUNSUPPORTED (with what the kernel lacks) when a namespace
   cannot be made. */
ramp_status ramp__sandbox_start(const ramp__sandbox_opts *o, const char *exe, char *const argv[],
                                pid_t *pid, ramp_err *err);

/* After the sandbox `pid` has been reaped: removes its control group, if
   one was made, and returns 1 when the kernel killed a process of it for
   the memory limit. Call it once per started sandbox (OFF: a no-op). */
int ramp__sandbox_end(pid_t pid);

/* cgroup.c: a control group for sandbox `pid` with these limits (memory 0:
   none), pid moved into it; the number of controllers that took it (0
   where the host lets no cgroup be made: the rlimits stay). */
int ramp__sandbox_cgroup(pid_t pid, uint64_t mem_bytes, int max_procs);

/* Which limits the host lets a sandbox's control group set: 1 memory, 2
   processes (a bit mask; 0: none, the rlimits alone). */
int ramp__sandbox_cgroups(void);

/* Turns a wait status of a sandboxed process into (signal, exit code):
   *sig > 0 when the program died of that signal. */
void ramp__sandbox_decode(const ramp__sandbox_opts *o, int wait_status, int *sig, int *code);

/* 1 when the host path (or what it links to) is visible inside every
   sandbox (the system's folders): a kit's labels must never be there. */
int ramp__sandbox_shows(const char *host_path);

/* Checks that this machine can make the sandbox (starts /bin/true in it).
   RAMP_OK, or EUNSUPPORTED with the reason in err. */
ramp_status ramp__sandbox_probe(ramp_err *err);

#endif

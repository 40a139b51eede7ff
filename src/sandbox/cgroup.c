/* cgroup.c — a control group per sandbox, where the host lets ramp make
 * one: memory (what rlimits miss: shared memory, memory files, tmpfs pages)
 * and the number of processes, counted for the sandbox as a whole.
 *
 * Best effort, by design: a sandbox never fails for want of a cgroup (a
 * container may mount /sys/fs/cgroup read-only); its rlimits stay. Both
 * hierarchies are handled: cgroup v1 (one folder per controller, as
 * /proc/self/cgroup names "N:memory:/path") and v2 (one folder, "0::/path",
 * where the controllers must already be enabled for children). The group
 * is a child of the caller's own, named ramp-sandbox-PID after the
 * sandbox's first process, made before that process goes on (it waits on a
 * pipe) and removed by ramp__sandbox_end once everything in it is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandboxInt.h"

#define CG_ROOT "/sys/fs/cgroup"

/* The caller's cgroup path for controller `ctrl` (v1), or its v2 path when
   ctrl is "" ; 0 or -1. */
static int own_path(const char *ctrl, char *out, size_t len)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f) return -1;
    char line[1024];
    int found = -1;
    while (found < 0 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
        if (!a || !b) continue;
        *b = '\0';
        const char *ctrls = a + 1, *path = b + 1;
        int match = 0;
        if (!ctrl[0]) {
            match = ctrls[0] == '\0' && strncmp(line, "0", 1) == 0;
        } else {
            char list[256];
            snprintf(list, sizeof list, ",%s,", ctrls);
            char want[64];
            snprintf(want, sizeof want, ",%s,", ctrl);
            match = strstr(list, want) != NULL;
        }
        if (match) {
            snprintf(out, len, "%s", strcmp(path, "/") ? path : "");
            found = 0;
        }
    }
    fclose(f);
    return found;
}

static int put(const char *dir, const char *file, const char *value)
{
    char p[2300];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, value, strlen(value));
    close(fd);
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

/* The folders of sandbox `pid`: [0] v1 memory or v2, [1] v1 pids; "" none. */
static void group_dirs(pid_t pid, char dirs[2][1100])
{
    char own[900];
    dirs[0][0] = dirs[1][0] = '\0';
    struct stat sb;
    if (stat(CG_ROOT "/cgroup.controllers", &sb) == 0) { /* v2 only */
        if (own_path("", own, sizeof own) == 0)
            snprintf(dirs[0], sizeof dirs[0], CG_ROOT "%s/ramp-sandbox-%ld", own, (long)pid);
        return;
    }
    if (own_path("memory", own, sizeof own) == 0 && stat(CG_ROOT "/memory", &sb) == 0)
        snprintf(dirs[0], sizeof dirs[0], CG_ROOT "/memory%s/ramp-sandbox-%ld", own, (long)pid);
    if (own_path("pids", own, sizeof own) == 0 && stat(CG_ROOT "/pids", &sb) == 0)
        snprintf(dirs[1], sizeof dirs[1], CG_ROOT "/pids%s/ramp-sandbox-%ld", own, (long)pid);
}

int ramp__sandbox_cgroup(pid_t pid, uint64_t mem_bytes, int max_procs)
{
    char dirs[2][1100], v[64], me[32];
    group_dirs(pid, dirs);
    snprintf(me, sizeof me, "%ld", (long)pid);
    struct stat sb;
    int v2 = stat(CG_ROOT "/cgroup.controllers", &sb) == 0, made = 0;
    for (int i = 0; i < 2; i++) {
        if (!dirs[i][0] || (mkdir(dirs[i], 0755) != 0 && errno != EEXIST)) continue;
        int limited = 0;
        if (i == 0 && mem_bytes) {
            snprintf(v, sizeof v, "%llu", (unsigned long long)mem_bytes);
            limited += put(dirs[i], v2 ? "memory.max" : "memory.limit_in_bytes", v) == 0;
            if (v2) put(dirs[i], "memory.swap.max", "0");
        }
        if (v2 || i == 1) {
            snprintf(v, sizeof v, "%d", max_procs);
            limited += put(dirs[i], "pids.max", v) == 0;
        }
        if (limited && put(dirs[i], "cgroup.procs", me) == 0)
            made++;
        else
            rmdir(dirs[i]);
    }
    return made;
}

int ramp__sandbox_end(pid_t pid)
{
    char dirs[2][1100];
    group_dirs(pid, dirs);
    int oom = 0;
    for (int i = 0; i < 2; i++) {
        if (!dirs[i][0]) continue;
        char p[2300], line[256];
        snprintf(p, sizeof p, "%s/%s", dirs[i], i == 0 ? "memory.events" : "");
        struct stat sb;
        if (i == 0 && stat(p, &sb) != 0) snprintf(p, sizeof p, "%s/memory.oom_control", dirs[i]);
        FILE *f = i == 0 ? fopen(p, "re") : NULL;
        while (f && fgets(line, sizeof line, f)) {
            long long k;
            if (sscanf(line, "oom_kill %lld", &k) == 1 && k > 0) oom = 1;
        }
        if (f) fclose(f);
        /* the processes are gone; the kernel may take a moment to say so */
        for (int t = 0; t < 50 && rmdir(dirs[i]) != 0 && errno == EBUSY; t++) {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    return oom;
}

int ramp__sandbox_cgroups(void)
{
    char dirs[2][1100];
    /* a group for no process: made, limited, removed */
    pid_t fake = -getpid();
    group_dirs(fake, dirs);
    struct stat sb;
    int v2 = stat(CG_ROOT "/cgroup.controllers", &sb) == 0, got = 0;
    for (int i = 0; i < 2; i++) {
        if (!dirs[i][0] || mkdir(dirs[i], 0755) != 0) continue;
        if (i == 0 && put(dirs[i], v2 ? "memory.max" : "memory.limit_in_bytes", "1073741824") == 0)
            got |= 1;
        if ((v2 || i == 1) && put(dirs[i], "pids.max", "100") == 0) got |= 2;
        rmdir(dirs[i]);
    }
    return got;
}

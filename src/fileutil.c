/* fileutil.c — temporary files next to an output, stale-temporary
 * cleanup, directory fsync and the lock of an output: plain POSIX, no HDF5 (fileutil.h). */
#include "fileutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void pdx_file_host_name(char *buf, size_t size)
{
    if (gethostname(buf, size - 1) != 0)
        snprintf(buf, size, "localhost");
    buf[size - 1] = '\0';
    for (char *c = buf; *c != '\0'; c++)
        if (*c == '/')
            *c = '_';
}

/* "<path>.<tag>-<host>-<pid>": a temporary file of this process next to
 * `path` ("tmp": a new or repacked file renamed into place when complete;
 * "merge": the working file of a merge). */
char *pdx_file_temporary_path(const char *path, const char *tag)
{
    char host[256];
    pdx_file_host_name(host, sizeof host);
    size_t size = strlen(path) + strlen(tag) + strlen(host) + 32;
    char *tmp = malloc(size);
    if (tmp != NULL)
        snprintf(tmp, size, "%s.%s-%s-%ld", path, tag, host, (long)getpid());
    return tmp;
}

char *pdx_file_tmp_path(const char *path)
{
    return pdx_file_temporary_path(path, "tmp");
}

/* Pid of a temporary of `base` named `name` written on this host ("" for
 * a name that is not one), or -1. */
static long temporary_pid(const char *name, const char *base,
                          const char *host)
{
    static const char *const tags[] = {".tmp-", ".merge-"};
    size_t n = strlen(base);
    if (strncmp(name, base, n) != 0)
        return -1;
    for (size_t t = 0; t < sizeof tags / sizeof *tags; t++) {
        size_t m = strlen(tags[t]);
        if (strncmp(name + n, tags[t], m) != 0)
            continue;
        const char *rest = name + n + m;
        size_t h = strlen(host);
        if (strncmp(rest, host, h) == 0 && rest[h] == '-')
            rest += h + 1;
        else if (strchr(rest, '-') != NULL)
            return -1; /* another host's: its process may be alive */
        char *end;
        long pid = strtol(rest, &end, 10);
        return *rest != '\0' && *end == '\0' && pid > 0 ? pid : -1;
    }
    return -1;
}

/* Remove the temporaries next to `path` left by processes of this host
 * that no longer run (killed during a create, repack, extension or
 * merge). Best effort: errors are ignored. */
void pdx_file_remove_stale_temporaries(const char *path)
{
    char dir[4096], host[256];
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s",
                 slash == path ? 1 : (int)(slash - path), path);
    pdx_file_host_name(host, sizeof host);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temporary_pid(e->d_name, base, host);
        if (pid <= 0 || pid == (long)getpid() ||
            !(kill((pid_t)pid, 0) != 0 && errno == ESRCH))
            continue;
        char stale[4096 + 256];
        snprintf(stale, sizeof stale, "%s/%s", dir, e->d_name);
        unlink(stale);
    }
    closedir(d);
}

pdx_status pdx_file_fsync_directory_of(const char *path, pdx_error *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "cannot open directory %s: %s", dir,
                             strerror(errno));
    /* Some file systems refuse fsync on directories (EINVAL): harmless. */
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        int e = errno;
        close(fd);
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "cannot fsync directory %s: %s", dir,
                             strerror(e));
    }
    close(fd);
    return PDX_OK;
}

pdx_status pdx_file_install(const char *tmp, const char *path,
                            pdx_status status, pdx_error *err)
{
    if (status == PDX_OK && rename(tmp, path) != 0)
        status = pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                               "cannot rename %s to %s: %s", tmp, path,
                               strerror(errno));
    if (status != PDX_OK) {
        if (tmp != NULL)
            unlink(tmp);
        return status;
    }
    return pdx_file_fsync_directory_of(path, err);
}

/* ---- the lock of an output (pdx_file_lock_take) ---- */

struct pdx_file_lock {
    int fd;          /* -1: PDX_LOCK=off */
    char *lock_path; /* "DIR/.NAME.lock" for path DIR/NAME */
};

/* "<host> <pid>" of the holder, read from the lock file ("" if none). */
static void lock_holder(int fd, char *buf, size_t size)
{
    ssize_t n = pread(fd, buf, size - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    char *newline = strchr(buf, '\n');
    if (newline != NULL)
        *newline = '\0';
}

static pdx_status lock_busy(const char *path, int fd, int shared,
                            pdx_error *err)
{
    char holder[300];
    lock_holder(fd, holder, sizeof holder);
    char host[256] = "";
    long pid = 0;
    int named = sscanf(holder, "%255s %ld", host, &pid) == 2;
    if (shared && named)
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "is being written by another pdx process "
                             "(host %s, pid %ld); this run reads it and "
                             "cannot while it is written: wait for that "
                             "process to end, or stop it",
                             host, pid);
    if (named)
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "is being written by another pdx process "
                             "(host %s, pid %ld); two writers of one file "
                             "lose results, so this one stops (--force "
                             "does not break the lock): wait for it, stop "
                             "it, or -o another file",
                             host, pid);
    return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                         "is in use by another pdx process (a writer "
                         "starting, or a shard run reading it); try again "
                         "in a moment, or -o another file");
}

pdx_status pdx_file_lock_take(pdx_file_lock **out, const char *path,
                              int shared, pdx_error *err)
{
    *out = NULL;
    pdx_file_lock *lock = calloc(1, sizeof *lock);
    size_t size = strlen(path) + 8;
    char *lock_path = malloc(size);
    const char *slash = strrchr(path, '/');
    int dir = slash != NULL ? (int)(slash + 1 - path) : 0;
    if (lock == NULL || lock_path == NULL) {
        free(lock);
        free(lock_path);
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "cannot allocate the lock");
    }
    /* hidden: out of `ls` and of globs such as OUT.shard-* */
    snprintf(lock_path, size, "%.*s.%s.lock", dir, path, path + dir);
    lock->lock_path = lock_path;
    lock->fd = -1;
    const char *mode = getenv("PDX_LOCK");
    if (mode != NULL && strcmp(mode, "off") == 0) {
        *out = lock;
        return PDX_OK;
    }
    /* A released lock's file is removed while locked: a file opened just
     * before may be locked after its removal; the lock is ours only when
     * the name still leads to the file locked. */
    int waits = 0;
    for (int attempt = 0; attempt < 1000; attempt++) {
        int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 && (errno == EROFS || errno == EACCES)) {
            /* a directory this process cannot write (e.g. a finished
             * sweep on a read-only share, run again to see that it is
             * complete): lock a writer's lock file if there is one; with
             * none, no writer holds the output */
            fd = open(lock_path, O_RDONLY | O_CLOEXEC);
            if (fd < 0 && errno == ENOENT) {
                *out = lock;
                return PDX_OK;
            }
        }
        if (fd < 0) {
            int e = errno;
            pdx_status st = pdx_error_set(
                err, PDX_ERR_IO, path, 0, 0, NULL,
                "cannot create its lock file %s: %s", lock_path,
                strerror(e));
            pdx_file_lock_release(&lock);
            return st;
        }
        if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
            int e = errno;
            /* a holder without a name holds it for a moment: a writer
             * before it writes its name, or a shard run releasing its
             * shared lock (made exclusive to remove the file, which
             * failed MPI ranks starting while another released it):
             * wait up to 0.5 s for it */
            char holder[300];
            if (e == EWOULDBLOCK && waits < 250) {
                lock_holder(fd, holder, sizeof holder);
                if (holder[0] == '\0') {
                    close(fd);
                    waits++;
                    usleep(2000);
                    continue;
                }
            }
            pdx_status st =
                e == EWOULDBLOCK
                    ? lock_busy(path, fd, shared, err)
                    : pdx_error_set(
                          err, PDX_ERR_IO, path, 0, 0, NULL,
                          "cannot lock %s: %s (a file system without "
                          "flock, e.g. Lustre mounted without -o flock: "
                          "set PDX_LOCK=off to write without the lock, "
                          "and make sure no two writers share an output)",
                          lock_path, strerror(e));
            close(fd);
            pdx_file_lock_release(&lock);
            return st;
        }
        struct stat held, named;
        if (fstat(fd, &held) == 0 && stat(lock_path, &named) == 0 &&
            held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
            lock->fd = fd;
            if (!shared) {
                char host[256], text[300];
                pdx_file_host_name(host, sizeof host);
                int n = snprintf(text, sizeof text, "%s %ld\n", host,
                                 (long)getpid());
                /* best effort: the holder's name is for messages only */
                if (ftruncate(fd, 0) == 0 && n > 0)
                    (void)!pwrite(fd, text, (size_t)n, 0);
            }
            *out = lock;
            return PDX_OK;
        }
        close(fd); /* a removed file: open the name again */
    }
    pdx_status st = pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                                  "cannot take its lock %s: it keeps "
                                  "being replaced",
                                  lock_path);
    pdx_file_lock_release(&lock);
    return st;
}

void pdx_file_lock_release(pdx_file_lock **lock)
{
    if (lock == NULL || *lock == NULL)
        return;
    pdx_file_lock *l = *lock;
    if (l->fd >= 0) {
        /* remove the file only when no one else holds it (a shared lock
         * becomes exclusive first); removed while still locked */
        if (flock(l->fd, LOCK_EX | LOCK_NB) == 0)
            unlink(l->lock_path);
        close(l->fd);
    }
    free(l->lock_path);
    free(l);
    *lock = NULL;
}

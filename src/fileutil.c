/* fileutil.c — temporary files next to an output, stale-temporary
 * cleanup and directory fsync: plain POSIX, no HDF5 (fileutil.h). */
#include "fileutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

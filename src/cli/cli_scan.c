/* cli_scan.c — `pdx info` of a sweep's shard files in several processes.
 *
 * Opening, checking and verifying a shard file is HDF5 work (about a
 * millisecond of CPU each: 23 variables opened, their shapes and
 * coordinates checked, their data read and checksummed), and HDF5 is not
 * thread-safe, so the files are split between processes: this one scans
 * the first file (which deals the shards and hashes the spec, once for
 * all, then inherited by the children), forks a child per further block,
 * scans its own block, and gathers the children's findings in file
 * order: the same status array, file lines and reports as one process
 * scanning every file in turn. */
#include "cli_scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a child sends for one file (its damaged tasks follow). */
typedef struct scan_record {
    int32_t complete, verified;
    uint64_t shard_index, shard_count, tasks, by_status[4];
    uint64_t finished, checked, n_damaged;
} scan_record;

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;
        p += w;
        n -= (size_t)w;
    }
    return 1;
}

static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        p += r;
        n -= (size_t)r;
    }
    return 1;
}

/* What scanning paths[lo..hi-1] needs and gives. */
typedef struct scan_job {
    char **paths;
    const pdx_grid *grid;
    const pdx_layout *layout;
    int8_t *status;
    pdx_store_info *infos;
    pdx_store_verify_report *reports; /* NULL: not verified */
} scan_job;

static int scan_range(const scan_job *j, int lo, int hi)
{
    for (int i = lo; i < hi; i++) {
        pdx_error err;
        pdx_error_clear(&err);
        if (pdx_store_scan_file(j->paths[i], j->grid, j->layout, j->status,
                                j->reports != NULL ? &j->reports[i] : NULL,
                                &j->infos[i], &err) != PDX_OK)
            return 0;
    }
    return 1;
}

/* A child: scan paths[lo..hi-1] from an all-pending status array (only
 * its own files' findings go back), send them to fd, exit. */
static void child_scan(const scan_job *j, int lo, int hi, int fd)
{
    size_t n_tasks = (size_t)j->grid->n_tasks;
    memset(j->status, PDX_TASK_PENDING, n_tasks);
    int32_t ok = scan_range(j, lo, hi);
    int sent = write_all(fd, &ok, sizeof ok);
    for (int i = lo; ok && sent && i < hi; i++) {
        const pdx_store_info *f = &j->infos[i];
        const pdx_store_verify_report *r =
            j->reports != NULL ? &j->reports[i] : NULL;
        scan_record rec = {f->complete, r != NULL ? r->verified : 0,
                           f->shard_index, f->shard_count, f->tasks,
                           {f->by_status[0], f->by_status[1],
                            f->by_status[2], f->by_status[3]},
                           r != NULL ? r->finished : 0,
                           r != NULL ? r->checked : 0,
                           r != NULL ? r->n_damaged : 0};
        sent = write_all(fd, &rec, sizeof rec) &&
               (rec.n_damaged == 0 ||
                write_all(fd, r->damaged, rec.n_damaged * sizeof(uint64_t)));
    }
    if (ok && sent)
        sent = write_all(fd, j->status, n_tasks);
    _exit(ok && sent ? 0 : 1); /* no stdio flush, no HDF5 atexit */
}

/* Read what the child scanning paths[lo..hi-1] sent into the job's
 * arrays (its statuses over ours: its files come after ours). Returns 1
 * if it scanned them all. */
static int gather(const scan_job *j, int lo, int hi, int fd, int8_t *buf)
{
    int32_t ok = 0;
    if (!read_all(fd, &ok, sizeof ok) || !ok)
        return 0;
    for (int i = lo; i < hi; i++) {
        scan_record rec;
        if (!read_all(fd, &rec, sizeof rec))
            return 0;
        pdx_store_info *f = &j->infos[i];
        memset(f, 0, sizeof *f);
        f->complete = rec.complete;
        f->shard_index = rec.shard_index;
        f->shard_count = rec.shard_count;
        f->tasks = rec.tasks;
        memcpy(f->by_status, rec.by_status, sizeof f->by_status);
        if (j->reports == NULL)
            continue;
        pdx_store_verify_report *r = &j->reports[i];
        memset(r, 0, sizeof *r);
        r->verified = rec.verified;
        r->finished = rec.finished;
        r->checked = rec.checked;
        r->n_damaged = rec.n_damaged;
        if (rec.n_damaged == 0)
            continue;
        r->damaged = malloc(rec.n_damaged * sizeof *r->damaged);
        if (r->damaged == NULL ||
            !read_all(fd, r->damaged, rec.n_damaged * sizeof *r->damaged))
            return 0;
    }
    size_t n_tasks = (size_t)j->grid->n_tasks;
    if (!read_all(fd, buf, n_tasks))
        return 0;
    for (size_t t = 0; t < n_tasks; t++)
        if (buf[t] != PDX_TASK_PENDING)
            j->status[t] = buf[t];
    return 1;
}

/* Wait for a child; 1 if it exited with 0. */
static int reap(pid_t pid)
{
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0)
        if (errno != EINTR)
            return 0;
    return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
}

int pdx_cli_scan_files(int n, char **paths, const pdx_grid *grid,
                       const pdx_layout *layout, int8_t *status,
                       pdx_store_info *infos,
                       pdx_store_verify_report *reports, int workers)
{
    scan_job j = {paths, grid, layout, status, infos, reports};
    if (n < 1 || !scan_range(&j, 0, 1))
        return n < 1;
    if (workers > n - 1)
        workers = n - 1;
    if (workers < 2)
        return scan_range(&j, 1, n);
    /* blocks of files 1..n-1: ours first, then one per child */
    int first[64 + 1];
    if (workers > 64)
        workers = 64;
    for (int w = 0; w <= workers; w++)
        first[w] = 1 + (int)((int64_t)(n - 1) * w / workers);
    pid_t pid[64];
    int fd[64], children = 0;
    for (int w = 1; w < workers; w++) {
        int pipefd[2];
        if (pipe(pipefd) != 0)
            break;
        pid_t p = fork();
        if (p == 0) {
            close(pipefd[0]);
            for (int c = 0; c < children; c++)
                close(fd[c]);
            child_scan(&j, first[w], first[w + 1], pipefd[1]);
        }
        close(pipefd[1]);
        if (p < 0) {
            close(pipefd[0]);
            break;
        }
        pid[children] = p;
        fd[children++] = pipefd[0];
    }
    /* our block, the children's in file order, then (a fork failed) the
     * blocks no child took */
    int ok = scan_range(&j, 1, first[1]);
    int8_t *buf = malloc((size_t)grid->n_tasks + 1);
    for (int c = 0; c < children; c++) {
        int got = ok && buf != NULL &&
                  gather(&j, first[c + 1], first[c + 2], fd[c], buf);
        close(fd[c]);
        ok = reap(pid[c]) && got;
    }
    free(buf);
    return ok && scan_range(&j, first[children + 1], n);
}

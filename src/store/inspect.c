/* inspect.c — read-only looks at pdx files: inspect, gather the status of a
 * sweep's files. */
#include "store_internal.h"

#include <fcntl.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------------ */
/* Reading files of a sweep: inspect, gather, merge, extend                  */

/* Open `path` read-only (`live`: without the file lock, for a file another
 * process may be writing) and check that it is a pdx result file. */
pdx_status pdx__open_pdx_file(const char *path, int live, hid_t *out,
                              pdx_error *err)
{
    *out = H5I_INVALID_HID;
    if (access(path, R_OK) != 0)
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "cannot read: %s", strerror(errno));
    hid_t file = pdx__open_file(path, H5F_ACC_RDONLY, live);
    if (file < 0)
        return pdx__h5_error(err, path, NULL, "cannot open as HDF5");
    double version = 0;
    int rc = pdx__get_double(file, "pdx_schema_version", &version);
    pdx_status st = PDX_OK;
    if (rc < 0)
        st = pdx__h5_error(err, path, "/@pdx_schema_version",
                           "cannot read attribute");
    else if (rc == 0)
        st = pdx_error_set(err, PDX_ERR_MISMATCH, path, 0, 0, NULL,
                           "not a pdx result file (no pdx_schema_version "
                           "attribute)");
    if (st != PDX_OK)
        pdx__close_id(&file);
    *out = file;
    return st;
}

/* Open a pdx file read-only as a store for `grid` and `layout`, with the
 * shard its attributes name; checks that it matches (finished files
 * too). `live`: without the file lock (a file another process writes). */
pdx_status pdx__open_for_reading(pdx_store **out, const char *path,
                                 const pdx_grid *grid,
                                 const pdx_layout *layout, int live,
                                 pdx_error *err)
{
    *out = NULL;
    hid_t file;
    uint64_t index = 0, count = 1;
    pdx_status st = pdx__open_pdx_file(path, live, &file, err);
    if (st != PDX_OK)
        return st;
    if (pdx__read_shard(file, &index, &count) < 0)
        st = pdx__h5_error(err, path, "/", "cannot read the root attributes");
    pdx_store *s = NULL;
    pdx_store_options options = {.shard_index = index,
                                 .shard_count = count};
    if (st == PDX_OK)
        st = pdx__store_new(&s, path, grid, layout, &options, err);
    if (st != PDX_OK) {
        pdx__close_id(&file);
        return st;
    }
    s->file = file;
    st = pdx__check_matches(s, 0, err);
    if (st == PDX_OK)
        st = pdx__open_datasets(s, err);
    if (st != PDX_OK) {
        pdx__store_free(s);
        return st;
    }
    *out = s;
    return PDX_OK;
}

/* The status variable of a file as stored (n_file_tasks values). */
pdx_status pdx__read_file_status(pdx_store *s, int8_t **out, pdx_error *err)
{
    *out = malloc((size_t)(s->n_file_tasks > 0 ? s->n_file_tasks : 1));
    if (*out == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, "status",
                             "out of memory");
    if (s->n_file_tasks > 0 &&
        H5Dread(s->datasets[DVAR_STATUS_INDEX], H5T_NATIVE_INT8, H5S_ALL,
                H5S_ALL, H5P_DEFAULT, *out) < 0) {
        free(*out);
        *out = NULL;
        return pdx__h5_error(err, s->path, "status", "cannot read");
    }
    return PDX_OK;
}

uint64_t pdx__file_task(const pdx_store *s, uint64_t slot)
{
    return s->shard_count > 1 ? s->file_tasks[slot] : slot;
}

void pdx_store_info_clear(pdx_store_info *info)
{
    if (info == NULL)
        return;
    free(info->spec_text);
    free(info->spec_path);
    memset(info, 0, sizeof *info);
}

/* pdx_store_inspect of the open `file`: its attributes and its tasks by
 * status. */
static pdx_status inspect_open(hid_t file, const char *path,
                               pdx_store_info *info, pdx_error *err)
{
    double value = 0;
    pdx_status st = PDX_OK;
    if (pdx__get_text(file, "spec", &info->spec_text) < 0 ||
        pdx__get_text(file, "spec_path", &info->spec_path) < 0 ||
        pdx__read_shard(file, &info->shard_index, &info->shard_count) < 0)
        st = pdx__h5_error(err, path, "/", "cannot read the root attributes");
    if (st == PDX_OK) {
        info->spec_length =
            info->spec_text != NULL ? strlen(info->spec_text) : 0;
        pdx__copy_text_attr(file, "spec_sha256", info->spec_sha256,
                            sizeof info->spec_sha256);
        pdx__copy_text_attr(file, "rng", info->rng, sizeof info->rng);
        pdx__copy_text_attr(file, "pdx_version", info->pdx_version,
                            sizeof info->pdx_version);
        pdx__copy_text_attr(file, "git_describe", info->git_describe,
                            sizeof info->git_describe);
        pdx__copy_text_attr(file, "start_time", info->start_time,
                            sizeof info->start_time);
        if (pdx__get_double(file, "pdx_complete", &value) > 0)
            info->complete = value != 0;
        if (pdx__get_double(file, "rng_key_version", &value) > 0)
            info->rng_key_version = (int)value;
        char *source = NULL;
        if (pdx__get_text(file, "source", &source) == 0 && source != NULL)
            info->is_theory = strcmp(source, "theory") == 0;
        free(source);
        H5Eclear2(H5E_DEFAULT);
    }
    hid_t ds = H5I_INVALID_HID, space = H5I_INVALID_HID;
    hssize_t n = -1;
    if (st == PDX_OK) {
        ds = H5Dopen2(file, "status", H5P_DEFAULT);
        space = ds < 0 ? H5I_INVALID_HID : H5Dget_space(ds);
        n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
        if (n < 0)
            st = pdx__h5_error(err, path, "status", "cannot open");
    }
    int8_t *status = NULL;
    if (st == PDX_OK && (status = malloc((size_t)(n > 0 ? n : 1))) == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                           "out of memory");
    if (st == PDX_OK && n > 0 &&
        H5Dread(ds, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                status) < 0)
        st = pdx__h5_error(err, path, "status", "cannot read");
    if (st == PDX_OK) {
        info->tasks = (uint64_t)n;
        for (hssize_t t = 0; t < n; t++)
            if (status[t] >= 0 && status[t] <= 3)
                info->by_status[status[t]]++;
    }
    free(status);
    pdx__close_id(&space);
    pdx__close_id(&ds);
    if (st != PDX_OK)
        pdx_store_info_clear(info);
    return st;
}

pdx_status pdx_store_inspect(const char *path, pdx_store_info *info,
                             pdx_error *err)
{
    pdx__silence_hdf5();
    memset(info, 0, sizeof *info);
    info->shard_count = 1;
    hid_t file;
    pdx_status st = pdx__open_pdx_file(path, 1, &file, err);
    if (st != PDX_OK)
        return st;
    st = inspect_open(file, path, info, err);
    pdx__close_id(&file);
    return st;
}

/* The file's finished tasks' statuses into status[task] (the whole
 * grid's array; pending tasks of the file leave their entries alone), and
 * its tasks by status into by_status[4] (if not NULL). */
static pdx_status scatter_status(pdx_store *s, int8_t *status,
                                 uint64_t *by_status, pdx_error *err)
{
    int8_t *mine = NULL;
    pdx_status st = pdx__read_file_status(s, &mine, err);
    for (uint64_t i = 0; st == PDX_OK && i < s->n_file_tasks; i++) {
        if (mine[i] != PDX_TASK_PENDING)
            status[pdx__file_task(s, i)] = mine[i];
        if (by_status != NULL && mine[i] >= 0 && mine[i] <= 3)
            by_status[mine[i]]++;
    }
    free(mine);
    return st;
}

pdx_status pdx_store_gather_status(const char *path, const pdx_grid *grid,
                                   const pdx_layout *layout, int8_t *status,
                                   pdx_error *err)
{
    pdx__silence_hdf5();
    pdx_store *s = NULL;
    pdx_status st = pdx__open_for_reading(&s, path, grid, layout, 1, err);
    if (st == PDX_OK)
        st = scatter_status(s, status, NULL, err);
    pdx__store_free(s);
    return st;
}

/* 1 if the HDF5 superblock signature is at offset 0 or a power of two
 * from 512 below the file's size (where HDF5 looks for it), 0 if not, -1
 * on a read error (errno set). */
static int has_hdf5_signature(int fd, off_t size)
{
    static const unsigned char signature[8] = {0x89, 'H',  'D',  'F',
                                               '\r', '\n', 0x1a, '\n'};
    for (off_t at = 0; at + 8 <= size; at = at == 0 ? 512 : 2 * at) {
        unsigned char head[8];
        ssize_t n = pread(fd, head, sizeof head, at);
        if (n < 0)
            return -1;
        if (n == 8 && memcmp(head, signature, 8) == 0)
            return 1;
    }
    return 0;
}

pdx_status pdx_store_file_kind(const char *path, pdx_file_kind *kind,
                               pdx_error *err)
{
    pdx__silence_hdf5();
    *kind = PDX_FILE_ABSENT;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return PDX_OK;
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "cannot look at it: %s", strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        *kind = PDX_FILE_NOT_REGULAR;
        return PDX_OK;
    }
    if (st.st_size == 0) {
        *kind = PDX_FILE_EMPTY;
        return PDX_OK;
    }
    int fd = open(path, O_RDONLY);
    int hdf5 = fd < 0 ? -1 : has_hdf5_signature(fd, st.st_size);
    int saved = errno;
    if (fd >= 0)
        close(fd);
    if (hdf5 < 0)
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "cannot read: %s", strerror(saved));
    if (hdf5 == 0) {
        *kind = PDX_FILE_NOT_HDF5;
        return PDX_OK;
    }
    hid_t file = pdx__open_file(path, H5F_ACC_RDONLY, 1);
    if (file < 0)
        return pdx__h5_error(err, path, NULL,
                             "an HDF5 file that cannot be opened (damaged "
                             "or truncated?); pdx writes over no file it "
                             "cannot identify, even with --force: move it "
                             "away or choose another file with -o");
    double version = 0;
    int rc = pdx__get_double(file, "pdx_schema_version", &version);
    char *source = NULL;
    if (rc > 0 && pdx__get_text(file, "source", &source) < 0)
        rc = -1;
    pdx_status status = PDX_OK;
    if (rc < 0)
        status = pdx__h5_error(err, path, "/", "cannot read the root "
                                               "attributes");
    else if (rc == 0)
        *kind = PDX_FILE_FOREIGN_HDF5;
    else
        *kind = source != NULL && strcmp(source, "theory") == 0
                    ? PDX_FILE_THEORY
                    : PDX_FILE_RESULT;
    free(source);
    pdx__close_id(&file);
    return status;
}

const char *pdx_file_kind_text(pdx_file_kind kind)
{
    switch (kind) {
    case PDX_FILE_ABSENT: return "no file";
    case PDX_FILE_EMPTY: return "an empty file";
    case PDX_FILE_RESULT: return "a pdx result file (pdx run, pdx merge)";
    case PDX_FILE_THEORY: return "a pdx theory file (pdx theory)";
    case PDX_FILE_FOREIGN_HDF5: return "an HDF5 file that is not a pdx file";
    case PDX_FILE_NOT_HDF5:
        return "not an HDF5 file (a spec, text or other data)";
    case PDX_FILE_NOT_REGULAR:
        return "not a regular file (a directory, device or pipe)";
    }
    return "unknown";
}

/* ------------------------------------------------------------------------ */
/* The shard deal, once per process                                         */

/* The last deal computed: every task's shard, and the tasks of each shard
 * (ascending) at first[shard] .. first[shard + 1] of by_shard. The store
 * is called from one thread at a time (pdx/store.h), so is this. */
static struct {
    char spec_sha256[65];
    uint64_t n_tasks, n_cells, replicas, count;
    uint64_t *first;    /* count + 1 */
    uint64_t *by_shard; /* n_tasks */
} shard_deal_cache;

static void shard_deal_forget(void)
{
    free(shard_deal_cache.first);
    free(shard_deal_cache.by_shard);
    memset(&shard_deal_cache, 0, sizeof shard_deal_cache);
}

pdx_status pdx__shard_file_tasks(const pdx_store *s, uint64_t **tasks,
                                 uint64_t *n, pdx_error *err)
{
    const pdx_grid *g = s->grid;
    *tasks = NULL;
    *n = 0;
    if (s->shard_index >= s->shard_count)
        return pdx_grid_shard_tasks(g, s->shard_index, s->shard_count, tasks,
                                    n, err); /* its error */
    if (shard_deal_cache.first == NULL ||
        strcmp(shard_deal_cache.spec_sha256, s->spec_sha256) != 0 ||
        shard_deal_cache.n_tasks != g->n_tasks ||
        shard_deal_cache.n_cells != g->n_cells ||
        shard_deal_cache.replicas != g->replicas ||
        shard_deal_cache.count != s->shard_count) {
        shard_deal_forget();
        uint32_t *shard_of = NULL;
        pdx_status st = pdx_grid_shard_deal(g, s->shard_count, &shard_of, err);
        if (st != PDX_OK)
            return st;
        uint64_t *first = calloc((size_t)s->shard_count + 1, sizeof *first);
        uint64_t *by_shard =
            malloc((size_t)(g->n_tasks ? g->n_tasks : 1) * sizeof *by_shard);
        if (first == NULL || by_shard == NULL) {
            free(shard_of);
            free(first);
            free(by_shard);
            return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, NULL,
                                 "out of memory dealing the shards");
        }
        for (uint64_t t = 0; t < g->n_tasks; t++)
            first[shard_of[t] + 1]++;
        for (uint64_t k = 0; k < s->shard_count; k++)
            first[k + 1] += first[k];
        /* a counting sort: tasks stay ascending within each shard */
        uint64_t *next = malloc((size_t)s->shard_count * sizeof *next);
        if (next == NULL) {
            free(shard_of);
            free(first);
            free(by_shard);
            return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, NULL,
                                 "out of memory dealing the shards");
        }
        memcpy(next, first, (size_t)s->shard_count * sizeof *next);
        for (uint64_t t = 0; t < g->n_tasks; t++)
            by_shard[next[shard_of[t]]++] = t;
        free(next);
        free(shard_of);
        memcpy(shard_deal_cache.spec_sha256, s->spec_sha256, 65);
        shard_deal_cache.n_tasks = g->n_tasks;
        shard_deal_cache.n_cells = g->n_cells;
        shard_deal_cache.replicas = g->replicas;
        shard_deal_cache.count = s->shard_count;
        shard_deal_cache.first = first;
        shard_deal_cache.by_shard = by_shard;
    }
    uint64_t a = shard_deal_cache.first[s->shard_index];
    uint64_t b = shard_deal_cache.first[s->shard_index + 1];
    if (b == a)
        return PDX_OK;
    *tasks = malloc((size_t)(b - a) * sizeof **tasks);
    if (*tasks == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, NULL,
                             "out of memory");
    memcpy(*tasks, shard_deal_cache.by_shard + a,
           (size_t)(b - a) * sizeof **tasks);
    *n = b - a;
    return PDX_OK;
}

pdx_status pdx_store_scan_file(const char *path, const pdx_grid *grid,
                               const pdx_layout *layout, int8_t *status,
                               pdx_store_verify_report *report,
                               pdx_store_info *info, pdx_error *err)
{
    pdx__silence_hdf5();
    if (report != NULL)
        memset(report, 0, sizeof *report);
    if (info != NULL) {
        memset(info, 0, sizeof *info);
        info->shard_count = 1;
    }
    if (path == NULL || grid == NULL || layout == NULL || status == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: path, grid, layout and status are "
                             "required");
    pdx_store *s = NULL;
    pdx_status st = pdx__open_for_reading(&s, path, grid, layout, 1, err);
    if (st == PDX_OK)
        st = scatter_status(s, status, info != NULL ? info->by_status : NULL,
                            err);
    if (st == PDX_OK && info != NULL) { /* what a set's file line shows */
        double complete = 0;
        info->tasks = s->n_file_tasks;
        info->shard_index = s->shard_index;
        info->shard_count = s->shard_count;
        if (pdx__get_double(s->file, "pdx_complete", &complete) < 0)
            st = pdx__h5_error(err, path, "/@pdx_complete",
                               "cannot read attribute");
        info->complete = complete != 0;
    }
    if (st == PDX_OK && report != NULL)
        st = pdx_store_verify(s, report, err);
    pdx__store_free(s);
    return st;
}

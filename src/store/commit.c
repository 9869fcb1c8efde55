/* commit.c — per-task commits (data, flush, status, flush), sync, destroy. */
#include "store_internal.h"

/* ------------------------------------------------------------------------ */
/* Commits                                                                   */

pdx_status pdx_store_read_status(pdx_store *store, int8_t *status,
                                 pdx_error *err)
{
    pdx__silence_hdf5();
    if (store == NULL || status == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "store: store and status are required");
    if (store->shard_count <= 1) {
        if (H5Dread(store->datasets[DVAR_STATUS_INDEX], H5T_NATIVE_INT8,
                    H5S_ALL, H5S_ALL, H5P_DEFAULT, status) < 0)
            return pdx__h5_error(err, store->path, "status", "cannot read");
        return PDX_OK;
    }
    memset(status, PDX_TASK_PENDING, (size_t)store->grid->n_tasks);
    if (store->n_file_tasks == 0)
        return PDX_OK;
    int8_t *mine = malloc((size_t)store->n_file_tasks);
    if (mine == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, store->path, 0, 0, "status",
                             "out of memory");
    pdx_status st = PDX_OK;
    if (H5Dread(store->datasets[DVAR_STATUS_INDEX], H5T_NATIVE_INT8, H5S_ALL,
                H5S_ALL, H5P_DEFAULT, mine) < 0)
        st = pdx__h5_error(err, store->path, "status", "cannot read");
    for (uint64_t i = 0; st == PDX_OK && i < store->n_file_tasks; i++)
        status[store->file_tasks[i]] = mine[i];
    free(mine);
    return st;
}

/* Where task `task`'s block of variable k lies: start and count of rank
 * dims (the extra dimensions whole); returns the rank, *length the
 * elements of the block. The task must be in the file. */
int pdx__task_selection(const pdx_store *s, size_t k, uint64_t task,
                        hsize_t *start, hsize_t *count, hsize_t *length)
{
    const pdx_grid *g = s->grid;
    hsize_t dims[MAX_RANK];
    int rank = pdx__dvar_dims(s, k, dims);
    size_t lead;
    if (s->shard_count > 1) {
        start[0] = pdx__file_slot(s, task);
        count[0] = 1;
        lead = 1;
    } else {
        uint64_t cell = task / g->replicas;
        for (size_t i = g->n_axes; i-- > 0;) {
            start[i] = cell % g->shape[i];
            cell /= g->shape[i];
            count[i] = 1;
        }
        start[g->n_axes] = task % g->replicas;
        count[g->n_axes] = 1;
        lead = g->n_axes + 1;
    }
    *length = 1;
    for (int i = (int)lead; i < rank; i++) {
        start[i] = 0;
        count[i] = dims[i];
        *length *= dims[i];
    }
    return rank;
}

/* Write `in` to the block of variable k at start/count, or (in NULL) read
 * it into `out`; messages name `task`, the task of the block. */
pdx_status pdx__block_io(pdx_store *s, size_t k, const hsize_t *start,
                         const hsize_t *count, uint64_t task,
                         const void *in, void *out, pdx_error *err)
{
    hsize_t dims[MAX_RANK], length = 1;
    int rank = pdx__dvar_dims(s, k, dims);
    for (int i = 0; i < rank; i++)
        length *= count[i];
    if (length == 0)
        return PDX_OK;
    /* the dataspaces are made once per variable (and again for another
     * block length): two fewer HDF5 objects per write of a commit */
    if (s->io_file_space[k] < 0)
        s->io_file_space[k] = H5Dget_space(s->datasets[k]);
    if (s->io_mem_space[k] >= 0 && s->io_length[k] != length)
        pdx__close_id(&s->io_mem_space[k]);
    if (s->io_mem_space[k] < 0) {
        s->io_mem_space[k] = H5Screate_simple(1, &length, NULL);
        s->io_length[k] = length;
    }
    hid_t file_space = s->io_file_space[k];
    hid_t mem_space = s->io_mem_space[k];
    hid_t type = pdx__dvar_mem_type(s->dvars[k].kind);
    pdx_status status = PDX_OK;
    if (file_space < 0 || mem_space < 0 ||
        H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count,
                            NULL) < 0 ||
        (in != NULL ? H5Dwrite(s->datasets[k], type, mem_space, file_space,
                               H5P_DEFAULT, in)
                    : H5Dread(s->datasets[k], type, mem_space, file_space,
                              H5P_DEFAULT, out)) < 0) {
        char where[512];
        pdx__describe_task(s, task, where, sizeof where);
        status = pdx__h5_error(err, s->path, s->dvars[k].name,
                               "cannot %s task %" PRIu64 " (%s)",
                               in != NULL ? "write" : "read", task, where);
    }
    return status;
}

/* Write `in` to the task's block of variable k, or (in NULL) read the
 * block into `out`. */
pdx_status pdx__task_block_io(pdx_store *s, size_t k, uint64_t task,
                              const void *in, void *out, pdx_error *err)
{
    hsize_t start[MAX_RANK], count[MAX_RANK], length;
    pdx__task_selection(s, k, task, start, count, &length);
    return pdx__block_io(s, k, start, count, task, in, out, err);
}

pdx_status pdx__write_task_block(pdx_store *s, size_t k, uint64_t task,
                                 const void *data, pdx_error *err)
{
    return pdx__task_block_io(s, k, task, data, NULL, err);
}

static pdx_status flush_commit(pdx_store *s, uint64_t task, const char *what,
                               pdx_error *err)
{
    if (H5Fflush(s->file, H5F_SCOPE_GLOBAL) < 0) {
        char where[512];
        pdx__describe_task(s, task, where, sizeof where);
        return pdx__h5_error(err, s->path, NULL,
                             "cannot flush the %s of task %" PRIu64 " (%s)",
                             what, task, where);
    }
    if (s->options.fsync_each_commit)
        return pdx__fsync_file(s->file, s->path, err);
    return PDX_OK;
}

/* Check one record against the store (task in range and in this shard,
 * a final status). */
static pdx_status check_record(const pdx_store *store,
                               const pdx_task_record *record, pdx_error *err)
{
    if (record->task >= store->grid->n_tasks)
        return pdx_error_set(err, PDX_ERR_USAGE, store->path, 0, 0, NULL,
                             "store: task %" PRIu64 " out of range (%" PRIu64
                             " tasks)",
                             record->task, store->grid->n_tasks);
    if (store->shard_count > 1 &&
        pdx__file_slot(store, record->task) == store->n_file_tasks)
        return pdx_error_set(err, PDX_ERR_USAGE, store->path, 0, 0, NULL,
                             "store: task %" PRIu64
                             " is not in shard %" PRIu64 " of %" PRIu64,
                             record->task, store->shard_index,
                             store->shard_count);
    if (record->status != PDX_TASK_DONE &&
        record->status != PDX_TASK_DIVERGED &&
        record->status != PDX_TASK_FAILED)
        return pdx_error_set(err, PDX_ERR_USAGE, store->path, 0, 0, NULL,
                             "store: task %" PRIu64
                             " committed with status %d (must be 1 done, 2 "
                             "diverged or 3 failed)",
                             record->task, (int)record->status);
    return PDX_OK;
}

pdx_status pdx_store_commit(pdx_store *store, const pdx_task_record *record,
                            pdx_error *err)
{
    return pdx_store_commit_many(store, record, record != NULL ? 1 : 0, err);
}

/* A group's tasks in file order: the records' indices sorted by task (the
 * file order of a whole-grid file and of a shard file's slots). */
typedef struct group_entry {
    uint64_t task;
    size_t record;
} group_entry;

static int by_group_task(const void *a, const void *b)
{
    const group_entry *x = a, *y = b;
    return x->task < y->task ? -1 : x->task > y->task;
}

/* A box of the lead dimensions (axes..., replica of a whole-grid file, or
 * the slot of a shard file): start and count per lead dimension. */
typedef struct group_box {
    hsize_t start[MAX_RANK], count[MAX_RANK];
} group_box;

/* The lead dimensions of the file and their sizes; returns their number. */
static size_t group_lead(const pdx_store *s, hsize_t *dims)
{
    if (s->shard_count > 1) {
        dims[0] = s->n_file_tasks;
        return 1;
    }
    for (size_t i = 0; i < s->grid->n_axes; i++)
        dims[i] = s->grid->shape[i];
    dims[s->grid->n_axes] = s->grid->replicas;
    return s->grid->n_axes + 1;
}

/* Split the run of positions [a, b) of the row-major lead dimensions into
 * boxes (at most 2 per dimension), appended to boxes[*n]. */
static void group_run_boxes(size_t lead, const hsize_t *dims, uint64_t a,
                            uint64_t b, group_box *boxes, size_t *n)
{
    hsize_t stride[MAX_RANK];
    stride[lead - 1] = 1;
    for (size_t i = lead - 1; i-- > 0;)
        stride[i] = stride[i + 1] * dims[i + 1];
    while (a < b) {
        /* the outermost dimension whose whole rows start at a and fit */
        size_t level = lead - 1;
        for (size_t i = 0; i < lead; i++)
            if (a % stride[i] == 0 && a + stride[i] <= b) {
                level = i;
                break;
            }
        group_box *box = &boxes[(*n)++];
        uint64_t rest = a;
        for (size_t i = 0; i < lead; i++) {
            box->start[i] = rest / stride[i];
            rest %= stride[i];
            box->count[i] = 1;
        }
        for (size_t i = 0; i < level; i++)
            box->start[i] %= dims[i];
        /* position of a along `level` within its row */
        uint64_t along = (a / stride[level]) % dims[level];
        uint64_t fit = (b - a) / stride[level];
        if (fit > dims[level] - along)
            fit = dims[level] - along;
        box->count[level] = fit;
        for (size_t i = level + 1; i < lead; i++) {
            box->start[i] = 0;
            box->count[i] = dims[i];
        }
        a += fit * stride[level];
    }
}

/* The boxes of a group's sorted tasks: runs of neighbouring positions,
 * each split into boxes. *boxes (allocated) receives them. */
static pdx_status group_boxes(const pdx_store *s, const group_entry *order,
                              size_t n, group_box **boxes, size_t *n_boxes,
                              pdx_error *err)
{
    hsize_t dims[MAX_RANK];
    size_t lead = group_lead(s, dims);
    /* count the runs first: each yields at most 2 lead boxes */
    size_t runs = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t pos = s->shard_count > 1 ? pdx__file_slot(s, order[i].task)
                                          : order[i].task;
        uint64_t prev = i > 0 ? (s->shard_count > 1
                                     ? pdx__file_slot(s, order[i - 1].task)
                                     : order[i - 1].task)
                              : 0;
        if (i == 0 || pos != prev + 1)
            runs++;
    }
    *boxes = malloc(runs * 2 * lead * sizeof **boxes + sizeof **boxes);
    if (*boxes == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, NULL,
                             "out of memory for a commit group");
    *n_boxes = 0;
    for (size_t i = 0; i < n;) {
        uint64_t a = s->shard_count > 1 ? pdx__file_slot(s, order[i].task)
                                        : order[i].task;
        uint64_t b = a + 1;
        size_t j = i + 1;
        for (; j < n; j++) {
            uint64_t pos = s->shard_count > 1
                               ? pdx__file_slot(s, order[j].task)
                               : order[j].task;
            if (pos != b)
                break;
            b++;
        }
        group_run_boxes(lead, dims, a, b, *boxes, n_boxes);
        i = j;
    }
    return PDX_OK;
}

/* One write (in: not NULL) or read (into out) of variable k for a whole
 * group: the boxes selected in the file (extra dimensions whole), the
 * memory holding the tasks' blocks in task order (HDF5 maps a
 * selection's elements in the file's row-major order). */
static pdx_status group_io(pdx_store *s, size_t k, const group_box *boxes,
                           size_t n_boxes, size_t n_tasks, const void *in,
                           void *out, uint64_t first_task, pdx_error *err)
{
    hsize_t dims[MAX_RANK], start[MAX_RANK], count[MAX_RANK];
    int rank = pdx__dvar_dims(s, k, dims);
    hsize_t lead_dims[MAX_RANK];
    size_t lead = group_lead(s, lead_dims);
    hsize_t length = (hsize_t)n_tasks * pdx__dvar_block_length(s, k);
    if (length == 0)
        return PDX_OK;
    if (s->io_file_space[k] < 0)
        s->io_file_space[k] = H5Dget_space(s->datasets[k]);
    hid_t file_space = s->io_file_space[k];
    hid_t mem_space = H5Screate_simple(1, &length, NULL);
    herr_t h = file_space < 0 || mem_space < 0 ? -1 : 0;
    for (size_t b = 0; h >= 0 && b < n_boxes; b++) {
        for (size_t i = 0; i < lead; i++) {
            start[i] = boxes[b].start[i];
            count[i] = boxes[b].count[i];
        }
        for (int i = (int)lead; i < rank; i++) {
            start[i] = 0;
            count[i] = dims[i];
        }
        h = H5Sselect_hyperslab(file_space,
                                b == 0 ? H5S_SELECT_SET : H5S_SELECT_OR,
                                start, NULL, count, NULL);
    }
    hid_t type = pdx__dvar_mem_type(s->dvars[k].kind);
    if (h >= 0)
        h = in != NULL ? H5Dwrite(s->datasets[k], type, mem_space, file_space,
                                  H5P_DEFAULT, in)
                       : H5Dread(s->datasets[k], type, mem_space, file_space,
                                 H5P_DEFAULT, out);
    pdx_status status = PDX_OK;
    if (h < 0) {
        char where[512];
        pdx__describe_task(s, first_task, where, sizeof where);
        status = pdx__h5_error(err, s->path, s->dvars[k].name,
                               "cannot %s a group of %zu tasks (the "
                               "first: task %" PRIu64 ", %s)",
                               in != NULL ? "write" : "read", n_tasks,
                               first_task, where);
    }
    pdx__close_id(&mem_space);
    return status;
}

/* Gather the group's blocks of variable k into `stage` in task order:
 * layout variables from the records' values (NULL: NaN), steps,
 * wall_seconds, the checksums (sums[]) and the status. */
static void group_gather(const pdx_store *s, size_t k,
                         const pdx_task_record *records,
                         const group_entry *order, size_t n,
                         const uint32_t *sums, void *stage)
{
    size_t block = pdx__dvar_block_length(s, k);
    for (size_t i = 0; i < n; i++) {
        const pdx_task_record *r = &records[order[i].record];
        if (k == DVAR_STATUS_INDEX)
            ((int8_t *)stage)[i] = r->status;
        else if (k == DVAR_STEPS_INDEX)
            ((int64_t *)stage)[i] = r->steps;
        else if (k == DVAR_WALL_INDEX)
            ((double *)stage)[i] = r->wall_seconds;
        else if (pdx__has_checksum(s) && k == s->checksum_k)
            ((uint32_t *)stage)[i] = sums[order[i].record];
        else {
            size_t v = s->dvars[k].source; /* the layout variable */
            const double *data = r->values != NULL && r->values[v] != NULL
                                     ? r->values[v]
                                     : s->nan_block;
            memcpy((double *)stage + i * block, data, block * sizeof(double));
        }
    }
}

pdx_status pdx_store_commit_many(pdx_store *store,
                                 const pdx_task_record *records, size_t n,
                                 pdx_error *err)
{
    pdx__silence_hdf5();
    if (store == NULL || records == NULL || n == 0)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "store: store and records are required");
    pdx_status status = PDX_OK;
    for (size_t i = 0; i < n && status == PDX_OK; i++)
        status = check_record(store, &records[i], err);
    if (status != PDX_OK)
        return status;
    group_entry *order = malloc(n * sizeof *order);
    uint32_t *sums = malloc(n * sizeof *sums);
    size_t widest = 1;
    for (size_t k = 0; k < store->n_dvars; k++) {
        size_t b = pdx__dvar_block_length(store, k);
        if (b > widest)
            widest = b;
    }
    void *stage = malloc(n * widest * sizeof(double));
    group_box *boxes = NULL;
    size_t n_boxes = 0;
    if (order == NULL || sums == NULL || stage == NULL)
        status = pdx_error_set(err, PDX_ERR_NOMEM, store->path, 0, 0, NULL,
                               "out of memory for a commit group of %zu "
                               "tasks",
                               n);
    for (size_t i = 0; status == PDX_OK && i < n; i++) {
        order[i].task = records[i].task;
        order[i].record = i;
    }
    if (status == PDX_OK)
        qsort(order, n, sizeof *order, by_group_task);
    for (size_t i = 1; status == PDX_OK && i < n; i++)
        if (order[i].task == order[i - 1].task)
            status = pdx_error_set(err, PDX_ERR_USAGE, store->path, 0, 0,
                                   NULL,
                                   "store: task %" PRIu64
                                   " twice in one commit",
                                   order[i].task);
    if (status == PDX_OK)
        status = group_boxes(store, order, n, &boxes, &n_boxes, err);
    /* the checksum goes with the data, before the status: a status never
     * reaches the file without it */
    for (size_t i = 0; status == PDX_OK && pdx__has_checksum(store) && i < n;
         i++)
        sums[i] = pdx__record_checksum(store, records[i].status,
                                       records[i].steps, records[i].values);
    /* every task's data (one write per variable), one flush, every
     * status (one write), one flush: a task is marked finished only once
     * all of its data is on disk */
    for (size_t k = 0; status == PDX_OK && k < store->n_dvars; k++) {
        if (k == DVAR_STATUS_INDEX)
            continue;
        group_gather(store, k, records, order, n, sums, stage);
        status = group_io(store, k, boxes, n_boxes, n, stage, NULL,
                          order[0].task, err);
    }
    if (status == PDX_OK)
        status = flush_commit(store, order[0].task, "results", err);
    if (status == PDX_OK) {
        group_gather(store, DVAR_STATUS_INDEX, records, order, n, sums, stage);
        status = group_io(store, DVAR_STATUS_INDEX, boxes, n_boxes, n, stage,
                          NULL, order[0].task, err);
    }
    if (status == PDX_OK)
        status = flush_commit(store, order[0].task, "status", err);
    free(boxes);
    free(stage);
    free(sums);
    free(order);
    return status;
}

pdx_status pdx__slots_read(pdx_store *s, size_t k, uint64_t first,
                           uint64_t n, void *out, pdx_error *err)
{
    if (n == 0)
        return PDX_OK;
    hsize_t dims[MAX_RANK];
    size_t lead = group_lead(s, dims);
    group_box *boxes = malloc(2 * lead * sizeof *boxes + sizeof *boxes);
    if (boxes == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, NULL,
                             "out of memory");
    size_t n_boxes = 0;
    group_run_boxes(lead, dims, first, first + n, boxes, &n_boxes);
    pdx_status st = group_io(s, k, boxes, n_boxes, (size_t)n, NULL, out,
                             pdx__file_task(s, first), err);
    free(boxes);
    return st;
}

pdx_status pdx_store_sync(pdx_store *store, pdx_error *err)
{
    pdx__silence_hdf5();
    if (store == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "store: no store to sync");
    if (H5Fflush(store->file, H5F_SCOPE_GLOBAL) < 0)
        return pdx__h5_error(err, store->path, NULL, "cannot flush");
    return pdx__fsync_file(store->file, store->path, err);
}

void pdx_store_destroy(pdx_store **store)
{
    if (store == NULL || *store == NULL)
        return;
    pdx__silence_hdf5();
    pdx__store_free(*store);
    *store = NULL;
}

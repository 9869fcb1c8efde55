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
    /* every task's data, one flush, then every status, one flush: a task
     * is marked finished only once all of its data is on disk */
    for (size_t i = 0; i < n && status == PDX_OK; i++) {
        const pdx_task_record *record = &records[i];
        for (size_t k = DVAR_FIXED; k < store->checksum_k && status == PDX_OK;
             k++) {
            size_t v = store->dvars[k].source;
            const double *data =
                record->values != NULL && record->values[v] != NULL
                    ? record->values[v]
                    : store->nan_block;
            status = pdx__write_task_block(store, k, record->task, data, err);
        }
        if (status == PDX_OK)
            status = pdx__write_task_block(store, DVAR_STEPS_INDEX,
                                           record->task, &record->steps, err);
        if (status == PDX_OK)
            status = pdx__write_task_block(store, DVAR_WALL_INDEX, record->task,
                                           &record->wall_seconds, err);
        /* the checksum goes with the data, before the status: a status
         * never reaches the file without it */
        if (status == PDX_OK && pdx__has_checksum(store)) {
            uint32_t sum = pdx__record_checksum(store, record->status,
                                                record->steps, record->values);
            status = pdx__write_task_block(store, store->checksum_k,
                                           record->task, &sum, err);
        }
    }
    if (status == PDX_OK)
        status = flush_commit(store, records[0].task, "results", err);
    for (size_t i = 0; i < n && status == PDX_OK; i++)
        status = pdx__write_task_block(
            store, DVAR_STATUS_INDEX, records[i].task, &records[i].status, err);
    if (status == PDX_OK)
        status = flush_commit(store, records[0].task, "status", err);
    return status;
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

/* layout.c — the store object and its layout arithmetic: data variables,
 * their dimensions, the slot of a task in a (shard) file. */
#include "store_internal.h"

/* ------------------------------------------------------------------------ */
/* The store                                                                 */

hid_t pdx__dvar_file_type(dvar_kind kind)
{
    return kind == DVAR_STATUS     ? H5T_STD_I8LE
           : kind == DVAR_STEPS    ? H5T_STD_I64LE
           : kind == DVAR_CHECKSUM ? H5T_STD_U32LE
                                   : H5T_IEEE_F64LE;
}

hid_t pdx__dvar_mem_type(dvar_kind kind)
{
    return kind == DVAR_STATUS     ? H5T_NATIVE_INT8
           : kind == DVAR_STEPS    ? H5T_NATIVE_INT64
           : kind == DVAR_CHECKSUM ? H5T_NATIVE_UINT32
                                   : H5T_NATIVE_DOUBLE;
}

size_t pdx__dvar_elem_size(dvar_kind kind)
{
    return kind == DVAR_STATUS ? 1 : kind == DVAR_CHECKSUM ? 4 : 8;
}

static const int8_t status_fill = PDX_TASK_PENDING;
static const int64_t steps_fill = -1;
static const uint32_t checksum_fill = 0;

const void *pdx__dvar_fill(dvar_kind kind, const double *nan_value)
{
    return kind == DVAR_STATUS     ? (const void *)&status_fill
           : kind == DVAR_STEPS    ? (const void *)&steps_fill
           : kind == DVAR_CHECKSUM ? (const void *)&checksum_fill
                                   : (const void *)nan_value;
}

/* Dimensions of data variable k: (axes..., replica, extra...). */
int pdx__dvar_dims(const pdx_store *s, size_t k, hsize_t *dims)
{
    const pdx_grid *g = s->grid;
    int rank = 0;
    if (s->shard_count > 1) {
        dims[rank++] = s->n_file_tasks;
    } else {
        for (size_t i = 0; i < g->n_axes; i++)
            dims[rank++] = g->shape[i];
        dims[rank++] = g->replicas;
    }
    for (size_t j = 0; j < s->dvars[k].n_extra; j++)
        dims[rank++] = s->layout->dim_size[s->dvars[k].extra[j]];
    return rank;
}

/* Leading dimensions of a data variable that a final file chunks one
 * element at a time (or several when a task is small): the axes of a
 * whole-grid file (replica follows, whole), the task of a shard file. */
size_t pdx__lead_dims(const pdx_store *s)
{
    return s->shard_count > 1 ? 1 : s->grid->n_axes;
}

/* Index of `task` in a shard file's task list, or n_file_tasks. */
uint64_t pdx__file_slot(const pdx_store *s, uint64_t task)
{
    uint64_t lo = 0, hi = s->n_file_tasks;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (s->file_tasks[mid] < task)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n_file_tasks && s->file_tasks[lo] == task
               ? lo
               : s->n_file_tasks;
}

size_t pdx__dvar_block_length(const pdx_store *s, size_t k)
{
    size_t n = 1;
    for (size_t j = 0; j < s->dvars[k].n_extra; j++)
        n *= s->layout->dim_size[s->dvars[k].extra[j]];
    return n;
}

const pdx_axis *pdx__axis(const pdx_store *s, size_t i)
{
    return &s->spec->axes[s->grid->dim_axis[i]];
}

const pdx_key *pdx__axis_key(const pdx_store *s, size_t i)
{
    return &pdx_spec_keys(NULL)[pdx__axis(s, i)->key];
}

size_t pdx__zip_coordinates(const pdx_store *s, char *buf, size_t size)
{
    const pdx_grid *g = s->grid;
    size_t n = 0, used = 0;
    if (size > 0)
        buf[0] = '\0';
    for (size_t i = 0; i < g->n_axes; i++)
        for (size_t m = 1; m < g->dim_members[i]; m++, n++) {
            const pdx_axis *member = &pdx__axis(s, i)[m];
            int w = snprintf(buf + used, used < size ? size - used : 0,
                             "%s%s", used > 0 ? " " : "",
                             pdx_spec_keys(NULL)[member->key].name);
            if (w > 0)
                used += (size_t)w;
        }
    return n;
}

/* "train.learning_rate=0.5, student.activation=relu, replica=2" */
void pdx__describe_task(const pdx_store *s, uint64_t task, char *buf,
                        size_t size)
{
    const pdx_grid *g = s->grid;
    uint64_t cell = task / g->replicas;
    size_t index[MAX_RANK];
    for (size_t i = g->n_axes; i-- > 0;) {
        index[i] = (size_t)(cell % g->shape[i]);
        cell /= g->shape[i];
    }
    size_t used = 0;
    buf[0] = '\0';
    for (size_t a = 0, i = 0; a < s->spec->n_axes && used < size; a++) {
        while (i + 1 < g->n_axes && g->dim_axis[i + 1] <= a)
            i++;
        const pdx_key *key = &pdx_spec_keys(NULL)[s->spec->axes[a].key];
        double v = s->spec->axes[a].values[index[i]];
        const char *choice = key->type == PDX_KEY_CHOICE
                                 ? pdx_spec_choice_name(s->spec->axes[a].key,
                                                        (int)v)
                                 : NULL;
        int n = choice != NULL
                    ? snprintf(buf + used, size - used, "%s=%s, ", key->name,
                               choice)
                    : snprintf(buf + used, size - used, "%s=%.10g, ",
                               key->name, v);
        if (n > 0)
            used += (size_t)n;
    }
    if (used < size)
        snprintf(buf + used, size - used, "replica=%" PRIu64,
                 task % g->replicas);
}

int pdx__name_taken(const pdx_store *s, const char *name, size_t n_dvars)
{
    for (size_t a = 0; a < s->spec->n_axes; a++) /* zip members too */
        if (strcmp(pdx_spec_keys(NULL)[s->spec->axes[a].key].name, name) == 0)
            return 1;
    if (strcmp(name, "replica") == 0 || strcmp(name, "task") == 0)
        return 1;
    for (int d = 0; d < PDX_DIM_COUNT; d++)
        if (strcmp(dim_names[d], name) == 0)
            return 1;
    for (size_t k = 0; k < n_dvars; k++)
        if (strcmp(s->dvars[k].name, name) == 0)
            return 1;
    return 0;
}


/* Close and remove a frame built by pdx_store_prepare_finish. */
void pdx__discard_frame(pdx_store *s)
{
    if (s->final_tmp == NULL)
        return;
    for (size_t k = 0; s->final_out != NULL && k < s->n_dvars; k++)
        pdx__close_id(&s->final_out[k]);
    pdx__discard_file(&s->final_file);
    unlink(s->final_tmp);
    free(s->final_tmp);
    free(s->final_out);
    s->final_tmp = NULL;
    s->final_out = NULL;
}

void pdx__store_free(pdx_store *s)
{
    if (s == NULL)
        return;
    pdx__discard_frame(s);
    if (s->datasets != NULL)
        for (size_t k = 0; k < s->n_dvars; k++)
            pdx__close_id(&s->datasets[k]);
    pdx__close_id(&s->file);
    for (size_t k = 0; s->io_file_space != NULL && k < s->n_dvars; k++)
        pdx__close_id(&s->io_file_space[k]);
    for (size_t k = 0; s->io_mem_space != NULL && k < s->n_dvars; k++)
        pdx__close_id(&s->io_mem_space[k]);
    free(s->io_file_space);
    free(s->io_mem_space);
    free(s->io_length);
    free(s->file_tasks);
    free(s->datasets);
    free(s->dvars);
    free(s->nan_block);
    free(s->path);
    free(s);
}

/* Validate the arguments and build the store object (no file yet). */
/* Do grid, its spec and layout agree (the store's own checks: shapes,
 * axis types, counts)? Returns PDX_OK, PDX_ERR_USAGE, PDX_ERR_TOO_BIG. */
static pdx_status check_grid(const char *path, const pdx_grid *grid,
                             const pdx_layout *layout, pdx_error *err)
{
    const pdx_spec *spec = grid->spec;
    size_t members = 0;
    for (size_t i = 0; i < grid->n_axes; i++)
        members += grid->dim_members[i];
    if (members != spec->n_axes)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: grid has %zu axes but its spec %zu",
                             members, spec->n_axes);
    if (grid->n_axes + 4 > MAX_RANK)
        return pdx_error_set(err, PDX_ERR_TOO_BIG, path, 0, 0, NULL,
                             "store: %zu axes exceed HDF5's %d dimensions",
                             grid->n_axes, MAX_RANK - 4);
    uint64_t cells = 1;
    for (size_t i = 0; i < grid->n_axes; i++) {
        const pdx_axis *axis = &spec->axes[grid->dim_axis[i]];
        pdx_key_type type = pdx_spec_keys(NULL)[axis->key].type;
        if (grid->shape[i] == 0 || grid->shape[i] != axis->n ||
            (type != PDX_KEY_INT && type != PDX_KEY_REAL &&
             type != PDX_KEY_CHOICE))
            return pdx_error_set(
                err, PDX_ERR_USAGE, path, 0, 0,
                pdx_spec_keys(NULL)[axis->key].name,
                "store: axis %zu has %zu values in the grid, %zu in the spec",
                i, grid->shape[i], axis->n);
        cells *= grid->shape[i];
    }
    if (grid->replicas == 0 || cells != grid->n_cells ||
        grid->n_tasks != grid->n_cells * grid->replicas)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: inconsistent grid (%" PRIu64
                             " cells, %" PRIu64 " replicas, %" PRIu64
                             " tasks)",
                             grid->n_cells, grid->replicas, grid->n_tasks);
    if (layout->n_vars > 0 && layout->vars == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: layout has no variable table");
    if (layout->dim_size[PDX_DIM_TIME] != spec->n_times)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, "time",
                             "store: layout has %zu times, the spec %zu",
                             layout->dim_size[PDX_DIM_TIME], spec->n_times);

    return PDX_OK;
}

/* Variables of the layout that files hold (not omitted). */
static size_t pdx__written_vars(const pdx_layout *layout)
{
    size_t n = 0;
    for (size_t v = 0; v < layout->n_vars; v++)
        n += !(v < 64 && (layout->omit >> v & 1u));
    return n;
}

/* The layout's variables after the store's own, as data variables. */
static pdx_status add_layout_vars(pdx_store *s, const pdx_layout *layout,
                                  const char *path, pdx_error *err)
{
    size_t k = DVAR_FIXED;
    for (size_t v = 0; v < layout->n_vars; v++) {
        const pdx_var_desc *desc = &layout->vars[v];
        if (v < 64 && (layout->omit >> v & 1u))
            continue;
        if (desc->name == NULL || desc->name[0] == '\0' ||
            strchr(desc->name, '/') != NULL || desc->n_dims > 3 ||
            pdx__name_taken(s, desc->name, k)) {
            return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0,
                                 desc->name != NULL ? desc->name : "",
                                 "store: layout variable %zu has a bad, "
                                 "duplicate or reserved name or more than 3 "
                                 "extra dimensions",
                                 v);
        }
        dvar *d = &s->dvars[k++];
        d->source = v;
        d->name = desc->name;
        d->long_name = desc->long_name;
        d->units = desc->units;
        d->kind = DVAR_F64;
        d->n_extra = desc->n_dims;
        for (size_t j = 0; j < desc->n_dims; j++) {
            if ((int)desc->dims[j] < 0 || desc->dims[j] >= PDX_DIM_COUNT) {
                return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0,
                                     desc->name,
                                     "store: unknown dimension %d",
                                     (int)desc->dims[j]);
            }
            d->extra[j] = desc->dims[j];
            s->dim_used[desc->dims[j]] = 1;
        }
        size_t block = pdx__dvar_block_length(s, k - 1);
        if (block > s->nan_block_length)
            s->nan_block_length = block;
    }
    return PDX_OK;
}

pdx_status pdx__store_new(pdx_store **out, const char *path,
                          const pdx_grid *grid, const pdx_layout *layout,
                          const pdx_store_options *options, pdx_error *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0' || grid == NULL || layout == NULL ||
        grid->spec == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: path, grid, grid->spec and layout are "
                             "required");
    pdx_status st = check_grid(path, grid, layout, err);
    if (st != PDX_OK)
        return st;
    const pdx_spec *spec = grid->spec;
    pdx_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory");
    s->file = H5I_INVALID_HID;
    s->final_file = H5I_INVALID_HID;
    s->grid = grid;
    s->spec = spec;
    s->layout = layout;
    if (options != NULL)
        s->options = *options;
    s->path = strdup(path);
    s->checksum_k = DVAR_FIXED + pdx__written_vars(layout);
    s->n_dvars = s->checksum_k + 1;
    s->dvars = calloc(s->n_dvars, sizeof *s->dvars);
    s->datasets = malloc(s->n_dvars * sizeof *s->datasets);
    s->io_file_space = malloc(s->n_dvars * sizeof *s->io_file_space);
    s->io_mem_space = malloc(s->n_dvars * sizeof *s->io_mem_space);
    s->io_length = calloc(s->n_dvars, sizeof *s->io_length);
    for (size_t k = 0; k < s->n_dvars; k++) {
        if (s->datasets != NULL)
            s->datasets[k] = H5I_INVALID_HID;
        if (s->io_file_space != NULL)
            s->io_file_space[k] = H5I_INVALID_HID;
        if (s->io_mem_space != NULL)
            s->io_mem_space[k] = H5I_INVALID_HID;
    }
    if (s->path == NULL || s->dvars == NULL || s->datasets == NULL ||
        s->io_file_space == NULL || s->io_mem_space == NULL ||
        s->io_length == NULL) {
        pdx__store_free(s);
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory");
    }
    s->dvars[DVAR_STATUS_INDEX] = (dvar){
        "status", "task status: 0 pending, 1 done, 2 diverged, 3 failed",
        NULL, DVAR_STATUS, 0, {PDX_DIM_TIME, PDX_DIM_TIME, PDX_DIM_TIME}, 0};
    s->dvars[DVAR_STEPS_INDEX] = (dvar){
        "steps", "SGD steps taken (-1 while pending)", "1", DVAR_STEPS, 0,
        {PDX_DIM_TIME, PDX_DIM_TIME, PDX_DIM_TIME}, 0};
    s->dvars[DVAR_WALL_INDEX] = (dvar){
        "wall_seconds", "wall-clock time of the task", "s", DVAR_F64, 0,
        {PDX_DIM_TIME, PDX_DIM_TIME, PDX_DIM_TIME}, 0};
    s->nan_block_length = 1; /* wall_seconds, and a layout without variables */
    st = add_layout_vars(s, layout, path, err);
    if (st == PDX_OK && pdx__name_taken(s, "checksum", s->checksum_k))
        st = pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, "checksum",
                           "store: 'checksum' is reserved for the store's "
                           "per-task checksum");
    s->dvars[s->checksum_k] = (dvar){
        "checksum",
        "CRC-32 of the task's results (0 while pending; docs/FORMAT.md)",
        NULL, DVAR_CHECKSUM, 0, {PDX_DIM_TIME, PDX_DIM_TIME, PDX_DIM_TIME}, 0};
    if (st != PDX_OK) {
        pdx__store_free(s);
        return st;
    }
    for (int d = 0; d < PDX_DIM_COUNT; d++)
        if (layout->dim_size[d] > 0)
            s->dim_used[d] = 1;
    if (s->nan_block_length > 0) {
        s->nan_block = malloc(s->nan_block_length * sizeof *s->nan_block);
        if (s->nan_block == NULL) {
            pdx__store_free(s);
            return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                                 "out of memory");
        }
        for (size_t i = 0; i < s->nan_block_length; i++)
            s->nan_block[i] = NAN;
    }
    pdx_store_spec_sha256(spec, s->spec_sha256);
    s->shard_count = s->options.shard_count > 1 ? s->options.shard_count : 1;
    s->shard_index = s->shard_count > 1 ? s->options.shard_index : 0;
    if (s->shard_count > 1) {
        st = pdx__shard_file_tasks(s, &s->file_tasks, &s->n_file_tasks,
                                   err);
        if (st != PDX_OK) {
            pdx__store_free(s);
            return st;
        }
    } else {
        s->n_file_tasks = grid->n_tasks;
    }
    *out = s;
    return PDX_OK;
}

pdx_status pdx__store_begin(pdx_store **out, pdx_store **s, const char *path,
                            const pdx_grid *grid, const pdx_layout *layout,
                            const pdx_store_options *options, pdx_error *err)
{
    pdx__silence_hdf5();
    if (out == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: out is NULL");
    *out = NULL;
    pdx_status status = pdx__store_new(s, path, grid, layout, options, err);
    if (status == PDX_OK)
        pdx_file_remove_stale_temporaries(path);
    return status;
}

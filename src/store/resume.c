/* resume.c — probe, open and match an existing working file against the
 * grid, layout and shard of a run. */
#include "store_internal.h"

/* ------------------------------------------------------------------------ */
/* Resume                                                                    */

static void format_dims(char *buf, size_t size, int rank, const hsize_t *dims)
{
    size_t used = 0;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < rank && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%llu",
                                 i > 0 ? ", " : "",
                                 (unsigned long long)dims[i]);
    if (used < size)
        snprintf(buf + used, size - used, ")");
}

/* Dataset `name` has exactly `dims`; *keep (not NULL) receives the open
 * dataset (the caller closes it), so that a variable is opened once. */
static pdx_status check_shape_keep(const pdx_store *s, const char *name,
                                   int rank, const hsize_t *dims, hid_t *keep,
                                   pdx_error *err)
{
    /* opened first, looked up only when that fails (one name lookup:
     * pdx info opens 23 variables in each of 1,000 shard files) */
    hid_t ds = H5Dopen2(s->file, name, H5P_DEFAULT);
    htri_t exists = ds >= 0 ? 1 : H5Lexists(s->file, name, H5P_DEFAULT);
    if (exists < 0)
        return pdx__h5_error(err, s->path, name, "cannot look up");
    if (exists == 0)
        return pdx_error_set(err, PDX_ERR_MISMATCH, s->path, 0, 0, name,
                             "the file has no variable '%s' (this run's "
                             "layout or axes differ)",
                             name);
    hid_t space = ds < 0 ? H5I_INVALID_HID : H5Dget_space(ds);
    hsize_t have[MAX_RANK];
    int have_rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    pdx_status status = PDX_OK;
    if (have_rank < 0 || have_rank > MAX_RANK ||
        H5Sget_simple_extent_dims(space, have, NULL) < 0)
        status = pdx__h5_error(err, s->path, name, "cannot read the shape");
    pdx__close_id(&space);
    if (keep != NULL && status == PDX_OK)
        *keep = ds;
    else
        pdx__close_id(&ds);
    if (status != PDX_OK)
        return status;
    int same = have_rank == rank;
    for (int i = 0; same && i < rank; i++)
        same = have[i] == dims[i];
    if (!same) {
        char a[256], b[256];
        format_dims(a, sizeof a, have_rank, have);
        format_dims(b, sizeof b, rank, dims);
        return pdx_error_set(err, PDX_ERR_MISMATCH, s->path, 0, 0, name,
                             "shape %s in the file but %s in this run", a, b);
    }
    return PDX_OK;
}

/* A transfer property list with a small conversion buffer: HDF5 zeroes
 * its default 1 MiB buffer for every read that converts (an int64
 * coordinate read as double), which dominated opening a small file. Made
 * once (a property list per read was a twentieth of `pdx info` over
 * 1,000 shard files); H5P_DEFAULT if it cannot be. */
static hid_t small_transfer(void)
{
    static hid_t dxpl = H5I_INVALID_HID;
    if (dxpl >= 0 && H5Iis_valid(dxpl) > 0)
        return dxpl;
    dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (dxpl >= 0 && H5Pset_buffer(dxpl, 64 * 1024, NULL, NULL) < 0)
        pdx__close_id(&dxpl);
    return dxpl >= 0 ? dxpl : H5P_DEFAULT;
}

typedef struct expected_names {
    const pdx_store *s;
    char unexpected[256];
    int failed;
} expected_names;

static int is_expected_name(const pdx_store *s, const char *name)
{
    if (pdx__name_taken(s, name, s->n_dvars) == 0)
        return 0;
    if (strcmp(name, "task") == 0)
        return s->shard_count > 1;
    for (int d = 0; d < PDX_DIM_COUNT; d++)
        if (strcmp(dim_names[d], name) == 0)
            return s->dim_used[d];
    return 1;
}

static herr_t expected_link(hid_t group, const char *name,
                            const H5L_info_t *info, void *data)
{
    (void)group;
    (void)info;
    expected_names *e = data;
    if (!is_expected_name(e->s, name)) {
        snprintf(e->unexpected, sizeof e->unexpected, "%s", name);
        return 1;
    }
    return 0;
}

/* The shard a file holds: 0 of 1 for a whole-grid file. Returns 0, or -1
 * with the HDF5 error stack set. */
int pdx__read_shard(hid_t file, uint64_t *index, uint64_t *count)
{
    double i = 0, n = 1;
    if (pdx__get_double(file, "pdx_shard_index", &i) < 0 ||
        pdx__get_double(file, "pdx_shard_count", &n) < 0)
        return -1;
    *index = i >= 0 ? (uint64_t)i : 0;
    *count = n >= 1 ? (uint64_t)n : 1;
    return 0;
}

/* A shard file's `task` coordinate is the task list of its shard. */
static pdx_status check_task_list(pdx_store *s, pdx_error *err)
{
    hsize_t dims[1] = {s->n_file_tasks};
    hid_t ds = H5I_INVALID_HID;
    pdx_status st = check_shape_keep(s, "task", 1, dims, &ds, err);
    uint64_t *have = st != PDX_OK || s->n_file_tasks == 0
                         ? NULL
                         : malloc((size_t)s->n_file_tasks * sizeof *have);
    if (st != PDX_OK || s->n_file_tasks == 0 || have == NULL) {
        pdx__close_id(&ds);
        return st != PDX_OK || s->n_file_tasks == 0
                   ? st
                   : pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, "task",
                                   "out of memory");
    }
    hid_t dxpl = small_transfer();
    if (ds < 0 || H5Dread(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, dxpl,
                          have) < 0)
        st = pdx__h5_error(err, s->path, "task", "cannot read the task list");
    pdx__close_id(&ds);
    if (st == PDX_OK &&
        memcmp(have, s->file_tasks,
               (size_t)s->n_file_tasks * sizeof *have) != 0)
        st = pdx_error_set(err, PDX_ERR_MISMATCH, s->path, 0, 0, "task",
                           "the file's tasks are not those this pdx deals "
                           "to shard %llu of %llu (written by a pdx with "
                           "another cost model?)",
                           (unsigned long long)s->shard_index,
                           (unsigned long long)s->shard_count);
    free(have);
    return st;
}

/* The n values of coordinate `name` (open as ds, by check_contents) are
 * `want` (as doubles; integer coordinates read as such): else the file's
 * labels are damaged. */
static pdx_status check_values(const pdx_store *s, const char *name,
                               hid_t ds, const double *want, size_t n,
                               pdx_error *err)
{
    double *have = malloc((n > 0 ? n : 1) * sizeof *have);
    if (have == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, name,
                             "out of memory");
    hid_t dxpl = small_transfer();
    pdx_status st = PDX_OK;
    if (ds < 0 || (n > 0 && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                    dxpl, have) < 0))
        st = pdx__h5_error(err, s->path, name, "cannot read the coordinate");
    for (size_t i = 0; st == PDX_OK && i < n; i++)
        if (memcmp(&have[i], &want[i], sizeof *have) != 0)
            st = pdx_error_set(err, PDX_ERR_IO, s->path, 0, 0, name,
                               "coordinate value %zu is %.17g in the file "
                               "but %.17g for this spec: the file's labels "
                               "are damaged (a flipped bit?); its tasks "
                               "cannot be placed: --force recomputes it",
                               i, have[i], want[i]);
    free(have);
    return st;
}

/* A choice axis' coordinate holds the names of its values (issue 19), or,
 * in a file of a pdx before, their int32 codes (`want`, as doubles). */
static pdx_status check_choice(const pdx_store *s, const pdx_axis *axis,
                               const char *name, hid_t ds, const double *want,
                               pdx_error *err)
{
    size_t n = axis->n;
    char **have = calloc(n > 0 ? n : 1, sizeof *have);
    if (have == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, name,
                             "out of memory");
    int rc = ds < 0 ? -1
                    : pdx__read_names_checked(s->path, s->file, ds, n, have);
    pdx_status st = PDX_OK;
    if (rc == -1)
        st = pdx__h5_error(err, s->path, name, "cannot read the coordinate");
    if (rc == -2)
        st = pdx_error_set(err, PDX_ERR_IO, s->path, 0, 0, name,
                           "the names of the coordinate cannot be read (its "
                           "part of the file's global heap is damaged: a "
                           "flipped bit?): the file's labels are damaged; "
                           "its tasks cannot be placed: --force recomputes "
                           "it");
    if (rc == 0)
        st = check_values(s, name, ds, want, n, err); /* int32 codes */
    for (size_t i = 0; rc > 0 && i < n; i++) {
        const char *c = pdx_spec_choice_name(axis->key, (int)want[i]);
        if (st == PDX_OK && strcmp(have[i], c != NULL ? c : "unknown") != 0)
            st = pdx_error_set(err, PDX_ERR_IO, s->path, 0, 0, name,
                               "coordinate value %zu is '%.40s' in the file "
                               "but '%s' for this spec: the file's labels "
                               "are damaged (a flipped bit?); its tasks "
                               "cannot be placed: --force recomputes it",
                               i, have[i], c != NULL ? c : "unknown");
        free(have[i]);
    }
    free(have);
    return st;
}

/* Every coordinate holds the values of the spec (files with checksums:
 * the labels of the checked data; a flipped bit there would mislabel
 * whole rows of cells). */
static pdx_status check_coordinates(const pdx_store *s, const hid_t *coord,
                                     pdx_error *err)
{
    const pdx_grid *g = s->grid;
    size_t longest = g->replicas;
    for (size_t i = 0; i < g->n_axes; i++)
        longest = g->shape[i] > longest ? g->shape[i] : longest;
    for (int d = 0; d < PDX_DIM_COUNT; d++)
        longest = s->layout->dim_size[d] > longest ? s->layout->dim_size[d]
                                                   : longest;
    double *want = malloc((longest > 0 ? longest : 1) * sizeof *want);
    if (want == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, NULL,
                             "out of memory");
    pdx_status st = PDX_OK;
    for (size_t i = 0; i < g->n_axes && st == PDX_OK; i++) {
        const pdx_axis *axis = pdx__axis(s, i);
        pdx_key_type type = pdx__axis_key(s, i)->type;
        for (size_t j = 0; j < axis->n; j++)
            want[j] = type == PDX_KEY_REAL ? axis->values[j]
                      : type == PDX_KEY_INT
                          ? (double)llround(axis->values[j])
                          : (double)lround(axis->values[j]);
        st = type == PDX_KEY_CHOICE
                 ? check_choice(s, axis, pdx__axis_key(s, i)->name, coord[i],
                                want, err)
                 : check_values(s, pdx__axis_key(s, i)->name, coord[i], want,
                                axis->n, err);
    }
    for (size_t r = 0; r < g->replicas; r++)
        want[r] = (double)r;
    if (st == PDX_OK)
        st = check_values(s, "replica", coord[g->n_axes], want, g->replicas,
                          err);
    for (int d = 0; d < PDX_DIM_COUNT && st == PDX_OK; d++) {
        if (!s->dim_used[d])
            continue;
        size_t n = s->layout->dim_size[d];
        for (size_t j = 0; j < n; j++)
            want[j] = pdx__dim_coordinate(s, d, j);
        if (d != PDX_DIM_TIME || s->spec->times != NULL)
            st = check_values(s, dim_names[d], coord[g->n_axes + 1 + d], want,
                              n, err);
    }
    free(want);
    return st;
}

/* The file's datasets have the shapes of this grid and layout, and no
 * other variables. The coordinates stay open in coord (axis i at i, the
 * replica at n_axes, dimension d at n_axes + 1 + d) for
 * check_coordinates; the caller closes them. */
static pdx_status check_contents(pdx_store *s, hid_t *coord, pdx_error *err)
{
    const pdx_grid *g = s->grid;
    hsize_t dims[MAX_RANK];
    if (s->shard_count > 1) {
        pdx_status st = check_task_list(s, err);
        if (st != PDX_OK)
            return st;
    }
    for (size_t i = 0; i < g->n_axes; i++) {
        dims[0] = g->shape[i];
        pdx_status st = check_shape_keep(s, pdx__axis_key(s, i)->name, 1,
                                         dims, &coord[i], err);
        if (st != PDX_OK)
            return st;
    }
    dims[0] = g->replicas;
    pdx_status st =
        check_shape_keep(s, "replica", 1, dims, &coord[g->n_axes], err);
    for (int d = 0; d < PDX_DIM_COUNT && st == PDX_OK; d++) {
        if (!s->dim_used[d])
            continue;
        dims[0] = s->layout->dim_size[d];
        st = check_shape_keep(s, dim_names[d], 1, dims,
                              &coord[g->n_axes + 1 + d], err);
    }
    /* the data variables stay open for the store (pdx__open_datasets) */
    for (size_t k = 0; k < s->n_dvars && st == PDX_OK; k++) {
        int rank = pdx__dvar_dims(s, k, dims);
        st = check_shape_keep(s, s->dvars[k].name, rank, dims,
                              s->datasets[k] < 0 ? &s->datasets[k] : NULL,
                              err);
    }
    if (st != PDX_OK)
        return st;
    expected_names e;
    memset(&e, 0, sizeof e);
    e.s = s;
    hsize_t idx = 0;
    herr_t it = H5Literate(s->file, H5_INDEX_NAME, H5_ITER_INC, &idx,
                           expected_link, &e);
    if (it < 0)
        return pdx__h5_error(err, s->path, "/", "cannot list the variables");
    if (e.unexpected[0] != '\0')
        return pdx_error_set(err, PDX_ERR_MISMATCH, s->path, 0, 0,
                             e.unexpected,
                             "the file has variable '%s' that this run's "
                             "axes and layout do not (a file of a pdx before "
                             "issue 19 holds variables no cell produces: "
                             "finish it with that pdx, or rewrite it with "
                             "--force)",
                             e.unexpected);
    return PDX_OK;
}


pdx_status pdx__check_matches(pdx_store *s, int writing, pdx_error *err)
{
    double value;
    char *text = NULL;
    int rc = pdx__get_double(s->file, "pdx_schema_version", &value);
    if (rc < 0)
        return pdx__h5_error(err, s->path, "/@pdx_schema_version",
                             "cannot read attribute");
    if (rc == 0)
        return pdx_error_set(err, PDX_ERR_MISMATCH, s->path, 0, 0, NULL,
                             "not a pdx result file (no pdx_schema_version "
                             "attribute)");
    if (value != SCHEMA_VERSION)
        return pdx_error_set(err, PDX_ERR_MISMATCH, s->path, 0, 0,
                             "/@pdx_schema_version",
                             "schema version %g, this pdx writes %d", value,
                             SCHEMA_VERSION);
    if (pdx__get_text(s->file, "spec_sha256", &text) < 0)
        return pdx__h5_error(err, s->path, "/@spec_sha256",
                             "cannot read attribute");
    if ((text == NULL || strcmp(text, s->spec_sha256) != 0) &&
        !pdx_store_spec_matches(s->spec, text)) {
        pdx_status st = pdx_error_set(
            err, PDX_ERR_MISMATCH, s->path, 0, 0, "/@spec_sha256",
            "the file was written for a different spec (SHA-256 %.16s... in "
            "the file, %.16s... for %s)",
            text != NULL ? text : "(none)", s->spec_sha256,
            s->spec->path != NULL ? s->spec->path : "this spec");
        free(text);
        return st;
    }
    free(text);
    if (writing) {
        /* resumed tasks must draw the same random numbers as the done
         * ones: a file is only continued with its own streams */
        char rng[64];
        double key = 0;
        pdx__copy_text_attr(s->file, "rng", rng, sizeof rng);
        pdx__get_double(s->file, "rng_key_version", &key);
        H5Eclear2(H5E_DEFAULT);
        if (strcmp(rng, PDX_RNG_NAME) != 0 || key != PDX_RNG_KEY_VERSION)
            return pdx_error_set(
                err, PDX_ERR_MISMATCH, s->path, 0, 0, "/@rng_key_version",
                "the file's results were drawn with %s stream version %g, "
                "this pdx draws %s version %d: continuing would mix "
                "streams; finish the run with the pdx that started it, or "
                "start again with --force",
                rng[0] != '\0' ? rng : "(unknown)", key, PDX_RNG_NAME,
                PDX_RNG_KEY_VERSION);
    }
    uint64_t shard_index, shard_count;
    if (pdx__read_shard(s->file, &shard_index, &shard_count) < 0)
        return pdx__h5_error(err, s->path, "/@pdx_shard_count",
                             "cannot read attribute");
    if (shard_index != s->shard_index || shard_count != s->shard_count) {
        char have[64], want[64];
        if (shard_count > 1)
            snprintf(have, sizeof have, "shard %llu of %llu",
                     (unsigned long long)shard_index,
                     (unsigned long long)shard_count);
        else
            snprintf(have, sizeof have, "the whole grid");
        if (s->shard_count > 1)
            snprintf(want, sizeof want, "shard %llu of %llu",
                     (unsigned long long)s->shard_index,
                     (unsigned long long)s->shard_count);
        else
            snprintf(want, sizeof want, "the whole grid");
        return pdx_error_set(err, PDX_ERR_MISMATCH, s->path, 0, 0,
                             "/@pdx_shard_count",
                             "the file holds %s, this run %s", have, want);
    }
    rc = pdx__get_double(s->file, "pdx_complete", &value);
    if (rc < 0)
        return pdx__h5_error(err, s->path, "/@pdx_complete",
                             "cannot read attribute");
    if (writing && rc > 0 && value != 0)
        return pdx_error_set(err, PDX_ERR_MISMATCH, s->path, 0, 0,
                             "/@pdx_complete",
                             "the run in this file is finished and the file "
                             "repacked; it cannot take more results");

    /* a file of an older pdx has no checksums: opened all the same, its
     * tasks unverified (the store then leaves the variable out) */
    htri_t has_checksum = H5Lexists(s->file, "checksum", H5P_DEFAULT);
    if (has_checksum < 0)
        return pdx__h5_error(err, s->path, "checksum", "cannot look up");
    if (has_checksum == 0)
        s->n_dvars = s->checksum_k;
    size_t n_coord = s->grid->n_axes + 1 + PDX_DIM_COUNT;
    hid_t *coord = malloc(n_coord * sizeof *coord);
    if (coord == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, NULL,
                             "out of memory");
    for (size_t i = 0; i < n_coord; i++)
        coord[i] = H5I_INVALID_HID;
    pdx_status st = check_contents(s, coord, err);
    if (st == PDX_OK && has_checksum > 0)
        st = check_coordinates(s, coord, err);
    for (size_t i = 0; i < n_coord; i++)
        pdx__close_id(&coord[i]);
    free(coord);
    return st;
}

pdx_status pdx_store_probe(const char *path, char spec_sha256[65],
                           int *complete, pdx_error *err)
{
    pdx__silence_hdf5();
    spec_sha256[0] = '\0';
    *complete = 0;
    hid_t file = pdx__open_file(path, H5F_ACC_RDONLY, 1);
    if (file < 0)
        return pdx__h5_error(err, path, NULL, "cannot open for reading");
    double value;
    char *text = NULL;
    pdx_status st = PDX_OK;
    int rc = pdx__get_double(file, "pdx_schema_version", &value);
    if (rc <= 0)
        st = pdx_error_set(err, PDX_ERR_MISMATCH, path, 0, 0, NULL,
                           "not a pdx result file (no pdx_schema_version "
                           "attribute)");
    if (st == PDX_OK && pdx__get_double(file, "pdx_complete", &value) > 0)
        *complete = value != 0;
    if (st == PDX_OK && pdx__get_text(file, "spec_sha256", &text) == 0 &&
        text != NULL)
        snprintf(spec_sha256, 65, "%s", text);
    free(text);
    pdx__close_id(&file);
    return st;
}

pdx_status pdx_store_open(pdx_store **out, const char *path,
                          const pdx_grid *grid, const pdx_layout *layout,
                          const pdx_store_options *options, pdx_error *err)
{
    pdx_store *s = NULL;
    pdx_status status =
        pdx__store_begin(out, &s, path, grid, layout, options, err);
    if (status != PDX_OK)
        return status;
    s->file = pdx__open_file(path, H5F_ACC_RDWR, 0);
    if (s->file < 0)
        status = pdx__h5_error(err, path, NULL, "cannot open for writing");
    if (status == PDX_OK)
        status = pdx__check_matches(s, 1, err);
    if (status == PDX_OK)
        status = pdx__open_datasets(s, err);
    if (status != PDX_OK) {
        pdx__store_free(s);
        return status;
    }
    *out = s;
    return PDX_OK;
}

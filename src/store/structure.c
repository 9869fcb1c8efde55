/* structure.c — the datasets, dimension scales and root attributes every pdx
 * file has (working and finished files alike). */
#include "store_internal.h"

/* ------------------------------------------------------------------------ */
/* Creating the file's structure                                             */



/* Chunk of a final-file data variable: one cell (all replicas, all extra
 * dimensions), halved along replica then the extra dimensions while over
 * CHUNK_MAX_BYTES; when a cell is under CHUNK_MIN_BYTES, whole
 * neighbouring cells along the last axes are added. */
static void final_chunk(int rank, size_t n_axes, const hsize_t *dims,
                        size_t elem_size, hsize_t *chunk)
{
    double bytes = (double)elem_size;
    for (int i = 0; i < rank; i++) {
        chunk[i] = (size_t)i < n_axes ? 1 : dims[i];
        bytes *= (double)chunk[i];
    }
    for (int i = (int)n_axes; i < rank && bytes > CHUNK_MAX_BYTES;) {
        if (chunk[i] <= 1) {
            i++;
            continue;
        }
        bytes /= (double)chunk[i];
        chunk[i] = (chunk[i] + 1) / 2;
        bytes *= (double)chunk[i];
    }
    for (int i = (int)n_axes - 1; i >= 0 && bytes < CHUNK_MIN_BYTES; i--) {
        hsize_t fit = (hsize_t)(CHUNK_MIN_BYTES / bytes);
        chunk[i] = fit < dims[i] ? (fit > 0 ? fit : 1) : dims[i];
        bytes *= (double)chunk[i];
        if (chunk[i] < dims[i])
            break;
    }
}

/* `fill` (of memory type `fill_type`) NULL: HDF5's default fill. */
hid_t pdx__create_dataset(hid_t file, const char *name, hid_t type,
                          int rank, const hsize_t *dims, hid_t fill_type,
                          const void *fill, ds_mode mode, size_t n_axes,
                          size_t elem_size)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t ds = H5I_INVALID_HID;
    int empty = 0;
    for (int i = 0; i < rank; i++)
        empty |= dims[i] == 0;
    int ok = dcpl >= 0 && space >= 0 &&
             H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED |
                                                  H5P_CRT_ORDER_INDEXED) >= 0 &&
             H5Pset_obj_track_times(dcpl, 0) >= 0;
    if (ok && fill != NULL)
        ok = H5Pset_fill_value(dcpl, fill_type, fill) >= 0;
    if (ok && (mode != DS_FINAL || empty))
        ok = H5Pset_layout(dcpl, H5D_CONTIGUOUS) >= 0 &&
             H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0 &&
             H5Pset_fill_time(dcpl, mode == DS_WORKING
                                        ? H5D_FILL_TIME_ALLOC
                                        : H5D_FILL_TIME_IFSET) >= 0;
    if (ok && mode == DS_FINAL && !empty) {
        hsize_t chunk[MAX_RANK];
        final_chunk(rank, n_axes, dims, elem_size, chunk);
        ok = H5Pset_chunk(dcpl, rank, chunk) >= 0;
        if (ok && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0)
            ok = H5Pset_shuffle(dcpl) >= 0 &&
                 H5Pset_deflate(dcpl, DEFLATE_LEVEL) >= 0;
    }
    if (ok)
        ds = H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl,
                        H5P_DEFAULT);
    /* The caller reports a failure from the error stack, which every API
     * call clears on entry: keep it across the closes. */
    hid_t stack = ds < 0 ? H5Eget_current_stack() : H5I_INVALID_HID;
    if (space >= 0)
        H5Sclose(space);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (stack >= 0)
        H5Eset_current_stack(stack);
    return ds;
}

static pdx_status write_all(hid_t ds, hid_t mem_type, const void *data,
                            const char *name, const char *path,
                            pdx_error *err)
{
    if (H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        return pdx__h5_error(err, path, name, "cannot write coordinate values");
    return PDX_OK;
}

/* The coordinate of `axis`: values, attributes, and a dimension scale of
 * its name (`dim_scale` invalid), or, for a zip group's later member, an
 * auxiliary coordinate along its group's dimension `dim_scale`. */
static pdx_status create_coordinate(hid_t file, const pdx_spec *spec,
                                    const pdx_axis *axis, hid_t dim_scale,
                                    pdx__scale_links *links,
                                    const char *path, hid_t *out,
                                    pdx_error *err)
{
    const pdx_key *key = &pdx_spec_keys(NULL)[axis->key];
    hsize_t n = axis->n;
    pdx_status status = PDX_OK;
    hid_t ds = H5I_INVALID_HID;
    /* doubles, int64s or name pointers */
    void *values = malloc(axis->n * (sizeof(double) > sizeof(char *)
                                         ? sizeof(double)
                                         : sizeof(char *)));
    if (values == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, key->name,
                             "out of memory");
    hid_t ftype, mtype, names_type = H5I_INVALID_HID;
    if (key->type == PDX_KEY_REAL) {
        ftype = H5T_IEEE_F64LE;
        mtype = H5T_NATIVE_DOUBLE;
        memcpy(values, axis->values, axis->n * sizeof(double));
    } else if (key->type == PDX_KEY_INT) {
        ftype = H5T_STD_I64LE;
        mtype = H5T_NATIVE_INT64;
        for (size_t j = 0; j < axis->n; j++)
            ((int64_t *)values)[j] = (int64_t)llround(axis->values[j]);
    } else {
        /* choice keys (issue 19): the names, as netCDF-4 strings (variable
         * length, UTF-8), which every netCDF-4 reader and xarray decode
         * (docs/FORMAT.md, "Choice coordinates"); files of pdx before held
         * int32 codes with CF flag attributes */
        ftype = mtype = names_type = pdx__names_type();
        if (names_type < 0)
            status = pdx__h5_error(err, path, key->name,
                                   "cannot make a string type");
        for (size_t j = 0; j < axis->n; j++) {
            const char *c =
                pdx_spec_choice_name(axis->key, (int)lround(axis->values[j]));
            ((const char **)values)[j] = c != NULL ? c : "unknown";
        }
    }
    if (status == PDX_OK)
        ds = pdx__create_dataset(file, key->name, ftype, 1, &n,
                                 H5I_INVALID_HID, NULL, DS_COORDINATE, 0, 0);
    if (status == PDX_OK && ds < 0)
        status =
            pdx__h5_error(err, path, key->name, "cannot create coordinate");
    if (status == PDX_OK)
        status = write_all(ds, mtype, values, key->name, path, err);
    pdx__close_id(&names_type);
    /* short long_name and units (metadata.c; choice coordinates are
     * names: no units), the key's doc as description */
    if (status == PDX_OK)
        status = pdx__put_labels(ds, spec, 0, key->name, key->doc, path,
                                 err);
    if (status == PDX_OK)
        status = pdx__put_string(ds, key->name, "pdx_scale",
                                 scale_names[axis->scale <= PDX_SCALE_LOG
                                            ? axis->scale
                                            : PDX_SCALE_LIST],
                            path, err);
    if (status == PDX_OK && dim_scale < 0 && H5DSset_scale(ds, key->name) < 0)
        status = pdx__h5_error(err, path, key->name,
                               "cannot make a dimension scale");
    if (status == PDX_OK && dim_scale >= 0) /* its zip group's dimension */
        status = pdx__attach_scales(ds, key->name, 1, &dim_scale, links, path,
                                    err);
    free(values);
    if (status != PDX_OK)
        pdx__close_id(&ds);
    *out = ds;
    return status;
}

/* Coordinate of dimension i: values, attributes, dimension scale; a zip
 * group (issue 19) is one dimension named by its first axis, the other
 * members auxiliary coordinates along it (CF: listed in the variables'
 * `coordinates` attribute). */
pdx_status pdx__create_axis(const pdx_store *s, hid_t file, size_t i,
                            pdx__scale_links *links, const char *path,
                            hid_t *out, pdx_error *err)
{
    const pdx_axis *axis = pdx__axis(s, i);
    pdx_status status = create_coordinate(file, s->spec, axis, H5I_INVALID_HID,
                                          links, path, out, err);
    for (size_t m = 1; m < s->grid->dim_members[i] && status == PDX_OK; m++) {
        hid_t member = H5I_INVALID_HID;
        status = create_coordinate(file, s->spec, &axis[m], *out, links, path,
                                   &member, err);
        pdx__close_id(&member);
    }
    if (status != PDX_OK)
        pdx__close_id(out);
    return status;
}

/* Coordinate 0..n-1 (replica, unit dimensions) or the times. */
pdx_status pdx__create_index_coordinate(hid_t file, const pdx_spec *spec,
                                        const char *name,
                                        const char *description,
                                        const double *times, hsize_t n,
                                        const char *times_scale,
                                        const char *path, hid_t *out,
                                        pdx_error *err)
{
    pdx_status status = PDX_OK;
    hid_t ds;
    if (times != NULL) {
        ds = pdx__create_dataset(file, name, H5T_IEEE_F64LE, 1, &n,
                                 H5I_INVALID_HID, NULL, DS_COORDINATE, 0, 0);
        if (ds < 0)
            status = pdx__h5_error(err, path, name, "cannot create coordinate");
        else if (n > 0)
            status = write_all(ds, H5T_NATIVE_DOUBLE, times, name, path, err);
    } else {
        ds = pdx__create_dataset(file, name, H5T_STD_I64LE, 1, &n,
                                 H5I_INVALID_HID, NULL, DS_COORDINATE, 0, 0);
        int64_t *index = malloc((n > 0 ? n : 1) * sizeof *index);
        if (ds < 0)
            status = pdx__h5_error(err, path, name, "cannot create coordinate");
        else if (index == NULL)
            status = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, name,
                                   "out of memory");
        else if (n > 0) {
            for (hsize_t j = 0; j < n; j++)
                index[j] = (int64_t)j;
            status = write_all(ds, H5T_NATIVE_INT64, index, name, path, err);
        }
        free(index);
    }
    if (status == PDX_OK)
        status = pdx__put_labels(ds, spec, 0, name, description, path, err);
    if (status == PDX_OK && times != NULL)
        status = pdx__put_string(ds, name, "pdx_scale", times_scale, path, err);
    if (status == PDX_OK && H5DSset_scale(ds, name) < 0)
        status =
            pdx__h5_error(err, path, name, "cannot make a dimension scale");
    if (status != PDX_OK)
        pdx__close_id(&ds);
    *out = ds;
    return status;
}

/* The coordinates of the extra dimensions the store's variables use
 * (time with its values and scale, unit indices), sized by `layout`,
 * into dim_scales[d] (the caller closes them). */
double pdx__dim_coordinate(const pdx_store *s, int d, size_t j)
{
    if (d == PDX_DIM_TIME)
        return s->spec->times != NULL ? s->spec->times[j] : 0.0;
    if (d == PDX_DIM_LAYER || d == PDX_DIM_EIGEN || d == PDX_DIM_EIGEN2)
        return (double)(j + 1); /* l = 1 .. L_max (h^l), i = 1 .. k */
    if (d == PDX_DIM_BUDGET)
        return s->spec->budgets != NULL ? s->spec->budgets[j] : 0.0;
    if (d == PDX_DIM_PERTURBATION)
        return s->spec->perturbations != NULL ? s->spec->perturbations[j]
                                              : 0.0;
    return (double)j;
}

pdx_status pdx__create_dim_coordinates(const pdx_store *s, hid_t file,
                                       const pdx_layout *layout,
                                       const char *path, hid_t *dim_scales,
                                       pdx_error *err)
{
    pdx_status status = PDX_OK;
    int ts = s->spec->times_scale;
    const char *scale = scale_names[ts >= 0 && ts <= PDX_SCALE_LOG ? ts : 0];
    for (int d = 0; d < PDX_DIM_COUNT && status == PDX_OK; d++) {
        if (!s->dim_used[d])
            continue;
        const double *values = NULL;
        double *layers = NULL;
        if (d == PDX_DIM_TIME)
            values = s->spec->times != NULL ? s->spec->times : &(double){0};
        if (d == PDX_DIM_LAYER || d == PDX_DIM_BUDGET ||
            d == PDX_DIM_PERTURBATION || d == PDX_DIM_EIGEN ||
            d == PDX_DIM_EIGEN2) {
            size_t n = layout->dim_size[d];
            layers = malloc((n > 0 ? n : 1) * sizeof *layers);
            if (layers == NULL)
                return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0,
                                     dim_names[d], "out of memory");
            for (size_t l = 0; l < n; l++)
                layers[l] = pdx__dim_coordinate(s, d, l);
            values = layers;
        }
        status = pdx__create_index_coordinate(
            file, s->spec, dim_names[d], dim_long_names[d], values, layout->dim_size[d],
            d == PDX_DIM_TIME ? scale : "list", path, &dim_scales[d], err);
        free(layers);
    }
    return status;
}


/* What the checksum variable covers, for readers that verify it
 * themselves: the algorithm and the variables whose bytes it sums, in
 * order (docs/FORMAT.md, "Checksums"). */
static pdx_status put_checksum_attributes(const pdx_store *s, hid_t ds,
                                          const char *path, pdx_error *err)
{
    size_t size = 1;
    for (size_t k = 0; k < s->checksum_k; k++)
        size += strlen(s->dvars[k].name) + 1;
    char *names = calloc(size, 1);
    if (names == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, "checksum",
                             "out of memory");
    size_t used = 0;
    for (size_t k = 0; k < s->checksum_k; k++)
        if (k != DVAR_WALL_INDEX)
            used += (size_t)snprintf(names + used, size - used, "%s%s",
                                     used > 0 ? " " : "", s->dvars[k].name);
    pdx_status status = pdx__put_string(ds, "checksum", "checksum_algorithm",
                                        "crc32", path, err);
    if (status == PDX_OK)
        status = pdx__put_string(ds, "checksum", "checksum_of", names, path,
                                 err);
    free(names);
    return status;
}

static pdx_status create_variable(const pdx_store *s, hid_t file, size_t k,
                                  ds_mode mode, const hid_t *axis_scales,
                                  hid_t replica_scale, hid_t task_scale,
                                  const hid_t *dim_scales,
                                  pdx__scale_links *links, const char *path,
                                  hid_t *out, pdx_error *err)
{
    const dvar *d = &s->dvars[k];
    hsize_t dims[MAX_RANK];
    int rank = pdx__dvar_dims(s, k, dims);
    const double nan_value = NAN;
    pdx_status status = PDX_OK;
    hid_t ds = pdx__create_dataset(
        file, d->name, pdx__dvar_file_type(d->kind), rank, dims,
        pdx__dvar_mem_type(d->kind), pdx__dvar_fill(d->kind, &nan_value), mode,
        pdx__lead_dims(s), pdx__dvar_elem_size(d->kind));
    if (ds < 0)
        status = pdx__h5_error(err, path, d->name, "cannot create variable");
    if (status == PDX_OK)
        status = pdx__put_labels(ds, s->spec, 0, d->name, d->long_name, path,
                                 err);
    if (status == PDX_OK && d->kind == DVAR_F64)
        status = pdx__put_double(ds, d->name, "_FillValue", NAN, path, err);
    if (status == PDX_OK && d->kind == DVAR_STATUS) {
        static const int8_t flags[4] = {PDX_TASK_PENDING, PDX_TASK_DONE,
                                        PDX_TASK_DIVERGED, PDX_TASK_FAILED};
        status = pdx__put_attr(ds, d->name, "flag_values", H5T_STD_I8LE,
                               H5T_NATIVE_INT8, 4, flags, path, err);
        if (status == PDX_OK)
            status = pdx__put_string(ds, d->name, "flag_meanings",
                                     status_meanings, path, err);
    }
    if (status == PDX_OK && d->kind == DVAR_CHECKSUM)
        status = put_checksum_attributes(s, ds, path, err);
    /* zip groups (issue 19): their later members are coordinates */
    char zipped[1024];
    if (status == PDX_OK && s->shard_count <= 1 &&
        pdx__zip_coordinates(s, zipped, sizeof zipped) > 0)
        status = pdx__put_string(ds, d->name, "coordinates", zipped, path, err);
    hid_t scales[MAX_RANK]; /* of each dimension */
    int dim = 0;
    if (s->shard_count > 1) {
        scales[dim++] = task_scale;
    } else {
        for (size_t i = 0; i < s->grid->n_axes; i++)
            scales[dim++] = axis_scales[i];
        scales[dim++] = replica_scale;
    }
    for (size_t j = 0; j < d->n_extra; j++)
        scales[dim++] = dim_scales[d->extra[j]];
    if (status == PDX_OK)
        status = pdx__attach_scales(ds, d->name, dim, scales, links, path,
                                    err);
    if (status != PDX_OK)
        pdx__close_id(&ds);
    *out = ds;
    return status;
}

/* The `task` coordinate of a shard file: the global index of each task it
 * holds (cell * replicas + replica). */
static pdx_status create_task_coordinate(const pdx_store *s, hid_t file,
                                         const char *path, hid_t *out,
                                         pdx_error *err)
{
    hsize_t n = s->n_file_tasks;
    pdx_status status = PDX_OK;
    hid_t ds = pdx__create_dataset(file, "task", H5T_STD_I64LE, 1, &n,
                                   H5I_INVALID_HID, NULL, DS_COORDINATE, 0, 0);
    if (ds < 0)
        status = pdx__h5_error(err, path, "task", "cannot create coordinate");
    else if (n > 0 && H5Dwrite(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL,
                               H5P_DEFAULT, s->file_tasks) < 0)
        status = pdx__h5_error(err, path, "task", "cannot write the task list");
    if (status == PDX_OK)
        status = pdx__put_labels(ds, s->spec, 0, "task",
                                 "task of the whole grid: cell * replicas + "
                                 "replica, cells in row-major order of the "
                                 "axes",
                                 path, err);
    if (status == PDX_OK && H5DSset_scale(ds, "task") < 0)
        status =
            pdx__h5_error(err, path, "task", "cannot make a dimension scale");
    if (status != PDX_OK)
        pdx__close_id(&ds);
    *out = ds;
    return status;
}

/* All coordinates and data variables in `file`; the data variables stay
 * open in datasets[0..n_dvars-1] (closed on failure). */
pdx_status pdx__build_structure(const pdx_store *s, hid_t file,
                                ds_mode mode, const char *path,
                                hid_t *datasets, pdx_error *err)
{
    const pdx_grid *g = s->grid;
    pdx_status status = PDX_OK;
    hid_t *axis_scales = malloc((g->n_axes + 1) * sizeof *axis_scales);
    hid_t replica_scale = H5I_INVALID_HID, task_scale = H5I_INVALID_HID;
    hid_t dim_scales[PDX_DIM_COUNT];
    for (int d = 0; d < PDX_DIM_COUNT; d++)
        dim_scales[d] = H5I_INVALID_HID;
    for (size_t k = 0; k < s->n_dvars; k++)
        datasets[k] = H5I_INVALID_HID;
    if (axis_scales == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory");
    for (size_t i = 0; i < g->n_axes; i++)
        axis_scales[i] = H5I_INVALID_HID;

    pdx__scale_links links = {0};
    for (size_t i = 0; i < g->n_axes && status == PDX_OK; i++)
        status =
            pdx__create_axis(s, file, i, &links, path, &axis_scales[i], err);
    if (status == PDX_OK)
        status = pdx__create_index_coordinate(
            file, s->spec, "replica",
            "replica: independent run (own teacher, data and initialisation, "
            "shared by every cell)",
            NULL, g->replicas, NULL, path, &replica_scale, err);
    if (status == PDX_OK)
        status = pdx__create_dim_coordinates(s, file, s->layout, path,
                                             dim_scales, err);
    if (status == PDX_OK && s->shard_count > 1)
        status = create_task_coordinate(s, file, path, &task_scale, err);
    for (size_t k = 0; k < s->n_dvars && status == PDX_OK; k++)
        status = create_variable(s, file, k,
                                 mode == DS_FINAL ? DS_FINAL : DS_WORKING,
                                 axis_scales, replica_scale, task_scale,
                                 dim_scales, &links, path, &datasets[k], err);
    if (status == PDX_OK)
        status = pdx__write_scale_links(&links, path, err);
    pdx__scale_links_free(&links);
    pdx__close_id(&task_scale);
    for (size_t i = 0; i < g->n_axes; i++)
        pdx__close_id(&axis_scales[i]);
    free(axis_scales);
    pdx__close_id(&replica_scale);
    for (int d = 0; d < PDX_DIM_COUNT; d++)
        pdx__close_id(&dim_scales[d]);
    if (status != PDX_OK)
        for (size_t k = 0; k < s->n_dvars; k++)
            pdx__close_id(&datasets[k]);
    return status;
}

/* `param:<key>` for every key that is not an axis: the value every cell
 * ran with, or the rule that gives each cell's (pdx_spec_param_records). */
static pdx_status write_param_attributes(const pdx_store *s, hid_t root,
                                         const char *path, pdx_error *err)
{
    size_t n_keys;
    const pdx_key *keys = pdx_spec_keys(&n_keys);
    pdx_param_record records[PDX_KEY_COUNT];
    pdx_spec_param_records(s->spec, records);
    pdx_status status = PDX_OK;
    for (size_t id = 0; id < n_keys && status == PDX_OK; id++) {
        const pdx_param_record *r = &records[id];
        if (r->is_axis || r->omit)
            continue;
        const pdx_key *key = &keys[id];
        char name[160];
        snprintf(name, sizeof name, "param:%s", key->name);
        switch (key->type) {
        case PDX_KEY_STRING: {
            const char *text = (const char *)&s->spec->base + key->offset;
            status = pdx__put_text(root, "/", name, text,
                                   strnlen(text, sizeof s->spec->base.name),
                                   path, err);
            break;
        }
        case PDX_KEY_TIMES: {
            size_t n;
            const double *list = pdx_spec_list(s->spec, (pdx_key_id)id, &n);
            if (n > 0)
                status = pdx__put_attr(root, "/", name, H5T_IEEE_F64LE,
                                       H5T_NATIVE_DOUBLE, n, list, path, err);
            break;
        }
        case PDX_KEY_CHOICE:
        case PDX_KEY_INT:
        case PDX_KEY_REAL:
            if (r->is_rule)
                status = pdx__put_string(root, "/", name, r->rule, path, err);
            else if (key->type != PDX_KEY_CHOICE)
                status = pdx__put_double(root, "/", name, r->value, path, err);
            else {
                const char *choice =
                    pdx_spec_choice_name((pdx_key_id)id, (int)r->value);
                status = pdx__put_string(root, "/", name,
                                         choice != NULL ? choice : "unknown",
                                         path, err);
            }
            break;
        }
    }
    return status;
}

pdx_status pdx__write_root_attributes(const pdx_store *s, hid_t file,
                                      const pdx_provenance *p,
                                      const char *path, pdx_error *err)
{
    static const pdx_provenance none = {"unknown", "unknown", "", "", "",
                                        "unknown", 0};
    if (p == NULL)
        p = &none;
    const pdx_spec *spec = s->spec;
    pdx_status st = PDX_OK;
#define PUT(call)                                                              \
    do {                                                                       \
        if (st == PDX_OK)                                                      \
            st = (call);                                                       \
    } while (0)
    PUT(pdx__put_text(file, "/", "title", spec->base.name,
                      strnlen(spec->base.name, sizeof spec->base.name), path,
                      err));
    PUT(pdx__put_string(file, "/", "Conventions", "CF-1.8", path, err));
    PUT(pdx__put_int32(file, "/", "pdx_schema_version", SCHEMA_VERSION, path,
                       err));
    PUT(pdx__put_string(file, "/", "pdx_version", p->pdx_version, path, err));
    PUT(pdx__put_string(file, "/", "git_describe", p->git_describe, path, err));
    PUT(pdx__put_text(file, "/", "spec", spec->text != NULL ? spec->text : "",
                      spec->text != NULL ? spec->text_length : 0, path, err));
    PUT(pdx__put_string(file, "/", "spec_sha256", s->spec_sha256, path, err));
    PUT(pdx__put_string(file, "/", "spec_path", spec->path, path, err));
    PUT(pdx__put_int64(file, "/", "seed", spec->base.seed, path, err));
    PUT(pdx__put_int64(file, "/", "replicas", (int64_t)s->grid->replicas, path,
                       err));
    PUT(pdx__put_string(file, "/", "command_line", p->command_line, path, err));
    PUT(pdx__put_string(file, "/", "host", p->host, path, err));
    PUT(pdx__put_string(file, "/", "start_time", p->start_time, path, err));
    PUT(pdx__put_string(file, "/", "rng", p->rng, path, err));
    PUT(pdx__put_int32(file, "/", "rng_key_version", p->rng_key_version, path,
                       err));
    PUT(pdx__put_uint8(file, "/", "pdx_complete", 0, path, err));
    PUT(write_param_attributes(s, file, path, err));
    if (s->shard_count > 1) {
        PUT(pdx__put_int64(file, "/", "pdx_shard_index",
                           (int64_t)s->shard_index, path, err));
        PUT(pdx__put_int64(file, "/", "pdx_shard_count",
                           (int64_t)s->shard_count, path, err));
    }
#undef PUT
    return st;
}

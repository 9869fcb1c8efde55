/* describe.c — what `pdx info` shows of a result or theory file, as data
 * (pdx_store_describe); the command line prints it (src/cli_info.c). */
#include "store_internal.h"

static herr_t first_scale_name(hid_t did, unsigned dim, hid_t dsid,
                               void *data)
{
    (void)did;
    (void)dim;
    char *name = data;
    ssize_t n = H5Iget_name(dsid, name, 256);
    if (n <= 0)
        snprintf(name, 256, "?");
    return 1;
}

/* Name of the scale attached to dimension `dim` of `ds` ("" if none). */
static void scale_name_of(hid_t ds, unsigned dim, char name[256])
{
    name[0] = '\0';
    if (H5DSget_num_scales(ds, dim) > 0) {
        int idx = 0;
        H5DSiterate_scales(ds, dim, &idx, first_scale_name, name);
    }
    H5Eclear2(H5E_DEFAULT);
    if (name[0] == '/')
        memmove(name, name + 1, strlen(name));
}

/* Text attribute `name` of `obj` as a new string, NULL when absent or
 * unreadable (the error stack cleared). */
static char *text_or_null(hid_t obj, const char *name)
{
    char *text = NULL;
    if (pdx__get_text(obj, name, &text) < 0) {
        free(text);
        text = NULL;
    }
    H5Eclear2(H5E_DEFAULT);
    return text;
}

typedef struct describe_walk {
    pdx_store_description *d;
    size_t dims_capacity, vars_capacity;
    int out_of_memory;
    const char *path; /* the file (choice names, choice_names.c) */
    hid_t file;
} describe_walk;

static int grow(void **array, size_t *capacity, size_t used, size_t size)
{
    if (used < *capacity)
        return 1;
    size_t n = *capacity > 0 ? 2 * *capacity : 16;
    void *p = realloc(*array, n * size);
    if (p == NULL)
        return 0;
    memset((char *)p + *capacity * size, 0, (n - *capacity) * size);
    *array = p;
    *capacity = n;
    return 1;
}

/* A choice coordinate of names (issue 19): its names, space-separated,
 * into x->flag_meanings (as the CF flags of older files). 0 when out of
 * memory; a coordinate of numbers, or of damaged names, is left alone. */
static int add_names(pdx_store_dimension *x, const describe_walk *w,
                     hid_t ds, size_t n)
{
    char **names = calloc(n, sizeof *names);
    if (names == NULL)
        return 0;
    int rc = pdx__read_names_checked(w->path, w->file, ds, n, names);
    H5Eclear2(H5E_DEFAULT);
    size_t size = 1;
    for (size_t i = 0; rc > 0 && i < n; i++)
        size += strlen(names[i]) + 1;
    if (rc > 0 && (x->flag_meanings = calloc(size, 1)) != NULL)
        for (size_t i = 0, used = 0; i < n; i++)
            used += (size_t)snprintf(x->flag_meanings + used, size - used,
                                     "%s%s", i > 0 ? " " : "", names[i]);
    for (size_t i = 0; rc > 0 && i < n; i++)
        free(names[i]);
    free(names);
    return rc <= 0 || x->flag_meanings != NULL;
}

static int add_dimension(describe_walk *w, hid_t ds, const char *name,
                         hssize_t n)
{
    pdx_store_description *d = w->d;
    if (!grow((void **)&d->dimensions, &w->dims_capacity, d->n_dimensions,
              sizeof *d->dimensions))
        return 0;
    pdx_store_dimension *x = &d->dimensions[d->n_dimensions++];
    x->name = strdup(name);
    x->length = (uint64_t)n;
    x->flag_meanings = text_or_null(ds, "flag_meanings");
    x->scale = text_or_null(ds, "pdx_scale");
    x->units = text_or_null(ds, "units");
    if (x->flag_meanings == NULL && n > 0 && !add_names(x, w, ds, (size_t)n))
        return 0;
    if (x->flag_meanings == NULL && n > 0) {
        double *v = malloc((size_t)n * sizeof *v);
        if (v != NULL && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                 H5P_DEFAULT, v) >= 0) {
            x->has_values = 1;
            x->first = v[0];
            x->last = v[n - 1];
        }
        free(v);
    }
    return x->name != NULL;
}

static herr_t open_attribute(hid_t obj, const char *name,
                             const H5A_info_t *info, void *data)
{
    (void)info;
    (void)data;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0)
        return -1;
    H5Aclose(attr);
    return 0;
}

/* 1 if every attribute of obj opens (HDF5 checks the checksums of the
 * object header messages that hold them), 0 if one does not. */
static int attributes_readable(hid_t obj)
{
    hsize_t idx = 0;
    herr_t rc = H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx,
                            open_attribute, NULL);
    H5Eclear2(H5E_DEFAULT);
    return rc >= 0;
}

static int add_variable(describe_walk *w, hid_t ds, const char *name)
{
    pdx_store_description *d = w->d;
    if (!grow((void **)&d->variables, &w->vars_capacity, d->n_variables,
              sizeof *d->variables))
        return 0;
    pdx_store_variable *x = &d->variables[d->n_variables++];
    x->name = strdup(name);
    x->damaged_attributes = !attributes_readable(ds);
    x->long_name = text_or_null(ds, "long_name");
    x->units = text_or_null(ds, "units");
    hid_t space = H5Dget_space(ds);
    int rank = space < 0 ? 0 : H5Sget_simple_extent_ndims(space);
    pdx__close_id(&space);
    x->rank = rank > 0 ? (size_t)rank : 0;
    x->dims = calloc(x->rank > 0 ? x->rank : 1, sizeof *x->dims);
    if (x->name == NULL || x->dims == NULL)
        return 0;
    for (size_t i = 0; i < x->rank; i++) {
        char scale[256];
        scale_name_of(ds, (unsigned)i, scale);
        if ((x->dims[i] = strdup(scale)) == NULL)
            return 0;
    }
    return 1;
}

static herr_t describe_link(hid_t group, const char *name,
                            const H5L_info_t *info, void *data)
{
    (void)info;
    describe_walk *w = data;
    hid_t ds = H5Dopen2(group, name, H5P_DEFAULT);
    if (ds < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    int ok;
    if (H5DSis_scale(ds) > 0) {
        hid_t space = H5Dget_space(ds);
        hssize_t n = space < 0 ? 0 : H5Sget_simple_extent_npoints(space);
        pdx__close_id(&space);
        ok = add_dimension(w, ds, name, n);
    } else {
        ok = add_variable(w, ds, name);
    }
    H5Eclear2(H5E_DEFAULT);
    pdx__close_id(&ds);
    w->out_of_memory |= !ok;
    return ok ? 0 : -1;
}

static void clear_lists(pdx_store_description *d)
{
    for (size_t i = 0; i < d->n_dimensions; i++) {
        pdx_store_dimension *x = &d->dimensions[i];
        free(x->name);
        free(x->flag_meanings);
        free(x->scale);
        free(x->units);
    }
    for (size_t i = 0; i < d->n_variables; i++) {
        pdx_store_variable *x = &d->variables[i];
        for (size_t j = 0; x->dims != NULL && j < x->rank; j++)
            free(x->dims[j]);
        free(x->dims);
        free(x->name);
        free(x->long_name);
        free(x->units);
    }
    free(d->dimensions);
    free(d->variables);
    d->dimensions = NULL;
    d->variables = NULL;
    d->n_dimensions = d->n_variables = 0;
}

/* Dimension scales and variables in creation order (name order if the
 * file does not track it). */
static pdx_status describe_datasets(hid_t file, const char *path,
                                    pdx_store_description *d, pdx_error *err)
{
    describe_walk w = {d, 0, 0, 0, path, file};
    hsize_t idx = 0;
    if (H5Literate(file, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx,
                   describe_link, &w) < 0 &&
        !w.out_of_memory) {
        clear_lists(d);
        w = (describe_walk){d, 0, 0, 0, path, file};
        idx = 0;
        H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, &idx, describe_link, &w);
    }
    H5Eclear2(H5E_DEFAULT);
    if (w.out_of_memory)
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory");
    return PDX_OK;
}

/* The status variable's entries by code. */
static pdx_status count_status(hid_t file, const char *path,
                               pdx_store_description *d, pdx_error *err)
{
    hid_t ds = H5Dopen2(file, "status", H5P_DEFAULT);
    hid_t space = ds < 0 ? H5I_INVALID_HID : H5Dget_space(ds);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    pdx_status st = PDX_OK;
    int8_t *status = NULL;
    if (n < 0)
        st = pdx__h5_error(err, path, "status", "cannot open");
    else if ((status = malloc((size_t)(n > 0 ? n : 1))) == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                           "out of memory");
    else if (n > 0 && H5Dread(ds, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL,
                              H5P_DEFAULT, status) < 0)
        st = pdx__h5_error(err, path, "status", "cannot read");
    if (st == PDX_OK) {
        d->n_status = (uint64_t)n;
        for (hssize_t t = 0; t < n; t++)
            if (status[t] >= 0 && status[t] < PDX_STORE_STATUS_CODES)
                d->status_counts[status[t]]++;
            else
                d->status_other++;
    }
    free(status);
    pdx__close_id(&space);
    pdx__close_id(&ds);
    return st;
}

static void read_root_texts(hid_t file, pdx_store_description *d)
{
    d->title = text_or_null(file, "title");
    d->spec_path = text_or_null(file, "spec_path");
    d->spec_sha256 = text_or_null(file, "spec_sha256");
    d->theories = text_or_null(file, "theories");
    d->pdx_version = text_or_null(file, "pdx_version");
    d->git_describe = text_or_null(file, "git_describe");
    d->rng = text_or_null(file, "rng");
    d->host = text_or_null(file, "host");
    d->command_line = text_or_null(file, "command_line");
    d->start_time = text_or_null(file, "start_time");
    d->end_time = text_or_null(file, "end_time");
}

void pdx_store_description_clear(pdx_store_description *d)
{
    if (d == NULL)
        return;
    clear_lists(d);
    char **texts[] = {&d->title,        &d->spec_path,   &d->spec_sha256,
                      &d->theories,     &d->pdx_version, &d->git_describe,
                      &d->rng,          &d->host,        &d->command_line,
                      &d->start_time,   &d->end_time};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        free(*texts[i]);
    memset(d, 0, sizeof *d);
}

pdx_status pdx_store_describe(const char *path, pdx_store_description *d,
                              pdx_error *err)
{
    pdx__silence_hdf5();
    if (d == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "describe: no description to fill");
    memset(d, 0, sizeof *d);
    d->shard_count = 1;
    if (path == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "info: no file given");
    hid_t file;
    pdx_status st = pdx__open_pdx_file(path, 1, &file, err);
    if (st != PDX_OK)
        return st;
    char *source = NULL;
    if (pdx__get_text(file, "source", &source) == 0 && source != NULL &&
        strcmp(source, "theory") == 0)
        d->is_theory = 1;
    free(source);
    H5Eclear2(H5E_DEFAULT);
    st = count_status(file, path, d, err);
    if (st == PDX_OK) {
        double complete = 0, replicas = 0;
        pdx__get_double(file, "pdx_complete", &complete);
        pdx__get_double(file, "replicas", &replicas);
        d->complete = complete != 0;
        d->replicas = replicas;
        if (pdx__read_shard(file, &d->shard_index, &d->shard_count) < 0) {
            d->shard_index = 0;
            d->shard_count = 1;
        }
        H5Eclear2(H5E_DEFAULT);
        read_root_texts(file, d);
        d->damaged_root_attributes = !attributes_readable(file);
        st = describe_datasets(file, path, d, err);
    }
    pdx__close_id(&file);
    if (st != PDX_OK)
        pdx_store_description_clear(d);
    return st;
}

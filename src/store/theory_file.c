/* theory_file.c — theory files (pdx theory): the grid's coordinates, no
 * replica. */
#include "store_internal.h"

/* ------------------------------------------------------------------------ */
/* Theory files (pdx theory): the grid's coordinates, no replica            */

/* Dimensions of a theory variable: (axes..., extra...). */
static int theory_dims(const pdx_grid *g, const pdx_layout *layout,
                       size_t n_extra, const pdx_dim *extra, hsize_t *dims)
{
    int rank = 0;
    for (size_t i = 0; i < g->n_axes; i++)
        dims[rank++] = g->shape[i];
    for (size_t j = 0; j < n_extra; j++)
        dims[rank++] = layout->dim_size[extra[j]];
    return rank;
}

/* A written, compressed dataset of `rank` dims (rank 0: a scalar, for a
 * grid without axes) with its scales attached. */
static pdx_status theory_dataset(hid_t file, const char *name, hid_t ftype,
                                 hid_t mtype, size_t elem, const void *fill,
                                 int rank, const hsize_t *dims, size_t n_axes,
                                 const void *data, const hid_t *scales,
                                 pdx__scale_links *links, const char *path,
                                 hid_t *out, pdx_error *err)
{
    hid_t ds = H5I_INVALID_HID;
    pdx_status status = PDX_OK;
    if (rank > 0) {
        ds = pdx__create_dataset(file, name, ftype, rank, dims, mtype, fill,
                                 DS_FINAL, n_axes, elem);
    } else {
        hid_t space = H5Screate(H5S_SCALAR);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (space >= 0 && dcpl >= 0 &&
            H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED |
                                                 H5P_CRT_ORDER_INDEXED) >= 0 &&
            H5Pset_obj_track_times(dcpl, 0) >= 0 &&
            H5Pset_fill_value(dcpl, mtype, fill) >= 0)
            ds = H5Dcreate2(file, name, ftype, space, H5P_DEFAULT, dcpl,
                            H5P_DEFAULT);
        hid_t stack = ds < 0 ? H5Eget_current_stack() : H5I_INVALID_HID;
        pdx__close_id(&space);
        pdx__close_id(&dcpl);
        if (stack >= 0)
            H5Eset_current_stack(stack);
    }
    if (ds < 0)
        return pdx__h5_error(err, path, name, "cannot create variable");
    if (H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        status = pdx__h5_error(err, path, name, "cannot write variable");
    if (status == PDX_OK)
        status = pdx__attach_scales(ds, name, rank, scales, links, path, err);
    if (status != PDX_OK)
        pdx__close_id(&ds);
    *out = ds;
    return status;
}

static pdx_status write_theory_content(const pdx_store *s, hid_t file,
                                       const pdx_store_theory *th,
                                       const char *path, pdx_error *err)
{
    const pdx_grid *g = s->grid;
    const pdx_layout *layout = th->layout;
    pdx_status status = PDX_OK;
    hid_t axis_scales[MAX_RANK], dim_scales[PDX_DIM_COUNT], scales[MAX_RANK];
    for (size_t i = 0; i < MAX_RANK; i++)
        axis_scales[i] = H5I_INVALID_HID;
    for (int d = 0; d < PDX_DIM_COUNT; d++)
        dim_scales[d] = H5I_INVALID_HID;
    pdx__scale_links links = {0};
    for (size_t i = 0; i < g->n_axes && status == PDX_OK; i++)
        status =
            pdx__create_axis(s, file, i, &links, path, &axis_scales[i], err);
    if (status == PDX_OK)
        status = pdx__create_dim_coordinates(s, file, layout, path,
                                             dim_scales, err);
    for (size_t i = 0; i < g->n_axes; i++)
        scales[i] = axis_scales[i];
    /* zip groups (issue 19): their later members are coordinates */
    char zipped[1024];
    size_t n_zipped = pdx__zip_coordinates(s, zipped, sizeof zipped);
    /* int8 per-cell flag variables */
    for (size_t k = 0; k < th->n_flags && status == PDX_OK; k++) {
        const pdx_store_flag_var *fv = &th->flags[k];
        hsize_t dims[MAX_RANK];
        int rank = theory_dims(g, layout, 0, NULL, dims);
        static const int8_t zero = 0;
        hid_t ds = H5I_INVALID_HID;
        status = theory_dataset(file, fv->name, H5T_STD_I8LE, H5T_NATIVE_INT8,
                                1, &zero, rank, dims, g->n_axes, fv->data,
                                scales, &links, path, &ds, err);
        if (status == PDX_OK)
            status = pdx__put_labels(ds, s->spec, 1, fv->name, fv->long_name,
                                     path, err);
        if (status == PDX_OK && n_zipped > 0)
            status = pdx__put_string(ds, fv->name, "coordinates", zipped,
                                     path, err);
        if (status == PDX_OK && fv->n_flags > 0)
            status = pdx__put_attr(ds, fv->name, "flag_values", H5T_STD_I8LE,
                                   H5T_NATIVE_INT8, fv->n_flags,
                                   fv->flag_values, path, err);
        if (status == PDX_OK && fv->n_flags > 0)
            status = pdx__put_string(ds, fv->name, "flag_meanings",
                                     fv->flag_meanings, path, err);
        pdx__close_id(&ds);
    }
    /* float64 variables */
    const double nan_value = NAN;
    for (size_t v = 0; v < layout->n_vars && status == PDX_OK; v++) {
        const pdx_var_desc *desc = &layout->vars[v];
        hsize_t dims[MAX_RANK];
        int rank = theory_dims(g, layout, desc->n_dims, desc->dims, dims);
        for (size_t j = 0; j < desc->n_dims; j++)
            scales[g->n_axes + j] = dim_scales[desc->dims[j]];
        hid_t ds = H5I_INVALID_HID;
        status = theory_dataset(file, desc->name, H5T_IEEE_F64LE,
                                H5T_NATIVE_DOUBLE, 8, &nan_value, rank, dims,
                                g->n_axes, th->values[v], scales, &links, path,
                                &ds, err);
        if (status == PDX_OK)
            status = pdx__put_labels(ds, s->spec, 1, desc->name,
                                     desc->long_name, path, err);
        if (status == PDX_OK && n_zipped > 0)
            status = pdx__put_string(ds, desc->name, "coordinates", zipped,
                                     path, err);
        if (status == PDX_OK)
            status =
                pdx__put_double(ds, desc->name, "_FillValue", NAN, path, err);
        pdx__close_id(&ds);
    }
    if (status == PDX_OK)
        status = pdx__write_scale_links(&links, path, err);
    pdx__scale_links_free(&links);
    for (size_t i = 0; i < g->n_axes; i++)
        pdx__close_id(&axis_scales[i]);
    for (int d = 0; d < PDX_DIM_COUNT; d++)
        pdx__close_id(&dim_scales[d]);
    return status;
}

pdx_status pdx_store_write_theory(const char *path, const pdx_grid *grid,
                                  const pdx_store_theory *theory,
                                  const pdx_provenance *provenance,
                                  pdx_error *err)
{
    pdx__silence_hdf5();
    if (theory == NULL || theory->layout == NULL ||
        (theory->layout->n_vars > 0 && theory->values == NULL) ||
        (theory->n_flags > 0 && theory->flags == NULL))
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: a theory file needs a layout, values "
                             "and flags");
    for (size_t k = 0; k < theory->n_flags; k++)
        if (theory->flags[k].name == NULL || theory->flags[k].data == NULL)
            return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                                 "store: theory flag variable %zu has no "
                                 "name or data",
                                 k);
    for (size_t v = 0; v < theory->layout->n_vars; v++)
        if (theory->values[v] == NULL)
            return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0,
                                 theory->layout->vars[v].name,
                                 "store: theory variable without values");
    pdx_store *s = NULL;
    pdx_status status =
        pdx__store_new(&s, path, grid, theory->layout, NULL, err);
    if (status != PDX_OK)
        return status;
    for (size_t k = 0; k < theory->n_flags; k++)
        for (size_t v = 0; v < theory->layout->n_vars; v++)
            if (strcmp(theory->flags[k].name,
                       theory->layout->vars[v].name) == 0) {
                pdx__store_free(s);
                return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0,
                                     theory->flags[k].name,
                                     "store: theory variable named twice");
            }
    /* the data as written, compressed: at most its raw size */
    double bytes = 65536.0 + 2.0 * (double)grid->spec->text_length +
                   (double)grid->n_cells * (double)theory->n_flags;
    for (size_t v = 0; v < theory->layout->n_vars; v++) {
        double n = 8.0 * (double)grid->n_cells;
        for (size_t j = 0; j < theory->layout->vars[v].n_dims; j++)
            n *= (double)theory->layout->dim_size[theory->layout->vars[v]
                                                       .dims[j]];
        bytes += n + 8192.0;
    }
    /* temporaries of killed theory writes (kill -9) go first */
    pdx_file_remove_stale_temporaries(path);
    status = pdx__check_free_space(path, bytes, "for the theory file", err);
    char *tmp = status == PDX_OK ? pdx_file_tmp_path(path) : NULL;
    if (status == PDX_OK && tmp == NULL)
        status = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                               "out of memory");
    hid_t file = status == PDX_OK ? pdx__create_file(tmp, 1) : H5I_INVALID_HID;
    if (status == PDX_OK && file < 0)
        status = pdx__h5_error(err, path, NULL, "cannot create %s", tmp);
    if (status == PDX_OK)
        status = pdx__write_root_attributes(s, file, provenance, tmp, err);
    /* a theory file is written whole: complete from the start */
    if (status == PDX_OK && H5Adelete(file, "pdx_complete") < 0)
        status = pdx__h5_error(err, tmp, "/@pdx_complete", "cannot rewrite");
    if (status == PDX_OK)
        status = pdx__put_uint8(file, "/", "pdx_complete", 1, tmp, err);
    if (status == PDX_OK)
        status = pdx__put_string(file, "/", "source", "theory", tmp, err);
    for (size_t a = 0; a + 1 < 2 * theory->n_attributes && status == PDX_OK;
         a += 2)
        status = pdx__put_string(file, "/", theory->attributes[a],
                                 theory->attributes[a + 1], tmp, err);
    if (status == PDX_OK)
        status = write_theory_content(s, file, theory, tmp, err);
    if (status == PDX_OK)
        status = pdx__seal_file(&file, tmp, path, err);
    pdx__discard_file(&file);
    status = pdx_file_install(tmp, path, status, err);
    free(tmp);
    pdx__store_free(s);
    return status;
}

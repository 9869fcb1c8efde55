/* dimscales.c — dimension scales attached in bulk.
 *
 * HDF5's H5DSattach_scale links one dimension of a dataset to a scale by
 * rewriting two attributes: the dataset's DIMENSION_LIST (a scale per
 * dimension) and the scale's REFERENCE_LIST (every dataset dimension
 * attached to it). Both are read, deleted and written again on every
 * call, so a file's scales cost O(links^2) attribute writes: 3.3 ms of
 * the 8 ms a W2 file (sweeps/bench-minibatch.yaml) took to create, and as
 * much again for the finished file's frame (issue 20). Here a dataset's
 * DIMENSION_LIST is written once, when its scales are known, and each
 * scale's REFERENCE_LIST once, after the last dataset: the same attributes,
 * types, values and order as the calls they replace (the Dimension Scale
 * specification, which netCDF-4, h5py and xarray read;
 * tests/store_dimscales_test.py compares a file's scales with h5py's). */
#include "store_internal.h"

#include <stddef.h>

/* An element of REFERENCE_LIST: the compound {dataset, dimension} of the
 * specification (a native int after an 8-byte object reference). */
typedef struct reference_entry {
    hobj_ref_t dataset;
    int dimension;
} reference_entry;

static hid_t reference_list_type(void)
{
    hid_t type = H5Tcreate(H5T_COMPOUND, sizeof(reference_entry));
    if (type >= 0 &&
        (H5Tinsert(type, "dataset", offsetof(reference_entry, dataset),
                   H5T_STD_REF_OBJ) < 0 ||
         H5Tinsert(type, "dimension", offsetof(reference_entry, dimension),
                   H5T_NATIVE_INT) < 0))
        pdx__close_id(&type);
    return type;
}

/* Attribute `name` of obj: n elements of `type` from buf (a simple
 * dataspace even for one, as H5DS writes); 1 on success, the HDF5 error
 * stack kept for the caller's report. */
static int write_list(hid_t obj, const char *name, hid_t type, hsize_t n,
                      const void *buf)
{
    hid_t space = type >= 0 ? H5Screate_simple(1, &n, NULL) : H5I_INVALID_HID;
    hid_t attr = space >= 0 ? H5Acreate2(obj, name, type, space, H5P_DEFAULT,
                                         H5P_DEFAULT)
                            : H5I_INVALID_HID;
    int ok = attr >= 0 && H5Awrite(attr, type, buf) >= 0;
    hid_t stack = ok ? H5I_INVALID_HID : H5Eget_current_stack();
    pdx__close_id(&attr);
    pdx__close_id(&space);
    if (stack >= 0)
        H5Eset_current_stack(stack);
    return ok;
}

static pdx_status links_grow(pdx__scale_links *links, size_t more,
                             const char *path, pdx_error *err)
{
    if (links->n + more <= links->cap)
        return PDX_OK;
    size_t cap = links->cap > 0 ? 2 * links->cap : 64;
    while (cap < links->n + more)
        cap *= 2;
    pdx__scale_link *grown = realloc(links->link, cap * sizeof *grown);
    if (grown == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory");
    links->link = grown;
    links->cap = cap;
    return PDX_OK;
}

pdx_status pdx__attach_scales(hid_t ds, const char *name, int rank,
                              const hid_t *scales, pdx__scale_links *links,
                              const char *path, pdx_error *err)
{
    if (rank <= 0)
        return PDX_OK;
    hobj_ref_t self, refs[MAX_RANK];
    hvl_t lists[MAX_RANK];
    int ok = rank <= MAX_RANK &&
             H5Rcreate(&self, ds, ".", H5R_OBJECT, H5I_INVALID_HID) >= 0;
    for (int d = 0; d < rank && ok; d++) {
        ok = H5Rcreate(&refs[d], scales[d], ".", H5R_OBJECT,
                       H5I_INVALID_HID) >= 0;
        lists[d].len = 1;
        lists[d].p = &refs[d];
    }
    hid_t type = ok ? H5Tvlen_create(H5T_STD_REF_OBJ) : H5I_INVALID_HID;
    ok = write_list(ds, "DIMENSION_LIST", type, (hsize_t)rank, lists);
    pdx__close_id(&type);
    if (!ok)
        return pdx__h5_error(err, path, name,
                             "cannot attach its dimension scales");
    pdx_status status = links_grow(links, (size_t)rank, path, err);
    for (int d = 0; d < rank && status == PDX_OK; d++)
        links->link[links->n++] =
            (pdx__scale_link){scales[d], self, d};
    return status;
}

/* REFERENCE_LIST of `scale`: its links, in the order they were made. */
static pdx_status write_reference_list(hid_t scale,
                                       const pdx__scale_links *links,
                                       size_t first, reference_entry *buf,
                                       const char *path, pdx_error *err)
{
    hsize_t n = 0;
    for (size_t i = first; i < links->n; i++)
        if (links->link[i].scale == scale)
            buf[n++] = (reference_entry){links->link[i].dataset,
                                         links->link[i].dimension};
    hid_t type = reference_list_type();
    int ok = write_list(scale, "REFERENCE_LIST", type, n, buf);
    pdx__close_id(&type);
    if (ok)
        return PDX_OK;
    char name[256] = "";
    if (H5Iget_name(scale, name, sizeof name) < 0)
        name[0] = '\0';
    return pdx__h5_error(err, path, name[0] == '/' ? name + 1 : name,
                         "cannot list the variables of a dimension scale");
}

pdx_status pdx__write_scale_links(pdx__scale_links *links, const char *path,
                                  pdx_error *err)
{
    pdx_status status = PDX_OK;
    reference_entry *buf =
        malloc((links->n > 0 ? links->n : 1) * sizeof *buf);
    if (buf == NULL)
        status = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                               "out of memory");
    /* each scale once, at its first link */
    for (size_t i = 0; i < links->n && status == PDX_OK; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = links->link[j].scale == links->link[i].scale;
        if (!seen)
            status = write_reference_list(links->link[i].scale, links, i, buf,
                                          path, err);
    }
    free(buf);
    pdx__scale_links_free(links);
    return status;
}

void pdx__scale_links_free(pdx__scale_links *links)
{
    free(links->link);
    *links = (pdx__scale_links){0};
}

/* h5util.c — HDF5 helpers of the store: error translation, file-access
 * properties, attribute put/get, closing ids, fsync of an open file. */
#include "store_internal.h"

#include <stdatomic.h>

/* ------------------------------------------------------------------------ */
/* HDF5 errors -> pdx_error                                                  */

typedef struct h5_detail {
    char inner[256]; /* most specific HDF5 message */
    char outer[256]; /* the API-level message */
    int errno_value; /* from the file driver's message, 0 if none */
    int is_io;
} h5_detail;

static herr_t h5_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    h5_detail *d = data;
    const char *desc = e->desc != NULL ? e->desc : "";
    if (n == 0)
        snprintf(d->inner, sizeof d->inner, "%s", desc);
    snprintf(d->outer, sizeof d->outer, "%s", desc);
    const char *p = strstr(desc, "errno = ");
    if (p != NULL && d->errno_value == 0)
        d->errno_value = atoi(p + 8);
    if (e->maj_num == H5E_IO || e->min_num == H5E_WRITEERROR ||
        e->min_num == H5E_READERROR || e->min_num == H5E_SEEKERROR ||
        e->min_num == H5E_CANTOPENFILE || e->min_num == H5E_CANTCREATE ||
        e->min_num == H5E_TRUNCATED)
        d->is_io = 1;
    return 0;
}

/* See store_internal.h. */
pdx_status pdx__h5_error(pdx_error *err, const char *path,
                         const char *object, const char *fmt, ...)
{
    h5_detail d;
    memset(&d, 0, sizeof d);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5_walk, &d);
    H5Eclear2(H5E_DEFAULT);
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (d.errno_value != 0)
        return pdx_error_set(
            err, PDX_ERR_IO, path, 0, 0, object, "%s: %s (errno %d)%s", what,
            strerror(d.errno_value), d.errno_value,
            d.errno_value == EAGAIN || d.errno_value == EWOULDBLOCK
                ? "; another process holds the file open for writing "
                  "(set HDF5_USE_FILE_LOCKING=FALSE to read a live file)"
                : "");
    if (d.inner[0] == '\0')
        return pdx_error_set(err, PDX_ERR_HDF5, path, 0, 0, object, "%s",
                             what);
    if (strcmp(d.inner, d.outer) == 0)
        return pdx_error_set(err, d.is_io ? PDX_ERR_IO : PDX_ERR_HDF5, path,
                             0, 0, object, "%s: HDF5: %s", what, d.inner);
    return pdx_error_set(err, d.is_io ? PDX_ERR_IO : PDX_ERR_HDF5, path, 0, 0,
                         object, "%s: HDF5: %s (%s)", what, d.outer, d.inner);
}

void pdx__silence_hdf5(void)
{
    /* The automatic printing is per thread in thread-safe builds, so it is
     * switched off on every entry, not only once. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* Set once HDF5 failed to close a file (see pdx__close_file). */
static atomic_int h5_file_left_open;

/* The library's shutdown at exit, unless a file could not be closed: its
 * id points at freed memory and H5close would crash (SIGSEGV after the
 * error message of a full disk or `ulimit -f`). The process is exiting:
 * the kernel closes the descriptor, the temporary is already removed. */
static void close_library_at_exit(void)
{
    if (atomic_load(&h5_file_left_open) == 0)
        H5close();
}

void pdx_store_init_library(void)
{
    static atomic_int initialised;
    if (atomic_exchange(&initialised, 1) == 0) {
        /* before any other HDF5 call: our handler replaces HDF5's own */
        H5dont_atexit();
        H5open();
        atexit(close_library_at_exit);
    }
    pdx__silence_hdf5();
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */

void pdx__close_id(hid_t *id)
{
    if (*id < 0)
        return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: pdx__close_file(id); break;
    case H5I_GROUP: H5Gclose(*id); break;
    case H5I_DATASET: H5Dclose(*id); break;
    case H5I_DATASPACE: H5Sclose(*id); break;
    case H5I_DATATYPE: H5Tclose(*id); break;
    case H5I_ATTR: H5Aclose(*id); break;
    case H5I_GENPROP_LST: H5Pclose(*id); break;
    default: break;
    }
    *id = H5I_INVALID_HID;
}

int pdx__close_file(hid_t *file)
{
    if (*file < 0)
        return 0;
    int closed = H5Fclose(*file) >= 0;
    if (!closed)
        atomic_store(&h5_file_left_open, 1);
    *file = H5I_INVALID_HID;
    return closed ? 0 : -1;
}

pdx_status pdx__fsync_file(hid_t file, const char *path, pdx_error *err)
{
    int *fd = NULL;
    if (H5Fget_vfd_handle(file, H5P_DEFAULT, (void **)&fd) < 0 || fd == NULL)
        return pdx__h5_error(err, path, NULL, "cannot get the file descriptor");
    if (fsync(*fd) != 0)
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "fsync failed: %s", strerror(errno));
    return PDX_OK;
}

hid_t pdx__make_fapl(int for_reading_live)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return fapl;
    if (H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
#if H5_VERSION_GE(1, 10, 7)
    if (for_reading_live && H5Pset_file_locking(fapl, 0, 1) < 0) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
#endif
    return fapl;
}

/* An attribute `name` on `obj` of `n` elements (n == 1: scalar). */
pdx_status pdx__put_attr(hid_t obj, const char *object, const char *name,
                         hid_t file_type, hid_t mem_type, size_t n,
                         const void *data, const char *path, pdx_error *err)
{
    hsize_t dims[1] = {n};
    hid_t space = n == 1 ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(1, dims, NULL);
    hid_t attr = H5I_INVALID_HID;
    pdx_status status = PDX_OK;
    if (space < 0 ||
        (attr = H5Acreate2(obj, name, file_type, space, H5P_DEFAULT,
                           H5P_DEFAULT)) < 0 ||
        H5Awrite(attr, mem_type, data) < 0)
        status = pdx__h5_error(err, path, object, "cannot write attribute '%s'",
                               name);
    pdx__close_id(&attr);
    pdx__close_id(&space);
    return status;
}

/* Fixed-length ASCII string, as netCDF-C writes NC_CHAR attributes: size =
 * length (at least 1), NUL-terminated padding, scalar. */
/* UTF-8 when the text has a byte outside ASCII (the symbols of the
 * short labels, metadata.c), else ASCII as before. */
static hid_t text_type(const char *value, size_t length)
{
    int utf8 = 0;
    for (size_t i = 0; i < length; i++)
        utf8 |= (unsigned char)value[i] >= 0x80;
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0)
        return type;
    if (H5Tset_size(type, length > 0 ? length : 1) < 0 ||
        H5Tset_strpad(type, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(type, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII) < 0) {
        H5Tclose(type);
        return H5I_INVALID_HID;
    }
    return type;
}

pdx_status pdx__put_text(hid_t obj, const char *object, const char *name,
                         const char *value, size_t length, const char *path,
                         pdx_error *err)
{
    static const char nul[1] = {0};
    hid_t type = text_type(value, length);
    if (type < 0)
        return pdx__h5_error(err, path, object,
                             "cannot make a string type for '%s'", name);
    pdx_status status = pdx__put_attr(obj, object, name, type, type, 1,
                                      length > 0 ? value : nul, path, err);
    pdx__close_id(&type);
    return status;
}

pdx_status pdx__put_string(hid_t obj, const char *object, const char *name,
                           const char *value, const char *path,
                           pdx_error *err)
{
    if (value == NULL)
        value = "";
    return pdx__put_text(obj, object, name, value, strlen(value), path, err);
}

pdx_status pdx__put_double(hid_t obj, const char *object, const char *name,
                           double value, const char *path, pdx_error *err)
{
    return pdx__put_attr(obj, object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                         1, &value, path, err);
}

pdx_status pdx__put_int64(hid_t obj, const char *object, const char *name,
                          int64_t value, const char *path, pdx_error *err)
{
    return pdx__put_attr(obj, object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 1,
                         &value, path, err);
}

pdx_status pdx__put_int32(hid_t obj, const char *object, const char *name,
                          int32_t value, const char *path, pdx_error *err)
{
    return pdx__put_attr(obj, object, name, H5T_STD_I32LE, H5T_NATIVE_INT32, 1,
                         &value, path, err);
}

pdx_status pdx__put_uint8(hid_t obj, const char *object, const char *name,
                          uint8_t value, const char *path, pdx_error *err)
{
    return pdx__put_attr(obj, object, name, H5T_STD_U8LE, H5T_NATIVE_UINT8, 1,
                         &value, path, err);
}

/* Read a scalar string attribute (fixed or variable length) into a new
 * buffer; *out NULL if the attribute is absent. Returns 0, or -1 with the
 * HDF5 error stack set. */
int pdx__get_text(hid_t obj, const char *name, char **out)
{
    *out = NULL;
    htri_t exists = H5Aexists(obj, name);
    if (exists <= 0)
        return exists < 0 ? -1 : 0;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t type = attr < 0 ? H5I_INVALID_HID : H5Aget_type(attr);
    int rc = -1;
    if (type >= 0 && H5Tget_class(type) == H5T_STRING) {
        if (H5Tis_variable_str(type) > 0) {
            hid_t mem = H5Tcopy(H5T_C_S1);
            char *value = NULL;
            if (mem >= 0 && H5Tset_size(mem, H5T_VARIABLE) >= 0 &&
                H5Aread(attr, mem, &value) >= 0) {
                *out = strdup(value != NULL ? value : "");
                H5free_memory(value);
                rc = *out != NULL ? 0 : -1;
            }
            pdx__close_id(&mem);
        } else {
            size_t size = H5Tget_size(type);
            char *value = calloc(size + 1, 1);
            if (value != NULL && H5Aread(attr, type, value) >= 0) {
                *out = value;
                rc = 0;
            } else {
                free(value);
            }
        }
    }
    pdx__close_id(&type);
    pdx__close_id(&attr);
    return rc;
}

/* Text attribute `name` into buf ("" when absent or unreadable). */
void pdx__copy_text_attr(hid_t file, const char *name, char *buf,
                         size_t size)
{
    char *text = NULL;
    buf[0] = '\0';
    if (pdx__get_text(file, name, &text) == 0 && text != NULL)
        snprintf(buf, size, "%s", text);
    free(text);
    H5Eclear2(H5E_DEFAULT);
}

/* Read a numeric scalar attribute as double. Returns 1 if read, 0 if
 * absent, -1 on error. */
int pdx__get_double(hid_t obj, const char *name, double *value)
{
    htri_t exists = H5Aexists(obj, name);
    if (exists <= 0)
        return exists < 0 ? -1 : 0;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    int rc = attr >= 0 && H5Aread(attr, H5T_NATIVE_DOUBLE, value) >= 0 ? 1 : -1;
    pdx__close_id(&attr);
    return rc;
}

/* The type of the names of a choice coordinate (issue 19): a netCDF-4
 * string (variable length, UTF-8, NUL-terminated), as netCDF-C writes
 * NC_STRING. The caller closes it. */
hid_t pdx__names_type(void)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type >= 0 && (H5Tset_size(type, H5T_VARIABLE) < 0 ||
                      H5Tset_strpad(type, H5T_STR_NULLTERM) < 0 ||
                      H5Tset_cset(type, H5T_CSET_UTF8) < 0))
        pdx__close_id(&type);
    return type;
}

/* The n strings of the 1-D string dataset `ds` (variable or fixed
 * length) as new NUL-terminated strings in names[0..n-1] (the caller
 * frees each). Returns 1 when read, 0 when `ds` does not hold strings (a
 * choice coordinate of a pdx before issue 19: int32 codes), -1 with the
 * HDF5 error stack set. */
int pdx__read_names(hid_t ds, size_t n, char **names)
{
    for (size_t i = 0; i < n; i++)
        names[i] = NULL;
    hid_t type = H5Dget_type(ds);
    if (type < 0)
        return -1;
    if (H5Tget_class(type) != H5T_STRING) {
        pdx__close_id(&type);
        return 0;
    }
    int rc = -1;
    if (H5Tis_variable_str(type) > 0) {
        hid_t mem = pdx__names_type();
        char **raw = calloc(n > 0 ? n : 1, sizeof *raw);
        if (mem >= 0 && raw != NULL &&
            (n == 0 ||
             H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0)) {
            rc = 1;
            for (size_t i = 0; i < n; i++) {
                names[i] = strdup(raw[i] != NULL ? raw[i] : "");
                rc = names[i] != NULL ? rc : -1;
                H5free_memory(raw[i]);
            }
        }
        free(raw);
        pdx__close_id(&mem);
    } else {
        size_t size = H5Tget_size(type);
        char *raw = calloc((n > 0 ? n : 1) * size, 1);
        if (raw != NULL &&
            (n == 0 ||
             H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0)) {
            rc = 1;
            for (size_t i = 0; i < n; i++) {
                names[i] = strndup(raw + i * size, size);
                rc = names[i] != NULL ? rc : -1;
            }
        }
        free(raw);
    }
    if (rc < 0)
        for (size_t i = 0; i < n; i++) {
            free(names[i]);
            names[i] = NULL;
        }
    pdx__close_id(&type);
    return rc;
}

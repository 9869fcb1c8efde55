/* store.c — result files: netCDF-4 compatible HDF5 (docs/FORMAT.md).
 *
 * The only file of pdx that includes hdf5.h. Everything here runs under the
 * caller's serialisation (one thread at a time); the only global state is
 * HDF5's own. The one parallel loop, compressing the finished file's
 * chunks, calls only zlib and plain C (HDF5 is not thread-safe).
 *
 * Working file: every dataset created up front, contiguous, unfiltered,
 * space allocated early and filled (NaN, status 0, steps -1), so that the
 * file's metadata never changes after creation and a killed run leaves a
 * valid file (DESIGN.md, "Crash safety"). Final file: the same layout with
 * chunked, shuffled and deflated data variables, written under a temporary
 * name and renamed over the working file.
 *
 * Format bounds are (1.8, 1.8): superblock version 2, which HDF5 1.10+
 * does not mark "open for writing" (superblock 3 would need `h5clear -s`
 * after every kill), which supports dense attribute storage (a spec text
 * over 64 KiB) and link/attribute creation order, and which every
 * netCDF-4 and h5py build reads. */
#include "pdx/store.h"

#include "pdx/rng.h"
#include "pdx/spec.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <omp.h>
#include <zlib.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SCHEMA_VERSION 1
#define MAX_RANK 32                    /* H5S_MAX_RANK */
#define CHUNK_MAX_BYTES (1u << 20)     /* final file: at most ~1 MiB ... */
#define CHUNK_MIN_BYTES (64u << 10)    /* ... and whole cells up to 64 KiB */
/* deflate level 1: on the W1 benchmark's file level 4 saved 0.2 % of the
 * size and cost 0.3-1.5 ms more per repack (a serial step) */
#define DEFLATE_LEVEL 1

static const char *const dim_names[PDX_DIM_COUNT] = PDX_DIM_NAMES;
static const char *const dim_long_names[PDX_DIM_COUNT] = {
    "training time alpha = steps/N",
    "student hidden unit k",
    "student hidden unit l (second index of K x K)",
    "teacher hidden unit m",
    "teacher hidden unit n (second index of M x M)",
};
static const char *const scale_names[] = {"list", "lin", "log"};
static const char *const status_meanings = "pending done diverged failed";

/* ------------------------------------------------------------------------ */
/* SHA-256 (FIPS 180-4)                                                      */

typedef struct sha256 {
    uint32_t h[8];
    uint64_t length; /* bytes */
    unsigned char block[64];
    size_t used;
} sha256;

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr32(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

static void sha256_block(sha256 *s, const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr32(w[i - 15], 7) ^ rotr32(w[i - 15], 18) ^
                      (w[i - 15] >> 3);
        uint32_t s1 = rotr32(w[i - 2], 17) ^ rotr32(w[i - 2], 19) ^
                      (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) +
                      ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
        uint32_t t2 = (rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) +
                      ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
    s->h[5] += f;
    s->h[6] += g;
    s->h[7] += h;
}

static void sha256_init(sha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                   0xa54ff53a, 0x510e527f, 0x9b05688c,
                                   0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->length = 0;
    s->used = 0;
}

static void sha256_update(sha256 *s, const void *data, size_t length)
{
    const unsigned char *p = data;
    s->length += length;
    while (length > 0) {
        size_t take = 64 - s->used < length ? 64 - s->used : length;
        memcpy(s->block + s->used, p, take);
        s->used += take;
        p += take;
        length -= take;
        if (s->used == 64) {
            sha256_block(s, s->block);
            s->used = 0;
        }
    }
}

static void sha256_final_hex(sha256 *s, char hex[65])
{
    uint64_t bits = s->length * 8u;
    unsigned char pad = 0x80;
    sha256_update(s, &pad, 1);
    pad = 0;
    while (s->used != 56)
        sha256_update(s, &pad, 1);
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(s, len, 8);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            hex[8 * i + j] = digits[(s->h[i] >> (28 - 4 * j)) & 0xfu];
    hex[64] = '\0';
}

void pdx_store_sha256_hex(const void *data, size_t length, char hex[65])
{
    sha256 s;
    sha256_init(&s);
    sha256_update(&s, data, length);
    sha256_final_hex(&s, hex);
}

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

/* Report the HDF5 call that just failed. Must be called before any other
 * HDF5 API call (each one clears the error stack). `object` is the
 * dataset or attribute ("/eg", "/@spec"); the file is `path`. */
static pdx_status h5_error(pdx_error *err, const char *path,
                           const char *object, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static pdx_status h5_error(pdx_error *err, const char *path,
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

static void silence_hdf5(void)
{
    /* The automatic printing is per thread in thread-safe builds, so it is
     * switched off on every entry, not only once. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void pdx_store_init_library(void)
{
    H5open();
    silence_hdf5();
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */

static void close_id(hid_t *id)
{
    if (*id < 0)
        return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: H5Fclose(*id); break;
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

static void host_name(char *buf, size_t size)
{
    if (gethostname(buf, size - 1) != 0)
        snprintf(buf, size, "localhost");
    buf[size - 1] = '\0';
    for (char *c = buf; *c != '\0'; c++)
        if (*c == '/')
            *c = '_';
}

/* "<path>.<tag>-<host>-<pid>": a temporary file of this process next to
 * `path` ("tmp": a new or repacked file renamed into place when complete;
 * "merge": the working file of a merge). */
static char *temporary_path(const char *path, const char *tag)
{
    char host[256];
    host_name(host, sizeof host);
    size_t size = strlen(path) + strlen(tag) + strlen(host) + 32;
    char *tmp = malloc(size);
    if (tmp != NULL)
        snprintf(tmp, size, "%s.%s-%s-%ld", path, tag, host, (long)getpid());
    return tmp;
}

static char *join_tmp_path(const char *path)
{
    return temporary_path(path, "tmp");
}

/* Pid of a temporary of `base` named `name` written on this host ("" for
 * a name that is not one), or -1. */
static long temporary_pid(const char *name, const char *base,
                          const char *host)
{
    static const char *const tags[] = {".tmp-", ".merge-"};
    size_t n = strlen(base);
    if (strncmp(name, base, n) != 0)
        return -1;
    for (size_t t = 0; t < sizeof tags / sizeof *tags; t++) {
        size_t m = strlen(tags[t]);
        if (strncmp(name + n, tags[t], m) != 0)
            continue;
        const char *rest = name + n + m;
        size_t h = strlen(host);
        if (strncmp(rest, host, h) == 0 && rest[h] == '-')
            rest += h + 1;
        else if (strchr(rest, '-') != NULL)
            return -1; /* another host's: its process may be alive */
        char *end;
        long pid = strtol(rest, &end, 10);
        return *rest != '\0' && *end == '\0' && pid > 0 ? pid : -1;
    }
    return -1;
}

/* Remove the temporaries next to `path` left by processes of this host
 * that no longer run (killed during a create, repack, extension or
 * merge). Best effort: errors are ignored. */
static void remove_stale_temporaries(const char *path)
{
    char dir[4096], host[256];
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s",
                 slash == path ? 1 : (int)(slash - path), path);
    host_name(host, sizeof host);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temporary_pid(e->d_name, base, host);
        if (pid <= 0 || pid == (long)getpid() ||
            !(kill((pid_t)pid, 0) != 0 && errno == ESRCH))
            continue;
        char stale[4096 + 256];
        snprintf(stale, sizeof stale, "%s/%s", dir, e->d_name);
        unlink(stale);
    }
    closedir(d);
}

static pdx_status fsync_directory_of(const char *path, pdx_error *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "cannot open directory %s: %s", dir,
                             strerror(errno));
    /* Some file systems refuse fsync on directories (EINVAL): harmless. */
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        int e = errno;
        close(fd);
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "cannot fsync directory %s: %s", dir,
                             strerror(e));
    }
    close(fd);
    return PDX_OK;
}

static pdx_status fsync_file(hid_t file, const char *path, pdx_error *err)
{
    int *fd = NULL;
    if (H5Fget_vfd_handle(file, H5P_DEFAULT, (void **)&fd) < 0 || fd == NULL)
        return h5_error(err, path, NULL, "cannot get the file descriptor");
    if (fsync(*fd) != 0)
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "fsync failed: %s", strerror(errno));
    return PDX_OK;
}

static hid_t make_fapl(int for_reading_live)
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
static pdx_status put_attr(hid_t obj, const char *object, const char *name,
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
        status = h5_error(err, path, object, "cannot write attribute '%s'",
                          name);
    close_id(&attr);
    close_id(&space);
    return status;
}

/* Fixed-length ASCII string, as netCDF-C writes NC_CHAR attributes: size =
 * length (at least 1), NUL-terminated padding, scalar. */
static hid_t text_type(size_t length)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0)
        return type;
    if (H5Tset_size(type, length > 0 ? length : 1) < 0 ||
        H5Tset_strpad(type, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(type, H5T_CSET_ASCII) < 0) {
        H5Tclose(type);
        return H5I_INVALID_HID;
    }
    return type;
}

static pdx_status put_text(hid_t obj, const char *object, const char *name,
                           const char *value, size_t length, const char *path,
                           pdx_error *err)
{
    static const char nul[1] = {0};
    hid_t type = text_type(length);
    if (type < 0)
        return h5_error(err, path, object, "cannot make a string type for '%s'",
                        name);
    pdx_status status =
        put_attr(obj, object, name, type, type, 1, length > 0 ? value : nul,
                 path, err);
    close_id(&type);
    return status;
}

static pdx_status put_string(hid_t obj, const char *object, const char *name,
                             const char *value, const char *path,
                             pdx_error *err)
{
    if (value == NULL)
        value = "";
    return put_text(obj, object, name, value, strlen(value), path, err);
}

static pdx_status put_double(hid_t obj, const char *object, const char *name,
                             double value, const char *path, pdx_error *err)
{
    return put_attr(obj, object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1,
                    &value, path, err);
}

static pdx_status put_int64(hid_t obj, const char *object, const char *name,
                            int64_t value, const char *path, pdx_error *err)
{
    return put_attr(obj, object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 1,
                    &value, path, err);
}

static pdx_status put_int32(hid_t obj, const char *object, const char *name,
                            int32_t value, const char *path, pdx_error *err)
{
    return put_attr(obj, object, name, H5T_STD_I32LE, H5T_NATIVE_INT32, 1,
                    &value, path, err);
}

static pdx_status put_uint8(hid_t obj, const char *object, const char *name,
                            uint8_t value, const char *path, pdx_error *err)
{
    return put_attr(obj, object, name, H5T_STD_U8LE, H5T_NATIVE_UINT8, 1,
                    &value, path, err);
}

/* Read a scalar string attribute (fixed or variable length) into a new
 * buffer; *out NULL if the attribute is absent. Returns 0, or -1 with the
 * HDF5 error stack set. */
static int get_text(hid_t obj, const char *name, char **out)
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
            close_id(&mem);
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
    close_id(&type);
    close_id(&attr);
    return rc;
}

/* Read a numeric scalar attribute as double. Returns 1 if read, 0 if
 * absent, -1 on error. */
/* Text attribute `name` into buf ("" when absent or unreadable). */
static void copy_text_attr(hid_t file, const char *name, char *buf,
                           size_t size)
{
    char *text = NULL;
    buf[0] = '\0';
    if (get_text(file, name, &text) == 0 && text != NULL)
        snprintf(buf, size, "%s", text);
    free(text);
    H5Eclear2(H5E_DEFAULT);
}

static int get_double(hid_t obj, const char *name, double *value)
{
    htri_t exists = H5Aexists(obj, name);
    if (exists <= 0)
        return exists < 0 ? -1 : 0;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    int rc = attr >= 0 && H5Aread(attr, H5T_NATIVE_DOUBLE, value) >= 0 ? 1 : -1;
    close_id(&attr);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* The store                                                                 */

typedef enum dvar_kind { DVAR_STATUS, DVAR_STEPS, DVAR_F64 } dvar_kind;

/* One data variable of shape (axes..., replica, extra...). The first three
 * are store's own (status, steps, wall_seconds); layout variables follow. */
typedef struct dvar {
    const char *name;
    const char *long_name;
    const char *units;
    dvar_kind kind;
    size_t n_extra;
    pdx_dim extra[3];
} dvar;

enum { DVAR_STATUS_INDEX, DVAR_STEPS_INDEX, DVAR_WALL_INDEX, DVAR_FIXED };

struct pdx_store {
    char *path;
    const pdx_grid *grid;
    const pdx_spec *spec;
    const pdx_layout *layout;
    pdx_store_options options;
    char spec_sha256[65];
    size_t n_dvars;
    dvar *dvars;
    int dim_used[PDX_DIM_COUNT];
    hid_t file;
    hid_t *datasets; /* n_dvars, open in the working file */
    /* A shard file (shard_count > 1) holds only the tasks of its shard,
     * file_tasks[0..n_file_tasks-1] ascending, along a `task` dimension. */
    uint64_t shard_index, shard_count;
    uint64_t *file_tasks;
    uint64_t n_file_tasks;
    double *nan_block; /* for NULL values in a record */
    size_t nan_block_length;
    /* The finished file's frame built ahead by pdx_store_prepare_finish
     * (final_tmp NULL: none): root attributes and empty variables. */
    char *final_tmp;
    hid_t final_file;
    hid_t *final_out; /* n_dvars */
};

static hid_t dvar_file_type(dvar_kind kind)
{
    return kind == DVAR_STATUS  ? H5T_STD_I8LE
           : kind == DVAR_STEPS ? H5T_STD_I64LE
                                : H5T_IEEE_F64LE;
}

static hid_t dvar_mem_type(dvar_kind kind)
{
    return kind == DVAR_STATUS  ? H5T_NATIVE_INT8
           : kind == DVAR_STEPS ? H5T_NATIVE_INT64
                                : H5T_NATIVE_DOUBLE;
}

static size_t dvar_elem_size(dvar_kind kind)
{
    return kind == DVAR_STATUS ? 1 : 8;
}

static const int8_t status_fill = PDX_TASK_PENDING;
static const int64_t steps_fill = -1;

static const void *dvar_fill(dvar_kind kind, const double *nan_value)
{
    return kind == DVAR_STATUS  ? (const void *)&status_fill
           : kind == DVAR_STEPS ? (const void *)&steps_fill
                                : (const void *)nan_value;
}

/* Dimensions of data variable k: (axes..., replica, extra...). */
static int dvar_dims(const pdx_store *s, size_t k, hsize_t *dims)
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
static size_t lead_dims(const pdx_store *s)
{
    return s->shard_count > 1 ? 1 : s->grid->n_axes;
}

/* Index of `task` in a shard file's task list, or n_file_tasks. */
static uint64_t file_slot(const pdx_store *s, uint64_t task)
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

static size_t dvar_block_length(const pdx_store *s, size_t k)
{
    size_t n = 1;
    for (size_t j = 0; j < s->dvars[k].n_extra; j++)
        n *= s->layout->dim_size[s->dvars[k].extra[j]];
    return n;
}

static const pdx_key *axis_key(const pdx_store *s, size_t i)
{
    return &pdx_spec_keys(NULL)[s->spec->axes[i].key];
}

/* "train.learning_rate=0.5, student.activation=relu, replica=2" */
static void describe_task(const pdx_store *s, uint64_t task, char *buf,
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
    for (size_t i = 0; i < g->n_axes && used < size; i++) {
        const pdx_key *key = axis_key(s, i);
        double v = s->spec->axes[i].values[index[i]];
        const char *choice = key->type == PDX_KEY_CHOICE
                                 ? pdx_spec_choice_name(s->spec->axes[i].key,
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

static int name_taken(const pdx_store *s, const char *name, size_t n_dvars)
{
    for (size_t i = 0; i < s->grid->n_axes; i++)
        if (strcmp(axis_key(s, i)->name, name) == 0)
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

static void discard_file(hid_t *file);

/* Close and remove a frame built by pdx_store_prepare_finish. */
static void discard_frame(pdx_store *s)
{
    if (s->final_tmp == NULL)
        return;
    for (size_t k = 0; s->final_out != NULL && k < s->n_dvars; k++)
        close_id(&s->final_out[k]);
    discard_file(&s->final_file);
    unlink(s->final_tmp);
    free(s->final_tmp);
    free(s->final_out);
    s->final_tmp = NULL;
    s->final_out = NULL;
}

static void store_free(pdx_store *s)
{
    if (s == NULL)
        return;
    discard_frame(s);
    if (s->datasets != NULL)
        for (size_t k = 0; k < s->n_dvars; k++)
            close_id(&s->datasets[k]);
    close_id(&s->file);
    free(s->file_tasks);
    free(s->datasets);
    free(s->dvars);
    free(s->nan_block);
    free(s->path);
    free(s);
}

/* Validate the arguments and build the store object (no file yet). */
static pdx_status store_new(pdx_store **out, const char *path,
                            const pdx_grid *grid, const pdx_layout *layout,
                            const pdx_store_options *options, pdx_error *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0' || grid == NULL || layout == NULL ||
        grid->spec == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: path, grid, grid->spec and layout are "
                             "required");
    const pdx_spec *spec = grid->spec;
    if (grid->n_axes != spec->n_axes)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: grid has %zu axes but its spec %zu",
                             grid->n_axes, spec->n_axes);
    if (grid->n_axes + 4 > MAX_RANK)
        return pdx_error_set(err, PDX_ERR_TOO_BIG, path, 0, 0, NULL,
                             "store: %zu axes exceed HDF5's %d dimensions",
                             grid->n_axes, MAX_RANK - 4);
    uint64_t cells = 1;
    for (size_t i = 0; i < grid->n_axes; i++) {
        pdx_key_type type = pdx_spec_keys(NULL)[spec->axes[i].key].type;
        if (grid->shape[i] == 0 || grid->shape[i] != spec->axes[i].n ||
            (type != PDX_KEY_INT && type != PDX_KEY_REAL &&
             type != PDX_KEY_CHOICE))
            return pdx_error_set(
                err, PDX_ERR_USAGE, path, 0, 0,
                pdx_spec_keys(NULL)[spec->axes[i].key].name,
                "store: axis %zu has %zu values in the grid, %zu in the spec",
                i, grid->shape[i], spec->axes[i].n);
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
    s->n_dvars = DVAR_FIXED + layout->n_vars;
    s->dvars = calloc(s->n_dvars, sizeof *s->dvars);
    s->datasets = malloc(s->n_dvars * sizeof *s->datasets);
    if (s->path == NULL || s->dvars == NULL || s->datasets == NULL) {
        store_free(s);
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory");
    }
    for (size_t k = 0; k < s->n_dvars; k++)
        s->datasets[k] = H5I_INVALID_HID;
    s->dvars[DVAR_STATUS_INDEX] = (dvar){
        "status", "task status: 0 pending, 1 done, 2 diverged, 3 failed",
        NULL, DVAR_STATUS, 0, {PDX_DIM_TIME, PDX_DIM_TIME, PDX_DIM_TIME}};
    s->dvars[DVAR_STEPS_INDEX] = (dvar){
        "steps", "SGD steps taken (-1 while pending)", "1", DVAR_STEPS, 0,
        {PDX_DIM_TIME, PDX_DIM_TIME, PDX_DIM_TIME}};
    s->dvars[DVAR_WALL_INDEX] = (dvar){
        "wall_seconds", "wall-clock time of the task", "s", DVAR_F64, 0,
        {PDX_DIM_TIME, PDX_DIM_TIME, PDX_DIM_TIME}};
    for (size_t v = 0; v < layout->n_vars; v++) {
        const pdx_var_desc *desc = &layout->vars[v];
        size_t k = DVAR_FIXED + v;
        if (desc->name == NULL || desc->name[0] == '\0' ||
            strchr(desc->name, '/') != NULL || desc->n_dims > 3 ||
            name_taken(s, desc->name, k)) {
            store_free(s);
            return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0,
                                 desc->name != NULL ? desc->name : "",
                                 "store: layout variable %zu has a bad, "
                                 "duplicate or reserved name or more than 3 "
                                 "extra dimensions",
                                 v);
        }
        dvar *d = &s->dvars[k];
        d->name = desc->name;
        d->long_name = desc->long_name;
        d->units = desc->units;
        d->kind = DVAR_F64;
        d->n_extra = desc->n_dims;
        for (size_t j = 0; j < desc->n_dims; j++) {
            if ((int)desc->dims[j] < 0 || desc->dims[j] >= PDX_DIM_COUNT) {
                store_free(s);
                return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0,
                                     desc->name,
                                     "store: unknown dimension %d",
                                     (int)desc->dims[j]);
            }
            d->extra[j] = desc->dims[j];
            s->dim_used[desc->dims[j]] = 1;
        }
        size_t block = dvar_block_length(s, k);
        if (block > s->nan_block_length)
            s->nan_block_length = block;
    }
    for (int d = 0; d < PDX_DIM_COUNT; d++)
        if (layout->dim_size[d] > 0)
            s->dim_used[d] = 1;
    if (s->nan_block_length > 0) {
        s->nan_block = malloc(s->nan_block_length * sizeof *s->nan_block);
        if (s->nan_block == NULL) {
            store_free(s);
            return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                                 "out of memory");
        }
        for (size_t i = 0; i < s->nan_block_length; i++)
            s->nan_block[i] = NAN;
    }
    pdx_store_sha256_hex(spec->text != NULL ? spec->text : "",
                         spec->text != NULL ? spec->text_length : 0,
                         s->spec_sha256);
    s->shard_count = s->options.shard_count > 1 ? s->options.shard_count : 1;
    s->shard_index = s->shard_count > 1 ? s->options.shard_index : 0;
    if (s->shard_count > 1) {
        pdx_status st = pdx_grid_shard_tasks(grid, s->shard_index,
                                             s->shard_count, &s->file_tasks,
                                             &s->n_file_tasks, err);
        if (st != PDX_OK) {
            store_free(s);
            return st;
        }
    } else {
        s->n_file_tasks = grid->n_tasks;
    }
    *out = s;
    return PDX_OK;
}

/* ------------------------------------------------------------------------ */
/* Creating the file's structure                                             */

typedef enum ds_mode {
    DS_COORDINATE, /* contiguous, written at once */
    DS_WORKING,    /* contiguous, allocated early, filled */
    DS_FINAL       /* chunked, shuffle + deflate */
} ds_mode;

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
static hid_t create_dataset(hid_t file, const char *name, hid_t type,
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
             H5Pset_fill_time(dcpl, mode == DS_WORKING ? H5D_FILL_TIME_ALLOC
                                                       : H5D_FILL_TIME_IFSET) >=
                 0;
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
        return h5_error(err, path, name, "cannot write coordinate values");
    return PDX_OK;
}

/* Coordinate of axis i: values, attributes, dimension scale. */
static pdx_status create_axis(const pdx_store *s, hid_t file, size_t i,
                              const char *path, hid_t *out, pdx_error *err)
{
    const pdx_axis *axis = &s->spec->axes[i];
    const pdx_key *key = axis_key(s, i);
    hsize_t n = axis->n;
    pdx_status status = PDX_OK;
    hid_t ds = H5I_INVALID_HID;
    void *values = malloc(axis->n * sizeof(double));
    if (values == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, key->name,
                             "out of memory");
    hid_t ftype, mtype;
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
        ftype = H5T_STD_I32LE;
        mtype = H5T_NATIVE_INT32;
        for (size_t j = 0; j < axis->n; j++)
            ((int32_t *)values)[j] = (int32_t)lround(axis->values[j]);
    }
    ds = create_dataset(file, key->name, ftype, 1, &n, H5I_INVALID_HID, NULL,
                        DS_COORDINATE, 0, 0);
    if (ds < 0)
        status = h5_error(err, path, key->name, "cannot create coordinate");
    if (status == PDX_OK)
        status = write_all(ds, mtype, values, key->name, path, err);
    if (status == PDX_OK)
        status = put_string(ds, key->name, "long_name", key->doc, path, err);
    /* Choice coordinates are flags (CF: no units); numbers are "1" when the
     * table gives no unit. */
    if (status == PDX_OK && key->type != PDX_KEY_CHOICE)
        status = put_string(ds, key->name, "units",
                            key->units != NULL && key->units[0] != '\0'
                                ? key->units
                                : "1",
                            path, err);
    if (status == PDX_OK)
        status = put_string(ds, key->name, "pdx_scale",
                            scale_names[axis->scale <= PDX_SCALE_LOG
                                            ? axis->scale
                                            : PDX_SCALE_LIST],
                            path, err);
    if (status == PDX_OK && key->type == PDX_KEY_CHOICE) {
        status = put_attr(ds, key->name, "flag_values", H5T_STD_I32LE,
                          H5T_NATIVE_INT32, axis->n, values, path, err);
        size_t size = 1;
        for (size_t j = 0; j < axis->n; j++) {
            const char *c = pdx_spec_choice_name(axis->key,
                                                 ((int32_t *)values)[j]);
            size += (c != NULL ? strlen(c) : 8) + 1;
        }
        char *meanings = status == PDX_OK ? calloc(size, 1) : NULL;
        if (status == PDX_OK && meanings == NULL)
            status = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, key->name,
                                   "out of memory");
        if (status == PDX_OK) {
            size_t used = 0;
            for (size_t j = 0; j < axis->n; j++) {
                const char *c = pdx_spec_choice_name(axis->key,
                                                     ((int32_t *)values)[j]);
                used += (size_t)snprintf(meanings + used, size - used, "%s%s",
                                         j > 0 ? " " : "",
                                         c != NULL ? c : "unknown");
            }
            status = put_string(ds, key->name, "flag_meanings", meanings,
                                path, err);
        }
        free(meanings);
    }
    if (status == PDX_OK && H5DSset_scale(ds, key->name) < 0)
        status = h5_error(err, path, key->name,
                          "cannot make a dimension scale");
    free(values);
    if (status != PDX_OK)
        close_id(&ds);
    *out = ds;
    return status;
}

/* Coordinate 0..n-1 (replica, unit dimensions) or the times. */
static pdx_status create_index_coordinate(hid_t file, const char *name,
                                          const char *long_name,
                                          const double *times, hsize_t n,
                                          const char *times_scale,
                                          const char *path, hid_t *out,
                                          pdx_error *err)
{
    pdx_status status = PDX_OK;
    hid_t ds;
    if (times != NULL) {
        ds = create_dataset(file, name, H5T_IEEE_F64LE, 1, &n,
                            H5I_INVALID_HID, NULL, DS_COORDINATE, 0, 0);
        if (ds < 0)
            status = h5_error(err, path, name, "cannot create coordinate");
        else if (n > 0)
            status = write_all(ds, H5T_NATIVE_DOUBLE, times, name, path, err);
    } else {
        ds = create_dataset(file, name, H5T_STD_I64LE, 1, &n,
                            H5I_INVALID_HID, NULL, DS_COORDINATE, 0, 0);
        int64_t *index = malloc((n > 0 ? n : 1) * sizeof *index);
        if (ds < 0)
            status = h5_error(err, path, name, "cannot create coordinate");
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
        status = put_string(ds, name, "long_name", long_name, path, err);
    if (status == PDX_OK && times != NULL) {
        const pdx_key *key = &pdx_spec_keys(NULL)[PDX_K_RECORD_TIMES];
        status = put_string(ds, name, "units", key->units, path, err);
        if (status == PDX_OK)
            status = put_string(ds, name, "pdx_scale", times_scale, path, err);
    }
    if (status == PDX_OK && H5DSset_scale(ds, name) < 0)
        status = h5_error(err, path, name, "cannot make a dimension scale");
    if (status != PDX_OK)
        close_id(&ds);
    *out = ds;
    return status;
}

static pdx_status create_variable(const pdx_store *s, hid_t file, size_t k,
                                  ds_mode mode, const hid_t *axis_scales,
                                  hid_t replica_scale, hid_t task_scale,
                                  const hid_t *dim_scales, const char *path,
                                  hid_t *out, pdx_error *err)
{
    const dvar *d = &s->dvars[k];
    hsize_t dims[MAX_RANK];
    int rank = dvar_dims(s, k, dims);
    const double nan_value = NAN;
    pdx_status status = PDX_OK;
    hid_t ds = create_dataset(file, d->name, dvar_file_type(d->kind), rank,
                              dims, dvar_mem_type(d->kind),
                              dvar_fill(d->kind, &nan_value), mode,
                              lead_dims(s), dvar_elem_size(d->kind));
    if (ds < 0)
        status = h5_error(err, path, d->name, "cannot create variable");
    if (status == PDX_OK)
        status = put_string(ds, d->name, "long_name",
                            d->long_name != NULL ? d->long_name : d->name,
                            path, err);
    if (status == PDX_OK && d->units != NULL)
        status = put_string(ds, d->name, "units", d->units, path, err);
    if (status == PDX_OK && d->kind == DVAR_F64)
        status = put_double(ds, d->name, "_FillValue", NAN, path, err);
    if (status == PDX_OK && d->kind == DVAR_STATUS) {
        static const int8_t flags[4] = {PDX_TASK_PENDING, PDX_TASK_DONE,
                                        PDX_TASK_DIVERGED, PDX_TASK_FAILED};
        status = put_attr(ds, d->name, "flag_values", H5T_STD_I8LE,
                          H5T_NATIVE_INT8, 4, flags, path, err);
        if (status == PDX_OK)
            status = put_string(ds, d->name, "flag_meanings", status_meanings,
                                path, err);
    }
    unsigned dim = 0;
    if (s->shard_count > 1) {
        if (status == PDX_OK && H5DSattach_scale(ds, task_scale, dim++) < 0)
            status = h5_error(err, path, d->name,
                              "cannot attach dimension scale 'task'");
    } else {
        for (size_t i = 0; i < s->grid->n_axes && status == PDX_OK;
             i++, dim++)
            if (H5DSattach_scale(ds, axis_scales[i], dim) < 0)
                status = h5_error(err, path, d->name,
                                  "cannot attach dimension scale '%s'",
                                  axis_key(s, i)->name);
        if (status == PDX_OK && H5DSattach_scale(ds, replica_scale, dim++) < 0)
            status = h5_error(err, path, d->name,
                              "cannot attach dimension scale 'replica'");
    }
    for (size_t j = 0; j < d->n_extra && status == PDX_OK; j++, dim++)
        if (H5DSattach_scale(ds, dim_scales[d->extra[j]], dim) < 0)
            status = h5_error(err, path, d->name,
                              "cannot attach dimension scale '%s'",
                              dim_names[d->extra[j]]);
    if (status != PDX_OK)
        close_id(&ds);
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
    hid_t ds = create_dataset(file, "task", H5T_STD_I64LE, 1, &n,
                              H5I_INVALID_HID, NULL, DS_COORDINATE, 0, 0);
    if (ds < 0)
        status = h5_error(err, path, "task", "cannot create coordinate");
    else if (n > 0 && H5Dwrite(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL,
                               H5P_DEFAULT, s->file_tasks) < 0)
        status = h5_error(err, path, "task", "cannot write the task list");
    if (status == PDX_OK)
        status = put_string(ds, "task", "long_name",
                            "task of the whole grid: cell * replicas + "
                            "replica, cells in row-major order of the axes",
                            path, err);
    if (status == PDX_OK && H5DSset_scale(ds, "task") < 0)
        status = h5_error(err, path, "task", "cannot make a dimension scale");
    if (status != PDX_OK)
        close_id(&ds);
    *out = ds;
    return status;
}

/* All coordinates and data variables in `file`; the data variables stay
 * open in datasets[0..n_dvars-1] (closed on failure). */
static pdx_status build_structure(const pdx_store *s, hid_t file,
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

    for (size_t i = 0; i < g->n_axes && status == PDX_OK; i++)
        status = create_axis(s, file, i, path, &axis_scales[i], err);
    if (status == PDX_OK)
        status = create_index_coordinate(
            file, "replica",
            "replica: independent run (own teacher, data and initialisation, "
            "shared by every cell)",
            NULL, g->replicas, NULL, path, &replica_scale, err);
    for (int d = 0; d < PDX_DIM_COUNT && status == PDX_OK; d++) {
        if (!s->dim_used[d])
            continue;
        int is_time = d == PDX_DIM_TIME;
        int ts = s->spec->times_scale;
        status = create_index_coordinate(
            file, dim_names[d], dim_long_names[d],
            is_time ? (s->spec->times != NULL ? s->spec->times : &(double){0})
                    : NULL,
            s->layout->dim_size[d],
            scale_names[ts >= 0 && ts <= PDX_SCALE_LOG ? ts : 0], path,
            &dim_scales[d], err);
    }
    if (status == PDX_OK && s->shard_count > 1)
        status = create_task_coordinate(s, file, path, &task_scale, err);
    for (size_t k = 0; k < s->n_dvars && status == PDX_OK; k++)
        status = create_variable(s, file, k,
                                 mode == DS_FINAL ? DS_FINAL : DS_WORKING,
                                 axis_scales, replica_scale, task_scale,
                                 dim_scales, path, &datasets[k], err);
    close_id(&task_scale);
    for (size_t i = 0; i < g->n_axes; i++)
        close_id(&axis_scales[i]);
    free(axis_scales);
    close_id(&replica_scale);
    for (int d = 0; d < PDX_DIM_COUNT; d++)
        close_id(&dim_scales[d]);
    if (status != PDX_OK)
        for (size_t k = 0; k < s->n_dvars; k++)
            close_id(&datasets[k]);
    return status;
}

/* `param:<key>` for every key that is not an axis. */
static pdx_status write_param_attributes(const pdx_store *s, hid_t root,
                                         const char *path, pdx_error *err)
{
    size_t n_keys;
    const pdx_key *keys = pdx_spec_keys(&n_keys);
    pdx_status status = PDX_OK;
    for (size_t id = 0; id < n_keys && status == PDX_OK; id++) {
        int is_axis = 0;
        for (size_t i = 0; i < s->spec->n_axes; i++)
            is_axis |= (size_t)s->spec->axes[i].key == id;
        if (is_axis)
            continue;
        const pdx_key *key = &keys[id];
        char name[160];
        snprintf(name, sizeof name, "param:%s", key->name);
        switch (key->type) {
        case PDX_KEY_STRING: {
            const char *text = (const char *)&s->spec->base + key->offset;
            status = put_text(root, "/", name, text,
                              strnlen(text, sizeof s->spec->base.name), path,
                              err);
            break;
        }
        case PDX_KEY_TIMES:
            if (s->spec->n_times > 0)
                status = put_attr(root, "/", name, H5T_IEEE_F64LE,
                                  H5T_NATIVE_DOUBLE, s->spec->n_times,
                                  s->spec->times, path, err);
            break;
        case PDX_KEY_CHOICE: {
            int index = (int)pdx_params_get(&s->spec->base, (pdx_key_id)id);
            const char *choice = pdx_spec_choice_name((pdx_key_id)id, index);
            status = put_string(root, "/", name,
                                choice != NULL ? choice : "unknown", path, err);
            break;
        }
        case PDX_KEY_INT:
        case PDX_KEY_REAL: {
            double v = pdx_params_get(&s->spec->base, (pdx_key_id)id);
            /* A derived key left to its rule ("= train.learning_rate") is
             * recorded as the rule, since it may differ between cells. */
            if (isnan(v) && (key->flags & PDX_KEYF_DERIVED))
                status = put_string(root, "/", name, key->default_text, path,
                                    err);
            else
                status = put_double(root, "/", name, v, path, err);
            break;
        }
        }
    }
    return status;
}

static pdx_status write_root_attributes(const pdx_store *s, hid_t file,
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
    PUT(put_text(file, "/", "title", spec->base.name,
                 strnlen(spec->base.name, sizeof spec->base.name), path, err));
    PUT(put_string(file, "/", "Conventions", "CF-1.8", path, err));
    PUT(put_int32(file, "/", "pdx_schema_version", SCHEMA_VERSION, path, err));
    PUT(put_string(file, "/", "pdx_version", p->pdx_version, path, err));
    PUT(put_string(file, "/", "git_describe", p->git_describe, path, err));
    PUT(put_text(file, "/", "spec", spec->text != NULL ? spec->text : "",
                 spec->text != NULL ? spec->text_length : 0, path, err));
    PUT(put_string(file, "/", "spec_sha256", s->spec_sha256, path, err));
    PUT(put_string(file, "/", "spec_path", spec->path, path, err));
    PUT(put_int64(file, "/", "seed", spec->base.seed, path, err));
    PUT(put_int64(file, "/", "replicas", (int64_t)s->grid->replicas, path,
                  err));
    PUT(put_string(file, "/", "command_line", p->command_line, path, err));
    PUT(put_string(file, "/", "host", p->host, path, err));
    PUT(put_string(file, "/", "start_time", p->start_time, path, err));
    PUT(put_string(file, "/", "rng", p->rng, path, err));
    PUT(put_int32(file, "/", "rng_key_version", p->rng_key_version, path,
                  err));
    PUT(put_uint8(file, "/", "pdx_complete", 0, path, err));
    PUT(write_param_attributes(s, file, path, err));
    if (s->shard_count > 1) {
        PUT(put_int64(file, "/", "pdx_shard_index", (int64_t)s->shard_index,
                      path, err));
        PUT(put_int64(file, "/", "pdx_shard_count", (int64_t)s->shard_count,
                      path, err));
    }
#undef PUT
    return st;
}

/* A new file with the property lists every pdx file uses. A final file's
 * chunk B-trees have nodes of 16 entries instead of 64: measured, this
 * halves the repacked size of small sweeps (40 KB instead of 70 KB for 18
 * tasks) and changes large files by less than 1%. */
static hid_t create_file(const char *name, int final)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t fapl = make_fapl(0);
    hid_t file = H5I_INVALID_HID;
    unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    if (fcpl >= 0 && fapl >= 0 &&
        H5Pset_link_creation_order(fcpl, order) >= 0 &&
        H5Pset_attr_creation_order(fcpl, order) >= 0 &&
        H5Pset_obj_track_times(fcpl, 0) >= 0 &&
        (!final || H5Pset_istore_k(fcpl, 8) >= 0))
        file = H5Fcreate(name, H5F_ACC_TRUNC, fcpl, fapl);
    hid_t stack = file < 0 ? H5Eget_current_stack() : H5I_INVALID_HID;
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (stack >= 0)
        H5Eset_current_stack(stack);
    return file;
}

static hid_t open_file(const char *name, unsigned flags, int live)
{
    hid_t fapl = make_fapl(live);
    hid_t file = fapl >= 0 ? H5Fopen(name, flags, fapl) : H5I_INVALID_HID;
    hid_t stack = file < 0 ? H5Eget_current_stack() : H5I_INVALID_HID;
    if (fapl >= 0)
        H5Pclose(fapl);
    if (stack >= 0)
        H5Eset_current_stack(stack);
    return file;
}

/* Flush, fsync and close a file we wrote; the id is invalid afterwards. */
/* Close a temporary file that failed and will be removed. HDF5 1.10 leaves
 * a file whose close failed (its metadata could not be written) half
 * destroyed: closing it again, which the library also does at exit,
 * crashes. So the file is emptied first: on a full disk that frees what it
 * took, and the close's few metadata writes fit. */
static void discard_file(hid_t *file)
{
    if (*file < 0)
        return;
    int *fd = NULL;
    if (H5Fget_vfd_handle(*file, H5P_DEFAULT, (void **)&fd) >= 0 &&
        fd != NULL && ftruncate(*fd, 0) != 0) {
        /* Nothing more to do: the close below may then fail. */
    }
    H5Fclose(*file);
    H5Eclear2(H5E_DEFAULT);
    *file = H5I_INVALID_HID;
}

static pdx_status seal_file(hid_t *file, const char *name, const char *path,
                            pdx_error *err)
{
    pdx_status status = PDX_OK;
    if (H5Fflush(*file, H5F_SCOPE_GLOBAL) < 0)
        status = h5_error(err, path, NULL, "cannot flush %s", name);
    if (status == PDX_OK)
        status = fsync_file(*file, path, err);
    if (status != PDX_OK) {
        discard_file(file);
        return status;
    }
    if (H5Fclose(*file) < 0)
        status = h5_error(err, path, NULL, "cannot close %s", name);
    *file = H5I_INVALID_HID;
    return status;
}

static pdx_status open_datasets(pdx_store *s, pdx_error *err)
{
    for (size_t k = 0; k < s->n_dvars; k++) {
        s->datasets[k] = H5Dopen2(s->file, s->dvars[k].name, H5P_DEFAULT);
        if (s->datasets[k] < 0)
            return h5_error(err, s->path, s->dvars[k].name,
                            "cannot open variable");
    }
    return PDX_OK;
}

/* The working file's size, known in advance: every dataset is allocated
 * at creation. Metadata: a generous bound per dataset and the spec. */
static double working_file_bytes(const pdx_store *s)
{
    double bytes = 65536.0 + 2.0 * (double)s->spec->text_length;
    for (size_t k = 0; k < s->n_dvars; k++) {
        hsize_t dims[MAX_RANK];
        int rank = dvar_dims(s, k, dims);
        double n = (double)dvar_elem_size(s->dvars[k].kind);
        for (int i = 0; i < rank; i++)
            n *= (double)dims[i];
        bytes += n + 8192.0;
    }
    for (size_t i = 0; i < s->grid->n_axes; i++)
        bytes += 8.0 * (double)s->grid->shape[i] + 4096.0;
    return bytes;
}

/* Refuse early, with sizes in the message, when a file of `needed` bytes
 * cannot fit next to `path`. This is what keeps a full disk from failing a
 * file's close (see discard_file). */
static pdx_status check_free_space(const char *path, double needed,
                                   const char *what, pdx_error *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s",
                 slash == path ? 1 : (int)(slash - path), path);
    struct statvfs fs;
    if (statvfs(dir, &fs) != 0)
        return PDX_OK; /* the create reports a missing directory */
    double available = (double)fs.f_bavail * (double)fs.f_frsize;
    if (needed > available)
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "not enough space in %s %s: it needs up to "
                             "%.1f MB, %.1f MB are free",
                             dir, what, needed / 1e6, available / 1e6);
    return PDX_OK;
}

/* Create the complete working file of store s at `tmp` (free space
 * checked first), leaving it open in s->file with the data variables open
 * in s->datasets. On failure nothing is left at `tmp`. */
static pdx_status build_working_file(pdx_store *s, const char *tmp,
                                     const pdx_provenance *provenance,
                                     pdx_error *err)
{
    pdx_status status = check_free_space(s->path, working_file_bytes(s),
                                         "for the result file", err);
    if (status != PDX_OK)
        return status;
    s->file = create_file(tmp, 0);
    if (s->file < 0)
        status = h5_error(err, s->path, NULL, "cannot create %s", tmp);
    if (status == PDX_OK)
        status = write_root_attributes(s, s->file, provenance, tmp, err);
    if (status == PDX_OK)
        status = build_structure(s, s->file, DS_WORKING, tmp, s->datasets,
                                 err);
    if (status != PDX_OK) {
        for (size_t k = 0; k < s->n_dvars; k++)
            close_id(&s->datasets[k]);
        discard_file(&s->file);
        unlink(tmp);
    }
    return status;
}

/* Make the file built by build_working_file durable (flushed and
 * fsynced) and rename it from `tmp` to `path`; `keep_open`: the file and
 * its datasets stay open for commits (the open descriptor follows the
 * rename), else they are closed. On failure `tmp` is removed and
 * whatever was at `path` is untouched (a file kept open is closed by
 * store_free). */
static pdx_status install_working_file(pdx_store *s, const char *tmp,
                                       const char *path, int keep_open,
                                       pdx_error *err)
{
    pdx_status status = PDX_OK;
    if (keep_open) {
        if (H5Fflush(s->file, H5F_SCOPE_GLOBAL) < 0)
            status = h5_error(err, path, NULL, "cannot flush %s", tmp);
        if (status == PDX_OK)
            status = fsync_file(s->file, path, err);
    }
    if (!keep_open || status != PDX_OK) {
        for (size_t k = 0; k < s->n_dvars; k++)
            close_id(&s->datasets[k]);
        if (status == PDX_OK)
            status = seal_file(&s->file, tmp, path, err);
        discard_file(&s->file);
    }
    if (status == PDX_OK && rename(tmp, path) != 0)
        status = pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                               "cannot rename %s to %s: %s", tmp, path,
                               strerror(errno));
    if (status != PDX_OK)
        unlink(tmp);
    if (status == PDX_OK)
        status = fsync_directory_of(path, err);
    return status;
}

pdx_status pdx_store_create(pdx_store **out, const char *path,
                            const pdx_grid *grid, const pdx_layout *layout,
                            const pdx_provenance *provenance,
                            const pdx_store_options *options, pdx_error *err)
{
    silence_hdf5();
    if (out == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: out is NULL");
    pdx_store *s = NULL;
    pdx_status status = store_new(&s, path, grid, layout, options, err);
    if (status != PDX_OK)
        return status;
    remove_stale_temporaries(path);
    char *tmp = join_tmp_path(path);
    if (tmp == NULL) {
        store_free(s);
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory");
    }
    status = build_working_file(s, tmp, provenance, err);
    if (status == PDX_OK)
        status = install_working_file(s, tmp, path, 1, err);
    free(tmp);
    if (status != PDX_OK) {
        store_free(s);
        return status;
    }
    *out = s;
    return PDX_OK;
}

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

/* Dataset `name` has exactly `dims`. */
static pdx_status check_shape(const pdx_store *s, const char *name, int rank,
                              const hsize_t *dims, pdx_error *err)
{
    htri_t exists = H5Lexists(s->file, name, H5P_DEFAULT);
    if (exists < 0)
        return h5_error(err, s->path, name, "cannot look up");
    if (exists == 0)
        return pdx_error_set(err, PDX_ERR_MISMATCH, s->path, 0, 0, name,
                             "the file has no variable '%s' (this run's "
                             "layout or axes differ)",
                             name);
    hid_t ds = H5Dopen2(s->file, name, H5P_DEFAULT);
    hid_t space = ds < 0 ? H5I_INVALID_HID : H5Dget_space(ds);
    hsize_t have[MAX_RANK];
    int have_rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    pdx_status status = PDX_OK;
    if (have_rank < 0 || have_rank > MAX_RANK ||
        H5Sget_simple_extent_dims(space, have, NULL) < 0)
        status = h5_error(err, s->path, name, "cannot read the shape");
    close_id(&space);
    close_id(&ds);
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

typedef struct expected_names {
    const pdx_store *s;
    char unexpected[256];
    int failed;
} expected_names;

static int is_expected_name(const pdx_store *s, const char *name)
{
    if (name_taken(s, name, s->n_dvars) == 0)
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
static int read_shard(hid_t file, uint64_t *index, uint64_t *count)
{
    double i = 0, n = 1;
    if (get_double(file, "pdx_shard_index", &i) < 0 ||
        get_double(file, "pdx_shard_count", &n) < 0)
        return -1;
    *index = i >= 0 ? (uint64_t)i : 0;
    *count = n >= 1 ? (uint64_t)n : 1;
    return 0;
}

/* A shard file's `task` coordinate is the task list of its shard. */
static pdx_status check_task_list(pdx_store *s, pdx_error *err)
{
    hsize_t dims[1] = {s->n_file_tasks};
    pdx_status st = check_shape(s, "task", 1, dims, err);
    if (st != PDX_OK || s->n_file_tasks == 0)
        return st;
    uint64_t *have = malloc((size_t)s->n_file_tasks * sizeof *have);
    if (have == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, "task",
                             "out of memory");
    hid_t ds = H5Dopen2(s->file, "task", H5P_DEFAULT);
    if (ds < 0 || H5Dread(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL,
                          H5P_DEFAULT, have) < 0)
        st = h5_error(err, s->path, "task", "cannot read the task list");
    close_id(&ds);
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

/* Does the open file match the store's spec, grid, layout and shard?
 * `writing`: also refuse a finished file (it takes no more commits). */
static pdx_status check_matches(pdx_store *s, int writing, pdx_error *err)
{
    double value;
    char *text = NULL;
    int rc = get_double(s->file, "pdx_schema_version", &value);
    if (rc < 0)
        return h5_error(err, s->path, "/@pdx_schema_version",
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
    if (get_text(s->file, "spec_sha256", &text) < 0)
        return h5_error(err, s->path, "/@spec_sha256",
                        "cannot read attribute");
    if (text == NULL || strcmp(text, s->spec_sha256) != 0) {
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
        copy_text_attr(s->file, "rng", rng, sizeof rng);
        get_double(s->file, "rng_key_version", &key);
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
    if (read_shard(s->file, &shard_index, &shard_count) < 0)
        return h5_error(err, s->path, "/@pdx_shard_count",
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
    rc = get_double(s->file, "pdx_complete", &value);
    if (rc < 0)
        return h5_error(err, s->path, "/@pdx_complete",
                        "cannot read attribute");
    if (writing && rc > 0 && value != 0)
        return pdx_error_set(err, PDX_ERR_MISMATCH, s->path, 0, 0,
                             "/@pdx_complete",
                             "the run in this file is finished and the file "
                             "repacked; it cannot take more results");

    const pdx_grid *g = s->grid;
    hsize_t dims[MAX_RANK];
    if (s->shard_count > 1) {
        pdx_status st = check_task_list(s, err);
        if (st != PDX_OK)
            return st;
    }
    for (size_t i = 0; i < g->n_axes; i++) {
        dims[0] = g->shape[i];
        pdx_status st = check_shape(s, axis_key(s, i)->name, 1, dims, err);
        if (st != PDX_OK)
            return st;
    }
    dims[0] = g->replicas;
    pdx_status st = check_shape(s, "replica", 1, dims, err);
    for (int d = 0; d < PDX_DIM_COUNT && st == PDX_OK; d++) {
        if (!s->dim_used[d])
            continue;
        dims[0] = s->layout->dim_size[d];
        st = check_shape(s, dim_names[d], 1, dims, err);
    }
    for (size_t k = 0; k < s->n_dvars && st == PDX_OK; k++) {
        int rank = dvar_dims(s, k, dims);
        st = check_shape(s, s->dvars[k].name, rank, dims, err);
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
        return h5_error(err, s->path, "/", "cannot list the variables");
    if (e.unexpected[0] != '\0')
        return pdx_error_set(err, PDX_ERR_MISMATCH, s->path, 0, 0,
                             e.unexpected,
                             "the file has variable '%s' that this run's "
                             "axes and layout do not",
                             e.unexpected);
    return PDX_OK;
}

pdx_status pdx_store_probe(const char *path, char spec_sha256[65],
                           int *complete, pdx_error *err)
{
    silence_hdf5();
    spec_sha256[0] = '\0';
    *complete = 0;
    hid_t file = open_file(path, H5F_ACC_RDONLY, 1);
    if (file < 0)
        return h5_error(err, path, NULL, "cannot open for reading");
    double value;
    char *text = NULL;
    pdx_status st = PDX_OK;
    int rc = get_double(file, "pdx_schema_version", &value);
    if (rc <= 0)
        st = pdx_error_set(err, PDX_ERR_MISMATCH, path, 0, 0, NULL,
                           "not a pdx result file (no pdx_schema_version "
                           "attribute)");
    if (st == PDX_OK && get_double(file, "pdx_complete", &value) > 0)
        *complete = value != 0;
    if (st == PDX_OK && get_text(file, "spec_sha256", &text) == 0 &&
        text != NULL)
        snprintf(spec_sha256, 65, "%s", text);
    free(text);
    close_id(&file);
    return st;
}

pdx_status pdx_store_open(pdx_store **out, const char *path,
                          const pdx_grid *grid, const pdx_layout *layout,
                          const pdx_store_options *options, pdx_error *err)
{
    silence_hdf5();
    if (out == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: out is NULL");
    *out = NULL;
    pdx_store *s = NULL;
    pdx_status status = store_new(&s, path, grid, layout, options, err);
    if (status != PDX_OK)
        return status;
    remove_stale_temporaries(path);
    s->file = open_file(path, H5F_ACC_RDWR, 0);
    if (s->file < 0)
        status = h5_error(err, path, NULL, "cannot open for writing");
    if (status == PDX_OK)
        status = check_matches(s, 1, err);
    if (status == PDX_OK)
        status = open_datasets(s, err);
    if (status != PDX_OK) {
        store_free(s);
        return status;
    }
    *out = s;
    return PDX_OK;
}

/* ------------------------------------------------------------------------ */
/* Commits                                                                   */

pdx_status pdx_store_read_status(pdx_store *store, int8_t *status,
                                 pdx_error *err)
{
    silence_hdf5();
    if (store == NULL || status == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "store: store and status are required");
    if (store->shard_count <= 1) {
        if (H5Dread(store->datasets[DVAR_STATUS_INDEX], H5T_NATIVE_INT8,
                    H5S_ALL, H5S_ALL, H5P_DEFAULT, status) < 0)
            return h5_error(err, store->path, "status", "cannot read");
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
        st = h5_error(err, store->path, "status", "cannot read");
    for (uint64_t i = 0; st == PDX_OK && i < store->n_file_tasks; i++)
        status[store->file_tasks[i]] = mine[i];
    free(mine);
    return st;
}

/* Where task `task`'s block of variable k lies: start and count of rank
 * dims (the extra dimensions whole); returns the rank, *length the
 * elements of the block. The task must be in the file. */
static int task_selection(const pdx_store *s, size_t k, uint64_t task,
                          hsize_t *start, hsize_t *count, hsize_t *length)
{
    const pdx_grid *g = s->grid;
    hsize_t dims[MAX_RANK];
    int rank = dvar_dims(s, k, dims);
    size_t lead;
    if (s->shard_count > 1) {
        start[0] = file_slot(s, task);
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
static pdx_status block_io(pdx_store *s, size_t k, const hsize_t *start,
                           const hsize_t *count, uint64_t task,
                           const void *in, void *out, pdx_error *err)
{
    hsize_t dims[MAX_RANK], length = 1;
    int rank = dvar_dims(s, k, dims);
    for (int i = 0; i < rank; i++)
        length *= count[i];
    if (length == 0)
        return PDX_OK;
    hid_t file_space = H5Dget_space(s->datasets[k]);
    hid_t mem_space = H5I_INVALID_HID;
    hid_t type = dvar_mem_type(s->dvars[k].kind);
    pdx_status status = PDX_OK;
    if (file_space < 0 ||
        H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count,
                            NULL) < 0 ||
        (mem_space = H5Screate_simple(1, &length, NULL)) < 0 ||
        (in != NULL ? H5Dwrite(s->datasets[k], type, mem_space, file_space,
                               H5P_DEFAULT, in)
                    : H5Dread(s->datasets[k], type, mem_space, file_space,
                              H5P_DEFAULT, out)) < 0) {
        char where[512];
        describe_task(s, task, where, sizeof where);
        status = h5_error(err, s->path, s->dvars[k].name,
                          "cannot %s task %" PRIu64 " (%s)",
                          in != NULL ? "write" : "read", task, where);
    }
    close_id(&mem_space);
    close_id(&file_space);
    return status;
}

/* Write `in` to the task's block of variable k, or (in NULL) read the
 * block into `out`. */
static pdx_status task_block_io(pdx_store *s, size_t k, uint64_t task,
                                const void *in, void *out, pdx_error *err)
{
    hsize_t start[MAX_RANK], count[MAX_RANK], length;
    task_selection(s, k, task, start, count, &length);
    return block_io(s, k, start, count, task, in, out, err);
}

static pdx_status write_task_block(pdx_store *s, size_t k, uint64_t task,
                                   const void *data, pdx_error *err)
{
    return task_block_io(s, k, task, data, NULL, err);
}

static pdx_status flush_commit(pdx_store *s, uint64_t task, const char *what,
                               pdx_error *err)
{
    if (H5Fflush(s->file, H5F_SCOPE_GLOBAL) < 0) {
        char where[512];
        describe_task(s, task, where, sizeof where);
        return h5_error(err, s->path, NULL,
                        "cannot flush the %s of task %" PRIu64 " (%s)", what,
                        task, where);
    }
    if (s->options.fsync_each_commit)
        return fsync_file(s->file, s->path, err);
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
        file_slot(store, record->task) == store->n_file_tasks)
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
    silence_hdf5();
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
        for (size_t v = 0; v < store->layout->n_vars && status == PDX_OK;
             v++) {
            const double *data =
                record->values != NULL && record->values[v] != NULL
                    ? record->values[v]
                    : store->nan_block;
            status = write_task_block(store, DVAR_FIXED + v, record->task,
                                      data, err);
        }
        if (status == PDX_OK)
            status = write_task_block(store, DVAR_STEPS_INDEX, record->task,
                                      &record->steps, err);
        if (status == PDX_OK)
            status = write_task_block(store, DVAR_WALL_INDEX, record->task,
                                      &record->wall_seconds, err);
    }
    if (status == PDX_OK)
        status = flush_commit(store, records[0].task, "results", err);
    for (size_t i = 0; i < n && status == PDX_OK; i++)
        status = write_task_block(store, DVAR_STATUS_INDEX, records[i].task,
                                  &records[i].status, err);
    if (status == PDX_OK)
        status = flush_commit(store, records[0].task, "status", err);
    return status;
}

pdx_status pdx_store_sync(pdx_store *store, pdx_error *err)
{
    silence_hdf5();
    if (store == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "store: no store to sync");
    if (H5Fflush(store->file, H5F_SCOPE_GLOBAL) < 0)
        return h5_error(err, store->path, NULL, "cannot flush");
    return fsync_file(store->file, store->path, err);
}

void pdx_store_destroy(pdx_store **store)
{
    if (store == NULL || *store == NULL)
        return;
    silence_hdf5();
    store_free(*store);
    *store = NULL;
}

/* ------------------------------------------------------------------------ */
/* Finish: compressed copy                                                   */

typedef struct copy_attrs {
    hid_t dst;
    const char *end_time;
    const char *path;
    pdx_error *err;
    pdx_status status;
} copy_attrs;

static herr_t copy_root_attr(hid_t src, const char *name,
                             const H5A_info_t *info, void *data)
{
    (void)info;
    copy_attrs *c = data;
    if (strcmp(name, "end_time") == 0)
        return 0;
    if (strcmp(name, "pdx_complete") == 0) {
        c->status = put_uint8(c->dst, "/", name, 1, c->path, c->err);
        return c->status == PDX_OK ? 0 : -1;
    }
    hid_t attr = H5Aopen(src, name, H5P_DEFAULT);
    hid_t type = attr < 0 ? H5I_INVALID_HID : H5Aget_type(attr);
    hid_t space = type < 0 ? H5I_INVALID_HID : H5Aget_space(attr);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    size_t size = type < 0 ? 0 : H5Tget_size(type);
    void *buf = NULL;
    if (n < 0 || size == 0) {
        c->status = h5_error(c->err, c->path, name,
                             "cannot read attribute of the working file");
    } else if (H5Tdetect_class(type, H5T_VLEN) > 0 ||
               H5Tis_variable_str(type) > 0) {
        c->status = pdx_error_set(c->err, PDX_ERR_MISMATCH, c->path, 0, 0,
                                  name,
                                  "variable-length attribute in a pdx file");
    } else if ((buf = malloc((size_t)(n > 0 ? n : 1) * size)) == NULL) {
        c->status = pdx_error_set(c->err, PDX_ERR_NOMEM, c->path, 0, 0, name,
                                  "out of memory");
    } else if (H5Aread(attr, type, buf) < 0) {
        c->status = h5_error(c->err, c->path, name,
                             "cannot read attribute of the working file");
    } else {
        hid_t copy = H5Acreate2(c->dst, name, type, space, H5P_DEFAULT,
                                H5P_DEFAULT);
        if (copy < 0 || H5Awrite(copy, type, buf) < 0)
            c->status = h5_error(c->err, c->path, name,
                                 "cannot write attribute");
        close_id(&copy);
    }
    free(buf);
    close_id(&space);
    close_id(&type);
    close_id(&attr);
    if (c->status == PDX_OK && strcmp(name, "start_time") == 0)
        c->status = put_string(c->dst, "/", "end_time",
                               c->end_time != NULL ? c->end_time : "", c->path,
                               c->err);
    return c->status == PDX_OK ? 0 : -1;
}

/* One chunk of a finished variable on its way from the working file: the
 * whole chunk (edges padded with the fill value), then its filtered bytes.
 * The filters (shuffle, deflate) run here, off HDF5 and in parallel, and
 * the bytes go in with H5Dwrite_chunk: what HDF5's own pipeline would do,
 * on every thread of the run. */
typedef struct packed_chunk {
    hsize_t start[MAX_RANK];
    unsigned char *raw;    /* the chunk's data (chunk_bytes), then its
                            * shuffled bytes (at raw + chunk_bytes) */
    unsigned char *packed; /* compressBound(chunk_bytes) */
    size_t packed_size;
    uint32_t filter_mask;  /* bit 1: deflate skipped (it did not pay) */
    int z_status;
} packed_chunk;

/* HDF5's shuffle filter: byte b of element i goes to b * n + i. */
static void shuffle_bytes(const unsigned char *in, unsigned char *out,
                          size_t n, size_t elem)
{
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < elem; b++)
            out[b * n + i] = in[i * elem + b];
}

/* Shuffle then deflate one chunk, as HDF5's pipeline with deflate marked
 * optional: a chunk deflate would not shrink is stored shuffled only. The
 * stream `z` (deflateInit'ed at DEFLATE_LEVEL) is reset, not rebuilt: a
 * fresh one per chunk (compress2, as HDF5's filter does) spent 0.2 ms on
 * allocating and clearing its 256 KiB of state, more than compressing
 * the W1 benchmark's chunks. The bytes are compress2's. */
static void pack_chunk(packed_chunk *c, size_t chunk_bytes, size_t elem,
                       unsigned char *scratch, z_stream *z)
{
    shuffle_bytes(c->raw, scratch, chunk_bytes / elem, elem);
    c->z_status = deflateReset(z);
    if (c->z_status == Z_OK) {
        z->next_in = scratch;
        z->avail_in = (uInt)chunk_bytes;
        z->next_out = c->packed;
        z->avail_out = (uInt)compressBound((uLong)chunk_bytes);
        int rc = deflate(z, Z_FINISH);
        c->z_status = rc == Z_STREAM_END ? Z_OK : rc == Z_OK ? Z_BUF_ERROR : rc;
    }
    c->filter_mask = 0;
    c->packed_size = (size_t)z->total_out;
    if (c->z_status == Z_OK && c->packed_size >= chunk_bytes) {
        memcpy(c->packed, scratch, chunk_bytes);
        c->packed_size = chunk_bytes;
        c->filter_mask = 1u << 1;
    }
}

/* Whether dataset creation properties hold exactly shuffle then deflate
 * at DEFLATE_LEVEL (what create_dataset gives a final variable). */
static int shuffle_deflate(hid_t dcpl)
{
    if (H5Pget_nfilters(dcpl) != 2)
        return 0;
    unsigned flags, values[4];
    size_t n = 4;
    if (H5Pget_filter2(dcpl, 0, &flags, &n, values, 0, NULL, NULL) !=
        H5Z_FILTER_SHUFFLE)
        return 0;
    n = 4;
    return H5Pget_filter2(dcpl, 1, &flags, &n, values, 0, NULL, NULL) ==
               H5Z_FILTER_DEFLATE &&
           n >= 1 && values[0] == DEFLATE_LEVEL;
}

/* Next chunk start in row-major order; 0 after the last. */
static int next_chunk(int rank, const hsize_t *dims, const hsize_t *chunk,
                      hsize_t *start)
{
    for (int i = rank; i-- > 0;) {
        start[i] += chunk[i];
        if (start[i] < dims[i])
            return 1;
        start[i] = 0;
    }
    return 0;
}

/* A variable being copied into the finished file. */
typedef struct copy_var {
    hid_t src, dst, src_space, dst_space, mem; /* mem: one whole chunk */
    int rank;
    hsize_t dims[MAX_RANK], chunk[MAX_RANK], start[MAX_RANK];
    size_t elem, chunk_length, chunk_bytes;
    hid_t mem_type;
    unsigned char fill[8];
    int packed; /* shuffle + deflate done here, else HDF5 writes it */
    int more;   /* chunks left */
} copy_var;

static pdx_status copy_var_open(const pdx_store *s, size_t k, hid_t dst,
                                copy_var *v, const char *tmp, pdx_error *err)
{
    const dvar *d = &s->dvars[k];
    memset(v, 0, sizeof *v);
    v->src = s->datasets[k];
    v->dst = dst;
    v->src_space = v->dst_space = v->mem = H5I_INVALID_HID;
    v->rank = dvar_dims(s, k, v->dims);
    v->elem = dvar_elem_size(d->kind);
    v->mem_type = dvar_mem_type(d->kind);
    hsize_t total = 1;
    for (int i = 0; i < v->rank; i++)
        total *= v->dims[i];
    if (total == 0)
        return PDX_OK; /* nothing to copy: v->more stays 0 */
    hid_t dcpl = H5Dget_create_plist(dst);
    if (dcpl < 0)
        return h5_error(err, tmp, d->name, "cannot read creation properties");
    int chunked = H5Pget_layout(dcpl) == H5D_CHUNKED &&
                  H5Pget_chunk(dcpl, v->rank, v->chunk) == v->rank;
    v->packed = chunked && shuffle_deflate(dcpl) &&
                H5Pget_fill_value(dcpl, v->mem_type, v->fill) >= 0;
    H5Pclose(dcpl);
    v->chunk_length = 1;
    for (int i = 0; i < v->rank; i++) {
        if (!chunked)
            v->chunk[i] = v->dims[i];
        v->chunk_length *= v->chunk[i];
    }
    v->chunk_bytes = v->chunk_length * v->elem;
    v->src_space = H5Dget_space(v->src);
    v->dst_space = H5Dget_space(v->dst);
    v->mem = H5Screate_simple(v->rank, v->chunk, NULL);
    if (v->src_space < 0 || v->dst_space < 0 || v->mem < 0)
        return h5_error(err, tmp, d->name, "cannot get dataspace");
    v->more = 1;
    return PDX_OK;
}

static void copy_var_close(copy_var *v)
{
    close_id(&v->src_space);
    close_id(&v->dst_space);
    close_id(&v->mem);
}

/* Read the next chunk of v into `raw` (chunk_bytes; a packed variable's
 * edges padded with its fill value); an unpacked one is also written. */
static pdx_status copy_var_read(copy_var *v, unsigned char *raw,
                                hsize_t *start, const char *name,
                                const char *tmp, pdx_error *err)
{
    hsize_t count[MAX_RANK], zero[MAX_RANK] = {0};
    memcpy(start, v->start, sizeof v->start);
    for (int i = 0; i < v->rank; i++)
        count[i] = v->dims[i] - v->start[i] < v->chunk[i]
                       ? v->dims[i] - v->start[i]
                       : v->chunk[i];
    if (v->packed)
        for (size_t e = 0; e < v->chunk_length; e++)
            memcpy(raw + e * v->elem, v->fill, v->elem);
    pdx_status status = PDX_OK;
    if (H5Sselect_hyperslab(v->src_space, H5S_SELECT_SET, v->start, NULL,
                            count, NULL) < 0 ||
        H5Sselect_hyperslab(v->mem, H5S_SELECT_SET, zero, NULL, count,
                            NULL) < 0 ||
        H5Dread(v->src, v->mem_type, v->mem, v->src_space, H5P_DEFAULT,
                raw) < 0)
        status = h5_error(err, tmp, name, "cannot read the working file");
    else if (!v->packed &&
             (H5Sselect_hyperslab(v->dst_space, H5S_SELECT_SET, v->start,
                                  NULL, count, NULL) < 0 ||
              H5Dwrite(v->dst, v->mem_type, v->mem, v->dst_space,
                       H5P_DEFAULT, raw) < 0))
        status = h5_error(err, tmp, name,
                          "cannot copy to the compressed file");
    v->more = next_chunk(v->rank, v->dims, v->chunk, v->start);
    return status;
}

/* Copy every variable into the finished file (out[k] for variable k),
 * whole chunks of the destination at a time. Chunks of all variables are
 * read in batches (4 per thread, at most 64 MiB of buffers), compressed by
 * `threads` threads and written in order: the same file for any thread
 * count. */
static pdx_status copy_variables(const pdx_store *s, const hid_t *out,
                                 const char *tmp, pdx_error *err)
{
    int threads = s->options.threads > 0 ? s->options.threads
                                         : omp_get_max_threads();
    const size_t budget = (size_t)64 << 20;
    const size_t max_batch = (size_t)threads * 4;
    copy_var *v = calloc(s->n_dvars > 0 ? s->n_dvars : 1, sizeof *v);
    packed_chunk *c = calloc(max_batch, sizeof *c);
    size_t *var_of = calloc(max_batch, sizeof *var_of);
    z_stream *zs = calloc((size_t)threads, sizeof *zs); /* one per thread */
    unsigned char *scratch = NULL; /* an unpacked chunk */
    size_t scratch_bytes = 0;
    pdx_status status = PDX_OK;
    if (v == NULL || c == NULL || var_of == NULL || zs == NULL)
        status = pdx_error_set(err, PDX_ERR_NOMEM, tmp, 0, 0, NULL,
                               "out of memory");
    for (size_t k = 0; v != NULL && k < s->n_dvars; k++)
        v[k].src_space = v[k].dst_space = v[k].mem = H5I_INVALID_HID;
    for (size_t k = 0; k < s->n_dvars && status == PDX_OK; k++)
        status = copy_var_open(s, k, out[k], &v[k], tmp, err);
    /* Threads only for at least 4 MiB of chunks (by default): below that,
     * starting them costs more than they save (waking a sleeping thread
     * took up to 8 ms on this project's VM; zlib does ~80 MB/s a core). */
    double packed_bytes = 0;
    for (size_t k = 0; k < s->n_dvars && status == PDX_OK; k++)
        if (v[k].more && v[k].packed) {
            double n_chunks = 1;
            for (int i = 0; i < v[k].rank; i++)
                n_chunks *= ceil((double)v[k].dims[i] / (double)v[k].chunk[i]);
            packed_bytes += n_chunks * (double)v[k].chunk_bytes;
        }
    double min_bytes = s->options.parallel_min_bytes > 0
                           ? s->options.parallel_min_bytes
                           : (double)(4 << 20);
    const int parallel = threads > 1 && packed_bytes >= min_bytes;
    size_t k = 0; /* the variable whose chunks are read next */
    while (status == PDX_OK) {
        size_t n = 0, used = 0;
        while (status == PDX_OK && n < max_batch && k < s->n_dvars) {
            copy_var *x = &v[k];
            if (!x->more) {
                k++;
                continue;
            }
            if (!x->packed) {
                if (x->chunk_bytes > scratch_bytes) {
                    free(scratch);
                    scratch = malloc(x->chunk_bytes);
                    scratch_bytes = scratch != NULL ? x->chunk_bytes : 0;
                }
                status = scratch == NULL
                             ? pdx_error_set(err, PDX_ERR_NOMEM, tmp, 0, 0,
                                             s->dvars[k].name,
                                             "out of memory")
                             : copy_var_read(x, scratch, c[0].start,
                                             s->dvars[k].name, tmp, err);
                continue;
            }
            size_t need = 2 * x->chunk_bytes +
                          compressBound((uLong)x->chunk_bytes);
            if (n > 0 && used + need > budget)
                break;
            c[n].raw = malloc(need);
            if (c[n].raw == NULL) {
                status = pdx_error_set(err, PDX_ERR_NOMEM, tmp, 0, 0,
                                       s->dvars[k].name, "out of memory");
                break;
            }
            c[n].packed = c[n].raw + 2 * x->chunk_bytes;
            var_of[n] = k;
            used += need;
            status = copy_var_read(x, c[n].raw, c[n].start,
                                   s->dvars[k].name, tmp, err);
            n++;
        }
        if (n == 0)
            break;
        if (status == PDX_OK) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) \
    if (parallel && n > 1)
            for (size_t j = 0; j < n; j++) {
                const copy_var *x = &v[var_of[j]];
                z_stream *z = &zs[omp_get_thread_num()];
                c[j].z_status = Z_OK;
                if (z->state == NULL) /* first chunk of this thread */
                    c[j].z_status = deflateInit(z, DEFLATE_LEVEL);
                if (c[j].z_status == Z_OK)
                    pack_chunk(&c[j], x->chunk_bytes, x->elem,
                               c[j].raw + x->chunk_bytes, z);
            }
        }
        for (size_t j = 0; j < n && status == PDX_OK; j++) {
            const char *name = s->dvars[var_of[j]].name;
            if (c[j].z_status != Z_OK)
                status = pdx_error_set(err, c[j].z_status == Z_MEM_ERROR
                                                ? PDX_ERR_NOMEM
                                                : PDX_ERR_IO,
                                       tmp, 0, 0, name,
                                       "cannot compress a chunk (zlib %d)",
                                       c[j].z_status);
            else if (H5Dwrite_chunk(v[var_of[j]].dst, H5P_DEFAULT,
                                    c[j].filter_mask, c[j].start,
                                    c[j].packed_size, c[j].packed) < 0)
                status = h5_error(err, tmp, name,
                                  "cannot copy to the compressed file");
        }
        for (size_t j = 0; j < n; j++) {
            free(c[j].raw);
            c[j].raw = NULL;
        }
    }
    for (size_t j = 0; v != NULL && j < s->n_dvars; j++)
        copy_var_close(&v[j]);
    for (int t = 0; zs != NULL && t < threads; t++)
        if (zs[t].state != NULL)
            deflateEnd(&zs[t]);
    free(zs);
    free(scratch);
    free(var_of);
    free(c);
    free(v);
    return status;
}

/* end_time of a frame built before the run's end: as long as the ISO 8601
 * times pdx writes, overwritten in place by set_end_time */
#define END_TIME_PLACEHOLDER "                    "

/* The finished file's frame at `tmp`: the root attributes of the working
 * file (end_time: `end_time`), every variable created, no data. On
 * failure nothing is left open (`tmp` may remain: the caller removes it). */
static pdx_status build_frame(pdx_store *s, const char *tmp,
                              const char *end_time, hid_t *file, hid_t *out,
                              pdx_error *err)
{
    for (size_t k = 0; k < s->n_dvars; k++)
        out[k] = H5I_INVALID_HID;
    pdx_status status = PDX_OK;
    /* The compressed file is at most the working file's size (plus chunk
     * indexes); the working file stays intact if it does not fit. */
    hsize_t working = 0;
    if (H5Fget_filesize(s->file, &working) >= 0)
        status = check_free_space(s->path, (double)working + 1e6,
                                  "to repack the result file (the working "
                                  "file is intact)",
                                  err);
    H5Eclear2(H5E_DEFAULT);
    *file = status == PDX_OK ? create_file(tmp, 1) : H5I_INVALID_HID;
    if (status == PDX_OK && *file < 0)
        status = h5_error(err, s->path, NULL, "cannot create %s", tmp);
    if (status == PDX_OK) {
        copy_attrs c = {*file, end_time, tmp, err, PDX_OK};
        hsize_t idx = 0;
        herr_t rc = H5Aiterate2(s->file, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx,
                                copy_root_attr, &c);
        if (c.status != PDX_OK)
            status = c.status;
        else if (rc < 0)
            status = h5_error(err, s->path, "/",
                              "cannot list the root attributes");
    }
    if (status == PDX_OK)
        status = build_structure(s, *file, DS_FINAL, tmp, out, err);
    if (status != PDX_OK) {
        for (size_t k = 0; k < s->n_dvars; k++)
            close_id(&out[k]);
        discard_file(file);
    }
    return status;
}

/* Give a frame its end_time: in place when it has the placeholder's
 * length (the times pdx writes), else rewritten (then listed last). */
static pdx_status set_end_time(hid_t file, const char *end_time,
                               const char *path, pdx_error *err)
{
    if (end_time == NULL)
        end_time = "";
    size_t n = strlen(end_time);
    hid_t attr = H5Aopen(file, "end_time", H5P_DEFAULT);
    hid_t type = attr < 0 ? H5I_INVALID_HID : H5Aget_type(attr);
    pdx_status status = PDX_OK;
    if (type < 0)
        status = h5_error(err, path, "/end_time", "cannot open attribute");
    else if (n > 0 && H5Tget_size(type) == n) {
        if (H5Awrite(attr, type, end_time) < 0)
            status = h5_error(err, path, "/end_time", "cannot write attribute");
    } else {
        close_id(&attr);
        if (H5Adelete(file, "end_time") < 0)
            status = h5_error(err, path, "/end_time",
                              "cannot rewrite attribute");
        else
            status = put_string(file, "/", "end_time", end_time, path, err);
    }
    close_id(&type);
    close_id(&attr);
    return status;
}

/* Build the finished file's frame into s->final_* (end_time: the value,
 * or END_TIME_PLACEHOLDER for set_end_time to fill). */
static pdx_status make_frame(pdx_store *s, const char *end_time,
                             pdx_error *err)
{
    char *tmp = join_tmp_path(s->path);
    hid_t *out = calloc(s->n_dvars > 0 ? s->n_dvars : 1, sizeof *out);
    if (tmp == NULL || out == NULL) {
        free(tmp);
        free(out);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory");
    }
    hid_t file = H5I_INVALID_HID;
    pdx_status status = build_frame(s, tmp, end_time, &file, out, err);
    if (status != PDX_OK) {
        unlink(tmp);
        free(tmp);
        free(out);
        return status;
    }
    s->final_tmp = tmp;
    s->final_file = file;
    s->final_out = out;
    return PDX_OK;
}

pdx_status pdx_store_prepare_finish(pdx_store *s, pdx_error *err)
{
    silence_hdf5();
    if (s == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "store: no store to prepare");
    if (s->final_tmp != NULL)
        return PDX_OK;
    return make_frame(s, END_TIME_PLACEHOLDER, err);
}

/* pdx_store_finish, writing the finished file to `dest` (NULL: over the
 * working file, from the frame pdx_store_prepare_finish built if any).
 * The working file is left as it is when dest is given. */
static pdx_status finish_into(pdx_store **store, const char *dest,
                              const char *end_time, pdx_error *err)
{
    silence_hdf5();
    if (store == NULL || *store == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "store: no store to finish");
    pdx_store *s = *store;
    *store = NULL;
    if (dest != NULL) {
        discard_frame(s); /* built for the working file's name */
        char *copy = strdup(dest);
        if (copy == NULL) {
            store_free(s);
            return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                                 "out of memory");
        }
        /* s->path names the destination in messages from here on; the
         * working file stays open by its id. */
        free(s->path);
        s->path = copy;
    }
    pdx_status status =
        s->final_tmp != NULL
            ? set_end_time(s->final_file, end_time, s->final_tmp, err)
            : make_frame(s, end_time, err);
    if (status != PDX_OK) {
        store_free(s); /* and the frame */
        return status;
    }
    char *tmp = s->final_tmp;
    hid_t *out = s->final_out;
    hid_t file = s->final_file;
    s->final_tmp = NULL;
    s->final_out = NULL;
    s->final_file = H5I_INVALID_HID;
    /* The working file is complete on disk before it is copied. */
    if (status == PDX_OK && H5Fflush(s->file, H5F_SCOPE_GLOBAL) < 0)
        status = h5_error(err, s->path, NULL, "cannot flush");
    if (status == PDX_OK)
        status = copy_variables(s, out, tmp, err);
    /* On failure the file is emptied before anything is closed: closing a
     * dataset flushes its chunks, which needs space. */
    if (status != PDX_OK)
        discard_file(&file);
    for (size_t k = 0; k < s->n_dvars; k++)
        close_id(&out[k]);
    free(out);
    if (status == PDX_OK)
        status = seal_file(&file, tmp, s->path, err);
    discard_file(&file);
    char *path = s->path;
    s->path = NULL;
    store_free(s); /* closes the working file */
    if (status == PDX_OK && rename(tmp, path) != 0)
        status = pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                               "cannot rename %s to %s: %s", tmp, path,
                               strerror(errno));
    if (status == PDX_OK)
        status = fsync_directory_of(path, err);
    else
        unlink(tmp);
    free(tmp);
    free(path);
    return status;
}

pdx_status pdx_store_finish(pdx_store **store, const char *end_time,
                            pdx_error *err)
{
    return finish_into(store, NULL, end_time, err);
}

/* ------------------------------------------------------------------------ */
/* Reading files of a sweep: inspect, gather, merge, extend                  */

/* Open `path` read-only (`live`: without the file lock, for a file another
 * process may be writing) and check that it is a pdx result file. */
static pdx_status open_pdx_file(const char *path, int live, hid_t *out,
                                pdx_error *err)
{
    *out = H5I_INVALID_HID;
    if (access(path, R_OK) != 0)
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "cannot read: %s", strerror(errno));
    hid_t file = open_file(path, H5F_ACC_RDONLY, live);
    if (file < 0)
        return h5_error(err, path, NULL, "cannot open as HDF5");
    double version = 0;
    int rc = get_double(file, "pdx_schema_version", &version);
    pdx_status st = PDX_OK;
    if (rc < 0)
        st = h5_error(err, path, "/@pdx_schema_version",
                      "cannot read attribute");
    else if (rc == 0)
        st = pdx_error_set(err, PDX_ERR_MISMATCH, path, 0, 0, NULL,
                           "not a pdx result file (no pdx_schema_version "
                           "attribute)");
    if (st != PDX_OK)
        close_id(&file);
    *out = file;
    return st;
}

/* Open a pdx file read-only as a store for `grid` and `layout`, with the
 * shard its attributes name; checks that it matches (finished files
 * too). `live`: without the file lock (a file another process writes). */
static pdx_status open_for_reading(pdx_store **out, const char *path,
                                   const pdx_grid *grid,
                                   const pdx_layout *layout, int live,
                                   pdx_error *err)
{
    *out = NULL;
    hid_t file;
    uint64_t index = 0, count = 1;
    pdx_status st = open_pdx_file(path, live, &file, err);
    if (st != PDX_OK)
        return st;
    if (read_shard(file, &index, &count) < 0)
        st = h5_error(err, path, "/", "cannot read the root attributes");
    pdx_store *s = NULL;
    pdx_store_options options = {.shard_index = index,
                                 .shard_count = count};
    if (st == PDX_OK)
        st = store_new(&s, path, grid, layout, &options, err);
    if (st != PDX_OK) {
        close_id(&file);
        return st;
    }
    s->file = file;
    st = check_matches(s, 0, err);
    if (st == PDX_OK)
        st = open_datasets(s, err);
    if (st != PDX_OK) {
        store_free(s);
        return st;
    }
    *out = s;
    return PDX_OK;
}

/* The status variable of a file as stored (n_file_tasks values). */
static pdx_status read_file_status(pdx_store *s, int8_t **out, pdx_error *err)
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
        return h5_error(err, s->path, "status", "cannot read");
    }
    return PDX_OK;
}

static uint64_t file_task(const pdx_store *s, uint64_t slot)
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

pdx_status pdx_store_inspect(const char *path, pdx_store_info *info,
                             pdx_error *err)
{
    silence_hdf5();
    memset(info, 0, sizeof *info);
    info->shard_count = 1;
    hid_t file;
    double value = 0;
    pdx_status st = open_pdx_file(path, 1, &file, err);
    if (st != PDX_OK)
        return st;
    if (get_text(file, "spec", &info->spec_text) < 0 ||
        get_text(file, "spec_path", &info->spec_path) < 0 ||
        read_shard(file, &info->shard_index, &info->shard_count) < 0)
        st = h5_error(err, path, "/", "cannot read the root attributes");
    if (st == PDX_OK) {
        info->spec_length =
            info->spec_text != NULL ? strlen(info->spec_text) : 0;
        copy_text_attr(file, "spec_sha256", info->spec_sha256,
                       sizeof info->spec_sha256);
        copy_text_attr(file, "rng", info->rng, sizeof info->rng);
        copy_text_attr(file, "pdx_version", info->pdx_version,
                       sizeof info->pdx_version);
        copy_text_attr(file, "git_describe", info->git_describe,
                       sizeof info->git_describe);
        copy_text_attr(file, "start_time", info->start_time,
                       sizeof info->start_time);
        if (get_double(file, "pdx_complete", &value) > 0)
            info->complete = value != 0;
        if (get_double(file, "rng_key_version", &value) > 0)
            info->rng_key_version = (int)value;
        H5Eclear2(H5E_DEFAULT);
    }
    hid_t ds = H5I_INVALID_HID, space = H5I_INVALID_HID;
    hssize_t n = -1;
    if (st == PDX_OK) {
        ds = H5Dopen2(file, "status", H5P_DEFAULT);
        space = ds < 0 ? H5I_INVALID_HID : H5Dget_space(ds);
        n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
        if (n < 0)
            st = h5_error(err, path, "status", "cannot open");
    }
    int8_t *status = NULL;
    if (st == PDX_OK && (status = malloc((size_t)(n > 0 ? n : 1))) == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                           "out of memory");
    if (st == PDX_OK && n > 0 &&
        H5Dread(ds, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                status) < 0)
        st = h5_error(err, path, "status", "cannot read");
    if (st == PDX_OK) {
        info->tasks = (uint64_t)n;
        for (hssize_t t = 0; t < n; t++)
            if (status[t] >= 0 && status[t] <= 3)
                info->by_status[status[t]]++;
        info->grid_tasks = info->tasks;
    }
    free(status);
    close_id(&space);
    close_id(&ds);
    close_id(&file);
    /* A shard file's grid: from its spec (0 if it no longer parses). */
    if (st == PDX_OK && info->shard_count > 1) {
        pdx_spec *spec = NULL;
        pdx_grid *grid = NULL;
        info->grid_tasks = 0;
        if (info->spec_text != NULL &&
            pdx_spec_parse_string(&spec, info->spec_text, info->spec_length,
                                  info->spec_path, NULL) == PDX_OK &&
            pdx_grid_create(&grid, spec, NULL) == PDX_OK)
            info->grid_tasks = grid->n_tasks;
        pdx_grid_destroy(&grid);
        pdx_spec_destroy(&spec);
    }
    if (st != PDX_OK)
        pdx_store_info_clear(info);
    return st;
}

pdx_status pdx_store_gather_status(const char *path, const pdx_grid *grid,
                                   const pdx_layout *layout, int8_t *status,
                                   pdx_error *err)
{
    silence_hdf5();
    pdx_store *s = NULL;
    pdx_status st = open_for_reading(&s, path, grid, layout, 1, err);
    int8_t *mine = NULL;
    if (st == PDX_OK)
        st = read_file_status(s, &mine, err);
    for (uint64_t i = 0; st == PDX_OK && i < s->n_file_tasks; i++)
        if (mine[i] != PDX_TASK_PENDING)
            status[file_task(s, i)] = mine[i];
    free(mine);
    store_free(s);
    return st;
}

/* Do inputs a and b hold the same results for `task` (every variable but
 * wall_seconds, bit for bit)? */
static pdx_status compare_task(pdx_store *a, pdx_store *b, uint64_t task,
                               void *buf_a, void *buf_b, pdx_error *err)
{
    for (size_t k = 0; k < a->n_dvars; k++) {
        if (k == DVAR_WALL_INDEX)
            continue;
        hsize_t start[MAX_RANK], count[MAX_RANK], length;
        task_selection(a, k, task, start, count, &length);
        pdx_status st = task_block_io(a, k, task, NULL, buf_a, err);
        if (st == PDX_OK)
            st = task_block_io(b, k, task, NULL, buf_b, err);
        if (st != PDX_OK)
            return st;
        if (memcmp(buf_a, buf_b,
                   (size_t)length * dvar_elem_size(a->dvars[k].kind)) != 0) {
            char where[512];
            describe_task(a, task, where, sizeof where);
            return pdx_error_set(err, PDX_ERR_MISMATCH, b->path, 0, 0,
                                 a->dvars[k].name,
                                 "task %" PRIu64 " (%s) is finished in both "
                                 "%s and %s with different values; refusing "
                                 "to merge",
                                 task, where, a->path, b->path);
        }
    }
    return PDX_OK;
}

pdx_status pdx_store_merge(const char *path, const char *const *inputs,
                           size_t n_inputs, const pdx_grid *grid,
                           const pdx_layout *layout,
                           const pdx_provenance *provenance, int partial,
                           const char *end_time,
                           pdx_store_merge_report *report, pdx_error *err)
{
    silence_hdf5();
    memset(report, 0, sizeof *report);
    report->tasks = grid != NULL ? grid->n_tasks : 0;
    if (path == NULL || inputs == NULL || n_inputs == 0 || grid == NULL ||
        n_inputs >= UINT32_MAX)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "merge: an output, a grid and 1 .. 2^32-2 "
                             "inputs are required");
    const uint32_t none = UINT32_MAX;
    pdx_store **in = calloc(n_inputs, sizeof *in);
    uint32_t *owner = malloc((size_t)(grid->n_tasks ? grid->n_tasks : 1) *
                             sizeof *owner);
    void *buf_a = NULL, *buf_b = NULL;
    char *work = temporary_path(path, "merge");
    pdx_store *s = NULL;
    pdx_status st = PDX_OK;
    if (in == NULL || owner == NULL || work == NULL) {
        st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                           "out of memory");
        goto done;
    }
    for (uint64_t t = 0; t < grid->n_tasks; t++)
        owner[t] = none;
    char rng0[64] = "", version0[64] = "", describe0[128] = "";
    double key0 = 0;
    for (size_t j = 0; j < n_inputs && st == PDX_OK; j++) {
        st = open_for_reading(&in[j], inputs[j], grid, layout, 0, err);
        if (st != PDX_OK)
            break;
        char rng[64], version[64], describe[128];
        double key = 0;
        copy_text_attr(in[j]->file, "rng", rng, sizeof rng);
        copy_text_attr(in[j]->file, "pdx_version", version, sizeof version);
        copy_text_attr(in[j]->file, "git_describe", describe,
                       sizeof describe);
        get_double(in[j]->file, "rng_key_version", &key);
        H5Eclear2(H5E_DEFAULT);
        if (j == 0) {
            memcpy(rng0, rng, sizeof rng);
            memcpy(version0, version, sizeof version);
            memcpy(describe0, describe, sizeof describe);
            key0 = key;
        } else if (strcmp(rng, rng0) != 0 || key != key0) {
            st = pdx_error_set(err, PDX_ERR_MISMATCH, inputs[j], 0, 0,
                               "/@rng_key_version",
                               "random numbers %s version %g, but %s has %s "
                               "version %g: the results are not comparable",
                               rng, key, inputs[0], rng0, key0);
            break;
        } else if ((strcmp(version, version0) != 0 ||
                    strcmp(describe, describe0) != 0) &&
                   report->warning[0] == '\0') {
            snprintf(report->warning, sizeof report->warning,
                     "%s was written by pdx %s (%s), %s by pdx %s (%s)",
                     inputs[j], version, describe, inputs[0], version0,
                     describe0);
        }
        if (buf_a == NULL) {
            size_t bytes = 8 * (in[j]->nan_block_length > 0
                                    ? in[j]->nan_block_length
                                    : 1);
            buf_a = malloc(bytes);
            buf_b = malloc(bytes);
            if (buf_a == NULL || buf_b == NULL) {
                st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                                   "out of memory");
                break;
            }
        }
        int8_t *status = NULL;
        st = read_file_status(in[j], &status, err);
        for (uint64_t i = 0; st == PDX_OK && i < in[j]->n_file_tasks; i++) {
            if (status[i] == PDX_TASK_PENDING)
                continue;
            uint64_t task = file_task(in[j], i);
            if (owner[task] == none) {
                owner[task] = (uint32_t)j;
                continue;
            }
            st = compare_task(in[owner[task]], in[j], task, buf_a, buf_b,
                              err);
            report->overlapping++;
        }
        free(status);
    }
    if (st != PDX_OK)
        goto done;
    for (uint64_t t = 0; t < grid->n_tasks; t++) {
        if (owner[t] != none) {
            report->finished++;
        } else {
            if (report->missing < 8)
                report->first_missing[report->missing] = t;
            report->missing++;
        }
    }
    if (report->missing > 0 && !partial) {
        char where[512];
        describe_task(in[0], report->first_missing[0], where, sizeof where);
        st = pdx_error_set(err, PDX_ERR_MISMATCH, path, 0, 0, NULL,
                           "%" PRIu64 " of %" PRIu64 " tasks are missing "
                           "(pending in every input), the first: task %" PRIu64
                           " (%s); nothing written",
                           report->missing, report->tasks,
                           report->first_missing[0], where);
        goto done;
    }

    remove_stale_temporaries(path);
    st = store_new(&s, path, grid, layout, NULL, err);
    if (st == PDX_OK)
        st = build_working_file(s, work, provenance, err);
    if (st != PDX_OK)
        goto done;
    for (uint64_t t = 0; t < grid->n_tasks && st == PDX_OK; t++) {
        if (owner[t] == none)
            continue;
        for (size_t k = 0; k < s->n_dvars && st == PDX_OK; k++) {
            st = task_block_io(in[owner[t]], k, t, NULL, buf_a, err);
            if (st == PDX_OK)
                st = write_task_block(s, k, t, buf_a, err);
        }
    }
    if (st != PDX_OK) {
        for (size_t k = 0; k < s->n_dvars; k++)
            close_id(&s->datasets[k]);
        discard_file(&s->file);
        unlink(work);
        goto done;
    }
    if (report->missing == 0) {
        st = finish_into(&s, path, end_time, err);
        unlink(work);
    } else {
        st = install_working_file(s, work, path, 0, err);
    }

done:
    store_free(s);
    if (in != NULL)
        for (size_t j = 0; j < n_inputs; j++)
            store_free(in[j]);
    free(in);
    free(owner);
    free(buf_a);
    free(buf_b);
    free(work);
    return st;
}

/* Length of dimension coordinate `name` in `file`, or `fallback` when the
 * file has none. */
static size_t coordinate_length(hid_t file, const char *name, size_t fallback)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return fallback;
    }
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t space = ds < 0 ? H5I_INVALID_HID : H5Dget_space(ds);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    close_id(&space);
    close_id(&ds);
    H5Eclear2(H5E_DEFAULT);
    return n >= 0 ? (size_t)n : fallback;
}

pdx_status pdx_store_create_extended(pdx_store **out, const char *path,
                                     const char *base, const pdx_grid *grid,
                                     const pdx_layout *layout,
                                     const pdx_provenance *provenance,
                                     const pdx_store_options *options,
                                     uint64_t *carried, pdx_error *err)
{
    silence_hdf5();
    *carried = 0;
    if (out == NULL || base == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: out and base are required");
    *out = NULL;
    pdx_spec *old_spec = NULL;
    pdx_grid *old_grid = NULL;
    pdx_store *old = NULL, *s = NULL;
    size_t *map = NULL;
    int8_t *status = NULL;
    double *block = NULL;
    char *text = NULL, *spec_path = NULL, *tmp = NULL;
    pdx_layout old_layout = *layout;
    uint64_t index = 0, count = 1;
    remove_stale_temporaries(path);
    hid_t file = open_file(base, H5F_ACC_RDONLY, 0);
    pdx_status st = PDX_OK;
    if (file < 0)
        st = h5_error(err, base, NULL, "cannot open for reading");
    else if (get_text(file, "spec", &text) < 0 ||
             get_text(file, "spec_path", &spec_path) < 0 ||
             read_shard(file, &index, &count) < 0)
        st = h5_error(err, base, "/", "cannot read the root attributes");
    else if (text == NULL)
        st = pdx_error_set(err, PDX_ERR_MISMATCH, base, 0, 0, NULL,
                           "not a pdx result file (no spec attribute)");
    else if (count > 1)
        st = pdx_error_set(err, PDX_ERR_MISMATCH, base, 0, 0, NULL,
                           "a shard file (shard %llu of %llu) cannot be "
                           "extended: merge the shards first",
                           (unsigned long long)index,
                           (unsigned long long)count);
    if (st == PDX_OK) {
        pdx_error inner;
        if (pdx_spec_parse_string(&old_spec, text, strlen(text),
                                  spec_path != NULL ? spec_path : base,
                                  &inner) != PDX_OK) {
            char buf[1024];
            pdx_error_format(&inner, buf, sizeof buf);
            st = pdx_error_set(err, PDX_ERR_SPEC, base, 0, 0, "/@spec",
                               "the spec stored in the file does not parse "
                               "with this pdx: %s",
                               buf);
        }
    }
    if (st == PDX_OK)
        st = pdx_grid_create(&old_grid, old_spec, err);
    if (st == PDX_OK)
        st = pdx_grid_embed(old_grid, grid, &map, err);
    /* The old file's extra dimensions (units: K and M of the old grid). */
    for (int d = 0; d < PDX_DIM_COUNT && st == PDX_OK; d++) {
        old_layout.dim_size[d] =
            coordinate_length(file, dim_names[d], layout->dim_size[d]);
        if (old_layout.dim_size[d] > layout->dim_size[d])
            st = pdx_error_set(err, PDX_ERR_MISMATCH, base, 0, 0,
                               dim_names[d],
                               "the file has %zu values of %s, this run %zu",
                               old_layout.dim_size[d], dim_names[d],
                               layout->dim_size[d]);
    }
    if (st == PDX_OK)
        st = store_new(&old, base, old_grid, &old_layout, NULL, err);
    if (st == PDX_OK) {
        old->file = file;
        file = H5I_INVALID_HID;
        st = check_matches(old, 0, err);
    }
    if (st == PDX_OK)
        st = open_datasets(old, err);
    if (st == PDX_OK)
        st = read_file_status(old, &status, err);
    if (st == PDX_OK)
        st = store_new(&s, path, grid, layout, options, err);
    if (st == PDX_OK && (tmp = join_tmp_path(path)) == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                           "out of memory");
    if (st == PDX_OK &&
        (block = malloc((old->nan_block_length > 0 ? old->nan_block_length
                                                   : 1) *
                        sizeof *block)) == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                           "out of memory");
    if (st == PDX_OK)
        st = build_working_file(s, tmp, provenance, err);
    if (st != PDX_OK)
        goto done;
    /* Every finished task of the old file that the new file holds, by
     * cell values: the new task's block takes the old block (extra
     * dimensions may have grown: the rest stays NaN). */
    size_t n_axes = old_grid->n_axes;
    for (uint64_t task = 0; task < old_grid->n_tasks && st == PDX_OK;
         task++) {
        if (status[task] == PDX_TASK_PENDING)
            continue;
        uint64_t rest = task / old_grid->replicas, cell = 0, stride = 1;
        size_t offset = 0;
        for (size_t a = 0; a < n_axes; a++)
            offset += old_grid->shape[a];
        for (size_t a = n_axes; a-- > 0;) {
            offset -= old_grid->shape[a];
            cell += map[offset + rest % old_grid->shape[a]] * stride;
            rest /= old_grid->shape[a];
            stride *= grid->shape[a];
        }
        uint64_t new_task = cell * grid->replicas + task % old_grid->replicas;
        if (s->shard_count > 1 && file_slot(s, new_task) == s->n_file_tasks)
            continue;
        for (size_t k = 0; k < s->n_dvars && st == PDX_OK; k++) {
            hsize_t start[MAX_RANK], count_[MAX_RANK], length;
            hsize_t old_start[MAX_RANK], old_count[MAX_RANK];
            int rank = task_selection(s, k, new_task, start, count_, &length);
            int old_rank = task_selection(old, k, task, old_start, old_count,
                                          &length);
            /* extra dimensions: the old extents */
            int extra = old_rank - (int)n_axes - 1;
            for (int i = 0; i < extra; i++)
                count_[rank - extra + i] = old_count[old_rank - extra + i];
            st = task_block_io(old, k, task, NULL, block, err);
            if (st == PDX_OK)
                st = block_io(s, k, start, count_, new_task, block, NULL,
                              err);
        }
        (*carried)++;
    }
    if (st == PDX_OK)
        st = install_working_file(s, tmp, path, 1, err);
    else {
        for (size_t k = 0; k < s->n_dvars; k++)
            close_id(&s->datasets[k]);
        discard_file(&s->file);
        unlink(tmp);
    }
    if (st == PDX_OK) {
        *out = s;
        s = NULL;
    }

done:
    close_id(&file);
    store_free(old);
    store_free(s);
    pdx_grid_destroy(&old_grid);
    pdx_spec_destroy(&old_spec);
    free(map);
    free(status);
    free(block);
    free(text);
    free(spec_path);
    free(tmp);
    return st;
}

/* ------------------------------------------------------------------------ */
/* pdx info                                                                  */

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

typedef struct info_walk {
    FILE *out;
    int variables; /* 0: list dimension scales, 1: list variables */
} info_walk;

static void print_dims_of(FILE *out, hid_t ds)
{
    hid_t space = H5Dget_space(ds);
    int rank = space < 0 ? 0 : H5Sget_simple_extent_ndims(space);
    close_id(&space);
    fprintf(out, "(");
    for (int i = 0; i < rank; i++) {
        char name[256];
        scale_name_of(ds, (unsigned)i, name);
        fprintf(out, "%s%s", i > 0 ? ", " : "", name[0] ? name : "?");
    }
    fprintf(out, ")");
}

static herr_t info_link(hid_t group, const char *name, const H5L_info_t *info,
                        void *data)
{
    (void)info;
    info_walk *w = data;
    hid_t ds = H5Dopen2(group, name, H5P_DEFAULT);
    if (ds < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    int is_scale = H5DSis_scale(ds) > 0;
    hid_t space = H5Dget_space(ds);
    hssize_t n = space < 0 ? 0 : H5Sget_simple_extent_npoints(space);
    close_id(&space);
    char *long_name = NULL, *units = NULL, *meanings = NULL, *scale = NULL;
    get_text(ds, "long_name", &long_name);
    get_text(ds, "units", &units);
    if (!w->variables && is_scale) {
        get_text(ds, "flag_meanings", &meanings);
        get_text(ds, "pdx_scale", &scale);
        fprintf(w->out, "  %-26s %6lld", name, (long long)n);
        if (meanings != NULL) {
            fprintf(w->out, "  %s", meanings);
        } else if (n > 0 && strcmp(name, "replica") != 0 &&
                   strstr(name, "_unit") == NULL) {
            double *v = malloc((size_t)n * sizeof *v);
            if (v != NULL && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                     H5P_DEFAULT, v) >= 0) {
                if (n == 1)
                    fprintf(w->out, "  %.6g", v[0]);
                else
                    fprintf(w->out, "  %.6g .. %.6g", v[0], v[n - 1]);
                if (scale != NULL)
                    fprintf(w->out, " (%s)", scale);
            }
            free(v);
        }
        if (units != NULL && units[0] != '\0' && strcmp(units, "1") != 0)
            fprintf(w->out, " %s", units);
        fprintf(w->out, "\n");
    } else if (w->variables && !is_scale) {
        fprintf(w->out, "  %-14s ", name);
        print_dims_of(w->out, ds);
        if (long_name != NULL)
            fprintf(w->out, "  %s", long_name);
        if (units != NULL && units[0] != '\0' && strcmp(units, "1") != 0)
            fprintf(w->out, " [%s]", units);
        fprintf(w->out, "\n");
    }
    H5Eclear2(H5E_DEFAULT);
    free(long_name);
    free(units);
    free(meanings);
    free(scale);
    close_id(&ds);
    return 0;
}

static void print_text_attr(FILE *out, hid_t file, const char *label,
                            const char *name)
{
    char *text = NULL;
    if (get_text(file, name, &text) >= 0 && text != NULL)
        fprintf(out, "%-16s %s\n", label, text);
    H5Eclear2(H5E_DEFAULT);
    free(text);
}

/* The "dimensions" and "variables" sections of pdx info, in creation order
 * (name order if the file does not track it). */
static void print_dims_and_variables(FILE *f, hid_t file)
{
    info_walk w = {f, 0};
    for (int pass = 0; pass < 2; pass++) {
        fprintf(f, pass == 0 ? "dimensions\n" : "variables\n");
        w.variables = pass;
        hsize_t idx = 0;
        if (H5Literate(file, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, info_link,
                       &w) < 0) {
            idx = 0;
            H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, &idx, info_link, &w);
        }
    }
    H5Eclear2(H5E_DEFAULT);
}

static pdx_status print_theory_info(hid_t file, const char *path, FILE *f,
                                    pdx_error *err);

pdx_status pdx_store_print_info(const char *path, void *out, pdx_error *err)
{
    /* HDF5 1.10 takes a file lock that makes readers of a file being
     * written fail (errno 11). The file-access property turns it off for
     * this open (HDF5 >= 1.10.7). HDF5_USE_FILE_LOCKING overrides the
     * property, but 1.10.8 reads it only once, when the first file call
     * initialises its file layer: setting it here covers a user's
     * HDF5_USE_FILE_LOCKING=TRUE and older libraries as long as this is
     * the process's first file call, as in `pdx info`. */
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
    silence_hdf5();
    FILE *f = out != NULL ? out : stdout;
    if (path == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "info: no file given");
    hid_t file;
    pdx_status status = open_pdx_file(path, 1, &file, err);
    if (status != PDX_OK)
        return status;
    char *source = NULL;
    if (status == PDX_OK && get_text(file, "source", &source) == 0 &&
        source != NULL && strcmp(source, "theory") == 0) {
        free(source);
        status = print_theory_info(file, path, f, err);
        close_id(&file);
        return status;
    }
    free(source);
    H5Eclear2(H5E_DEFAULT);
    int8_t *task_status = NULL;
    hid_t ds = H5I_INVALID_HID, space = H5I_INVALID_HID;
    hssize_t n_tasks = 0;
    if (status == PDX_OK) {
        ds = H5Dopen2(file, "status", H5P_DEFAULT);
        space = ds < 0 ? H5I_INVALID_HID : H5Dget_space(ds);
        n_tasks = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
        if (n_tasks < 0)
            status = h5_error(err, path, "status", "cannot open");
    }
    if (status == PDX_OK) {
        task_status = malloc((size_t)(n_tasks > 0 ? n_tasks : 1));
        if (task_status == NULL)
            status = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                                   "out of memory");
        else if (n_tasks > 0 && H5Dread(ds, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL,
                                        H5P_DEFAULT, task_status) < 0)
            status = h5_error(err, path, "status", "cannot read");
    }
    if (status == PDX_OK) {
        long long counts[5] = {0, 0, 0, 0, 0};
        for (hssize_t t = 0; t < n_tasks; t++)
            counts[task_status[t] >= 0 && task_status[t] <= 3
                       ? task_status[t]
                       : 4]++;
        double complete = 0, replicas = 0;
        uint64_t shard_index = 0, shard_count = 1;
        get_double(file, "pdx_complete", &complete);
        get_double(file, "replicas", &replicas);
        read_shard(file, &shard_index, &shard_count);
        H5Eclear2(H5E_DEFAULT);
        fprintf(f, "%-16s %s\n", "file", path);
        print_text_attr(f, file, "title", "title");
        fprintf(f, "%-16s %s\n", "state",
                complete != 0 ? "finished (compressed)"
                              : "working file (running, stopped or "
                                "interrupted)");
        print_text_attr(f, file, "spec", "spec_path");
        print_text_attr(f, file, "spec sha256", "spec_sha256");
        if (shard_count > 1)
            fprintf(f, "%-16s %llu of %llu (pdx merge joins the shards)\n",
                    "shard", (unsigned long long)shard_index,
                    (unsigned long long)shard_count);
        if (shard_count > 1)
            fprintf(f, "%-16s %lld in this shard: %lld done, %lld "
                       "diverged, %lld failed, %lld pending",
                    "tasks", (long long)n_tasks, counts[1], counts[2],
                    counts[3], counts[0]);
        else
            fprintf(f, "%-16s %lld (%lld cells x %.0f replicas): %lld done, "
                       "%lld diverged, %lld failed, %lld pending",
                    "tasks", (long long)n_tasks,
                    replicas > 0 ? (long long)n_tasks / (long long)replicas
                                 : 0LL,
                    replicas, counts[1], counts[2], counts[3], counts[0]);
        if (counts[4] > 0)
            fprintf(f, ", %lld with unknown status", counts[4]);
        fprintf(f, "\n%-16s %.1f%% of the tasks finished\n", "progress",
                n_tasks > 0 ? 100.0 * (double)(counts[1] + counts[2] +
                                               counts[3]) /
                                  (double)n_tasks
                            : 100.0);
        print_dims_and_variables(f, file);
        print_text_attr(f, file, "pdx version", "pdx_version");
        print_text_attr(f, file, "git describe", "git_describe");
        print_text_attr(f, file, "rng", "rng");
        print_text_attr(f, file, "host", "host");
        print_text_attr(f, file, "command line", "command_line");
        print_text_attr(f, file, "started", "start_time");
        print_text_attr(f, file, "finished", "end_time");
    }
    free(task_status);
    close_id(&space);
    close_id(&ds);
    close_id(&file);
    return status;
}

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
                                 const char *path, hid_t *out,
                                 pdx_error *err)
{
    hid_t ds = H5I_INVALID_HID;
    pdx_status status = PDX_OK;
    if (rank > 0) {
        ds = create_dataset(file, name, ftype, rank, dims, mtype, fill,
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
        close_id(&space);
        close_id(&dcpl);
        if (stack >= 0)
            H5Eset_current_stack(stack);
    }
    if (ds < 0)
        return h5_error(err, path, name, "cannot create variable");
    if (H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        status = h5_error(err, path, name, "cannot write variable");
    for (int d = 0; d < rank && status == PDX_OK; d++)
        if (H5DSattach_scale(ds, scales[d], (unsigned)d) < 0)
            status = h5_error(err, path, name,
                              "cannot attach dimension scale %d", d);
    if (status != PDX_OK)
        close_id(&ds);
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
    for (size_t i = 0; i < g->n_axes && status == PDX_OK; i++)
        status = create_axis(s, file, i, path, &axis_scales[i], err);
    for (int d = 0; d < PDX_DIM_COUNT && status == PDX_OK; d++) {
        if (!s->dim_used[d])
            continue;
        int is_time = d == PDX_DIM_TIME;
        int ts = s->spec->times_scale;
        status = create_index_coordinate(
            file, dim_names[d], dim_long_names[d],
            is_time ? (s->spec->times != NULL ? s->spec->times : &(double){0})
                    : NULL,
            layout->dim_size[d],
            scale_names[ts >= 0 && ts <= PDX_SCALE_LOG ? ts : 0], path,
            &dim_scales[d], err);
    }
    for (size_t i = 0; i < g->n_axes; i++)
        scales[i] = axis_scales[i];
    /* int8 per-cell flag variables */
    for (size_t k = 0; k < th->n_flags && status == PDX_OK; k++) {
        const pdx_store_flag_var *fv = &th->flags[k];
        hsize_t dims[MAX_RANK];
        int rank = theory_dims(g, layout, 0, NULL, dims);
        static const int8_t zero = 0;
        hid_t ds = H5I_INVALID_HID;
        status = theory_dataset(file, fv->name, H5T_STD_I8LE, H5T_NATIVE_INT8,
                                1, &zero, rank, dims, g->n_axes, fv->data,
                                scales, path, &ds, err);
        if (status == PDX_OK)
            status = put_string(ds, fv->name, "long_name", fv->long_name,
                                path, err);
        if (status == PDX_OK && fv->n_flags > 0)
            status = put_attr(ds, fv->name, "flag_values", H5T_STD_I8LE,
                              H5T_NATIVE_INT8, fv->n_flags, fv->flag_values,
                              path, err);
        if (status == PDX_OK && fv->n_flags > 0)
            status = put_string(ds, fv->name, "flag_meanings",
                                fv->flag_meanings, path, err);
        close_id(&ds);
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
                                g->n_axes, th->values[v], scales, path, &ds,
                                err);
        if (status == PDX_OK)
            status = put_string(ds, desc->name, "long_name",
                                desc->long_name != NULL ? desc->long_name
                                                        : desc->name,
                                path, err);
        if (status == PDX_OK && desc->units != NULL)
            status = put_string(ds, desc->name, "units", desc->units, path,
                                err);
        if (status == PDX_OK)
            status = put_double(ds, desc->name, "_FillValue", NAN, path, err);
        close_id(&ds);
    }
    for (size_t i = 0; i < g->n_axes; i++)
        close_id(&axis_scales[i]);
    for (int d = 0; d < PDX_DIM_COUNT; d++)
        close_id(&dim_scales[d]);
    return status;
}

pdx_status pdx_store_write_theory(const char *path, const pdx_grid *grid,
                                  const pdx_store_theory *theory,
                                  const pdx_provenance *provenance,
                                  pdx_error *err)
{
    silence_hdf5();
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
        store_new(&s, path, grid, theory->layout, NULL, err);
    if (status != PDX_OK)
        return status;
    for (size_t k = 0; k < theory->n_flags; k++)
        for (size_t v = 0; v < theory->layout->n_vars; v++)
            if (strcmp(theory->flags[k].name,
                       theory->layout->vars[v].name) == 0) {
                store_free(s);
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
    status = check_free_space(path, bytes, "for the theory file", err);
    char *tmp = status == PDX_OK ? join_tmp_path(path) : NULL;
    if (status == PDX_OK && tmp == NULL)
        status = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                               "out of memory");
    hid_t file = status == PDX_OK ? create_file(tmp, 1) : H5I_INVALID_HID;
    if (status == PDX_OK && file < 0)
        status = h5_error(err, path, NULL, "cannot create %s", tmp);
    if (status == PDX_OK)
        status = write_root_attributes(s, file, provenance, tmp, err);
    /* a theory file is written whole: complete from the start */
    if (status == PDX_OK && H5Adelete(file, "pdx_complete") < 0)
        status = h5_error(err, tmp, "/@pdx_complete", "cannot rewrite");
    if (status == PDX_OK)
        status = put_uint8(file, "/", "pdx_complete", 1, tmp, err);
    if (status == PDX_OK)
        status = put_string(file, "/", "source", "theory", tmp, err);
    for (size_t a = 0; a + 1 < 2 * theory->n_attributes && status == PDX_OK;
         a += 2)
        status = put_string(file, "/", theory->attributes[a],
                            theory->attributes[a + 1], tmp, err);
    if (status == PDX_OK)
        status = write_theory_content(s, file, theory, tmp, err);
    if (status == PDX_OK)
        status = seal_file(&file, tmp, path, err);
    discard_file(&file);
    if (status == PDX_OK && rename(tmp, path) != 0)
        status = pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                               "cannot rename %s to %s: %s", tmp, path,
                               strerror(errno));
    if (status == PDX_OK)
        status = fsync_directory_of(path, err);
    else if (tmp != NULL)
        unlink(tmp);
    free(tmp);
    store_free(s);
    return status;
}

/* `pdx info` of a theory file: cells by status, then the common parts. */
static pdx_status print_theory_info(hid_t file, const char *path, FILE *f,
                                    pdx_error *err)
{
    hid_t ds = H5Dopen2(file, "status", H5P_DEFAULT);
    hid_t space = ds < 0 ? H5I_INVALID_HID : H5Dget_space(ds);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    pdx_status status = PDX_OK;
    int8_t *st = NULL;
    if (n < 0)
        status = h5_error(err, path, "status", "cannot open");
    else if ((st = malloc((size_t)(n > 0 ? n : 1))) == NULL)
        status = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                               "out of memory");
    else if (n > 0 && H5Dread(ds, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL,
                              H5P_DEFAULT, st) < 0)
        status = h5_error(err, path, "status", "cannot read");
    if (status == PDX_OK) {
        long long solved = 0, na = 0, nc = 0, other = 0;
        for (hssize_t i = 0; i < n; i++)
            switch (st[i]) {
            case 1: solved++; break;
            case 4: na++; break;
            case 5: nc++; break;
            default: other++; break;
            }
        fprintf(f, "%-16s %s\n", "file", path);
        print_text_attr(f, file, "title", "title");
        fprintf(f, "%-16s theory (pdx theory)\n", "source");
        print_text_attr(f, file, "theories", "theories");
        print_text_attr(f, file, "spec", "spec_path");
        print_text_attr(f, file, "spec sha256", "spec_sha256");
        fprintf(f, "%-16s %lld: %lld solved, %lld not applicable, %lld not "
                   "converged",
                "cells", (long long)n, solved, na, nc);
        if (other > 0)
            fprintf(f, ", %lld pending", other);
        fprintf(f, "\n");
        print_dims_and_variables(f, file);
        print_text_attr(f, file, "pdx version", "pdx_version");
        print_text_attr(f, file, "git describe", "git_describe");
        print_text_attr(f, file, "command line", "command_line");
        print_text_attr(f, file, "started", "start_time");
    }
    free(st);
    close_id(&space);
    close_id(&ds);
    return status;
}

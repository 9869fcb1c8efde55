/* choice_names.c — reading the names of a choice coordinate (issue 19:
 * netCDF-4 strings, whose bytes live in HDF5's global heap) without
 * trusting the heap: the resume, merge and extension checks read them
 * here, straight from the file, and a damaged heap is a damaged label
 * (an error naming the coordinate), where HDF5 1.10 itself may crash
 * reading a heap collection whose object sizes a flipped bit changed. */
#include "store_internal.h"

#include <fcntl.h>
#include <unistd.h>

static uint64_t le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int read_at(int fd, void *buf, size_t n, uint64_t offset)
{
    size_t done = 0;
    while (done < n) {
        ssize_t got = pread(fd, (char *)buf + done, n - done,
                            (off_t)(offset + done));
        if (got <= 0)
            return -1;
        done += (size_t)got;
    }
    return 0;
}

/* The largest global heap collection read (HDF5 makes them 4 KiB unless an
 * object is larger; a name is a few bytes). */
#define MAX_COLLECTION ((uint64_t)1 << 24)

/* Object `index` of the heap collection at `addr`, its first `length`
 * bytes as a new string in *out. 0, or -1 if the collection is not
 * consistent (signature, sizes within the collection) or lacks it. */
static int heap_object(int fd, uint64_t addr, uint64_t index, uint64_t length,
                       char **out)
{
    unsigned char head[16];
    if (read_at(fd, head, sizeof head, addr) < 0 ||
        memcmp(head, "GCOL", 4) != 0 || head[4] != 1)
        return -1;
    uint64_t size = le(head + 8, 8);
    if (size < 16 || size > MAX_COLLECTION)
        return -1;
    unsigned char *heap = malloc((size_t)size);
    int rc = -1;
    if (heap != NULL && read_at(fd, heap, (size_t)size, addr) == 0) {
        for (uint64_t at = 16; at + 16 <= size;) {
            uint64_t id = le(heap + at, 2), bytes = le(heap + at + 8, 8);
            if (id == 0 || bytes > size - at - 16)
                break; /* free space, or damaged */
            if (id == index) {
                if (length <= bytes &&
                    (*out = strndup((char *)heap + at + 16,
                                    (size_t)length)) != NULL)
                    rc = 0;
                break;
            }
            at += 16 + (bytes + 7) / 8 * 8;
        }
    }
    free(heap);
    return rc;
}

int pdx__read_names_checked(const char *path, hid_t file, hid_t ds, size_t n,
                            char **names)
{
    for (size_t i = 0; i < n; i++)
        names[i] = NULL;
    hid_t type = H5Dget_type(ds);
    if (type < 0)
        return -1;
    int strings = H5Tget_class(type) == H5T_STRING;
    int vlen = strings && H5Tis_variable_str(type) > 0;
    pdx__close_id(&type);
    if (!strings)
        return 0; /* int32 codes: a file of pdx before issue 19 */
    hid_t fcpl = H5Fget_create_plist(file);
    size_t addr_size = 0, len_size = 0;
    if (fcpl < 0 || H5Pget_sizes(fcpl, &addr_size, &len_size) < 0)
        addr_size = 0;
    pdx__close_id(&fcpl);
    haddr_t offset = H5Dget_offset(ds);
    H5Eclear2(H5E_DEFAULT);
    /* fixed-length strings, or a layout this reader does not know: HDF5
     * reads them (no heap involved, or not a file of this pdx) */
    if (!vlen || offset == HADDR_UNDEF || addr_size != 8 || len_size != 8)
        return pdx__read_names(ds, n, names);
    /* each element on disk: length (4 bytes), the heap collection's
     * address (8) and the object's index in it (4) */
    unsigned char *raw = malloc(n > 0 ? n * 16 : 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = raw != NULL && fd >= 0 &&
                     read_at(fd, raw, n * 16, (uint64_t)offset) == 0
                 ? 1
                 : -2;
    for (size_t i = 0; rc > 0 && i < n; i++) {
        const unsigned char *e = raw + 16 * i;
        if (heap_object(fd, le(e + 4, 8), le(e + 12, 4), le(e, 4),
                        &names[i]) < 0)
            rc = -2;
    }
    if (fd >= 0)
        close(fd);
    free(raw);
    if (rc < 0)
        for (size_t i = 0; i < n; i++) {
            free(names[i]);
            names[i] = NULL;
        }
    return rc;
}

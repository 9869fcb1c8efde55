/* pack.h — private to the store: the chunk packer of finished files.
 *
 * Does to one chunk what HDF5's pipeline of shuffle then deflate (deflate
 * marked optional) does, without HDF5, so that the chunks of a repack can
 * be packed on the run's threads and handed to H5Dwrite_chunk as they are.
 * No HDF5 in here; zlib only. */
#ifndef PDX_PACK_H
#define PDX_PACK_H

#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

/* Bit of H5Dwrite_chunk's filter mask for "filter 1 (deflate) skipped":
 * set by pdx_pack_chunk when deflate did not shrink the chunk. */
#define PDX_PACK_DEFLATE_SKIPPED (1u << 1)

/* A deflate stream reused over many chunks (one per thread; zlib streams
 * are not thread-safe). Zero-initialise it (`pdx_pack_stream s = {0}` or
 * calloc); it is started on its first chunk and must be released with
 * pdx_pack_stream_end. A fresh stream per chunk (compress2, as HDF5's
 * filter does) spent 0.2 ms on allocating and clearing its 256 KiB of
 * state, more than compressing the W1 benchmark's chunks. */
typedef struct pdx_pack_stream {
    z_stream z;
    int started;
} pdx_pack_stream;

/* One packed chunk: `packed_size` bytes at the caller's output buffer. */
typedef struct pdx_pack_result {
    size_t packed_size;
    uint32_t filter_mask; /* 0 or PDX_PACK_DEFLATE_SKIPPED */
    int z_status;         /* Z_OK, or zlib's error (then nothing else is
                           * meaningful): Z_MEM_ERROR, Z_STREAM_ERROR ... */
} pdx_pack_result;

/* HDF5's shuffle filter: byte b of element i of `in` (n elements of
 * `elem` bytes) goes to out[b * n + i]. `in` and `out` must not overlap.
 * Thread-safe. */
void pdx_pack_shuffle(const unsigned char *in, unsigned char *out, size_t n,
                      size_t elem);

/* Bytes the output buffer of pdx_pack_chunk needs for a chunk of
 * `chunk_bytes` (zlib's compressBound). */
size_t pdx_pack_bound(size_t chunk_bytes);

/* Bytes of free space the repack of a working file of `working_bytes`
 * asks for: the finished file holds the same data (a chunk deflate does
 * not shrink is stored as it is) plus what the working file has not:
 * chunk indexes (about 20 bytes a chunk; chunks of large variables hold
 * 64 KiB or more: under 0.1 %), filter messages and padded edge chunks
 * (a small file's finished file can be 10 % larger: test_store measures
 * it). Hence 0.1 % plus 1 MB. README, docs/FORMAT.md and docs/CLUSTERS.md
 * state this rule ("the working file's size plus 0.1 % plus 1 MB").
 * Thread-safe. */
#define PDX_PACK_REPACK_MARGIN 1e6
#define PDX_PACK_REPACK_FRACTION 1e-3
double pdx_pack_repack_space(double working_bytes);

/* Shuffle `raw` (chunk_bytes, a multiple of elem) into `scratch`
 * (chunk_bytes), then deflate it at `level` into `packed`
 * (pdx_pack_bound(chunk_bytes) bytes): the bytes are compress2's at that
 * level. A chunk that deflate would not shrink is stored shuffled only
 * (filter_mask PDX_PACK_DEFLATE_SKIPPED, packed_size chunk_bytes), as
 * HDF5 does for an optional filter. `stream` is started at `level` on
 * its first use (a stream keeps the level it was started with) and reset
 * for each chunk. Thread-safe for distinct streams and buffers. */
pdx_pack_result pdx_pack_chunk(pdx_pack_stream *stream, int level,
                               const unsigned char *raw, size_t chunk_bytes,
                               size_t elem, unsigned char *scratch,
                               unsigned char *packed);

/* Release a stream's zlib state (accepts one never started); it may then
 * be started again. */
void pdx_pack_stream_end(pdx_pack_stream *stream);

#endif

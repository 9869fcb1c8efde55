/* pack.c — shuffle + deflate of one chunk, as HDF5's filter pipeline
 * would write it (pack.h). */
#include "pack.h"

#include <string.h>

void pdx_pack_shuffle(const unsigned char *in, unsigned char *out, size_t n,
                      size_t elem)
{
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < elem; b++)
            out[b * n + i] = in[i * elem + b];
}

size_t pdx_pack_bound(size_t chunk_bytes)
{
    return (size_t)compressBound((uLong)chunk_bytes);
}

double pdx_pack_repack_space(double working_bytes)
{
    double working = working_bytes > 0 ? working_bytes : 0.0;
    return working * (1.0 + PDX_PACK_REPACK_FRACTION) + PDX_PACK_REPACK_MARGIN;
}

pdx_pack_result pdx_pack_chunk(pdx_pack_stream *stream, int level,
                               const unsigned char *raw, size_t chunk_bytes,
                               size_t elem, unsigned char *scratch,
                               unsigned char *packed)
{
    pdx_pack_result r = {0, 0, Z_OK};
    z_stream *z = &stream->z;
    if (!stream->started) {
        r.z_status = deflateInit(z, level);
        if (r.z_status != Z_OK)
            return r;
        stream->started = 1;
    }
    pdx_pack_shuffle(raw, scratch, chunk_bytes / elem, elem);
    r.z_status = deflateReset(z);
    if (r.z_status == Z_OK) {
        z->next_in = scratch;
        z->avail_in = (uInt)chunk_bytes;
        z->next_out = packed;
        z->avail_out = (uInt)pdx_pack_bound(chunk_bytes);
        int rc = deflate(z, Z_FINISH);
        r.z_status = rc == Z_STREAM_END ? Z_OK : rc == Z_OK ? Z_BUF_ERROR : rc;
    }
    r.packed_size = (size_t)z->total_out;
    if (r.z_status == Z_OK && r.packed_size >= chunk_bytes) {
        memcpy(packed, scratch, chunk_bytes);
        r.packed_size = chunk_bytes;
        r.filter_mask = PDX_PACK_DEFLATE_SKIPPED;
    }
    return r;
}

void pdx_pack_stream_end(pdx_pack_stream *stream)
{
    if (stream->started)
        deflateEnd(&stream->z);
    memset(stream, 0, sizeof *stream);
}

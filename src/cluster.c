/* cluster.c — shards, SLURM array defaults, MPI ranks (pdx/cluster.h). */
#include "pdx/cluster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(PDX_HAVE_MPI)
#include <mpi.h>
#endif

static int parse_u64(const char *text, uint64_t *value)
{
    if (text == NULL || *text < '0' || *text > '9')
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return 0;
    *value = (uint64_t)v;
    return 1;
}

pdx_status pdx_cluster_parse_shard(const char *text, uint64_t *index,
                                   uint64_t *count, pdx_error *err)
{
    char buf[64];
    const char *slash = text != NULL ? strchr(text, '/') : NULL;
    if (slash == NULL || (size_t)(slash - text) >= sizeof buf)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "--shard",
                             "'%s' is not I/N (shard I of N, 0 <= I < N)",
                             text != NULL ? text : "");
    memcpy(buf, text, (size_t)(slash - text));
    buf[slash - text] = '\0';
    if (!parse_u64(buf, index) || !parse_u64(slash + 1, count) ||
        *count == 0 || *index >= *count)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "--shard",
                             "'%s' is not I/N (shard I of N, 0 <= I < N)",
                             text);
    return PDX_OK;
}

pdx_status pdx_cluster_shard_from_env(int *found, uint64_t *index,
                                      uint64_t *count, pdx_error *err)
{
    *found = 0;
    const char *id_text = getenv("SLURM_ARRAY_TASK_ID");
    if (id_text == NULL || id_text[0] == '\0')
        return PDX_OK;
    const char *names[] = {"SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX",
                           "SLURM_ARRAY_TASK_COUNT"};
    uint64_t id, v[3], step = 1;
    int ok = parse_u64(id_text, &id);
    for (int i = 0; i < 3 && ok; i++)
        ok = parse_u64(getenv(names[i]), &v[i]);
    const char *step_text = getenv("SLURM_ARRAY_TASK_STEP");
    if (ok && step_text != NULL && step_text[0] != '\0')
        ok = parse_u64(step_text, &step) && step > 0;
    uint64_t min = ok ? v[0] : 0, max = ok ? v[1] : 0, n = ok ? v[2] : 0;
    /* A regular range min, min + step, ..., max has (max - min) / step + 1
     * tasks; anything else (a list of ids) has no shard numbering. */
    if (!ok || n == 0 || max < min || id < min || id > max ||
        (id - min) % step != 0 || (max - min) % step != 0 ||
        (max - min) / step + 1 != n)
        return pdx_error_set(
            err, PDX_ERR_USAGE, NULL, 0, 0, "SLURM_ARRAY_TASK_ID",
            "cannot number the shards of this array job (task %s, min %s, "
            "max %s, step %s, count %s): give --shard I/N, or submit a "
            "regular range such as --array=0-7",
            id_text, getenv(names[0]) ? getenv(names[0]) : "unset",
            getenv(names[1]) ? getenv(names[1]) : "unset",
            step_text ? step_text : "unset",
            getenv(names[2]) ? getenv(names[2]) : "unset");
    *index = (id - min) / step;
    *count = n;
    *found = 1;
    return PDX_OK;
}

pdx_status pdx_cluster_shard_path(const char *out, uint64_t index,
                                  uint64_t count, char *buf, size_t size,
                                  pdx_error *err)
{
    size_t length = strlen(out);
    static const char *const suffixes[] = {".h5", ".nc", ".hdf5"};
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t n = strlen(suffixes[i]);
        if (length > n && strcmp(out + length - n, suffixes[i]) == 0) {
            length -= n;
            break;
        }
    }
    int width = snprintf(NULL, 0, "%llu", (unsigned long long)count);
    int w = snprintf(buf, size, "%.*s.shard-%0*llu-of-%llu.h5", (int)length,
                     out, width, (unsigned long long)index,
                     (unsigned long long)count);
    if (w < 0 || (size_t)w >= size)
        return pdx_error_set(err, PDX_ERR_USAGE, out, 0, 0, NULL,
                             "the shard file name is too long");
    return PDX_OK;
}

#if defined(PDX_HAVE_MPI)

static int mpi_started = 0;

int pdx_cluster_have_mpi(void)
{
    return 1;
}

/* Was this process started by an MPI launcher? (Open MPI's mpirun,
 * Hydra and PMI-2 launchers, PMIx launchers such as srun --mpi=pmix.) */
static int launched_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
                                       "PMIX_RANK", "PMI_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]) != NULL)
            return 1;
    return 0;
}

pdx_status pdx_cluster_init(int *argc, char ***argv, int *rank, int *size,
                            pdx_error *err)
{
    *rank = 0;
    *size = 1;
    if (!launched_by_mpi())
        return PDX_OK;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
        MPI_SUCCESS)
        return pdx_error_set(err, PDX_ERR_INTERNAL, NULL, 0, 0, "MPI",
                             "MPI_Init_thread failed");
    mpi_started = 1;
    /* Errors are reported, not fatal: a failing rank exits with its code. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return PDX_OK;
}

/* Complete a non-blocking collective, sleeping between tests: ranks that
 * finish their shard early must not spin a core the others compute on. */
static void wait_politely(MPI_Request *request)
{
    int done = 0;
    struct timespec nap = {0, 20 * 1000 * 1000};
    while (MPI_Test(request, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS &&
           !done)
        nanosleep(&nap, NULL);
}

int pdx_cluster_agree(int code)
{
    if (!mpi_started)
        return code;
    int mine[2] = {code != 0 && code != 75 ? code : 0, code == 75};
    int all[2] = {0, 0};
    MPI_Request request;
    if (MPI_Iallreduce(mine, all, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD,
                       &request) != MPI_SUCCESS)
        return code != 0 ? code : 1;
    wait_politely(&request);
    return all[0] != 0 ? all[0] : all[1] ? 75 : 0;
}

void pdx_cluster_barrier(void)
{
    if (!mpi_started)
        return;
    MPI_Request request;
    if (MPI_Ibarrier(MPI_COMM_WORLD, &request) == MPI_SUCCESS)
        wait_politely(&request);
}

void pdx_cluster_finalize(void)
{
    if (mpi_started)
        MPI_Finalize();
    mpi_started = 0;
}

#else

int pdx_cluster_have_mpi(void)
{
    return 0;
}

pdx_status pdx_cluster_init(int *argc, char ***argv, int *rank, int *size,
                            pdx_error *err)
{
    (void)argc;
    (void)argv;
    (void)err;
    *rank = 0;
    *size = 1;
    return PDX_OK;
}

int pdx_cluster_agree(int code)
{
    return code;
}

void pdx_cluster_barrier(void)
{
}

void pdx_cluster_finalize(void)
{
}

#endif

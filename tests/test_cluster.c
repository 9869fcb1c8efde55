/* test_cluster.c — shard options, SLURM array defaults, shard file names. */
#include <stdlib.h>
#include <string.h>

#include "pdx/cluster.h"
#include "pdx_test.h"

static void test_cluster_parse_shard(void **state)
{
    (void)state;
    uint64_t i = 99, n = 99;
    assert_int_equal(pdx_cluster_parse_shard("3/7", &i, &n, NULL), PDX_OK);
    assert_int_equal(i, 3);
    assert_int_equal(n, 7);
    assert_int_equal(pdx_cluster_parse_shard("0/1", &i, &n, NULL), PDX_OK);
    assert_int_equal(i, 0);
    assert_int_equal(n, 1);
    static const char *const bad[] = {"7/7", "1/0", "-1/3", "1/-3", "a/3",
                                      "1/3x", "13", "", "/", "1/", "/4",
                                      "99999999999999999999999/2"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        pdx_error err;
        pdx_error_clear(&err);
        if (pdx_cluster_parse_shard(bad[k], &i, &n, &err) != PDX_ERR_USAGE)
            fail_msg("'%s' was accepted", bad[k]);
        assert_string_equal(err.key, "--shard");
        assert_non_null(strstr(err.message, "is not I/N"));
    }
}

static void set_array(const char *id, const char *min, const char *max,
                      const char *step, const char *count)
{
    const char *names[] = {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN",
                           "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP",
                           "SLURM_ARRAY_TASK_COUNT"};
    const char *values[] = {id, min, max, step, count};
    for (int i = 0; i < 5; i++) {
        if (values[i] == NULL)
            unsetenv(names[i]);
        else
            setenv(names[i], values[i], 1);
    }
}

static void test_cluster_shard_from_slurm_array(void **state)
{
    (void)state;
    int found = -1;
    uint64_t i = 99, n = 99;
    set_array(NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(pdx_cluster_shard_from_env(&found, &i, &n, NULL), PDX_OK);
    assert_int_equal(found, 0);

    set_array("2", "0", "4", "1", "5"); /* --array=0-4 */
    assert_int_equal(pdx_cluster_shard_from_env(&found, &i, &n, NULL), PDX_OK);
    assert_int_equal(found, 1);
    assert_int_equal(i, 2);
    assert_int_equal(n, 5);

    set_array("13", "5", "21", "4", "5"); /* --array=5-21:4 */
    assert_int_equal(pdx_cluster_shard_from_env(&found, &i, &n, NULL), PDX_OK);
    assert_int_equal(i, 2);
    assert_int_equal(n, 5);

    set_array("7", "7", "7", NULL, "1"); /* one task, no step variable */
    assert_int_equal(pdx_cluster_shard_from_env(&found, &i, &n, NULL), PDX_OK);
    assert_int_equal(i, 0);
    assert_int_equal(n, 1);

    /* --array=1,4,9: no regular range, so no shard numbering */
    set_array("4", "1", "9", "1", "3");
    pdx_error err;
    assert_int_equal(pdx_cluster_shard_from_env(&found, &i, &n, &err),
                     PDX_ERR_USAGE);
    assert_int_equal(found, 0);
    assert_non_null(strstr(err.message, "give --shard I/N"));
    set_array("3", "0", "4", "2", "3"); /* id off the step */
    assert_int_equal(pdx_cluster_shard_from_env(&found, &i, &n, NULL),
                     PDX_ERR_USAGE);
    set_array("3", "0", "4", "1", NULL); /* count missing */
    assert_int_equal(pdx_cluster_shard_from_env(&found, &i, &n, NULL),
                     PDX_ERR_USAGE);
    set_array(NULL, NULL, NULL, NULL, NULL);
}

static void test_cluster_shard_path(void **state)
{
    (void)state;
    char buf[128];
    assert_int_equal(pdx_cluster_shard_path("out/run.h5", 3, 12, buf,
                                            sizeof buf, NULL),
                     PDX_OK);
    assert_string_equal(buf, "out/run.shard-03-of-12.h5");
    assert_int_equal(pdx_cluster_shard_path("run.nc", 0, 3, buf, sizeof buf,
                                            NULL),
                     PDX_OK);
    assert_string_equal(buf, "run.shard-0-of-3.h5");
    assert_int_equal(pdx_cluster_shard_path("results", 7, 1000, buf,
                                            sizeof buf, NULL),
                     PDX_OK);
    assert_string_equal(buf, "results.shard-0007-of-1000.h5");
    pdx_error err;
    assert_int_equal(pdx_cluster_shard_path("a-rather-long-name.h5", 1, 2, buf,
                                            16, &err),
                     PDX_ERR_USAGE);
    assert_non_null(strstr(err.message, "too long"));
}

/* Without an MPI launcher every process is rank 0 of 1 and agrees with
 * itself. */
static void test_cluster_single_process(void **state)
{
    (void)state;
    int rank = -1, size = -1, argc = 1;
    char arg0[] = "test_cluster", *args[] = {arg0, NULL}, **argv = args;
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("PMI_SIZE");
    unsetenv("PMIX_RANK");
    unsetenv("PMI_RANK");
    assert_int_equal(pdx_cluster_init(&argc, &argv, &rank, &size, NULL),
                     PDX_OK);
    assert_int_equal(rank, 0);
    assert_int_equal(size, 1);
    assert_int_equal(pdx_cluster_agree(75), 75);
    assert_int_equal(pdx_cluster_agree(0), 0);
    pdx_cluster_barrier();
    pdx_cluster_finalize();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_parse_shard),
        cmocka_unit_test(test_cluster_shard_from_slurm_array),
        cmocka_unit_test(test_cluster_shard_path),
        cmocka_unit_test(test_cluster_single_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

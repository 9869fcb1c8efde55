/* test_error.c — error context formatting and exit codes. */
#include <string.h>

#include "pdx/error.h"
#include "pdx_test.h"

static void test_error_format_full(void **state)
{
    (void)state;
    pdx_error err;
    pdx_status st = pdx_error_set(&err, PDX_ERR_SPEC, "sweeps/a.yaml", 7, 12,
                                  "train.learning_rate",
                                  "must be > 0, got %g", -2.385);
    assert_int_equal(st, PDX_ERR_SPEC);
    char buf[256];
    pdx_error_format(&err, buf, sizeof buf);
    assert_string_equal(
        buf, "sweeps/a.yaml:7:12: train.learning_rate: must be > 0, got -2.385");
}

static void test_error_format_partial_and_truncated(void **state)
{
    (void)state;
    pdx_error err;
    pdx_error_set(&err, PDX_ERR_IO, "out.h5", 0, 0, NULL, "disk full");
    char buf[64];
    pdx_error_format(&err, buf, sizeof buf);
    assert_string_equal(buf, "out.h5: disk full");
    pdx_error_set(&err, PDX_ERR_NOMEM, NULL, 0, 0, NULL, "%s", "");
    pdx_error_format(&err, buf, sizeof buf);
    assert_string_equal(buf, "out of memory");
    char small[8];
    pdx_error_set(&err, PDX_ERR_IO, "a-long-file-name.h5", 3, 0, NULL, "x");
    size_t n = pdx_error_format(&err, small, sizeof small);
    assert_int_equal(n, 7);
    assert_string_equal(small, "a-long-");
}

static void test_error_null_is_safe_and_codes_are_stable(void **state)
{
    (void)state;
    assert_int_equal(pdx_error_set(NULL, PDX_ERR_HDF5, "f", 1, 1, "k", "m"),
                     PDX_ERR_HDF5);
    pdx_error_clear(NULL);
    /* values are stored in files: never renumbered */
    assert_int_equal(PDX_TASK_PENDING, 0);
    assert_int_equal(PDX_TASK_DONE, 1);
    assert_int_equal(PDX_TASK_DIVERGED, 2);
    assert_int_equal(PDX_TASK_FAILED, 3);
    assert_int_equal(pdx_status_exit_code(PDX_OK), 0);
    assert_int_equal(pdx_status_exit_code(PDX_ERR_SPEC), 2);
    assert_int_equal(pdx_status_exit_code(PDX_ERR_USAGE), 2);
    assert_int_equal(pdx_status_exit_code(PDX_ERR_TOO_BIG), 2);
    assert_int_equal(pdx_status_exit_code(PDX_ERR_STOPPED), 75);
    assert_int_equal(pdx_status_exit_code(PDX_ERR_HDF5), 1);
    assert_string_equal(pdx_status_name(PDX_ERR_MISMATCH), "mismatch");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_format_full),
        cmocka_unit_test(test_error_format_partial_and_truncated),
        cmocka_unit_test(test_error_null_is_safe_and_codes_are_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

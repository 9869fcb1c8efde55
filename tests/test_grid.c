/* test_grid.c — cells, tasks, parameters and cell keys. */
#include <string.h>

#include "pdx/grid.h"
#include "pdx_test.h"

static const char *const spec_text =
    "name: g\n"
    "replicas: 3\n"
    "N: [40, 80]\n"
    "student: {hidden: [1, 2, 4], activation: [erf, relu]}\n"
    "train: {learning_rate: {log: [0.05, 5.0, 5]}, alpha: 7.5}\n"
    "record: {times: [0.5, 2.385, 7.5]}\n";

static int setup(void **state)
{
    pdx_spec *spec = NULL;
    pdx_error err;
    if (pdx_spec_parse_string(&spec, spec_text, strlen(spec_text), "g.yaml",
                              &err) != PDX_OK)
        return -1;
    *state = spec;
    return 0;
}

static int teardown(void **state)
{
    pdx_spec *spec = *state;
    pdx_spec_destroy(&spec);
    return 0;
}

static void test_grid_shape_and_index(void **state)
{
    pdx_grid *grid = NULL;
    assert_int_equal(pdx_grid_create(&grid, *state, NULL), PDX_OK);
    assert_int_equal(grid->n_axes, 4);
    assert_int_equal(grid->n_cells, 2 * 3 * 2 * 5);
    assert_int_equal(grid->n_tasks, 60 * 3);
    assert_int_equal(grid->max_student_hidden, 4);
    assert_int_equal(grid->max_N, 80);
    assert_int_equal(grid->max_test_size, 10000); /* relu needs a test set */
    size_t idx[4];
    /* first axis slowest: cell 47 = ((1*3 + 1)*2 + 1)*5 + 2 */
    pdx_grid_cell_index(grid, 47, idx);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 1);
    assert_int_equal(idx[2], 1);
    assert_int_equal(idx[3], 2);
    pdx_params p;
    pdx_grid_cell_params(grid, 47, &p);
    assert_int_equal(p.N, 80);
    assert_int_equal(p.student_hidden, 2);
    assert_int_equal(p.student_activation, PDX_ACT_RELU);
    assert_double_close(p.train_learning_rate, 0.5, 1e-12);
    assert_double_close(p.train_alpha, 7.5, 0);
    assert_double_close(p.train_learning_rate_second, 0.5, 1e-12);
    assert_int_equal(pdx_grid_steps_at(&p, 2.385), 191); /* 2.385*80 = 190.8 */
    char buf[256];
    pdx_grid_describe_task(grid, 47 * 3 + 2, buf, sizeof buf);
    assert_string_equal(buf, "N=80, student.hidden=2, student.activation=relu, "
                             "train.learning_rate=0.5, replica=2");
    pdx_grid_destroy(&grid);
    assert_null(grid);
    pdx_grid_destroy(&grid);
}

/* The cell key depends on parameter values, not on the cell's position:
 * the same parameters in a grid with an extra axis value keep their key. */
static void test_grid_cell_key_by_value(void **state)
{
    (void)state;
    const char *a = "student: {hidden: [2, 4]}\n";
    const char *b = "student: {hidden: [1, 2, 4]}\n";
    pdx_spec *sa = NULL, *sb = NULL;
    assert_int_equal(pdx_spec_parse_string(&sa, a, strlen(a), "a", NULL), PDX_OK);
    assert_int_equal(pdx_spec_parse_string(&sb, b, strlen(b), "b", NULL), PDX_OK);
    pdx_grid *ga = NULL, *gb = NULL;
    assert_int_equal(pdx_grid_create(&ga, sa, NULL), PDX_OK);
    assert_int_equal(pdx_grid_create(&gb, sb, NULL), PDX_OK);
    pdx_params pa, pb;
    pdx_grid_cell_params(ga, 0, &pa); /* hidden 2 */
    pdx_grid_cell_params(gb, 1, &pb); /* hidden 2 */
    assert_true(pdx_grid_cell_key(&pa) == pdx_grid_cell_key(&pb));
    pdx_grid_cell_params(gb, 2, &pb); /* hidden 4 */
    assert_true(pdx_grid_cell_key(&pa) != pdx_grid_cell_key(&pb));
    pdx_grid_destroy(&ga);
    pdx_grid_destroy(&gb);
    pdx_spec_destroy(&sa);
    pdx_spec_destroy(&sb);
}

static void test_grid_cost_orders_tasks(void **state)
{
    pdx_grid *grid = NULL;
    assert_int_equal(pdx_grid_create(&grid, *state, NULL), PDX_OK);
    pdx_params small, big;
    pdx_grid_cell_params(grid, 0, &small);            /* N 40, K 1 */
    pdx_grid_cell_params(grid, grid->n_cells - 1, &big); /* N 80, K 4 */
    assert_true(pdx_grid_task_cost(&big) > 2.0 * pdx_grid_task_cost(&small));
    pdx_grid_destroy(&grid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_grid_shape_and_index, setup, teardown),
        cmocka_unit_test(test_grid_cell_key_by_value),
        cmocka_unit_test_setup_teardown(test_grid_cost_orders_tasks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

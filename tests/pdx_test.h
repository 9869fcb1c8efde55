/* pdx_test.h — shared helpers for the cmocka test programs.
 * cmocka 1.1.5 compares floats as float only; these compare doubles with a
 * relative tolerance and print both values on failure. */
#ifndef PDX_TEST_H
#define PDX_TEST_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pdx/grid.h"
#include "pdx/spec.h"
#include "pdx/sweep.h"
#include "pdx/train.h"

static inline int pdx_test_close(double a, double b, double rel, double abs_tol)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    double d = fabs(a - b);
    return d <= abs_tol || d <= rel * fmax(fabs(a), fabs(b));
}

/* The grid of the spec `text` (named `name` in messages), its spec in
 * *spec (the caller destroys both); fails the test on a spec error. */
static inline pdx_grid *pdx_test_grid_of(const char *text, const char *name,
                                         pdx_spec **spec)
{
    pdx_grid *grid = NULL;
    pdx_error err;
    *spec = NULL;
    if (pdx_spec_parse_string(spec, text, strlen(text), name, &err) !=
        PDX_OK)
        fail_msg("spec: %s", err.message);
    assert_int_equal(pdx_grid_create(&grid, *spec, NULL), PDX_OK);
    return grid;
}

/* The parameters of the first cell of the spec `text` (named `name` in
 * messages); fails the test on a spec error. */
static inline pdx_params pdx_test_params_of(const char *text,
                                            const char *name)
{
    pdx_spec *spec = NULL;
    pdx_grid *grid = pdx_test_grid_of(text, name, &spec);
    pdx_params p;
    pdx_grid_cell_params(grid, 0, &p);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return p;
}

/* A trainer sized for every cell of grid g (as a sweep's worker's). */
static inline pdx_trainer *pdx_test_trainer_for(const pdx_grid *g)
{
    pdx_trainer_deep_limits d = pdx_sweep_deep_limits(g);
    pdx_trainer *t = NULL;
    assert_int_equal(pdx_trainer_create_deep(
                         &t, (size_t)g->max_N, g->max_student_hidden,
                         g->max_teacher_hidden, (size_t)g->max_test_size,
                         (size_t)g->max_train_size, &d, NULL),
                     PDX_OK);
    return t;
}

#define assert_double_close(a, b, rel)                                         \
    do {                                                                       \
        double a_ = (a), b_ = (b);                                             \
        if (!pdx_test_close(a_, b_, (rel), 0.0))                               \
            fail_msg("%s = %.17g but %s = %.17g (relative tolerance %g)", #a,  \
                     a_, #b, b_, (double)(rel));                               \
    } while (0)

#define assert_double_near(a, b, abs_tol)                                      \
    do {                                                                       \
        double a_ = (a), b_ = (b);                                             \
        if (!pdx_test_close(a_, b_, 0.0, (abs_tol)))                           \
            fail_msg("%s = %.17g but %s = %.17g (absolute tolerance %g)", #a,  \
                     a_, #b, b_, (double)(abs_tol));                           \
    } while (0)

#endif

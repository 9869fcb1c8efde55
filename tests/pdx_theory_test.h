/* pdx_theory_test.h — the theory tests' shared fixture: one workspace,
 * made by setup and freed by teardown (include once per test program). */
#ifndef PDX_THEORY_TEST_H
#define PDX_THEORY_TEST_H

#include "pdx/theory.h"

static pdx_theory_workspace *ws;

static int setup(void **state)
{
    (void)state;
    pdx_theory_init();
    return pdx_theory_workspace_create(&ws, NULL) == PDX_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pdx_theory_workspace_destroy(&ws);
    return 0;
}

#endif

/* cmd_theory_robust.h — `pdx theory --curve NAME --budgets ...`: the
 * robust error of a perceptron curve as CSV (cmd_theory_robust.c, issue
 * 18); cmd_theory.c computes the curve's points and hands them over. */
#ifndef PDX_CMD_THEORY_ROBUST_H
#define PDX_CMD_THEORY_ROBUST_H

#include <stddef.h>

#include "pdx/theory.h"

typedef struct pdx_cli_robust_opts {
    double *budgets; /* --budgets list (NULL: the curve's own rows) */
    size_t n_budgets;
    int norm;        /* --norm: pdx_norm */
    double N;        /* --N: input dimension (linf) */
} pdx_cli_robust_opts;

/* --budgets LIST (is_norm 0) or --norm NAME (1) into *o: -1 to go on,
 * else the exit code (2, the error printed). */
int pdx_cli_theory_robust_option(int is_norm, const char *arg,
                                 pdx_cli_robust_opts *o);

/* One row per (alpha, budget) of the curve `kind` at temperature T:
 * alpha,T,label_noise,R,norm,N,budget,robust_error,
 * robust_error_consistent (l2), robust_distance,status
 * (the header first when `header`). Returns the exit code. */
int pdx_cli_theory_robust_rows(pdx_theory_kind kind, const double *alpha,
                               const pdx_perceptron_point *pts, size_t n,
                               double T, double label_noise,
                               int teacher_binary,
                               const pdx_cli_robust_opts *o, int header);

#endif

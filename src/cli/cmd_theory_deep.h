/* cmd_theory_deep.h — `pdx theory --curve deep-*`: the mean-field theory of
 * random deep networks as CSV (cmd_theory_deep.c); cmd_theory.c parses
 * the options and hands them over. */
#ifndef PDX_CMD_THEORY_DEEP_H
#define PDX_CMD_THEORY_DEEP_H

#include <stddef.h>

typedef struct pdx_cli_deep_opts {
    const char *activation;  /* --activation (NULL: tanh) */
    double *sigma_w2;        /* --sigma-w2 list */
    size_t n_sigma_w2;
    double *sigma_b2;        /* --sigma-b2 list */
    size_t n_sigma_b2;
    double *c0;              /* --c0 list (NULL: 0.5) */
    size_t n_c0;
    double q0;               /* --q0 (1) */
    long depth;              /* --depth (0: not given) */
} pdx_cli_deep_opts;

/* The --help text of the deep curves (after pdx theory's). */
extern const char *const pdx_cli_theory_deep_usage;

/* 1 if `name` is a deep curve (deep-order-chaos, deep-scales,
 * deep-layers). */
int pdx_cli_theory_is_deep(const char *name);

/* Print the deep curve `name` as CSV on stdout; returns the exit code (2
 * with the error printed for bad or missing options). */
int pdx_cli_theory_deep_curve(const char *name, const pdx_cli_deep_opts *o);

#endif

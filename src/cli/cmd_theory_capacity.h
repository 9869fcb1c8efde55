/* cmd_theory_capacity.h — `pdx theory --curve gardner-capacity |
 * binary-storage | binary-capacity | franz-parisi`: storage capacities of perceptrons as
 * CSV (cmd_theory_capacity.c); cmd_theory.c parses the options and hands
 * them over. */
#ifndef PDX_CMD_THEORY_CAPACITY_H
#define PDX_CMD_THEORY_CAPACITY_H

#include <stddef.h>

typedef struct pdx_cli_capacity_opts {
    double *kappa;          /* --kappa list (NULL: 0) */
    size_t n_kappa;
    const double *alpha;    /* --alpha list (binary-storage) */
    size_t n_alpha;
    double label_noise;     /* --label-noise F */
    int label_noise_given;  /* gardner-capacity: F = 1 unless given */
    double *distance;       /* --distance list (franz-parisi) */
    size_t n_distance;
} pdx_cli_capacity_opts;

/* The --help text of the capacity curves (after pdx theory's). */
extern const char *const pdx_cli_theory_capacity_usage;

/* 1 if `name` is a capacity curve. */
int pdx_cli_theory_is_capacity(const char *name);

/* Print the capacity curve `name` as CSV on stdout; returns the exit code
 * (2 with the error printed for bad or missing options). */
int pdx_cli_theory_capacity_curve(const char *name,
                                  const pdx_cli_capacity_opts *o);

#endif

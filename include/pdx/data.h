/* pdx/data.h — fixed training sets: Gaussian inputs labelled by a teacher,
 * label noise, input noise and input corruption.
 *
 * Example mu of replica r is a pure function of (seed, r, mu) and the noise
 * parameters: its clean input is block mu of the DATA stream, so the set
 * for a smaller alpha is a prefix of the set for a larger one (nested), and
 * every cell of a replica trains on the same examples (common random
 * numbers). The noise of example mu comes from block mu of the DATA_NOISE
 * stream (one sub-block per kind of noise), and a corruption decision is
 * "u_mu < fraction" with u_mu fixed per example, so the corrupted examples
 * at a smaller noise level are a subset of those at a larger one.
 *
 * A dataset is a caller-sized workspace: generating never allocates, and a
 * request that differs from the held set only by a smaller or larger P
 * reuses the examples already made. */
#ifndef PDX_DATA_H
#define PDX_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "pdx/error.h"
#include "pdx/model.h"
#include "pdx/spec.h"

typedef struct pdx_dataset {
    size_t N, P;          /* the current set: P examples of dimension N */
    size_t max_N, max_P;  /* capacity */
    int classification;   /* labels are +-1 (perceptron teacher) */
    double *x;            /* P x N inputs as trained on (noise applied) */
    double *y;            /* P training labels (label noise applied) */
    double *y_clean;      /* P teacher labels of the clean inputs */
    double *y_teacher;    /* P labels before label noise (output noise
                           * applied) */
    /* what the held examples were made from (cache key, without the label
     * noise: inputs are kept when only the label noise changes) */
    size_t made;          /* x, y_clean, y_teacher 0..made-1 are valid */
    uint64_t key[8];
    size_t labels_made;   /* y 0..labels_made-1 are valid for labels_noise */
    double labels_noise;
    double *scratch;      /* 2N + 2 doubles */
} pdx_dataset;

/* A dataset of capacity max_P x max_N. Returns PDX_OK or PDX_ERR_NOMEM. */
pdx_status pdx_dataset_create(pdx_dataset **out, size_t max_N, size_t max_P,
                              pdx_error *err);
void pdx_dataset_destroy(pdx_dataset **data);

/* Bytes pdx_dataset_create allocates. */
double pdx_dataset_bytes(size_t max_N, size_t max_P);

/* The teacher's label of input x: +-1 (sign, 0 counts as +1) for a
 * classification teacher, its output otherwise. `nu` is scratch for the
 * teacher's pre-activations. */
double pdx_data_label(const pdx_committee *teacher, int classification,
                      const double *x, double *nu);

/* 64-bit summary of a deep teacher's sizes and variances (depth, width,
 * activation, sigma_w2, sigma_b2), for caches of labelled inputs. */
uint64_t pdx_data_deep_key(const pdx_params *params);

/* Make the training set of task (params, seed, replica) labelled by
 * `teacher` (P = pdx_params_train_size). Uses `nu` (teacher units) as
 * scratch. Returns PDX_OK, or PDX_ERR_USAGE when P or N exceed the
 * capacity. Thread-safe on distinct datasets. */
pdx_status pdx_dataset_generate(pdx_dataset *data, const pdx_params *params,
                                const pdx_committee *teacher, uint64_t seed,
                                uint64_t replica, double *nu, pdx_error *err);

#endif

/* train_internal.h — the trainer object and the trainer table, private to
 * src/train/ (and to white-box tests, which include it by relative path).
 *
 * One file per algorithm family (online.c, gradient.c, rules.c,
 * metropolis.c) defines one row, a const pdx__trainer_type; trainer.c
 * holds the table of rows, the object (create, destroy, set: teacher,
 * student, test set, training set) and dispatches pdx_trainer_iterate
 * through the row of the current task. Family files never call each
 * other: what two of them need lives here or in helpers.c.
 * docs/TRAINERS.md is the recipe for adding a row. */
#ifndef PDX_TRAIN_INTERNAL_H
#define PDX_TRAIN_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "pdx/data.h"
#include "pdx/model.h"
#include "pdx/spec.h"
#include "pdx/train.h"

/* The largest workspace a trainer is made for (pdx_trainer_create_finite). */
typedef struct pdx__trainer_sizes {
    size_t max_N, max_K, max_M, max_test, max_P;
    pdx_trainer_deep_limits deep; /* deep networks (all 0: none) */
} pdx__trainer_sizes;

/* One train.algorithm value a row serves. */
typedef struct pdx__trainer_algorithm {
    const char *name;   /* the spec's choice name ("sgd") */
    int algorithm;      /* its pdx_algorithm value (PDX_ALG_SGD) */
    int averages;       /* 1: the sweep samples burn-in averages at every
                         * sweep (epoch) from train.burn_in on */
} pdx__trainer_algorithm;

/* A row of the trainer table: a family of algorithms. Every function gets
 * the trainer of the current task (params, teacher, student, training set
 * and common workspace already set). */
typedef struct pdx__trainer_type {
    const char *family;                     /* "online", "gradient", ... */
    const pdx__trainer_algorithm *algorithms; /* served; ended by name NULL */
    int finite;   /* 1: trains on a fixed training set (pdx/data.h): the
                   * trainer makes the set and resets the common finite
                   * state (perm, time_to_fit) before start */
    int deep;     /* 1: serves deep students (student.kind deep) of its
                   * algorithms, 0: every other student; an algorithm has
                   * at most one row of each */
    /* Bytes of the family's own per-task state (a struct at the start of
     * trainer->family, 64-byte aligned; counted in the fixed part of the
     * memory estimate) and doubles of its workspace after it, for a
     * trainer of these sizes (only allocated when sizes->max_P > 0 for
     * finite rows). trainer->family holds one row's state at a time. */
    size_t state_bytes;
    double (*workspace_doubles)(const pdx__trainer_sizes *sizes);
    /* Per task, after the training set is made: initial state. Optional. */
    void (*start)(pdx_trainer *t);
    /* Train until step `until` (<= total_steps, > t->step possible or
     * not). Returns 1 if the run diverged (the caller marks it), else 0;
     * the caller then checks the weights (pdx_trainer_check). */
    int (*iterate)(pdx_trainer *t, int64_t until);
    /* Optional: the student's local fields w.x_mu (unscaled) on the
     * training set, when the family keeps them current; NULL: computed. */
    const double *(*fields)(const pdx_trainer *t);
    /* Optional: fraction of moves accepted so far (Monte Carlo). */
    double (*accept_rate)(const pdx_trainer *t);
    /* Optional: per-layer measurements (pdx_trainer_layers). */
    size_t (*layers)(const pdx_trainer *t, const double **q,
                     const double **c, const double **chi,
                     const double **length);
    /* Optional: replicated training (pdx_trainer_replicas). */
    size_t (*replicas)(const pdx_trainer *t, const pdx_committee **replicas,
                       double *time_to_success);
} pdx__trainer_type;

/* The rows, defined in the family files; the table is in trainer.c. */
extern const pdx__trainer_type pdx__trainer_online;
extern const pdx__trainer_type pdx__trainer_gradient;
extern const pdx__trainer_type pdx__trainer_rules;
extern const pdx__trainer_type pdx__trainer_metropolis;
extern const pdx__trainer_type pdx__trainer_deep;
extern const pdx__trainer_type pdx__trainer_propagate;
extern const pdx__trainer_type pdx__trainer_replicated_mc;
extern const pdx__trainer_type pdx__trainer_replicated_sgd;

/* The metropolis family's helpers in their own files (issue 14 item 4):
 * the version-space entry (metropolis_entry.c: perceptron rule from the
 * student's weights until no training error, then back on the sphere;
 * returns the epochs taken or NaN after PDX_ENTRY_MAX_EPOCHS) and the
 * parallel-tempering run (tempering.c). */
#define PDX_ENTRY_MAX_EPOCHS 10000
double pdx__metropolis_entry(pdx_trainer *t);
/* Parallel tempering (tempering.c): its workspace (after metropolis'
 * own), the ladder's start from the student's weights, and the run to
 * `until` (the task's configuration into the student and the fields into
 * t->scratch; its energy and accepted moves into *energy, *accepted). */
double pdx__tempering_doubles(const pdx__trainer_sizes *sz);
void pdx__tempering_start(pdx_trainer *t, double *region);
void pdx__tempering_iterate(pdx_trainer *t, double *region, const double *xt,
                            int64_t until, int64_t *energy,
                            int64_t *accepted);
extern const pdx__trainer_type pdx__trainer_entropy_sgd;
extern const pdx__trainer_type pdx__trainer_replicated_deep;
extern const pdx__trainer_type pdx__trainer_entropy_deep;

/* The table (NULL-terminated) and the row serving an algorithm for deep
 * (deep = 1) or other students (NULL: none). */
extern const pdx__trainer_type *const pdx__trainer_table[];
const pdx__trainer_type *pdx__trainer_type_of(int algorithm, int deep,
                                              const pdx__trainer_algorithm
                                                  **served);

struct pdx_trainer {
    const pdx__trainer_type *type; /* row of the current task */
    pdx_params params;
    pdx_committee student;
    pdx_committee teacher;
    int64_t step;           /* steps taken */
    int64_t total_steps;    /* round(train.alpha N) or train.epochs steps */
    int64_t steps_per_epoch;/* steps in one unit of time */
    int diverged;           /* 1 once the run is diverged */
    int classification;     /* +-1 labels (perceptron teacher) */
    uint64_t seed, replica;
    uint64_t cell_key;      /* pdx_grid_cell_key: per-cell streams */
    uint64_t chain;         /* 0, or record.bayes's second chain (its own
                             * START stream and dynamics keys) */
    double time_to_fit;     /* first time the training error was 0 (NaN) */
    pdx__trainer_sizes sizes;
    /* common workspace */
    double *x;              /* one input (+1 for label noise); N scratch */
    double *lambda;         /* K student pre-activations */
    double *nu;             /* M teacher pre-activations */
    double *coef;           /* K update coefficients */
    /* Test sets held: slot test_slot is current (test_x, test_y), the
     * other the previous one, so that a thread alternating between two
     * replicas does not regenerate them (test_slots = 1 when two would
     * exceed PDX_TEST_CACHE_BYTES). test_keys: what each was made from. */
    size_t test_size;       /* inputs in the test set (0 if unused) */
    double *test_x;         /* test_size x N, row-major (the current slot) */
    double *test_y;         /* clean teacher outputs on test_x */
    int test_slots, test_slot;
    double *test_x_slot[2], *test_y_slot[2];
    uint64_t test_keys[2][4];
    /* common to the finite-set families (max_P > 0; else NULL) */
    pdx_dataset *data;      /* the training set */
    double *grad_w;         /* K x N: gradient (gradient family); the
                             * student's weights before projection onto the
                             * sphere or the signs, set by pdx_trainer_set
                             * (the hidden weights of clipped rules) */
    double *grad_v;         /* K */
    double *scratch;        /* P doubles: the shuffle's uniforms, or the
                             * family's own use (Metropolis: fields) */
    uint32_t *perm;         /* P: the current epoch's order */
    int64_t perm_epoch;     /* epoch perm belongs to (-1: none) */
    /* the current row's state and workspace (see state_bytes) */
    void *family;
    size_t family_bytes;
    /* deep networks (NULL unless the limits asked for them): the trained
     * student (student.deep points here for deep students) and the
     * teacher (teacher.deep) */
    pdx_deep *student_net, *teacher_net;
    /* equilibrated Monte Carlo (issue 14 item 4; metropolis.c,
     * metropolis_entry.c, tempering.c); NaN unless used */
    double entry_epochs;    /* train.entry: epochs to the version space */
    double swap_rate;       /* parallel tempering: exchange acceptance */
    /* test sets from a source shared with other trainers (issue 20;
     * NULL: the slots above) and the entry of it held */
    const pdx_test_source *test_source;
    void *test_held;
};

/* The row's state struct at the start of t->family, and its workspace of
 * doubles after it. */
static inline void *pdx__family_state(pdx_trainer *t)
{
    return t->family;
}
static inline const void *pdx__family_state_const(const pdx_trainer *t)
{
    return t->family;
}
static inline double *pdx__family_doubles(pdx_trainer *t)
{
    size_t off = (t->type->state_bytes + 63) / 64 * 64;
    return (double *)((char *)t->family + off);
}

/* ---- helpers shared by the families (helpers.c and inline here) ---- */

/* Predictions are sign(yhat) with sign(0) = +1. */
static inline int pdx__misclassified(double yhat, double y)
{
    return (yhat >= 0.0) != (y > 0.0);
}

/* d loss / d yhat (train.loss) */
static inline double pdx__loss_slope(int loss, double y, double yhat)
{
    switch (loss) {
    case PDX_LOSS_LOGISTIC: return -y / (1.0 + exp(y * yhat));
    case PDX_LOSS_HINGE: return y * yhat <= 0.0 ? -y : 0.0;
    case PDX_LOSS_SQUARED:
    default: return yhat - y;
    }
}

/* Student output on x; lambda[k] receives the pre-activations and g[k]
 * (K <= 64: spec student.hidden) the activations. */
static inline double pdx__student_output(const pdx_committee *s,
                                         const double *x, double *lambda,
                                         double *g, double inv_sqrt_N)
{
    double yhat = 0.0;
    if (s->deep != NULL)
        return pdx_deep_forward(s->deep, x);
    pdx_model_dot_rows(s->w, s->K, s->N, x, s->N, lambda);
    for (size_t k = 0; k < s->K; k++)
        lambda[k] *= inv_sqrt_N;
    pdx_model_g_many(s->activation, lambda, g, s->K);
    for (size_t k = 0; k < s->K; k++)
        yhat += s->v[k] * g[k];
    return yhat;
}

/* The loss (train.loss) of output yhat on label y. */
double pdx__loss_value(int loss, double y, double yhat);

/* The minibatch gradient of s on examples idx[0..b-1] into t->grad_w and
 * t->grad_v (when train_v); 1 on a non-finite loss slope (helpers.c;
 * entropy_sgd's inner steps, replicated_sgd's replicas). */
int pdx__batch_gradient(pdx_trainer *t, const pdx_committee *s,
                        const uint32_t *idx, size_t b, int train_v);

/* Scale w (n entries) onto |w|^2 = n; a zero vector stays zero. */
void pdx__to_sphere(double *w, size_t n);

/* The order of epoch `epoch` into t->perm (Fisher-Yates on the SHUFFLE
 * stream's uniforms, drawn into t->scratch). */
void pdx__make_perm(pdx_trainer *t, int64_t epoch);

/* The minibatch at position `pos` of epoch `epoch` (batches of
 * min(train.batch, P) examples, the last one shorter): the epoch's order
 * made if it is not t->perm yet, *idx its first example in it; returns
 * its size. The walk of every minibatch trainer (sgd, entropy_sgd,
 * replicated_sgd, shallow and deep). */
size_t pdx__epoch_batch(pdx_trainer *t, int64_t epoch, int64_t pos,
                        const uint32_t **idx);

/* Entropy-SGD's walk (entropy_sgd.c, entropy_deep.c): step by step to
 * `until` on the minibatches of pdx__epoch_batch, an outer step of
 * train.esgd_langevin_steps inner steps (the last one cut at the end of
 * the run): begin when *inner is 0, inner on each minibatch (1: a
 * non-finite step, returned; *inner counts them), end after the last
 * inner step (which sets *inner back to 0); the fit noted at each epoch's start and the end. */
typedef struct pdx__entropy_steps {
    void (*begin)(pdx_trainer *t, void *state);
    int (*inner)(pdx_trainer *t, void *state, const uint32_t *idx, size_t b);
    void (*end)(pdx_trainer *t, void *state);
} pdx__entropy_steps;

int pdx__entropy_iterate(pdx_trainer *t, int64_t until, void *state,
                         int64_t *inner,
                         const pdx__entropy_steps *steps);

/* The coupling of replicated training at time `time` (epochs, or sweeps
 * of replicated_mc): min(train.replica_gamma (1 +
 * train.replica_gamma_growth)^time, train.replica_gamma_max). */
double pdx__replica_gamma(const pdx_params *p, double time);

/* Sets time_to_fit to the current time if it is unset and the student
 * classifies every training example (noisy labels) correctly. */
void pdx__note_fit(pdx_trainer *t);

/* adversarial.c: x + delta into out (N doubles), the attack of
 * train.adversarial_attack (budget train.adversarial_budget, norm
 * record.norm) on the training loss of (x, y) at the current weights;
 * uses t->lambda and t->coef. */
void pdx__adversarial_input(pdx_trainer *t, const double *x, double y,
                            double *out);

/* deep_step.c: a deep student's minibatch gradient, for every family
 * that trains deep nets (deep.c, replicated_deep.c, entropy_deep.c). */
typedef struct pdx__deep_step {
    pdx_deep grad;                       /* the gradient (a net's sizes) */
    double *h, *act, *delta, *yhat, *dyhat, *x; /* the batch's arrays */
} pdx__deep_step;
/* Doubles of the gradient and the arrays for the limits' largest net
 * and batch (0 without trained deep students). */
double pdx__deep_step_doubles(const pdx__trainer_sizes *sz);
/* Doubles of one net's weights, biases and readout at capacity (the
 * readout bias a0 lives in the pdx_deep). */
double pdx__deep_param_doubles(const pdx__trainer_sizes *sz);
/* Lays st over ws (pdx__deep_step_doubles of them) for the current
 * student; returns the first double after. */
double *pdx__deep_step_init(pdx_trainer *t, pdx__deep_step *st, double *ws);
/* The gradient of the summed loss of examples idx[0..B-1] at `net` into
 * st->grad (dropout `drop`, NULL: none). Returns 1 on a non-finite loss
 * slope (diverged), else 0. */
int pdx__deep_gradient(pdx_trainer *t, pdx__deep_step *st,
                       const pdx_deep *net, const uint32_t *idx, size_t B,
                       const pdx_deep_dropout *drop);
/* The four parameter blocks of a net (weights, biases, readout, readout
 * bias) and their lengths; returns 4. */
size_t pdx__deep_parts(pdx_deep *net, double *part[4], size_t len[4]);
/* view = a net of like's sizes whose parameters are params (weights, then
 * biases, then readout, contiguous; a0 in the view). */
void pdx__deep_view(pdx_deep *view, const pdx_deep *like, double *params);

#endif

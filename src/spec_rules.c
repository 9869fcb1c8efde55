/* spec_rules.c — the rules of a whole spec that no single key can check:
 * which algorithms train which students, finite-set versus online keys,
 * the closed-form eg, the size of the grid, the default record.times. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec_internal.h"
/* ------------------------------------------------------------ whole spec */

/* Values key `id` takes over the grid: its axis, or its one base value. */
static size_t spec_key_values(const pdx_spec *spec, pdx_key_id id,
                              double *scalar, const double **values)
{
    for (size_t a = 0; a < spec->n_axes; a++)
        if (spec->axes[a].key == id) {
            *values = spec->axes[a].values;
            return spec->axes[a].n;
        }
    *scalar = pdx_params_get(&spec->base, id);
    *values = scalar;
    return 1;
}

/* record.eg = closed_form needs erf/erf or linear/linear in every cell. */
pdx_status spec_check_eg(const spec_parser *p)
{
    const pdx_spec *spec = p->spec;
    double eg_scalar, teacher_scalar, student_scalar;
    const double *eg, *teacher, *student;
    size_t n_eg = spec_key_values(spec, PDX_K_RECORD_EG, &eg_scalar, &eg);
    size_t n_teacher = spec_key_values(spec, PDX_K_TEACHER_ACTIVATION,
                                       &teacher_scalar, &teacher);
    size_t n_student = spec_key_values(spec, PDX_K_STUDENT_ACTIVATION,
                                       &student_scalar, &student);
    int closed_form = 0;
    for (size_t i = 0; i < n_eg; i++)
        closed_form |= (int)eg[i] == PDX_EG_CLOSED_FORM;
    if (!closed_form)
        return PDX_OK;
    /* zipped activations meet only at the same index (issue 19) */
    int zipped = 0;
    for (size_t a = 0; a < spec->n_axes; a++)
        for (size_t b = 0; b < spec->n_axes; b++)
            zipped |= spec->axes[a].key == PDX_K_TEACHER_ACTIVATION &&
                      spec->axes[b].key == PDX_K_STUDENT_ACTIVATION &&
                      spec->axes[a].zip != 0 &&
                      spec->axes[a].zip == spec->axes[b].zip;
    for (size_t t = 0; t < n_teacher; t++)
        for (size_t s = 0; s < n_student; s++) {
            if (zipped && s != t)
                continue;
            int g_teacher = (int)teacher[t], g_student = (int)student[s];
            if (g_teacher == g_student &&
                (g_teacher == PDX_ACT_ERF || g_teacher == PDX_ACT_LINEAR))
                continue;
            const pdx_key *key = &p->keys[PDX_K_RECORD_EG];
            return spec_fail_at(
                p, PDX_ERR_SPEC, p->value_line[PDX_K_RECORD_EG],
                p->value_column[PDX_K_RECORD_EG], key->name,
                "%s needs %s and %s both %s or both %s, but the sweep has "
                "%s = %s with %s = %s; use %s or %s",
                pdx_spec_choice_name(PDX_K_RECORD_EG, PDX_EG_CLOSED_FORM),
                p->keys[PDX_K_TEACHER_ACTIVATION].name,
                p->keys[PDX_K_STUDENT_ACTIVATION].name,
                pdx_spec_choice_name(PDX_K_STUDENT_ACTIVATION, PDX_ACT_ERF),
                pdx_spec_choice_name(PDX_K_STUDENT_ACTIVATION, PDX_ACT_LINEAR),
                p->keys[PDX_K_TEACHER_ACTIVATION].name,
                pdx_spec_choice_name(PDX_K_TEACHER_ACTIVATION, g_teacher),
                p->keys[PDX_K_STUDENT_ACTIVATION].name,
                pdx_spec_choice_name(PDX_K_STUDENT_ACTIVATION, g_student),
                pdx_spec_choice_name(PDX_K_RECORD_EG, PDX_EG_AUTO),
                pdx_spec_choice_name(PDX_K_RECORD_EG, PDX_EG_TEST_SET));
        }
    return PDX_OK;
}

/* ------------------------------------------------- finite training sets */

/* Keys whose combinations the cross-key rules below read. */
static const pdx_key_id spec_rule_keys[] = {
    PDX_K_N,
    PDX_K_TEACHER_KIND,
    PDX_K_TEACHER_WEIGHTS,
    PDX_K_STUDENT_KIND,
    PDX_K_STUDENT_WEIGHTS,
    PDX_K_DATA_ALPHA,
    PDX_K_TRAIN_ALGORITHM,
    PDX_K_TRAIN_LOSS,
    PDX_K_TRAIN_START,
    PDX_K_TRAIN_EPOCHS,
    PDX_K_TRAIN_ALPHA,
    PDX_K_TRAIN_BURN_IN,
    PDX_K_TRAIN_TEMPERATURE,
    PDX_K_TRAIN_BATCH,
    PDX_K_TRAIN_LEARNING_RATE,
    PDX_K_RECORD_EG,
    PDX_K_TEACHER_ACTIVATION,
    PDX_K_STUDENT_ACTIVATION,
    PDX_K_STUDENT_DEPTH,
    PDX_K_STUDENT_WIDTH,
    PDX_K_TEACHER_DEPTH,
    PDX_K_TEACHER_WIDTH,
    PDX_K_RECORD_ATTACK,
    PDX_K_TRAIN_ADVERSARIAL_BUDGET,
    PDX_K_TRAIN_NOISE_SCALE,
    PDX_K_TRAIN_DROPOUT,
    PDX_K_RECORD_EVIDENCE,
    PDX_K_TEACHER_NORMALISE,
    PDX_K_TEACHER_HIDDEN,
};
#define SPEC_RULE_KEYS (sizeof spec_rule_keys / sizeof spec_rule_keys[0])
#define SPEC_MAX_RULE_CELLS 1000000u /* combinations checked at most */

static const char *spec_choice(pdx_key_id id, int value)
{
    const char *name = pdx_spec_choice_name(id, value);
    return name != NULL ? name : "?";
}

/* A cross-key rule broken by the combination `c`: the message names the
 * key `id` at fault, at the place its value was given (or the first line
 * of the spec when it was left to its default). */
SPEC_PRINTF(3, 4)
static pdx_status spec_rule_fail(const spec_parser *p, pdx_key_id id,
                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int line = p->spec->given[id] ? p->value_line[id] : 1;
    int column = p->spec->given[id] ? p->value_column[id] : 1;
    pdx_status status = spec_vfail(p, PDX_ERR_SPEC, line, column,
                                   p->keys[id].name, fmt, ap);
    va_end(ap);
    return status;
}

/* Online learning and finite training sets have their own keys and time
 * units: the rules of the combination `c` about which it uses. */
static pdx_status spec_check_time_unit(const spec_parser *p,
                                       const pdx_params *c)
{
    const pdx_spec *spec = p->spec;
    int alg = c->train_algorithm;
    int perceptron_teacher = c->teacher_kind == PDX_MODEL_PERCEPTRON;
    int perceptron_student = c->student_kind == PDX_MODEL_PERCEPTRON;

    if (alg == PDX_ALG_ONLINE) {
        static const pdx_key_id finite_only[] = {
            PDX_K_DATA_ALPHA, PDX_K_DATA_LABEL_NOISE, PDX_K_DATA_INPUT_NOISE,
            PDX_K_DATA_INPUT_CORRUPTION, PDX_K_TRAIN_EPOCHS,
            PDX_K_TRAIN_BATCH, PDX_K_TRAIN_TEMPERATURE, PDX_K_TRAIN_LOSS,
            PDX_K_TRAIN_WEIGHT_DECAY, PDX_K_TRAIN_BURN_IN, PDX_K_TRAIN_START,
            PDX_K_TRAIN_MOVE_SCALE};
        for (size_t i = 0; i < sizeof finite_only / sizeof finite_only[0];
             i++)
            if (spec->given[finite_only[i]])
                return spec_rule_fail(
                    p, finite_only[i],
                    "applies to training on a fixed training set, but "
                    "train.algorithm is online (fresh inputs; its training "
                    "time is train.alpha)");
        if (perceptron_teacher || perceptron_student)
            return spec_rule_fail(
                p, perceptron_teacher ? PDX_K_TEACHER_KIND
                                      : PDX_K_STUDENT_KIND,
                "online learning is implemented for committee teachers and "
                "committee or twolayer students; use a finite-set algorithm "
                "(sgd, perceptron, ...) for perceptrons");
    } else {
        if (spec->given[PDX_K_TRAIN_ALPHA])
            return spec_rule_fail(
                p, PDX_K_TRAIN_ALPHA,
                "is the training time of online learning; with "
                "train.algorithm %s the training set has data.alpha = P/N "
                "examples and the training time is train.epochs",
                spec_choice(PDX_K_TRAIN_ALGORITHM, alg));
        if (alg != PDX_ALG_PROPAGATE &&
            ((double)pdx_params_train_size(c) < 1.0 ||
             floor(c->data_alpha * (double)c->N + 0.5) < 1.0))
            return spec_rule_fail(
                p, PDX_K_DATA_ALPHA,
                "alpha = %.6g with N = %" PRId64 " gives an empty training "
                "set (P = round(alpha N) must be at least 1)",
                c->data_alpha, c->N);
    }
    return PDX_OK;
}

/* A training time (train.epochs, or train.alpha online) given below the
 * first checkpoint would record nothing but NaN in cells marked done. */
static pdx_status spec_check_training_time(const spec_parser *p,
                                           const pdx_params *c)
{
    const pdx_spec *spec = p->spec;
    pdx_key_id id = c->train_algorithm == PDX_ALG_ONLINE ? PDX_K_TRAIN_ALPHA
                                                         : PDX_K_TRAIN_EPOCHS;
    double time = pdx_params_get(c, id);
    if (!spec->given[id] || spec->n_times == 0 || time >= spec->times[0])
        return PDX_OK;
    return spec_rule_fail(p, id,
                          "%.6g ends training before the first checkpoint "
                          "(record.times starts at %.6g): every recorded "
                          "value would be NaN; train at least until %.6g or "
                          "add earlier times",
                          time, spec->times[0], spec->times[0]);
}

/* Bytes of the weights a deep net of this side keeps: every layer when
 * trained or labelling (teacher), one layer at a time when it only
 * propagates signals (src/train/propagate.c makes each layer afresh). */
static double deep_weight_bytes(const pdx_params *c, int student)
{
    double N = (double)c->N;
    double n = (double)(student ? c->student_width : c->teacher_width);
    double L = (double)(student ? c->student_depth : c->teacher_depth);
    if (student && c->train_algorithm == PDX_ALG_PROPAGATE)
        return 8.0 * n * (n > N ? n : N);
    return 8.0 * (n * N + (L - 1.0) * n * n + (L + 1.0) * n);
}

/* Deep networks: which algorithms train them, which kinds they meet,
 * whether one fits in memory. */
static pdx_status spec_check_deep(const spec_parser *p, const pdx_params *c)
{
    int alg = c->train_algorithm;
    int deep_student = c->student_kind == PDX_MODEL_DEEP;
    int deep_teacher = c->teacher_kind == PDX_MODEL_DEEP;
    if (alg == PDX_ALG_PROPAGATE && !deep_student)
        return spec_rule_fail(p, PDX_K_STUDENT_KIND,
                              "train.algorithm propagate sends signals "
                              "through a random deep student: it needs "
                              "student.kind deep, not %s",
                              spec_choice(PDX_K_STUDENT_KIND,
                                          c->student_kind));
    if (deep_student && alg != PDX_ALG_PROPAGATE && alg != PDX_ALG_SGD &&
        alg != PDX_ALG_GD && alg != PDX_ALG_REPLICATED_SGD &&
        alg != PDX_ALG_ENTROPY_SGD)
        return spec_rule_fail(p, PDX_K_TRAIN_ALGORITHM,
                              "deep students are trained by sgd, gd, "
                              "replicated_sgd or entropy_sgd (or probed at "
                              "initialisation by propagate), not by %s",
                              spec_choice(PDX_K_TRAIN_ALGORITHM, alg));
    if (deep_teacher && alg == PDX_ALG_ONLINE)
        return spec_rule_fail(p, PDX_K_TEACHER_KIND,
                              "deep teachers label fixed training sets "
                              "(sgd, gd): online learning is implemented for "
                              "committee teachers");
    if (deep_teacher && c->student_kind == PDX_MODEL_PERCEPTRON)
        return spec_rule_fail(p, PDX_K_STUDENT_KIND,
                              "a perceptron student learns +-1 labels: it "
                              "needs teacher.kind perceptron");
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    double memory = pages > 0 && page > 0 ? (double)pages * (double)page
                                          : INFINITY;
    for (int student = 1; student >= 0; student--) {
        if (!(student ? deep_student : deep_teacher))
            continue;
        double bytes = deep_weight_bytes(c, student);
        if (bytes > 0.5 * memory)
            return spec_rule_fail(
                p, student ? PDX_K_STUDENT_WIDTH : PDX_K_TEACHER_WIDTH,
                "%" PRId64 " units (depth %" PRId64 ", N = %" PRId64 ") "
                "need %.3g GiB of weights per thread, more than half of "
                "this machine's %.3g GiB of memory",
                student ? c->student_width : c->teacher_width,
                student ? c->student_depth : c->teacher_depth, c->N,
                bytes / 1073741824.0, memory / 1073741824.0);
    }
    return PDX_OK;
}

/* Robust error and adversarial training (issue 18): which students and
 * algorithms they serve. */
static pdx_status spec_check_robust(const spec_parser *p, const pdx_params *c)
{
    const pdx_spec *spec = p->spec;
    int measured = spec->n_budgets > 0;
    if (measured && c->train_algorithm == PDX_ALG_PROPAGATE)
        return spec_rule_fail(p, PDX_K_RECORD_BUDGETS,
                              "the robust error is measured on trained "
                              "students (propagate has no test set)");
    if (measured && c->record_attack == PDX_ATTACK_EXACT &&
        c->student_kind != PDX_MODEL_PERCEPTRON)
        return spec_rule_fail(p, PDX_K_RECORD_ATTACK,
                              "exact needs a perceptron student (the "
                              "distance to its plane); use fgsm, pgd or auto");
    if (c->train_adversarial_budget > 0 &&
        (c->train_algorithm != PDX_ALG_SGD ||
         c->student_kind == PDX_MODEL_DEEP ||
         c->student_kind == PDX_MODEL_PERCEPTRON))
        return spec_rule_fail(p, PDX_K_TRAIN_ADVERSARIAL_BUDGET,
                              "adversarial training needs train.algorithm "
                              "sgd and a committee or twolayer student");
    return PDX_OK;
}

/* teacher.normalise: orthonormal rows need M <= N. */
static pdx_status spec_check_normalise(const spec_parser *p,
                                       const pdx_params *c)
{
    if (c->teacher_normalise == PDX_NORMALISE_ORTHONORMAL &&
        c->teacher_kind == PDX_MODEL_COMMITTEE && c->teacher_hidden > c->N)
        return spec_rule_fail(p, PDX_K_TEACHER_NORMALISE,
                              "orthonormal rows need teacher.hidden <= N "
                              "(M = %" PRId64 ", N = %" PRId64 ")",
                              c->teacher_hidden, c->N);
    return PDX_OK;
}

/* A binary committee machine trained by replicated_mc (issue 16): the
 * one committee with binary weights. */
static int spec_binary_committee(const pdx_params *c)
{
    return c->train_algorithm == PDX_ALG_REPLICATED_MC &&
           c->student_kind == PDX_MODEL_COMMITTEE &&
           c->student_weights == PDX_WEIGHTS_BINARY;
}

/* Replicated training (issue 16): which students and teachers. */
static pdx_status spec_check_replicated(const spec_parser *p,
                                        const pdx_params *c)
{
    int alg = c->train_algorithm;
    if (alg == PDX_ALG_REPLICATED_MC &&
        ((c->student_kind != PDX_MODEL_PERCEPTRON &&
          c->student_kind != PDX_MODEL_COMMITTEE) ||
         c->student_weights != PDX_WEIGHTS_BINARY))
        return spec_rule_fail(p,
                              p->spec->given[PDX_K_STUDENT_WEIGHTS]
                                  ? PDX_K_STUDENT_WEIGHTS
                                  : PDX_K_TRAIN_ALGORITHM,
                              "replicated_mc trains binary perceptrons and "
                              "binary committee machines (student.kind "
                              "perceptron or committee, student.weights "
                              "binary)");
    if (alg == PDX_ALG_REPLICATED_MC &&
        c->student_kind == PDX_MODEL_COMMITTEE) {
        if (c->student_hidden % 2 == 0)
            return spec_rule_fail(p, PDX_K_STUDENT_HIDDEN,
                                  "%" PRId64 ": a binary committee machine "
                                  "votes with an odd number of units",
                                  c->student_hidden);
        if (c->train_mc_energy != PDX_ENERGY_ERRORS)
            return spec_rule_fail(p, PDX_K_TRAIN_MC_ENERGY,
                                  "binary committee machines are annealed "
                                  "on errors (stability is for perceptrons)");
        if (c->teacher_kind != PDX_MODEL_PERCEPTRON)
            return spec_rule_fail(p, PDX_K_TEACHER_KIND,
                                  "a binary committee machine learns +-1 "
                                  "labels: it needs teacher.kind perceptron");
    }
    if (alg == PDX_ALG_REPLICATED_MC && !p->spec->given[PDX_K_TRAIN_TEMPERATURE])
        return spec_rule_fail(p, PDX_K_TRAIN_ALGORITHM,
                              "replicated_mc needs train.temperature (the "
                              "starting temperature 1/beta0; 0: zero "
                              "temperature)");
    if (alg == PDX_ALG_REPLICATED_SGD &&
        c->student_kind == PDX_MODEL_PERCEPTRON &&
        c->student_weights == PDX_WEIGHTS_BINARY)
        return spec_rule_fail(p, PDX_K_STUDENT_KIND,
                              "replicated_sgd trains perceptron (continuous "
                              "or spherical weights), committee, twolayer "
                              "and deep students");
    if (alg == PDX_ALG_REPLICATED_SGD && c->train_adversarial_budget > 0)
        return spec_rule_fail(p, PDX_K_TRAIN_ADVERSARIAL_BUDGET,
                              "adversarial training is for train.algorithm "
                              "sgd, not replicated_sgd");
    return PDX_OK;
}

/* Entropy-SGD and the local energy (issue 16): which students they serve. */
static pdx_status spec_check_flatness(const spec_parser *p,
                                      const pdx_params *c)
{
    const pdx_spec *spec = p->spec;
    int alg = c->train_algorithm;
    if (alg == PDX_ALG_ENTROPY_SGD &&
        c->student_kind == PDX_MODEL_PERCEPTRON &&
        c->student_weights != PDX_WEIGHTS_CONTINUOUS)
        return spec_rule_fail(p, PDX_K_TRAIN_ALGORITHM,
                              "entropy_sgd trains continuous weights: "
                              "perceptron (student.weights continuous), "
                              "committee, twolayer and deep students");
    if (spec->n_perturbations == 0)
        return PDX_OK;
    if (alg == PDX_ALG_PROPAGATE || alg == PDX_ALG_ONLINE)
        return spec_rule_fail(p, PDX_K_RECORD_PERTURBATIONS,
                              "the local energy is the training error of "
                              "perturbed students on a fixed training set "
                              "(not online or propagate cells)");
    if (c->student_weights == PDX_WEIGHTS_BINARY &&
        spec->perturbations[spec->n_perturbations - 1] > 1.0)
        return spec_rule_fail(p, PDX_K_RECORD_PERTURBATIONS,
                              "%.6g: binary students flip a fraction p of "
                              "their weights, p <= 1",
                              spec->perturbations[spec->n_perturbations - 1]);
    return PDX_OK;
}

/* Issue 17's current: two directions at least, and steps after its
 * burn-in. */
static pdx_status spec_check_noise(const spec_parser *p, const pdx_params *c)
{
    if (c->record_current && c->record_noise_eigen < 2)
        return spec_rule_fail(p, PDX_K_RECORD_CURRENT,
                              "needs record.noise_eigen >= 2 (the current "
                              "lives in the plane of two eigendirections "
                              "of D), got %" PRId64,
                              c->record_noise_eigen);
    if (c->record_current && pdx_params_noise_applies(c) &&
        !(c->record_current_burn_in < c->train_epochs))
        return spec_rule_fail(p, PDX_K_RECORD_CURRENT_BURN_IN,
                              "%.6g is not below train.epochs = %.6g: the "
                              "current would have no steps",
                              c->record_current_burn_in, c->train_epochs);
    return PDX_OK;
}

/* The rules for one combination of the rule keys (the other keys at their
 * base values). */
/* The noise scale, dropout and the evidence (issue 17): which students
 * and algorithms they serve; the noise scale replaces the learning rate. */
static pdx_status spec_check_bayes_sgd(const spec_parser *p,
                                       const pdx_params *c)
{
    const pdx_spec *spec = p->spec;
    int alg = c->train_algorithm;
    if (spec->given[PDX_K_TRAIN_NOISE_SCALE]) {
        if (spec->given[PDX_K_TRAIN_LEARNING_RATE] ||
            spec->given[PDX_K_TRAIN_TEMPERATURE])
            return spec_rule_fail(
                p, PDX_K_TRAIN_NOISE_SCALE,
                "sets the learning rate (eta = g B/P): give "
                "train.noise_scale, train.temperature or "
                "train.learning_rate, only one");
        if (alg == PDX_ALG_SGD &&
            !(c->train_learning_rate <= p->keys[PDX_K_TRAIN_LEARNING_RATE].max))
            return spec_rule_fail(
                p, PDX_K_TRAIN_NOISE_SCALE,
                "%.6g gives sgd the learning rate %.6g (g B/P), above "
                "train.learning_rate's bound %.6g",
                c->train_noise_scale, c->train_learning_rate,
                p->keys[PDX_K_TRAIN_LEARNING_RATE].max);
    }
    if (c->train_dropout > 0 &&
        ((alg != PDX_ALG_SGD && alg != PDX_ALG_GD) ||
         c->student_kind == PDX_MODEL_PERCEPTRON))
        return spec_rule_fail(p, PDX_K_TRAIN_DROPOUT,
                              "dropout drops hidden units: it needs "
                              "train.algorithm sgd or gd and a committee, "
                              "twolayer or deep student");
    if (c->record_evidence != PDX_EVIDENCE_NONE &&
        (c->student_kind != PDX_MODEL_PERCEPTRON ||
         c->teacher_kind != PDX_MODEL_PERCEPTRON ||
         !pdx_params_finite(c) || alg == PDX_ALG_PROPAGATE))
        return spec_rule_fail(p, PDX_K_RECORD_EVIDENCE,
                              "the evidence is of a perceptron student's "
                              "+-1 labels: it needs student.kind and "
                              "teacher.kind perceptron and a finite "
                              "training set");
    return PDX_OK;
}

/* train.parallel_tempering (issue 14 item 4): the ladder is the
 * train.temperature axis, an axis of its own (cells that differ only in
 * temperature), of 2 to PDX_LADDER_MAX values. */
static pdx_status spec_check_tempering(const spec_parser *p,
                                       const pdx_params *c)
{
    if (!c->train_parallel_tempering ||
        c->train_algorithm != PDX_ALG_METROPOLIS)
        return PDX_OK;
    const pdx_axis *axis = NULL;
    for (size_t i = 0; i < p->spec->n_axes; i++)
        if (p->spec->axes[i].key == PDX_K_TRAIN_TEMPERATURE)
            axis = &p->spec->axes[i];
    if (axis == NULL || axis->n < 2)
        return spec_rule_fail(p, PDX_K_TRAIN_PARALLEL_TEMPERING,
                              "replica exchange runs along the temperature "
                              "axis: give train.temperature as an axis of at "
                              "least 2 values");
    if (axis->zip != 0)
        return spec_rule_fail(p, PDX_K_TRAIN_PARALLEL_TEMPERING,
                              "train.temperature is in a zip group: its "
                              "cells differ in more than the temperature, so "
                              "they are no ladder");
    if (axis->n > PDX_LADDER_MAX)
        return spec_rule_fail(p, PDX_K_TRAIN_PARALLEL_TEMPERING,
                              "a ladder of %zu temperatures; at most %d",
                              axis->n, PDX_LADDER_MAX);
    return PDX_OK;
}

/* The rules of one feature each, checked in this order before the
 * general ones of spec_check_cell (a new feature appends its rule). */
typedef pdx_status (*spec_cell_rule)(const spec_parser *p,
                                     const pdx_params *c);
static const spec_cell_rule spec_cell_rules[] = {
    spec_check_deep,      spec_check_robust,    spec_check_bayes_sgd,
    spec_check_normalise, spec_check_time_unit, spec_check_replicated,
    spec_check_flatness,  NULL};

/* sgd and gd given train.temperature: not with train.learning_rate, above
 * 0, and eta = T x batch (gd: T x P) within train.learning_rate's bounds. */
static pdx_status spec_check_sgd_temperature(const spec_parser *p,
                                             const pdx_params *c)
{
    const pdx_spec *spec = p->spec;
    int alg = c->train_algorithm;
    if ((alg != PDX_ALG_SGD && alg != PDX_ALG_GD) ||
        !spec->given[PDX_K_TRAIN_TEMPERATURE])
        return PDX_OK;
    const char *alg_name = spec_choice(PDX_K_TRAIN_ALGORITHM, alg);
    if (spec->given[PDX_K_TRAIN_LEARNING_RATE])
        return spec_rule_fail(p, PDX_K_TRAIN_TEMPERATURE,
                              "for %s the temperature is learning_rate / "
                              "batch: give train.temperature or "
                              "train.learning_rate, not both",
                              alg_name);
    if (!(c->train_temperature > 0))
        return spec_rule_fail(p, PDX_K_TRAIN_TEMPERATURE,
                              "%s needs a temperature above 0 (it sets the "
                              "learning rate T x batch)",
                              alg_name);
    const pdx_key *eta = &p->keys[PDX_K_TRAIN_LEARNING_RATE];
    if (!(c->train_learning_rate <= eta->max))
        return spec_rule_fail(p, PDX_K_TRAIN_TEMPERATURE,
                              "%.6g gives %s the learning rate %.6g "
                              "(T x %s = %.6g x %" PRId64 "), above %s's "
                              "bound %.6g",
                              c->train_temperature, alg_name,
                              c->train_learning_rate,
                              alg == PDX_ALG_SGD ? "batch" : "P",
                              c->train_temperature,
                              alg == PDX_ALG_SGD ? c->train_batch
                                                 : pdx_params_train_size(c),
                              eta->name, eta->max);
    return PDX_OK;
}

static pdx_status spec_check_cell(const spec_parser *p, const pdx_params *c)
{
    const pdx_spec *spec = p->spec;
    int alg = c->train_algorithm;
    const char *alg_name = spec_choice(PDX_K_TRAIN_ALGORITHM, alg);
    int perceptron_teacher = c->teacher_kind == PDX_MODEL_PERCEPTRON;
    int perceptron_student = c->student_kind == PDX_MODEL_PERCEPTRON;

    for (size_t k = 0; spec_cell_rules[k] != NULL; k++) {
        pdx_status status = spec_cell_rules[k](p, c);
        if (status != PDX_OK)
            return status;
    }
    if (c->teacher_weights == PDX_TEACHER_BINARY && !perceptron_teacher)
        return spec_rule_fail(p, PDX_K_TEACHER_WEIGHTS,
                              "binary weights are for teacher.kind "
                              "perceptron, not %s",
                              spec_choice(PDX_K_TEACHER_KIND,
                                          c->teacher_kind));
    if (perceptron_student && !perceptron_teacher)
        return spec_rule_fail(p, PDX_K_STUDENT_KIND,
                              "a perceptron student learns +-1 labels: it "
                              "needs teacher.kind perceptron");
    if (c->student_weights != PDX_WEIGHTS_CONTINUOUS && !perceptron_student &&
        !spec_binary_committee(c))
        return spec_rule_fail(p, PDX_K_STUDENT_WEIGHTS,
                              "%s weights are for student.kind perceptron, "
                              "not %s",
                              spec_choice(PDX_K_STUDENT_WEIGHTS,
                                          c->student_weights),
                              spec_choice(PDX_K_STUDENT_KIND,
                                          c->student_kind));
    if (c->student_weights == PDX_WEIGHTS_BINARY && alg != PDX_ALG_METROPOLIS &&
        alg != PDX_ALG_HEBB && alg != PDX_ALG_PERCEPTRON &&
        alg != PDX_ALG_REPLICATED_MC)
        return spec_rule_fail(p, PDX_K_STUDENT_WEIGHTS,
                              "binary weights are trained by metropolis, or "
                              "by hebb or perceptron with clipping, not by "
                              "%s",
                              alg_name);
    if ((alg == PDX_ALG_HEBB || alg == PDX_ALG_PERCEPTRON ||
         alg == PDX_ALG_METROPOLIS || alg == PDX_ALG_REPLICATED_MC) &&
        !perceptron_student && !spec_binary_committee(c))
        return spec_rule_fail(p, PDX_K_TRAIN_ALGORITHM,
                              "%s trains perceptron students (student.kind "
                              "perceptron), not %s",
                              alg_name,
                              spec_choice(PDX_K_STUDENT_KIND,
                                          c->student_kind));
    if (alg == PDX_ALG_METROPOLIS &&
        c->student_weights == PDX_WEIGHTS_CONTINUOUS)
        return spec_rule_fail(p,
                              spec->given[PDX_K_STUDENT_WEIGHTS]
                                  ? PDX_K_STUDENT_WEIGHTS
                                  : PDX_K_TRAIN_ALGORITHM,
                              "metropolis samples binary or spherical "
                              "weights (set student.weights; the Gibbs "
                              "measure of unbounded continuous weights is "
                              "not normalisable)");
    if (c->train_loss != PDX_LOSS_SQUARED && !perceptron_teacher)
        return spec_rule_fail(p, PDX_K_TRAIN_LOSS,
                              "the %s loss needs +-1 labels (teacher.kind "
                              "perceptron); a committee teacher's labels "
                              "are real",
                              spec_choice(PDX_K_TRAIN_LOSS, c->train_loss));
    if (c->train_start == PDX_START_COLD && !perceptron_student)
        return spec_rule_fail(p, PDX_K_TRAIN_START,
                              "a cold start puts a perceptron student on its "
                              "teacher: it needs student.kind perceptron");
    if (c->record_eg == PDX_EG_CLOSED_FORM && perceptron_teacher &&
        !perceptron_student)
        return spec_rule_fail(p, PDX_K_RECORD_EG,
                              "closed_form needs a perceptron student for a "
                              "perceptron teacher (eg = arccos(R/sqrt(QT))/pi)"
                              "; use auto or test_set");
    pdx_status st = spec_check_sgd_temperature(p, c);
    if (st != PDX_OK)
        return st;
    if ((alg == PDX_ALG_LANGEVIN || alg == PDX_ALG_METROPOLIS) &&
        !spec->given[PDX_K_TRAIN_TEMPERATURE])
        return spec_rule_fail(p, PDX_K_TRAIN_ALGORITHM,
                              "%s needs train.temperature (the temperature "
                              "T of its Gibbs measure)",
                              alg_name);
    if ((alg == PDX_ALG_LANGEVIN || alg == PDX_ALG_METROPOLIS) &&
        spec->given[PDX_K_TRAIN_BURN_IN] &&
        !(c->train_burn_in < c->train_epochs))
        return spec_rule_fail(p, PDX_K_TRAIN_BURN_IN,
                              "%.6g is not below train.epochs = %.6g: "
                              "nothing would be averaged",
                              c->train_burn_in, c->train_epochs);
    st = spec_check_tempering(p, c);
    st = st != PDX_OK ? st : spec_check_noise(p, c);
    return st != PDX_OK ? st : spec_check_training_time(p, c);
}

/* ------------------------------------------- keys that apply (issue 19) */

/* Where a key matters, for the keys whose use depends on the model or the
 * algorithm (NULL: every cell uses the key, or the rules above decide). */
static const char *spec_applies_text(pdx_key_id id)
{
    switch (id) {
    case PDX_K_TEACHER_HIDDEN: return "teacher.kind committee";
    case PDX_K_TEACHER_ACTIVATION:
        return "teacher.kind committee or deep (a perceptron teacher is "
               "sign(B.x/sqrt N))";
    case PDX_K_STUDENT_HIDDEN:
        return "student.kind committee or twolayer (a perceptron has one "
               "unit, a deep student student.width)";
    case PDX_K_STUDENT_ACTIVATION:
        return "student.kind committee, twolayer or deep (a perceptron "
               "student is linear, w.x/sqrt N)";
    case PDX_K_STUDENT_SECOND_LAYER:
    case PDX_K_STUDENT_SECOND_LAYER_INIT:
        return "student.kind committee or twolayer";
    case PDX_K_STUDENT_INIT_SCALE:
        return "committee and twolayer students, and perceptron students "
               "with continuous weights";
    case PDX_K_TRAIN_BATCH: return "train.algorithm sgd, replicated_sgd or entropy_sgd";
    case PDX_K_TRAIN_WEIGHT_DECAY:
        return "train.algorithm sgd, gd, langevin, replicated_sgd or "
               "entropy_sgd";
    case PDX_K_TRAIN_MOVE_SCALE:
        return "train.algorithm metropolis with student.weights spherical";
    case PDX_K_TRAIN_BURN_IN: return "train.algorithm metropolis or langevin";
    case PDX_K_TRAIN_LEARNING_RATE:
        return "every train.algorithm but hebb, metropolis, replicated_mc "
               "and propagate";
    case PDX_K_TRAIN_TEMPERATURE:
        return "train.algorithm sgd, gd, langevin, metropolis or "
               "replicated_mc";
    case PDX_K_RECORD_OVERLAPS: return NULL; /* every cell */
    case PDX_K_RECORD_BUDGETS: return NULL;
    case PDX_K_RECORD_NORM:
        return "record.budgets or train.adversarial_budget > 0";
    case PDX_K_RECORD_ATTACK:
    case PDX_K_RECORD_ATTACK_STEPS:
    case PDX_K_RECORD_ATTACK_RESTARTS: return "record.budgets";
    case PDX_K_TRAIN_ADVERSARIAL_BUDGET: return "train.algorithm sgd";
    case PDX_K_TRAIN_ADVERSARIAL_ATTACK:
    case PDX_K_TRAIN_ADVERSARIAL_STEPS:
        return "train.algorithm sgd with train.adversarial_budget > 0";
    case PDX_K_RECORD_SEPARABLE:
        return "finite training sets (data.alpha), every train.algorithm but "
               "propagate";
    case PDX_K_TRAIN_NOISE_SCALE: return "train.algorithm sgd";
    case PDX_K_TRAIN_DROPOUT:
        return "train.algorithm sgd or gd with committee, twolayer or deep "
               "students";
    case PDX_K_RECORD_EVIDENCE: return NULL; /* the rule above decides */
    case PDX_K_RECORD_PRIOR_PRECISION: return "record.evidence not none";
    case PDX_K_TEACHER_NORMALISE:
        return "teacher.kind committee or perceptron (a deep teacher has "
               "its own sigma_w2 normalisation)";
    case PDX_K_RECORD_BAYES:
        return "perceptron students with train.algorithm metropolis or "
               "langevin";
    case PDX_K_TRAIN_ENTRY:
        return "train.algorithm metropolis with student.weights spherical";
    case PDX_K_TRAIN_PARALLEL_TEMPERING: return "train.algorithm metropolis";
    case PDX_K_TRAIN_REPLICA_COUNT:
    case PDX_K_TRAIN_REPLICA_COUPLING:
    case PDX_K_TRAIN_REPLICA_GAMMA:
    case PDX_K_TRAIN_REPLICA_GAMMA_GROWTH:
    case PDX_K_TRAIN_REPLICA_GAMMA_MAX:
    case PDX_K_TRAIN_REPLICA_STOP:
        return "train.algorithm replicated_mc or replicated_sgd";
    case PDX_K_TRAIN_BETA_GROWTH:
    case PDX_K_TRAIN_MC_ENERGY: return "train.algorithm replicated_mc";
    case PDX_K_TRAIN_ESGD_LANGEVIN_STEPS:
    case PDX_K_TRAIN_ESGD_GAMMA:
    case PDX_K_TRAIN_ESGD_GAMMA_GROWTH:
    case PDX_K_TRAIN_ESGD_INNER_LEARNING_RATE:
    case PDX_K_TRAIN_ESGD_NOISE:
    case PDX_K_TRAIN_ESGD_ALPHA: return "train.algorithm entropy_sgd";
    case PDX_K_RECORD_PERTURBATIONS: return NULL;
    case PDX_K_RECORD_PERTURBATION_DRAWS: return "record.perturbations";
    case PDX_K_RECORD_NOISE_EIGEN:
    case PDX_K_RECORD_CURRENT:
    case PDX_K_RECORD_CURRENT_BURN_IN:
        return "train.algorithm sgd, gd or langevin with a perceptron, "
               "committee or twolayer student";
    default:
        return id >= PDX_K_STUDENT_DEPTH
                   ? "deep students or teachers (kind deep) and "
                     "train.algorithm propagate"
                   : NULL;
    }
}

/* Does key `id` change what the cell `c` computes? */
static int spec_key_applies(const pdx_params *c, pdx_key_id id)
{
    int alg = c->train_algorithm;
    int committee = c->student_kind == PDX_MODEL_COMMITTEE ||
                    c->student_kind == PDX_MODEL_TWOLAYER;
    switch (id) {
    case PDX_K_TEACHER_HIDDEN: return c->teacher_kind == PDX_MODEL_COMMITTEE;
    case PDX_K_TEACHER_ACTIVATION:
        return c->teacher_kind != PDX_MODEL_PERCEPTRON;
    case PDX_K_STUDENT_HIDDEN:
    case PDX_K_STUDENT_SECOND_LAYER:
    case PDX_K_STUDENT_SECOND_LAYER_INIT: return committee;
    case PDX_K_STUDENT_ACTIVATION:
        return c->student_kind != PDX_MODEL_PERCEPTRON &&
               c->student_weights != PDX_WEIGHTS_BINARY;
    case PDX_K_STUDENT_INIT_SCALE:
        return committee || (c->student_kind == PDX_MODEL_PERCEPTRON &&
                             c->student_weights == PDX_WEIGHTS_CONTINUOUS);
    case PDX_K_TRAIN_BATCH:
        return alg == PDX_ALG_SGD || alg == PDX_ALG_REPLICATED_SGD ||
               alg == PDX_ALG_ENTROPY_SGD;
    case PDX_K_TRAIN_WEIGHT_DECAY:
        return alg == PDX_ALG_SGD || alg == PDX_ALG_GD ||
               alg == PDX_ALG_LANGEVIN || alg == PDX_ALG_REPLICATED_SGD ||
               alg == PDX_ALG_ENTROPY_SGD;
    case PDX_K_TRAIN_MOVE_SCALE:
        return alg == PDX_ALG_METROPOLIS &&
               c->student_weights == PDX_WEIGHTS_SPHERICAL;
    case PDX_K_TRAIN_BURN_IN:
        return alg == PDX_ALG_METROPOLIS || alg == PDX_ALG_LANGEVIN;
    case PDX_K_TRAIN_LEARNING_RATE:
        return alg != PDX_ALG_HEBB && alg != PDX_ALG_METROPOLIS &&
               alg != PDX_ALG_PROPAGATE && alg != PDX_ALG_REPLICATED_MC;
    case PDX_K_TRAIN_TEMPERATURE:
        return alg == PDX_ALG_SGD || alg == PDX_ALG_GD ||
               alg == PDX_ALG_LANGEVIN || alg == PDX_ALG_METROPOLIS ||
               alg == PDX_ALG_REPLICATED_MC;
    case PDX_K_RECORD_OVERLAPS: return 1; /* what is written */
    case PDX_K_RECORD_BUDGETS: return 1;
    case PDX_K_RECORD_NORM:
    case PDX_K_RECORD_ATTACK:
    case PDX_K_RECORD_ATTACK_STEPS:
    case PDX_K_RECORD_ATTACK_RESTARTS:
    case PDX_K_TRAIN_ADVERSARIAL_ATTACK:
    case PDX_K_TRAIN_ADVERSARIAL_STEPS:
        return pdx_params_uses_key(c, id);
    case PDX_K_TRAIN_ADVERSARIAL_BUDGET: return alg == PDX_ALG_SGD;
    case PDX_K_RECORD_SEPARABLE:
        return pdx_params_finite(c) && alg != PDX_ALG_PROPAGATE;
    case PDX_K_TRAIN_NOISE_SCALE: return alg == PDX_ALG_SGD;
    case PDX_K_TRAIN_DROPOUT:
        return (alg == PDX_ALG_SGD || alg == PDX_ALG_GD) &&
               c->student_kind != PDX_MODEL_PERCEPTRON;
    case PDX_K_RECORD_EVIDENCE: return 1;
    case PDX_K_RECORD_PRIOR_PRECISION:
        return c->record_evidence != PDX_EVIDENCE_NONE;
    case PDX_K_TEACHER_NORMALISE: return c->teacher_kind != PDX_MODEL_DEEP;
    case PDX_K_RECORD_BAYES:
        return c->student_kind == PDX_MODEL_PERCEPTRON &&
               (alg == PDX_ALG_METROPOLIS || alg == PDX_ALG_LANGEVIN);
    case PDX_K_TRAIN_ENTRY:
        return alg == PDX_ALG_METROPOLIS &&
               c->student_weights == PDX_WEIGHTS_SPHERICAL;
    case PDX_K_TRAIN_PARALLEL_TEMPERING: return alg == PDX_ALG_METROPOLIS;
    case PDX_K_TRAIN_REPLICA_COUNT:
    case PDX_K_TRAIN_REPLICA_COUPLING:
    case PDX_K_TRAIN_REPLICA_GAMMA:
    case PDX_K_TRAIN_REPLICA_GAMMA_GROWTH:
    case PDX_K_TRAIN_REPLICA_GAMMA_MAX:
    case PDX_K_TRAIN_REPLICA_STOP:
    case PDX_K_TRAIN_BETA_GROWTH:
    case PDX_K_TRAIN_MC_ENERGY: return pdx_params_uses_key(c, id);
    case PDX_K_TRAIN_ESGD_LANGEVIN_STEPS:
    case PDX_K_TRAIN_ESGD_GAMMA:
    case PDX_K_TRAIN_ESGD_GAMMA_GROWTH:
    case PDX_K_TRAIN_ESGD_INNER_LEARNING_RATE:
    case PDX_K_TRAIN_ESGD_NOISE:
    case PDX_K_TRAIN_ESGD_ALPHA:
    case PDX_K_RECORD_PERTURBATION_DRAWS: return pdx_params_uses_key(c, id);
    case PDX_K_RECORD_PERTURBATIONS: return 1;
    case PDX_K_RECORD_NOISE_EIGEN:
    case PDX_K_RECORD_CURRENT:
    case PDX_K_RECORD_CURRENT_BURN_IN:
        return pdx_params_noise_applies(c);
    default:
        return id >= PDX_K_STUDENT_DEPTH ? pdx_params_uses_key(c, id) : 1;
    }
}

/* A spec's own warning (the parse succeeds): appended to spec->warnings,
 * one line "FILE:LINE:COLUMN: key: message". */
SPEC_PRINTF(3, 4)
static pdx_status spec_warn(const spec_parser *p, pdx_key_id id,
                            const char *fmt, ...)
{
    pdx_spec *spec = p->spec;
    char message[768], line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    int at = p->value_line[id];
    int n = p->command_line && p->override_line > 0 && at >= p->override_line
                ? snprintf(line, sizeof line,
                           "<command line>:%d: %s: (override %d) %s\n",
                           at - p->override_line + 1, p->keys[id].name,
                           at - p->override_line + 1, message)
                : snprintf(line, sizeof line, "%s:%d:%d: %s: %s\n", p->path,
                           at, p->value_column[id], p->keys[id].name,
                           message);
    if (n < 0)
        return PDX_OK;
    size_t used = spec->warnings != NULL ? strlen(spec->warnings) : 0;
    char *grown = realloc(spec->warnings, used + (size_t)n + 1);
    if (grown == NULL)
        return spec_fail_nomem(p);
    memcpy(grown + used, line, (size_t)n + 1);
    spec->warnings = grown;
    return PDX_OK;
}

/* A key given in the spec that applies to no cell (student.hidden for a
 * perceptron, two activations for a Hebb perceptron) is an error: it
 * would run duplicate cells or change nothing. An axis that applies to
 * some cells only (student.hidden over committee and perceptron students)
 * is a warning: the cells where it does not apply repeat the same run. */
static pdx_status spec_check_applies(const spec_parser *p,
                                     const unsigned char *applies_some,
                                     const unsigned char *applies_all)
{
    const pdx_spec *spec = p->spec;
    for (int id = 0; id < PDX_KEY_COUNT; id++) {
        const char *where = spec_applies_text((pdx_key_id)id);
        if (!spec->given[id] || where == NULL)
            continue;
        size_t n = 1;
        for (size_t a = 0; a < spec->n_axes; a++)
            if ((int)spec->axes[a].key == id)
                n = spec->axes[a].n;
        if (!applies_some[id])
            return spec_rule_fail(p, (pdx_key_id)id,
                                  "applies to no cell of this sweep: it is "
                                  "for %s%s",
                                  where,
                                  n > 1 ? "; as an axis it would repeat "
                                          "every run"
                                        : "; remove it");
        if (n > 1 && !applies_all[id]) {
            pdx_status status = spec_warn(
                p, (pdx_key_id)id,
                "warning: the axis applies to some cells only (%s); the "
                "others run the same task for each of its %zu values",
                where, n);
            if (status != PDX_OK)
                return status;
        }
    }
    return PDX_OK;
}

/* Apply the cross-key rules to every combination of the rule keys' values
 * (their axes crossed; other keys at base values), and forbid mixing the
 * online time unit (alpha) with epochs in one sweep. */
pdx_status spec_check_finite(const spec_parser *p)
{
    const pdx_spec *spec = p->spec;
    /* the dimensions holding a rule key: an axis, or a whole zip group
     * (its members vary together: only their own combinations are cells) */
    const pdx_axis *axes[SPEC_RULE_KEYS];
    size_t members[SPEC_RULE_KEYS];
    size_t n_axes = 0;
    double combinations = 1.0;
    for (size_t a = 0; a < spec->n_axes;) {
        size_t end = a + 1;
        while (end < spec->n_axes && spec->axes[a].zip != 0 &&
               spec->axes[end].zip == spec->axes[a].zip)
            end++;
        int rule = 0;
        for (size_t m = a; m < end; m++)
            for (size_t r = 0; r < SPEC_RULE_KEYS; r++)
                rule |= spec->axes[m].key == spec_rule_keys[r];
        if (rule && n_axes < SPEC_RULE_KEYS) {
            axes[n_axes] = &spec->axes[a];
            members[n_axes++] = end - a;
            combinations *= (double)spec->axes[a].n;
        }
        a = end;
    }
    int online = 0, finite = 0;
    size_t index[SPEC_RULE_KEYS] = {0};
    unsigned char applies_some[PDX_KEY_COUNT] = {0};
    unsigned char applies_all[PDX_KEY_COUNT];
    memset(applies_all, 1, sizeof applies_all);
    for (double done = 0; done < combinations && done < SPEC_MAX_RULE_CELLS;
         done++) {
        pdx_params c = spec->base;
        for (size_t a = 0; a < n_axes; a++)
            for (size_t m = 0; m < members[a]; m++)
                pdx_params_set(&c, axes[a][m].key, axes[a][m].values[index[a]]);
        pdx_params_resolve(&c, spec);
        if (spec->given[PDX_K_TRAIN_BURN_IN] == 0)
            c.train_burn_in = 0.5 * c.train_epochs;
        online |= c.train_algorithm == PDX_ALG_ONLINE;
        finite |= c.train_algorithm != PDX_ALG_ONLINE;
        pdx_status status = spec_check_cell(p, &c);
        if (status != PDX_OK)
            return status;
        for (int id = 0; id < PDX_KEY_COUNT; id++) {
            int applies = spec_key_applies(&c, (pdx_key_id)id);
            applies_some[id] |= (unsigned char)applies;
            applies_all[id] &= (unsigned char)applies;
        }
        for (size_t a = n_axes; a-- > 0;) { /* odometer, last fastest */
            if (++index[a] < axes[a]->n)
                break;
            index[a] = 0;
        }
    }
    if (online && finite)
        return spec_rule_fail(p, PDX_K_TRAIN_ALGORITHM,
                              "online learning (time alpha = steps/N) and "
                              "training on a fixed set (time in epochs or "
                              "sweeps) cannot share one time axis: run them "
                              "as separate sweeps");
    return spec_check_applies(p, applies_some, applies_all);
}

/* cells x replicas must stay <= 2^53. */
pdx_status spec_check_size(const spec_parser *p)
{
    const pdx_spec *spec = p->spec;
    uint64_t cells = 1;
    for (size_t a = 0; a < spec->n_axes; a++) {
        const pdx_axis *axis = &spec->axes[a];
        if (a > 0 && axis->zip != 0 && axis->zip == spec->axes[a - 1].zip)
            continue; /* the rest of a zip group: no new dimension */
        if (cells > SPEC_MAX_TASKS / axis->n)
            return spec_fail_at(p, PDX_ERR_TOO_BIG, axis->line, axis->column,
                                p->keys[axis->key].name,
                                "the axes up to this one make %.4g cells; at "
                                "most 2^53 are allowed",
                                (double)cells * (double)axis->n);
        cells *= axis->n;
    }
    uint64_t replicas = (uint64_t)spec->base.replicas;
    if (cells > SPEC_MAX_TASKS / replicas)
        return spec_fail_at(p, PDX_ERR_TOO_BIG,
                            p->value_line[PDX_K_REPLICAS],
                            p->value_column[PDX_K_REPLICAS],
                            p->keys[PDX_K_REPLICAS].name,
                            "%" PRIu64 " cells x %" PRIu64 " replicas = %.4g "
                            "runs; at most 2^53 are allowed",
                            cells, replicas, (double)cells * (double)replicas);
    return PDX_OK;
}

/* record.times when absent: log-spaced from alpha_max/1000 to alpha_max. */
pdx_status spec_default_times(const spec_parser *p)
{
    pdx_spec *spec = p->spec;
    if (spec->given[PDX_K_RECORD_TIMES])
        return PDX_OK;
    double alpha_max = SPEC_DEFAULT_ALPHA;
    double algorithm_scalar;
    const double *algorithm;
    spec_key_values(spec, PDX_K_TRAIN_ALGORITHM, &algorithm_scalar,
                    &algorithm);
    /* the time is train.alpha (online) or train.epochs (finite sets; the
     * spec checks forbid mixing them) */
    pdx_key_id time_key = (int)algorithm[0] == PDX_ALG_ONLINE
                              ? PDX_K_TRAIN_ALPHA
                              : PDX_K_TRAIN_EPOCHS;
    if (spec->given[time_key]) {
        double scalar;
        const double *alpha;
        size_t n = spec_key_values(spec, time_key, &scalar, &alpha);
        alpha_max = alpha[0];
        for (size_t i = 1; i < n; i++)
            alpha_max = fmax(alpha_max, alpha[i]);
    }
    spec->times = malloc(SPEC_DEFAULT_TIMES * sizeof *spec->times);
    if (spec->times == NULL)
        return spec_fail_nomem(p);
    spec->n_times = SPEC_DEFAULT_TIMES;
    spec->times_scale = PDX_SCALE_LOG;
    spec_fill_log(spec->times, spec->n_times, alpha_max / 1000, alpha_max);
    return PDX_OK;
}

/* pdx/spec.h — sweep specifications: the key table, parameters, parsing.
 *
 * ONE table (pdx_spec_keys) lists every key a spec may hold with its type,
 * bounds, default, units and one-line doc. It drives the YAML parser,
 * validation, `pdx keys` (the documentation) and the attributes written to
 * result files. A key's value may be a scalar or an axis (a YAML list,
 * {lin: [a, b, n]} or {log: [a, b, n]}) when its table entry allows it;
 * axes cross in document order. */
#ifndef PDX_SPEC_H
#define PDX_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pdx/error.h"

/* Choice values (stable: stored as coordinate values in result files). */
typedef enum pdx_activation {
    PDX_ACT_ERF = 0, /* g(z) = erf(z / sqrt 2) (Saad-Solla normalisation) */
    PDX_ACT_RELU = 1,
    PDX_ACT_TANH = 2,
    PDX_ACT_LINEAR = 3,
    PDX_ACT_SIGN = 4,      /* teacher only */
    PDX_ACT_HARD_TANH = 5, /* max(-1, min(1, z)) (deep networks) */
    PDX_ACT_SIGMOID = 6    /* 1 / (1 + exp(-z)) (deep networks) */
} pdx_activation;

/* teacher.kind and student.kind (the teacher takes the first two). */
typedef enum pdx_model_kind {
    PDX_MODEL_COMMITTEE = 0,
    PDX_MODEL_PERCEPTRON = 1, /* y = sign(w.x/sqrt N); student output w.x/sqrt N */
    PDX_MODEL_TWOLAYER = 2,   /* committee, trained v_k ~ N(0, 1/K) at start */
    PDX_MODEL_DEEP = 3        /* deep fully connected net (pdx/model.h) */
} pdx_model_kind;
typedef enum pdx_teacher_weights {
    PDX_TEACHER_GAUSSIAN = 0,
    PDX_TEACHER_BINARY = 1
} pdx_teacher_weights;
/* teacher.normalise (committee and perceptron teachers): the rows B_m of
 * the teacher as drawn (N(0, 1) entries), each rescaled to |B_m|^2 = N,
 * or made orthogonal (Gram-Schmidt in order m = 0, 1, ...) and rescaled:
 * T = B B^T / N is then I up to rounding. */
typedef enum pdx_teacher_normalise {
    PDX_NORMALISE_NONE = 0,
    PDX_NORMALISE_UNIT_NORM = 1,
    PDX_NORMALISE_ORTHONORMAL = 2
} pdx_teacher_normalise;
typedef enum pdx_student_weights {
    PDX_WEIGHTS_CONTINUOUS = 0,
    PDX_WEIGHTS_SPHERICAL = 1, /* kept on |w|^2 = N */
    PDX_WEIGHTS_BINARY = 2     /* +-1 entries */
} pdx_student_weights;
typedef enum pdx_second_layer {
    PDX_SECOND_FIXED = 0,
    PDX_SECOND_TRAINED = 1
} pdx_second_layer;
typedef enum pdx_algorithm {
    PDX_ALG_ONLINE = 0,     /* fresh inputs, time alpha = steps/N */
    PDX_ALG_HEBB = 1,       /* finite training sets from here on */
    PDX_ALG_PERCEPTRON = 2,
    PDX_ALG_SGD = 3,
    PDX_ALG_GD = 4,
    PDX_ALG_LANGEVIN = 5,
    PDX_ALG_METROPOLIS = 6,
    PDX_ALG_PROPAGATE = 7,  /* signal propagation through a random deep
                             * student, no training (no training set) */
    PDX_ALG_REPLICATED_MC = 8,  /* issue 16: y coupled replicas, binary
                                 * perceptrons, Metropolis / annealing */
    PDX_ALG_REPLICATED_SGD = 9, /* issue 16: y coupled replicas, SGD */
    PDX_ALG_ENTROPY_SGD = 10 /* Entropy-SGD (issue 16): outer steps on the
                             * local-entropy gradient, L Langevin inner steps */
} pdx_algorithm;
/* How replicas are coupled (issue 16, train.replica_coupling). */
typedef enum pdx_replica_coupling {
    PDX_COUPLING_TRACED = 0, /* the centre traced out (binary) or the
                              * replicas' mean (continuous) */
    PDX_COUPLING_CENTRE = 1  /* an explicit centre with its own dynamics */
} pdx_replica_coupling;
typedef enum pdx_mc_energy {
    PDX_ENERGY_ERRORS = 0,   /* misclassified training examples */
    PDX_ENERGY_STABILITY = 1 /* sum of -y w.x/sqrt N over them */
} pdx_mc_energy;
typedef enum pdx_loss {
    PDX_LOSS_SQUARED = 0,
    PDX_LOSS_LOGISTIC = 1,
    PDX_LOSS_HINGE = 2
} pdx_loss;
/* record.evidence: the likelihood of the Laplace evidence (issue 17) */
typedef enum pdx_evidence_likelihood {
    PDX_EVIDENCE_NONE = 0,
    PDX_EVIDENCE_LOGISTIC = 1, /* P(y|x) = 1/(1 + exp(-y w.x/sqrt N)) */
    PDX_EVIDENCE_PROBIT = 2,   /* P(y|x) = Phi(y w.x/sqrt N) */
    PDX_EVIDENCE_GAUSSIAN = 3  /* y = w.x/sqrt N + N(0, 1) noise (library
                                * and tests only: exact under Laplace) */
} pdx_evidence_likelihood;
typedef enum pdx_start { PDX_START_HOT = 0, PDX_START_COLD = 1 } pdx_start;
/* train.entry: how a spherical metropolis student enters the version
 * space before sampling (issue 14 item 4) */
/* the most temperatures of a parallel-tempering ladder */
#define PDX_LADDER_MAX 64
typedef enum pdx_entry { PDX_ENTRY_NONE = 0, PDX_ENTRY_PERCEPTRON = 1 } pdx_entry;
typedef enum pdx_eg_method {
    PDX_EG_AUTO = 0,        /* closed form where one exists, else test set */
    PDX_EG_CLOSED_FORM = 1, /* error if no closed form for the activations */
    PDX_EG_TEST_SET = 2
} pdx_eg_method;

/* The norm of perturbation budgets and the attacks (issue 18). */
typedef enum pdx_norm { PDX_NORM_L2 = 0, PDX_NORM_LINF = 1 } pdx_norm;
typedef enum pdx_attack {
    PDX_ATTACK_AUTO = 0,  /* exact for perceptron students, else pgd */
    PDX_ATTACK_EXACT = 1, /* perceptron students: distance to the plane */
    PDX_ATTACK_FGSM = 2,
    PDX_ATTACK_PGD = 3
} pdx_attack;

/* Key identifiers: index into the table returned by pdx_spec_keys(). */
typedef enum pdx_key_id {
    PDX_K_NAME,
    PDX_K_SEED,
    PDX_K_REPLICAS,
    PDX_K_N,
    PDX_K_TEACHER_KIND,
    PDX_K_TEACHER_HIDDEN,
    PDX_K_TEACHER_ACTIVATION,
    PDX_K_TEACHER_OUTPUT_NOISE,
    PDX_K_TEACHER_WEIGHTS,
    PDX_K_STUDENT_KIND,
    PDX_K_STUDENT_HIDDEN,
    PDX_K_STUDENT_ACTIVATION,
    PDX_K_STUDENT_INIT_SCALE,
    PDX_K_STUDENT_SECOND_LAYER,
    PDX_K_STUDENT_SECOND_LAYER_INIT,
    PDX_K_STUDENT_WEIGHTS,
    PDX_K_DATA_ALPHA,
    PDX_K_DATA_LABEL_NOISE,
    PDX_K_DATA_INPUT_NOISE,
    PDX_K_DATA_INPUT_CORRUPTION,
    PDX_K_TRAIN_ALGORITHM,
    PDX_K_TRAIN_LEARNING_RATE,
    PDX_K_TRAIN_LEARNING_RATE_SECOND,
    PDX_K_TRAIN_ALPHA,
    PDX_K_TRAIN_DIVERGENCE_NORM,
    PDX_K_TRAIN_TEMPERATURE,
    PDX_K_TRAIN_BATCH,
    PDX_K_TRAIN_EPOCHS,
    PDX_K_TRAIN_LOSS,
    PDX_K_TRAIN_WEIGHT_DECAY,
    PDX_K_TRAIN_BURN_IN,
    PDX_K_TRAIN_START,
    PDX_K_TRAIN_MOVE_SCALE,
    PDX_K_RECORD_TIMES,
    PDX_K_RECORD_EG,
    PDX_K_RECORD_TEST_SIZE,
    /* deep networks (issue 15); appended so that the ids above (part of
     * the cell keys) keep their values */
    PDX_K_STUDENT_DEPTH,
    PDX_K_STUDENT_WIDTH,
    PDX_K_STUDENT_SIGMA_W2,
    PDX_K_STUDENT_SIGMA_B2,
    PDX_K_TEACHER_DEPTH,
    PDX_K_TEACHER_WIDTH,
    PDX_K_TEACHER_SIGMA_W2,
    PDX_K_TEACHER_SIGMA_B2,
    PDX_K_PROPAGATE_Q0,
    PDX_K_PROPAGATE_C0,
    PDX_K_PROPAGATE_PROBES,
    PDX_K_PROPAGATE_CURVE_POINTS,
    PDX_K_RECORD_OVERLAPS, /* issue 19; not part of the cell key */
    /* adversarial robustness (issue 18); appended, and in cell keys only
     * where they change training (train.adversarial_* with a budget) */
    PDX_K_RECORD_BUDGETS,
    PDX_K_RECORD_NORM,
    PDX_K_RECORD_ATTACK,
    PDX_K_RECORD_ATTACK_STEPS,
    PDX_K_RECORD_ATTACK_RESTARTS,
    PDX_K_TRAIN_ADVERSARIAL_BUDGET,
    PDX_K_TRAIN_ADVERSARIAL_ATTACK,
    PDX_K_TRAIN_ADVERSARIAL_STEPS,
    PDX_K_RECORD_SEPARABLE, /* issue 14; not part of the cell key */
    /* issue 17 (items 3-5): in cell keys only where they change training */
    PDX_K_TRAIN_NOISE_SCALE,     /* sets train.learning_rate (never keyed) */
    PDX_K_TRAIN_DROPOUT,         /* keyed when > 0 */
    PDX_K_RECORD_EVIDENCE,       /* measured beside: never keyed */
    PDX_K_RECORD_PRIOR_PRECISION,/* measured beside: never keyed */
    PDX_K_TEACHER_NORMALISE, /* issue 14; in the cell key unless none */
    PDX_K_RECORD_BAYES,      /* issue 14; in the cell key when on */
    PDX_K_TRAIN_ENTRY,      /* issue 14 item 4; in the cell key if not none */
    PDX_K_TRAIN_PARALLEL_TEMPERING, /* issue 14 item 4; if true */
    PDX_K_TRAIN_REPLICA_COUNT, /* issue 16: replicated training; in the
                                * cell key only where they apply */
    PDX_K_TRAIN_REPLICA_COUPLING,
    PDX_K_TRAIN_REPLICA_GAMMA,
    PDX_K_TRAIN_REPLICA_GAMMA_GROWTH,
    PDX_K_TRAIN_REPLICA_GAMMA_MAX,
    PDX_K_TRAIN_BETA_GROWTH,
    PDX_K_TRAIN_MC_ENERGY,
    PDX_K_TRAIN_REPLICA_STOP,
    /* Entropy-SGD and flatness (issue 16): the train.esgd_* keys enter cell
     * keys only for entropy_sgd cells, record.perturbation* never */
    PDX_K_TRAIN_ESGD_LANGEVIN_STEPS,
    PDX_K_TRAIN_ESGD_GAMMA,
    PDX_K_TRAIN_ESGD_GAMMA_GROWTH,
    PDX_K_TRAIN_ESGD_INNER_LEARNING_RATE,
    PDX_K_TRAIN_ESGD_NOISE,
    PDX_K_TRAIN_ESGD_ALPHA,
    PDX_K_RECORD_PERTURBATIONS,
    PDX_K_RECORD_PERTURBATION_DRAWS,
    /* gradient-noise geometry and probability currents (issue 17); not
     * part of the cell key (measured beside, training unchanged) */
    PDX_K_RECORD_NOISE_EIGEN,
    PDX_K_RECORD_CURRENT,
    PDX_K_RECORD_CURRENT_BURN_IN,
    PDX_KEY_COUNT
} pdx_key_id;

typedef enum pdx_key_type {
    PDX_KEY_STRING, /* scalar text, never an axis */
    PDX_KEY_INT,    /* integer (stored as int64_t) */
    PDX_KEY_REAL,   /* double */
    PDX_KEY_CHOICE, /* one of `choices` (stored as int, the choice index) */
    PDX_KEY_TIMES   /* a list of times: the time coordinate, not a cell axis */
} pdx_key_type;

enum {
    PDX_KEYF_AXIS = 1u << 0,      /* may be given as an axis */
    PDX_KEYF_MIN_OPEN = 1u << 1,  /* lower bound is exclusive */
    PDX_KEYF_DERIVED = 1u << 2    /* default derived from other keys (NaN) */
};

typedef struct pdx_key {
    const char *name;            /* dotted path, e.g. "train.learning_rate" */
    pdx_key_type type;
    unsigned flags;              /* PDX_KEYF_* */
    double min, max;             /* bounds for INT, REAL, TIMES (inclusive) */
    const char *const *choices;  /* NULL-terminated, for CHOICE */
    double default_value;        /* number or choice index; NaN if derived */
    const char *default_text;    /* the default as documented */
    const char *units;           /* units attribute ("1" if dimensionless) */
    const char *doc;             /* one line: what it means */
    size_t offset;               /* offsetof(pdx_params, field) */
} pdx_key;

/* One cell's complete set of parameters (defaults, scalars and the cell's
 * axis values). Field types follow the key types. */
typedef struct pdx_params {
    char name[128];
    int64_t seed;
    int64_t replicas;
    int64_t N;
    int teacher_kind;
    int record_separable;        /* 1: the exact separability test of the
                                  * training set (pdx/separable.h), in
                                  * the padding before an int64_t */
    int64_t teacher_hidden;      /* M */
    int teacher_activation;
    double teacher_output_noise; /* std of Gaussian noise added to labels */
    int teacher_weights;         /* pdx_teacher_weights (perceptron) */
    int student_kind;
    int64_t student_hidden;      /* K */
    int student_activation;
    double student_init_scale;
    int student_second_layer;
    double student_second_layer_init;
    int student_weights;         /* pdx_student_weights (perceptron) */
    double data_alpha;           /* P/N of the fixed training set */
    double data_label_noise;     /* fraction of labels made random */
    double data_input_noise;     /* std of noise added to training inputs */
    double data_input_corruption;/* fraction of inputs made random */
    int train_algorithm;
    double train_learning_rate;
    double train_learning_rate_second; /* NaN in the table: = learning_rate */
    double train_alpha;                /* NaN in the table: = last time */
    double train_divergence_norm;
    double train_temperature;    /* NaN in the table: = eta/B (sgd, gd) */
    int64_t train_batch;
    double train_epochs;         /* NaN in the table: = last time */
    int train_loss;
    double train_weight_decay;
    double train_burn_in;        /* NaN in the table: = epochs/2 */
    int train_start;
    double train_move_scale;
    int record_eg;
    int64_t record_test_size;
    /* deep networks (student.kind / teacher.kind deep) */
    int64_t student_depth;       /* hidden layers L */
    int64_t student_width;       /* units per hidden layer n */
    double student_sigma_w2;     /* W_ij ~ N(0, sigma_w2 / fan_in) */
    double student_sigma_b2;     /* b_i ~ N(0, sigma_b2) */
    int64_t teacher_depth;
    int64_t teacher_width;
    double teacher_sigma_w2;
    double teacher_sigma_b2;
    /* train.algorithm propagate */
    double propagate_q0;         /* |x|^2 / N of the inputs */
    double propagate_c0;         /* correlation of the input pair */
    int64_t propagate_probes;    /* random probes of each layer Jacobian */
    int64_t propagate_curve_points; /* points on the great circle */
    int record_overlaps;         /* 1: files hold Q, R, T (the default) */
    /* adversarial robustness (issue 18); ints first: the trainer object
     * that holds a pdx_params stays within its fixed 1152 bytes */
    int record_norm;             /* pdx_norm of the budgets */
    int record_attack;           /* pdx_attack */
    int train_adversarial_attack; /* pdx_attack: fgsm or pgd */
    int record_budget_count;     /* not keys: the spec's record.budgets and */
    int record_checkpoints;      /* record.times counts (pdx_params_resolve) */
    int64_t record_attack_steps; /* PGD steps k */
    int64_t record_attack_restarts; /* PGD starts (the first at delta 0) */
    double train_adversarial_budget; /* 0: plain training */
    int64_t train_adversarial_steps;
    /* issue 17 */
    double train_noise_scale;    /* g = eta P/B (NaN: not given) */
    double train_dropout;        /* rate p of inverted dropout (0: none) */
    int record_evidence;         /* pdx_evidence_likelihood (0: none) */
    double record_prior_precision; /* lambda of the evidence's prior */
    int teacher_normalise;       /* pdx_teacher_normalise (issue 14) */
    int record_bayes;            /* 1: a second sampler per replica, the
                                  * overlap q of the two and the error of
                                  * their centre of mass (issue 14) */
    /* equilibrated Monte Carlo (issue 14 item 4) */
    int train_entry;             /* pdx_entry: the version-space entry */
    int train_parallel_tempering; /* 1: replica exchange along the
                                   * train.temperature axis */
    /* not keys: the temperature ladder of parallel tempering (the
     * spec's train.temperature axis, ascending; pdx_params_resolve) */
    int train_ladder_size;
    const double *train_ladder;
    /* 1 when the spec's train.start axis holds both hot and cold: each
     * Monte Carlo task then checks the other start (issue 14 item 4) */
    int train_start_pair;
    /* replicated training (issue 16) */
    int train_replica_coupling;  /* pdx_replica_coupling */
    int train_mc_energy;         /* pdx_mc_energy (replicated_mc) */
    int train_replica_stop;      /* 1: training stops at success */
    int64_t train_replica_count; /* replicas y */
    double train_replica_gamma;  /* coupling gamma0 */
    double train_replica_gamma_growth; /* gamma(t) = gamma0 (1 + g)^t */
    double train_replica_gamma_max;    /* ... at most this */
    double train_beta_growth;    /* beta(t) = (1 + g)^t / temperature */
    /* Entropy-SGD (issue 16) */
    int64_t train_esgd_langevin_steps; /* L inner Langevin steps per outer */
    double train_esgd_gamma;           /* scope gamma_0 */
    double train_esgd_gamma_growth;    /* gamma = gamma_0 (1 + this)^epochs */
    double train_esgd_inner_learning_rate; /* eta' of the inner steps */
    double train_esgd_noise;           /* thermal noise epsilon */
    double train_esgd_alpha;           /* averaging factor of <w'> */
    /* flatness (issue 16) */
    int record_perturbation_count;     /* not a key: record.perturbations */
    int64_t record_perturbation_draws; /* perturbations averaged per size */
    /* issue 17 (pdx/observe.h, "Gradient-noise geometry") */
    int64_t record_noise_eigen;  /* k: top eigenvalues of D (0: off) */
    int record_current;          /* 1: the probability current */
    double record_current_burn_in; /* NaN in the table: = train.burn_in */
} pdx_params;

typedef enum pdx_axis_scale {
    PDX_SCALE_LIST = 0,
    PDX_SCALE_LIN = 1,
    PDX_SCALE_LOG = 2
} pdx_axis_scale;

typedef struct pdx_axis {
    pdx_key_id key;
    size_t n;              /* >= 1 */
    double *values;        /* numbers, or choice indices for CHOICE keys */
    pdx_axis_scale scale;
    int line, column;      /* where the axis was given */
    int zip;               /* 0: an axis of its own (a dimension of the
                            * grid); g >= 1: a member of the spec's zip
                            * group g (issue 19): the members are adjacent
                            * in spec->axes, have as many values and vary
                            * together along one dimension, named by the
                            * first member (its values distinct; the
                            * others' may repeat) */
} pdx_axis;

typedef struct pdx_spec {
    char *path;            /* file the spec came from ("<string>" if none) */
    char *text;            /* the spec text as given */
    size_t text_length;
    pdx_params base;       /* defaults, scalar values; axes hold the rest */
    size_t n_axes;
    pdx_axis *axes;        /* in document order */
    size_t n_times;
    double *times;         /* record.times, sorted ascending, >= 0 */
    pdx_axis_scale times_scale;
    unsigned char given[PDX_KEY_COUNT]; /* 1 if the key appeared in the file */
    char *canonical;       /* the spec as parsed in one fixed form (issue
                            * 19): given keys with exact values, axes in
                            * order, record.times; comments, layout and
                            * key order do not change it. Its SHA-256 is
                            * the spec's identity (pdx_store_spec_sha256) */
    size_t canonical_length;
    char *warnings;        /* what is legal but probably not meant, one
                            * "FILE:LINE:COLUMN: key: warning: ..." line
                            * each (an axis that applies to some cells
                            * only); NULL if none */
    size_t n_budgets;      /* record.budgets (0: no robust error) */
    double *budgets;       /* sorted ascending, >= 0 */
    size_t n_perturbations; /* record.perturbations (0: no local energy) */
    double *perturbations;  /* sorted ascending, >= 0 */
} pdx_spec;

/* Cells of the spec's grid: the product of its dimensions' sizes (an
 * axis of its own or a zip group is one dimension). Thread-safe. */
uint64_t pdx_spec_cells(const pdx_spec *spec);

/* Set the axis values of cell `cell` (dimensions in document order, the
 * first slowest; every member of a zip group at the same index) in
 * *params, the other keys left as they are. Thread-safe. */
void pdx_spec_set_cell(const pdx_spec *spec, uint64_t cell,
                       pdx_params *params);

/* The values of a list key (PDX_KEY_TIMES: record.times, record.budgets)
 * of `spec`, *n of them (NULL, 0 when not given). */
const double *pdx_spec_list(const pdx_spec *spec, pdx_key_id id, size_t *n);

/* The key table: *count receives PDX_KEY_COUNT. Static, thread-safe. */
const pdx_key *pdx_spec_keys(size_t *count);

/* Look a key up by dotted name; returns its id or -1. */
int pdx_spec_key_find(const char *name);

/* Parameters with every table default (derived keys left NaN). */
void pdx_params_default(pdx_params *params);

/* Set key `id` of *params from a number (choice index for CHOICE keys).
 * STRING and TIMES keys are not settable this way (assert). */
void pdx_params_set(pdx_params *params, pdx_key_id id, double value);

/* Read key `id` of *params as a double (choice index for CHOICE). */
double pdx_params_get(const pdx_params *params, pdx_key_id id);

/* Fill derived values (train.learning_rate_second, train.alpha,
 * train.epochs, train.burn_in; for sgd and gd the learning rate from
 * train.temperature x batch when a temperature is given, else the
 * temperature as learning_rate / batch) given the spec's times. Called by
 * the grid for every cell. */
void pdx_params_resolve(pdx_params *params, const pdx_spec *spec);

/* What a result file records for one key (its `param:<key>` attribute,
 * docs/FORMAT.md, "Root attributes"). */
typedef struct pdx_param_record {
    int is_axis;    /* the key is an axis: its coordinate holds the values */
    int is_rule;    /* the record is the text `rule`, not a number */
    double value;   /* the value every cell runs with (is_rule 0; choice
                     * index for CHOICE keys) */
    char rule[192]; /* how the cells' values follow from other keys */
    int omit;       /* the key applies to no cell (the deep-network keys in
                     * a spec without deep networks) and is not recorded,
                     * so that such files keep the attributes they had */
} pdx_param_record;

/* The record of every key of `spec` (records[PDX_KEY_COUNT]; STRING and
 * TIMES keys are recorded from the spec itself and left zero here), from
 * one pass over the spec's cells, each resolved as the trainer receives
 * it (pdx_params_resolve):
 * - a derived key left to its rule (NaN in spec->base): the rule of the
 *   table ("= train.learning_rate"), as its value may differ by cell;
 * - a key with the same value in every cell: that value, also when a
 *   rule overrides the key (train.learning_rate = train.temperature x
 *   train.batch for sgd);
 * - a key that is no axis but whose value differs between cells (it
 *   follows an axis through such a rule): the rule, e.g. "=
 *   train.temperature x train.batch (sgd)".
 * Thread-safe; visits every cell of the grid (no allocation). */
void pdx_spec_param_records(const pdx_spec *spec, pdx_param_record *records);

/* Parse and validate a spec from a file. On success *out owns a new spec
 * (free with pdx_spec_destroy). On failure *out is NULL and err says
 * "FILE:LINE:COLUMN: key: what is wrong" with a "did you mean" for
 * misspelt keys. spec->times is always filled (31 log-spaced times up to
 * the largest train.alpha, or 10, when record.times is absent). Returns
 * PDX_OK, PDX_ERR_IO (cannot read), PDX_ERR_SPEC, PDX_ERR_TOO_BIG (an axis
 * over 10^6 values, or cells x replicas over 2^53), PDX_ERR_NOMEM,
 * PDX_ERR_USAGE (out or path NULL). Thread-safe (no shared state). */
pdx_status pdx_spec_parse_file(pdx_spec **out, const char *path,
                               pdx_error *err);

/* As pdx_spec_parse_file, with `n_overrides` command-line overrides
 * "KEY=VALUE" (issue 19): KEY a dotted key, VALUE one line of YAML (a
 * scalar, a list, {lin: ...}, {log: ...}), each replacing the key's value
 * in the file (an overridden axis keeps its place among the axes; a key
 * the file lacks is added after its keys). spec->text is the file's text
 * followed by a second YAML document of the overrides,
 *     --- # pdx command-line overrides
 *     train.alpha: 20
 * which parses back to the same spec (a spec may hold such a document
 * itself: its keys replace the first document's). Errors in an override
 * name the file "<command line>" and the override's position. A file that
 * already has an override document takes no more (a third document is an
 * error). Returns as pdx_spec_parse_file, PDX_ERR_USAGE for an override
 * that is not KEY=VALUE. Thread-safe. */
pdx_status pdx_spec_parse_file_overrides(pdx_spec **out, const char *path,
                                         const char *const *overrides,
                                         size_t n_overrides, pdx_error *err);

/* As pdx_spec_parse_file, from `length` bytes of text in memory (need not
 * be NUL-terminated); `path` names it in errors ("<string>" if NULL). */
pdx_status pdx_spec_parse_string(pdx_spec **out, const char *text,
                                 size_t length, const char *path,
                                 pdx_error *err);

/* Free a spec; accepts NULL and sets *spec to NULL. */
void pdx_spec_destroy(pdx_spec **spec);

/* 1 if the task runs on its own (all algorithms but online, whose tasks
 * share input streams in bundles): a fixed training set, or no data at
 * all (propagate). */
int pdx_params_finite(const pdx_params *params);

/* 1 if the cell can measure the gradient-noise geometry (record.noise_eigen,
 * record.current: issue 17): sgd, gd or langevin with a perceptron,
 * committee or twolayer student. */
int pdx_params_noise_applies(const pdx_params *params);

/* 1 if a key of the deep networks (student.depth, ..., propagate.*)
 * applies to the cell: a deep student or teacher, or propagate. */
int pdx_params_uses_key(const pdx_params *params, pdx_key_id id);

/* Training-set size P = round(data.alpha * N) (0 for online and
 * propagate). */
int64_t pdx_params_train_size(const pdx_params *params);

/* Steps of the cell's algorithm in one unit of time: online N (alpha =
 * steps/N); sgd ceil(P/B) minibatches an epoch; gd, langevin 1; hebb,
 * perceptron P examples an epoch; metropolis N moves a sweep. */
int64_t pdx_params_steps_per_time(const pdx_params *params);

/* Hidden units the cell's student and teacher really have (1 for
 * perceptrons, else student.hidden / teacher.hidden). */
int64_t pdx_params_student_units(const pdx_params *params);
int64_t pdx_params_teacher_units(const pdx_params *params);

/* Name of choice `index` of key `id`, or NULL. */
const char *pdx_spec_choice_name(pdx_key_id id, int index);

/* Print the key table as Markdown (docs/SPEC.md, `pdx keys --markdown`)
 * to `out`. Thread-safe as stdio is. */
/* Describe how `new_spec` differs from `old_spec`, key by key, into buf
 * (NUL-terminated, cut at `size`): "train.alpha: 3 -> 4;
 * student.hidden: [1, 2] -> [1, 2, 3]" — old and new values as the spec
 * says them (choice names, integers, the shortest exact number, lists of
 * axis values and record.times, at most 7 values shown), "(derived)" for
 * a derived key left to its rule; "zip: data.alpha+train.epochs -> none"
 * when the zip groups differ. Keys are compared as parsed, so two
 * texts that differ only in comments, layout or order describe no
 * difference. Returns the number of keys that differ (0: none). Both
 * specs are read only; thread-safe. */
size_t pdx_spec_describe_difference(const pdx_spec *old_spec,
                                    const pdx_spec *new_spec, char *buf,
                                    size_t size);

void pdx_spec_print_keys(FILE *out);

#endif

/* spec_table.c — THE key table of pdx specs and the parameter accessors.
 * Everything that lists keys (parser, validation, `pdx keys`, docs,
 * file attributes) reads this table. */
#include "pdx/spec.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Choice indices are the enum values of pdx/spec.h, shared by student and
 * teacher; "" is a hole: the value is no choice of this key (teachers are
 * not twolayer, students have no sign activation). */
static const char *const teacher_kinds[] = {"committee", "perceptron", "",
                                            "deep", NULL};
static const char *const student_kinds[] = {"committee", "perceptron",
                                            "twolayer", "deep", NULL};
static const char *const teacher_weights[] = {"gaussian", "binary", NULL};
static const char *const student_weights[] = {"continuous", "spherical",
                                              "binary", NULL};
static const char *const losses[] = {"squared", "logistic", "hinge", NULL};
static const char *const starts[] = {"hot", "cold", NULL};
static const char *const teacher_activations[] = {
    "erf", "relu", "tanh", "linear", "sign", "hard_tanh", "sigmoid", NULL};
static const char *const student_activations[] = {
    "erf", "relu", "tanh", "linear", "", "hard_tanh", "sigmoid", NULL};
static const char *const second_layers[] = {"fixed", "trained", NULL};
static const char *const algorithms[] = {"online", "hebb", "perceptron",
                                         "sgd", "gd", "langevin",
                                         "metropolis", "propagate",
                                         "replicated_mc", "replicated_sgd",
                                         "entropy_sgd",
                                         NULL};
static const char *const eg_methods[] = {"auto", "closed_form", "test_set",
                                         NULL};
static const char *const false_true[] = {"false", "true", NULL};
static const char *const normalisations[] = {"none", "unit_norm",
                                             "orthonormal", NULL};
static const char *const norms[] = {"l2", "linf", NULL};
static const char *const attacks[] = {"auto", "exact", "fgsm", "pgd", NULL};
static const char *const training_attacks[] = {"", "", "fgsm", "pgd", NULL};
static const char *const evidence_likelihoods[] = {"none", "logistic",
                                                   "probit", NULL};
static const char *const entries[] = {"none", "perceptron", NULL};
static const char *const couplings[] = {"traced", "centre", NULL};
static const char *const mc_energies[] = {"errors", "stability", NULL};

#define OFF(field) offsetof(pdx_params, field)
#define NO_CHOICES NULL

static const pdx_key keys[PDX_KEY_COUNT] = {
    [PDX_K_NAME] = {"name", PDX_KEY_STRING, 0, 0, 0, NO_CHOICES, 0, "sweep",
                    "", "name of the sweep (title of the result file)",
                    OFF(name)},
    [PDX_K_SEED] = {"seed", PDX_KEY_INT, 0, 0, 9007199254740992.0,
                    NO_CHOICES, 1, "1", "",
                    "master seed of every random stream (0 .. 2^53)",
                    OFF(seed)},
    [PDX_K_REPLICAS] = {"replicas", PDX_KEY_INT, 0, 1, 1e6, NO_CHOICES, 1,
                        "1", "",
                        "independent runs per cell (the replica axis); "
                        "replica r has the same teacher and inputs in "
                        "every cell",
                        OFF(replicas)},
    [PDX_K_N] = {"N", PDX_KEY_INT, PDX_KEYF_AXIS, 1, 1e7, NO_CHOICES, 500,
                 "500", "", "input dimension", OFF(N)},
    [PDX_K_TEACHER_KIND] = {"teacher.kind", PDX_KEY_CHOICE, PDX_KEYF_AXIS, 0,
                            0, teacher_kinds, PDX_MODEL_COMMITTEE,
                            "committee", "",
                            "teacher network: committee = soft committee "
                            "machine y = sum_m g(B_m.x/sqrt N) (regression); "
                            "perceptron = sign(B.x/sqrt N), labels +-1",
                            OFF(teacher_kind)},
    [PDX_K_TEACHER_HIDDEN] = {"teacher.hidden", PDX_KEY_INT, PDX_KEYF_AXIS, 1,
                              64, NO_CHOICES, 2, "2", "",
                              "teacher hidden units M", OFF(teacher_hidden)},
    [PDX_K_TEACHER_ACTIVATION] = {"teacher.activation", PDX_KEY_CHOICE,
                                  PDX_KEYF_AXIS, 0, 0, teacher_activations,
                                  PDX_ACT_ERF, "erf", "",
                                  "teacher activation g: erf = erf(z/sqrt 2), "
                                  "relu, tanh, linear, sign",
                                  OFF(teacher_activation)},
    [PDX_K_TEACHER_OUTPUT_NOISE] = {"teacher.output_noise", PDX_KEY_REAL,
                                    PDX_KEYF_AXIS, 0, 1e3, NO_CHOICES, 0, "0",
                                    "1",
                                    "standard deviation of Gaussian noise "
                                    "added to training labels (eg is "
                                    "measured against the clean teacher)",
                                    OFF(teacher_output_noise)},
    [PDX_K_TEACHER_WEIGHTS] = {"teacher.weights", PDX_KEY_CHOICE,
                               PDX_KEYF_AXIS, 0, 0, teacher_weights,
                               PDX_TEACHER_GAUSSIAN, "gaussian", "",
                               "perceptron teacher weights B_i: gaussian "
                               "N(0, 1) or binary +-1 (equally likely)",
                               OFF(teacher_weights)},
    [PDX_K_STUDENT_KIND] = {"student.kind", PDX_KEY_CHOICE, PDX_KEYF_AXIS, 0,
                            0, student_kinds, PDX_MODEL_COMMITTEE,
                            "committee", "",
                            "student network: committee = soft committee "
                            "machine yhat = sum_k v_k g(w_k.x/sqrt N); "
                            "perceptron = w.x/sqrt N (predicts its sign; "
                            "needs a perceptron teacher); twolayer = "
                            "committee with trained v_k, v_k(0) ~ "
                            "second_layer_init N(0, 1/K)",
                            OFF(student_kind)},
    [PDX_K_STUDENT_HIDDEN] = {"student.hidden", PDX_KEY_INT, PDX_KEYF_AXIS, 1,
                              64, NO_CHOICES, 2, "2", "",
                              "student hidden units K", OFF(student_hidden)},
    [PDX_K_STUDENT_ACTIVATION] = {"student.activation", PDX_KEY_CHOICE,
                                  PDX_KEYF_AXIS, 0, 0, student_activations,
                                  PDX_ACT_ERF, "erf", "",
                                  "student activation g: erf = erf(z/sqrt 2), "
                                  "relu, tanh, linear",
                                  OFF(student_activation)},
    [PDX_K_STUDENT_INIT_SCALE] = {"student.init_scale", PDX_KEY_REAL,
                                  PDX_KEYF_AXIS, 0, 1e3, NO_CHOICES, 1e-3,
                                  "0.001", "1",
                                  "standard deviation of each initial "
                                  "first-layer weight (Q_kk(0) ~ scale^2)",
                                  OFF(student_init_scale)},
    [PDX_K_STUDENT_SECOND_LAYER] = {"student.second_layer", PDX_KEY_CHOICE,
                                    PDX_KEYF_AXIS, 0, 0, second_layers,
                                    PDX_SECOND_FIXED, "fixed", "",
                                    "second-layer weights v_k: fixed at "
                                    "second_layer_init, or trained by SGD",
                                    OFF(student_second_layer)},
    [PDX_K_STUDENT_SECOND_LAYER_INIT] = {"student.second_layer_init",
                                         PDX_KEY_REAL, PDX_KEYF_AXIS, -1e3,
                                         1e3, NO_CHOICES, 1, "1", "1",
                                         "initial value of every v_k",
                                         OFF(student_second_layer_init)},
    [PDX_K_STUDENT_WEIGHTS] = {"student.weights", PDX_KEY_CHOICE,
                               PDX_KEYF_AXIS, 0, 0, student_weights,
                               PDX_WEIGHTS_CONTINUOUS, "continuous", "",
                               "perceptron student weights: continuous, "
                               "spherical (kept on |w|^2 = N) or binary +-1 "
                               "(metropolis; clipped for hebb, perceptron)",
                               OFF(student_weights)},
    [PDX_K_DATA_ALPHA] = {"data.alpha", PDX_KEY_REAL,
                          PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN, 0, 1e6,
                          NO_CHOICES, 1, "1", "1",
                          "training-set size P = round(alpha N) (finite "
                          "sets; nested: a smaller set is a prefix of a "
                          "larger one of the same replica)",
                          OFF(data_alpha)},
    [PDX_K_DATA_LABEL_NOISE] = {"data.label_noise", PDX_KEY_REAL,
                                PDX_KEYF_AXIS, 0, 1, NO_CHOICES, 0, "0", "1",
                                "fraction F of training labels replaced "
                                "by a random one (+-1 equally likely, or "
                                "the teacher on a random input): a +-1 "
                                "label is flipped with probability F/2 "
                                "(the p of perceptron theory); 1 = random "
                                "labels",
                                OFF(data_label_noise)},
    [PDX_K_DATA_INPUT_NOISE] = {"data.input_noise", PDX_KEY_REAL,
                                PDX_KEYF_AXIS, 0, 1e3, NO_CHOICES, 0, "0",
                                "1",
                                "standard deviation of Gaussian noise added "
                                "to each training input entry (labels from "
                                "the clean inputs)",
                                OFF(data_input_noise)},
    [PDX_K_DATA_INPUT_CORRUPTION] = {"data.input_corruption", PDX_KEY_REAL,
                                     PDX_KEYF_AXIS, 0, 1, NO_CHOICES, 0, "0",
                                     "1",
                                     "probability that a training input is "
                                     "replaced by a fresh random one (its "
                                     "label kept)",
                                     OFF(data_input_corruption)},
    [PDX_K_TRAIN_ALGORITHM] = {"train.algorithm", PDX_KEY_CHOICE,
                               PDX_KEYF_AXIS, 0, 0, algorithms, PDX_ALG_ONLINE,
                               "online", "",
                               "online = one fresh Gaussian input per SGD "
                               "step (Saad-Solla), time alpha = steps/N; on "
                               "a fixed training set (time in epochs): hebb, "
                               "perceptron, sgd, gd, langevin; metropolis "
                               "(Gibbs learning, time in MC sweeps); each "
                               "reads train.temperature its own way (see "
                               "there)",
                               OFF(train_algorithm)},
    [PDX_K_TRAIN_LEARNING_RATE] = {"train.learning_rate", PDX_KEY_REAL,
                                   PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN, 0, 1e4,
                                   NO_CHOICES, 0.5, "0.5", "1",
                                   "learning rate eta: online w_k += "
                                   "eta/sqrt(N) (y - yhat) v_k g'(lambda_k) "
                                   "x; finite sets: w -= eta grad(mean loss "
                                   "of the batch)",
                                   OFF(train_learning_rate)},
    [PDX_K_TRAIN_LEARNING_RATE_SECOND] = {"train.learning_rate_second",
                                          PDX_KEY_REAL,
                                          PDX_KEYF_AXIS | PDX_KEYF_DERIVED, 0,
                                          1e4, NO_CHOICES, NAN,
                                          "= train.learning_rate", "1",
                                          "second-layer learning rate: online "
                                          "v_k += eta_v/N (y - yhat) "
                                          "g(lambda_k); finite sets: plain "
                                          "gradient step",
                                          OFF(train_learning_rate_second)},
    [PDX_K_TRAIN_ALPHA] = {"train.alpha", PDX_KEY_REAL,
                           PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN | PDX_KEYF_DERIVED,
                           0, 1e9, NO_CHOICES, NAN, "= last record.times",
                           "1",
                           "training time alpha = steps/N; checkpoints "
                           "after it are NaN",
                           OFF(train_alpha)},
    [PDX_K_TRAIN_DIVERGENCE_NORM] = {"train.divergence_norm", PDX_KEY_REAL,
                                     PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN, 0,
                                     1e300, NO_CHOICES, 1e6, "1e6", "1",
                                     "a run whose Q_kk = |w_k|^2/N exceeds "
                                     "this (or is not finite) is diverged",
                                     OFF(train_divergence_norm)},
    [PDX_K_TRAIN_TEMPERATURE] = {"train.temperature", PDX_KEY_REAL,
                                 PDX_KEYF_AXIS | PDX_KEYF_DERIVED, 0, 1e6,
                                 NO_CHOICES, NAN,
                                 "= learning_rate / batch (sgd, gd)", "1",
                                 "three conventions: sgd, gd: the noise "
                                 "scale eta/B, given instead of "
                                 "learning_rate (eta = T B; gd: B = P); "
                                 "langevin: T of exp(-(mean loss + "
                                 "decay)/T), steps of the mean loss's "
                                 "gradient plus sqrt(2 eta T) N(0, 1); "
                                 "metropolis: T of exp(-(training "
                                 "errors)/T) (Gibbs learning; the energy "
                                 "is the number of errors, not their mean, "
                                 "so a metropolis T weighs as T/P does on "
                                 "a langevin mean loss); "
                                 "required for langevin, metropolis",
                                 OFF(train_temperature)},
    [PDX_K_TRAIN_BATCH] = {"train.batch", PDX_KEY_INT, PDX_KEYF_AXIS, 1, 1e9,
                           NO_CHOICES, 1, "1", "",
                           "sgd minibatch size B (a fresh permutation each "
                           "epoch, the last batch of an epoch may be "
                           "smaller)",
                           OFF(train_batch)},
    [PDX_K_TRAIN_EPOCHS] = {"train.epochs", PDX_KEY_REAL,
                            PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN |
                                PDX_KEYF_DERIVED,
                            0, 1e9, NO_CHOICES, NAN, "= last record.times",
                            "1",
                            "training time on a finite set: epochs (sgd: "
                            "ceil(P/B) steps each; gd, langevin: 1 step; "
                            "perceptron, hebb: P examples), MC sweeps of N "
                            "moves (metropolis)",
                            OFF(train_epochs)},
    [PDX_K_TRAIN_LOSS] = {"train.loss", PDX_KEY_CHOICE, PDX_KEYF_AXIS, 0, 0,
                          losses, PDX_LOSS_SQUARED, "squared", "",
                          "training loss of yhat: squared (y - yhat)^2/2, "
                          "logistic log(1 + exp(-y yhat)), hinge max(0, "
                          "-y yhat) (perceptron criterion)",
                          OFF(train_loss)},
    [PDX_K_TRAIN_WEIGHT_DECAY] = {"train.weight_decay", PDX_KEY_REAL,
                                  PDX_KEYF_AXIS, 0, 1e6, NO_CHOICES, 0, "0",
                                  "1",
                                  "L2 penalty lambda: the loss gains "
                                  "lambda/2 (|w|^2 + |v|^2) (sgd, gd, "
                                  "langevin)",
                                  OFF(train_weight_decay)},
    [PDX_K_TRAIN_BURN_IN] = {"train.burn_in", PDX_KEY_REAL,
                             PDX_KEYF_AXIS | PDX_KEYF_DERIVED, 0, 1e9,
                             NO_CHOICES, NAN, "= train.epochs / 2", "1",
                             "metropolis, langevin: sweeps (epochs) before "
                             "the averages eg_mean, train_error_mean, ... "
                             "start; one sample per sweep (epoch)",
                             OFF(train_burn_in)},
    [PDX_K_TRAIN_START] = {"train.start", PDX_KEY_CHOICE, PDX_KEYF_AXIS, 0, 0,
                           starts, PDX_START_HOT, "hot", "",
                           "perceptron students: hot = random weights, cold "
                           "= the teacher's (binary: sign, spherical: "
                           "rescaled)",
                           OFF(train_start)},
    [PDX_K_TRAIN_MOVE_SCALE] = {"train.move_scale", PDX_KEY_REAL,
                                PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN, 0,
                                3.141592653589793, NO_CHOICES, 0.5, "0.5",
                                "1",
                                "spherical metropolis: largest rotation "
                                "angle (radians) of a move in the plane of "
                                "two random coordinates",
                                OFF(train_move_scale)},
    [PDX_K_RECORD_TIMES] = {"record.times", PDX_KEY_TIMES, 0, 0, 1e9,
                            NO_CHOICES, NAN,
                            "{log: [alpha/1000, alpha, 31]}", "1",
                            "checkpoint times (alpha = steps/N), the time "
                            "coordinate; a list, {lin: ...} or {log: ...}",
                            0},
    [PDX_K_RECORD_EG] = {"record.eg", PDX_KEY_CHOICE, PDX_KEYF_AXIS, 0, 0,
                         eg_methods, PDX_EG_AUTO, "auto", "",
                         "how eg is measured: closed form from Q, R, T "
                         "(erf/erf, linear/linear), a test set, or auto",
                         OFF(record_eg)},
    [PDX_K_RECORD_TEST_SIZE] = {"record.test_size", PDX_KEY_INT,
                                PDX_KEYF_AXIS, 10, 1e7, NO_CHOICES, 10000,
                                "10000", "",
                                "inputs in the test set used for eg when "
                                "there is no closed form (fixed per replica)",
                                OFF(record_test_size)},

    [PDX_K_STUDENT_DEPTH] = {"student.depth", PDX_KEY_INT, PDX_KEYF_AXIS, 1,
                             1e5, NO_CHOICES, 10, "10", "",
                             "student.kind deep (a deep fully connected "
                             "net): hidden layers L; h^1 = W^1 x + b^1, "
                             "h^l = W^l g(h^(l-1)) + b^l, yhat = "
                             "a.g(h^L) + a_0, W_ij ~ N(0, sigma_w2/fan_in), "
                             "b_i, a_0 ~ N(0, sigma_b2), a_i ~ N(0, "
                             "sigma_w2/width) (Poole et al. 2016); "
                             "activations also hard_tanh = max(-1, min(1, "
                             "z)) and sigmoid = 1/(1 + exp(-z))",
                             OFF(student_depth)},
    [PDX_K_STUDENT_WIDTH] = {"student.width", PDX_KEY_INT, PDX_KEYF_AXIS, 1,
                             1e6, NO_CHOICES, 100, "100", "",
                             "deep students: units n of every hidden layer "
                             "(a width whose workspace exceeds the memory is "
                             "an error)",
                             OFF(student_width)},
    [PDX_K_STUDENT_SIGMA_W2] = {"student.sigma_w2", PDX_KEY_REAL,
                                PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN, 0, 1e4,
                                NO_CHOICES, 1.5, "1.5", "1",
                                "deep students: weight variance, W_ij ~ "
                                "N(0, sigma_w2/fan_in) at initialisation",
                                OFF(student_sigma_w2)},
    [PDX_K_STUDENT_SIGMA_B2] = {"student.sigma_b2", PDX_KEY_REAL,
                                PDX_KEYF_AXIS, 0, 1e4, NO_CHOICES, 0.05,
                                "0.05", "1",
                                "deep students: bias variance, b_i ~ N(0, "
                                "sigma_b2) at initialisation",
                                OFF(student_sigma_b2)},
    [PDX_K_TEACHER_DEPTH] = {"teacher.depth", PDX_KEY_INT, PDX_KEYF_AXIS, 1,
                             1e5, NO_CHOICES, 10, "10", "",
                             "teacher.kind deep (as student.depth; "
                             "regression labels): hidden layers L",
                             OFF(teacher_depth)},
    [PDX_K_TEACHER_WIDTH] = {"teacher.width", PDX_KEY_INT, PDX_KEYF_AXIS, 1,
                             1e6, NO_CHOICES, 100, "100", "",
                             "deep teachers: units n of every hidden layer",
                             OFF(teacher_width)},
    [PDX_K_TEACHER_SIGMA_W2] = {"teacher.sigma_w2", PDX_KEY_REAL,
                                PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN, 0, 1e4,
                                NO_CHOICES, 1.5, "1.5", "1",
                                "deep teachers: W_ij ~ N(0, "
                                "sigma_w2/fan_in)",
                                OFF(teacher_sigma_w2)},
    [PDX_K_TEACHER_SIGMA_B2] = {"teacher.sigma_b2", PDX_KEY_REAL,
                                PDX_KEYF_AXIS, 0, 1e4, NO_CHOICES, 0.05,
                                "0.05", "1",
                                "deep teachers: b_i ~ N(0, sigma_b2)",
                                OFF(teacher_sigma_b2)},
    [PDX_K_PROPAGATE_Q0] = {"propagate.q0", PDX_KEY_REAL,
                            PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN, 0, 1e6,
                            NO_CHOICES, 1, "1", "1",
                            "train.algorithm propagate (signals through "
                            "the random deep student, no training: per "
                            "layer q, c, chi, curve length): squared length "
                            "|x|^2/N of each input (both inputs and the "
                            "curve)",
                            OFF(propagate_q0)},
    [PDX_K_PROPAGATE_C0] = {"propagate.c0", PDX_KEY_REAL, PDX_KEYF_AXIS, -1,
                            1, NO_CHOICES, 0.5, "0.5", "1",
                            "propagate: correlation x_a.x_b/(|x_a||x_b|) of "
                            "the input pair",
                            OFF(propagate_c0)},
    [PDX_K_PROPAGATE_PROBES] = {"propagate.probes", PDX_KEY_INT,
                                PDX_KEYF_AXIS, 1, 1e4, NO_CHOICES, 8, "8",
                                "",
                                "propagate: random Gaussian probes v of each "
                                "layer Jacobian J (chi = mean |J v|^2/|v|^2, "
                                "scaled to tr(J J^T)/width)",
                                OFF(propagate_probes)},
    [PDX_K_PROPAGATE_CURVE_POINTS] = {"propagate.curve_points", PDX_KEY_INT,
                                      PDX_KEYF_AXIS, 4, 1e5, NO_CHOICES, 64,
                                      "64", "",
                                      "propagate: points on the input great "
                                      "circle whose image length is measured "
                                      "after each layer (Poole et al. 2016)",
                                      OFF(propagate_curve_points)},
    [PDX_K_RECORD_OVERLAPS] = {"record.overlaps", PDX_KEY_CHOICE, 0, 0, 0,
                               false_true, 1, "true", "",
                               "false: result files leave out the overlaps "
                               "Q, R, T (K x K, K x M, M x M per checkpoint; "
                               "still used for eg); the numbers do not change",
                               OFF(record_overlaps)},
    [PDX_K_RECORD_BUDGETS] = {"record.budgets", PDX_KEY_TIMES, 0, 0, 1e6,
                              NO_CHOICES, NAN, "none", "1",
                              "perturbation budgets eps of the robust error "
                              "(the budget dimension): at each checkpoint "
                              "the fraction of test inputs x for which some "
                              "delta with |delta| <= eps (record.norm) makes "
                              "the student's sign differ from the teacher's "
                              "clean label; x has N(0, 1) entries, so an l2 "
                              "eps is on the scale of the margin w.x/|w|; "
                              "none: no robust error",
                              0},
    [PDX_K_RECORD_NORM] = {"record.norm", PDX_KEY_CHOICE, PDX_KEYF_AXIS, 0, 0,
                           norms, PDX_NORM_L2, "l2", "",
                           "norm of the budgets: l2 |delta|_2 <= eps or "
                           "linf max_i |delta_i| <= eps",
                           OFF(record_norm)},
    [PDX_K_RECORD_ATTACK] = {"record.attack", PDX_KEY_CHOICE, PDX_KEYF_AXIS,
                             0, 0, attacks, PDX_ATTACK_AUTO, "auto", "",
                             "how the robust error is found: exact "
                             "(perceptron students: the distance "
                             "|w.x|/|w|_dual to the plane), fgsm (one step "
                             "of size eps along the gradient's sign or "
                             "direction), pgd (record.attack_steps steps of "
                             "2.5 eps/steps, projected on the ball, "
                             "record.attack_restarts starts); auto = exact "
                             "where possible, else pgd",
                             OFF(record_attack)},
    [PDX_K_RECORD_ATTACK_STEPS] = {"record.attack_steps", PDX_KEY_INT,
                                   PDX_KEYF_AXIS, 1, 1e5, NO_CHOICES, 10,
                                   "10", "", "pgd: steps k of each start",
                                   OFF(record_attack_steps)},
    [PDX_K_RECORD_ATTACK_RESTARTS] = {"record.attack_restarts", PDX_KEY_INT,
                                      PDX_KEYF_AXIS, 1, 1e4, NO_CHOICES, 1,
                                      "1", "",
                                      "pgd: starts per input and budget, the "
                                      "first at delta = 0, the others "
                                      "uniform in the ball (counter-based "
                                      "random numbers)",
                                      OFF(record_attack_restarts)},
    [PDX_K_TRAIN_ADVERSARIAL_BUDGET] = {"train.adversarial_budget",
                                        PDX_KEY_REAL, PDX_KEYF_AXIS, 0, 1e6,
                                        NO_CHOICES, 0, "0", "1",
                                        "sgd on a finite set: adversarial "
                                        "training, each example of a batch "
                                        "replaced by its attack x + delta, "
                                        "|delta| <= this budget in "
                                        "record.norm (0: plain training)",
                                        OFF(train_adversarial_budget)},
    [PDX_K_TRAIN_ADVERSARIAL_ATTACK] = {"train.adversarial_attack",
                                        PDX_KEY_CHOICE, PDX_KEYF_AXIS, 0, 0,
                                        training_attacks, PDX_ATTACK_FGSM,
                                        "fgsm", "",
                                        "adversarial training: fgsm or pgd "
                                        "(train.adversarial_steps steps) "
                                        "against the training loss",
                                        OFF(train_adversarial_attack)},
    [PDX_K_TRAIN_ADVERSARIAL_STEPS] = {"train.adversarial_steps",
                                       PDX_KEY_INT, PDX_KEYF_AXIS, 1, 1e4,
                                       NO_CHOICES, 5, "5", "",
                                       "adversarial training with pgd: steps "
                                       "of 2.5 budget/steps",
                                       OFF(train_adversarial_steps)},
    [PDX_K_RECORD_SEPARABLE] = {"record.separable", PDX_KEY_CHOICE, 0, 0, 0,
                                false_true, 0, "false", "",
                                "true: test each replica's training set "
                                "(inputs and noisy labels) for strict linear "
                                "separability through the origin, exactly, "
                                "by a linear program (GLPK): variable "
                                "`separable` (1 or 0; NaN for real labels); "
                                "costs about 1 s per set at N = 200, P = 400 "
                                "(pdx plan counts it); finite training sets",
                                OFF(record_separable)},
    [PDX_K_TRAIN_NOISE_SCALE] = {"train.noise_scale", PDX_KEY_REAL,
                                 PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN |
                                     PDX_KEYF_DERIVED,
                                 0, 1e9, NO_CHOICES, NAN,
                                 "not given (learning_rate sets eta)", "1",
                                 "sgd: the SGD noise scale g = eta P/B "
                                 "(Smith & Le 2017's eta (P/B - 1) for "
                                 "B << P; P = round(data.alpha N)), given "
                                 "instead of learning_rate or temperature: "
                                 "eta = g B/P; g = T P with T = eta/B the "
                                 "temperature",
                                 OFF(train_noise_scale)},
    [PDX_K_TRAIN_DROPOUT] = {"train.dropout", PDX_KEY_REAL, PDX_KEYF_AXIS, 0,
                             0.95, NO_CHOICES, 0, "0", "1",
                             "sgd, gd of committee, twolayer and deep "
                             "students: rate p of inverted dropout of the "
                             "hidden units in training (each unit's output "
                             "times m/(1 - p), m ~ Bernoulli(1 - p), fresh "
                             "per example and step; no dropout when "
                             "measuring, so E[output] is the measured net's)",
                             OFF(train_dropout)},
    [PDX_K_RECORD_EVIDENCE] = {"record.evidence", PDX_KEY_CHOICE,
                               PDX_KEYF_AXIS, 0, 0, evidence_likelihoods,
                               PDX_EVIDENCE_NONE, "none", "",
                               "perceptron students on +-1 labels: the "
                               "Laplace log-evidence of the training set "
                               "(likelihood logistic sigma(y w.x/sqrt N) "
                               "or probit Phi(y w.x/sqrt N), prior "
                               "N(0, 1/record.prior_precision) per weight) "
                               "at the MAP weights found by Newton's "
                               "method, with its cost and Occam terms and "
                               "the MAP's eg (per task; training unchanged)",
                               OFF(record_evidence)},
    [PDX_K_RECORD_PRIOR_PRECISION] = {"record.prior_precision", PDX_KEY_REAL,
                                      PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN, 0,
                                      1e6, NO_CHOICES, 1, "1", "1",
                                      "record.evidence: precision lambda of "
                                      "the Gaussian prior of each weight",
                                      OFF(record_prior_precision)},
    [PDX_K_TEACHER_NORMALISE] = {"teacher.normalise", PDX_KEY_CHOICE,
                                 PDX_KEYF_AXIS, 0, 0, normalisations,
                                 PDX_NORMALISE_NONE, "none", "",
                                 "committee and perceptron teachers: none = "
                                 "rows B_m as drawn, N(0, 1) entries (T_mm = "
                                 "B_m.B_m/N = 1 +- sqrt(2/N)); unit_norm = "
                                 "each row rescaled to B_m.B_m = N; "
                                 "orthonormal = rows made orthogonal "
                                 "(Gram-Schmidt in order) and rescaled, T = "
                                 "I (needs M <= N); binary teachers already "
                                 "have B.B = N; T is in the file",
                                 OFF(teacher_normalise)},
    [PDX_K_RECORD_BAYES] = {"record.bayes", PDX_KEY_CHOICE, 0, 0, 0,
                            false_true, 0, "false", "",
                            "true: metropolis and langevin perceptron "
                            "students run a second, independent sampler "
                            "(own start and noise) on the same training set "
                            "per replica: variables q (overlap w.w'/N of the "
                            "two samples), q_mean (after train.burn_in) and "
                            "eg_bayes (error of the centre of mass of both "
                            "chains' samples after burn-in, the Bayes "
                            "estimator); doubles the cost",
                            OFF(record_bayes)},
    [PDX_K_TRAIN_ENTRY] = {"train.entry", PDX_KEY_CHOICE, PDX_KEYF_AXIS, 0, 0,
                           entries, PDX_ENTRY_NONE, "none", "",
                           "metropolis, spherical students: perceptron = "
                           "before sampling, run the perceptron rule (cyclic "
                           "order, at most 10000 epochs) from the start "
                           "weights until no training error, so that T = 0 "
                           "samples the version space (variable "
                           "entry_epochs; NaN and not equilibrated when no "
                           "entry is found)",
                           OFF(train_entry)},
    [PDX_K_TRAIN_PARALLEL_TEMPERING] = {
        "train.parallel_tempering", PDX_KEY_CHOICE, 0, 0, 0, false_true, 0,
        "false", "",
        "metropolis: true = replica exchange between the temperatures of "
        "the train.temperature axis (the ladder; each task simulates the "
        "whole ladder and records its own temperature; swaps after every "
        "sweep; variable swap_rate)",
        OFF(train_parallel_tempering)},
    [PDX_K_TRAIN_REPLICA_COUNT] = {"train.replica_count", PDX_KEY_INT,
                                   PDX_KEYF_AXIS, 1, 64, NO_CHOICES, 3, "3",
                                   "",
                                   "replicated_mc, replicated_sgd: the "
                                   "number y of coupled replicas (1 with "
                                   "gamma 0: plain annealing or sgd)",
                                   OFF(train_replica_count)},
    [PDX_K_TRAIN_REPLICA_COUPLING] = {"train.replica_coupling",
                                      PDX_KEY_CHOICE, PDX_KEYF_AXIS, 0, 0,
                                      couplings, PDX_COUPLING_TRACED,
                                      "traced", "",
                                      "traced: the centre summed out "
                                      "(binary: replicas interact through "
                                      "ln 2cosh(gamma/2 sum_a w_i^a); sgd: "
                                      "the centre is the replicas' mean); "
                                      "centre: an explicit centre (binary: "
                                      "heat-bath sites; sgd: its own "
                                      "gradient step on the coupling)",
                                      OFF(train_replica_coupling)},
    [PDX_K_TRAIN_REPLICA_GAMMA] = {"train.replica_gamma", PDX_KEY_REAL,
                                   PDX_KEYF_AXIS, 0, 1e6, NO_CHOICES, 0, "0",
                                   "1",
                                   "coupling gamma0 of the replicas to "
                                   "their centre at time 0 (binary: per "
                                   "unit Hamming distance; sgd: the force "
                                   "gamma (w_centre - w^a))",
                                   OFF(train_replica_gamma)},
    [PDX_K_TRAIN_REPLICA_GAMMA_GROWTH] = {"train.replica_gamma_growth",
                                          PDX_KEY_REAL, PDX_KEYF_AXIS, 0,
                                          100, NO_CHOICES, 0, "0", "1",
                                          "scoping: gamma(t) = gamma0 (1 + "
                                          "growth)^t, t in sweeps or epochs "
                                          "(whole ones), at most "
                                          "train.replica_gamma_max",
                                          OFF(train_replica_gamma_growth)},
    [PDX_K_TRAIN_REPLICA_GAMMA_MAX] = {"train.replica_gamma_max",
                                       PDX_KEY_REAL, PDX_KEYF_AXIS, 0, 1e12,
                                       NO_CHOICES, 1e6, "1e6", "1",
                                       "the target (largest) coupling of "
                                       "the schedule",
                                       OFF(train_replica_gamma_max)},
    [PDX_K_TRAIN_BETA_GROWTH] = {"train.beta_growth", PDX_KEY_REAL,
                                 PDX_KEYF_AXIS, 0, 100, NO_CHOICES, 0, "0",
                                 "1",
                                 "replicated_mc: simulated annealing, "
                                 "beta(t) = (1 + growth)^t / "
                                 "train.temperature, t in whole sweeps "
                                 "(0: fixed temperature)",
                                 OFF(train_beta_growth)},
    [PDX_K_TRAIN_MC_ENERGY] = {"train.mc_energy", PDX_KEY_CHOICE,
                               PDX_KEYF_AXIS, 0, 0, mc_energies,
                               PDX_ENERGY_ERRORS, "errors", "",
                               "replicated_mc: the energy of a replica, "
                               "errors (misclassified examples) or "
                               "stability (sum over them of -y w.x/sqrt N)",
                               OFF(train_mc_energy)},
    [PDX_K_TRAIN_REPLICA_STOP] = {"train.replica_stop", PDX_KEY_CHOICE,
                                  PDX_KEYF_AXIS, 0, 0, false_true, 1, "true",
                                  "",
                                  "true: replicated training stops at "
                                  "success (the centre or a replica has no "
                                  "training error) and keeps that state",
                                  OFF(train_replica_stop)},
    [PDX_K_TRAIN_ESGD_LANGEVIN_STEPS] = {
        "train.esgd_langevin_steps", PDX_KEY_INT, PDX_KEYF_AXIS, 1, 1e5,
        NO_CHOICES, 20, "20", "",
        "entropy_sgd: inner Langevin steps L per outer step (each on the "
        "next minibatch of train.batch); time counts inner steps, so an "
        "epoch is ceil(P/B) minibatch gradients as for sgd",
        OFF(train_esgd_langevin_steps)},
    [PDX_K_TRAIN_ESGD_GAMMA] = {
        "train.esgd_gamma", PDX_KEY_REAL, PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN,
        0, 1e12, NO_CHOICES, 0.03, "0.03", "1",
        "entropy_sgd: scope gamma_0 of the local entropy F(w) = ln int dw' "
        "exp(-f(w') - gamma |w - w'|^2/2); the outer step is "
        "w -= learning_rate gamma (w - <w'>)",
        OFF(train_esgd_gamma)},
    [PDX_K_TRAIN_ESGD_GAMMA_GROWTH] = {
        "train.esgd_gamma_growth", PDX_KEY_REAL, PDX_KEYF_AXIS, 0, 1e3,
        NO_CHOICES, 0, "0", "1",
        "entropy_sgd: scoping, gamma = gamma_0 (1 + growth)^t at time t "
        "(epochs) of the outer step (0: constant gamma)",
        OFF(train_esgd_gamma_growth)},
    [PDX_K_TRAIN_ESGD_INNER_LEARNING_RATE] = {
        "train.esgd_inner_learning_rate", PDX_KEY_REAL,
        PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN, 0, 1e4, NO_CHOICES, 0.1, "0.1",
        "1",
        "entropy_sgd: step eta' of the inner Langevin steps w' -= eta' "
        "(grad f(w') + gamma (w' - w)) + sqrt(eta') esgd_noise N(0, 1)",
        OFF(train_esgd_inner_learning_rate)},
    [PDX_K_TRAIN_ESGD_NOISE] = {
        "train.esgd_noise", PDX_KEY_REAL, PDX_KEYF_AXIS, 0, 1e3, NO_CHOICES,
        1e-4, "1e-4", "1",
        "entropy_sgd: thermal noise epsilon of the inner Langevin steps "
        "(0: none)",
        OFF(train_esgd_noise)},
    [PDX_K_TRAIN_ESGD_ALPHA] = {
        "train.esgd_alpha", PDX_KEY_REAL, PDX_KEYF_AXIS | PDX_KEYF_MIN_OPEN, 0,
        1, NO_CHOICES, 0.75, "0.75", "1",
        "entropy_sgd: averaging factor alpha of <w'>: mu = (1 - alpha) mu + "
        "alpha w' after each inner step, from mu = w",
        OFF(train_esgd_alpha)},
    [PDX_K_RECORD_PERTURBATIONS] = {
        "record.perturbations", PDX_KEY_TIMES, 0, 0, 1e3, NO_CHOICES, NAN,
        "none", "1",
        "perturbation sizes of the local energy (the perturbation "
        "dimension): at each checkpoint the training error and loss after "
        "flipping a random fraction p of the weights (binary students; p "
        "<= 1) or w_i -> w_i (1 + sigma z_i) (continuous first-layer "
        "weights; every parameter of deep students), averaged over record.perturbation_draws draws; none: "
        "no local energy",
        0},
    [PDX_K_RECORD_PERTURBATION_DRAWS] = {
        "record.perturbation_draws", PDX_KEY_INT, PDX_KEYF_AXIS, 1, 1e6,
        NO_CHOICES, 20, "20", "",
        "record.perturbations: random perturbations averaged per size and "
        "checkpoint (their standard error is recorded too)",
        OFF(record_perturbation_draws)},
    [PDX_K_RECORD_NOISE_EIGEN] = {"record.noise_eigen", PDX_KEY_INT, 0, 0,
                                  256, NO_CHOICES, 0, "0", "",
                                  "k > 0: at every checkpoint, the gradient-"
                                  "noise covariance D of the per-example "
                                  "gradients (all trained weights): its k "
                                  "largest eigenvalues (dimension eigen), "
                                  "trace, participation ratio, rank holding "
                                  "99 % of the trace, and the gradient "
                                  "signal-to-noise ratio (sgd, gd, langevin; "
                                  "perceptron, committee, twolayer students; "
                                  "pdx plan counts the cost)",
                                  OFF(record_noise_eigen)},
    [PDX_K_RECORD_CURRENT] = {"record.current", PDX_KEY_CHOICE, 0, 0, 0,
                              false_true, 0, "false", "",
                              "true: the stationary probability current, "
                              "the antisymmetric lag-one covariance "
                              "<y_t+1 y_t^T> - <y_t y_t+1^T> of the weights "
                              "projected on the top record.noise_eigen "
                              "eigenvectors of D (taken at "
                              "record.current_burn_in), every step after "
                              "it, with batch-means standard errors",
                              OFF(record_current)},
    [PDX_K_RECORD_CURRENT_BURN_IN] = {"record.current_burn_in", PDX_KEY_REAL,
                                      PDX_KEYF_DERIVED, 0, 1e9, NO_CHOICES,
                                      NAN, "= train.burn_in", "1",
                                      "record.current: epochs before the "
                                      "current's directions are fixed and "
                                      "its sums start",
                                      OFF(record_current_burn_in)},
};

const double *pdx_spec_list(const pdx_spec *spec, pdx_key_id id, size_t *n)
{
    if (id == PDX_K_RECORD_BUDGETS) {
        *n = spec->n_budgets;
        return spec->budgets;
    }
    if (id == PDX_K_RECORD_PERTURBATIONS) {
        *n = spec->n_perturbations;
        return spec->perturbations;
    }
    *n = spec->n_times;
    return spec->times;
}

const pdx_key *pdx_spec_keys(size_t *count)
{
    if (count != NULL)
        *count = PDX_KEY_COUNT;
    return keys;
}

int pdx_spec_key_find(const char *name)
{
    for (int i = 0; i < PDX_KEY_COUNT; i++)
        if (strcmp(keys[i].name, name) == 0)
            return i;
    return -1;
}

const char *pdx_spec_choice_name(pdx_key_id id, int index)
{
    if ((int)id < 0 || id >= PDX_KEY_COUNT || keys[id].type != PDX_KEY_CHOICE)
        return NULL;
    for (int i = 0; keys[id].choices[i] != NULL; i++)
        if (i == index)
            return keys[id].choices[i][0] != '\0' ? keys[id].choices[i]
                                                   : NULL;
    return NULL;
}

void pdx_params_set(pdx_params *params, pdx_key_id id, double value)
{
    const pdx_key *key = &keys[id];
    char *field = (char *)params + key->offset;
    switch (key->type) {
    case PDX_KEY_INT: {
        int64_t v = (int64_t)value;
        memcpy(field, &v, sizeof v);
        break;
    }
    case PDX_KEY_REAL:
        memcpy(field, &value, sizeof value);
        break;
    case PDX_KEY_CHOICE: {
        int v = (int)value;
        memcpy(field, &v, sizeof v);
        break;
    }
    case PDX_KEY_STRING:
    case PDX_KEY_TIMES:
        assert(!"string and times keys are not numeric parameters");
        break;
    }
}

double pdx_params_get(const pdx_params *params, pdx_key_id id)
{
    const pdx_key *key = &keys[id];
    const char *field = (const char *)params + key->offset;
    switch (key->type) {
    case PDX_KEY_INT: {
        int64_t v;
        memcpy(&v, field, sizeof v);
        return (double)v;
    }
    case PDX_KEY_REAL: {
        double v;
        memcpy(&v, field, sizeof v);
        return v;
    }
    case PDX_KEY_CHOICE: {
        int v;
        memcpy(&v, field, sizeof v);
        return v;
    }
    case PDX_KEY_STRING:
    case PDX_KEY_TIMES:
        break;
    }
    return NAN;
}

void pdx_params_default(pdx_params *params)
{
    memset(params, 0, sizeof *params);
    snprintf(params->name, sizeof params->name, "%s",
             keys[PDX_K_NAME].default_text);
    for (int i = 0; i < PDX_KEY_COUNT; i++)
        if (keys[i].type != PDX_KEY_STRING && keys[i].type != PDX_KEY_TIMES)
            pdx_params_set(params, (pdx_key_id)i, keys[i].default_value);
}

void pdx_params_resolve(pdx_params *params, const pdx_spec *spec)
{
    double last_time = spec != NULL && spec->n_times > 0
                           ? spec->times[spec->n_times - 1]
                           : 10.0;
    params->record_budget_count = spec != NULL ? (int)spec->n_budgets : 0;
    params->record_checkpoints = spec != NULL ? (int)spec->n_times : 0;
    params->record_perturbation_count =
        spec != NULL ? (int)spec->n_perturbations : 0;
    if (params->train_algorithm == PDX_ALG_SGD ||
        params->train_algorithm == PDX_ALG_GD) {
        /* the SGD temperature eta/B; gd's batch is the whole set */
        double batch = params->train_algorithm == PDX_ALG_SGD
                           ? (double)params->train_batch
                           : (double)pdx_params_train_size(params);
        /* the noise scale g = eta P/B (sgd) sets eta = g B/P */
        if (!isnan(params->train_noise_scale) &&
            params->train_algorithm == PDX_ALG_SGD)
            params->train_learning_rate =
                params->train_noise_scale *
                fmin((double)params->train_batch,
                     (double)pdx_params_train_size(params)) /
                (double)pdx_params_train_size(params);
        if (isnan(params->train_temperature))
            params->train_temperature = params->train_learning_rate / batch;
        else
            params->train_learning_rate = params->train_temperature * batch;
    }
    if (isnan(params->train_learning_rate_second))
        params->train_learning_rate_second = params->train_learning_rate;
    if (isnan(params->train_alpha))
        params->train_alpha = last_time;
    if (isnan(params->train_epochs))
        params->train_epochs = last_time;
    if (isnan(params->train_burn_in))
        params->train_burn_in = 0.5 * params->train_epochs;
    /* parallel tempering: the ladder is the train.temperature axis */
    params->train_ladder_size = 0;
    params->train_ladder = NULL;
    for (size_t i = 0; spec != NULL && params->train_parallel_tempering &&
                       i < spec->n_axes;
         i++)
        if (spec->axes[i].key == PDX_K_TRAIN_TEMPERATURE) {
            params->train_ladder_size = (int)spec->axes[i].n;
            params->train_ladder = spec->axes[i].values;
        }
    params->train_start_pair = 0; /* both starts in the grid (issue 14) */
    for (size_t i = 0; spec != NULL && i < spec->n_axes; i++)
        if (spec->axes[i].key == PDX_K_TRAIN_START) {
            int seen = 0;
            for (size_t j = 0; j < spec->axes[i].n; j++)
                seen |= 1 << (spec->axes[i].values[j] != PDX_START_HOT);
            params->train_start_pair = seen == 3;
        }
    if (isnan(params->record_current_burn_in))
        params->record_current_burn_in = params->train_burn_in;
}

/* The rule behind a value of key `id` that differs between cells though
 * the key is no axis. Only train.learning_rate is ever overridden (by
 * train.temperature, pdx_params_resolve); `algorithm_set` has bit a set when
 * train.algorithm a occurs in the spec. */
static void override_rule(pdx_key_id id, const pdx_spec *spec,
                          unsigned algorithm_set, char *rule, size_t size)
{
    if (id != PDX_K_TRAIN_LEARNING_RATE) {
        snprintf(rule, size, "differs between cells");
        return;
    }
    const unsigned sgd = 1u << PDX_ALG_SGD, gd = 1u << PDX_ALG_GD;
    if (spec->given[PDX_K_TRAIN_NOISE_SCALE]) {
        snprintf(rule, size, "= train.noise_scale x min(train.batch, P) / P "
                             "(sgd, P = round(data.alpha N))");
        return;
    }
    size_t used = (size_t)snprintf(rule, size, "=");
    const char *sep = " ";
    if ((algorithm_set & sgd) != 0 && used < size) {
        used += (size_t)snprintf(rule + used, size - used,
                                 "%strain.temperature x train.batch (sgd)",
                                 sep);
        sep = ", ";
    }
    if ((algorithm_set & gd) != 0 && used < size) {
        used += (size_t)snprintf(rule + used, size - used,
                                 "%strain.temperature x P (gd, P = "
                                 "round(data.alpha N))",
                                 sep);
        sep = ", ";
    }
    if ((algorithm_set & ~(sgd | gd)) != 0 && used < size)
        snprintf(rule + used, size - used, "%s%.17g (other algorithms)", sep,
                 spec->base.train_learning_rate);
}

/* Parameters of cell `cell` of the spec's axes (first axis slowest), as
 * pdx_grid_cell_params gives them. */
static void spec_cell_params(const pdx_spec *spec, uint64_t cell,
                             pdx_params *params)
{
    *params = spec->base;
    pdx_spec_set_cell(spec, cell, params);
    pdx_params_resolve(params, spec);
}

void pdx_spec_param_records(const pdx_spec *spec, pdx_param_record *records)
{
    memset(records, 0, PDX_KEY_COUNT * sizeof *records);
    for (size_t a = 0; a < spec->n_axes; a++)
        records[spec->axes[a].key].is_axis = 1;
    uint64_t n_cells = pdx_spec_cells(spec);
    unsigned char varies[PDX_KEY_COUNT] = {0};
    unsigned char used[PDX_KEY_COUNT] = {0};
    unsigned algorithm_set = 0;
    for (uint64_t cell = 0; cell < n_cells; cell++) {
        pdx_params c;
        spec_cell_params(spec, cell, &c);
        algorithm_set |= 1u << (unsigned)c.train_algorithm;
        for (int id = 0; id < PDX_KEY_COUNT; id++)
            used[id] |= (unsigned char)pdx_params_uses_key(&c,
                                                           (pdx_key_id)id);
        for (int id = 0; id < PDX_KEY_COUNT; id++) {
            if (keys[id].type == PDX_KEY_STRING ||
                keys[id].type == PDX_KEY_TIMES || records[id].is_axis)
                continue;
            double v = pdx_params_get(&c, (pdx_key_id)id);
            if (cell == 0)
                records[id].value = v;
            else if (!(v == records[id].value ||
                       (isnan(v) && isnan(records[id].value))))
                varies[id] = 1;
        }
    }
    for (int id = 0; id < PDX_KEY_COUNT; id++) {
        pdx_param_record *r = &records[id];
        r->omit = !used[id] && !r->is_axis;
        if (keys[id].type == PDX_KEY_STRING ||
            keys[id].type == PDX_KEY_TIMES || r->is_axis)
            continue;
        double base = pdx_params_get(&spec->base, (pdx_key_id)id);
        if (isnan(base) && (keys[id].flags & PDX_KEYF_DERIVED)) {
            r->is_rule = 1;
            snprintf(r->rule, sizeof r->rule, "%s", keys[id].default_text);
        } else if (varies[id]) {
            r->is_rule = 1;
            override_rule((pdx_key_id)id, spec, algorithm_set, r->rule,
                          sizeof r->rule);
        }
    }
}

int pdx_params_finite(const pdx_params *params)
{
    return params->train_algorithm != PDX_ALG_ONLINE;
}

int pdx_params_noise_applies(const pdx_params *params)
{
    int alg = params->train_algorithm;
    return (alg == PDX_ALG_SGD || alg == PDX_ALG_GD ||
            alg == PDX_ALG_LANGEVIN) &&
           params->student_kind != PDX_MODEL_DEEP;
}

int pdx_params_uses_key(const pdx_params *params, pdx_key_id id)
{
    switch (id) {
    case PDX_K_STUDENT_DEPTH:
    case PDX_K_STUDENT_WIDTH:
    case PDX_K_STUDENT_SIGMA_W2:
    case PDX_K_STUDENT_SIGMA_B2:
        return params->student_kind == PDX_MODEL_DEEP;
    case PDX_K_TEACHER_DEPTH:
    case PDX_K_TEACHER_WIDTH:
    case PDX_K_TEACHER_SIGMA_W2:
    case PDX_K_TEACHER_SIGMA_B2:
        return params->teacher_kind == PDX_MODEL_DEEP;
    case PDX_K_PROPAGATE_Q0:
    case PDX_K_PROPAGATE_C0:
    case PDX_K_PROPAGATE_PROBES:
    case PDX_K_PROPAGATE_CURVE_POINTS:
        return params->train_algorithm == PDX_ALG_PROPAGATE;
    case PDX_K_RECORD_OVERLAPS: /* recorded (param:) only when turned off */
        return !params->record_overlaps;
    case PDX_K_RECORD_NORM:
        return params->record_budget_count > 0 ||
               params->train_adversarial_budget > 0;
    case PDX_K_RECORD_ATTACK:
    case PDX_K_RECORD_ATTACK_STEPS:
    case PDX_K_RECORD_ATTACK_RESTARTS:
        return params->record_budget_count > 0;
    case PDX_K_TRAIN_ADVERSARIAL_BUDGET:
    case PDX_K_TRAIN_ADVERSARIAL_ATTACK:
    case PDX_K_TRAIN_ADVERSARIAL_STEPS:
        return params->train_adversarial_budget > 0;
    case PDX_K_RECORD_SEPARABLE: /* recorded (param:) only when turned on */
        return params->record_separable;
    case PDX_K_TRAIN_NOISE_SCALE: return !isnan(params->train_noise_scale);
    case PDX_K_TRAIN_DROPOUT: return params->train_dropout > 0;
    case PDX_K_RECORD_EVIDENCE: return params->record_evidence != 0;
    case PDX_K_RECORD_PRIOR_PRECISION: return params->record_evidence != 0;
    case PDX_K_TEACHER_NORMALISE: /* recorded (param:) only when not none */
        return params->teacher_normalise != PDX_NORMALISE_NONE;
    case PDX_K_RECORD_BAYES: /* recorded (param:) only when turned on */
        return params->record_bayes;
    case PDX_K_TRAIN_ENTRY: /* recorded (param:) only when turned on */
        return params->train_entry != PDX_ENTRY_NONE;
    case PDX_K_TRAIN_PARALLEL_TEMPERING:
        return params->train_parallel_tempering;
    case PDX_K_TRAIN_REPLICA_COUNT:
    case PDX_K_TRAIN_REPLICA_COUPLING:
    case PDX_K_TRAIN_REPLICA_GAMMA:
    case PDX_K_TRAIN_REPLICA_GAMMA_GROWTH:
    case PDX_K_TRAIN_REPLICA_GAMMA_MAX:
    case PDX_K_TRAIN_REPLICA_STOP:
        return params->train_algorithm == PDX_ALG_REPLICATED_MC ||
               params->train_algorithm == PDX_ALG_REPLICATED_SGD;
    case PDX_K_TRAIN_BETA_GROWTH:
    case PDX_K_TRAIN_MC_ENERGY:
        return params->train_algorithm == PDX_ALG_REPLICATED_MC;
    case PDX_K_TRAIN_ESGD_LANGEVIN_STEPS:
    case PDX_K_TRAIN_ESGD_GAMMA:
    case PDX_K_TRAIN_ESGD_GAMMA_GROWTH:
    case PDX_K_TRAIN_ESGD_INNER_LEARNING_RATE:
    case PDX_K_TRAIN_ESGD_NOISE:
    case PDX_K_TRAIN_ESGD_ALPHA:
        return params->train_algorithm == PDX_ALG_ENTROPY_SGD;
    case PDX_K_RECORD_PERTURBATION_DRAWS:
        return params->record_perturbation_count > 0;
    case PDX_K_RECORD_NOISE_EIGEN: return params->record_noise_eigen > 0;
    case PDX_K_RECORD_CURRENT: return params->record_current;
    case PDX_K_RECORD_CURRENT_BURN_IN: return params->record_current;
    default: return 1;
    }
}

int64_t pdx_params_train_size(const pdx_params *params)
{
    if (!pdx_params_finite(params) ||
        params->train_algorithm == PDX_ALG_PROPAGATE)
        return 0;
    double p = floor(params->data_alpha * (double)params->N + 0.5);
    return p < 1.0 ? 1 : (int64_t)p;
}

int64_t pdx_params_steps_per_time(const pdx_params *params)
{
    int64_t P = pdx_params_train_size(params);
    switch (params->train_algorithm) {
    case PDX_ALG_REPLICATED_MC: /* a sweep: K N moves of each replica */
        return params->N * params->train_replica_count *
               pdx_params_student_units(params);
    case PDX_ALG_SGD:
    case PDX_ALG_REPLICATED_SGD:
    case PDX_ALG_ENTROPY_SGD: { /* inner steps, one minibatch each */
        int64_t B = params->train_batch < P ? params->train_batch : P;
        return (P + B - 1) / B;
    }
    case PDX_ALG_GD:
    case PDX_ALG_LANGEVIN:
    case PDX_ALG_PROPAGATE: return 1; /* one step: the whole propagation */
    case PDX_ALG_HEBB:
    case PDX_ALG_PERCEPTRON: return P;
    case PDX_ALG_METROPOLIS:
    case PDX_ALG_ONLINE:
    default: return params->N;
    }
}

int64_t pdx_params_student_units(const pdx_params *params)
{
    return params->student_kind == PDX_MODEL_PERCEPTRON
               ? 1
               : params->student_hidden;
}

int64_t pdx_params_teacher_units(const pdx_params *params)
{
    return params->teacher_kind == PDX_MODEL_PERCEPTRON
               ? 1
               : params->teacher_hidden;
}

void pdx_spec_print_keys(FILE *f)
{
    fprintf(f, "| key | type | axis | default | bounds | meaning |\n");
    fprintf(f, "| --- | --- | --- | --- | --- | --- |\n");
    for (int i = 0; i < PDX_KEY_COUNT; i++) {
        const pdx_key *k = &keys[i];
        const char *type = "";
        char bounds[160] = "";
        switch (k->type) {
        case PDX_KEY_STRING: type = "string"; break;
        case PDX_KEY_INT: type = "integer"; break;
        case PDX_KEY_REAL: type = "real"; break;
        case PDX_KEY_TIMES: type = "list of reals"; break;
        case PDX_KEY_CHOICE: type = "choice"; break;
        }
        if (k->type == PDX_KEY_INT || k->type == PDX_KEY_REAL ||
            k->type == PDX_KEY_TIMES)
            snprintf(bounds, sizeof bounds, "%s%.6g, %.6g]",
                     (k->flags & PDX_KEYF_MIN_OPEN) ? "(" : "[", k->min,
                     k->max);
        else if (k->type == PDX_KEY_CHOICE) {
            size_t used = 0;
            for (int c = 0; k->choices[c] != NULL && used < sizeof bounds;
                 c++)
                if (k->choices[c][0] != '\0') /* holes are no choice */
                    used += (size_t)snprintf(bounds + used,
                                             sizeof bounds - used, "%s%s",
                                             used ? ", " : "", k->choices[c]);
        }
        fprintf(f, "| `%s` | %s | %s | %s | %s | %s |\n", k->name, type,
                (k->flags & PDX_KEYF_AXIS) ? "yes" : "no", k->default_text,
                bounds, k->doc);
    }
}

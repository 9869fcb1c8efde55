/* test_replicated.c — replicated training (issue 16) against exact
 * results: replicated Metropolis on N = 5 samples the replicated
 * Boltzmann law (enumerated exactly over the 2^(yN) states of the
 * replicas) for both couplings and both energies, and the test detects a
 * wrong coupling; y = 1 and gamma = 0 reduce to the plain metropolis and
 * sgd trainers bit for bit; the coupling pulls replicas together;
 * results do not depend on where a run is cut into checkpoints; binary
 * committee machines (K = 3, N = 3, y = 2) against enumeration too.
 * Statistical tolerances: 5 standard errors from batch means, and a
 * chi-square at p = 1e-4. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/grid.h"
#include "pdx/observe.h"
#include "pdx/train.h"
#include "pdx_test.h"
#define params_of(text) pdx_test_params_of((text), "replicated.yaml")

/* z-score against `exact` of the mean (into *mean) of `batches` batch
 * means, the batches' scatter as its error. */
static double batch_z(const double *batch, int batches, double exact,
                      double *mean)
{
    double m = 0, var = 0;
    for (int b = 0; b < batches; b++)
        m += batch[b] / batches;
    for (int b = 0; b < batches; b++)
        var += (batch[b] - m) * (batch[b] - m) / (batches - 1);
    *mean = m;
    return (m - exact) / sqrt(var / batches + 1e-30);
}

double pdx__replicated_energy(const pdx_trainer *t, size_t a,
                              int64_t *errors);

static pdx_trainer *trainer_of(const pdx_params *p, uint64_t cell_key)
{
    pdx_trainer *t = NULL;
    size_t P = (size_t)pdx_params_train_size(p);
    assert_int_equal(pdx_trainer_create_finite(&t, (size_t)p->N, 8, 4, 500,
                                               P, NULL),
                     PDX_OK);
    pdx_error err;
    if (pdx_trainer_set_cell(t, p, 2385, cell_key, 0, &err) != PDX_OK)
        fail_msg("set: %s", err.message);
    return t;
}

enum { XN = 5, XY = 3, XSTATES = 1 << (XN * XY) };

/* The energy of weights w on the training set of t. */
static double energy_of(const pdx_trainer *t, const double *w, int stability)
{
    const pdx_dataset *d = pdx_trainer_dataset(t);
    double e = 0.0;
    for (size_t mu = 0; mu < d->P; mu++) {
        double h = pdx_model_dot(w, d->x + mu * XN, XN);
        if (stability) {
            double s = -d->y[mu] * h / sqrt((double)XN);
            e += s > 0.0 ? s : 0.0;
        } else {
            e += (h >= 0.0) != (d->y[mu] > 0.0);
        }
    }
    return e;
}

/* Exact averages under exp(-beta sum_a E_a + sum_i ln 2cosh(gamma S_i/2)):
 * total energy, overlap q_01 = w^0.w^1/N, and the marginal law of
 * replica 0 (32 states). */
static void exact_averages(const pdx_trainer *t, double T, double gamma,
                           int stability, double *energy, double *q01,
                           double *marginal)
{
    double single[1 << XN], Z = 0.0, sum_e = 0.0, sum_q = 0.0;
    for (int s = 0; s < (1 << XN); s++) {
        double w[XN];
        for (int i = 0; i < XN; i++)
            w[i] = (s >> i) & 1 ? 1.0 : -1.0;
        single[s] = energy_of(t, w, stability);
        marginal[s] = 0.0;
    }
    for (int state = 0; state < XSTATES; state++) {
        int s[XY];
        double E = 0.0, logw = 0.0, q = 0.0;
        for (int a = 0; a < XY; a++) {
            s[a] = (state >> (a * XN)) & ((1 << XN) - 1);
            E += single[s[a]];
        }
        for (int i = 0; i < XN; i++) {
            double S = 0.0;
            for (int a = 0; a < XY; a++)
                S += (s[a] >> i) & 1 ? 1.0 : -1.0;
            logw += log(2.0 * cosh(0.5 * gamma * S));
            q += (((s[0] >> i) & 1) == ((s[1] >> i) & 1)) ? 1.0 : -1.0;
        }
        double weight = exp(-E / T + logw);
        Z += weight;
        sum_e += weight * E;
        sum_q += weight * q / XN;
        marginal[s[0]] += weight;
    }
    *energy = sum_e / Z;
    *q01 = sum_q / Z;
    for (int s = 0; s < (1 << XN); s++)
        marginal[s] /= Z;
}

/* Run replicated_mc at (T, gamma) and compare with the exact law at
 * (T, gamma_exact); returns the largest |z| of the two means and whether
 * the marginal's chi-square passed. */
static double check_exact(const char *coupling, const char *energy,
                          double T, double gamma, double gamma_exact,
                          int *chi2_ok)
{
    char spec[640];
    snprintf(spec, sizeof spec,
             "N: %d\nteacher: {kind: perceptron}\n"
             "student: {kind: perceptron, weights: binary}\n"
             "data: {alpha: 1.4, label_noise: 1}\n"
             "train: {algorithm: replicated_mc, temperature: %.17g, "
             "replica_count: %d, replica_gamma: %.17g, replica_coupling: %s, "
             "mc_energy: %s, replica_stop: false, epochs: 200000}\n",
             XN, T, XY, gamma, coupling, energy);
    pdx_params p = params_of(spec);
    pdx_trainer *t = trainer_of(&p, 91);
    const int stability = strcmp(energy, "stability") == 0;
    double exact_e, exact_q, marginal[1 << XN];
    exact_averages(t, T, gamma_exact, stability, &exact_e, &exact_q,
                   marginal);
    const int64_t per_sweep = XN * XY, sweeps = 200000, batches = 50;
    const int64_t per_batch = sweeps / batches;
    double be[50] = {0}, bq[50] = {0}, counts[1 << XN] = {0};
    for (int64_t k = 1; k <= sweeps; k++) {
        assert_int_equal(pdx_trainer_iterate(t, k * per_sweep), 0);
        const pdx_committee *rep;
        assert_int_equal(pdx_trainer_replicas(t, &rep, NULL), XY);
        double E = 0.0, q = 0.0;
        int s0 = 0;
        for (int a = 0; a < XY; a++)
            E += energy_of(t, rep[a].w, stability);
        for (int i = 0; i < XN; i++) {
            q += rep[0].w[i] * rep[1].w[i] / XN;
            s0 |= (rep[0].w[i] > 0) << i;
        }
        be[(k - 1) / per_batch] += E / (double)per_batch;
        bq[(k - 1) / per_batch] += q / (double)per_batch;
        if (k % 4 == 0)
            counts[s0]++;
        /* the incremental energies stay exact */
        if (k % 9973 == 0)
            for (int a = 0; a < XY; a++)
                assert_true(fabs(pdx__replicated_energy(t, (size_t)a, NULL) -
                                 energy_of(t, rep[a].w, stability)) < 1e-9);
    }
    double me, mq;
    double ze = batch_z(be, batches, exact_e, &me);
    double zq = batch_z(bq, batches, exact_q, &mq);
    /* chi-square of replica 0's marginal, thinned to every 4th sweep */
    double chi2 = 0.0;
    int bins = 0;
    for (int s = 0; s < (1 << XN); s++) {
        double e = (double)(sweeps / 4) * marginal[s];
        if (e < 20)
            continue;
        chi2 += (counts[s] - e) * (counts[s] - e) / e;
        bins++;
    }
    double df = bins - 1;
    double critical = df + 3.72 * sqrt(2 * df) + 8;
    printf("# %s/%s T %.3g gamma %.3g vs exact gamma %.3g: <E> %.5f (exact "
           "%.5f, z %.2f), <q01> %.5f (exact %.5f, z %.2f), chi2 %.1f / %d "
           "bins\n",
           coupling, energy, T, gamma, gamma_exact, me, exact_e, ze, mq,
           exact_q, zq, chi2, bins);
    *chi2_ok = chi2 < critical;
    pdx_trainer_destroy(&t);
    return fmax(fabs(ze), fabs(zq));
}

static void test_replicated_mc_exact_law(void **state)
{
    (void)state;
    int ok;
    assert_true(check_exact("traced", "errors", 1.3, 0.8, 0.8, &ok) < 5.0);
    assert_true(ok);
    assert_true(check_exact("centre", "errors", 1.3, 0.8, 0.8, &ok) < 5.0);
    assert_true(ok);
    assert_true(check_exact("traced", "stability", 0.4, 1.1, 1.1, &ok) < 5.0);
    assert_true(ok);
    assert_true(check_exact("centre", "stability", 0.4, 1.1, 1.1, &ok) <
                5.0);
    assert_true(ok);
}

/* The comparison must fail for a wrong law: the samples at gamma = 0.8
 * against the exact law of uncoupled replicas (gamma = 0). */
static void test_replicated_mc_exact_detects_wrong_gamma(void **state)
{
    (void)state;
    int ok;
    assert_true(check_exact("traced", "errors", 1.3, 0.8, 0.0, &ok) > 8.0);
}

/* y = 1, gamma = 0, no annealing: the plain metropolis trainer move for
 * move (same cell key: the same streams). */
static void test_replicated_mc_reduces_to_metropolis(void **state)
{
    (void)state;
    const char *common = "N: 41\nteacher: {kind: perceptron}\n"
                         "student: {kind: perceptron, weights: binary}\n"
                         "data: {alpha: 0.9, label_noise: 0.2}\n";
    char a[512], b[512];
    snprintf(a, sizeof a,
             "%strain: {algorithm: metropolis, temperature: 0.7, epochs: "
             "40}\n",
             common);
    snprintf(b, sizeof b,
             "%strain: {algorithm: replicated_mc, temperature: 0.7, "
             "replica_count: 1, replica_stop: false, epochs: 40}\n",
             common);
    pdx_params pa = params_of(a), pb = params_of(b);
    pdx_trainer *ta = trainer_of(&pa, 5), *tb = trainer_of(&pb, 5);
    for (int64_t s = 1; s <= 40; s += 3) {
        pdx_trainer_iterate(ta, s * 41);
        pdx_trainer_iterate(tb, s * 41);
        assert_memory_equal(pdx_trainer_student(ta)->w,
                            pdx_trainer_student(tb)->w, 41 * sizeof(double));
    }
    assert_true(pdx_trainer_accept_rate(ta) == pdx_trainer_accept_rate(tb));
    assert_true(pdx_trainer_train_error(ta, 0, NULL) ==
                pdx_trainer_train_error(tb, 0, NULL));
    pdx_trainer_destroy(&ta);
    pdx_trainer_destroy(&tb);
}

/* y = 1, gamma = 0: the plain sgd trainer bit for bit (B >= 2). */
static void test_replicated_sgd_reduces_to_sgd(void **state)
{
    (void)state;
    const char *students[] = {
        "student: {kind: committee, hidden: 3}\n"
        "data: {alpha: 2}\nteacher: {kind: committee, hidden: 2}\n",
        "student: {kind: twolayer, hidden: 2}\n"
        "data: {alpha: 2}\nteacher: {kind: committee, hidden: 2}\n",
        "student: {kind: perceptron, weights: spherical}\n"
        "teacher: {kind: perceptron}\ndata: {alpha: 1.5}\n",
    };
    for (size_t s = 0; s < 3; s++) {
        char a[512], b[512];
        snprintf(a, sizeof a,
                 "N: 37\n%strain: {algorithm: sgd, learning_rate: 0.3, "
                 "batch: 7, epochs: 5%s}\n",
                 students[s], s == 2 ? ", loss: logistic" : "");
        snprintf(b, sizeof b,
                 "N: 37\n%strain: {algorithm: replicated_sgd, learning_rate: "
                 "0.3, batch: 7, epochs: 5, replica_count: 1, replica_stop: "
                 "false%s}\n",
                 students[s], s == 2 ? ", loss: logistic" : "");
        pdx_params pa = params_of(a), pb = params_of(b);
        pdx_trainer *ta = trainer_of(&pa, 8), *tb = trainer_of(&pb, 8);
        int64_t total = pdx_trainer_total_steps(ta);
        assert_int_equal(total, pdx_trainer_total_steps(tb));
        pdx_trainer_iterate(ta, total);
        pdx_trainer_iterate(tb, total);
        const pdx_committee *ca = pdx_trainer_student(ta);
        const pdx_committee *cb = pdx_trainer_student(tb);
        assert_memory_equal(ca->w, cb->w, ca->K * ca->N * sizeof(double));
        assert_memory_equal(ca->v, cb->v, ca->K * sizeof(double));
        pdx_trainer_destroy(&ta);
        pdx_trainer_destroy(&tb);
    }
}

/* Mean |w^a - centre|^2 / (K N) of the trainer's replicas. */
static double replica_distance(const pdx_trainer *t)
{
    const pdx_committee *rep, *c = pdx_trainer_student(t);
    size_t y = pdx_trainer_replicas(t, &rep, NULL);
    double d = 0.0;
    for (size_t a = 0; a < y; a++)
        for (size_t j = 0; j < c->K * c->N; j++)
            d += (rep[a].w[j] - c->w[j]) * (rep[a].w[j] - c->w[j]);
    return d / (double)(y * c->K * c->N);
}

/* The coupling pulls the replicas to their centre: with gamma large they
 * end much closer than uncoupled ones, for both couplings and both
 * trainers; with gamma = 0 they stay apart. */
static void test_replicated_coupling_contracts(void **state)
{
    (void)state;
    const char *couplings[] = {"traced", "centre"};
    for (int c = 0; c < 2; c++) {
        double d[2];
        const double gammas[2] = {0.0, 3.0};
        for (int g = 0; g < 2; g++) {
            char spec[512];
            snprintf(spec, sizeof spec,
                     "N: 60\nteacher: {kind: perceptron}\n"
                     "student: {kind: committee, hidden: 2, "
                     "init_scale: 1}\n"
                     "data: {alpha: 2, label_noise: 1}\n"
                     "record: {test_size: 200}\n"
                     "train: {algorithm: replicated_sgd, learning_rate: 0.2, "
                     "batch: 10, epochs: 30, replica_count: 4, loss: "
                     "logistic, replica_stop: false, "
                     "replica_gamma: %g, replica_coupling: %s}\n",
                     gammas[g], couplings[c]);
            pdx_params p = params_of(spec);
            pdx_trainer *t = trainer_of(&p, 3);
            pdx_trainer_iterate(t, pdx_trainer_total_steps(t));
            d[g] = replica_distance(t);
            pdx_trainer_destroy(&t);
        }
        printf("# sgd %s: distance %.4g uncoupled, %.4g at gamma 3\n",
               couplings[c], d[0], d[1]);
        assert_true(d[0] > 0.5);
        assert_true(d[1] < 0.05 * d[0]);
        for (int g = 0; g < 2; g++) {
            char spec[512];
            snprintf(spec, sizeof spec,
                     "N: 80\nteacher: {kind: perceptron}\n"
                     "student: {kind: perceptron, weights: binary}\n"
                     "data: {alpha: 0.5, label_noise: 1}\n"
                     "train: {algorithm: replicated_mc, temperature: 2, "
                     "epochs: 30, replica_count: 4, replica_stop: false, "
                     "replica_gamma: %g, replica_coupling: %s}\n",
                     gammas[g], couplings[c]);
            pdx_params p = params_of(spec);
            pdx_trainer *t = trainer_of(&p, 3);
            pdx_trainer_iterate(t, pdx_trainer_total_steps(t));
            d[g] = replica_distance(t);
            pdx_trainer_destroy(&t);
        }
        printf("# mc %s: distance %.4g uncoupled, %.4g at gamma 3\n",
               couplings[c], d[0], d[1]);
        assert_true(d[0] > 1.0); /* binary: 4 x the fraction that differ */
        assert_true(d[1] < 0.3 * d[0]);
    }
}

/* The same numbers wherever a run is cut into checkpoints, and a solution
 * found at zero temperature is a solution. */
static void test_replicated_checkpoint_independent(void **state)
{
    (void)state;
    const char *specs[] = {
        "N: 50\nteacher: {kind: perceptron}\n"
        "student: {kind: perceptron, weights: binary}\n"
        "data: {alpha: 0.4, label_noise: 1}\n"
        "train: {algorithm: replicated_mc, temperature: 1, beta_growth: 0.1, "
        "replica_gamma: 0.2, replica_gamma_growth: 0.1, mc_energy: "
        "stability, epochs: 60}\n",
        "N: 50\nteacher: {kind: perceptron}\nstudent: {kind: committee, "
        "hidden: 3}\ndata: {alpha: 1}\nrecord: {test_size: 100}\n"
        "train: {algorithm: replicated_sgd, learning_rate: 0.5, batch: 6, "
        "loss: logistic, replica_gamma: 0.05, replica_gamma_growth: 0.2, "
        "replica_coupling: centre, epochs: 40}\n",
    };
    for (size_t s = 0; s < 2; s++) {
        pdx_params p = params_of(specs[s]);
        pdx_trainer *a = trainer_of(&p, 17), *b = trainer_of(&p, 17);
        int64_t total = pdx_trainer_total_steps(a);
        pdx_trainer_iterate(a, total);
        for (int64_t k = 1; k <= 13; k++)
            pdx_trainer_iterate(b, total * k / 13 + (k % 3));
        pdx_trainer_iterate(b, total);
        const pdx_committee *ra, *rb, *ca = pdx_trainer_student(a);
        double ta, tb;
        size_t y = pdx_trainer_replicas(a, &ra, &ta);
        assert_int_equal(pdx_trainer_replicas(b, &rb, &tb), y);
        for (size_t r = 0; r < y; r++)
            assert_memory_equal(ra[r].w, rb[r].w,
                                ca->K * ca->N * sizeof(double));
        assert_memory_equal(ca->w, pdx_trainer_student(b)->w,
                            ca->K * ca->N * sizeof(double));
        assert_true((isnan(ta) && isnan(tb)) || ta == tb);
        printf("# %s: time to success %g\n", s ? "sgd" : "mc", ta);
        assert_false(isnan(ta)); /* both problems are easy */
        /* stopped at success: the centre or a replica fits */
        int fits = pdx_trainer_train_error(a, 0, NULL) == 0.0;
        for (size_t r = 0; r < y && !fits; r++) {
            const pdx_dataset *d = pdx_trainer_dataset(a);
            double lambda[64];
            int wrong = 0;
            for (size_t mu = 0; mu < d->P; mu++)
                wrong += (pdx_model_forward(&ra[r], d->x + mu * d->N,
                                            lambda) >= 0.0) !=
                         (d->y[mu] > 0.0);
            fits = wrong == 0;
        }
        assert_true(fits);
        pdx_trainer_destroy(&a);
        pdx_trainer_destroy(&b);
    }
}

/* ---- binary committee machines: K = 3 sign units of CN = 3 inputs, y =
 * 2 replicas: 2^18 states, enumerated ---- */
enum { CN = 3, CK = 3, CY = 2, CSITES = CN * CK, CSINGLE = 1 << CSITES };

/* Errors of the committee with weights w (K x N) on t's training set. */
static double committee_errors(const pdx_trainer *t, const double *w)
{
    const pdx_dataset *d = pdx_trainer_dataset(t);
    double e = 0.0;
    for (size_t mu = 0; mu < d->P; mu++) {
        double vote = 0.0;
        for (int k = 0; k < CK; k++) {
            double h = pdx_model_dot(w + k * CN, d->x + mu * CN, CN);
            vote += h > 0.0 ? 1.0 : h < 0.0 ? -1.0 : 0.0;
        }
        e += (vote >= 0.0) != (d->y[mu] > 0.0);
    }
    return e;
}

static void committee_weights(int s, double *w)
{
    for (int i = 0; i < CSITES; i++)
        w[i] = (s >> i) & 1 ? 1.0 : -1.0;
}

/* Exact <total errors>, <q01> and replica 0's marginal under
 * exp(-E_0/T - E_1/T + sum_sites ln 2cosh(gamma S/2)). */
static void committee_exact(const pdx_trainer *t, double T, double gamma,
                            double *energy, double *q01, double *marginal)
{
    static double single[CSINGLE];
    double Z = 0.0, sum_e = 0.0, sum_q = 0.0;
    for (int s = 0; s < CSINGLE; s++) {
        double w[CSITES];
        committee_weights(s, w);
        single[s] = committee_errors(t, w);
        marginal[s] = 0.0;
    }
    for (int s0 = 0; s0 < CSINGLE; s0++)
        for (int s1 = 0; s1 < CSINGLE; s1++) {
            double logw = 0.0, q = 0.0;
            for (int i = 0; i < CSITES; i++) {
                double a = (s0 >> i) & 1 ? 1.0 : -1.0;
                double b = (s1 >> i) & 1 ? 1.0 : -1.0;
                logw += log(2.0 * cosh(0.5 * gamma * (a + b)));
                q += a * b;
            }
            double E = single[s0] + single[s1];
            double weight = exp(-E / T + logw);
            Z += weight;
            sum_e += weight * E;
            sum_q += weight * q / CSITES;
            marginal[s0] += weight;
        }
    *energy = sum_e / Z;
    *q01 = sum_q / Z;
    for (int s = 0; s < CSINGLE; s++)
        marginal[s] /= Z;
}

/* As check_exact, for the committee: the largest |z| of <E> and <q01>
 * (batch means) and the chi-square of replica 0's marginal. */
static double check_committee(const char *coupling, double T, double gamma,
                              double gamma_exact, int *chi2_ok)
{
    char spec[640];
    snprintf(spec, sizeof spec,
             "N: %d\nteacher: {kind: perceptron}\n"
             "student: {kind: committee, hidden: %d, weights: binary}\n"
             "data: {alpha: 2.4, label_noise: 1}\nrecord: {test_size: 100}\n"
             "train: {algorithm: replicated_mc, temperature: %.17g, "
             "replica_count: %d, replica_gamma: %.17g, replica_coupling: %s, "
             "replica_stop: false, epochs: 120000}\n",
             CN, CK, T, CY, gamma, coupling);
    pdx_params p = params_of(spec);
    pdx_trainer *t = trainer_of(&p, 93);
    static double marginal[CSINGLE], counts[CSINGLE];
    double exact_e, exact_q;
    committee_exact(t, T, gamma_exact, &exact_e, &exact_q, marginal);
    const int64_t per_sweep = CSITES * CY, sweeps = 120000, batches = 50;
    const int64_t per_batch = sweeps / batches;
    double be[50] = {0}, bq[50] = {0};
    memset(counts, 0, sizeof counts);
    for (int64_t k = 1; k <= sweeps; k++) {
        assert_int_equal(pdx_trainer_iterate(t, k * per_sweep), 0);
        const pdx_committee *rep;
        assert_int_equal(pdx_trainer_replicas(t, &rep, NULL), CY);
        assert_int_equal(rep[0].K, CK);
        double E = 0.0, q = 0.0;
        int s0 = 0;
        for (int a = 0; a < CY; a++)
            E += committee_errors(t, rep[a].w);
        for (int i = 0; i < CSITES; i++) {
            q += rep[0].w[i] * rep[1].w[i] / CSITES;
            s0 |= (rep[0].w[i] > 0) << i;
        }
        be[(k - 1) / per_batch] += E / (double)per_batch;
        bq[(k - 1) / per_batch] += q / (double)per_batch;
        if (k % 2 == 0)
            counts[s0]++;
        if (k % 9973 == 0) /* the incremental errors stay exact */
            for (int a = 0; a < CY; a++) {
                int64_t errors;
                pdx__replicated_energy(t, (size_t)a, &errors);
                assert_true((double)errors == committee_errors(t, rep[a].w));
            }
    }
    double me, mq;
    double ze = batch_z(be, batches, exact_e, &me);
    double zq = batch_z(bq, batches, exact_q, &mq);
    double chi2 = 0.0;
    int bins = 0;
    for (int s = 0; s < CSINGLE; s++) {
        double e = (double)(sweeps / 2) * marginal[s];
        if (e < 20)
            continue;
        chi2 += (counts[s] - e) * (counts[s] - e) / e;
        bins++;
    }
    double df = bins - 1;
    double critical = df + 3.72 * sqrt(2 * df) + 8;
    printf("# committee %s T %.3g gamma %.3g vs exact gamma %.3g: <E> %.5f "
           "(exact %.5f, z %.2f), <q01> %.5f (exact %.5f, z %.2f), chi2 "
           "%.1f / %d bins\n",
           coupling, T, gamma, gamma_exact, me, exact_e, ze, mq, exact_q, zq,
           chi2, bins);
    *chi2_ok = chi2 < critical;
    pdx_trainer_destroy(&t);
    return fmax(fabs(ze), fabs(zq));
}

/* Binary committee machines sample the replicated Boltzmann law (both
 * couplings), and the comparison fails against uncoupled replicas. */
static void test_replicated_mc_committee_exact_law(void **state)
{
    (void)state;
    int ok;
    assert_true(check_committee("traced", 0.9, 0.7, 0.7, &ok) < 5.0);
    assert_true(ok);
    assert_true(check_committee("centre", 0.9, 0.7, 0.7, &ok) < 5.0);
    assert_true(ok);
    assert_true(check_committee("traced", 0.9, 0.7, 0.0, &ok) > 8.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replicated_mc_exact_law),
        cmocka_unit_test(test_replicated_mc_exact_detects_wrong_gamma),
        cmocka_unit_test(test_replicated_mc_reduces_to_metropolis),
        cmocka_unit_test(test_replicated_sgd_reduces_to_sgd),
        cmocka_unit_test(test_replicated_coupling_contracts),
        cmocka_unit_test(test_replicated_checkpoint_independent),
        cmocka_unit_test(test_replicated_mc_committee_exact_law),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

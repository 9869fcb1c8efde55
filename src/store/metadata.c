/* metadata.c — the short labels of everything a pdx file holds (issue 19):
 * for every variable, coordinate and spec key a `long_name` fit for an
 * axis label (with its symbol: "α = P/N", "ε_g") and its `units`; the
 * long documentation text goes to `description` (docs/FORMAT.md,
 * "Attributes").
 *
 * ONE table here, so that new spec keys (src/spec_table.c) and variables
 * (src/observe.c, src/theory_grid.c) only need a row: tests/
 * metadata_test.py fails when a written variable, coordinate or key has no
 * row. Time is counted in steps/N (online), epochs (hebb, perceptron, sgd,
 * gd, langevin), Monte Carlo sweeps of N moves (metropolis) or checkpoints
 * (propagate): what pdx_params_steps_per_time counts for each algorithm. */
#include "store_internal.h"

/* units: NULL for flag variables and choice coordinates (CF flags carry
 * no units); TIME_UNITS: the sweep's unit of time (pdx__time_units). */
#define TIME_UNITS ((const char *)1)

typedef struct label {
    const char *name; /* "theory:NAME" applies to theory files only */
    const char *long_name;
    const char *units;
} label;

static const label labels[] = {
    /* the store's own variables */
    {"status", "task status", NULL},
    {"steps", "steps taken", "1"},
    {"wall_seconds", "wall-clock time", "s"},
    {"checksum", "CRC-32 of the task's results", "1"},
    /* result variables (src/observe.c) */
    {"eg", "generalization error ε_g", "1"},
    {"Q", "overlap Q_kl = w_k·w_l/N", "1"},
    {"R", "overlap R_km = w_k·B_m/N", "1"},
    {"T", "teacher overlap T_mn = B_m·B_n/N", "1"},
    {"v", "second-layer weight v_k", "1"},
    {"norm", "mean squared weight Σ_k Q_kk/K", "1"},
    {"train_error", "training error ε_t", "1"},
    {"train_error_clean", "training error ε_t (clean labels)", "1"},
    {"loss", "training loss", "1"},
    {"time_to_fit", "time to fit t_fit", TIME_UNITS},
    {"eg_mean", "ε_g averaged after burn-in", "1"},
    {"train_error_mean", "ε_t averaged after burn-in", "1"},
    {"train_error_clean_mean", "clean ε_t averaged after burn-in", "1"},
    {"R_mean", "R_km averaged after burn-in", "1"},
    {"accept_rate", "Metropolis acceptance rate", "1"},
    {"robust_error", "robust error ε_rob", "1"},
    {"robust_error_consistent", "robust error ε_rob (consistent)", "1"},
    {"robust_distance", "mean minimal perturbation", "1"},
    {"robust_attack", "attack used", NULL},
    {"separable", "training set linearly separable", "1"},
    {"q_layer", "length q^l", "1"},
    {"c_layer", "correlation c^l", "1"},
    {"chi_layer", "Jacobian χ^l", "1"},
    {"curve_length_layer", "curve length ℓ^l/√n", "1"},
    /* theory files (src/theory_grid.c, src/cli/cmd_theory.c) */
    {"theory:status", "theory status", NULL},
    {"theory:theory", "theory used", NULL},
    {"theory:phase", "phase (Ising perceptron)", NULL},
    {"q", "replica overlap q", "1"},
    {"phi", "free entropy φ = ⟨ln Z⟩/N", "1"},
    {"eg_large_alpha", "large-α asymptote of ε_g", "1"},
    {"eg_poor", "ε_g of the poor branch", "1"},
    {"R_poor", "R of the poor branch", "1"},
    {"phi_poor", "φ of the poor branch", "1"},
    {"eg_perfect", "ε_g of the perfect state", "1"},
    {"phi_perfect", "φ of the perfect state", "1"},
    {"alpha_c", "transition load α_c", "1"},
    {"alpha_spinodal", "spinodal load α_sp", "1"},
    {"plateau_eg", "plateau ε_g", "1"},
    {"plateau_start", "plateau start", TIME_UNITS},
    {"plateau_end", "plateau end", TIME_UNITS},
    {"eta_max", "maximal learning rate η_max", "1"},
    {"residual", "saddle-point residual", "1"},
    {"plateau_growth", "plateau escape rate", "1"},
    {"q_star", "fixed point q*", "1"},
    {"c_star", "fixed point c*", "1"},
    {"chi_1", "χ_1", "1"},
    {"chi_c", "χ_c", "1"},
    {"slope_q", "slope of the length map at q*", "1"},
    {"xi_q", "depth scale ξ_q", "1"},
    {"xi_c", "depth scale ξ_c", "1"},
    {"xi_grad", "gradient depth scale ξ_∇", "1"},
    {"sigma_w2_critical", "critical σ_w²", "1"},
    {"trainable_depth", "trainable depth 6ξ_c", "1"},
    /* dimensions */
    {"time", "training time t", TIME_UNITS},
    {"replica", "replica", "1"},
    {"student_unit", "student unit k", "1"},
    {"student_unit2", "student unit l", "1"},
    {"teacher_unit", "teacher unit m", "1"},
    {"teacher_unit2", "teacher unit n", "1"},
    {"layer", "layer l", "1"},
    {"budget", "budget ε", "1"},
    {"task", "task", "1"},
    /* spec keys (src/spec_table.c), as coordinates and param: attributes */
    {"name", "sweep name", NULL},
    {"seed", "seed", "1"},
    {"replicas", "replicas", "1"},
    {"N", "input dimension N", "1"},
    {"teacher.kind", "teacher", NULL},
    {"teacher.hidden", "teacher hidden units M", "1"},
    {"teacher.activation", "teacher activation", NULL},
    {"teacher.output_noise", "output noise σ", "1"},
    {"teacher.weights", "teacher weights", NULL},
    {"student.kind", "student", NULL},
    {"student.hidden", "student hidden units K", "1"},
    {"student.activation", "student activation", NULL},
    {"student.init_scale", "initial weight scale", "1"},
    {"student.second_layer", "second layer", NULL},
    {"student.second_layer_init", "initial v_k", "1"},
    {"student.weights", "student weights", NULL},
    {"data.alpha", "α = P/N", "1"},
    {"data.label_noise", "label noise F", "1"},
    {"data.input_noise", "input noise σ_x", "1"},
    {"data.input_corruption", "input corruption probability", "1"},
    {"train.algorithm", "algorithm", NULL},
    {"train.learning_rate", "learning rate η", "1"},
    {"train.learning_rate_second", "second-layer learning rate η_v", "1"},
    {"train.alpha", "training time α = steps/N", "steps/N"},
    {"train.divergence_norm", "divergence threshold of Q_kk", "1"},
    {"train.temperature", "temperature T", "1"},
    {"train.batch", "batch size B", "1"},
    {"train.epochs", "training time", TIME_UNITS},
    {"train.loss", "loss", NULL},
    {"train.weight_decay", "weight decay λ", "1"},
    {"train.burn_in", "burn-in", TIME_UNITS},
    {"train.start", "start", NULL},
    {"train.move_scale", "move scale", "rad"},
    {"record.times", "checkpoint times", TIME_UNITS},
    {"record.eg", "ε_g estimator", NULL},
    {"record.test_size", "test-set size", "1"},
    {"record.overlaps", "overlaps recorded", NULL},
    {"record.budgets", "budgets ε", "1"},
    {"record.norm", "budget norm", NULL},
    {"record.attack", "attack", NULL},
    {"record.attack_steps", "PGD steps", "1"},
    {"record.attack_restarts", "PGD restarts", "1"},
    {"train.adversarial_budget", "training budget ε_train", "1"},
    {"train.adversarial_attack", "training attack", NULL},
    {"train.adversarial_steps", "training attack steps", "1"},
    {"record.separable", "separability tested", NULL},
    {"student.depth", "student depth L", "1"},
    {"student.width", "student width n", "1"},
    {"student.sigma_w2", "σ_w²", "1"},
    {"student.sigma_b2", "σ_b²", "1"},
    {"teacher.depth", "teacher depth L", "1"},
    {"teacher.width", "teacher width n", "1"},
    {"teacher.sigma_w2", "teacher σ_w²", "1"},
    {"teacher.sigma_b2", "teacher σ_b²", "1"},
    {"propagate.q0", "input length q^0", "1"},
    {"propagate.c0", "input correlation c^0", "1"},
    {"propagate.probes", "Jacobian probes", "1"},
    {"propagate.curve_points", "curve points", "1"},
    {"train.noise_scale", "SGD noise scale g = ηP/B", "1"},
    {"train.dropout", "dropout rate p", "1"},
    {"record.evidence", "evidence likelihood", NULL},
    {"record.prior_precision", "prior precision λ", "1"},
    {"log_evidence", "Laplace log-evidence ln P(y|X)", "1"},
    {"evidence_cost", "evidence cost term −C(w₀)", "1"},
    {"evidence_occam", "Occam factor −½ ln det(H/λ)", "1"},
    {"evidence_null", "null log-evidence −P ln 2", "1"},
    {"evidence_eg", "ε_g of the MAP weights", "1"},
    {"teacher.normalise", "teacher normalisation", NULL},
    {"record.bayes", "Bayes estimator recorded", NULL},
    {"q_mean", "q averaged after burn-in", "1"},
    {"eg_bayes", "ε_g of the Bayes estimator", "1"},
    {"train.entry", "version-space entry", NULL},
    {"train.parallel_tempering", "parallel tempering", NULL},
    {"tau_energy", "autocorrelation time τ_int of ε_t", TIME_UNITS},
    {"tau_eg", "autocorrelation time τ_int of ε_g", TIME_UNITS},
    {"n_eff", "effective samples n/(2τ_int)", "1"},
    {"drift_z", "drift |z| (first 10 % vs last 50 %)", "1"},
    {"equilibrated", "equilibrated (1) or not (0)", "1"},
    {"entry_epochs", "version-space entry time", "epochs"},
    {"swap_rate", "replica-exchange acceptance", "1"},
    {"train_error_sem", "standard error of ε_t after burn-in", "1"},
    {"eg_sem", "standard error of ε_g after burn-in", "1"},
    {"train.replica_count", "replicas y", "1"},
    {"train.replica_coupling", "replica coupling", NULL},
    {"train.replica_gamma", "coupling γ₀", "1"},
    {"train.replica_gamma_growth", "coupling growth γ₁", "1"},
    {"train.replica_gamma_max", "largest coupling γ_max", "1"},
    {"train.beta_growth", "annealing β growth", "1"},
    {"train.mc_energy", "Monte Carlo energy", NULL},
    {"train.replica_stop", "stop at success", NULL},
    {"success", "solution found", "1"},
    {"time_to_success", "time to success", TIME_UNITS},
    {"replica_distance", "replicas' distance to the centre", "1"},
    {"replica_train_error", "replicas' training error ε_t", "1"},
    {"replica_eg", "replicas' generalization error ε_g", "1"},
    /* issue 16: Entropy-SGD and the local energy */
    {"local_energy", "local energy (training error of the perturbed "
                     "student)", "1"},
    {"local_energy_se", "standard error of the local energy", "1"},
    {"local_loss", "training loss of the perturbed student", "1"},
    {"local_loss_se", "standard error of the perturbed loss", "1"},
    {"perturbation", "perturbation size p or σ", "1"},
    {"train.esgd_langevin_steps", "Entropy-SGD inner steps L", "1"},
    {"train.esgd_gamma", "Entropy-SGD scope γ_0", "1"},
    {"train.esgd_gamma_growth", "Entropy-SGD scoping γ_1", "1"},
    {"train.esgd_inner_learning_rate", "Entropy-SGD inner learning rate η'",
     "1"},
    {"train.esgd_noise", "Entropy-SGD thermal noise ε", "1"},
    {"train.esgd_alpha", "Entropy-SGD averaging factor α", "1"},
    {"record.perturbations", "perturbation sizes", "1"},
    {"record.perturbation_draws", "perturbation draws", "1"},
    /* issue 17: gradient-noise geometry and probability currents */
    {"noise_eigenvalues", "eigenvalues of D", "1"},
    {"noise_trace", "tr D", "1"},
    {"noise_rank", "effective rank of D", "1"},
    {"noise_rank99", "rank holding 99 % of tr D", "1"},
    {"noise_rank99_fraction", "rank99 / d", "1"},
    {"grad_snr", "gradient SNR |∇f|²/tr D", "1"},
    {"noise_dimension", "trained weights d", "1"},
    {"current", "probability current J", "1"},
    {"current_se", "standard error of J", "1"},
    {"current_chi2", "χ² of J", "1"},
    {"current_steps", "steps in J", "1"},
    {"current_eigenvalues", "eigenvalues of D at burn-in", "1"},
    {"eigen", "eigenvalue rank i", "1"},
    {"eigen2", "eigenvalue rank j", "1"},
    {"record.noise_eigen", "eigenvalues of D recorded", "1"},
    {"record.current", "current recorded", NULL},
    {"record.current_burn_in", "burn-in of the current", TIME_UNITS},
    /* issue 14 item 4: the hot/cold check */
    {"hot_cold_z", "hot/cold disagreement |z|", "1"},
};

static const label *find_label(const char *name, int theory)
{
    char prefixed[160];
    snprintf(prefixed, sizeof prefixed, "theory:%s", name);
    for (size_t pass = theory ? 0 : 1; pass < 2; pass++)
        for (size_t i = 0; i < sizeof labels / sizeof *labels; i++)
            if (strcmp(labels[i].name, pass == 0 ? prefixed : name) == 0)
                return &labels[i];
    return NULL;
}

int pdx_store_has_label(const char *name)
{
    return name != NULL && find_label(name, 1) != NULL;
}

/* Bit set of the algorithms of the sweep's cells. */
static unsigned algorithms_of(const pdx_spec *spec)
{
    unsigned set = 0;
    for (size_t i = 0; i < spec->n_axes; i++)
        if (spec->axes[i].key == PDX_K_TRAIN_ALGORITHM)
            for (size_t j = 0; j < spec->axes[i].n; j++)
                set |= 1u << (unsigned)lround(spec->axes[i].values[j]);
    return set != 0 ? set : 1u << (unsigned)spec->base.train_algorithm;
}

/* The unit of time of the sweep's cells, e.g. "epochs", or "steps/N
 * (online), epochs (sgd)" when an algorithm axis mixes units. */
void pdx__time_units(const pdx_spec *spec, char *out, size_t size)
{
    static const char *const unit[] = {
        [PDX_ALG_ONLINE] = "steps/N",  [PDX_ALG_HEBB] = "epochs",
        [PDX_ALG_PERCEPTRON] = "epochs", [PDX_ALG_SGD] = "epochs",
        [PDX_ALG_GD] = "epochs",       [PDX_ALG_LANGEVIN] = "epochs",
        [PDX_ALG_METROPOLIS] = "sweeps", [PDX_ALG_PROPAGATE] = "checkpoints",
        [PDX_ALG_REPLICATED_MC] = "sweeps",
        [PDX_ALG_REPLICATED_SGD] = "epochs",
        [PDX_ALG_ENTROPY_SGD] = "epochs",
    };
    const size_t n_alg = sizeof unit / sizeof *unit;
    unsigned set = algorithms_of(spec);
    const char *first = NULL;
    int mixed = 0;
    for (size_t a = 0; a < n_alg; a++)
        if (set & (1u << a)) {
            if (first == NULL)
                first = unit[a];
            else if (strcmp(first, unit[a]) != 0)
                mixed = 1;
        }
    out[0] = '\0';
    if (!mixed) {
        snprintf(out, size, "%s", first != NULL ? first : "1");
        return;
    }
    size_t used = 0;
    for (size_t a = 0; a < n_alg && used < size; a++)
        if (set & (1u << a)) {
            const char *alg =
                pdx_spec_choice_name(PDX_K_TRAIN_ALGORITHM, (int)a);
            int n = snprintf(out + used, size - used, "%s%s (%s)",
                             used > 0 ? ", " : "", unit[a],
                             alg != NULL ? alg : "?");
            if (n > 0)
                used += (size_t)n;
        }
}

/* long_name: "T = η/B" where every cell is sgd or gd (the noise scale),
 * else the Gibbs temperature of langevin and metropolis. */
static const char *temperature_name(const pdx_spec *spec)
{
    unsigned sgd_gd = (1u << PDX_ALG_SGD) | (1u << PDX_ALG_GD);
    unsigned set = algorithms_of(spec);
    return (set & ~sgd_gd) == 0 ? "T = η/B" : "temperature T";
}

pdx_status pdx__put_labels(hid_t ds, const pdx_spec *spec, int theory,
                           const char *name, const char *description,
                           const char *path, pdx_error *err)
{
    const label *l = find_label(name, theory);
    const char *long_name = l != NULL ? l->long_name : name;
    const char *units = l != NULL ? l->units : "1";
    char time_units[160];
    if (units == TIME_UNITS) {
        pdx__time_units(spec, time_units, sizeof time_units);
        units = time_units;
    }
    if (strcmp(name, "train.temperature") == 0)
        long_name = temperature_name(spec);
    pdx_status status = pdx__put_string(ds, name, "long_name", long_name,
                                        path, err);
    if (status == PDX_OK && units != NULL)
        status = pdx__put_string(ds, name, "units", units, path, err);
    if (status == PDX_OK && description != NULL && description[0] != '\0')
        status = pdx__put_string(ds, name, "description", description, path,
                                 err);
    return status;
}

/* pdx/evidence.h — the Laplace approximation to the Bayesian evidence of a
 * perceptron student's training set (issue 17; Smith & Le 2017, MacKay
 * 1992).
 *
 * Model: output f(x) = w.x/sqrt N; likelihood per example
 *   logistic  P(y|x, w) = 1/(1 + exp(-y f)),          y = +-1,
 *   probit    P(y|x, w) = Phi(y f),                     y = +-1,
 *   gaussian  p(y|x, w) = N(y; f, 1),                   y real;
 * prior w ~ N(0, I/lambda). Cost C(w) = -sum_mu ln P(y_mu|x_mu, w) +
 * (lambda/2)|w|^2, minimised by Newton's method with backtracking from
 * w = 0 (C is strictly convex for lambda > 0). At the minimum w0, with
 * H = lambda I + sum_mu l''(mu) x_mu x_mu^T/N the Hessian of C,
 *   ln P(y|X) ~= -C(w0) - (1/2) ln det(H/lambda)
 * (the second term, <= 0, is the Occam factor). For the Gaussian
 * likelihood the Laplace approximation is exact (tests/test_evidence.c
 * checks it against the closed form y ~ N(0, I + X X^T/(N lambda))).
 * The null model (each +-1 label equally likely) has ln P = -P ln 2.
 *
 * Thread-safety: reentrant; no allocation (the caller owns `work`). */
#ifndef PDX_EVIDENCE_H
#define PDX_EVIDENCE_H

#include <stddef.h>

typedef struct pdx_evidence_result {
    double log_evidence; /* cost + occam */
    double cost;         /* -C(w0): log-likelihood plus the prior's term */
    double occam;        /* -(1/2) ln det(H/lambda) */
    double null_model;   /* -P ln 2 */
    int iterations;      /* Newton steps taken */
    int converged;       /* 1: the Newton decrement fell below 1e-20 (1 + |C|) */
} pdx_evidence_result;

/* Doubles of the workspace pdx_evidence_laplace needs. */
size_t pdx_evidence_workspace_doubles(size_t P, size_t N);

/* The Laplace log-evidence of (x: P x N row-major, y: P labels) under
 * `likelihood` (a pdx_evidence_likelihood of pdx/spec.h, not NONE) and
 * prior precision lambda > 0. w_map (N doubles) receives the MAP weights;
 * work holds pdx_evidence_workspace_doubles(P, N) doubles. Returns 0, or
 * -1 on bad arguments or a non-positive-definite Hessian (out is then
 * all NaN). */
int pdx_evidence_laplace(const double *x, const double *y, size_t P,
                         size_t N, double lambda, int likelihood,
                         double *work, double *w_map,
                         pdx_evidence_result *out);

/* Cholesky factor in place of the n x n symmetric matrix a (lower
 * triangle, row-major; the upper one is left as is). Returns ln det a,
 * or NAN if a is not positive definite. */
double pdx_evidence_cholesky(double *a, size_t n);

#endif

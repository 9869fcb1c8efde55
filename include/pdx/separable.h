/* pdx/separable.h — an exact test of linear separability of a training
 * set (a linear program solved by GLPK's simplex method), so that the
 * interpolation threshold of a sweep does not depend on how long a
 * trainer ran.
 *
 * Thread-safety: reentrant (GLPK 5 keeps its environment per thread;
 * pdx_separable_check_tls says whether this build's GLPK does). */
#ifndef PDX_SEPARABLE_H
#define PDX_SEPARABLE_H

#include <stddef.h>

/* Is there a w with y_mu x_mu.w > 0 for every mu (strict separability
 * through the origin)? x is P x N row-major, y holds +-1. Solves
 *     max t  subject to  y_mu x_mu.w >= t (all mu), -1 <= w_i <= 1, t >= 0,
 * which is feasible (w = 0) and bounded, so the simplex always ends; the
 * set is separable iff t* > 0 (taken as t* > 1e-9, far below the margins
 * of O(1/sqrt P) that separable Gaussian sets have, and far above the
 * simplex's round-off at t* = 0). *margin (may be NULL) gets
 * min_mu y_mu x_mu.w* / |w*|_2, the geometric margin of the LP's solution
 * (a lower bound on the largest margin; 0 when not separable). Returns 1
 * separable, 0 not, -1 when GLPK fails (out of memory, or a simplex
 * error). P = 0 is separable. */
int pdx_separable(const double *x, const double *y, size_t P, size_t N,
                  double *margin);

/* 1 if the GLPK linked in keeps its state per thread (pdx_separable may
 * run on several threads at once), else 0. */
int pdx_separable_thread_safe(void);

#endif

/* Independent exact draws from the equilibrium of the ring model (design.md section 2), for the
   diffusion-map tests. In internal coordinates q = Q^T x the density is
   r exp(-U) dr dtheta dq_3..dq_n with U = (k_r/2)(r - 1)^2 + h((theta/theta0)^2 - 1)^2 +
   (k_f/2) sum q_j^2, so theta, r and the q_j are independent: theta by rejection from the uniform
   on (-pi, pi] with acceptance exp(-h((theta/theta0)^2 - 1)^2) <= 1; r by rejection from
   N(1, 1/k_r) with acceptance r / (1 + 8/sqrt(k_r)) (a proposal beyond that bound, 8 standard
   deviations out, is accepted: a bias below 1e-15); q_j ~ N(0, 1/k_f) (beta = 1). Point g
   (global position) uses the Philox stream (seed, UMB_STREAM_TEST, 77) at counters (g, try), so
   the points do not depend on the rank count. */
#ifndef UMBRA_TESTS_T600_RINGDRAW_H
#define UMBRA_TESTS_T600_RINGDRAW_H

#include <umbra.h>
#include <umbra/rng.h>
#include <umbra/private/modelimpl.h>
#include <umbra/private/ringimpl.h>

/* x (count x n) and theta (count) of the points g0 .. g0 + count - 1 */
static inline PetscErrorCode RingDraw(UmbModel model, uint64_t seed, PetscInt64 g0, PetscInt count, PetscReal *x, PetscReal *theta)
{
  const UmbRing *ring = (const UmbRing *)model->data;
  const PetscInt n    = ring->n;
  PetscReal     *q;
  UmbStream      s;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n + 4, &q));
  UmbStreamInit(&s, seed, UMB_STREAM_TEST, 77);
  for (PetscInt i = 0; i < count; i++) {
    const uint64_t g = (uint64_t)(g0 + i);
    PetscReal      th = 0, r = 1;
    uint64_t       t  = 0;
    for (;; t++) {
      double    u[4];
      PetscReal a;
      UmbStreamUniform4(&s, g, t, 0, u);
      th = PETSC_PI * (2 * u[0] - 1);
      a  = (th / ring->theta0) * (th / ring->theta0) - 1;
      if (u[1] < PetscExpReal(-ring->h * a * a)) break;
    }
    for (t = 0;; t++) {
      double u[4], z[4];
      UmbStreamUniform4(&s, g, t, 1, u);
      UmbStreamGaussian4(&s, g, t, 2, z);
      r = 1 + z[0] / PetscSqrtReal(ring->kr);
      if (r > 0 && u[0] * (1 + 8 / PetscSqrtReal(ring->kr)) < r) break;
    }
    q[0] = r * PetscCosReal(th);
    q[1] = r * PetscSinReal(th);
    if (n > 2) UmbStreamGaussian(&s, g, 3, (int)(n - 2), q + 2);
    for (PetscInt j = 2; j < n; j++) q[j] /= PetscSqrtReal(ring->kf);
    for (PetscInt a = 0; a < n; a++) {
      PetscReal v = 0;
      for (PetscInt j = 0; j < n; j++) v += ring->Q[a * n + j] * q[j];
      x[(size_t)i * n + a] = v;
    }
    if (theta) theta[i] = th;
  }
  PetscCall(PetscFree(q));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every rank's nloc values v, in rank order, gathered into all on every rank */
static inline PetscErrorCode GatherAll(MPI_Comm comm, PetscInt nloc, const PetscReal *v, PetscReal *all)
{
  PetscMPIInt size, *cnt, *disp, nl;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscMalloc2(size, &cnt, size + 1, &disp));
  PetscCall(PetscMPIIntCast(nloc, &nl));
  PetscCallMPI(MPI_Allgather(&nl, 1, MPI_INT, cnt, 1, MPI_INT, comm));
  disp[0] = 0;
  for (PetscMPIInt r = 0; r < size; r++) disp[r + 1] = disp[r] + cnt[r];
  PetscCallMPI(MPI_Allgatherv(v, nl, MPIU_REAL, all, cnt, disp, MPIU_REAL, comm));
  PetscCall(PetscFree2(cnt, disp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Spearman rank correlation of a and b (length N, on one rank) */
static inline PetscErrorCode Spearman(PetscInt N, const PetscReal *a, const PetscReal *b, PetscReal *rho)
{
  PetscReal *ra, *rb, *v;
  PetscInt  *idx;
  PetscReal  sab = 0, saa = 0, sbb = 0, mean = 0.5 * (PetscReal)(N - 1);

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(N, &ra, N, &rb, N, &v, N, &idx));
  for (int pass = 0; pass < 2; pass++) {
    const PetscReal *src = pass ? b : a;
    PetscReal       *dst = pass ? rb : ra;
    for (PetscInt i = 0; i < N; i++) {
      idx[i] = i;
      v[i]   = src[i];
    }
    PetscCall(PetscSortRealWithPermutation(N, v, idx));
    for (PetscInt i = 0; i < N; i++) dst[idx[i]] = (PetscReal)i; /* no ties among continuous draws */
  }
  for (PetscInt i = 0; i < N; i++) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  *rho = sab / PetscSqrtReal(saa * sbb);
  PetscCall(PetscFree4(ra, rb, v, idx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

#endif

/* Diffusion map of N equally spaced points on the unit circle, where the answer is exact.

   The kernel matrix K_ij = exp(-|x_i - x_j|^2 / eps) = exp(-(2 - 2 cos(phi_i - phi_j)) / eps) is
   circulant, so every row sum is the same, the alpha-normalisation and the Markov normalisation
   are the same scalar for every row, and the eigenvectors are exactly cos(k phi), sin(k phi)
   with eigenvalues
       lambda_k = sum_j K(j h) cos(k j h) / sum_j K(j h),   h = 2 pi / N.
   The sum is the trapezoidal rule of a periodic analytic integrand, exact to exponentially small
   aliasing terms, so lambda_k = I_k(2/eps) / I_0(2/eps) (modified Bessel functions) to round-off
   for N = 400 and eps = 0.05 (kernel width sqrt(eps) = 0.22 rad = 14 spacings; the aliasing
   term is of order I_{N-k}(40)/I_0(40) < 1e-300). The sparse kernels truncate it: the kNN kernel
   with k = 181 (neighbours out to 90 h = 1.41 rad, kernel exp(-1.95/0.05) = 1e-17) and the
   cut-off kernel at 6.5 sqrt(eps) (kernel exp(-42) = 6e-19) change each lambda by less than
   1e-15. So the test demands lambda_1..lambda_6 = I_k/I_0 (pairs k = 1, 2, 3) to 1e-9 (SLEPc
   tolerance 1e-12 on the relative residual; the eigenvalue error of a symmetric problem is of
   the order of the squared residual), that psi_{2k-1}, psi_{2k} span {cos k phi, sin k phi}
   (least-squares residual below 1e-6, an eigenvector error of residual / gap with a gap
   lambda_k - lambda_{k+1} >= 0.03), and the normalisation sum_i pi_i psi^2 = 1 under the uniform
   stationary distribution: the pair's amplitude is sqrt(2) (to 1e-8).
   The continuum limit lambda_k -> 1 - eps k^2 / 4 (the heat kernel of the Laplace-Beltrami
   operator) is printed as a note, not checked (it holds to O(eps^2)).
   The automatic bandwidth (Berry-Giannakis-Harlim scan) must report an intrinsic dimension
   near 1: for the circle T(eps) = N^2 exp(-2/eps) I_0(2/eps) in the regime h^2 << eps, whose
   log-slope is 1/2 + eps/16 + O(eps^2) until it saturates at eps of the order of the
   squared diameter; on the grid eps = 2^j the largest slope lies within
   [0.4, 0.65] (dimension 0.8 .. 1.3), and the scan's eps (-dmap_eps bgh) must give the same
   eigenpair theory. (The default local-scale eps is 0.003 here, where the six eigenvalues sit
   within 0.03 of 1 in exactly degenerate pairs: Krylov-Schur from one start vector may then
   return one vector of a pair only, which this test would flag; the ring tests use it.)
   Catches: a wrong kernel exponent (eps vs 2 eps), a wrong normalisation (alpha or D^-1/2),
   a wrong scaling of psi, a lost neighbour in the distributed search or in the symmetrisation
   (the matrix would not be circulant: eigenvalues would split), a broken cut-off kernel, and a
   bandwidth scan that estimates the wrong dimension. Runs at 1, 2 and 3 ranks. */
// TEST: nsize=1,2,3
#include "tap.h"
#include <umbra/private/dmapimpl.h>
#include <umbra/sampler.h>
#include <gsl/gsl_sf_bessel.h>

#define NPTS 400

static PetscErrorCode MakeCircle(MPI_Comm comm, PetscInt *nloc, PetscReal **x, PetscReal **phi)
{
  PetscMPIInt rank, size;
  PetscInt    lo, hi;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  UmbLayoutRange(NPTS, size, rank, &lo, &hi);
  *nloc = hi - lo;
  PetscCall(PetscMalloc1(2 * (hi - lo) + 1, x));
  PetscCall(PetscMalloc1(hi - lo + 1, phi));
  for (PetscInt i = lo; i < hi; i++) {
    PetscReal p       = 2 * PETSC_PI * (PetscReal)i / NPTS;
    (*phi)[i - lo]    = p;
    (*x)[2 * (i - lo)] = PetscCosReal(p);
    (*x)[2 * (i - lo) + 1] = PetscSinReal(p);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* residual of the least-squares fit of v (local rows, stride m, column c) by a cos(k phi) + b sin(k phi),
   relative to |v|, and the amplitude sqrt(a^2 + b^2) */
static PetscErrorCode FitHarmonic(MPI_Comm comm, PetscInt nloc, const PetscReal *phi, const PetscReal *psi, PetscInt m, PetscInt c, PetscInt k, PetscReal *rel, PetscReal *amp)
{
  PetscReal s[6] = {0, 0, 0, 0, 0, 0}, g[6]; /* cc, ss, cs, vc, vs, vv */

  PetscFunctionBegin;
  for (PetscInt i = 0; i < nloc; i++) {
    PetscReal co = PetscCosReal(k * phi[i]), si = PetscSinReal(k * phi[i]), v = psi[i * m + c];
    s[0] += co * co;
    s[1] += si * si;
    s[2] += co * si;
    s[3] += v * co;
    s[4] += v * si;
    s[5] += v * v;
  }
  PetscCallMPI(MPI_Allreduce(s, g, 6, MPIU_REAL, MPI_SUM, comm));
  {
    PetscReal det = g[0] * g[1] - g[2] * g[2], a = (g[3] * g[1] - g[4] * g[2]) / det, b = (g[4] * g[0] - g[3] * g[2]) / det;
    PetscReal res = g[5] - a * g[3] - b * g[4];
    *rel          = PetscSqrtReal(PetscMax(res, 0) / g[5]);
    *amp          = PetscSqrtReal(a * a + b * b);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunCase(MPI_Comm comm, const char *label, const char *opts[][2], PetscInt nopt, PetscBool autoeps)
{
  UmbDmap          dm;
  PetscInt         nloc = 0, m = 0, nl = 0;
  PetscReal       *x, *phi, eps, dim;
  const PetscReal *lam, *psi;

  PetscFunctionBegin;
  PetscCall(PetscOptionsClear(NULL));
  for (PetscInt o = 0; o < nopt; o++) PetscCall(PetscOptionsSetValue(NULL, opts[o][0], opts[o][1]));
  PetscCall(MakeCircle(comm, &nloc, &x, &phi));
  PetscCall(UmbDmapCreate(comm, &dm));
  PetscCall(UmbDmapSetFromOptions(dm));
  PetscCall(UmbDmapSetPoints(dm, nloc, 2, x, NULL));
  PetscCall(UmbDmapSetUp(dm));
  PetscCall(UmbDmapCompute(dm));
  PetscCall(UmbDmapView(dm, PETSC_VIEWER_STDOUT_(comm)));
  PetscCall(UmbDmapGetEigenvalues(dm, &m, &lam));
  PetscCall(UmbDmapGetEigenvectors(dm, &nl, NULL, &psi));
  PetscCall(UmbDmapGetEpsilon(dm, &eps, &dim));
  UMB_CHECK(m == 6, "%s: %d eigenvalues", label, (int)m);
  if (autoeps) {
    UMB_NOTE("%s: auto eps %.6g, estimated dimension %.4g", label, (double)eps, (double)dim);
    UMB_CHECK(dim >= 0.8 && dim <= 1.3, "%s: BGH dimension %.4g, expected near 1", label, (double)dim);
  }
  for (PetscInt k = 1; k <= 3; k++) {
    PetscReal theory = gsl_sf_bessel_In_scaled((int)k, 2 / eps) / gsl_sf_bessel_I0_scaled(2 / eps);
    char      what[128];
    UMB_NOTE("%s: k = %d: lambda = %.15f %.15f, I_k/I_0 = %.15f, continuum 1 - eps k^2/4 = %.6f", label, (int)k, (double)lam[2 * k - 2], (double)lam[2 * k - 1], theory, (double)(1 - eps * k * k / 4));
    snprintf(what, sizeof(what), "%s: lambda_%d", label, (int)(2 * k - 1));
    UMB_CHECK_CLOSE(lam[2 * k - 2], theory, 0, 1e-9, what);
    snprintf(what, sizeof(what), "%s: lambda_%d", label, (int)(2 * k));
    UMB_CHECK_CLOSE(lam[2 * k - 1], theory, 0, 1e-9, what);
    for (PetscInt c = 2 * k - 2; c < 2 * k; c++) {
      PetscReal rel = 1, amp = 0;
      PetscCall(FitHarmonic(comm, nl, phi, psi, m, c, k, &rel, &amp));
      UMB_CHECK(rel < 1e-6, "%s: psi_%d is not in span{cos %d phi, sin %d phi}: relative residual %.3g", label, (int)(c + 1), (int)k, (int)k, (double)rel);
      snprintf(what, sizeof(what), "%s: amplitude of psi_%d (unit mean square: sqrt 2)", label, (int)(c + 1));
      UMB_CHECK_CLOSE(amp, PetscSqrtReal(2.0), 0, 1e-8, what);
    }
  }
  PetscCall(UmbDmapDestroy(&dm));
  PetscCall(PetscFree(x));
  PetscCall(PetscFree(phi));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  const char    *knn[][2]    = {{"-dmap_eps", "0.05"}, {"-dmap_cutoff", "0"}, {"-dmap_neighbors", "181"}, {"-dmap_nev", "6"}};
  const char    *cutoff[][2] = {{"-dmap_eps", "0.05"}, {"-dmap_cutoff", "6.5"}, {"-dmap_nev", "6"}};
  const char    *autoe[][2]  = {{"-dmap_eps", "bgh"}, {"-dmap_cutoff", "6.5"}, {"-dmap_nev", "6"}};

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(RunCase(PETSC_COMM_WORLD, "knn", knn, 4, PETSC_FALSE));
  PetscCall(RunCase(PETSC_COMM_WORLD, "cutoff", cutoff, 3, PETSC_FALSE));
  PetscCall(RunCase(PETSC_COMM_WORLD, "bgh", autoe, 3, PETSC_TRUE));
  PetscFunctionReturn(UmbTestFinalize(0));
}

/* Diffusion map of the ring model (design.md section 2: a 2-D ring with an angular double well,
   8 stiff coordinates, all rotated by a random orthogonal matrix in R^10), on N = 2000
   independent exact draws (t600-dmap-ringdraw.h), with umbra's defaults (cut-off kernel at
   4 sqrt(eps), automatic bandwidth, alpha = 1, 8 eigenvectors, automatic choice), and with the
   kNN kernel (-dmap_cutoff 0, 64 neighbours) for the extension checks.
   Checks:
   1. The chosen coordinate is psi_1 and |Spearman(psi_1, theta)| >= 0.99 (the required
      criterion). The slow direction is the arc; the radial and stiff coordinates have standard
      deviations 0.1, small against the arc length of about 2.5 covered by the samples, so the
      first non-trivial eigenfunction is a monotone function of theta (cos(pi s / L) of the arc
      length s for alpha = 1) blurred by the thickness of the ring.
   2. Nystrom in-sample: the extension written to dmap.h5 and read back with UmbDmapExtLoad
      reproduces psi_j(x_i) at every training point to 1e-10 for every stored eigenvector. At a
      training point the extension is (1/lambda_j)(P psi_j)_i with the same graph, kernel and
      column weights, so the difference is the eigensolver residual divided by lambda_j
      (tolerance 1e-12 relative) times the conversion from phi to psi, sqrt(sum D / D_i), at
      most about sqrt(N) = 45: a few 1e-11 at worst.
   3. Nystrom held-out: on 500 new draws, the extension of psi_1 scatters about the training
      points' trend psi_1(theta) (bin means in 30 theta bins, linear interpolation, bins with at
      least 20 points) no more than the training points themselves: RMS_out <= 1.25 RMS_in. If
      the extension were exactly as good as the in-sample map the ratio would be 1 with a
      relative standard error of about 1/sqrt(2 * 500) = 3% (the extension averages over
      neighbours and is, if anything, smoother); 1.25 is 8 standard errors.
      Also |Spearman(ext psi_1, theta)| >= 0.99 on the held-out points.
   4. Gradient: the Jacobian of every stored eigenvector against central finite differences
      (step 1e-6) at 10 held-out points, for the default cut-off map and for the kNN map:
      |J - J_fd| <= 1e-6 |J|_max. Truncation error h^2/6 |psi'''| ~ 1e-12 / eps^1.5 and
      round-off 1e-16 |psi| / h: both far below 1e-6 |J| ~ 1e-6 |psi| / sqrt(eps) for the
      bandwidths chosen here (eps ~ 0.01 .. 0.1). A kNN neighbourhood changing inside the
      2e-6 stencil would show up as a failure; at these points it does not (deterministic seed).
      (The kNN extension does jump where a training point enters or leaves the neighbourhood:
      fine for analysis, wrong for biased sampling; t607 is the campaign, with the cut-off map.)
   Catches: a learned coordinate that is not theta (wrong eigenvector, wrong choice, sign
   handling), an extension with a wrong factor (1/lambda, column weights g_i, alpha), a graph
   rule in the extension that differs from training, and a wrong gradient (factor 2/eps, the
   mean subtraction). Runs at 1 and 3 ranks (the map is distributed; the extension is not). */
// TEST: nsize=1,3
#include "tap.h"
#include "t600-dmap-ringdraw.h"
#include <umbra/private/dmapimpl.h>
#include <umbra/sampler.h>
#include <sys/stat.h>

#define NTRAIN 2000
#define NHELD  500
#define NBINS  30

/* Computes a map of the training points with the given options, writes it to dir/dmap.h5 */
static PetscErrorCode MakeMap(MPI_Comm comm, UmbModel model, const char *dir, const char *cutoff, PetscInt nloc, const PetscReal *x, UmbDmap *dmp)
{
  UmbDmap dm;

  PetscFunctionBegin;
  PetscCall(PetscOptionsClear(NULL));
  if (cutoff) PetscCall(PetscOptionsSetValue(NULL, "-dmap_cutoff", cutoff));
  PetscCall(UmbDmapCreate(comm, &dm));
  PetscCall(UmbDmapSetModel(dm, model));
  PetscCall(UmbDmapSetFromOptions(dm));
  PetscCall(UmbDmapSetPoints(dm, nloc, 10, x, NULL));
  PetscCall(UmbDmapSetDirectory(dm, dir));
  PetscCall(UmbDmapCompute(dm));
  PetscCall(UmbDmapView(dm, PETSC_VIEWER_STDOUT_(comm)));
  PetscCall(UmbDmapWrite(dm));
  *dmp = dm;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckInSample(MPI_Comm comm, UmbDmap dm, const char *path, const char *label)
{
  UmbDmapExt       ext;
  PetscInt         nloc, n, m, me, d;
  const PetscReal *x, *psi;
  const PetscInt  *coords;
  PetscReal       *z, worst = 0, gworst;

  PetscFunctionBegin;
  PetscCall(UmbDmapExtLoad(comm, path, &ext));
  PetscCall(UmbDmapGetPoints(dm, &nloc, &n, &x, NULL));
  PetscCall(UmbDmapGetEigenvectors(dm, NULL, &m, &psi));
  PetscCall(UmbDmapGetCoordinates(dm, &d, &coords));
  PetscCall(UmbDmapExtGetNumberOfEigenvectors(ext, &me));
  UMB_CHECK(me == m, "%s: dmap.h5 holds %d eigenvectors, expected %d", label, (int)me, (int)m);
  PetscCall(PetscMalloc1((size_t)nloc * me + 1, &z));
  PetscCall(UmbDmapExtEvaluateAll(ext, nloc, x, z, NULL));
  /* file order: chosen coordinates first, then the others in index order */
  {
    PetscInt order[UMB_DMAP_MAX_NEV], c = 0;
    for (PetscInt a = 0; a < d; a++) order[c++] = coords[a] - 1;
    for (PetscInt j = 0; j < m; j++) {
      PetscBool chosen = PETSC_FALSE;
      for (PetscInt a = 0; a < d; a++) chosen = (PetscBool)(chosen || coords[a] - 1 == j);
      if (!chosen) order[c++] = j;
    }
    for (PetscInt i = 0; i < nloc; i++)
      for (PetscInt c2 = 0; c2 < m; c2++) worst = PetscMax(worst, PetscAbsReal(z[i * m + c2] - psi[i * m + order[c2]]));
  }
  PetscCallMPI(MPI_Allreduce(&worst, &gworst, 1, MPIU_REAL, MPI_MAX, comm));
  UMB_NOTE("%s: Nystrom at the %d training points: largest difference from the stored eigenvectors %.3g", label, NTRAIN, (double)gworst);
  UMB_CHECK(gworst <= 1e-10, "%s: Nystrom in-sample difference %.3g > 1e-10", label, (double)gworst);
  PetscCall(PetscFree(z));
  PetscCall(UmbDmapExtDestroy(&ext));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckGradient(UmbDmapExt ext, PetscInt npts, const PetscReal *X, const char *label)
{
  PetscInt   n, m;
  PetscReal *z, *J, *zp, *zm, *xp, h = 1e-6;

  PetscFunctionBegin;
  PetscCall(UmbDmapExtGetSizes(ext, &n, NULL, NULL));
  PetscCall(UmbDmapExtGetNumberOfEigenvectors(ext, &m));
  PetscCall(PetscMalloc5(m, &z, m * n, &J, m, &zp, m, &zm, n, &xp));
  for (PetscInt p = 0; p < npts; p++) {
    PetscReal jmax = 0, err = 0;
    PetscCall(UmbDmapExtEvaluateAll(ext, 1, X + p * n, z, J));
    for (PetscInt k = 0; k < m * n; k++) jmax = PetscMax(jmax, PetscAbsReal(J[k]));
    for (PetscInt l = 0; l < n; l++) {
      PetscCall(PetscArraycpy(xp, X + p * n, n));
      xp[l] += h;
      PetscCall(UmbDmapExtEvaluateAll(ext, 1, xp, zp, NULL));
      xp[l] -= 2 * h;
      PetscCall(UmbDmapExtEvaluateAll(ext, 1, xp, zm, NULL));
      for (PetscInt c = 0; c < m; c++) err = PetscMax(err, PetscAbsReal(J[c * n + l] - (zp[c] - zm[c]) / (2 * h)));
    }
    UMB_CHECK(err <= 1e-6 * jmax, "%s: point %d: gradient differs from finite differences by %.3g (largest entry %.3g)", label, (int)p, (double)err, (double)jmax);
    if (!p) UMB_NOTE("%s: gradient vs finite differences at point 0: %.3g (largest entry %.3g)", label, (double)err, (double)jmax);
  }
  PetscCall(PetscFree5(z, J, zp, zm, xp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode   ierr;
  MPI_Comm         comm;
  PetscMPIInt      rank, size;
  UmbModel         model;
  UmbDmap          dm, dmc;
  UmbDmapExt       ext, extc;
  PetscInt         lo, hi, nloc, m, d;
  const PetscInt  *coords;
  const PetscReal *psi;
  PetscReal       *x, *th, *p1, *thall, *p1all, *xh, *thh, *zh, rho;
  char             dir[] = "ring", dirc[] = "ringknn", path[PETSC_MAX_PATH_LEN];

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  comm = PETSC_COMM_WORLD;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscOptionsClear(NULL));
  PetscCall(UmbModelCreate(comm, &model));
  PetscCall(UmbModelSetType(model, UMBMODELRING));
  PetscCall(UmbModelSetFromOptions(model));
  PetscCall(UmbModelSetUp(model));
  if (!rank) {
    mkdir(dir, 0777);
    mkdir(dirc, 0777);
  }
  PetscCallMPI(MPI_Barrier(comm));

  UmbLayoutRange(NTRAIN, size, rank, &lo, &hi);
  nloc = hi - lo;
  PetscCall(PetscMalloc4((size_t)nloc * 10 + 1, &x, nloc + 1, &th, nloc + 1, &p1, NTRAIN, &thall));
  PetscCall(PetscMalloc1(NTRAIN, &p1all));
  PetscCall(RingDraw(model, 2024, lo, nloc, x, th));

  /* 1. the learned coordinate */
  PetscCall(MakeMap(comm, model, dir, NULL, nloc, x, &dm));
  PetscCall(UmbDmapGetCoordinates(dm, &d, &coords));
  PetscCall(UmbDmapGetEigenvectors(dm, NULL, &m, &psi));
  UMB_CHECK(d == 1 && coords[0] == 1, "chosen coordinates: d = %d, first psi_%d (expected psi_1)", (int)d, (int)coords[0]);
  for (PetscInt i = 0; i < nloc; i++) p1[i] = psi[i * m + coords[0] - 1];
  PetscCall(GatherAll(comm, nloc, th, thall));
  PetscCall(GatherAll(comm, nloc, p1, p1all));
  PetscCall(Spearman(NTRAIN, thall, p1all, &rho));
  UMB_NOTE("Spearman(psi_%d, theta) = %.5f on the %d training points", (int)coords[0], (double)rho, NTRAIN);
  UMB_CHECK(PetscAbsReal(rho) >= 0.99, "|Spearman(psi_1, theta)| = %.5f < 0.99", (double)PetscAbsReal(rho));

  /* 2. Nystrom in-sample, both kernels */
  PetscCall(UmbPathJoin(dir, "dmap.h5", path, sizeof(path)));
  PetscCall(CheckInSample(comm, dm, path, "cutoff"));
  PetscCall(MakeMap(comm, model, dirc, "0", nloc, x, &dmc));
  {
    char pc[PETSC_MAX_PATH_LEN];
    PetscCall(UmbPathJoin(dirc, "dmap.h5", pc, sizeof(pc)));
    PetscCall(CheckInSample(comm, dmc, pc, "knn"));
    PetscCall(UmbDmapExtLoad(comm, pc, &extc));
  }

  /* 3. held-out points: every rank evaluates all of them (the extension is not distributed) */
  PetscCall(UmbDmapExtLoad(comm, path, &ext));
  PetscCall(PetscMalloc3(NHELD * 10, &xh, NHELD, &thh, NHELD, &zh));
  PetscCall(RingDraw(model, 2024, NTRAIN, NHELD, xh, thh));
  PetscCall(UmbDmapExtEvaluate(ext, NHELD, xh, zh, NULL));
  {
    PetscReal lo_t = PETSC_MAX_REAL, hi_t = PETSC_MIN_REAL, sum[NBINS], mid[NBINS], tr[NBINS], rin = 0, rout = 0, rhoh;
    PetscInt  cnt[NBINS], nin = 0, nout = 0;
    for (PetscInt i = 0; i < NTRAIN; i++) {
      lo_t = PetscMin(lo_t, thall[i]);
      hi_t = PetscMax(hi_t, thall[i]);
    }
    for (PetscInt b = 0; b < NBINS; b++) {
      sum[b] = 0;
      cnt[b] = 0;
      mid[b] = lo_t + (b + 0.5) * (hi_t - lo_t) / NBINS;
    }
    for (PetscInt i = 0; i < NTRAIN; i++) {
      PetscInt b = PetscMin(NBINS - 1, (PetscInt)((thall[i] - lo_t) / (hi_t - lo_t) * NBINS));
      sum[b] += p1all[i];
      cnt[b]++;
    }
    for (PetscInt b = 0; b < NBINS; b++) tr[b] = cnt[b] ? sum[b] / cnt[b] : 0;
    /* trend at theta: linear interpolation between the centres of bins with >= 20 points */
#define TREND(t, out, ok) \
  do { \
    PetscReal u_ = ((t) - lo_t) / (hi_t - lo_t) * NBINS - 0.5; \
    PetscInt  b_ = (PetscInt)PetscFloorReal(u_); \
    ok           = (PetscBool)(b_ >= 0 && b_ + 1 < NBINS && cnt[b_] >= 20 && cnt[b_ + 1] >= 20); \
    if (ok) out = tr[b_] + (u_ - b_) * (tr[b_ + 1] - tr[b_]); \
  } while (0)
    for (PetscInt i = 0; i < NTRAIN; i++) {
      PetscBool ok;
      PetscReal f = 0;
      TREND(thall[i], f, ok);
      if (ok) {
        rin += (p1all[i] - f) * (p1all[i] - f);
        nin++;
      }
    }
    for (PetscInt i = 0; i < NHELD; i++) {
      PetscBool ok;
      PetscReal f = 0;
      TREND(thh[i], f, ok);
      if (ok) {
        rout += (zh[i] - f) * (zh[i] - f);
        nout++;
      }
    }
#undef TREND
    rin  = PetscSqrtReal(rin / PetscMax(nin, 1));
    rout = PetscSqrtReal(rout / PetscMax(nout, 1));
    (void)mid;
    PetscCall(Spearman(NHELD, thh, zh, &rhoh));
    UMB_NOTE("held-out: RMS about the trend psi_1(theta): training %.4g (%d points), held-out %.4g (%d points); Spearman %.5f", (double)rin, (int)nin, (double)rout, (int)nout, (double)rhoh);
    UMB_CHECK(nout >= NHELD / 2 && nin >= NTRAIN / 2, "too few points in the populated theta bins: %d, %d", (int)nin, (int)nout);
    UMB_CHECK(rout <= 1.25 * rin, "held-out scatter %.4g > 1.25 x in-sample %.4g", (double)rout, (double)rin);
    UMB_CHECK(PetscAbsReal(rhoh) >= 0.99, "held-out |Spearman| %.5f < 0.99", (double)PetscAbsReal(rhoh));
  }

  /* 4. gradients */
  PetscCall(CheckGradient(ext, 10, xh, "cutoff"));
  PetscCall(CheckGradient(extc, 10, xh, "knn"));

  PetscCall(UmbDmapExtDestroy(&ext));
  PetscCall(UmbDmapExtDestroy(&extc));
  PetscCall(UmbDmapDestroy(&dm));
  PetscCall(UmbDmapDestroy(&dmc));
  PetscCall(PetscFree3(xh, thh, zh));
  PetscCall(PetscFree4(x, th, p1, thall));
  PetscCall(PetscFree(p1all));
  PetscCall(UmbModelDestroy(&model));
  PetscFunctionReturn(UmbTestFinalize(0));
}

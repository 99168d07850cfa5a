/* umbra fes on synthetic windows whose answer is known in closed form: independent draws from
   the exact biased densities of a harmonic potential U(z) = k0/2 |z|^2 (beta != 1), written into
   a samples.h5 through the UmbH5 API (the sampler's layout), then MBAR in-process.
   Cases (-case):
     harmonic     1-D, 8 windows: f_k within 4 asymptotic sigma of exact; over 30 seeds the
                  scatter of f_7 - f_0 matches the asymptotic sigma (chi-square, two-sided 1e-4);
                  the block-bootstrap SE matches the asymptotic sigma within 4 SEs of a 200-replica
                  SD; F(z) within 4 dF of the exact bin averages; the neighbour consistency test's
                  p-values are not too small under the null over all seeds (its false-alarm rate);
                  the stored per-sample log normalisers reproduce ln sum_k N_k exp(f_k - u_kn);
                  the exp() cutoff (default vs 745, where exp underflows) changes nothing beyond
                  round-off; Newton and LMVM agree.
     twod         3 x 3 windows on a 2-D CV, anisotropic springs: f_k within 4 sigma, F(z1, z2)
                  within 4 dF.
     periodic     flat potential on a circle (period 2 pi), windows straddling +-pi: f_k = 0 and a
                  flat F within 4 sigma (catches a missing minimum image in the bias or the grid).
     consistency  one window's samples shifted by 0.75 of their SD (as if a slow orthogonal degree
                  of freedom had not equilibrated): exactly its two neighbour pairs are flagged.
   Catches: a wrong bias (factor 1/2, beta, periodic image), a wrong gauge or sign of f, a wrong
   asymptotic covariance, a bootstrap that ignores the window structure, wrong profile weights,
   and a consistency test that flags everything or nothing. */
// TEST: name=harmonic nsize=1,3 args="-case harmonic"
// TEST: name=twod nsize=2 args="-case twod"
// TEST: name=periodic nsize=1,2 args="-case periodic"
// TEST: name=consistency nsize=2 args="-case consistency"
#include "tap.h"
#include <umbra/private/fesimpl.h>
#include <gsl/gsl_cdf.h>
#include <sys/stat.h>

typedef struct {
  PetscInt   K, d;
  PetscReal  beta, k0, period;
  PetscReal  center[32], kappa[32]; /* K x d */
  PetscInt64 n;                     /* independent samples per window */
  PetscInt   shifted;               /* window whose samples are shifted (-1: none) */
  PetscReal  shift;                 /* in SDs of the window's density */
  PetscInt64 seed;
} Synth;

/* exact f_k (reduced) of window k, up to a constant common to all windows */
static PetscReal ExactF(const Synth *s, PetscInt k)
{
  PetscReal f = 0;
  for (PetscInt a = 0; a < s->d; a++) {
    const PetscReal kap = s->kappa[k * s->d + a], c = s->center[k * s->d + a], lam = s->k0 + kap;
    f += 0.5 * PetscLogReal(s->beta * lam / (2 * PETSC_PI)) + s->beta * s->k0 * kap * c * c / (2 * lam);
  }
  return f;
}

/* exact profile averaged over a bin [lo, hi) of one component: -ln (1/w) int exp(-beta k0 z^2 / 2) */
static PetscReal ExactBin(const Synth *s, PetscReal lo, PetscReal hi)
{
  const PetscReal al = 0.5 * s->beta * s->k0;
  if (al == 0) return 0;
  return -PetscLogReal(0.5 * PetscSqrtReal(PETSC_PI / al) * (erf(hi * PetscSqrtReal(al)) - erf(lo * PetscSqrtReal(al))) / (hi - lo));
}

/* Collective: writes dir/samples.h5 with the windows of s; every rank draws the windows it owns */
static PetscErrorCode WriteSynth(MPI_Comm comm, const char dir[], const Synth *s)
{
  PetscMPIInt rank, size;
  PetscInt    klo, khi;
  UmbH5       h5;
  char        path[PETSC_MAX_PATH_LEN];
  hsize_t     dims[2];
  long long  *off;
  PetscReal  *z, *g, iact[32], period[2] = {s->period, s->period};

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (!rank) mkdir(dir, 0777);
  PetscCallMPI(MPI_Barrier(comm));
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(UmbH5Create(comm, path, "samples", &h5));
  dims[0] = (hsize_t)(s->K * s->n);
  dims[1] = (hsize_t)s->d;
  PetscCall(UmbH5CreateDataset(h5, "/samples/z", H5T_IEEE_F64LE, 2, dims));
  dims[0] = (hsize_t)s->K;
  PetscCall(UmbH5WriteSmall(h5, "/windows/center", H5T_NATIVE_DOUBLE, 2, dims, s->center));
  PetscCall(UmbH5WriteSmall(h5, "/windows/kappa", H5T_NATIVE_DOUBLE, 2, dims, s->kappa));
  for (PetscInt k = 0; k < s->K; k++) iact[k] = 1;
  PetscCall(UmbH5WriteSmall(h5, "/windows/iact", H5T_NATIVE_DOUBLE, 1, dims, iact));
  PetscCall(PetscMalloc1(s->K + 1, &off));
  for (PetscInt k = 0; k <= s->K; k++) off[k] = k * s->n;
  dims[0] = (hsize_t)(s->K + 1);
  PetscCall(UmbH5WriteSmall(h5, "/windows/offset", H5T_NATIVE_LLONG, 1, dims, off));
  PetscCall(PetscFree(off));
  PetscCall(UmbH5WriteAttrReals(h5, "/samples", "beta", 1, &s->beta));
  PetscCall(UmbH5WriteAttrReals(h5, "/samples", "cv_period", s->d, period));
  PetscCall(UmbH5WriteAttrString(h5, "/samples", "cv_names", s->d == 1 ? "z" : "z1,z2"));
  PetscCall(UmbH5WriteAttrInt(h5, "/windows", "walkers", 1));
  PetscCall(UmbH5WriteAttrInt(h5, "/windows", "frames_per_walker", s->n));
  UmbLayoutRange(s->K, size, rank, &klo, &khi);
  PetscCall(PetscMalloc2((khi - klo) * s->n * s->d + 1, &z, s->n * s->d + 4, &g));
  for (PetscInt k = klo; k < khi; k++) {
    UmbStream st;
    UmbStreamInit(&st, (uint64_t)s->seed, UMB_STREAM_TEST, (uint64_t)k);
    UmbStreamGaussian(&st, 0, 0, (int)(s->n * s->d), g);
    for (PetscInt64 i = 0; i < s->n; i++)
      for (PetscInt a = 0; a < s->d; a++) {
        const PetscReal kap = s->kappa[k * s->d + a], lam = s->k0 + kap, sd = 1 / PetscSqrtReal(s->beta * lam);
        PetscReal       v   = kap * s->center[k * s->d + a] / lam + sd * (g[i * s->d + a] + (k == s->shifted ? s->shift : 0));
        if (s->period > 0) v -= s->period * PetscFloorReal((v + 0.5 * s->period) / s->period);
        z[((k - klo) * s->n + i) * s->d + a] = v;
      }
  }
  PetscCall(UmbH5WriteRows(h5, "/samples/z", H5T_NATIVE_DOUBLE, (hsize_t)(klo * s->n), (hsize_t)((khi - klo) * s->n), z));
  PetscCall(PetscFree2(z, g));
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Runs the stage on dir with the given extra options (cleared afterwards) */
static PetscErrorCode RunFes(MPI_Comm comm, const char dir[], const char opts[], UmbFes *fes)
{
  PetscFunctionBegin;
  PetscCall(PetscOptionsInsertString(NULL, opts));
  PetscCall(UmbFesCreate(comm, fes));
  PetscCall(UmbFesSetFromOptions(*fes));
  PetscCall(UmbFesSetDirectory(*fes, dir));
  PetscCall(UmbFesSetUp(*fes));
  {
    PetscBool finished;
    PetscCall(UmbFesSolve(*fes, &finished));
  }
  PetscCall(PetscOptionsClear(NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* f_k against exact within nsig asymptotic sigma (gauge f_0 = 0) */
static PetscErrorCode CheckF(UmbFes fes, const Synth *s, PetscReal nsig, const char *what)
{
  PetscReal maxz = 0;

  PetscFunctionBegin;
  for (PetscInt k = 1; k < s->K; k++) {
    const PetscReal ex = ExactF(s, k) - ExactF(s, 0), zk = (fes->f[k] - ex) / fes->df_asym[k];
    UMB_CHECK(PetscAbsReal(zk) <= nsig, "%s: window %d: f = %.6f, exact %.6f, sigma %.4g (%.2f sigma)", what, (int)k, (double)fes->f[k], (double)ex, (double)fes->df_asym[k], (double)zk);
    maxz = PetscMax(maxz, PetscAbsReal(zk));
  }
  UMB_NOTE("%s: f_k within %.2f asymptotic sigma of exact (limit %g)", what, (double)maxz, (double)nsig);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* F(z) against exact bin averages relative to the reference bin, within nsig dF (asymptotic),
   in bins with at least mincount samples */
static PetscErrorCode CheckProfile(UmbFes fes, const Synth *s, PetscReal nsig, PetscInt64 mincount, const char *what)
{
  const PetscInt j = fes->jmin;
  PetscReal      Ej = 0, maxz = 0;
  PetscInt       n = 0;

  PetscFunctionBegin;
  for (PetscInt a = 0; a < s->d; a++) {
    const PetscInt ia = s->d == 1 ? j : a == 0 ? j / fes->nb[1] : j % fes->nb[1];
    Ej += ExactBin(s, fes->lo[a] + ia * fes->width[a], fes->lo[a] + (ia + 1) * fes->width[a]);
  }
  for (PetscInt b = 0; b < fes->B; b++) {
    PetscReal E = 0, zb;
    if (b == j || fes->counts[b] < mincount) continue;
    for (PetscInt a = 0; a < s->d; a++) {
      const PetscInt ia = s->d == 1 ? b : a == 0 ? b / fes->nb[1] : b % fes->nb[1];
      E += ExactBin(s, fes->lo[a] + ia * fes->width[a], fes->lo[a] + (ia + 1) * fes->width[a]);
    }
    zb = (fes->F[b] - (E - Ej)) / fes->dF_asym[b];
    UMB_CHECK(PetscAbsReal(zb) <= nsig, "%s: bin %d (z = %g): F = %.5f, exact %.5f, dF %.4g (%.2f dF)", what, (int)b, (double)fes->zc[b * s->d], (double)fes->F[b], (double)(E - Ej), (double)fes->dF_asym[b], (double)zb);
    maxz = PetscMax(maxz, PetscAbsReal(zb));
    n++;
  }
  UMB_CHECK(n > 10, "%s: only %d bins with %d samples", what, (int)n, (int)mincount);
  UMB_NOTE("%s: F(z) in %d bins within %.2f dF of exact (limit %g)", what, (int)n, (double)maxz, (double)nsig);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void Harmonic1D(Synth *s)
{
  PetscMemzero(s, sizeof(*s));
  s->K = 8, s->d = 1, s->beta = 1.5, s->k0 = 2, s->n = 4000, s->shifted = -1, s->seed = 1;
  for (PetscInt k = 0; k < s->K; k++) {
    s->center[k] = -1.5 + 3.0 * k / (s->K - 1);
    s->kappa[k]  = 20;
  }
}

static PetscErrorCode CaseHarmonic(MPI_Comm comm)
{
  const PetscInt R = 30, B = 200;
  Synth          s;
  UmbFes         fes;
  PetscReal      chi2 = 0, sig = 0, *f0;
  PetscInt       np = 0, nsmall = 0;

  PetscFunctionBegin;
  Harmonic1D(&s);
  /* scatter over seeds against the asymptotic sigma of f_7 - f_0, and the consistency test's
     p-values under the null */
  for (PetscInt r = 0; r < R; r++) {
    char dir[64];
    s.seed = 100 + r;
    snprintf(dir, sizeof(dir), "seed%d", (int)r);
    PetscCall(WriteSynth(comm, dir, &s));
    PetscCall(RunFes(comm, dir, "-fes_bootstrap 0", &fes));
    {
      const PetscReal ex = ExactF(&s, s.K - 1) - ExactF(&s, 0), z = (fes->f[s.K - 1] - ex) / fes->df_asym[s.K - 1];
      chi2 += z * z;
      sig += fes->df_asym[s.K - 1] / R;
    }
    for (PetscInt q = 0; q < fes->npairs; q++)
      if (fes->dof[q] > 0) {
        np++;
        if (fes->pval[q] < 0.01) nsmall++;
      }
    PetscCall(UmbFesDestroy(&fes));
  }
  {
    const PetscReal lo = gsl_cdf_chisq_Pinv(5e-5, R), hi = gsl_cdf_chisq_Qinv(5e-5, R);
    UMB_CHECK(chi2 >= lo && chi2 <= hi, "sum over %d seeds of ((f_7 - exact) / sigma_asym)^2 = %.2f outside [%.2f, %.2f]: the asymptotic sigma is miscalibrated", (int)R, (double)chi2, (double)lo, (double)hi);
    UMB_NOTE("scatter over %d seeds: chi^2 = %.2f (%d dof, accepted [%.2f, %.2f]); mean sigma_asym %.4g, RMS error %.4g", (int)R, (double)chi2, (int)R, (double)lo, (double)hi, (double)sig, (double)(sig * PetscSqrtReal(chi2 / R)));
    /* under the null, P(p < 0.01) = 0.01: the count is binomial; accept up to its 1e-4 quantile */
    UMB_CHECK(nsmall <= 3 + np / 50, "consistency test: %d of %d neighbour pairs have p < 0.01 under the null", (int)nsmall, (int)np);
    UMB_NOTE("consistency test under the null: %d of %d pairs with p < 0.01", (int)nsmall, (int)np);
  }

  /* one data set in detail, with the bootstrap */
  s.seed = 1;
  PetscCall(WriteSynth(comm, "one", &s));
  {
    char opts[64];
    snprintf(opts, sizeof(opts), "-fes_bootstrap %d", (int)B);
    PetscCall(RunFes(comm, "one", opts, &fes));
  }
  PetscCall(CheckF(fes, &s, 4, "harmonic"));
  PetscCall(CheckProfile(fes, &s, 4, 100, "harmonic"));
  {
    /* bootstrap SD of a 200-replica sample has a relative SE of 1/sqrt(2 (B - 1)) */
    const PetscReal tol = 4 / PetscSqrtReal(2.0 * (B - 1));
    PetscReal       worst = 0;
    for (PetscInt k = 1; k < s.K; k++) {
      const PetscReal ratio = fes->df_boot[k] / fes->df_asym[k];
      UMB_CHECK(PetscAbsReal(ratio - 1) <= tol, "window %d: bootstrap SE %.4g vs asymptotic %.4g (ratio %.3f, tolerance %.3f)", (int)k, (double)fes->df_boot[k], (double)fes->df_asym[k], (double)ratio, (double)tol);
      worst = PetscMax(worst, PetscAbsReal(ratio - 1));
    }
    UMB_NOTE("bootstrap (%d replicas) vs asymptotic sigma: max |ratio - 1| = %.3f (tolerance %.3f)", (int)B, (double)worst, (double)tol);
  }
  PetscCall(PetscMalloc1(s.K, &f0));
  PetscCall(PetscArraycpy(f0, fes->f, s.K));
  /* the log normalisers in fes.h5, row for row */
  PetscCall(UmbFesWrite(fes));
  {
    const UmbWindowData *w = &fes->data;
    UmbH5                h5;
    PetscReal           *lse, worst = 0;
    PetscCall(PetscMalloc1(w->nloc + 1, &lse));
    PetscCall(UmbH5Open(comm, "one/fes.h5", "fes", &h5));
    PetscCall(UmbH5ReadRows(h5, "/samples/log_normaliser", H5T_NATIVE_DOUBLE, (hsize_t)w->offset[w->klo], (hsize_t)w->nloc, lse));
    PetscCall(UmbH5Close(&h5, PETSC_FALSE));
    for (PetscInt64 i = 0; i < w->nloc; i++) {
      const PetscReal z = w->z[i];
      PetscReal       m = PETSC_MIN_REAL, sum = 0, e[32];
      for (PetscInt k = 0; k < s.K; k++) {
        e[k] = fes->f[k] + PetscLogReal((PetscReal)s.n) - 0.5 * s.beta * s.kappa[k] * (z - s.center[k]) * (z - s.center[k]);
        m    = PetscMax(m, e[k]);
      }
      for (PetscInt k = 0; k < s.K; k++) sum += PetscExpReal(e[k] - m);
      worst = PetscMax(worst, PetscAbsReal(lse[i] - (m + PetscLogReal(sum))));
    }
    UMB_CHECK(worst <= 1e-12, "fes.h5 /samples/log_normaliser differs from ln sum_k N_k exp(f_k - u_kn) by %.3g", (double)worst);
    PetscCall(PetscFree(lse));
  }
  PetscCall(UmbFesDestroy(&fes));

  /* an options prefix: the object reads its own options only */
  PetscCall(PetscOptionsInsertString(NULL, "-b_fes_bootstrap 0 -fes_bootstrap 7"));
  PetscCall(UmbFesCreate(comm, &fes));
  PetscCall(UmbFesSetOptionsPrefix(fes, "b_"));
  PetscCall(UmbFesSetFromOptions(fes));
  UMB_CHECK(fes->nboot == 0, "with prefix b_ the replicas come from -b_fes_bootstrap (0), got %d", (int)fes->nboot);
  PetscCall(PetscOptionsClear(NULL));
  PetscCall(UmbFesDestroy(&fes));

  /* exp() cutoff 745 (exp underflows to 0 there) against the default: round-off only */
  PetscCall(PetscOptionsInsertString(NULL, "-fes_bootstrap 0"));
  PetscCall(UmbFesCreate(comm, &fes));
  PetscCall(UmbFesSetFromOptions(fes));
  PetscCall(UmbFesSetDirectory(fes, "one"));
  fes->cut = 745;
  PetscCall(UmbFesSetUp(fes));
  {
    PetscBool finished;
    PetscCall(UmbFesSolve(fes, &finished));
  }
  PetscCall(PetscOptionsClear(NULL));
  for (PetscInt k = 0; k < s.K; k++) UMB_CHECK_CLOSE(fes->f[k], f0[k], 0, 1e-12, "f_k with exp cutoff 745 vs default");
  PetscCall(UmbFesDestroy(&fes));
  /* LMVM reaches the same solution */
  PetscCall(RunFes(comm, "one", "-fes_bootstrap 0 -fes_solver lmvm", &fes));
  for (PetscInt k = 0; k < s.K; k++) UMB_CHECK_CLOSE(fes->f[k], f0[k], 0, 1e-9, "f_k from lmvm vs newton");
  UMB_NOTE("lmvm: %d iterations; newton and lmvm agree", (int)fes->info.its);
  PetscCall(UmbFesDestroy(&fes));
  PetscCall(PetscFree(f0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CaseTwoD(MPI_Comm comm)
{
  Synth  s;
  UmbFes fes;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&s, sizeof(s)));
  s.K = 9, s.d = 2, s.beta = 1, s.k0 = 1, s.n = 3000, s.shifted = -1, s.seed = 7;
  for (PetscInt i = 0; i < 3; i++)
    for (PetscInt j = 0; j < 3; j++) {
      const PetscInt k    = i * 3 + j;
      s.center[2 * k]     = -1 + i;
      s.center[2 * k + 1] = -0.8 + 0.8 * j;
      s.kappa[2 * k]      = 8;
      s.kappa[2 * k + 1]  = 12;
    }
  PetscCall(WriteSynth(comm, "twod", &s));
  PetscCall(RunFes(comm, "twod", "-fes_bootstrap 0 -fes_bins 12,10", &fes));
  PetscCall(CheckF(fes, &s, 4, "2-D"));
  PetscCall(CheckProfile(fes, &s, 4, 100, "2-D"));
  UMB_CHECK(fes->npairs == 12, "2-D grid of 3 x 3 windows has %d neighbour pairs, expected 12", (int)fes->npairs);
  PetscCall(UmbFesWrite(fes));
  PetscCall(UmbFesDestroy(&fes));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CasePeriodic(MPI_Comm comm)
{
  Synth  s;
  UmbFes fes;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&s, sizeof(s)));
  s.K = 8, s.d = 1, s.beta = 1, s.k0 = 0, s.period = 2 * PETSC_PI, s.n = 4000, s.shifted = -1, s.seed = 3;
  for (PetscInt k = 0; k < s.K; k++) {
    s.center[k] = -PETSC_PI + 0.3 + 2 * PETSC_PI * k / s.K; /* window 7 sits at pi - 0.49: its samples wrap */
    s.kappa[k]  = 8;
  }
  PetscCall(WriteSynth(comm, "periodic", &s));
  PetscCall(RunFes(comm, "periodic", "-fes_bootstrap 0 -fes_bins 40", &fes));
  PetscCall(CheckF(fes, &s, 4, "periodic"));
  PetscCall(CheckProfile(fes, &s, 4, 100, "periodic"));
  UMB_CHECK(fes->npairs == 8, "8 windows on a circle have %d neighbour pairs, expected 8 (the last wraps to the first)", (int)fes->npairs);
  UMB_CHECK(PetscAbsReal(fes->hi[0] - fes->lo[0] - 2 * PETSC_PI) < 1e-12, "default grid of a periodic CV spans %g, not one period", (double)(fes->hi[0] - fes->lo[0]));
  PetscCall(UmbFesDestroy(&fes));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CaseConsistency(MPI_Comm comm)
{
  Synth  s;
  UmbFes fes;

  PetscFunctionBegin;
  Harmonic1D(&s);
  s.shifted = 4;
  s.shift   = 0.75;
  PetscCall(WriteSynth(comm, "shifted", &s));
  PetscCall(RunFes(comm, "shifted", "-fes_bootstrap 0", &fes));
  for (PetscInt q = 0; q < fes->npairs; q++) {
    const PetscInt  k = fes->pairs[2 * q], l = fes->pairs[2 * q + 1];
    const PetscBool bad = (PetscBool)(k == s.shifted || l == s.shifted), flagged = (PetscBool)(fes->pval[q] < fes->alpha);
    UMB_CHECK(bad == flagged, "pair %d -> %d: p = %.3g (chi^2 %.1f, %d dof): %s", (int)k, (int)l, (double)fes->pval[q], (double)fes->chi2[q], (int)fes->dof[q], bad ? "the shifted window was not flagged" : "a consistent pair was flagged");
    UMB_NOTE("pair %d -> %d: chi^2 = %.1f (%d dof), p = %.3g%s", (int)k, (int)l, (double)fes->chi2[q], (int)fes->dof[q], (double)fes->pval[q], flagged ? "  FLAGGED" : "");
  }
  UMB_CHECK(fes->nflagged == 2, "%d pairs flagged, expected the 2 pairs of window %d", (int)fes->nflagged, (int)s.shifted);
  PetscCall(UmbFesDestroy(&fes));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  char           which[32] = "harmonic";

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetString(NULL, NULL, "-case", which, sizeof(which), NULL));
  PetscCall(PetscOptionsClear(NULL));
  if (!strcmp(which, "harmonic")) PetscCall(CaseHarmonic(PETSC_COMM_WORLD));
  else if (!strcmp(which, "twod")) PetscCall(CaseTwoD(PETSC_COMM_WORLD));
  else if (!strcmp(which, "periodic")) PetscCall(CasePeriodic(PETSC_COMM_WORLD));
  else if (!strcmp(which, "consistency")) PetscCall(CaseConsistency(PETSC_COMM_WORLD));
  else SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "unknown -case %s", which);
  PetscFunctionReturn(UmbTestFinalize(0));
}

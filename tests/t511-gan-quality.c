/* Quality of the lifted states on fastslow: sample the default input (inputs/fastslow.opts:
   24 windows x 4 walkers x 10^4 frames = 9.6e5 samples), train the cGAN with the default
   options (the default training budget), lift L = 20000 states at each z in
   {-1, -0.5, 0, 0.5, 1} and compare with the exact conditional law of the fast variables:
   * gaussian coupling: every y_i (i = 1..4) has mean within 0.1 exact standard deviations and
     standard deviation within 10% of exact;
   * tilted coupling (-fastslow_coupling tilted, name=tilted): the mode weight P(y_i > 0 | z) of
     every y_i is within 0.05 of exact (exact by quadrature, umbra/exact.h). The tilted fast
     wells are stiffer (curvature up to ~25 at |y| = 1.5, times the mobility 100): the input's
     -us_dt 1e-3 is beyond the integrator's stability limit there, so this case samples with
     dt = 2e-4 and five times the steps and stride (the same physical time and frame count).
   Sample sizes: with L = 20000 the lifting noise is small against the tolerances: standard
   error of a mean 0.007 sd (7% of the 0.1 sd tolerance), of a standard deviation 0.5% (5% of
   10%), of a mode weight at most 0.0035 (7% of 0.05); a failure means the generator's law is
   off, not that the check was unlucky. The training data hold about 40000 samples per window
   (IACT of x 3-7 frames), so their own noise in a conditional mean near a window is below
   0.01 sd. The GAN's error is deterministic for a given seed (counter-based streams); the
   margin over other seeds is recorded in docs/gan.md. Catches a generator that ignores or
   mis-scales z (wrong standardisation, conditioning dropped), mode collapse (sd too small,
   mode weights at 0 or 1), a wrong lifted-state assembly (coordinates permuted), and a
   critic/generator loss with a wrong sign (no convergence at all). */
// LONG: two full-length trainings of the generator on the default sampling budget
// TEST: nsize=2
// TEST: name=tilted nsize=2 args="-fastslow_coupling tilted -us_dt 2e-4 -us_steps 500000 -us_burnin 25000 -us_stride 50"
#pragma GCC diagnostic ignored "-Wunused-function" /* sampling.h's window readers are not used here */
#include "sampling.h"
#include <umbra/gan.h>

/* The default input, minus its -out: options given on the command line win */
static PetscErrorCode DefaultInput(void)
{
  const char *src = getenv("SRCDIR");
  char        path[PETSC_MAX_PATH_LEN], line[512], all[4096] = "";
  FILE       *f;

  PetscFunctionBegin;
  snprintf(path, sizeof(path), "%s/inputs/fastslow.opts", src && src[0] ? src : ".");
  f = fopen(path, "r");
  PetscCheck(f, PETSC_COMM_WORLD, PETSC_ERR_FILE_OPEN, "cannot read %s (set SRCDIR)", path);
  while (fgets(line, sizeof(line), f)) {
    char *hash = strchr(line, '#'), *nl = strchr(line, '\n');
    if (hash) *hash = 0;
    if (nl) *nl = 0;
    if (!strncmp(line, "-out", 4)) continue;
    PetscCall(UmbStrlcat(all, " ", sizeof(all)));
    PetscCall(UmbStrlcat(all, line, sizeof(all)));
  }
  fclose(f);
  PetscCall(TestSetDefaultOptions(all));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscInt FindObservable(PetscInt nobs, const char *const *names, const char *want)
{
  for (PetscInt k = 0; k < nobs; k++)
    if (!strcmp(names[k], want)) return k;
  return -1;
}

int main(int argc, char **argv)
{
  const PetscInt     L = 20000, nz = 5;
  const PetscReal    zs[5] = {-1, -0.5, 0, 0.5, 1};
  PetscErrorCode     ierr;
  PetscMPIInt        rank;
  UmbModel           model;
  UmbCV              cv;
  UmbGan             gan;
  UmbExact           exact;
  PetscBool          finished, tilted;
  PetscInt           n, nobs;
  const char *const *names;
  PetscReal         *z, *x, *obs, worst_mean = 0, worst_sd = 0, worst_p = 0;
  PetscInt64        *idx;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(DefaultInput());
  PetscCall(TestSample(PETSC_COMM_WORLD, "", "out"));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(UmbModelSetFromOptions(model));
  PetscCall(UmbModelSetUp(model));
  PetscCall(UmbCVCreate(model, &cv));
  PetscCall(UmbCVSetFromOptions(cv));
  PetscCall(UmbCVSetUp(cv));
  PetscCall(UmbGanCreate(cv, &gan));
  PetscCall(UmbGanSetFromOptions(gan));
  PetscCall(UmbGanView(gan, PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(UmbGanTrain(gan, "out", &finished));
  UMB_CHECK(finished, "training did not finish");
  PetscCall(UmbExactCreate(cv, &exact));
  PetscCall(UmbExactSetUp(exact));
  PetscCall(UmbExactGetObservables(exact, &nobs, &names));
  tilted = (PetscBool)(FindObservable(nobs, names, "ppos_y1") >= 0);
  PetscCall(UmbModelGetDimension(model, &n));
  PetscCall(PetscMalloc4(L, &z, L * n, &x, L, &idx, nobs, &obs));
  for (PetscInt k = 0; k < nz; k++) {
    PetscReal F;
    for (PetscInt l = 0; l < L; l++) {
      z[l]   = zs[k];
      idx[l] = k * L + l;
    }
    PetscCall(UmbGanGenerate(gan, L, z, idx, x));
    PetscCall(UmbExactEvaluate(exact, &zs[k], &F, obs));
    UMB_CHECK(x[0] == zs[k] && x[(L - 1) * n] == zs[k], "lifted states do not carry x = z = %g", (double)zs[k]);
    for (PetscInt i = 1; i < n; i++) {
      char      nm[32];
      PetscReal s1 = 0, s2 = 0, pos = 0, mean, sd, emean, esd;
      PetscInt  km, kv;
      for (PetscInt l = 0; l < L; l++) {
        const PetscReal y = x[l * n + i];
        s1 += y;
        s2 += y * y;
        pos += y > 0;
      }
      mean = s1 / L;
      sd   = PetscSqrtReal((s2 - L * mean * mean) / (L - 1));
      snprintf(nm, sizeof(nm), "mean_y%d", (int)i);
      km = FindObservable(nobs, names, nm);
      snprintf(nm, sizeof(nm), "var_y%d", (int)i);
      kv = FindObservable(nobs, names, nm);
      UMB_CHECK(km >= 0 && kv >= 0, "exact reference lacks mean_y%d/var_y%d", (int)i, (int)i);
      if (km < 0 || kv < 0) continue;
      emean = obs[km];
      esd   = PetscSqrtReal(obs[kv]);
      if (tilted) {
        PetscInt  kp;
        PetscReal p;
        snprintf(nm, sizeof(nm), "ppos_y%d", (int)i);
        kp = FindObservable(nobs, names, nm);
        p  = pos / L;
        UMB_CHECK(PetscAbsReal(p - obs[kp]) <= 0.05, "z = %g: P(y%d > 0) = %.4f, exact %.4f (tolerance 0.05)", (double)zs[k], (int)i, (double)p, (double)obs[kp]);
        worst_p = PetscMax(worst_p, PetscAbsReal(p - obs[kp]));
        UMB_NOTE("z = %5.2f y%d: P(y > 0) %.4f (exact %.4f); mean %+.4f (exact %+.4f), sd %.4f (exact %.4f)", (double)zs[k], (int)i, (double)p, (double)obs[kp], (double)mean, (double)emean, (double)sd, (double)esd);
      } else {
        UMB_CHECK(PetscAbsReal(mean - emean) <= 0.1 * esd, "z = %g: mean of y%d %.4f, exact %.4f: off by %.3f sd (tolerance 0.1)", (double)zs[k], (int)i, (double)mean, (double)emean, (double)(PetscAbsReal(mean - emean) / esd));
        UMB_CHECK(PetscAbsReal(sd / esd - 1) <= 0.1, "z = %g: sd of y%d %.4f, exact %.4f: ratio %.3f (tolerance 10%%)", (double)zs[k], (int)i, (double)sd, (double)esd, (double)(sd / esd));
        worst_mean = PetscMax(worst_mean, PetscAbsReal(mean - emean) / esd);
        worst_sd   = PetscMax(worst_sd, PetscAbsReal(sd / esd - 1));
        UMB_NOTE("z = %5.2f y%d: mean %+.4f (exact %+.4f, %+.3f sd), sd %.4f (exact %.4f, ratio %.3f)", (double)zs[k], (int)i, (double)mean, (double)emean, (double)((mean - emean) / esd), (double)sd, (double)esd, (double)(sd / esd));
      }
    }
  }
  if (tilted) UMB_NOTE("largest mode-weight error %.4f (tolerance 0.05)", (double)worst_p);
  else UMB_NOTE("largest mean error %.3f sd (tolerance 0.1), largest sd error %.1f%% (tolerance 10%%)", (double)worst_mean, (double)(100 * worst_sd));
  PetscCall(PetscFree4(z, x, idx, obs));
  PetscCall(UmbExactDestroy(&exact));
  PetscCall(UmbGanDestroy(&gan));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscFunctionReturn(UmbTestFinalize(0));
}

/* Flow moves in umbrella windows (src/sample/flowmove.c). The proposal generator is an analytic
   type registered here, "gauss": q(y | z) = N(0.5 + z, 1) per generated coordinate, an exact
   density that knows nothing of the modes (-t228_sigma: another standard deviation). Model: fastslow with the tilted coupling and one fast
   coordinate, U = h (x^2 - 1)^2 + c_w (y^2 - 1)^2 - t x y with a fast barrier (c_w = 12) that the
   SDE does not cross within the run; every walker starts at y = -1; CV x (-cv coord).
   Case "exact" (one rank): with flow moves every window's P(y > 0 | window) matches the exact
   value (2-D quadrature) within a batch-means error bar (t quantile, Bonferroni over windows,
   1e-3 in all); without moves, and with the two broken variants (proposal ratio left out, moves
   that ignore U), at least one window must be rejected by the same test, so the test cannot
   pass blind. Also checks the counts in samples.h5 and windows.csv.
   Case "ranks" (three ranks): the samples and counts of a run on 3 ranks, on 2 (a
   sub-communicator), on 1, and of a run stopped at a checkpoint on 3 ranks and continued on 2,
   are bit-identical.
   Case "nan" (run by t229 and expected to fail): the generator's log-density is NaN above
   y = 1.2; the run must stop on every rank naming window, walker and step.
   Case "variant" (run by t231 with a trained flow): one run of -t228_variant exact, noratio or
   always into -t228_dir, with the proposal generator -t228_flow (a flow.h5; default the
   gauss type) and every other option from the command line, walkers started at y = -1.
   Catches: a wrong or missing proposal ratio or mixture density, an acceptance that ignores the
   energy, moves or random numbers that depend on the rank layout or the chunking, counters
   lost at a restart, a NaN proposal accepted silently. */
// TEST: nsize=1 args="-t228_case exact"
// TEST: nsize=3 args="-t228_case ranks"
#include "sampling.h"
#include <umbra/private/generatorimpl.h>
#include <umbra/private/samplerimpl.h>
#include <gsl/gsl_cdf.h>

#define OPTS "-model fastslow -fastslow_coupling tilted -fastslow_m 1 -fastslow_eps 1 -fastslow_cw 12 -fastslow_t 1 -cv coord -cv_index 0 -us_kappa 20 -us_walkers 8 -us_steps 20000 -us_burnin 2000 -us_stride 10 -us_dt 2e-3 -us_flow_moves 5 -progress_interval 1000"

/* ---------- the analytic generator ---------- */
typedef struct {
  PetscInt  n, d, idx[2];
  PetscReal mu0, a, sigma, nan_above;
} Gauss;

static PetscReal Mean(const Gauss *gs, const PetscReal z[]) { return gs->mu0 + gs->a * z[0]; }
static PetscBool IsCV(const Gauss *gs, PetscInt i) { return (PetscBool)(i == gs->idx[0] || (gs->d > 1 && i == gs->idx[1])); }

static PetscErrorCode GetGenerated_Gauss(UmbGenerator g, PetscInt *ng)
{
  const Gauss *gs = (Gauss *)g->data;
  PetscFunctionBegin;
  *ng = gs->n - gs->d;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode IsTrained_Gauss(UmbGenerator g, PetscBool *t)
{
  PetscFunctionBegin;
  *t = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode PushForward_Gauss(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscReal noise[], PetscReal x[], PetscReal logq[])
{
  const Gauss   *gs = (Gauss *)g->data;
  const PetscInt n = gs->n, d = gs->d, k = n - d;

  PetscFunctionBegin;
  for (PetscInt r = 0; r < m; r++) {
    PetscInt j = 0;
    if (logq) logq[r] = 0;
    for (PetscInt i = 0; i < n; i++) {
      if (IsCV(gs, i)) {
        x[r * n + i] = z[r * d + (i == gs->idx[0] ? 0 : 1)];
        continue;
      }
      x[r * n + i] = Mean(gs, z + r * d) + gs->sigma * noise[r * k + j];
      if (logq) logq[r] += -0.5 * noise[r * k + j] * noise[r * k + j] - PetscLogReal(gs->sigma) - 0.5 * PetscLogReal(2 * PETSC_PI);
      j++;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode LogDensity_Gauss(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscReal x[], PetscReal logq[], PetscReal noise[])
{
  const Gauss   *gs = (Gauss *)g->data;
  const PetscInt n = gs->n, d = gs->d, k = n - d;

  PetscFunctionBegin;
  for (PetscInt r = 0; r < m; r++) {
    PetscInt j = 0;
    logq[r]    = 0;
    for (PetscInt i = 0; i < n; i++) {
      PetscReal e;
      if (IsCV(gs, i)) continue;
      e = (x[r * n + i] - Mean(gs, z + r * d)) / gs->sigma;
      if (noise) noise[r * k + j] = e;
      logq[r] += -0.5 * e * e - PetscLogReal(gs->sigma) - 0.5 * PetscLogReal(2 * PETSC_PI);
      if (x[r * n + i] > gs->nan_above) logq[r] = NAN;
      j++;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Generate_Gauss(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscInt nrep, PetscReal x[])
{
  const Gauss *gs = (Gauss *)g->data;
  PetscReal   *zero;

  PetscFunctionBegin;
  PetscCall(PetscCalloc1(m * (gs->n - gs->d) + 1, &zero));
  for (PetscInt r = 0; r <= nrep; r++) PetscCall(PushForward_Gauss(g, m, z, zero, x + r * m * gs->n, NULL));
  PetscCall(PetscFree(zero));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetNoiseDimension_Gauss(UmbGenerator g, PetscInt *k)
{
  const Gauss *gs = (Gauss *)g->data;
  PetscFunctionBegin;
  *k = gs->n - gs->d;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Gauss(UmbGenerator g)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(g->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Create_Gauss(UmbGenerator g)
{
  Gauss    *gs;
  UmbModel  model;
  PetscBool is;

  PetscFunctionBegin;
  PetscCall(PetscNew(&gs));
  PetscCall(UmbCVGetModel(g->cv, &model));
  PetscCall(UmbModelGetDimension(model, &gs->n));
  PetscCall(UmbCVGetDimension(g->cv, &gs->d));
  PetscCall(UmbCVGetCoordinates(g->cv, &is, gs->idx));
  PetscCheck(is, g->comm, PETSC_ERR_ARG_WRONG, "the gauss generator needs a coordinate CV");
  gs->mu0       = 0.5;
  gs->a         = 1.0;
  gs->sigma     = 1.0;
  gs->nan_above = PETSC_MAX_REAL;
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-t228_sigma", &gs->sigma, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-t228_nan_above", &gs->nan_above, NULL));
  g->data             = gs;
  g->file             = "gauss.h5";
  g->ops.destroy      = Destroy_Gauss;
  g->ops.getgenerated = GetGenerated_Gauss;
  g->ops.istrained    = IsTrained_Gauss;
  g->ops.generate     = Generate_Gauss;
  g->ops.logdensity   = LogDensity_Gauss;
  g->ops.getnoisedim  = GetNoiseDimension_Gauss;
  g->ops.pushforward  = PushForward_Gauss;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- running the sampler ---------- */
typedef enum {
  RUN_NONE = -1, /* no flow moves */
  RUN_EXACT = UMB_FLOWMOVE_EXACT,
  RUN_NO_RATIO = UMB_FLOWMOVE_NO_RATIO,
  RUN_ALWAYS = UMB_FLOWMOVE_ALWAYS_ACCEPT
} RunKind;

/* Samples into dir on comm with every walker at x = its window's centre, y = -1; restart:
   continue from the checkpoint there. Returns finished. */
static PetscErrorCode Run(MPI_Comm comm, const char dir[], RunKind kind, PetscBool restart, PetscBool *finished)
{
  UmbModel     model;
  UmbCV        cv;
  UmbSampler   s;
  UmbGenerator g = NULL;
  PetscInt     K, nw, n;
  PetscReal   *x0;
  const PetscReal *c;
  char         out[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(UmbModelCreate(comm, &model));
  PetscCall(UmbModelSetFromOptions(model));
  PetscCall(UmbModelSetUp(model));
  PetscCall(UmbModelGetDimension(model, &n));
  PetscCall(UmbCVCreate(model, &cv));
  PetscCall(UmbCVSetFromOptions(cv));
  PetscCall(UmbCVSetUp(cv));
  PetscCall(UmbSamplerCreate(cv, &s));
  {
    PetscInt seed = 7;
    PetscCall(PetscOptionsGetInt(NULL, NULL, "-seed", &seed, NULL));
    PetscCall(UmbSamplerSetSeed(s, seed));
  }
  if (kind != RUN_NONE) {
    char      flow[PETSC_MAX_PATH_LEN];
    PetscBool real;
    PetscCall(PetscOptionsGetString(NULL, NULL, "-t228_flow", flow, sizeof(flow), &real));
    PetscCall(UmbGeneratorCreate(cv, &g));
    PetscCall(UmbGeneratorSetType(g, real ? "flow" : "gauss"));
    if (real) PetscCall(UmbGeneratorSetSeed(g, s->seed));
    PetscCall(UmbGeneratorSetUp(g));
    if (real) PetscCall(UmbGeneratorLoad(g, flow));
    PetscCall(UmbSamplerSetProposalGenerator(s, g));
    PetscCall(UmbSamplerSetFlowMoveVariant(s, (UmbFlowMoveVariant)kind));
  } else PetscCall(PetscOptionsClearValue(NULL, "-us_flow_moves"));
  PetscCall(UmbSamplerSetFromOptions(s));
  PetscCall(UmbSamplerSetUp(s));
  if (kind == RUN_NONE) PetscCall(PetscOptionsSetValue(NULL, "-us_flow_moves", "5"));
  PetscCall(UmbSamplerGetWindows(s, &K, &c, NULL));
  PetscCall(UmbSamplerGetWalkers(s, &nw));
  PetscCall(PetscMalloc1(K * nw * n, &x0));
  for (PetscInt k = 0; k < K; k++)
    for (PetscInt w = 0; w < nw; w++) {
      x0[(k * nw + w) * n] = c[k];
      for (PetscInt i = 1; i < n; i++) x0[(k * nw + w) * n + i] = -1;
    }
  PetscCall(UmbSamplerSetInitialStates(s, K, x0));
  PetscCall(PetscFree(x0));
  PetscCall(UmbSamplerSetRestart(s, restart));
  PetscCall(PetscStrncpy(out, dir, sizeof(out)));
  PetscCall(UmbRunDirSetUp(comm, out));
  PetscCall(UmbSamplerRun(s, out, finished));
  PetscCall(UmbSamplerDestroy(&s));
  PetscCall(UmbGeneratorDestroy(&g));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- the exact reference ---------- */
/* P(y > 0) under exp(-beta (U + kappa/2 (x - c)^2)) by the midpoint rule on a fine grid */
static PetscReal ExactPositive(PetscReal c, PetscReal kappa)
{
  const PetscReal h = 2, cw = 12, t = 1, beta = 1;
  const int       N = 1500;
  const double    x0 = -2.5, x1 = 2.5, y0 = -2, y1 = 2, dx = (x1 - x0) / N, dy = (y1 - y0) / N;
  double          pos = 0, all = 0, ref = -1e300;

  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        const double x = x0 + (i + 0.5) * dx, y = y0 + (j + 0.5) * dy;
        const double e = -beta * (h * (x * x - 1) * (x * x - 1) + cw * (y * y - 1) * (y * y - 1) - t * x * y + 0.5 * kappa * (x - c) * (x - c));
        if (!pass) ref = e > ref ? e : ref;
        else {
          const double p = exp(e - ref);
          all += p;
          if (y > 0) pos += p;
        }
      }
  return (PetscReal)(pos / all);
}

/* Batch means of the indicator y > 0 of a window: the estimate and its standard error, from
   walkers x 5 batches; never below the binomial error of independent samples at p */
static PetscErrorCode BatchMeans(const TestWindow *w, PetscReal p, PetscReal *mean, PetscReal *se, PetscInt *nb)
{
  const PetscInt   B = 5;
  const PetscInt64 L = w->frames / B;
  PetscReal        m2 = 0;

  PetscFunctionBegin;
  *mean = 0;
  *nb   = w->walkers * B;
  for (PetscInt a = 0; a < w->walkers; a++)
    for (PetscInt b = 0; b < B; b++) {
      PetscReal bm = 0;
      for (PetscInt64 f = b * L; f < (b + 1) * L; f++) bm += w->x[(a * w->frames + f) * w->n + 1] > 0;
      bm /= (PetscReal)L;
      *mean += bm;
      m2 += bm * bm;
    }
  *mean /= *nb;
  m2 = (m2 / *nb - *mean * *mean) * *nb / (*nb - 1);
  *se = PetscMax(PetscSqrtReal(PetscMax(m2, 0) / *nb), PetscSqrtReal(p * (1 - p) / (PetscReal)(w->walkers * L * B)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Largest |estimate - exact| / se over the windows of dir, against the Bonferroni critical value */
static PetscErrorCode Judge(const char dir[], const char what[], PetscReal *worst, PetscReal *crit)
{
  const PetscInt K = 3;
  PetscReal      alpha = 1e-3;

  PetscFunctionBegin;
  *worst = 0;
  for (PetscInt k = 0; k < K; k++) {
    TestWindow w;
    PetscReal  p, mean, se, zs;
    PetscInt   nb;
    PetscCall(TestReadWindow(PETSC_COMM_SELF, dir, k, &w));
    p = ExactPositive(w.center[0], w.kappa[0]);
    PetscCall(BatchMeans(&w, p, &mean, &se, &nb));
    zs     = PetscAbsReal(mean - p) / se;
    *crit  = gsl_cdf_tdist_Qinv(alpha / (2 * K), nb - 1);
    *worst = PetscMax(*worst, zs);
    UMB_NOTE("%s: window %d (centre %g): P(y > 0) = %.4f +- %.4f, exact %.4f, |z| = %.2f (critical %.2f)", what, (int)k, (double)w.center[0], (double)mean, (double)se, (double)p, (double)zs, (double)*crit);
    PetscCall(TestWindowFree(&w));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadCounts(MPI_Comm comm, const char dir[], const char name[], long long v[3])
{
  UmbH5 h5;
  char  path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(UmbH5Open(comm, path, "samples", &h5));
  PetscCall(UmbH5ReadSmall(h5, name, H5T_NATIVE_LLONG, 3, v));
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CaseExact(void)
{
  PetscReal worst, crit;
  PetscBool finished;
  long long prop[3], acc[3], sw[3];

  PetscFunctionBegin;
  PetscCall(Run(PETSC_COMM_WORLD, "exact", RUN_EXACT, PETSC_FALSE, &finished));
  PetscCall(Judge("exact", "flow moves", &worst, &crit));
  UMB_CHECK(finished && worst <= crit, "with flow moves a window's P(y > 0) is off by %.2f standard errors (critical %.2f)", (double)worst, (double)crit);
  PetscCall(ReadCounts(PETSC_COMM_WORLD, "exact", "/windows/flow_proposals", prop));
  PetscCall(ReadCounts(PETSC_COMM_WORLD, "exact", "/windows/flow_accepted", acc));
  PetscCall(ReadCounts(PETSC_COMM_WORLD, "exact", "/windows/flow_switches", sw));
  for (int k = 0; k < 3; k++) {
    UMB_CHECK(prop[k] == 8 * 22000 / 5, "window %d: %lld proposals, want %d", k, prop[k], 8 * 22000 / 5);
    UMB_CHECK(acc[k] > 0 && acc[k] < prop[k] && sw[k] > 0 && sw[k] <= acc[k], "window %d: %lld accepted, %lld switches of %lld", k, acc[k], sw[k], prop[k]);
    UMB_NOTE("window %d: %lld proposals, acceptance %.3f, %lld mode switches", k, prop[k], (double)acc[k] / (double)prop[k], sw[k]);
  }
  {
    FILE *f = fopen("exact/windows.csv", "r");
    char  line[512] = "";
    while (f && fgets(line, sizeof(line), f) && line[0] == '#') {}
    UMB_CHECK(f && strstr(line, ",flow_proposals,flow_acceptance,flow_switch_rate,f,df"), "windows.csv header %s", line);
    if (f) fclose(f);
  }

  /* the same run without moves, and the broken variants: each must be caught */
  {
    const RunKind     kinds[3] = {RUN_NONE, RUN_NO_RATIO, RUN_ALWAYS};
    const char *const names[3] = {"no moves", "proposal ratio omitted", "moves ignore U"}, *dirs[3] = {"none", "noratio", "always"};
    for (int i = 0; i < 3; i++) {
      /* moves that ignore U put walkers high on the quartic walls, where the SDE step of the
         other runs would blow up: a narrower proposal and a smaller step for that one */
      if (kinds[i] == RUN_ALWAYS) PetscCall(PetscOptionsInsertString(NULL, "-t228_sigma 0.5 -us_dt 5e-4"));
      PetscCall(Run(PETSC_COMM_WORLD, dirs[i], kinds[i], PETSC_FALSE, &finished));
      PetscCall(Judge(dirs[i], names[i], &worst, &crit));
      UMB_CHECK(worst > crit, "%s: not detected (largest |z| = %.2f, critical %.2f)", names[i], (double)worst, (double)crit);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- rank counts and restarts ---------- */
static PetscErrorCode ReadAll(const char dir[], const char name[], PetscInt64 *len, PetscReal **v)
{
  UmbH5   h5;
  char    path[PETSC_MAX_PATH_LEN];
  int     r;
  hsize_t dims[3];

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(UmbH5Open(PETSC_COMM_SELF, path, "samples", &h5));
  PetscCall(UmbH5GetShape(h5, name, &r, dims));
  *len = (PetscInt64)dims[0] * (r > 1 ? (PetscInt64)dims[1] : 1);
  PetscCall(PetscMalloc1(*len, v));
  PetscCall(UmbH5ReadSmall(h5, name, H5T_NATIVE_DOUBLE, *len, *v));
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Same(const char ref[], const char dir[])
{
  const char *const names[] = {"/samples/x", "/windows/flow_proposals", "/windows/flow_accepted", "/windows/flow_switches"};

  PetscFunctionBegin;
  for (int i = 0; i < 4; i++) {
    PetscInt64 na, nb;
    PetscReal *a, *b;
    PetscCall(ReadAll(ref, names[i], &na, &a));
    PetscCall(ReadAll(dir, names[i], &nb, &b));
    UMB_CHECK(na == nb && !memcmp(a, b, (size_t)na * sizeof(*a)), "%s: %s differs from %s", dir, names[i], ref);
    PetscCall(PetscFree(a));
    PetscCall(PetscFree(b));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CaseRanks(void)
{
  PetscMPIInt rank, size;
  MPI_Comm    two;
  PetscBool   finished;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCheck(size == 3, PETSC_COMM_WORLD, PETSC_ERR_ARG_SIZ, "the ranks case runs on 3 ranks");
  PetscCall(PetscOptionsInsertString(NULL, "-us_steps 3000 -us_burnin 500 -us_chunk_steps 250 -us_centers -0.8,-0.4,0,0.4,0.8,1.2"));
  PetscCall(Run(PETSC_COMM_WORLD, "np3", RUN_EXACT, PETSC_FALSE, &finished));
  PetscCallMPI(MPI_Comm_split(PETSC_COMM_WORLD, rank < 2 ? 0 : MPI_UNDEFINED, rank, &two));
  if (rank < 2) PetscCall(Run(two, "np2", RUN_EXACT, PETSC_FALSE, &finished));
  if (!rank) PetscCall(Run(PETSC_COMM_SELF, "np1", RUN_EXACT, PETSC_FALSE, &finished));
  /* stopped at a checkpoint on 3 ranks, continued on 2 */
  PetscCall(PetscOptionsSetValue(NULL, "-us_stop_step", "1750"));
  PetscCall(Run(PETSC_COMM_WORLD, "restart", RUN_EXACT, PETSC_FALSE, &finished));
  UMB_CHECK(!finished, "the run did not stop at -us_stop_step");
  PetscCall(PetscOptionsClearValue(NULL, "-us_stop_step"));
  if (rank < 2) PetscCall(Run(two, "restart", RUN_EXACT, PETSC_TRUE, &finished));
  if (rank < 2) PetscCallMPI(MPI_Comm_free(&two));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (!rank) {
    PetscCall(Same("np3", "np2"));
    PetscCall(Same("np3", "np1"));
    PetscCall(Same("np3", "restart"));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Main(void)
{
  char which[32] = "exact";

  PetscFunctionBegin;
  PetscCall(UmbGeneratorRegister("gauss", Create_Gauss));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-t228_case", which, sizeof(which), NULL));
  if (!strcmp(which, "variant")) { /* for tests/t231: every option from the command line */
    const char *const names[] = {"exact", "noratio", "always"};
    char              dir[PETSC_MAX_PATH_LEN] = "variant", v[16] = "noratio";
    PetscBool         finished;
    PetscInt          kind = -1;
    PetscCall(PetscOptionsGetString(NULL, NULL, "-t228_variant", v, sizeof(v), NULL));
    PetscCall(PetscOptionsGetString(NULL, NULL, "-t228_dir", dir, sizeof(dir), NULL));
    for (PetscInt i = 0; i < 3; i++)
      if (!strcmp(v, names[i])) kind = i;
    PetscCheck(kind >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-t228_variant: exact, noratio or always, not %s", v);
    PetscCall(Run(PETSC_COMM_WORLD, dir, (RunKind)kind, PETSC_FALSE, &finished));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(TestSetDefaultOptions(OPTS));
  { /* TestSetDefaultOptions takes a value starting with '-' for an option name */
    PetscBool has;
    PetscCall(PetscOptionsHasName(NULL, NULL, "-us_centers", &has));
    if (!has) PetscCall(PetscOptionsSetValue(NULL, "-us_centers", "-0.8,0,0.8"));
  }
  if (!strcmp(which, "exact")) PetscCall(CaseExact());
  else if (!strcmp(which, "ranks")) PetscCall(CaseRanks());
  else if (!strcmp(which, "nan")) {
    PetscBool finished;
    PetscCall(Run(PETSC_COMM_WORLD, "nan", RUN_EXACT, PETSC_FALSE, &finished));
  } else SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-t228_case: exact, ranks, nan or variant, not %s", which);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  ierr = Main();
  return UmbTestFinalize(ierr);
}

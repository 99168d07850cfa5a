/* The reweighted generator route of umbra closure (a generator with an exact density q(y | z):
   self-normalised importance sampling to p(y | z), docs/closures.md "Reweighted generator"),
   with analytic generator types registered here on short fastslow campaigns (sampled and solved
   in-process), closures on 31 points of [-1.5, 1.5] against the exact references:
   gaussian case (gaussian coupling):
   (a) q = the exact conditional N(A cos(i z), s^2 (1 + gamma z^2) / beta): the weights are
       constant, so ESS = L at every point, and the closures agree with the exact values within
       z * their standard errors, z the two-sided Bonferroni quantile for alpha = 0.01 over all
       rows compared; the ESS rows and the gan_vs_physics rows of consistency.csv pass.
   (c) q exact for z < 0.45 and N(2.5, 0.25^2) per coordinate (far from every sample) above: the
       weights collapse there; those points must have ESS < -closure_min_ess, nan closures, a
       warning naming each of them (z and ESS) with the remedy, failing ess rows and failing
       free-energy rows (no confident value from them), while the points below stay exact.
   tilted case (bimodal y_i; two of them, so that q below covers p with an ESS of 1-20% of the draws):
   (b) q = N(0, 1.5^2) per coordinate for every z (wrong, but covering both modes): the
       reweighted closures agree with the exact ones within the Bonferroni tolerance, while the
       plain average of the same draws (variant NONE) is off by more than it (measured: var_y
       off by dozens of standard errors).
   (d) broken weights, exp(-beta U) q (sign of log q flipped) and exp(-beta U) (log q left out),
       must fail the same comparison and at least one gan_vs_physics row of consistency.csv.
   Both cases: a closure on PETSC_COMM_SELF (rank 0 alone) must give the same generator closures
   and ESS, bit for bit, as the one on every rank. Catches weights with a wrong sign or a missing
   term, a wrong delta-method error (too small: (a)/(b) fail; too large: (b)'s NONE and (d) pass),
   an ESS that does not see collapsed weights, collapsed points reported as numbers, and results
   that depend on the rank count. */
// TEST: name=gaussian nsize=1,2,3 args="-case gaussian"
// TEST: name=tilted nsize=1,2,3 args="-case tilted"
#pragma GCC diagnostic ignored "-Wunused-function" /* sampling.h helpers this test does not use */
#include "sampling.h"
#include <umbra/private/closureimpl.h>
#include <umbra/private/generatorimpl.h>
#include <umbra/private/modelimpl.h>
#include <umbra/private/fastslowimpl.h>
#include <gsl/gsl_cdf.h>
#include <fcntl.h>
#include <unistd.h>

typedef enum {
  Q_EXACT,  /* the gaussian coupling's exact conditional */
  Q_WIDE,   /* N(0, 1.5^2) */
  Q_BROKEN  /* exact below z = 0.45, N(2.5, 0.25^2) above */
} QKind;
static QKind qkind = Q_EXACT;

typedef struct {
  PetscInt    n, m;
  PetscReal   beta;
  UmbFastSlow fs;
} Analytic;

/* mean and standard deviation of coordinate y_i (i = 1..m) under q at z */
static void QParams(const Analytic *a, PetscInt i, PetscReal z, PetscReal *mu, PetscReal *sd)
{
  if (qkind == Q_WIDE) *mu = 0, *sd = 1.5;
  else if (qkind == Q_BROKEN && z >= 0.45) *mu = 2.5, *sd = 0.25;
  else {
    *mu = a->fs.a * PetscCosReal((PetscReal)i * z);
    *sd = PetscSqrtReal(a->fs.s * a->fs.s * (1 + a->fs.gamma * z * z) / a->beta);
  }
}

static PetscErrorCode PushForward_A(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscReal noise[], PetscReal x[], PetscReal logq[])
{
  const Analytic *a = (Analytic *)g->data;

  PetscFunctionBegin;
  for (PetscInt r = 0; r < m; r++) {
    PetscReal lq = 0;
    x[r * a->n] = z[r];
    for (PetscInt i = 1; i <= a->m; i++) {
      PetscReal mu, sd, e = noise[r * a->m + i - 1];
      QParams(a, i, z[r], &mu, &sd);
      x[r * a->n + i] = mu + sd * e;
      lq += -0.5 * e * e - PetscLogReal(sd) - 0.5 * PetscLogReal(2 * PETSC_PI);
    }
    if (logq) logq[r] = lq;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode LogDensity_A(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscReal x[], PetscReal logq[], PetscReal noise[])
{
  const Analytic *a = (Analytic *)g->data;

  PetscFunctionBegin;
  for (PetscInt r = 0; r < m; r++) {
    PetscReal lq = 0;
    for (PetscInt i = 1; i <= a->m; i++) {
      PetscReal mu, sd, e;
      QParams(a, i, z[r], &mu, &sd);
      e = (x[r * a->n + i] - mu) / sd;
      if (noise) noise[r * a->m + i - 1] = e;
      lq += -0.5 * e * e - PetscLogReal(sd) - 0.5 * PetscLogReal(2 * PETSC_PI);
    }
    logq[r] = lq;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* noise of row i keyed by (seed, index[i]) in the tests' domain */
static PetscErrorCode Generate_A(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscInt nrep, PetscReal x[])
{
  const Analytic *a = (Analytic *)g->data;
  PetscReal       e[64];

  PetscFunctionBegin;
  PetscCheck(nrep == 0 && a->m <= 64, PETSC_COMM_SELF, PETSC_ERR_SUP, "no calibration replicates");
  for (PetscInt r = 0; r < m; r++) {
    UmbStream s;
    UmbStreamInit(&s, (uint64_t)g->seed, UMB_STREAM_TEST, (uint64_t)index[r]);
    UmbStreamGaussian(&s, 0, 0, (int)a->m, e);
    PetscCall(PushForward_A(g, 1, z + r, e, x + r * a->n, NULL));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetGenerated_A(UmbGenerator g, PetscInt *ng)
{
  PetscFunctionBegin;
  *ng = ((Analytic *)g->data)->m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetNoiseDim_A(UmbGenerator g, PetscInt *k)
{
  PetscFunctionBegin;
  *k = ((Analytic *)g->data)->m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckGenerates_A(UmbGenerator g)
{
  PetscFunctionBegin;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode IsTrained_A(UmbGenerator g, PetscBool *t)
{
  PetscFunctionBegin;
  *t = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetRange_A(UmbGenerator g, PetscReal r[])
{
  PetscFunctionBegin;
  r[0] = -1.5, r[1] = 1.5, r[2] = 0, r[3] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetReplicates_A(UmbGenerator g, PetscInt *nrep)
{
  PetscFunctionBegin;
  *nrep = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_A(UmbGenerator g)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(g->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Create_A(UmbGenerator g)
{
  Analytic *a;
  UmbModel  model;

  PetscFunctionBegin;
  PetscCall(PetscNew(&a));
  PetscCall(UmbCVGetModel(g->cv, &model));
  PetscCall(UmbModelGetDimension(model, &a->n));
  PetscCall(UmbModelGetBeta(model, &a->beta));
  a->fs                 = *(UmbFastSlow *)model->data;
  a->m                  = a->n - 1;
  g->data               = a;
  g->file               = "analytic.h5";
  g->ops.destroy        = Destroy_A;
  g->ops.getgenerated   = GetGenerated_A;
  g->ops.checkgenerates = CheckGenerates_A;
  g->ops.generate       = Generate_A;
  g->ops.istrained      = IsTrained_A;
  g->ops.getrange       = GetRange_A;
  g->ops.getreplicates  = GetReplicates_A;
  g->ops.logdensity     = LogDensity_A;
  g->ops.getnoisedim    = GetNoiseDim_A;
  g->ops.pushforward    = PushForward_A;
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  UmbModel     model;
  UmbCV        cv;
  UmbGenerator gen;
} Objects;

static PetscErrorCode ObjectsCreate(MPI_Comm comm, Objects *o)
{
  PetscFunctionBegin;
  PetscCall(UmbModelCreate(comm, &o->model));
  PetscCall(UmbModelSetFromOptions(o->model));
  PetscCall(UmbModelSetUp(o->model));
  PetscCall(UmbCVCreate(o->model, &o->cv));
  PetscCall(UmbCVSetFromOptions(o->cv));
  PetscCall(UmbCVSetUp(o->cv));
  PetscCall(UmbGeneratorCreate(o->cv, &o->gen));
  PetscCall(UmbGeneratorSetType(o->gen, "analytic"));
  PetscCall(UmbGeneratorSetUp(o->gen));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ObjectsDestroy(Objects *o)
{
  PetscFunctionBegin;
  PetscCall(UmbGeneratorDestroy(&o->gen));
  PetscCall(UmbCVDestroy(&o->cv));
  PetscCall(UmbModelDestroy(&o->model));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A closure with generator q and weights v, computed; stderr of rank 0 captured into errfile
   when it is not NULL */
static PetscErrorCode Closure(const Objects *o, QKind q, UmbReweightVariant v, const char errfile[], UmbClosure *c)
{
  int saved = -1;

  PetscFunctionBegin;
  qkind = q;
  PetscCall(UmbClosureCreate(o->cv, o->gen, c));
  PetscCall(UmbClosureSetDirectory(*c, "out"));
  PetscCall(UmbClosureSetFromOptions(*c));
  PetscCall(UmbClosureSetReweightVariant(*c, v));
  PetscCall(UmbClosureSetUp(*c));
  if (errfile) {
    int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    PetscCheck(fd >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot open %s", errfile);
    fflush(stderr);
    saved = dup(2);
    dup2(fd, 2);
    close(fd);
  }
  PetscCall(UmbClosureCompute(*c));
  if (errfile) {
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Largest |gan - exact| / gan_err over the rows with an exact value and a finite generator
   closure, the number of such rows, and the two-sided Bonferroni tolerance for alpha = 0.01 */
static PetscErrorCode VersusExact(UmbClosure c, PetscReal *worst, PetscInt *rows, PetscReal *tol, char where[], size_t len)
{
  PetscInt           ng, nobs;
  const PetscReal   *z, *gv, *ge, *ex;
  const char *const *names;

  PetscFunctionBegin;
  PetscCall(UmbClosureGetGrid(c, &ng, &z));
  PetscCall(UmbClosureGetObservables(c, &nobs, &names));
  PetscCall(UmbClosureGetValues(c, NULL, NULL, &gv, &ge, &ex));
  *worst = 0;
  *rows  = 0;
  for (PetscInt g = 0; g < ng; g++)
    for (PetscInt k = 0; k < nobs; k++) {
      const PetscInt i = g * nobs + k;
      PetscReal      t;
      if (PetscIsInfOrNanReal(ex[i]) || PetscIsInfOrNanReal(gv[i])) continue;
      if (!(ge[i] > 1e-12 * (1 + PetscAbsReal(gv[i])))) { /* a function of z alone (diffusion): exact */
        UMB_CHECK(PetscAbsReal(gv[i] - ex[i]) <= 1e-9 * (1 + PetscAbsReal(ex[i])), "%s at z = %g: %g without error, exact %g", names[k], (double)z[g], (double)gv[i], (double)ex[i]);
        continue;
      }
      t = PetscAbsReal(gv[i] - ex[i]) / ge[i];
      (*rows)++;
      if (t > *worst) {
        *worst = t;
        snprintf(where, len, "%s at z = %g: %.6g +- %.3g, exact %.6g", names[k], (double)z[g], (double)gv[i], (double)ge[i], (double)ex[i]);
      }
    }
  *tol = *rows ? gsl_cdf_ugaussian_Qinv(0.01 / (2 * *rows)) : 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* pass flag of the consistency rows whose names start with prefix: how many there are and how
   many fail */
static PetscErrorCode Rows(UmbClosure c, const char prefix[], PetscInt *n, PetscInt *nfail, PetscReal *value)
{
  PetscInt           nc;
  const char *const *names;
  const PetscReal   *val;
  const PetscBool   *pass;

  PetscFunctionBegin;
  PetscCall(UmbClosureGetChecks(c, &nc, &names, &val, NULL, &pass));
  *n = *nfail = 0;
  for (PetscInt i = 0; i < nc; i++)
    if (!strncmp(names[i], prefix, strlen(prefix))) {
      (*n)++;
      if (!pass[i]) (*nfail)++;
      if (value) *value = val[i];
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The generator closures and ESS of c on every rank against a closure of the same data on rank 0
   alone: identical bits */
static PetscErrorCode SameOnOneRank(UmbClosure c, QKind q)
{
  PetscMPIInt rank;
  PetscInt    differ = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (!rank) {
    Objects          o1;
    UmbClosure       c1;
    PetscInt         ng, nobs;
    const PetscReal *gv, *ge, *gv1, *ge1, *es, *es1;
    PetscCall(ObjectsCreate(PETSC_COMM_SELF, &o1));
    PetscCall(Closure(&o1, q, UMB_REWEIGHT_SNIS, NULL, &c1));
    PetscCall(UmbClosureGetGrid(c, &ng, NULL));
    PetscCall(UmbClosureGetObservables(c, &nobs, NULL));
    PetscCall(UmbClosureGetValues(c, NULL, NULL, &gv, &ge, NULL));
    PetscCall(UmbClosureGetValues(c1, NULL, NULL, &gv1, &ge1, NULL));
    PetscCall(UmbClosureGetESS(c, NULL, NULL, &es));
    PetscCall(UmbClosureGetESS(c1, NULL, NULL, &es1));
    for (PetscInt i = 0; i < ng * nobs; i++)
      if (memcmp(&gv[i], &gv1[i], sizeof(PetscReal)) || memcmp(&ge[i], &ge1[i], sizeof(PetscReal))) differ++;
    for (PetscInt g = 0; g < ng; g++)
      if (memcmp(&es[g], &es1[g], sizeof(PetscReal))) differ++;
    PetscCall(UmbClosureDestroy(&c1));
    PetscCall(ObjectsDestroy(&o1));
  }
  PetscCallMPI(MPI_Bcast(&differ, 1, MPIU_INT, 0, PETSC_COMM_WORLD));
  UMB_CHECK(differ == 0, "%d generator values or ESS differ between this rank count and one rank", (int)differ);
  UMB_NOTE("generator closures and ESS identical on one rank: %s", differ ? "no" : "yes");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SampleAndSolve(const char opts[])
{
  UmbFes    fes;
  PetscBool finished;

  PetscFunctionBegin;
  PetscCall(TestSample(PETSC_COMM_WORLD, opts, "out"));
  PetscCall(UmbFesCreate(PETSC_COMM_WORLD, &fes));
  PetscCall(UmbFesSetFromOptions(fes));
  PetscCall(UmbFesSetDirectory(fes, "out"));
  PetscCall(UmbFesSetUp(fes));
  PetscCall(UmbFesSolve(fes, &finished));
  PetscCall(UmbFesWrite(fes));
  PetscCall(UmbFesDestroy(&fes));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CaseGaussian(void)
{
  Objects          o;
  UmbClosure       c;
  PetscReal        worst, tol, L, min_ess, v;
  PetscInt         rows, n, nf, ng, nobs, nlow = 0;
  const PetscReal *ess, *z, *gv, *ge;
  char             where[256] = "";

  PetscFunctionBegin;
  PetscCall(SampleAndSolve("-model fastslow -fastslow_coupling gaussian -cv native -us_windows 16 -us_range -1.5,1.5 -us_kappa 40 -us_walkers 2 -us_steps 20000 -us_burnin 1000 -us_stride 10 -us_dt 1e-3 -seed 42"));
  PetscCall(ObjectsCreate(PETSC_COMM_WORLD, &o));

  /* (a) the exact conditional */
  PetscCall(Closure(&o, Q_EXACT, UMB_REWEIGHT_SNIS, NULL, &c));
  PetscCall(UmbClosureWrite(c));
  PetscCall(UmbClosureGetESS(c, &L, &min_ess, &ess));
  PetscCall(UmbClosureGetGrid(c, &ng, &z));
  UMB_CHECK(ess != NULL, "no ESS for a generator with a density");
  for (PetscInt g = 0; ess && g < ng; g++) UMB_CHECK(PetscAbsReal(ess[g] - L) <= 1e-9 * L, "exact q: ESS %g of %g draws at z = %g (constant weights give L)", (double)ess[g], (double)L, (double)z[g]);
  PetscCall(VersusExact(c, &worst, &rows, &tol, where, sizeof(where)));
  UMB_CHECK(rows >= 200 && worst <= tol, "exact q: worst %.2f standard errors over %d rows (tolerance %.2f): %s", (double)worst, (int)rows, (double)tol, where);
  UMB_NOTE("(a) exact q: ESS = L = %g at every point; worst %.2f of %d rows against %.2f (%s)", (double)L, (double)worst, (int)rows, (double)tol, where);
  PetscCall(Rows(c, "ess_", &n, &nf, NULL));
  UMB_CHECK(n == 2 && nf == 0, "exact q: %d ess rows, %d fail", (int)n, (int)nf);
  PetscCall(Rows(c, "gan_vs_physics_", &n, &nf, NULL));
  UMB_CHECK(n >= 8 && nf == 0, "exact q: %d gan_vs_physics rows, %d fail", (int)n, (int)nf);
  UMB_NOTE("(a) consistency: %d gan_vs_physics rows, %d fail", (int)n, (int)nf);
  PetscCall(SameOnOneRank(c, Q_EXACT));
  PetscCall(UmbClosureDestroy(&c));

  /* (c) collapsed weights above z = 0.45 */
  PetscCall(Closure(&o, Q_BROKEN, UMB_REWEIGHT_SNIS, "warn.txt", &c));
  PetscCall(UmbClosureGetGrid(c, &ng, &z));
  PetscCall(UmbClosureGetESS(c, &L, &min_ess, &ess));
  PetscCall(UmbClosureGetObservables(c, &nobs, NULL));
  PetscCall(UmbClosureGetValues(c, NULL, NULL, &gv, &ge, NULL));
  for (PetscInt g = 0; g < ng; g++) {
    if (z[g] >= 0.45) {
      nlow++;
      UMB_CHECK(!(ess[g] >= min_ess), "broken q: ESS %g at z = %g, not below %g", (double)ess[g], (double)z[g], (double)min_ess);
      for (PetscInt k = 0; k < nobs; k++) UMB_CHECK(PetscIsNanReal(gv[g * nobs + k]) && PetscIsNanReal(ge[g * nobs + k]), "broken q: a value %g +- %g at z = %g with ESS %g", (double)gv[g * nobs + k], (double)ge[g * nobs + k], (double)z[g], (double)ess[g]);
    } else UMB_CHECK(PetscAbsReal(ess[g] - L) <= 1e-9 * L, "broken q: ESS %g at z = %g where q is exact", (double)ess[g], (double)z[g]);
  }
  PetscCall(VersusExact(c, &worst, &rows, &tol, where, sizeof(where)));
  UMB_CHECK(rows >= 100 && worst <= tol, "broken q, trusted points: worst %.2f of %d rows (tolerance %.2f): %s", (double)worst, (int)rows, (double)tol, where);
  PetscCall(Rows(c, "ess_low_points", &n, &nf, &v));
  UMB_CHECK(n == 1 && nf == 1 && v == nlow, "broken q: ess_low_points %g (%d rows, %d fail), expected %d failing", (double)v, (int)n, (int)nf, (int)nlow);
  PetscCall(Rows(c, "ess_loss_max", &n, &nf, &v));
  UMB_CHECK(n == 1 && nf == 1, "broken q: ess_loss_max %g passes", (double)v);
  PetscCall(Rows(c, "free_energy_", &n, &nf, NULL));
  UMB_CHECK(n == 2 && nf == 2, "broken q: %d of %d free-energy rows fail (the collapsed points must not pass)", (int)nf, (int)n);
  {
    PetscMPIInt rank;
    PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
    if (!rank) {
      char  text[8192] = "", want[64];
      FILE *f          = fopen("warn.txt", "r");
      size_t got       = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
      text[got]        = 0;
      if (f) fclose(f);
      printf("# captured: %s", text);
      snprintf(want, sizeof(want), "collapsed at %d of %d grid points", (int)nlow, (int)ng);
      UMB_CHECK(strstr(text, want), "no warning '%s'", want);
      UMB_CHECK(strstr(text, "-closure_lift_n") && strstr(text, "better trained generator") && strstr(text, "more samples near those z"), "the warning names no remedy");
      for (PetscInt g = 0, shown = 0; g < ng && shown < 12; g++)
        if (z[g] >= 0.45) {
          snprintf(want, sizeof(want), "z = %g (ESS %.3g)", (double)z[g], (double)ess[g]);
          UMB_CHECK(strstr(text, want), "the warning does not name '%s'", want);
          shown++;
        }
    }
  }
  UMB_NOTE("(c) broken q: %d points with ESS below %g, nan there, warned; trusted points worst %.2f of %d rows (tolerance %.2f)", (int)nlow, (double)min_ess, (double)worst, (int)rows, (double)tol);
  PetscCall(UmbClosureDestroy(&c));
  PetscCall(ObjectsDestroy(&o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CaseTilted(void)
{
  Objects          o;
  UmbClosure       c;
  PetscReal        worst, tol, L, min_ess, emin = PETSC_MAX_REAL;
  PetscInt         rows, n, nf, ng;
  const PetscReal *ess;
  char             where[256] = "";
  const struct {
    UmbReweightVariant v;
    const char        *what;
  } broken[2] = {
    {UMB_REWEIGHT_FLIP_LOGQ, "log q with the wrong sign"},
    {UMB_REWEIGHT_NO_LOGQ,   "log q left out"           }
  };

  PetscFunctionBegin;
  PetscCall(SampleAndSolve("-model fastslow -fastslow_coupling tilted -fastslow_m 2 -cv native -us_windows 16 -us_range -1.5,1.5 -us_kappa 40 -us_walkers 2 -us_steps 50000 -us_burnin 2500 -us_stride 25 -us_dt 2e-4 -seed 42"));
  PetscCall(ObjectsCreate(PETSC_COMM_WORLD, &o));

  /* (b) a wrong but covering q, reweighted */
  PetscCall(Closure(&o, Q_WIDE, UMB_REWEIGHT_SNIS, NULL, &c));
  PetscCall(UmbClosureWrite(c));
  PetscCall(UmbClosureGetESS(c, &L, &min_ess, &ess));
  PetscCall(UmbClosureGetGrid(c, &ng, NULL));
  for (PetscInt g = 0; g < ng; g++) emin = PetscMin(emin, ess[g]);
  UMB_CHECK(emin >= min_ess && emin < 0.9 * L, "wide q: smallest ESS %g of %g (weights not constant, not collapsed)", (double)emin, (double)L);
  PetscCall(VersusExact(c, &worst, &rows, &tol, where, sizeof(where)));
  UMB_CHECK(rows >= 150 && worst <= tol, "wide q, reweighted: worst %.2f standard errors over %d rows (tolerance %.2f): %s", (double)worst, (int)rows, (double)tol, where);
  UMB_NOTE("(b) wide q, reweighted: smallest ESS %g of %g; worst %.2f of %d rows against %.2f (%s)", (double)emin, (double)L, (double)worst, (int)rows, (double)tol, where);
  PetscCall(Rows(c, "gan_vs_physics_", &n, &nf, NULL));
  UMB_CHECK(n >= 5 && nf == 0, "wide q, reweighted: %d gan_vs_physics rows, %d fail", (int)n, (int)nf);
  PetscCall(Rows(c, "ess_", &n, &nf, NULL));
  UMB_CHECK(n == 2 && nf == 0, "wide q, reweighted: %d ess rows, %d fail", (int)n, (int)nf);
  PetscCall(SameOnOneRank(c, Q_WIDE));
  PetscCall(UmbClosureDestroy(&c));

  /* the plain average of the same draws is wrong */
  PetscCall(Closure(&o, Q_WIDE, UMB_REWEIGHT_NONE, NULL, &c));
  PetscCall(VersusExact(c, &worst, &rows, &tol, where, sizeof(where)));
  UMB_CHECK(worst > tol, "wide q, plain average: worst %.2f standard errors over %d rows, within the tolerance %.2f: the test cannot tell", (double)worst, (int)rows, (double)tol);
  UMB_NOTE("(b) wide q, plain average of the same draws: worst %.2f of %d rows against %.2f (%s)", (double)worst, (int)rows, (double)tol, where);
  PetscCall(UmbClosureDestroy(&c));

  /* (d) broken weights must be detected */
  for (int b = 0; b < 2; b++) {
    PetscCall(Closure(&o, Q_WIDE, broken[b].v, NULL, &c));
    PetscCall(VersusExact(c, &worst, &rows, &tol, where, sizeof(where)));
    PetscCall(Rows(c, "gan_vs_physics_", &n, &nf, NULL));
    UMB_CHECK(worst > tol, "weights with %s: worst %.2f standard errors, within the tolerance %.2f: not detected", broken[b].what, (double)worst, (double)tol);
    UMB_CHECK(nf >= 1, "weights with %s: every one of %d gan_vs_physics rows passes", broken[b].what, (int)n);
    UMB_NOTE("(d) weights with %s: detected, worst %.2f against %.2f (%s); %d of %d gan_vs_physics rows fail", broken[b].what, (double)worst, (double)tol, where, (int)nf, (int)n);
    PetscCall(UmbClosureDestroy(&c));
  }
  PetscCall(ObjectsDestroy(&o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  char           which[32] = "gaussian";

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetString(NULL, NULL, "-case", which, sizeof(which), NULL));
  PetscCall(UmbGeneratorRegister("analytic", Create_A));
  /* cheap checks besides the closures: few draws for the distributions, short reduced SDE, no
     direct runs */
  PetscCall(TestSetDefaultOptions("-closure_lift_n 8000 -closure_test_n 300 -closure_permutations 200 -closure_sde_time 5 -closure_sde_walkers 8 -closure_direct_walkers 0 -fes_bootstrap 0 -progress_interval 1000"));
  if (!strcmp(which, "gaussian")) PetscCall(CaseGaussian());
  else PetscCall(CaseTilted());
  PetscFunctionReturn(UmbTestFinalize(0));
}

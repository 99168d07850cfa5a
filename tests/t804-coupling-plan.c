/* The two halves of a coupling round that need no sampling. The choice of windows, on a previous
   round built in memory: a window in the gap between neighbours that barely overlap, none where
   a window already sits, the re-seed of a window with too few effective samples (not when a
   later round already added one at its centre), both windows of a pair that failed the
   consistency test, windows beyond the ends up to -run_extend, and -run_max_windows with the rest
   counted. The merge, of two small samples files written through UmbSamplesFile: the merged
   table and rows must be exactly the concatenation (windows appended, the new ones marked with
   the round), and a merge without new windows the previous file. Catches a plan that adds
   duplicates or misses a gap, and a merge that reorders, drops or changes rows. */
// TEST: nsize=1,2
#include "tap.h"
#include <sys/stat.h>

#define KMAX 8

typedef struct {
  PetscInt   K, npairs;
  PetscReal  center[KMAX], kappa[KMAX], neff[KMAX], overlap[2 * KMAX], pvalue[KMAX];
  PetscInt64 round[KMAX], pairs[2 * KMAX];
} Prev;

/* K windows at 0, 1, ..., K-1 (kappa 10, 100 effective samples), neighbours in order with
   overlap 0.3 and p-value 0.5 */
static void PrevLine(Prev *p, PetscInt K)
{
  PetscCallAbort(PETSC_COMM_SELF, PetscMemzero(p, sizeof(*p)));
  p->K      = K;
  p->npairs = K - 1;
  for (PetscInt k = 0; k < K; k++) {
    p->center[k] = k;
    p->kappa[k]  = 10;
    p->neff[k]   = 100;
  }
  for (PetscInt q = 0; q < K - 1; q++) {
    p->pairs[2 * q]       = q;
    p->pairs[2 * q + 1]   = q + 1;
    p->overlap[2 * q]     = 0.3;
    p->overlap[2 * q + 1] = 0.3;
    p->pvalue[q]          = 0.5;
  }
}

static PetscErrorCode Choose(UmbCV cv, const char *opts, const Prev *p, PetscInt round, UmbCouplingPlan *plan)
{
  UmbCoupling         o;
  UmbCouplingPrevious prev;

  PetscFunctionBegin;
  PetscCall(PetscOptionsClearValue(NULL, "-run_extend"));
  PetscCall(PetscOptionsClearValue(NULL, "-run_max_windows"));
  PetscCall(PetscOptionsClearValue(NULL, "-run_reseed_flagged"));
  PetscCall(PetscOptionsInsertString(NULL, opts));
  PetscCall(UmbCouplingCreate(cv, &o));
  PetscCall(UmbCouplingSetFromOptions(o));
  PetscCall(PetscMemzero(&prev, sizeof(prev)));
  prev.K       = p->K;
  prev.d       = 1;
  prev.center  = p->center;
  prev.kappa   = p->kappa;
  prev.round   = p->round;
  prev.neff    = p->neff;
  prev.npairs  = p->npairs;
  prev.pairs   = p->pairs;
  prev.overlap = p->overlap;
  prev.pvalue  = p->pvalue;
  prev.alpha   = 0.01;
  PetscCall(UmbCouplingPlanChoose(o, &prev, round, plan));
  PetscCall(UmbCouplingDestroy(&o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void CheckCenters(const UmbCouplingPlan *plan, PetscInt n, const PetscReal want[], const char *what)
{
  UMB_CHECK(plan->nnew == n, "%s: %d new windows, expected %d (%s)", what, (int)plan->nnew, (int)n, plan->why);
  for (PetscInt j = 0; j < PetscMin(n, plan->nnew); j++) UMB_CHECK(PetscAbsReal(plan->center[j] - want[j]) < 1e-12, "%s: new window %d at %g, expected %g", what, (int)j, (double)plan->center[j], (double)want[j]);
}

static PetscErrorCode TestPlan(UmbCV cv)
{
  Prev            p;
  UmbCouplingPlan plan;

  PetscFunctionBegin;
  /* nothing to do */
  PrevLine(&p, 4);
  PetscCall(Choose(cv, "", &p, 2, &plan));
  CheckCenters(&plan, 0, NULL, "good windows");
  PetscCall(UmbCouplingPlanDestroy(&plan));
  /* a gap between windows 1 and 2 */
  p.overlap[2] = 0.01;
  p.overlap[3] = 0.02;
  p.kappa[2]   = 20;
  PetscCall(Choose(cv, "", &p, 2, &plan));
  CheckCenters(&plan, 1, (const PetscReal[]){1.5}, "gap");
  UMB_CHECK(plan.nnew == 1 && plan.kappa[0] == 15 && plan.kold == 4 && strstr(plan.why, "gap: windows 1,2"), "gap: kappa %g (the mean 15), kold %d, why '%s'", (double)plan.kappa[0], (int)plan.kold, plan.why);
  PetscCall(UmbCouplingPlanDestroy(&plan));
  /* a window sits in the gap already (added by round 1): nothing new */
  p.K          = 5;
  p.center[4]  = 1.5;
  p.kappa[4]   = 15;
  p.neff[4]    = 100;
  p.round[4]   = 1;
  PetscCall(Choose(cv, "", &p, 2, &plan));
  CheckCenters(&plan, 0, NULL, "gap filled before");
  PetscCall(UmbCouplingPlanDestroy(&plan));
  /* too few effective samples in windows 0 and 3: 3 is re-seeded, 0 not, since round 1 added a
     window at its centre */
  p.neff[3]   = 10;
  p.neff[0]   = 10;
  p.center[4] = 0;
  PetscCall(Choose(cv, "", &p, 2, &plan));
  CheckCenters(&plan, 2, (const PetscReal[]){1.5, 3}, "re-seed");
  PetscCall(UmbCouplingPlanDestroy(&plan));
  /* a failed consistency test between windows 2 and 3: both again, unless not asked to */
  PrevLine(&p, 4);
  p.pvalue[2] = 0.001;
  PetscCall(Choose(cv, "", &p, 2, &plan));
  CheckCenters(&plan, 2, (const PetscReal[]){2, 3}, "failed consistency");
  PetscCall(UmbCouplingPlanDestroy(&plan));
  PetscCall(Choose(cv, "-run_reseed_flagged 0", &p, 2, &plan));
  CheckCenters(&plan, 0, NULL, "failed consistency, -run_reseed_flagged 0");
  PetscCall(UmbCouplingPlanDestroy(&plan));
  /* edges: beyond both ends at the end spacing, up to -run_extend; a limit inside the range adds nothing */
  PrevLine(&p, 4);
  PetscCall(Choose(cv, "-run_extend -2.5,4.2", &p, 2, &plan));
  CheckCenters(&plan, 3, (const PetscReal[]){-1, -2, 4}, "extend");
  PetscCall(UmbCouplingPlanDestroy(&plan));
  PetscCall(Choose(cv, "-run_extend 0.5,2.5", &p, 2, &plan));
  CheckCenters(&plan, 0, NULL, "extend inside the range");
  PetscCall(UmbCouplingPlanDestroy(&plan));
  /* at most -run_max_windows: the gap first, then the extension; the rest counted */
  p.overlap[2] = 0.01;
  PetscCall(Choose(cv, "-run_extend -2.5,4.2 -run_max_windows 2", &p, 2, &plan));
  CheckCenters(&plan, 2, (const PetscReal[]){1.5, -1}, "-run_max_windows 2");
  UMB_CHECK(strstr(plan.why, "2 more left for later rounds") != NULL, "-run_max_windows 2: why '%s'", plan.why);
  PetscCall(UmbCouplingPlanDestroy(&plan));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* <dir>/samples.h5 with K windows of walkers x frames rows, n = 3 coordinates; row r of window
   k (global index k0 + k) holds values that name it */
static PetscErrorCode WriteSamples(MPI_Comm comm, const char dir[], PetscInt K, PetscInt k0)
{
  const PetscInt   nw = 2, F = 3, n = 3, per = nw * F;
  PetscMPIInt      rank;
  UmbSamplesFile   sf;
  UmbSamplesTable  t;
  PetscReal        center[KMAX], kappa[KMAX], iact[KMAX], x[KMAX * 6 * 3], z[KMAX * 6];
  PetscInt64       offset[KMAX + 1], counts[KMAX];
  char             path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) mkdir(dir, 0777);
  PetscCallMPI(MPI_Barrier(comm));
  PetscCall(PetscMemzero(&t, sizeof(t)));
  for (PetscInt k = 0; k < K; k++) {
    center[k] = 0.25 * (k0 + k) - 1;
    kappa[k]  = 40 + k0 + k;
    iact[k]   = 1.5 + k0 + k;
    counts[k] = per;
    for (PetscInt r = 0; r < per; r++) {
      z[k * per + r] = center[k] + 1e-3 * r;
      for (PetscInt i = 0; i < n; i++) x[(k * per + r) * n + i] = 100 * (k0 + k) + 10 * r + i + 1.0 / 3;
    }
  }
  for (PetscInt k = 0; k <= K; k++) offset[k] = k * per;
  t.K        = K;
  t.d        = 1;
  t.N        = K * per;
  t.center   = center;
  t.kappa    = kappa;
  t.offset   = offset;
  t.beta     = 1;
  t.nwalkers = nw;
  t.nframes  = F;
  t.stride   = 10;
  t.steps    = 30;
  t.burnin   = 5;
  t.seed     = 42;
  t.dt       = 1e-3;
  PetscCall(PetscStrncpy(t.model, "fastslow", sizeof(t.model)));
  PetscCall(PetscStrncpy(t.cv, "native", sizeof(t.cv)));
  PetscCall(PetscStrncpy(t.cv_names, "y0", sizeof(t.cv_names)));
  PetscCall(PetscStrncpy(t.coordinates, "y0,y1,y2", sizeof(t.coordinates)));
  PetscCall(PetscStrncpy(t.integrator, "lm", sizeof(t.integrator)));
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(UmbSamplesFileCreate(comm, path, PETSC_FALSE, &sf));
  PetscCall(UmbSamplesFileCreateArrays(sf, t.N, n, 1));
  PetscCall(UmbSamplesFileWriteRows(sf, UMB_SAMPLES_X, 0, rank ? 0 : t.N, x));
  PetscCall(UmbSamplesFileWriteRows(sf, UMB_SAMPLES_Z, 0, rank ? 0 : t.N, z));
  PetscCall(UmbSamplesFileWriteTable(sf, &t));
  PetscCall(UmbSamplesFileWriteWindowStats(sf, K, iact, counts));
  PetscCall(UmbSamplesFileClose(&sf, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* out/samples.h5 must be the windows 0 .. K-1 of WriteSamples, rows in order, round[k] for k >= k1 */
static PetscErrorCode CheckMerged(MPI_Comm comm, const char dir[], PetscInt K, PetscInt k1, PetscInt round)
{
  const PetscInt         per = 6, n = 3;
  UmbSamplesFile         sf;
  const UmbSamplesTable *t;
  PetscReal             *x, *z;
  PetscInt64             N;
  PetscInt               cols, bad = 0;
  char                   path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(UmbSamplesFileOpen(comm, path, &sf));
  PetscCall(UmbSamplesFileGetTable(sf, &t));
  PetscCall(UmbSamplesFileGetShape(sf, UMB_SAMPLES_X, &N, &cols));
  UMB_CHECK(t->K == K && t->N == K * per && N == t->N && cols == n, "%s: %d windows, %lld rows, %d coordinates", path, (int)t->K, (long long)N, (int)cols);
  if (t->K != K || N != K * per) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt k = 0; k < K; k++) {
    bad += t->center[k] != 0.25 * k - 1 || t->kappa[k] != 40 + k || t->iact[k] != 1.5 + k || t->offset[k] != k * per;
    bad += t->round[k] != (k >= k1 ? round : 0) || t->walkers[k] != 2 || t->frames[k] != 3;
  }
  UMB_CHECK(!bad && t->offset[K] == K * per && t->has_round && t->nwalkers == 2 && t->stride == 10 && t->dt == 1e-3 && !strcmp(t->integrator, "lm") && !strcmp(t->coordinates, "y0,y1,y2"), "%s: the window table is not the concatenation (%d differences)", path, (int)bad);
  PetscCall(PetscMalloc2(N * n, &x, N, &z));
  PetscCall(UmbSamplesFileReadRows(sf, UMB_SAMPLES_X, 0, N, x));
  PetscCall(UmbSamplesFileReadRows(sf, UMB_SAMPLES_Z, 0, N, z));
  bad = 0;
  for (PetscInt k = 0; k < K; k++)
    for (PetscInt r = 0; r < per; r++) {
      bad += z[k * per + r] != (0.25 * k - 1) + 1e-3 * r;
      for (PetscInt i = 0; i < n; i++) bad += x[(k * per + r) * n + i] != 100 * k + 10 * r + i + 1.0 / 3;
    }
  UMB_CHECK(!bad, "%s: %d values of the rows differ from the concatenation", path, (int)bad);
  PetscCall(PetscFree2(x, z));
  PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestMerge(MPI_Comm comm)
{
  PetscBool exists;

  PetscFunctionBegin;
  PetscCall(WriteSamples(comm, "prev", 3, 0));
  PetscCall(WriteSamples(comm, "add", 2, 3));
  PetscCall(WriteSamples(comm, "out", 1, 0)); /* replaced by the merge */
  PetscCall(UmbSamplesFileMerge(comm, "prev", "add", 1, NULL, PETSC_FALSE, "out"));
  PetscCall(CheckMerged(comm, "out", 5, 3, 1));
  PetscCall(PetscTestFile("out/windows.csv", 'r', &exists));
  UMB_CHECK(exists, "out/windows.csv not written");
  /* the next round on top, without new windows: the same table and rows */
  PetscCall(WriteSamples(comm, "none", 1, 0));
  PetscCall(UmbSamplesFileMerge(comm, "out", NULL, 2, NULL, PETSC_FALSE, "none"));
  PetscCall(CheckMerged(comm, "none", 5, 3, 1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  UmbModel       model;
  UmbCV          cv;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsInsertString(NULL, "-model fastslow -cv native"));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(UmbModelSetFromOptions(model));
  PetscCall(UmbModelSetUp(model));
  PetscCall(UmbCVCreate(model, &cv));
  PetscCall(UmbCVSetFromOptions(cv));
  PetscCall(UmbCVSetUp(cv));
  PetscCall(TestPlan(cv));
  PetscCall(TestMerge(PETSC_COMM_WORLD));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscFunctionReturn(UmbTestFinalize(0));
}

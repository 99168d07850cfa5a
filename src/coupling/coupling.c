/* Coupling rounds of `umbra run` (docs/coupling.md): the previous round's diagnostics choose
   windows to add (gaps between neighbours, an extension of the range, explicit centres) or to
   re-seed (too few effective samples, a failed neighbour consistency test); the trained
   generator lifts one independent state per walker at each new centre, so the walkers start in
   equilibrium along the fast directions; the new windows are sampled and appended to the
   campaign's samples.h5. Everything follows from -seed: the lifted states use the stream
   (seed, coupling, merged window index), the SDE noise the stream (seed, noise, merged index). */
#include <umbra/private/couplingimpl.h>
#include <umbra/io.h>
#include <umbra/samplesfile.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define UMB_RUN_MAX_CENTERS 1024

PetscErrorCode UmbCouplingCreate(UmbCV cv, UmbCoupling *cp)
{
  UmbCoupling o;
  UmbModel    model;

  PetscFunctionBegin;
  PetscCall(PetscNew(&o));
  o->cv = cv;
  PetscCall(UmbCVGetModel(cv, &model));
  PetscCall(UmbModelGetComm(model, &o->comm));
  o->overlap_min    = 0.05;
  o->neff_min       = 50;
  o->reseed_flagged = PETSC_TRUE;
  o->max_windows    = 16;
  *cp               = o;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCouplingSetGenerator(UmbCoupling o, UmbGenerator generator)
{
  PetscFunctionBegin;
  o->generator = generator;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCouplingGetIterations(UmbCoupling o, PetscInt *n)
{
  PetscFunctionBegin;
  *n = o->iterations;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCouplingSetFromOptions(UmbCoupling o)
{
  PetscInt  d, ng = 0, n = 4;
  PetscBool set;

  PetscFunctionBegin;
  PetscCall(UmbCVGetDimension(o->cv, &d));
  o->ncenters = UMB_RUN_MAX_CENTERS;
  if (!o->centers) PetscCall(PetscMalloc1(UMB_RUN_MAX_CENTERS, &o->centers));
  PetscOptionsBegin(o->comm, NULL, "Coupling rounds of umbra run", "umbra run");
  PetscCall(PetscOptionsInt("-run_iterations", "Coupling rounds after the initial campaign: seed new windows with lifted states, resample, retrain", "UmbCouplingRound", o->iterations, &o->iterations, NULL));
  PetscCall(PetscOptionsReal("-run_overlap_min", "A neighbour pair whose overlap is below this gets a new window between", "UmbCouplingRound", o->overlap_min, &o->overlap_min, NULL));
  PetscCall(PetscOptionsReal("-run_neff_min", "A window with fewer effective samples is re-seeded (0: never)", "UmbCouplingRound", o->neff_min, &o->neff_min, NULL));
  PetscCall(PetscOptionsBool("-run_reseed_flagged", "Re-seed both windows of a neighbour pair that failed the consistency test", "UmbCouplingRound", o->reseed_flagged, &o->reseed_flagged, NULL));
  PetscCall(PetscOptionsRealArray("-run_extend", "Extend the range: new windows beyond the end windows up to lo,hi (1-D CV)", "UmbCouplingRound", o->extend, &n, &o->have_extend));
  PetscCall(PetscOptionsInt("-run_max_windows", "New windows per coupling round at most", "UmbCouplingRound", o->max_windows, &o->max_windows, NULL));
  PetscCall(PetscOptionsRealArray("-run_centers", "Centres of windows added in round 1 (d values each)", "UmbCouplingRound", o->centers, &o->ncenters, &set));
  PetscOptionsEnd();
  if (!set) o->ncenters = 0;
  PetscCheck(o->iterations >= 0, o->comm, PETSC_ERR_USER_INPUT, "-run_iterations must be non-negative, got %" PetscInt_FMT, o->iterations);
  PetscCheck(o->overlap_min >= 0 && o->overlap_min <= 1, o->comm, PETSC_ERR_USER_INPUT, "-run_overlap_min must be in [0, 1], got %.6g", (double)o->overlap_min);
  PetscCheck(o->neff_min >= 0 && !PetscIsInfOrNanReal(o->neff_min), o->comm, PETSC_ERR_USER_INPUT, "-run_neff_min must be non-negative, got %.6g", (double)o->neff_min);
  PetscCheck(o->max_windows >= 1, o->comm, PETSC_ERR_USER_INPUT, "-run_max_windows must be positive, got %" PetscInt_FMT, o->max_windows);
  PetscCheck(!o->have_extend || (d == 1 && n == 2 && o->extend[0] < o->extend[1] && !PetscIsInfOrNanReal(o->extend[0]) && !PetscIsInfOrNanReal(o->extend[1])), o->comm, PETSC_ERR_USER_INPUT, "-run_extend needs lo,hi: finite, with lo < hi, for a 1-D CV");
  PetscCheck(o->ncenters % d == 0, o->comm, PETSC_ERR_USER_INPUT, "-run_centers needs %" PetscInt_FMT " values per window, got %" PetscInt_FMT, d, o->ncenters);
  for (PetscInt i = 0; i < o->ncenters; i++) PetscCheck(!PetscIsInfOrNanReal(o->centers[i]), o->comm, PETSC_ERR_USER_INPUT, "-run_centers: value %" PetscInt_FMT " is not finite", i + 1);
  if (o->generator) PetscCall(UmbGeneratorGetGenerated(o->generator, &ng));
  PetscCheck(!o->iterations || ng > 0, o->comm, PETSC_ERR_USER_INPUT, "-run_iterations %" PetscInt_FMT " needs a generator to lift with, but the CV is every coordinate of the model: there is nothing to lift", o->iterations);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCouplingDestroy(UmbCoupling *o)
{
  PetscFunctionBegin;
  if (!*o) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree((*o)->centers));
  PetscCall(PetscFree(*o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: creates dir (rank 0) */
static PetscErrorCode MakeDir(MPI_Comm comm, const char dir[])
{
  PetscMPIInt rank;
  int         err = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank && mkdir(dir, 0777) && errno != EEXIST) err = errno;
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, comm));
  PetscCheck(!err, comm, PETSC_ERR_FILE_OPEN, "cannot create %s: %s", dir, strerror(err));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: moves the previous round's results from dir into arch (rank 0 renames). A file
   already in arch stays: a round repeated after an interruption never overwrites its archive. */
static PetscErrorCode Archive(MPI_Comm comm, const char dir[], const char arch[])
{
  const char *const files[] = {"samples.h5", "windows.csv", "fes.h5", "fes.csv", "gan.h5", "train.csv", "lift.h5", "closures.csv", "consistency.csv"};
  PetscMPIInt       rank;
  int               err = 0, bad = -1;

  PetscFunctionBegin;
  PetscCall(MakeDir(comm, arch));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank)
    for (int i = 0; i < (int)(sizeof(files) / sizeof(files[0])) && !err; i++) {
      char from[PETSC_MAX_PATH_LEN], to[PETSC_MAX_PATH_LEN];
      PetscCall(UmbPathJoin(dir, files[i], from, sizeof(from)));
      PetscCall(UmbPathJoin(arch, files[i], to, sizeof(to)));
      if (!access(to, F_OK)) continue;
      if (rename(from, to) && errno != ENOENT) {
        err = errno;
        bad = i;
      }
    }
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(&bad, 1, MPI_INT, 0, comm));
  PetscCheck(!err, comm, PETSC_ERR_FILE_WRITE, "cannot move %s/%s into %s: %s", dir, files[bad < 0 ? 0 : bad], arch, strerror(err));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Lifted starting states (K_new x walkers x n) for the new windows, computed on every rank
   (a few hundred generator evaluations): the stream of new window j is its merged index */
static PetscErrorCode LiftSeeds(UmbCoupling o, const char ganfile[], PetscInt64 seed, const UmbCouplingPlan *plan, PetscInt nw, PetscInt n, PetscReal **x0)
{
  UmbGenerator gen;
  PetscInt     d = plan->d;
  PetscReal   *z;

  PetscFunctionBegin;
  PetscCall(UmbGeneratorCreate(o->cv, &gen));
  PetscCall(UmbGeneratorSetSeed(gen, seed));
  PetscCall(UmbGeneratorSetFromOptions(gen));
  PetscCall(UmbGeneratorSetUp(gen));
  PetscCall(UmbGeneratorLoad(gen, ganfile));
  { /* beyond the trained range (an extension) the generator extrapolates: say so */
    PetscReal range[4];
    PetscInt  nout = 0;
    PetscCall(UmbGeneratorGetRange(gen, range));
    for (PetscInt j = 0; j < plan->nnew; j++)
      for (PetscInt a = 0; a < d; a++)
        if (plan->center[j * d + a] < range[2 * a] || plan->center[j * d + a] > range[2 * a + 1]) nout++;
    if (nout) PetscCall(UmbLogWarning(o->comm, "coupling: %" PetscInt_FMT " new window centre component%s outside the range the generator was trained on: the seeds there are extrapolated", nout, nout > 1 ? "s lie" : " lies"));
  }
  PetscCall(PetscMalloc1(nw * d, &z));
  PetscCall(PetscMalloc1((size_t)plan->nnew * nw * n + 1, x0));
  for (PetscInt j = 0; j < plan->nnew; j++) {
    for (PetscInt w = 0; w < nw; w++)
      for (PetscInt a = 0; a < d; a++) z[w * d + a] = plan->center[j * d + a];
    PetscCall(UmbGeneratorGenerateSeeds(gen, (uint64_t)(plan->kold + j), nw, z, *x0 + (size_t)j * nw * n));
  }
  PetscCall(PetscFree(z));
  PetscCall(UmbGeneratorDestroy(&gen));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* <dir>/seeds.h5: the lifted starting states of the new windows */
static PetscErrorCode WriteSeeds(MPI_Comm comm, const char dir[], const UmbCouplingPlan *plan, PetscInt nw, PetscInt n, const PetscReal x0[], PetscInt64 seed)
{
  char    path[PETSC_MAX_PATH_LEN];
  UmbH5   h5;
  hsize_t dims[3] = {(hsize_t)plan->nnew, (hsize_t)plan->d, 0};

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "seeds.h5", path, sizeof(path)));
  PetscCall(UmbH5Create(comm, path, "seeds", &h5));
  PetscCall(UmbH5WriteSmall(h5, "/seeds/center", H5T_NATIVE_DOUBLE, 2, dims, plan->center));
  dims[1] = (hsize_t)nw;
  dims[2] = (hsize_t)n;
  PetscCall(UmbH5WriteSmall(h5, "/seeds/x", H5T_NATIVE_DOUBLE, 3, dims, x0));
  PetscCall(UmbH5WriteAttrInt(h5, "/seeds", "seed", seed));
  PetscCall(UmbH5WriteAttrInt(h5, "/seeds", "first_window", plan->kold));
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCouplingRound(UmbCoupling o, UmbSampler campaign, const char dir[], PetscInt round, PetscBool *finished)
{
  char            prev[PETSC_MAX_PATH_LEN], newdir[PETSC_MAX_PATH_LEN], name[64], ganfile[PETSC_MAX_PATH_LEN];
  UmbCouplingPlan plan;
  UmbSampler      s;
  UmbModel        model;
  PetscInt        nw, n;
  PetscInt64      seed;
  PetscReal      *x0;

  PetscFunctionBegin;
  *finished = PETSC_TRUE;
  PetscCheck(round >= 1, o->comm, PETSC_ERR_ARG_OUTOFRANGE, "coupling rounds count from 1, got %" PetscInt_FMT, round);
  snprintf(name, sizeof(name), "round%" PetscInt_FMT, round - 1);
  PetscCall(UmbPathJoin(dir, name, prev, sizeof(prev)));
  snprintf(name, sizeof(name), "coupling%" PetscInt_FMT, round);
  PetscCall(UmbPathJoin(dir, name, newdir, sizeof(newdir)));
  PetscCall(Archive(o->comm, dir, prev));

  /* the windows to add, from the previous round's files */
  PetscCall(UmbCouplingPlanCreate(o, prev, round, &plan));
  PetscCall(UmbLog(o->comm, "coupling round %" PetscInt_FMT ": %" PetscInt_FMT " windows so far; new windows: %s", round, plan.kold, plan.nnew ? plan.why : "none (no gap, failed window or extension under the -run_* thresholds)"));

  if (plan.nnew) {
    const char *file;
    /* lifted states, one independent draw per walker */
    PetscCheck(o->generator, o->comm, PETSC_ERR_ORDER, "call UmbCouplingSetGenerator() first");
    PetscCall(UmbGeneratorGetFileName(o->generator, &file));
    PetscCall(UmbPathJoin(prev, file, ganfile, sizeof(ganfile)));
    PetscCall(UmbSamplerGetWalkers(campaign, &nw));
    PetscCall(UmbSamplerGetSeed(campaign, &seed));
    PetscCall(UmbCVGetModel(o->cv, &model));
    PetscCall(UmbModelGetDimension(model, &n));
    PetscCall(LiftSeeds(o, ganfile, seed, &plan, nw, n, &x0));
    PetscCall(MakeDir(o->comm, newdir));
    PetscCall(UmbSamplerCreate(o->cv, &s));
    PetscCall(UmbSamplerSetSeed(s, seed));
    PetscCall(UmbSamplerSetFromOptions(s));
    PetscCall(WriteSeeds(o->comm, newdir, &plan, nw, n, x0, seed));
    PetscCall(UmbLog(o->comm, "coupling round %" PetscInt_FMT ": seeds: -seed %" PetscInt64_FMT ", generator %s, %" PetscInt_FMT " lifted states per window from streams (coupling, %" PetscInt_FMT "..%" PetscInt_FMT "), SDE noise streams (noise, %" PetscInt_FMT "..%" PetscInt_FMT ")", round, seed, ganfile, nw, plan.kold, plan.kold + plan.nnew - 1, plan.kold, plan.kold + plan.nnew - 1));
    /* sample the new windows alone */
    PetscCall(UmbSamplerSetWindows(s, plan.nnew, plan.center, plan.kappa));
    PetscCall(UmbSamplerSetInitialStates(s, plan.nnew, x0));
    PetscCall(UmbSamplerSetStreamOffset(s, plan.kold));
    PetscCall(UmbSamplerSetRestart(s, PETSC_FALSE)); /* an interrupted round is repeated: it is deterministic */
    PetscCall(UmbSamplerSetUp(s));
    PetscCall(UmbSamplerView(s, PETSC_VIEWER_STDOUT_(o->comm)));
    PetscCall(UmbSamplerRun(s, newdir, finished));
    PetscCall(UmbSamplerDestroy(&s));
    PetscCall(PetscFree(x0));
    if (!*finished) {
      PetscCall(UmbCouplingPlanDestroy(&plan));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }
  /* merged campaign: the previous rows unchanged, then the new windows */
  PetscCall(UmbSamplesFileMerge(o->comm, prev, plan.nnew ? newdir : NULL, round, dir));
  PetscCall(UmbCouplingPlanDestroy(&plan));
  PetscFunctionReturn(PETSC_SUCCESS);
}

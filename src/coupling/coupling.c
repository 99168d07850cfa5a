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

PetscErrorCode UmbCouplingGetFlowMoves(UmbCoupling o, PetscBool *on)
{
  PetscFunctionBegin;
  *on = o->flow_moves; /* also with -run_iterations 0: a later run may add the rounds */
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCouplingSetFromOptions(UmbCoupling o)
{
  PetscInt  d, ng = 0, n = 4;
  PetscBool set, density = PETSC_FALSE, flat;
  UmbCVType type;

  PetscFunctionBegin;
  PetscCall(UmbCVGetDimension(o->cv, &d));
  PetscCall(UmbCVGetType(o->cv, &type));
  PetscCall(UmbCVHasFlatLevelSets(o->cv, &flat));
  if (o->generator) PetscCall(UmbGeneratorGetGenerated(o->generator, &ng));
  if (o->generator && ng > 0) PetscCall(UmbGeneratorHasDensity(o->generator, &density));
  o->ncenters   = UMB_RUN_MAX_CENTERS;
  o->flow_moves = (PetscBool)(density && flat); /* a generator the physics can correct: use it */
  if (!o->centers) PetscCall(PetscMalloc1(UMB_RUN_MAX_CENTERS, &o->centers));
  PetscOptionsBegin(o->comm, NULL, "Coupling rounds of umbra run", "umbra run");
  PetscCall(PetscOptionsInt("-run_iterations", "Coupling rounds after the initial campaign: seed new windows with lifted states, resample, retrain", "UmbCouplingRound", o->iterations, &o->iterations, NULL));
  PetscCall(PetscOptionsReal("-run_overlap_min", "A neighbour pair whose overlap is below this gets a new window between", "UmbCouplingRound", o->overlap_min, &o->overlap_min, NULL));
  PetscCall(PetscOptionsReal("-run_neff_min", "A window with fewer effective samples is re-seeded (0: never)", "UmbCouplingRound", o->neff_min, &o->neff_min, NULL));
  PetscCall(PetscOptionsBool("-run_reseed_flagged", "Re-seed both windows of a neighbour pair that failed the consistency test", "UmbCouplingRound", o->reseed_flagged, &o->reseed_flagged, NULL));
  PetscCall(PetscOptionsRealArray("-run_extend", "Extend the range: new windows beyond the end windows up to lo,hi (1-D CV)", "UmbCouplingRound", o->extend, &n, &o->have_extend));
  PetscCall(PetscOptionsInt("-run_max_windows", "New windows per coupling round at most", "UmbCouplingRound", o->max_windows, &o->max_windows, NULL));
  PetscCall(PetscOptionsRealArray("-run_centers", "Centres of windows added in round 1 (d values each)", "UmbCouplingRound", o->centers, &o->ncenters, &set));
  PetscCall(PetscOptionsBool("-run_flow_moves", "Rounds sample with flow moves proposed by the previous round's generator (default: with a density generator and a coordinate or linear CV)", "UmbCouplingRound", o->flow_moves, &o->flow_moves, NULL));
  o->continue_windows = o->flow_moves; /* with moves a trapped window can still relax: keep it going */
  PetscCall(PetscOptionsBool("-run_continue", "Rounds also continue the newest window at every centre from its walkers' last frames (default: as -run_flow_moves)", "UmbCouplingRound", o->continue_windows, &o->continue_windows, NULL));
  o->supersede = (PetscBool)(o->continue_windows && o->flow_moves); /* the earlier segment is the continuation's burn-in */
  PetscCall(PetscOptionsBool("-run_supersede", "A window continued with flow moves replaces its earlier segment in fes and the closures (the segment stays in samples.h5, flagged); default: when rounds continue windows with flow moves", "UmbCouplingRound", o->supersede, &o->supersede, NULL));
  PetscOptionsEnd();
  if (!set) o->ncenters = 0;
  PetscCheck(o->iterations >= 0, o->comm, PETSC_ERR_USER_INPUT, "-run_iterations must be non-negative, got %" PetscInt_FMT, o->iterations);
  PetscCheck(o->overlap_min >= 0 && o->overlap_min <= 1, o->comm, PETSC_ERR_USER_INPUT, "-run_overlap_min must be in [0, 1], got %.6g", (double)o->overlap_min);
  PetscCheck(o->neff_min >= 0 && !PetscIsInfOrNanReal(o->neff_min), o->comm, PETSC_ERR_USER_INPUT, "-run_neff_min must be non-negative, got %.6g", (double)o->neff_min);
  PetscCheck(o->max_windows >= 1, o->comm, PETSC_ERR_USER_INPUT, "-run_max_windows must be positive, got %" PetscInt_FMT, o->max_windows);
  PetscCheck(!o->have_extend || (d == 1 && n == 2 && o->extend[0] < o->extend[1] && !PetscIsInfOrNanReal(o->extend[0]) && !PetscIsInfOrNanReal(o->extend[1])), o->comm, PETSC_ERR_USER_INPUT, "-run_extend needs lo,hi: finite, with lo < hi, for a 1-D CV");
  PetscCheck(o->ncenters % d == 0, o->comm, PETSC_ERR_USER_INPUT, "-run_centers needs %" PetscInt_FMT " values per window, got %" PetscInt_FMT, d, o->ncenters);
  for (PetscInt i = 0; i < o->ncenters; i++) PetscCheck(!PetscIsInfOrNanReal(o->centers[i]), o->comm, PETSC_ERR_USER_INPUT, "-run_centers: value %" PetscInt_FMT " is not finite", i + 1);
  PetscCheck(!o->iterations || ng > 0, o->comm, PETSC_ERR_USER_INPUT, "-run_iterations %" PetscInt_FMT " needs a generator to lift with, but the CV is every coordinate of the model: there is nothing to lift", o->iterations);
  PetscCheck(!o->flow_moves || density, o->comm, PETSC_ERR_USER_INPUT, "-run_flow_moves needs a generator with a density to propose the moves: add -generator flow");
  PetscCheck(!o->flow_moves || flat, o->comm, PETSC_ERR_USER_INPUT, "-run_flow_moves needs a coordinate or linear CV (-cv coord, -cv linear), not -cv %s: a flow move keeps z exactly only then", type);
  PetscCheck(!o->supersede || o->continue_windows, o->comm, PETSC_ERR_USER_INPUT, "-run_supersede needs -run_continue: only a continued window supersedes its earlier segment");
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
  const char *const files[] = {"samples.h5", "windows.csv", "fes.h5", "fes.csv", "gan.h5", "flow.h5", "train.csv", "lift.h5", "closures.csv", "consistency.csv"};
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

/* The previous round's generator, loaded on every rank: it lifts the seeds and proposes the
   flow moves */
static PetscErrorCode LoadGenerator(UmbCoupling o, const char file[], PetscInt64 seed, const UmbCouplingPlan *plan, UmbGenerator *gen)
{
  PetscInt  d = plan->d, nout = 0;
  PetscReal range[4];

  PetscFunctionBegin;
  PetscCall(UmbGeneratorCreate(o->cv, gen));
  PetscCall(UmbGeneratorSetSeed(*gen, seed));
  PetscCall(UmbGeneratorSetFromOptions(*gen));
  PetscCall(UmbGeneratorSetUp(*gen));
  PetscCall(UmbGeneratorLoad(*gen, file));
  /* beyond the trained range (an extension) the generator extrapolates: say so */
  PetscCall(UmbGeneratorGetRange(*gen, range));
  for (PetscInt j = 0; j < plan->nnew; j++)
    for (PetscInt a = 0; a < d; a++)
      if (plan->center[j * d + a] < range[2 * a] || plan->center[j * d + a] > range[2 * a + 1]) nout++;
  if (nout) PetscCall(UmbLogWarning(o->comm, "coupling: %" PetscInt_FMT " new window centre component%s outside the range the generator was trained on: the seeds there are extrapolated", nout, nout > 1 ? "s lie" : " lies"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Lifted starting states (K_new x walkers x n) of the new windows into x0, computed on every
   rank (a few hundred generator evaluations): the stream of new window j is its merged index */
static PetscErrorCode LiftSeeds(UmbGenerator gen, const UmbCouplingPlan *plan, PetscInt nw, PetscInt n, PetscReal x0[])
{
  PetscInt   d = plan->d;
  PetscReal *z;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(nw * d, &z));
  for (PetscInt j = 0; j < plan->nnew; j++) {
    for (PetscInt w = 0; w < nw; w++)
      for (PetscInt a = 0; a < d; a++) z[w * d + a] = plan->center[j * d + a];
    PetscCall(UmbGeneratorGenerateSeeds(gen, (uint64_t)(plan->kold + j), nw, z, x0 + (size_t)j * nw * n));
  }
  PetscCall(PetscFree(z));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool SameCenter(PetscInt d, const PetscReal x[], const PetscReal y[])
{
  for (PetscInt a = 0; a < d; a++)
    if (PetscAbsReal(x[a] - y[a]) > 1e-9 * (1 + PetscAbsReal(x[a]))) return PETSC_FALSE;
  return PETSC_TRUE;
}

/* Collective. The windows of <prev>/samples.h5 a round continues: the newest window at each
   centre (an older one at that centre is an earlier segment of it), except centres the plan
   seeds anew; with their walkers' last saved frames (nc x walkers x n into *xc) */
static PetscErrorCode ContinuedWindows(UmbCoupling o, const char prev[], const UmbCouplingPlan *plan, PetscInt nw, PetscInt n, PetscInt *nc, PetscInt **list, PetscReal **xc)
{
  char                   path[PETSC_MAX_PATH_LEN];
  UmbSamplesFile         sf;
  const UmbSamplesTable *t;
  PetscInt64             N;
  PetscInt               nx, d = plan->d;

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(prev, "samples.h5", path, sizeof(path)));
  PetscCall(UmbSamplesFileOpen(o->comm, path, &sf));
  PetscCall(UmbSamplesFileGetTable(sf, &t));
  PetscCall(UmbSamplesFileGetShape(sf, UMB_SAMPLES_X, &N, &nx));
  PetscCheck(nx == n, o->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: states have %" PetscInt_FMT " coordinates, the model %" PetscInt_FMT, path, nx, n);
  PetscCall(PetscMalloc1(t->K + 1, list));
  *nc = 0;
  for (PetscInt k = 0; k < t->K; k++) {
    PetscBool newest = PETSC_TRUE;
    for (PetscInt l = k + 1; l < t->K && newest; l++) /* windows are appended: a later index is newer */
      if (SameCenter(d, t->center + k * d, t->center + l * d)) newest = PETSC_FALSE;
    for (PetscInt j = 0; j < plan->nnew && newest; j++)
      if (SameCenter(d, t->center + k * d, plan->center + j * d)) newest = PETSC_FALSE;
    if (newest) (*list)[(*nc)++] = k;
  }
  PetscCall(PetscMalloc1((size_t)*nc * nw * n + 1, xc));
  for (PetscInt j = 0; j < *nc; j++) {
    const PetscInt k = (*list)[j];
    PetscCheck(t->walkers[k] == nw && t->frames[k] >= 1, o->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: window %" PetscInt_FMT " has %" PetscInt64_FMT " walkers of %" PetscInt64_FMT " frames; continuing it needs %" PetscInt_FMT " walkers (-us_walkers) with saved frames", path, k, t->walkers[k], t->frames[k], nw);
    for (PetscInt w = 0; w < nw; w++) /* walker-major rows: its last frame ends the walker's series */
      PetscCall(UmbSamplesFileReadRows(sf, UMB_SAMPLES_X, t->offset[k] + (w + 1) * t->frames[k] - 1, 1, *xc + ((size_t)j * nw + w) * n));
  }
  PetscCall(UmbSamplesFileCheckFinite(sf, UMB_SAMPLES_X, (PetscInt64)*nc * nw, n, *xc, 0, NULL, "the windows cannot be continued from these states"));
  PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* <dir>/seeds.h5: the starting states of the round's windows (new ones lifted, then the
   continued ones' last frames) and, per window, the window it continues (-1: a new one) */
static PetscErrorCode WriteSeeds(MPI_Comm comm, const char dir[], PetscInt K, PetscInt d, const PetscReal center[], const PetscInt64 from[], PetscInt nw, PetscInt n, const PetscReal x0[], PetscInt64 seed, PetscInt kold)
{
  char    path[PETSC_MAX_PATH_LEN];
  UmbH5   h5;
  hsize_t dims[3] = {(hsize_t)K, (hsize_t)d, 0};

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "seeds.h5", path, sizeof(path)));
  PetscCall(UmbH5Create(comm, path, "seeds", &h5));
  PetscCall(UmbH5WriteSmall(h5, "/seeds/center", H5T_NATIVE_DOUBLE, 2, dims, center));
  PetscCall(UmbH5WriteSmall(h5, "/seeds/continues", H5T_NATIVE_LLONG, 1, dims, from));
  dims[1] = (hsize_t)nw;
  dims[2] = (hsize_t)n;
  PetscCall(UmbH5WriteSmall(h5, "/seeds/x", H5T_NATIVE_DOUBLE, 3, dims, x0));
  PetscCall(UmbH5WriteAttrInt(h5, "/seeds", "seed", seed));
  PetscCall(UmbH5WriteAttrInt(h5, "/seeds", "first_window", kold));
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCouplingRound(UmbCoupling o, UmbSampler campaign, const char dir[], PetscInt round, PetscBool *finished)
{
  char            prev[PETSC_MAX_PATH_LEN], newdir[PETSC_MAX_PATH_LEN], name[64], genfile[PETSC_MAX_PATH_LEN], cont[1024] = "";
  UmbCouplingPlan plan;
  UmbSampler      s;
  UmbGenerator    gen = NULL;
  UmbModel        model;
  PetscInt        nw, n, nc = 0, K, d, *list = NULL;
  PetscInt64      seed, *from = NULL, *cfrom = NULL;
  PetscReal      *x0, *xc = NULL, *center, *kappa;

  PetscFunctionBegin;
  *finished = PETSC_TRUE;
  PetscCheck(round >= 1, o->comm, PETSC_ERR_ARG_OUTOFRANGE, "coupling rounds count from 1, got %" PetscInt_FMT, round);
  PetscCheck(o->generator, o->comm, PETSC_ERR_ORDER, "call UmbCouplingSetGenerator() first");
  snprintf(name, sizeof(name), "round%" PetscInt_FMT, round - 1);
  PetscCall(UmbPathJoin(dir, name, prev, sizeof(prev)));
  snprintf(name, sizeof(name), "coupling%" PetscInt_FMT, round);
  PetscCall(UmbPathJoin(dir, name, newdir, sizeof(newdir)));
  PetscCall(Archive(o->comm, dir, prev));
  PetscCall(UmbSamplerGetWalkers(campaign, &nw));
  PetscCall(UmbSamplerGetSeed(campaign, &seed));
  PetscCall(UmbCVGetModel(o->cv, &model));
  PetscCall(UmbModelGetDimension(model, &n));

  /* the windows to add, from the previous round's files, and those to continue */
  PetscCall(UmbCouplingPlanCreate(o, prev, round, &plan));
  d = plan.d;
  PetscCall(UmbLog(o->comm, "coupling round %" PetscInt_FMT ": %" PetscInt_FMT " windows so far; new windows: %s", round, plan.kold, plan.nnew ? plan.why : "none (no gap, failed window or extension under the -run_* thresholds)"));
  if (o->continue_windows) {
    PetscCall(ContinuedWindows(o, prev, &plan, nw, n, &nc, &list, &xc));
    for (PetscInt j = 0; j < nc; j++) {
      size_t len = strlen(cont);
      snprintf(cont + len, sizeof(cont) - len, "%s%" PetscInt_FMT, j ? "," : "", list[j]);
    }
    PetscCall(UmbLog(o->comm, "coupling round %" PetscInt_FMT ": continued windows (from their walkers' last saved frames): %s", round, nc ? cont : "none"));
  }
  K = plan.nnew + nc;

  if (K) {
    const char *file;
    PetscCall(UmbGeneratorGetFileName(o->generator, &file));
    PetscCall(UmbPathJoin(prev, file, genfile, sizeof(genfile)));
    if (plan.nnew || o->flow_moves) PetscCall(LoadGenerator(o, genfile, seed, &plan, &gen));
    /* the round's windows: the new ones (lifted seeds), then the continued ones (last frames) */
    PetscCall(PetscMalloc4((size_t)K * nw * n, &x0, K * d, &center, K * d, &kappa, K, &from));
    PetscCall(PetscMalloc1(K, &cfrom));
    if (plan.nnew) PetscCall(LiftSeeds(gen, &plan, nw, n, x0));
    PetscCall(PetscArraycpy(x0 + (size_t)plan.nnew * nw * n, xc, (size_t)nc * nw * n));
    PetscCall(PetscArraycpy(center, plan.center, plan.nnew * d));
    PetscCall(PetscArraycpy(kappa, plan.kappa, plan.nnew * d));
    for (PetscInt j = 0; j < K; j++) from[j] = cfrom[j] = j < plan.nnew ? -1 : list[j - plan.nnew];
    if (nc) {
      UmbSamplesFile         sf;
      const UmbSamplesTable *t;
      char                   path[PETSC_MAX_PATH_LEN];
      PetscCall(UmbPathJoin(prev, "samples.h5", path, sizeof(path)));
      PetscCall(UmbSamplesFileOpen(o->comm, path, &sf));
      PetscCall(UmbSamplesFileGetTable(sf, &t));
      for (PetscInt j = 0; j < nc; j++)
        for (PetscInt a = 0; a < d; a++) {
          center[(plan.nnew + j) * d + a] = t->center[list[j] * d + a];
          kappa[(plan.nnew + j) * d + a]  = t->kappa[list[j] * d + a];
        }
      PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE));
    }
    PetscCall(MakeDir(o->comm, newdir));
    PetscCall(UmbSamplerCreate(o->cv, &s));
    PetscCall(UmbSamplerSetSeed(s, seed));
    PetscCall(UmbSamplerSetFromOptions(s));
    PetscCall(WriteSeeds(o->comm, newdir, K, d, center, from, nw, n, x0, seed, plan.kold));
    if (plan.nnew) PetscCall(UmbLog(o->comm, "coupling round %" PetscInt_FMT ": seeds: -seed %" PetscInt64_FMT ", generator %s, %" PetscInt_FMT " lifted states per window from streams (coupling, %" PetscInt_FMT "..%" PetscInt_FMT "), SDE noise streams (noise, %" PetscInt_FMT "..%" PetscInt_FMT ")", round, seed, genfile, nw, plan.kold, plan.kold + plan.nnew - 1, plan.kold, plan.kold + plan.nnew - 1));
    if (nc) PetscCall(UmbLog(o->comm, "coupling round %" PetscInt_FMT ": %" PetscInt_FMT " windows continued, SDE noise streams (noise, %" PetscInt_FMT "..%" PetscInt_FMT ")", round, nc, plan.kold + plan.nnew, plan.kold + K - 1));
    if (o->flow_moves) PetscCall(UmbLog(o->comm, "coupling round %" PetscInt_FMT ": flow moves proposed by %s", round, genfile));
    /* sample the round's windows alone */
    PetscCall(UmbSamplerSetWindows(s, K, center, kappa));
    PetscCall(UmbSamplerSetInitialStates(s, K, x0));
    PetscCall(UmbSamplerSetStreamOffset(s, plan.kold));
    if (o->flow_moves) PetscCall(UmbSamplerSetProposalGenerator(s, gen));
    PetscCall(UmbSamplerSetRestart(s, PETSC_FALSE)); /* an interrupted round is repeated: it is deterministic */
    PetscCall(UmbSamplerSetUp(s));
    PetscCall(UmbSamplerView(s, PETSC_VIEWER_STDOUT_(o->comm)));
    PetscCall(UmbSamplerRun(s, newdir, finished));
    PetscCall(UmbSamplerDestroy(&s));
    PetscCall(UmbGeneratorDestroy(&gen));
    PetscCall(PetscFree4(x0, center, kappa, from));
  }
  PetscCall(PetscFree(list));
  PetscCall(PetscFree(xc));
  /* merged campaign: the previous rows unchanged, then the round's windows */
  if (*finished) PetscCall(UmbSamplesFileMerge(o->comm, prev, K ? newdir : NULL, round, cfrom, o->supersede, dir));
  PetscCall(PetscFree(cfrom));
  PetscCall(UmbCouplingPlanDestroy(&plan));
  PetscFunctionReturn(PETSC_SUCCESS);
}

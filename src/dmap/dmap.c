/* UmbDmap life cycle: options, SLEPc start-up, the computation's steps in order, results. */
#include <umbra/private/dmapimpl.h>

const char *const UmbDmapWeightsTypes[] = {"none", "mbar", "UmbDmapWeights", "UMB_DMAP_WEIGHTS_", NULL};

/* umbra starts PETSc itself (UmbInitialize); SLEPc is started here the first time a diffusion
   map is created, and finalised from PetscFinalize through PetscRegisterFinalize (SLEPc then
   leaves PETSc running: SlepcFinalize only finalises PETSc when SlepcInitialize started it). */
static PetscBool umb_slepc_started = PETSC_FALSE;

static PetscErrorCode UmbDmapSlepcFinalize(void)
{
  PetscFunctionBegin;
  if (umb_slepc_started) {
    umb_slepc_started = PETSC_FALSE;
    PetscCall(SlepcFinalize());
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapSlepcInitialize(void)
{
  PetscBool init;

  PetscFunctionBegin;
  PetscCall(SlepcInitialized(&init));
  if (!init) {
    PetscCall(SlepcInitializeNoArguments());
    umb_slepc_started = PETSC_TRUE;
    PetscCall(PetscRegisterFinalize(UmbDmapSlepcFinalize));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapCreate(MPI_Comm comm, UmbDmap *dp)
{
  UmbDmap dm;

  PetscFunctionBegin;
  PetscCall(UmbDmapSlepcInitialize());
  PetscCall(PetscNew(&dm));
  dm->comm = comm;
  PetscCallMPI(MPI_Comm_rank(comm, &dm->rank));
  PetscCallMPI(MPI_Comm_size(comm, &dm->size));
  dm->k               = 64;
  dm->cutoff          = 4; /* the kernel down to exp(-16): an extension without jumps (nystrom.c) */
  PetscCall(PetscStrncpy(dm->atoms, "all", sizeof(dm->atoms)));
  dm->max_neighbors   = 4000;
  dm->eps_opt         = 0;
  dm->eps_rule        = UMB_DMAP_EPS_LOCAL;
  dm->npoints_opt     = -1;
  dm->alpha           = 1;
  dm->weights         = UMB_DMAP_WEIGHTS_NONE;
  dm->nev             = 8;
  dm->dim             = 1;
  dm->score_threshold = 0.2;
  dm->eps_points      = 1000;
  dm->score_points    = 1000;
  dm->seed            = 42;
  dm->explore_steps   = 50000;
  dm->explore_walkers = 8;
  dm->explore_frames  = 2000;
  dm->explore_dt      = 1e-3;
  snprintf(dm->dir, sizeof(dm->dir), ".");
  PetscCall(EPSCreate(comm, &dm->eps_solver));
  PetscCall(EPSSetOptionsPrefix(dm->eps_solver, "dmap_slepc_"));
  *dp = dm;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapSetModel(UmbDmap dm, UmbModel model)
{
  PetscFunctionBegin;
  dm->model = model;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ParseCoords(UmbDmap dm, const char *text)
{
  char  buf[64], *save = NULL, *tok;
  PetscInt n = 0;

  PetscFunctionBegin;
  dm->ncoords_opt = 0;
  if (!strcmp(text, "auto")) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscStrncpy(buf, text, sizeof(buf)));
  for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *end;
    long  v = strtol(tok, &end, 10);
    PetscCheck(*tok && !*end && n < 2, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_coords takes auto or one or two eigenvector indices i[,j] (1 = psi_1, the first non-trivial one), got '%s'", text);
    PetscCheck(v >= 1 && v <= dm->nev, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_coords %ld is not an eigenvector computed with -dmap_nev %" PetscInt_FMT " (1 .. %" PetscInt_FMT ")", v, dm->nev, dm->nev);
    dm->coords_opt[n++] = (PetscInt)v;
  }
  PetscCheck(n >= 1, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_coords takes auto or i[,j], got '%s'", text);
  PetscCheck(n == 1 || dm->coords_opt[0] != dm->coords_opt[1], dm->comm, PETSC_ERR_USER_INPUT, "-dmap_coords lists psi_%" PetscInt_FMT " twice", dm->coords_opt[0]);
  dm->ncoords_opt = n;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapSetFromOptions(UmbDmap dm)
{
  char      epsbuf[64] = "auto", coords[64] = "auto", ptsbuf[64] = "auto";
  PetscBool set, dimset;

  PetscFunctionBegin;
  PetscOptionsBegin(dm->comm, UmbOptionsPrefix(dm->prefix), "Diffusion maps (umbra dmap)", "UmbDmap");
  PetscCall(PetscOptionsString("-dmap_input", "Samples file to map (default: samples.h5 in the run directory)", "UmbDmapSetFromOptions", dm->input, dm->input, sizeof(dm->input), NULL));
  PetscCall(PetscOptionsString("-dmap_atoms", "Molecular samples: the atoms whose coordinates are mapped, all, heavy (every atom but hydrogen) or 1-based atom ids", "UmbDmapSetFromOptions", dm->atoms, dm->atoms, sizeof(dm->atoms), NULL));
  if (dm->npoints_opt >= 0) snprintf(ptsbuf, sizeof(ptsbuf), "%" PetscInt64_FMT, dm->npoints_opt);
  PetscCall(PetscOptionsString("-dmap_points", "Map a random subsample of this many rows (0: every row; auto: every row, or a subsample when the cut-off kernel would be too dense)", "UmbDmapSetFromOptions", ptsbuf, ptsbuf, sizeof(ptsbuf), NULL));
  PetscCall(PetscOptionsInt("-dmap_neighbors", "Nearest neighbours per point, the point itself included (kNN kernel)", "UmbDmapSetFromOptions", dm->k, &dm->k, NULL));
  PetscCall(PetscOptionsReal("-dmap_cutoff", "Cut-off kernel: pairs closer than this times sqrt(eps); 0: the kNN kernel (-dmap_neighbors)", "UmbDmapSetFromOptions", dm->cutoff, &dm->cutoff, NULL));
  PetscCall(PetscOptionsInt("-dmap_max_neighbors", "Cut-off kernel: largest number of neighbours of one point", "UmbDmapSetFromOptions", dm->max_neighbors, &dm->max_neighbors, NULL));
  if (dm->eps_rule == UMB_DMAP_EPS_USER) snprintf(epsbuf, sizeof(epsbuf), "%.17g", (double)dm->eps_opt);
  else if (dm->eps_rule == UMB_DMAP_EPS_BGH) snprintf(epsbuf, sizeof(epsbuf), "bgh");
  PetscCall(PetscOptionsString("-dmap_eps", "Kernel bandwidth eps in k = exp(-|x-y|^2/eps), auto (the local scale: kNN-distance median) or bgh (Berry-Giannakis-Harlim scan)", "UmbDmapSetFromOptions", epsbuf, epsbuf, sizeof(epsbuf), &set));
  PetscCall(PetscOptionsReal("-dmap_alpha", "alpha-normalisation (1: Laplace-Beltrami, 0.5: Fokker-Planck, 0: graph Laplacian)", "UmbDmapSetFromOptions", dm->alpha, &dm->alpha, NULL));
  PetscCall(PetscOptionsEnum("-dmap_weights", "Target-measure weights of the samples: none or mbar (from fes.h5)", "UmbDmapSetFromOptions", UmbDmapWeightsTypes, (PetscEnum)dm->weights, (PetscEnum *)&dm->weights, NULL));
  PetscCall(PetscOptionsInt("-dmap_nev", "Non-trivial eigenvectors to compute", "UmbDmapSetFromOptions", dm->nev, &dm->nev, NULL));
  PetscCall(PetscOptionsInt("-dmap_dim", "Number of learned coordinates chosen automatically (1 or 2)", "UmbDmapSetFromOptions", dm->dim, &dm->dim, &dimset));
  PetscCall(PetscOptionsString("-dmap_coords", "Chosen coordinates: auto or eigenvector indices i[,j] (1-based)", "UmbDmapSetFromOptions", coords, coords, sizeof(coords), NULL));
  PetscCall(PetscOptionsReal("-dmap_score_threshold", "auto: an eigenvector with a local-linear-regression score below this is a harmonic", "UmbDmapSetFromOptions", dm->score_threshold, &dm->score_threshold, NULL));
  PetscCall(PetscOptionsInt("-dmap_eps_points", "Points of the subsample on which the bandwidth scan sums the kernel", "UmbDmapSetFromOptions", dm->eps_points, &dm->eps_points, NULL));
  PetscCall(PetscOptionsInt("-dmap_score_points", "Points of the subsample on which eigenvectors are scored", "UmbDmapSetFromOptions", dm->score_points, &dm->score_points, NULL));
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-dmap_explore_steps", "umbra run with -cv dmap: steps per walker of the exploratory sampling", dm->explore_steps, &dm->explore_steps, NULL));
  PetscCall(PetscOptionsInt("-dmap_explore_walkers", "umbra run with -cv dmap: walkers of the exploratory sampling", "UmbDmapSetFromOptions", dm->explore_walkers, &dm->explore_walkers, NULL));
  PetscCall(PetscOptionsInt("-dmap_explore_frames", "umbra run with -cv dmap: states the exploratory sampling saves in all", "UmbDmapSetFromOptions", dm->explore_frames, &dm->explore_frames, NULL));
  PetscOptionsEnd();

  dm->eps_opt  = 0;
  dm->eps_rule = !strcmp(epsbuf, "bgh") ? UMB_DMAP_EPS_BGH : UMB_DMAP_EPS_LOCAL;
  if (strcmp(epsbuf, "auto") && strcmp(epsbuf, "bgh")) {
    char  *end;
    double v = strtod(epsbuf, &end);
    PetscCheck(epsbuf[0] && !*end, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_eps takes a positive number, auto or bgh, got '%s'", epsbuf);
    PetscCheck(v > 0 && PetscIsNormalReal(v), dm->comm, PETSC_ERR_USER_INPUT, "-dmap_eps must be positive (the kernel is exp(-|x-y|^2/eps)), got %.6g", v);
    dm->eps_opt  = v;
    dm->eps_rule = UMB_DMAP_EPS_USER;
  }
  if (strcmp(ptsbuf, "auto")) {
    char     *end;
    long long v = strtoll(ptsbuf, &end, 10);
    PetscCheck(ptsbuf[0] && !*end && v >= 0, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_points takes auto or a non-negative number of rows (0: every row), got '%s'", ptsbuf);
    dm->npoints_opt = (PetscInt64)v;
  } else dm->npoints_opt = -1;
  PetscCheck(dm->k >= 2, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_neighbors must be at least 2 (the point itself and one other), got %" PetscInt_FMT, dm->k);
  PetscCheck(dm->cutoff >= 0 && PetscIsNormalReal(dm->cutoff + 1), dm->comm, PETSC_ERR_USER_INPUT, "-dmap_cutoff must be non-negative (0: kNN kernel), got %.6g", (double)dm->cutoff);
  PetscCheck(dm->max_neighbors >= 2, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_max_neighbors must be at least 2, got %" PetscInt_FMT, dm->max_neighbors);
  PetscCheck(dm->alpha >= 0 && dm->alpha <= 1, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_alpha must be in [0, 1], got %.6g", (double)dm->alpha);
  PetscCheck(dm->nev >= 1 && dm->nev <= UMB_DMAP_MAX_NEV, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_nev must be in 1 .. %d, got %" PetscInt_FMT, UMB_DMAP_MAX_NEV, dm->nev);
  PetscCheck(dm->dim == 1 || dm->dim == 2, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_dim must be 1 or 2, got %" PetscInt_FMT, dm->dim);
  PetscCheck(dm->dim <= dm->nev, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_dim %" PetscInt_FMT " needs -dmap_nev of at least %" PetscInt_FMT, dm->dim, dm->dim);
  PetscCall(ParseCoords(dm, coords));
  PetscCheck(!dm->ncoords_opt || !dimset || dm->ncoords_opt == dm->dim, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_dim %" PetscInt_FMT " contradicts -dmap_coords %s", dm->dim, coords);
  if (dm->ncoords_opt) dm->dim = dm->ncoords_opt;
  PetscCheck(dm->score_threshold >= 0 && PetscIsNormalReal(dm->score_threshold + 1), dm->comm, PETSC_ERR_USER_INPUT, "-dmap_score_threshold must be non-negative, got %.6g", (double)dm->score_threshold);
  PetscCheck(dm->eps_points >= 2, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_eps_points must be at least 2, got %" PetscInt_FMT, dm->eps_points);
  PetscCheck(dm->score_points >= 2, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_score_points must be at least 2, got %" PetscInt_FMT, dm->score_points);
  PetscCheck(dm->explore_steps >= 1, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_explore_steps must be positive, got %" PetscInt64_FMT, dm->explore_steps);
  PetscCheck(dm->explore_walkers >= 1, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_explore_walkers must be positive, got %" PetscInt_FMT, dm->explore_walkers);
  PetscCheck(dm->explore_frames >= 2, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_explore_frames must be at least 2, got %" PetscInt_FMT, dm->explore_frames);

  /* SLEPc: umbra's defaults first, then -dmap_slepc_* (read now so that every command checks them) */
  PetscCall(EPSSetProblemType(dm->eps_solver, EPS_HEP));
  PetscCall(EPSSetWhichEigenpairs(dm->eps_solver, EPS_LARGEST_REAL));
  PetscCall(EPSSetType(dm->eps_solver, EPSKRYLOVSCHUR));
  PetscCall(EPSSetDimensions(dm->eps_solver, dm->nev + 1, PETSC_DEFAULT, PETSC_DEFAULT));
  PetscCall(EPSSetTolerances(dm->eps_solver, 1e-12, PETSC_DEFAULT));
  PetscCall(EPSSetFromOptions(dm->eps_solver));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapSetSeed(UmbDmap dm, PetscInt64 seed)
{
  PetscFunctionBegin;
  PetscCheck(seed >= 0, dm->comm, PETSC_ERR_ARG_OUTOFRANGE, "the seed must be non-negative, got %" PetscInt64_FMT, seed);
  dm->seed = seed;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapSetExploreTimeStep(UmbDmap dm, PetscReal dt)
{
  PetscFunctionBegin;
  PetscCheck(dt > 0 && PetscIsNormalReal(dt), dm->comm, PETSC_ERR_ARG_OUTOFRANGE, "the exploration's time step must be positive, got %g", (double)dt);
  dm->explore_dt = dt;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the SLEPc solver's options follow under <prefix>dmap_slepc_ */
PetscErrorCode UmbDmapSetOptionsPrefix(UmbDmap dm, const char prefix[])
{
  char eps[UMB_PREFIX_LEN + 16];

  PetscFunctionBegin;
  PetscCall(UmbOptionsPrefixCopy(dm->comm, prefix, dm->prefix));
  snprintf(eps, sizeof(eps), "%sdmap_slepc_", dm->prefix);
  PetscCall(EPSSetOptionsPrefix(dm->eps_solver, eps));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapSetDirectory(UmbDmap dm, const char dir[])
{
  PetscFunctionBegin;
  PetscCall(PetscStrncpy(dm->dir, dir, sizeof(dm->dir)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapSetInput(UmbDmap dm, const char path[])
{
  PetscFunctionBegin;
  PetscCall(PetscStrncpy(dm->input, path, sizeof(dm->input)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapLayout(UmbDmap dm)
{
  PetscMPIInt nl;

  PetscFunctionBegin;
  PetscCall(PetscFree2(dm->counts, dm->starts));
  PetscCall(PetscMalloc2(dm->size, &dm->counts, dm->size + 1, &dm->starts));
  PetscCall(PetscMPIIntCast(dm->nloc, &nl));
  {
    PetscMPIInt *c;
    PetscCall(PetscMalloc1(dm->size, &c));
    PetscCallMPI(MPI_Allgather(&nl, 1, MPI_INT, c, 1, MPI_INT, dm->comm));
    dm->starts[0] = 0;
    for (PetscMPIInt r = 0; r < dm->size; r++) {
      dm->counts[r]     = c[r];
      dm->starts[r + 1] = dm->starts[r] + c[r];
    }
    PetscCall(PetscFree(c));
  }
  dm->N      = dm->starts[dm->size];
  dm->rstart = dm->starts[dm->rank];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapSetPoints(UmbDmap dm, PetscInt nlocal, PetscInt n, const PetscReal x[], const PetscInt64 index[])
{
  PetscFunctionBegin;
  PetscCall(PetscFree(dm->x));
  PetscCall(PetscFree(dm->index));
  PetscCall(PetscFree(dm->w));
  dm->nloc   = nlocal;
  dm->n      = n;
  dm->nstate = n;
  PetscCall(PetscMalloc1(nlocal * n, &dm->x));
  PetscCall(PetscMalloc1(nlocal, &dm->index));
  PetscCall(PetscMalloc1(nlocal, &dm->w));
  PetscCall(PetscArraycpy(dm->x, x, nlocal * n));
  PetscCall(UmbDmapLayout(dm));
  for (PetscInt i = 0; i < nlocal; i++) {
    dm->index[i] = index ? index[i] : dm->rstart + i;
    dm->w[i]     = 1;
  }
  dm->nfile       = dm->N;
  dm->from_memory = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every coordinate finite (a samples file is checked as it is read; in-memory points here), and
   not every state the same (nothing to map: the kernel would be one block of ones) */
static PetscErrorCode CheckStates(UmbDmap dm)
{
  PetscInt64 bad = -1, gbad;
  PetscReal *lo, *hi, spread = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < dm->nloc && bad < 0; i++)
    for (PetscInt a = 0; a < dm->n; a++)
      if (PetscIsInfOrNanReal(dm->x[(size_t)i * dm->n + a])) {
        bad = dm->index[i];
        break;
      }
  PetscCallMPI(MPI_Allreduce(&bad, &gbad, 1, MPIU_INT64, MPI_MAX, dm->comm));
  PetscCheck(gbad < 0, dm->comm, PETSC_ERR_USER_INPUT, "%s: state %" PetscInt64_FMT " has a coordinate that is not a finite number (NaN or Inf): a diffusion map needs finite states", dm->from_memory ? "the input" : dm->input, gbad);
  PetscCall(PetscMalloc2(2 * dm->n, &lo, 2 * dm->n, &hi));
  for (PetscInt a = 0; a < dm->n; a++) {
    lo[a] = PETSC_MAX_REAL;
    lo[dm->n + a] = PETSC_MAX_REAL;
  }
  for (PetscInt i = 0; i < dm->nloc; i++)
    for (PetscInt a = 0; a < dm->n; a++) {
      lo[a]         = PetscMin(lo[a], dm->x[(size_t)i * dm->n + a]);
      lo[dm->n + a] = PetscMin(lo[dm->n + a], -dm->x[(size_t)i * dm->n + a]);
    }
  PetscCallMPI(MPI_Allreduce(lo, hi, (PetscMPIInt)(2 * dm->n), MPIU_REAL, MPI_MIN, dm->comm));
  for (PetscInt a = 0; a < dm->n; a++) spread = PetscMax(spread, -hi[dm->n + a] - hi[a]);
  PetscCall(PetscFree2(lo, hi));
  PetscCheck(spread > 0, dm->comm, PETSC_ERR_USER_INPUT, "%s: all %" PetscInt64_FMT " states are identical: there is nothing to map (sample a region, not one point)", dm->from_memory ? "the input" : dm->input, dm->N);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapSetUp(UmbDmap dm)
{
  PetscLogDouble t0, t1;

  PetscFunctionBegin;
  if (dm->setup) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscTime(&t0));
  if (!dm->from_memory) {
    PetscCall(UmbDmapReadPoints(dm));
    PetscCall(UmbDmapLayout(dm));
  } else PetscCheck(dm->weights == UMB_DMAP_WEIGHTS_NONE, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_weights mbar needs a samples file (in-memory points have no fes.h5)");
  if (dm->model) {
    PetscInt     nm;
    UmbModelType type;
    PetscCall(UmbModelGetDimension(dm->model, &nm));
    PetscCall(UmbModelGetType(dm->model, &type));
    PetscCheck(nm == dm->nstate, dm->comm, PETSC_ERR_USER_INPUT, "%s holds states of dimension %" PetscInt_FMT ", but model %s has n = %" PetscInt_FMT " (wrong -model or -out?)", dm->from_memory ? "the input" : dm->input, dm->nstate, type, nm);
  }
  /* the bad inputs that are known before any work */
  PetscCall(CheckStates(dm));
  if (dm->cutoff == 0) PetscCheck(dm->N >= dm->k, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_neighbors %" PetscInt_FMT " needs at least that many points, but there are %" PetscInt64_FMT " (lower -dmap_neighbors or give more samples)", dm->k, dm->N);
  PetscCheck(dm->nev + 1 <= dm->N, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_nev %" PetscInt_FMT " asks for more eigenvectors than %" PetscInt64_FMT " points have (at most %" PetscInt64_FMT " besides the trivial one)", dm->nev, dm->N, dm->N - 1);
  PetscCheck(dm->N >= 3, dm->comm, PETSC_ERR_USER_INPUT, "a diffusion map needs at least 3 points, got %" PetscInt64_FMT, dm->N);
  PetscCall(PetscTime(&t1));
  dm->time_read = t1 - t0;
  dm->setup     = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -dmap_points auto with the cut-off kernel: when the whole input would make more than about
   UMB_DMAP_AUTO_NNZ kernel non-zeros, or a point more than half of -dmap_max_neighbors, as
   estimated from the fraction of the bandwidth subsample within the cut-off, map a random
   subsample of the points instead (by row key, as -dmap_points: the same rows at any rank
   count), of at least UMB_DMAP_AUTO_MIN points. The points stay on their ranks. */
PetscErrorCode UmbDmapAutoSubsample(UmbDmap dm)
{
  PetscReal  want;
  PetscInt64 M;
  uint64_t   thr;
  PetscInt   keep = 0;

  PetscFunctionBegin;
  if (dm->npoints_opt >= 0 || dm->cutoff <= 0 || !(dm->frac_mean > 0)) PetscFunctionReturn(PETSC_SUCCESS);
  want = PetscMin(PetscSqrtReal(UMB_DMAP_AUTO_NNZ / dm->frac_mean), 0.5 * (PetscReal)dm->max_neighbors / dm->frac_max);
  want = PetscMax(want, UMB_DMAP_AUTO_MIN);
  if (want >= (PetscReal)dm->N) PetscFunctionReturn(PETSC_SUCCESS);
  M = (PetscInt64)want;
  PetscCall(UmbDmapKeyThreshold(dm, dm->nloc, dm->index, 0, M, &thr));
  for (PetscInt i = 0; i < dm->nloc; i++) {
    if (!UmbDmapKeySelected(dm, dm->index[i], thr)) continue;
    if (keep < i) {
      PetscCall(PetscArraycpy(dm->x + (size_t)keep * dm->n, dm->x + (size_t)i * dm->n, dm->n));
      dm->index[keep] = dm->index[i];
      dm->w[keep]     = dm->w[i];
    }
    keep++;
  }
  if (!dm->nauto) dm->nauto = dm->N; /* a second pass (after a widening) keeps the first count */
  dm->nloc = keep;
  PetscCall(UmbDmapLayout(dm));
  PetscCall(UmbLog(dm->comm, "dmap: the cut-off kernel of all %" PetscInt64_FMT " points would hold about %.3g non-zeros: mapping a random subsample of %" PetscInt64_FMT " (-dmap_points auto; -dmap_points 0 maps every point)", dm->nauto, (double)(dm->frac_mean * (PetscReal)dm->nauto * (PetscReal)dm->nauto), dm->N));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapCompute(UmbDmap dm)
{
  Mat            S;
  PetscLogDouble t0, t1;

  PetscFunctionBegin;
  PetscCall(UmbDmapSetUp(dm));
  PetscCall(PetscLogStagePush(UMB_STAGE.dmap));
  PetscCall(UmbLog(dm->comm, "dmap: %" PetscInt64_FMT " points of dimension %" PetscInt_FMT " on %d rank%s, %s kernel", dm->N, dm->n, dm->size, dm->size > 1 ? "s" : "", dm->cutoff > 0 ? "cut-off" : "kNN"));
  PetscCall(PetscTime(&t0));
  dm->nauto = 0;
  PetscCall(UmbDmapBandwidth(dm));
  PetscCall(UmbDmapAutoSubsample(dm));
  PetscCall(PetscTime(&t1));
  dm->time_bgh = t1 - t0;
  dm->time_knn = dm->time_kernel = dm->time_eigen = 0;
  for (;;) {
    PetscCall(UmbDmapNeighbours(dm));
    PetscCall(PetscTime(&t0));
    dm->time_knn += t0 - t1;
    PetscCall(UmbDmapKernelMatrix(dm, &S));
    PetscCall(PetscTime(&t1));
    dm->time_kernel += t1 - t0;
    PetscCall(UmbDmapEigen(dm, S));
    PetscCall(MatDestroy(&S));
    PetscCall(UmbDmapParticipation(dm, &dm->participation));
    PetscCall(PetscTime(&t0));
    dm->time_eigen += t0 - t1;
    if (dm->eps_rule != UMB_DMAP_EPS_LOCAL || dm->participation >= UMB_DMAP_MIN_PARTICIPATION) break;
    if (dm->widenings == UMB_DMAP_MAX_WIDENINGS) {
      PetscCall(UmbLogWarning(dm->comm, "dmap: psi_1 is still localised on about %.0f of the %" PetscInt64_FMT " points (participation ratio %.3g) at eps = %.6g, %d times the local scale: the data may fall into separate clusters; give -dmap_eps", (double)(dm->participation * (PetscReal)dm->N), dm->N, (double)dm->participation, (double)dm->eps, 1 << UMB_DMAP_MAX_WIDENINGS));
      break;
    }
    PetscCall(UmbLog(dm->comm, "dmap: psi_1 is localised on about %.0f of the %" PetscInt64_FMT " points (participation ratio %.3g < %g) at eps = %.6g: eps doubled", (double)(dm->participation * (PetscReal)dm->N), dm->N, (double)dm->participation, UMB_DMAP_MIN_PARTICIPATION, (double)dm->eps));
    PetscCall(UmbDmapWidenBandwidth(dm));
    PetscCall(UmbDmapAutoSubsample(dm));
    PetscCall(PetscTime(&t1));
  }
  PetscCall(UmbDmapScores(dm));
  PetscCall(PetscTime(&t1));
  dm->time_score = t1 - t0;
  dm->computed   = PETSC_TRUE;
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapView(UmbDmap dm, PetscViewer v)
{
  char    coords[64] = "";
  EPSType etype;

  PetscFunctionBegin;
  PetscCheck(dm->computed, dm->comm, PETSC_ERR_ORDER, "call UmbDmapCompute() first");
  PetscCall(EPSGetType(dm->eps_solver, &etype));
  PetscCall(UmbViewerPrintf(v, "diffusion map: %" PetscInt64_FMT " points of dimension %" PetscInt_FMT " (%s%s), on %d rank%s\n", dm->N, dm->n, dm->from_memory ? "in memory" : dm->input, dm->N < dm->nfile ? ", a random subsample" : "", dm->size, dm->size > 1 ? "s" : ""));
  if (dm->atoms_desc[0]) PetscCall(UmbViewerPrintf(v, "  coordinates of %s\n", dm->atoms_desc));
  if (dm->eps_rule == UMB_DMAP_EPS_USER) PetscCall(UmbViewerPrintf(v, "  bandwidth: eps = %.6g (-dmap_eps)\n", (double)dm->eps));
  else {
    PetscCall(UmbViewerPrintf(v, "  bandwidth: eps = %.6g (%s); local scale %.6g (%g x the median squared distance to the %d-th neighbour in %" PetscInt_FMT " points), Berry-Giannakis-Harlim scan %.6g (largest slope %.4g)\n", (double)dm->eps, dm->eps_rule == UMB_DMAP_EPS_BGH ? "-dmap_eps bgh" : dm->widenings ? "auto: the local scale, doubled" : "auto: the local scale", (double)dm->eps_local, UMB_DMAP_LOCAL_FACTOR, UMB_DMAP_LOCAL_K, dm->scan_points, (double)dm->eps_bgh, (double)(dm->dimension / 2)));
    PetscCall(UmbViewerPrintf(v, "  estimated intrinsic dimension %.3g (twice the scan's largest slope)\n", (double)dm->dimension));
  }
  if (dm->nauto) PetscCall(UmbViewerPrintf(v, "  automatic subsample: %" PetscInt64_FMT " of %" PetscInt64_FMT " points (the cut-off kernel of all of them: about %.3g non-zeros; -dmap_points)\n", dm->N, dm->nauto, (double)(dm->frac_mean * (PetscReal)dm->nauto * (PetscReal)dm->nauto)));
  if (dm->cutoff > 0) PetscCall(UmbViewerPrintf(v, "  kernel: exp(-|x-y|^2/eps) on pairs closer than %.6g sqrt(eps) = %.6g; %" PetscInt64_FMT " non-zeros (%.1f per point)\n", (double)dm->cutoff, (double)(dm->cutoff * PetscSqrtReal(dm->eps)), dm->nnz, (double)dm->nnz / (double)dm->N));
  else PetscCall(UmbViewerPrintf(v, "  kernel: exp(-|x-y|^2/eps) on the %" PetscInt_FMT "-nearest-neighbour graph (union); %" PetscInt64_FMT " non-zeros (%.1f per point); kernel at the k-th neighbour: median %.3g, largest %.3g\n", dm->k, dm->nnz, (double)dm->nnz / (double)dm->N, (double)dm->kmed_trunc, (double)dm->kmax_trunc));
  PetscCall(UmbViewerPrintf(v, "  normalisation: alpha = %g, weights %s; graph connected (%" PetscInt64_FMT " component)\n", (double)dm->alpha, UmbDmapWeightsTypes[dm->weights], dm->ncomp_eps));
  PetscCall(UmbViewerPrintf(v, "  eigenpairs (SLEPc %s, %" PetscInt_FMT " iterations, largest relative residual %.2g): lambda_0 = %.15g (trivial, dropped)\n", etype, dm->eps_its, (double)dm->residual, (double)dm->lambda[0]));
  for (PetscInt j = 1; j <= dm->nev; j++) {
    PetscBool chosen = PETSC_FALSE;
    for (PetscInt a = 0; a < dm->d; a++) chosen = (PetscBool)(chosen || dm->coords[a] == j);
    PetscCall(UmbViewerPrintf(v, "    psi_%-2" PetscInt_FMT " lambda = %.12f  score %.3f%s\n", j, (double)dm->lambda[j], (double)dm->scores[j - 1], chosen ? "  <- chosen" : (dm->scores[j - 1] < dm->score_threshold ? "  (harmonic)" : "")));
  }
  PetscCall(UmbViewerPrintf(v, "  participation ratio of psi_1: %.3g (below %g it is localised on a few points)\n", (double)dm->participation, UMB_DMAP_MIN_PARTICIPATION));
  if (dm->widenings) PetscCall(UmbViewerPrintf(v, "  eps doubled %" PetscInt_FMT " time%s from the local scale because psi_1 was localised\n", dm->widenings, dm->widenings > 1 ? "s" : ""));
  for (PetscInt a = 0; a < dm->d; a++) {
    size_t l = strlen(coords);
    snprintf(coords + l, sizeof(coords) - l, "%spsi_%d", a ? ", " : "", (int)dm->coords[a]);
  }
  PetscCall(UmbViewerPrintf(v, "  learned coordinate%s: %s (%s)\n", dm->d > 1 ? "s" : "", coords, dm->ncoords_opt ? "-dmap_coords" : "auto: first non-harmonic eigenvectors"));
  PetscCall(UmbViewerPrintf(v, "  time: read %.3g s, bandwidth %.3g s, neighbours %.3g s, kernel %.3g s, eigensolve %.3g s, scores %.3g s\n", dm->time_read, dm->time_bgh, dm->time_knn, dm->time_kernel, dm->time_eigen, dm->time_score));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapDestroy(UmbDmap *dp)
{
  UmbDmap dm = *dp;

  PetscFunctionBegin;
  if (!dm) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(EPSDestroy(&dm->eps_solver));
  PetscCall(PetscFree2(dm->counts, dm->starts));
  PetscCall(PetscFree(dm->x));
  PetscCall(PetscFree(dm->index));
  PetscCall(PetscFree(dm->w));
  PetscCall(PetscFree(dm->nbr_off));
  PetscCall(PetscFree(dm->nbr_col));
  PetscCall(PetscFree(dm->nbr_d2));
  PetscCall(PetscFree(dm->rho2));
  PetscCall(PetscFree3(dm->scan_eps, dm->scan_logsum, dm->scan_slope));
  PetscCall(PetscFree3(dm->q, dm->g, dm->deg));
  PetscCall(PetscFree(dm->psi));
  PetscCall(PetscFree(dm));
  *dp = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapGetEigenvalues(UmbDmap dm, PetscInt *m, const PetscReal **lambda)
{
  PetscFunctionBegin;
  PetscCheck(dm->computed, dm->comm, PETSC_ERR_ORDER, "call UmbDmapCompute() first");
  if (m) *m = dm->nev;
  if (lambda) *lambda = dm->lambda + 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapGetEigenvectors(UmbDmap dm, PetscInt *nloc, PetscInt *m, const PetscReal **psi)
{
  PetscFunctionBegin;
  PetscCheck(dm->computed, dm->comm, PETSC_ERR_ORDER, "call UmbDmapCompute() first");
  if (nloc) *nloc = dm->nloc;
  if (m) *m = dm->nev;
  if (psi) *psi = dm->psi;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapGetPoints(UmbDmap dm, PetscInt *nloc, PetscInt *n, const PetscReal **x, const PetscInt64 **index)
{
  PetscFunctionBegin;
  PetscCheck(dm->setup, dm->comm, PETSC_ERR_ORDER, "call UmbDmapSetUp() first");
  if (nloc) *nloc = dm->nloc;
  if (n) *n = dm->n;
  if (x) *x = dm->x;
  if (index) *index = dm->index;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapGetEpsilon(UmbDmap dm, PetscReal *eps, PetscReal *dim)
{
  PetscFunctionBegin;
  PetscCheck(dm->computed, dm->comm, PETSC_ERR_ORDER, "call UmbDmapCompute() first");
  if (eps) *eps = dm->eps;
  if (dim) *dim = dm->eps_opt > 0 ? 0 : dm->dimension;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapGetScores(UmbDmap dm, PetscInt *m, const PetscReal **scores)
{
  PetscFunctionBegin;
  PetscCheck(dm->computed, dm->comm, PETSC_ERR_ORDER, "call UmbDmapCompute() first");
  if (m) *m = dm->nev;
  if (scores) *scores = dm->scores;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapGetCoordinates(UmbDmap dm, PetscInt *d, const PetscInt **idx)
{
  PetscFunctionBegin;
  PetscCheck(dm->computed, dm->comm, PETSC_ERR_ORDER, "call UmbDmapCompute() first");
  if (d) *d = dm->d;
  if (idx) *idx = dm->coords;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapGetSize(UmbDmap dm, PetscInt64 *N)
{
  PetscFunctionBegin;
  *N = dm->N;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapGetExploration(UmbDmap dm, PetscInt64 *steps, PetscInt *walkers, PetscInt *frames)
{
  PetscFunctionBegin;
  if (steps) *steps = dm->explore_steps;
  if (walkers) *walkers = dm->explore_walkers;
  if (frames) *frames = dm->explore_frames;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapGetDimension(UmbDmap dm, PetscInt *d)
{
  PetscFunctionBegin;
  *d = dm->dim;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscReal UmbDmapSelect(PetscReal *v, PetscInt len, PetscInt k)
{
  PetscInt lo = 0, hi = len - 1;
  while (lo < hi) {
    PetscReal pivot = v[lo + (hi - lo) / 2];
    PetscInt  i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        PetscReal t = v[i];
        v[i]        = v[j];
        v[j]        = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return v[k];
}

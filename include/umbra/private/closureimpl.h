/* Private layout of UmbClosure and the functions its source files share. */
#ifndef UMBRA_CLOSUREIMPL_H
#define UMBRA_CLOSUREIMPL_H

#include <umbra/closure.h>
#include <umbra/io.h>
#include <umbra/rng.h>
#include <umbra/plugin.h>

/* Latent-noise indices of lifted samples used here start at this offset (umbra lift uses 0..) */
#define UMB_CLOSURE_LIFT_BASE ((PetscInt64)1 << 40)

typedef enum {
  UMB_OBS_MEAN = 0, /* E[x_i | z]  */
  UMB_OBS_VAR,      /* Var[x_i | z] */
  UMB_OBS_MFORCE,   /* F'(z) */
  UMB_OBS_DRIFT,    /* b(z) */
  UMB_OBS_DIFF,     /* sigma^2(z) */
  UMB_OBS_USER      /* A_j(x) of the observable plugin (coordof: j) */
} UmbObsKind;

#define UMB_CLOSURE_MAX_CHECKS 256
/* stream id of the direct runs of the full model (the reduced-SDE walkers use 1000 + walker) */
#define UMB_CLOSURE_DIRECT_ID ((uint64_t)1 << 32)
/* stream id of the base noise of the reweighted generator route: this plus the grid point,
   counter (draw, 0); in the closure's domain, so no new domain is needed */
#define UMB_CLOSURE_REWEIGHT_ID ((uint64_t)1 << 33)

/* Weights of the generator route for a generator with a density (reweight.c). Only SNIS is
   used by umbra; the others exist so that tests can show the statistical checks catching them. */
typedef enum {
  UMB_REWEIGHT_SNIS = 0,  /* w = exp(-beta U) / q */
  UMB_REWEIGHT_NONE,      /* w = 1: the plain average of the same draws */
  UMB_REWEIGHT_FLIP_LOGQ, /* broken on purpose: w = exp(-beta U) q */
  UMB_REWEIGHT_NO_LOGQ    /* broken on purpose: w = exp(-beta U) */
} UmbReweightVariant;

struct _p_UmbClosure {
  MPI_Comm    comm;
  PetscMPIInt rank, size;
  UmbCV       cv;
  UmbModel    model;
  UmbGenerator generator;
  UmbExact    exact;
  PetscBool   has_exact, const_grad, coord, has_potential; /* has_potential: the mean force, drift and diffusion exist */
  PetscBool   reweight; /* generator with a density and a coordinate CV: self-normalised importance sampling */
  PetscInt    n, d, cvidx, nfine, *fine; /* fine coordinates: all but the CV's for coordinate CVs */
  PetscReal   beta;
  const PetscReal *mob;
  char        dir[PETSC_MAX_PATH_LEN];

  /* options */
  PetscReal  grid[6]; /* lo,hi,n per CV component */
  PetscBool  grid_set, use_gan;
  char       obs_option[1024];
  PetscInt   lift_n, batches, nperm, test_n, ntest;
  PetscReal  alpha, test_z[16], test_z2[8], bandwidth[2]; /* test points (z1 in test_z, z2 in test_z2) */
  PetscBool  test_z_set;
  PetscReal  sde_dt, sde_time, sde_burn, mfpt_rtol, wells[2];
  PetscInt   sde_walkers, direct_walkers;
  PetscReal  direct_dt, direct_time;
  PetscReal  min_ess; /* -closure_min_ess */
  UmbReweightVariant rw_variant;
  PetscBool  wells_set;
  PetscInt64 seed;
  char       prefix[UMB_PREFIX_LEN]; /* of the options ("": none) */

  /* user observables (-closure_plugin) */
  char                          uplugin[PETSC_MAX_PATH_LEN], uoptions[1024];
  void                         *uhandle, *uctx;
  PetscInt                      nuser;
  umbra_observables_create_fn   ucreate;
  umbra_observables_name_fn     uname;
  umbra_observables_evaluate_fn ueval;
  umbra_observables_destroy_fn  udestroy;

  /* every observable (all are computed; 'sel' marks those written to closures.csv) */
  PetscInt    nobs;
  char      **names;
  UmbObsKind *kind;
  PetscInt   *coordof; /* coordinate of mean/var observables */
  PetscBool  *sel;
  PetscInt    imforce, idrift, idiff;

  /* grid and results, ng x nobs; in 2-D grid point g = i ngd[1] + j is (z1_i, z2_j) */
  PetscInt   ng, ngd[2];
  PetscReal  h, bw, *z;  /* spacing, half-width of the local regression window (component 1); z: ng x d */
  PetscReal  hd[2], bwd[2]; /* the same per CV component */
  PetscReal *phys, *phys_err, *gval, *gerr, *exval;
  PetscReal *ess; /* reweighted route: effective sample size per grid point (NULL otherwise) */
  PetscInt   nlow; /* grid points with ESS below min_ess: their gval, gerr are NaN */
  PetscInt64 *counts; /* physics samples per grid bin (all ranks) */
  PetscReal  zlo_data[2], zhi_data[2]; /* the sampled range of each CV component */

  /* physics data of this rank: windows klo..khi */
  PetscInt    K, klo, khi;
  PetscInt64 *offset, *walkers, *frames, nloc;
  PetscReal  *iact, *x, *zs, *lw; /* nloc x n states, nloc x d CV values, log weights */
  /* F_MBAR from fes.h5 interpolated to the grid (kT), and its error */
  PetscReal *Fm, *dFm;

  /* checks */
  PetscInt  nchecks;
  char     *cname[UMB_CLOSURE_MAX_CHECKS];
  PetscReal cvalue[UMB_CLOSURE_MAX_CHECKS], ctol[UMB_CLOSURE_MAX_CHECKS];
  PetscBool cpass[UMB_CLOSURE_MAX_CHECKS];
  char     *cwhat[UMB_CLOSURE_MAX_CHECKS]; /* plain words for the summary */
  /* summaries */
  PetscReal mfpt_sde[2], mfpt_err[2], mfpt_exact[2], zA, zB;
  PetscReal mfpt_dir[2], mfpt_dir_err[2], direct_n[2]; /* direct runs of the full model */
  PetscReal ks_worst, ks_tol_worst, F_rms, F_sdev;
  PetscBool setup, computed;
};

/* Per-state raw observable values (m x nobs): x_i for mean and var, the mean-force, drift and
   diffusion integrands; works on lifted and physics states alike */
PETSC_INTERN PetscErrorCode UmbClosureObsRaw(UmbClosure, PetscInt m, const PetscReal x[], PetscReal raw[]);
PETSC_INTERN PetscErrorCode UmbClosurePhysics(UmbClosure);
PETSC_INTERN PetscErrorCode UmbClosureGenerator(UmbClosure);
PETSC_INTERN PetscErrorCode UmbClosureExactValues(UmbClosure);
PETSC_INTERN PetscErrorCode UmbClosureCheckDistributions(UmbClosure);
PETSC_INTERN PetscErrorCode UmbClosureCheckFreeEnergy(UmbClosure);
PETSC_INTERN PetscErrorCode UmbClosureCheckSDE(UmbClosure);
PETSC_INTERN PetscErrorCode UmbClosureCheckDirect(UmbClosure);
PETSC_INTERN PetscErrorCode UmbClosureLoadUserObservables(UmbClosure);
PETSC_INTERN PetscErrorCode UmbClosureEvaluateUser(UmbClosure, PetscInt m, const PetscReal x[], PetscReal A[]);
PETSC_INTERN PetscErrorCode UmbClosureUnloadUserObservables(UmbClosure);
PETSC_INTERN PetscErrorCode UmbClosureCheckRestriction(UmbClosure);
/* Reweighted generator route (reweight.c): gval, gerr and ess by self-normalised importance
   sampling; the warning for collapsed weights */
PETSC_INTERN PetscErrorCode UmbClosureReweight(UmbClosure);
/* Rows of a reweighted route: ESS, and generator vs physics per observable (checked) */
PETSC_INTERN PetscErrorCode UmbClosureCheckReweighted(UmbClosure);
/* Tests only: the weights of the reweighted route (default UMB_REWEIGHT_SNIS); before Compute */
PETSC_INTERN PetscErrorCode UmbClosureSetReweightVariant(UmbClosure, UmbReweightVariant);
/* Every lifted state gives observable k the same value at every grid point: a function of z alone */
PETSC_INTERN PetscBool UmbClosureFunctionOfZOnly(UmbClosure, PetscInt k);
/* Largest |a - b| / sqrt(ea^2 + eb^2) of observable k over the grid (eb NULL: b exact) and the
   number of points compared (not NaN, not equal to round-off) */
PETSC_INTERN PetscReal UmbClosureMaxZ(UmbClosure, PetscInt k, const PetscReal a[], const PetscReal ea[], const PetscReal b[], const PetscReal eb[], PetscInt *cnt);
PETSC_INTERN PetscErrorCode UmbClosureAddCheck(UmbClosure, const char name[], PetscReal value, PetscReal tol, const char what[]);
/* RMS and max-|z| comparison of two profiles d_j with standard errors s_j, rows <name>_rms and <name>_max_z */
PETSC_INTERN PetscErrorCode UmbClosureCompareProfiles(UmbClosure, const char name[], PetscInt m, const PetscReal d[], const PetscReal s[], const char what[]);

#endif

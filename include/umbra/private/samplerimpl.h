/* Private layout of UmbSampler. */
#ifndef UMBRA_SAMPLERIMPL_H
#define UMBRA_SAMPLERIMPL_H

#include <umbra/sampler.h>
#include <umbra/samplesfile.h>
#include <umbra/generator.h>
#include <umbra/private/generatorcommon.h>

/* Flow moves as written, and two broken variants that the tests must catch (set only by tests,
   UmbSamplerSetFlowMoveVariant) */
typedef enum {
  UMB_FLOWMOVE_EXACT         = 0,
  UMB_FLOWMOVE_NO_RATIO      = 1, /* the proposal densities left out of the acceptance */
  UMB_FLOWMOVE_ALWAYS_ACCEPT = 2  /* every proposal accepted, whatever U */
} UmbFlowMoveVariant;

struct _p_UmbSampler {
  MPI_Comm      comm;
  PetscMPIInt   rank, size;
  UmbModel      model;
  UmbCV         cv;
  PetscInt      n, d;            /* state and CV dimensions */
  /* window grid */
  PetscInt      nwin[2];         /* windows per CV component */
  PetscReal     range[4];        /* lo, hi per component */
  PetscReal     kappa_opt[2];    /* spring constant per component */
  PetscInt      nwin_n, range_n, kappa_n; /* values given to -us_windows, -us_range, -us_kappa (0: none), checked against d by SetUp */
  PetscReal    *centers_opt;     /* -us_centers (ncenters_opt values), applied by SetUp */
  PetscInt      ncenters_opt;
  PetscInt      K;               /* number of windows */
  PetscReal    *center, *kappa;  /* K x d */
  /* sampling */
  PetscInt      walkers;
  PetscInt64    steps, burnin;
  PetscInt      stride;
  PetscReal     dt;
  UmbIntegrator integrator;
  PetscInt64    seed;
  char          prefix[UMB_PREFIX_LEN]; /* of the options ("": none) */
  PetscInt      minimize_its;    /* restrained minimisation iterations */
  PetscBool     stability_check; /* refuse a time step beyond the stability limit */
  PetscReal     dt_limit;        /* 2/rate of the stiffest prepared window (0: not estimated) */
  /* checkpoints */
  PetscReal     ckpt_interval;   /* wall seconds between checkpoints (0: only on a signal or -us_stop_step) */
  PetscInt64    stop_step;       /* checkpoint and stop at the first chunk boundary at or after it (0: off) */
  PetscInt64    chunk_steps;     /* steps per chunk (0: automatic) */
  PetscBool     restart;
  /* explicit windows and starting states (src/sample/explicit.c) */
  PetscBool     explicit_grid;   /* centres given (-us_centers or UmbSamplerSetWindows), not a grid */
  PetscReal    *x0;              /* nx0 x walkers x n initial states, or NULL: restrained minimisation */
  PetscInt      nx0;             /* windows x0 was given for (must equal K) */
  PetscInt64    stream0;         /* the noise stream of window k has id stream0 + k */
  /* flow moves (src/sample/flowmove.c): Metropolis-Hastings moves of the generated coordinates
     at fixed CV value, proposed by a generator with a density */
  char          flow_file[PETSC_MAX_PATH_LEN]; /* -us_flow_file ("": none) */
  UmbGenerator  flow;            /* the proposal generator (NULL: no moves) */
  PetscBool     flow_owned;      /* created from flow_file by SetUp, destroyed with the sampler */
  PetscInt      flow_moves;      /* SDE steps between moves, -us_flow_moves */
  PetscReal     flow_scale;      /* base noise N(0, s^2 I), -us_flow_base_scale */
  PetscReal     flow_mix;        /* probability of proposing at another window's centre, -us_flow_mix */
  PetscBool     flow_moves_set, flow_scale_set, flow_mix_set;
  PetscBool     flow_later;      /* -us_flow_* configure later samplers (coupling rounds): not refused without a generator */
  UmbFlowMoveVariant flow_variant;
  PetscInt      ng, nk;          /* generated coordinates and noise dimension */
  UmbGenSpace   space;           /* the generated coordinates y of a state: what a move changes */
  /* layout */
  PetscInt      klo, khi;        /* windows owned by this rank (none on a group's other ranks) */
  PetscInt      group_size;      /* -us_ranks_per_window: ranks sharing one engine instance */
  MPI_Comm      gcomm;           /* this rank's group (MPI_COMM_NULL: groups of one) */
  PetscBool     leader;          /* rank 0 of its group: runs the group's windows */
  PetscReal     fingerprint[5];  /* of the model and the CV, for checkpoints (UmbSamplerFingerprint) */
  PetscBool     setup;
};

/* One window during a run: walkers' states, the next noise (LM) and work arrays */
typedef struct {
  PetscInt   k;                  /* global window index */
  PetscReal *x;                  /* walkers x n */
  PetscReal *g, *noise, *noise_next, *zw, *Jw;
  PetscInt   bad_walker;         /* first walker that left the domain, -1 if none */
  PetscInt64 bad_step;
  /* flow moves: counts since step 0, the sum of the generated coordinates over the saved frames
     (the reference of a mode switch) and the first non-finite proposal */
  PetscInt64 flow_prop, flow_acc, flow_switch, ysum_n;
  PetscReal *ysum, *ytmp;        /* ng each: the sum, and scratch */
  PetscInt   flow_bad_walker;    /* -1 if none */
  PetscInt64 flow_bad_step;
  char       flow_bad_what[96];
  /* models with dynamics: velocities, and the sums of the mean kinetic temperature over steps */
  PetscReal *v;                  /* walkers x n, or NULL */
  PetscReal  tsum;
  PetscInt64 tsteps;
} UmbWindowState;

/* The CV set up and its dimension in s->d */
PETSC_INTERN PetscErrorCode UmbSamplerSetUpCV(UmbSampler);
PETSC_INTERN PetscErrorCode UmbSamplerBuildGrid(UmbSampler);
PETSC_INTERN PetscErrorCode UmbSamplerPrepareWindow(UmbSampler, PetscInt, PetscReal[]);
/* Starting states of the walkers of window k (walkers x n): the given ones, or every walker
   from the window's prepared state */
PETSC_INTERN PetscErrorCode UmbSamplerInitialWalkers(UmbSampler, PetscInt, PetscReal[]);
PETSC_INTERN PetscErrorCode UmbSamplerStiffness(UmbSampler, PetscInt, const PetscReal[], PetscReal *, PetscInt *);
PETSC_INTERN PetscErrorCode UmbWindowStateCreate(UmbSampler, PetscInt, UmbWindowState *);
PETSC_INTERN PetscErrorCode UmbWindowStateDestroy(UmbWindowState *);
/* Advances a window by steps [s0, s1) (global step counter, burn-in included); calls save for
   every production step that is a multiple of the stride. */
typedef PetscErrorCode (*UmbSaveFn)(void *, UmbWindowState *, PetscInt64);
PETSC_INTERN PetscErrorCode UmbWindowAdvance(UmbSampler, UmbWindowState *, PetscInt64, PetscInt64, UmbSaveFn, void *);
/* The same for -us_integrator langevin, through the model's own dynamics (src/sample/engine.c);
   InitialVelocities draws the walkers' velocities from the Maxwell-Boltzmann distribution */
PETSC_INTERN PetscErrorCode UmbWindowAdvanceEngine(UmbSampler, UmbWindowState *, PetscInt64, PetscInt64, UmbSaveFn, void *);
PETSC_INTERN PetscErrorCode UmbWindowInitialVelocities(UmbSampler, UmbWindowState *);
/* Collective: <path>.partial with the window table of this run and room for nsave frames per
   walker (src/sample/output.c) */
PETSC_INTERN PetscErrorCode UmbSamplerCreateSamplesFile(UmbSampler, const char[], PetscInt64, UmbSamplesFile *);
/* Flow moves (src/sample/flowmove.c). SetUp: checks the options against the CV, loads
   -us_flow_file; Move: one proposal per walker of the window after step; CheckFinite: collective,
   stops every rank when a window met a non-finite proposal; Gather: the counts of every window
   (K x 3: proposals, accepted, mode switches), identical on every rank */
PETSC_INTERN PetscErrorCode UmbSamplerFlowSetUp(UmbSampler);
PETSC_INTERN PetscErrorCode UmbWindowFlowMove(UmbSampler, UmbWindowState *, PetscInt64);
PETSC_INTERN PetscErrorCode UmbSamplerFlowCheckFinite(UmbSampler, const UmbWindowState[], PetscInt);
PETSC_INTERN PetscErrorCode UmbSamplerFlowGather(UmbSampler, const UmbWindowState[], PetscInt64[]);
PETSC_INTERN PetscErrorCode UmbSamplerSetFlowMoveVariant(UmbSampler, UmbFlowMoveVariant);
/* The rank that runs window k (its group's leader) */
PETSC_INTERN PetscMPIInt UmbSamplerWindowOwner(UmbSampler, PetscInt);
/* Engine groups around the calls of the leaders' windows: the leader releases its group's other
   ranks, which serve its engine calls until then (a no-op with groups of one) */
PETSC_INTERN PetscErrorCode UmbSamplerGroupSync(UmbSampler);
/* ckpt/sample.h5 (src/sample/checkpoint.c); the fingerprint is taken before the run */
PETSC_INTERN PetscErrorCode UmbSamplerFingerprint(UmbSampler);
PETSC_INTERN PetscErrorCode UmbSamplerWriteCheckpoint(UmbSampler, const char[], const UmbWindowState[], PetscInt64);
PETSC_INTERN PetscErrorCode UmbSamplerReadCheckpoint(UmbSampler, const char[], UmbWindowState[], PetscInt64 *);

#endif

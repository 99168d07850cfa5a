/* The umbra executable: one function per command, and the objects every command builds
   from the options database. */
#ifndef UMBRA_APP_H
#define UMBRA_APP_H

#include <umbra.h>

/* Coupling rounds of `umbra run` (-run_*, src/app/coupling.c, docs/coupling.md) */
typedef struct {
  PetscInt   iterations;   /* -run_iterations: rounds after the initial campaign */
  PetscReal  overlap_min;  /* a neighbour pair with a smaller overlap gets a window between */
  PetscReal  neff_min;     /* a window with fewer effective samples is re-seeded */
  PetscBool  reseed_flagged; /* re-seed both windows of a pair that failed the consistency test */
  PetscReal  extend[4];    /* lo,hi: windows added beyond the sampled range up to these */
  PetscBool  have_extend;
  PetscInt   max_windows;  /* new windows per round at most */
  PetscReal *centers;      /* -run_centers: windows added in round 1 (d values each) */
  PetscInt   ncenters;
} UmbCouplingOptions;

/* Everything a command may need, created from the options; unused members stay NULL */
typedef struct {
  MPI_Comm   comm;
  UmbModel   model;
  UmbCV      cv;
  UmbSampler sampler;
  UmbExact   exact;
  UmbFes     fes;
  UmbExport  exporter;
  UmbGan     gan;
  UmbDmap    dmap;
  UmbClosure closure;
  UmbReport  report;
  char       outdir[PETSC_MAX_PATH_LEN];
  UmbCouplingOptions coupling;
  PetscBool  restart, run_overwrite; /* -restart: continue from the checkpoints (umbra run: the campaign); -run_overwrite: start the campaign afresh */
  PetscInt64 seed;                   /* -seed, passed to every object that draws random numbers */
} UmbApp;

/* Creates the model and CV and reads the options of every stage, so that a misspelled or
   invalid option stops any command before work starts; then sets up the run directory. */
PETSC_INTERN PetscErrorCode UmbAppSetUp(MPI_Comm, UmbApp *);
PETSC_INTERN PetscErrorCode UmbAppDestroy(UmbApp *);
/* app->gan and app->fes, and app->closure on app->gan, from the options with the run's -seed
   and -restart (UmbAppSetUp; again by a coupling round) */
PETSC_INTERN PetscErrorCode UmbAppCreateStageObjects(UmbApp *);
PETSC_INTERN PetscErrorCode UmbAppCreateClosure(UmbApp *);

PETSC_INTERN PetscErrorCode UmbCommandSample(UmbApp *, PetscBool *); /* finished: false when checkpointed (exit code 3) */
PETSC_INTERN PetscErrorCode UmbCommandExact(UmbApp *);
PETSC_INTERN PetscErrorCode UmbCommandFes(UmbApp *, PetscBool *);
PETSC_INTERN PetscErrorCode UmbCommandExport(UmbApp *);
PETSC_INTERN PetscErrorCode UmbCommandRun(UmbApp *);
PETSC_INTERN PetscErrorCode UmbRunSetFromOptions(UmbApp *);
PETSC_INTERN PetscErrorCode UmbCommandTrain(UmbApp *, PetscBool *);
PETSC_INTERN PetscErrorCode UmbCommandLift(UmbApp *);
PETSC_INTERN PetscErrorCode UmbCommandDmap(UmbApp *);
/* umbra run with -cv dmap: whether it makes the map (why empty) or not (why says so), making it
   (explore + map + load), and the window range from the map */
PETSC_INTERN PetscErrorCode UmbCommandDmapMakes(UmbApp *, char why[], size_t);
PETSC_INTERN PetscErrorCode UmbCommandDmapMake(UmbApp *);
PETSC_INTERN PetscErrorCode UmbCommandDmapRange(UmbApp *);
PETSC_INTERN PetscErrorCode UmbCommandClosure(UmbApp *);
/* plots, summary.json and the one-screen summary of app->outdir; also the last stage of run */
PETSC_INTERN PetscErrorCode UmbCommandReport(UmbApp *);
PETSC_INTERN PetscErrorCode UmbCommandInfo(MPI_Comm, const char[]);

/* Coupling rounds: -run_* options (checked against the generator), and one round r >= 1:
   archive the previous round's files in <out>/round<r-1>/, choose windows from its
   diagnostics, seed their walkers with lifted states, sample them into <out>/coupling<r>/ and
   write the merged <out>/samples.h5 and windows.csv. Leaves fresh fes, gan and closure
   objects in app for the stages that follow (fes, train, lift, closure). */
PETSC_INTERN PetscErrorCode UmbCouplingSetFromOptions(UmbApp *);
PETSC_INTERN PetscErrorCode UmbCouplingDestroy(UmbApp *);
PETSC_INTERN PetscErrorCode UmbCouplingRound(UmbApp *, PetscInt round, PetscBool *finished);

#endif

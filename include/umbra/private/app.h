/* The umbra executable: one function per command, and the objects every command builds
   from the options database. */
#ifndef UMBRA_APP_H
#define UMBRA_APP_H

#include <umbra.h>

/* Everything a command may need, created from the options; unused members stay NULL */
typedef struct {
  MPI_Comm     comm;
  UmbModel     model;
  UmbCV        cv;
  UmbSampler   sampler;
  UmbExact     exact;
  UmbFes       fes;
  UmbExport    exporter;
  UmbImport    importer;
  UmbGenerator generator;
  UmbDmap      dmap;
  UmbClosure   closure;
  UmbReport    report;
  char         outdir[PETSC_MAX_PATH_LEN];
  UmbCoupling  coupling;               /* umbra run's coupling rounds (-run_*) */
  PetscBool    restart, run_overwrite; /* -restart: continue from the checkpoints (umbra run: the campaign); -run_overwrite: start the campaign afresh */
  PetscInt64   seed;                   /* -seed, passed to every object that draws random numbers */
} UmbApp;

/* Creates the model and CV and reads the options of every stage, so that a misspelled or
   invalid option stops any command before work starts; then sets up the run directory. */
PETSC_INTERN PetscErrorCode UmbAppSetUp(MPI_Comm, UmbApp *);
PETSC_INTERN PetscErrorCode UmbAppDestroy(UmbApp *);
/* app->generator and app->fes, and app->closure on app->generator, from the options with the run's -seed
   and -restart (UmbAppSetUp; again by a coupling round) */
PETSC_INTERN PetscErrorCode UmbAppCreateStageObjects(UmbApp *);
PETSC_INTERN PetscErrorCode UmbAppCreateClosure(UmbApp *);

PETSC_INTERN PetscErrorCode UmbCommandSample(UmbApp *, PetscBool *); /* finished: false when checkpointed (exit code 3) */
PETSC_INTERN PetscErrorCode UmbCommandExact(UmbApp *);
PETSC_INTERN PetscErrorCode UmbCommandFes(UmbApp *, PetscBool *);
PETSC_INTERN PetscErrorCode UmbCommandExport(UmbApp *);
PETSC_INTERN PetscErrorCode UmbCommandImport(UmbApp *);
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

/* Coupling round r >= 1 of umbra run (UmbCouplingRound), then fresh fes, generator and closure
   objects in app for the stages that follow (fes, train, lift, closure) */
PETSC_INTERN PetscErrorCode UmbCommandCouplingRound(UmbApp *, PetscInt, PetscBool *);

#endif

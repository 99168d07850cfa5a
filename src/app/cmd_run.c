/* umbra run: the campaign on one options file: sample, fes, the exact reference when the
   model has one, then train and lift when the CV leaves coordinates for the GAN. */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandRun(UmbApp *app)
{
  PetscBool has_exact;
  PetscInt  ngenerated;
  char      why[256];

  PetscFunctionBegin;
  PetscCall(UmbCommandDmapStage(app)); /* -cv dmap: exploration and the map, when there is no map yet */
  PetscCall(UmbLog(app->comm, "run: stage sample"));
  {
    PetscBool sampled;
    PetscCall(UmbCommandSample(app, &sampled));
    if (!sampled) PetscFunctionReturn(PETSC_SUCCESS); /* checkpointed: exit code 3, -restart continues */
  }
  PetscCall(UmbLog(app->comm, "run: stage fes"));
  {
    PetscBool solved;
    PetscCall(UmbCommandFes(app, &solved));
    if (!solved) PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbExactAvailable(app->cv, &has_exact, why, sizeof(why)));
  if (has_exact) {
    PetscCall(UmbLog(app->comm, "run: stage exact"));
    PetscCall(UmbCommandExact(app));
  } else PetscCall(UmbLog(app->comm, "run: no exact reference (%s)", why));
  PetscCall(UmbGanGetGenerated(app->gan, &ngenerated));
  if (!ngenerated) PetscCall(UmbLog(app->comm, "run: no GAN stages (the CV is every coordinate of the model)"));
  else {
    PetscBool trained;
    PetscCall(UmbLog(app->comm, "run: stage train"));
    PetscCall(UmbCommandTrain(app, &trained));
    if (!trained) PetscFunctionReturn(PETSC_SUCCESS); /* checkpointed: exit code 3, -restart continues */
    PetscCall(UmbLog(app->comm, "run: stage lift"));
    PetscCall(UmbCommandLift(app));
  }
  { /* closure: 1-D CVs */
    PetscInt d;
    PetscCall(UmbCVGetDimension(app->cv, &d));
    if (d == 1) {
      PetscCall(UmbLog(app->comm, "run: stage closure"));
      PetscCall(UmbCommandClosure(app));
    } else PetscCall(UmbLog(app->comm, "run: no closure stage (closures need a 1-D CV)"));
  }
  /* ---- coupling rounds (-run_iterations, docs/coupling.md): seed new windows with lifted
     states, then the analysis stages again on the merged samples. One block, to be folded
     into the stage sequence. */
  for (PetscInt r = 1; r <= app->coupling.iterations; r++) {
    PetscBool trained, done;
    PetscInt  d;
    PetscCall(UmbLog(app->comm, "run: coupling round %" PetscInt_FMT " of %" PetscInt_FMT, r, app->coupling.iterations));
    PetscCall(UmbCouplingRound(app, r, &done));
    if (!done) PetscFunctionReturn(PETSC_SUCCESS);
    PetscCall(UmbLog(app->comm, "run: stage fes (round %" PetscInt_FMT ")", r));
    PetscCall(UmbCommandFes(app, &done));
    if (!done) PetscFunctionReturn(PETSC_SUCCESS);
    PetscCall(UmbLog(app->comm, "run: stage train (round %" PetscInt_FMT ")", r));
    PetscCall(UmbCommandTrain(app, &trained));
    if (!trained) PetscFunctionReturn(PETSC_SUCCESS);
    PetscCall(UmbLog(app->comm, "run: stage lift (round %" PetscInt_FMT ")", r));
    PetscCall(UmbCommandLift(app));
    PetscCall(UmbCVGetDimension(app->cv, &d));
    if (d == 1) {
      PetscCall(UmbLog(app->comm, "run: stage closure (round %" PetscInt_FMT ")", r));
      PetscCall(UmbCommandClosure(app));
    }
  }
  /* ---- end of the coupling rounds */
  PetscCall(UmbLog(app->comm, "run: done; results in %s", app->outdir));
  PetscFunctionReturn(PETSC_SUCCESS);
}

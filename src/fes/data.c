/* samples.h5 as the free-energy stage and the exporters hold it: the pooled window table on
   every rank (windows superseded by their continuation in a flow round left out,
   docs/coupling.md), the CV values of the windows UmbLayoutRange assigns to this rank (any rank
   count, whatever the sampling run used). Only z is read, never the states x. */
#include <umbra/private/fesimpl.h>
#include <umbra/samplesfile.h>

PetscErrorCode UmbWindowDataRead(MPI_Comm comm, const char dir[], UmbWindowData *w)
{
  UmbSamplesFile         sf;
  const UmbSamplesTable *t;
  UmbSamplesBlock        b;
  PetscBool              exists;
  char                   empty[256] = "";
  PetscInt               nempty     = 0;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(w, sizeof(*w)));
  w->comm = comm;
  PetscCall(UmbPathJoin(dir, "samples.h5", w->path, sizeof(w->path)));
  PetscCall(PetscTestFile(w->path, 'r', &exists));
  PetscCheck(exists, comm, PETSC_ERR_FILE_OPEN, "%s not found: run `umbra sample` first (with the same -out)", w->path);
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_read, 0, 0, 0, 0));
  PetscCall(UmbSamplesFileOpen(comm, w->path, &sf));
  PetscCall(UmbSamplesFileGetPooledTable(sf, &t));
  for (PetscInt k = 0; k < t->K; k++)
    if (t->offset[k + 1] == t->offset[k]) {
      size_t l = strlen(empty);
      if (nempty < 12) snprintf(empty + l, sizeof(empty) - l, "%s%" PetscInt_FMT, nempty ? ", " : "", t->window[k]);
      else if (nempty == 12) snprintf(empty + l, sizeof(empty) - l, ", ...");
      nempty++;
    }
  PetscCheck(!nempty, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %" PetscInt_FMT " window%s without samples (%s): free energies need samples in every window", w->path, nempty, nempty > 1 ? "s" : "", empty);
  w->K         = t->K;
  w->Kfile     = t->Kfile;
  w->d         = t->d;
  w->beta        = t->beta;
  w->temperature = t->temperature;
  w->period[0] = t->period[0];
  w->period[1] = t->period[1];
  w->stride    = t->stride;
  w->burnin    = t->burnin;
  w->dt        = t->dt;
  PetscCall(PetscStrncpy(w->cv_names, t->cv_names, sizeof(w->cv_names)));
  PetscCall(PetscMalloc6(w->K * w->d, &w->center, w->K * w->d, &w->kappa, w->K + 1, &w->offset, w->K, &w->walkers, w->K, &w->frames, w->K, &w->window));
  PetscCall(PetscArraycpy(w->window, t->window, w->K));
  if (w->K < w->Kfile) PetscCall(UmbLog(comm, "fes: %s: %" PetscInt_FMT " of %" PetscInt_FMT " windows pooled; %" PetscInt_FMT " superseded by their continuations (/windows/superseded_by) are left out", w->path, w->K, w->Kfile, w->Kfile - w->K));
  PetscCall(PetscArraycpy(w->center, t->center, w->K * w->d));
  PetscCall(PetscArraycpy(w->kappa, t->kappa, w->K * w->d));
  PetscCall(PetscArraycpy(w->offset, t->offset, w->K + 1));
  PetscCall(PetscArraycpy(w->walkers, t->walkers, w->K));
  PetscCall(PetscArraycpy(w->frames, t->frames, w->K));

  PetscCall(UmbSamplesFileReadBlock(sf, &b));
  w->klo            = b.klo;
  w->khi            = b.khi;
  w->nloc           = b.nloc;
  w->z              = b.z;
  w->iact           = b.iact;
  w->iact_from_file = b.iact_from_file;
  PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE));
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_read, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbWindowDataFree(UmbWindowData *w)
{
  PetscFunctionBegin;
  PetscCall(PetscFree6(w->center, w->kappa, w->offset, w->walkers, w->frames, w->window));
  PetscCall(PetscFree(w->iact));
  PetscCall(PetscFree(w->z));
  PetscFunctionReturn(PETSC_SUCCESS);
}

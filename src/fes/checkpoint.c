/* Bootstrap checkpoints, ckpt/fes.h5: the results of the replicas done so far (rows of f and of
   F(z) per replica) and the solver passes they took. Replicas are independent given the
   full-data solution, which a restart recomputes (it is deterministic), so the replicas left
   give the same numbers as in an uninterrupted run. */
#include <umbra/private/fesimpl.h>

/* The options that define the replicas; the full-data solution f itself is compared on restart
   (to round-off, as another rank count sums in another order) to catch changed samples */
static PetscErrorCode Record(UmbFes fes, UmbOptionRecord *rec)
{
  PetscReal lohi[4];

  PetscFunctionBegin;
  PetscCall(PetscMemzero(rec, sizeof(*rec)));
  PetscCall(UmbOptionRecordAdd(rec, "-fes_type", "%s", UmbFesTypes[fes->type]));
  PetscCall(UmbOptionRecordAdd(rec, "-fes_solver", "%s", UmbFesSolvers[fes->solver]));
  PetscCall(UmbOptionRecordAddReals(rec, "-fes_tol", 1, &fes->tol));
  PetscCall(UmbOptionRecordAdd(rec, "-fes_max_it", "%" PetscInt_FMT, fes->max_it));
  PetscCall(UmbOptionRecordAdd(rec, "-fes_bootstrap", "%" PetscInt_FMT, fes->nboot));
  PetscCall(UmbOptionRecordAdd(rec, "-seed", "%" PetscInt64_FMT, fes->seed));
  if (fes->d > 1) PetscCall(UmbOptionRecordAdd(rec, "-fes_bins", "%" PetscInt_FMT ",%" PetscInt_FMT, fes->nb[0], fes->nb[1]));
  else PetscCall(UmbOptionRecordAdd(rec, "-fes_bins", "%" PetscInt_FMT, fes->nb[0]));
  for (PetscInt a = 0; a < fes->d; a++) {
    lohi[2 * a]     = fes->lo[a];
    lohi[2 * a + 1] = fes->hi[a];
  }
  PetscCall(UmbOptionRecordAddReals(rec, "-fes_range", 2 * fes->d, lohi));
  PetscCall(UmbOptionRecordAdd(rec, "the number of windows in samples.h5", "%" PetscInt_FMT, fes->K));
  PetscCall(UmbOptionRecordAdd(rec, "the number of samples in samples.h5", "%" PetscInt64_FMT, fes->data.offset[fes->K]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Write(UmbFes fes, PetscInt done, PetscInt64 passes)
{
  UmbOptionRecord rec;
  UmbH5           h5;
  hsize_t         dims[2];

  PetscFunctionBegin;
  PetscCall(Record(fes, &rec));
  PetscCall(UmbCheckpointCreate(fes->comm, fes->dir, "fes", &rec, &h5));
  PetscCall(UmbH5WriteAttrInt(h5, "/bootstrap", "replicas_done", done));
  PetscCall(UmbH5WriteAttrInt(h5, "/bootstrap", "passes", passes));
  dims[0] = (hsize_t)fes->K;
  PetscCall(UmbH5WriteSmall(h5, "/bootstrap/f_full", H5T_NATIVE_DOUBLE, 1, dims, fes->f));
  dims[0] = (hsize_t)done;
  dims[1] = (hsize_t)fes->K;
  PetscCall(UmbH5WriteSmall(h5, "/bootstrap/f", H5T_NATIVE_DOUBLE, 2, dims, fes->fboot));
  dims[1] = (hsize_t)fes->B;
  PetscCall(UmbH5WriteSmall(h5, "/bootstrap/F", H5T_NATIVE_DOUBLE, 2, dims, fes->Fboot));
  PetscCall(UmbCheckpointCommit(&h5));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesBootstrapResume(UmbFes fes, PetscInt *r0, PetscInt64 *passes)
{
  static const char *const required[] = {"/bootstrap/f", "/bootstrap/F", "/bootstrap/f_full", NULL};
  UmbOptionRecord          rec;
  UmbH5                    h5;
  PetscInt64               done;
  PetscReal               *f;
  const char              *path;

  PetscFunctionBegin;
  *r0     = 0;
  *passes = 0;
  if (!fes->restart) {
    PetscCall(UmbCheckpointRemove(fes->comm, fes->dir, "fes")); /* stale ones would not match this run */
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(Record(fes, &rec));
  PetscCall(UmbCheckpointOpen(fes->comm, fes->dir, "fes", &rec, required, "umbra fes (or umbra run) with -fes_checkpoint_interval, -fes_stop_replica or a signal", &h5));
  PetscCall(UmbH5GetPath(h5, &path));
  PetscCall(UmbH5ReadAttrInt(h5, "/bootstrap", "replicas_done", &done));
  PetscCall(UmbH5ReadAttrInt(h5, "/bootstrap", "passes", passes));
  PetscCheck(done >= 1 && done <= fes->nboot, fes->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %lld replicas done, outside 1 .. %" PetscInt_FMT, path, (long long)done, fes->nboot);
  PetscCall(PetscMalloc1(fes->K, &f));
  PetscCall(UmbH5ReadSmall(h5, "/bootstrap/f_full", H5T_NATIVE_DOUBLE, (size_t)fes->K, f));
  for (PetscInt k = 0; k < fes->K; k++) PetscCheck(PetscAbsReal(f[k] - fes->f[k]) <= 1e-8 * (1 + PetscAbsReal(f[k])), fes->comm, PETSC_ERR_USER_INPUT, "cannot restart from %s: the free energy of window %" PetscInt_FMT " is %.17g now but %.17g in the checkpoint: samples.h5 changed; start over without -restart", path, k, (double)fes->f[k], (double)f[k]);
  PetscCall(PetscFree(f));
  PetscCall(UmbH5ReadSmall(h5, "/bootstrap/f", H5T_NATIVE_DOUBLE, (size_t)(done * fes->K), fes->fboot));
  PetscCall(UmbH5ReadSmall(h5, "/bootstrap/F", H5T_NATIVE_DOUBLE, (size_t)(done * fes->B), fes->Fboot));
  *r0 = (PetscInt)done;
  PetscCall(UmbLog(fes->comm, "fes: restarting the bootstrap from %s after replica %lld of %" PetscInt_FMT, path, (long long)done, fes->nboot));
  PetscCall(UmbH5Close(&h5, PETSC_FALSE)); /* frees path */
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesBootstrapMaybeCheckpoint(UmbFes fes, PetscInt done, PetscInt64 passes, PetscLogDouble *tlast, PetscBool *stop)
{
  PetscLogDouble  t0, t1;
  PetscBool       signal, due;
  const PetscBool at_stop = (PetscBool)(fes->stop_replica > 0 && done >= fes->stop_replica);

  PetscFunctionBegin;
  *stop = PETSC_FALSE;
  if (done >= fes->nboot) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbStopAgreeInterval(fes->comm, fes->ckpt_interval, *tlast, &signal, &due));
  *stop = (PetscBool)(signal || at_stop);
  if (!due && !at_stop) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscTime(&t0));
  PetscCall(Write(fes, done, passes));
  PetscCall(PetscTime(&t1));
  *tlast = t1;
  PetscCall(UmbLog(fes->comm, "fes: checkpoint after bootstrap replica %" PetscInt_FMT " of %" PetscInt_FMT " written in %.3g s", done, fes->nboot, (double)(t1 - t0)));
  if (signal) PetscCall(UmbLog(fes->comm, "fes: signal received: checkpointed after replica %" PetscInt_FMT "; continue with -restart", done));
  else if (at_stop) PetscCall(UmbLog(fes->comm, "fes: stopped after replica %" PetscInt_FMT " as asked (-fes_stop_replica); continue with -restart", done));
  PetscFunctionReturn(PETSC_SUCCESS);
}

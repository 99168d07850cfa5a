/* The samples file a sampling run writes: its window table from the sampler's windows, model,
   CV and settings; the frames follow chunk by chunk (run.c). */
#include <umbra/private/samplerimpl.h>

PetscErrorCode UmbSamplerCreateSamplesFile(UmbSampler s, const char path[], PetscInt64 nsave, UmbSamplesFile *sf)
{
  const PetscInt64 per = (PetscInt64)s->walkers * nsave, N = per * s->K;
  UmbSamplesTable  t;
  const char      *name;
  UmbModelType     mtype;
  UmbCVType        cvtype;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&t, sizeof(t)));
  PetscCall(UmbSamplesFileCreate(s->comm, path, PETSC_TRUE, sf)); /* samples.h5.partial until the end */
  PetscCall(UmbSamplesFileCreateArrays(*sf, N, s->n, s->d));
  t.K      = s->K;
  t.d      = s->d;
  t.N      = N;
  t.center = s->center;
  t.kappa  = s->kappa;
  PetscCall(PetscMalloc1(s->K + 1, &t.offset));
  for (PetscInt k = 0; k <= s->K; k++) t.offset[k] = (PetscInt64)k * per;
  PetscCall(UmbModelGetType(s->model, &mtype));
  PetscCall(UmbModelGetBeta(s->model, &t.beta));
  PetscCall(UmbCVGetType(s->cv, &cvtype));
  PetscCall(UmbCVGetPeriod(s->cv, t.period));
  PetscCall(PetscStrncpy(t.model, mtype, sizeof(t.model)));
  PetscCall(PetscStrncpy(t.cv, cvtype, sizeof(t.cv)));
  for (PetscInt a = 0; a < s->d; a++) {
    PetscCall(UmbCVGetName(s->cv, a, &name));
    PetscCall(PetscStrlcat(t.cv_names, a ? "," : "", sizeof(t.cv_names)));
    PetscCall(PetscStrlcat(t.cv_names, name, sizeof(t.cv_names)));
  }
  for (PetscInt i = 0; i < s->n; i++) {
    PetscCall(UmbModelGetCoordinateName(s->model, i, &name));
    PetscCall(PetscStrlcat(t.coordinates, i ? "," : "", sizeof(t.coordinates)));
    PetscCall(PetscStrlcat(t.coordinates, name, sizeof(t.coordinates)));
  }
  t.nwalkers = s->walkers;
  t.stride   = s->stride;
  t.nframes  = nsave;
  t.steps    = s->steps;
  t.burnin   = s->burnin;
  t.seed     = s->seed;
  t.dt       = s->dt;
  PetscCall(PetscStrncpy(t.integrator, UmbIntegrators[s->integrator], sizeof(t.integrator)));
  PetscCall(UmbSamplesFileWriteTable(*sf, &t));
  PetscCall(PetscFree(t.offset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

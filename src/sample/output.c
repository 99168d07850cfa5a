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
    PetscCall(UmbStrlcat(t.cv_names, a ? "," : "", sizeof(t.cv_names)));
    PetscCall(UmbStrlcat(t.cv_names, name, sizeof(t.cv_names)));
  }
  { /* the coordinate names, or "" (unknown) when they do not fit */
    size_t len = 0;
    for (PetscInt i = 0; i < s->n; i++) {
      PetscCall(UmbModelGetCoordinateName(s->model, i, &name));
      len += strlen(name) + (i ? 1 : 0);
    }
    for (PetscInt i = 0; len < sizeof(t.coordinates) && i < s->n; i++) {
      PetscCall(UmbModelGetCoordinateName(s->model, i, &name));
      PetscCall(UmbStrlcat(t.coordinates, i ? "," : "", sizeof(t.coordinates)));
      PetscCall(UmbStrlcat(t.coordinates, name, sizeof(t.coordinates)));
    }
  }
  { /* a molecular model's atoms, temperature and energy unit */
    const char *const *names, *const *elements, *unit;
    const PetscReal   *mass;
    const PetscInt    *type;

    PetscCall(UmbModelGetTemperature(s->model, &t.temperature));
    PetscCall(UmbModelGetEnergyUnit(s->model, &unit));
    PetscCall(PetscStrncpy(t.energy_unit, unit ? unit : "", sizeof(t.energy_unit)));
    PetscCall(UmbModelGetAtoms(s->model, &t.natoms, &names, &mass, &type, &elements));
    if (t.natoms > 0) {
      PetscCall(PetscCalloc4(t.natoms, &t.atom_type, t.natoms, &t.atom_mass, t.natoms * UMB_ATOM_STRLEN, &t.atom_name, t.natoms * UMB_ATOM_STRLEN, &t.atom_element));
      for (PetscInt i = 0; i < t.natoms; i++) {
        t.atom_type[i] = type[i];
        t.atom_mass[i] = mass[i];
        snprintf(t.atom_name + i * UMB_ATOM_STRLEN, UMB_ATOM_STRLEN, "%s", names[i]);
        snprintf(t.atom_element + i * UMB_ATOM_STRLEN, UMB_ATOM_STRLEN, "%s", elements[i]);
      }
    }
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
  PetscCall(PetscFree4(t.atom_type, t.atom_mass, t.atom_name, t.atom_element));
  PetscFunctionReturn(PETSC_SUCCESS);
}

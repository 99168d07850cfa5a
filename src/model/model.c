/* UmbModel: the common life cycle and accessors; each type fills the ops table. */
#include <umbra/private/modelimpl.h>

static const char *const model_types[] = {UMBMODELFASTSLOW, UMBMODELMULLERBROWN, UMBMODELRING, UMBMODELPLUGIN, UMBMODELIMPORTED, UMBMODELLAMMPS};
#define NTYPES ((PetscInt)(sizeof(model_types) / sizeof(model_types[0])))

PetscErrorCode UmbModelCreate(MPI_Comm comm, UmbModel *model)
{
  UmbModel m;

  PetscFunctionBegin;
  PetscCall(PetscNew(&m));
  m->comm  = comm;
  m->beta  = 1.0;
  m->bound = 1e6;
  *model   = m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelSetType(UmbModel m, UmbModelType type)
{
  PetscBool match;

  PetscFunctionBegin;
  PetscCall(PetscStrcmp(m->type, type, &match));
  if (match) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(!m->setup, m->comm, PETSC_ERR_ORDER, "cannot change the model type after set-up");
  if (m->ops.destroy) PetscCall((*m->ops.destroy)(m));
  PetscCall(PetscMemzero(&m->ops, sizeof(m->ops)));
  m->data = NULL;
  PetscCall(PetscStrncpy(m->type, type, sizeof(m->type)));
  if (!strcmp(type, UMBMODELFASTSLOW)) PetscCall(UmbModelCreate_FastSlow(m));
  else if (!strcmp(type, UMBMODELMULLERBROWN)) PetscCall(UmbModelCreate_MullerBrown(m));
  else if (!strcmp(type, UMBMODELRING)) PetscCall(UmbModelCreate_Ring(m));
  else if (!strcmp(type, UMBMODELPLUGIN)) PetscCall(UmbModelCreate_Plugin(m));
  else if (!strcmp(type, UMBMODELIMPORTED)) PetscCall(UmbModelCreate_Imported(m));
  else if (!strcmp(type, UMBMODELLAMMPS)) PetscCall(UmbModelCreate_Lammps(m));
  else SETERRQ(m->comm, PETSC_ERR_USER_INPUT, "unknown model '%s': choose fastslow, mullerbrown, ring, plugin, imported or lammps", type);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelSetFromOptions(UmbModel m)
{
  PetscInt  which = 0;
  PetscBool set;

  PetscFunctionBegin;
  PetscOptionsBegin(m->comm, UmbOptionsPrefix(m->prefix), "Model options", "UmbModel");
  if (m->type[0]) {
    for (PetscInt i = 0; i < NTYPES; i++)
      if (!strcmp(m->type, model_types[i])) which = i;
  }
  PetscCall(PetscOptionsEList("-model", "Model", "UmbModelSetType", model_types, NTYPES, model_types[which], &which, &set));
  PetscCall(UmbModelSetType(m, model_types[which]));
  PetscCall(PetscOptionsReal("-beta", "Inverse temperature", "UmbModelSetFromOptions", m->beta, &m->beta, NULL));
  PetscCheck(m->beta > 0 && PetscIsNormalReal(m->beta), m->comm, PETSC_ERR_USER_INPUT, "-beta must be positive and finite, got %.6g", (double)m->beta);
  if (m->ops.setfromoptions) PetscCall((*m->ops.setfromoptions)(m, PetscOptionsObject));
  PetscOptionsEnd();
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelSetOptionsPrefix(UmbModel m, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(UmbOptionsPrefixCopy(m->comm, prefix, m->prefix));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelAllocate(UmbModel m, PetscInt n)
{
  PetscFunctionBegin;
  PetscCheck(n >= 1, m->comm, PETSC_ERR_USER_INPUT, "model dimension must be at least 1, got %" PetscInt_FMT, n);
  m->n = n;
  PetscCall(PetscCalloc1(n, &m->mobility));
  PetscCall(PetscCalloc1(n, &m->reference));
  PetscCall(PetscCalloc1(n, &m->coord_names));
  for (PetscInt i = 0; i < n; i++) {
    char name[32];
    m->mobility[i] = 1.0;
    snprintf(name, sizeof(name), "x%" PetscInt_FMT, i + 1);
    PetscCall(PetscStrallocpy(name, &m->coord_names[i]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelSetRunDirectory(UmbModel m, const char dir[])
{
  PetscFunctionBegin;
  PetscCheck(strlen(dir) < sizeof(m->rundir), m->comm, PETSC_ERR_ARG_SIZ, "run directory %s: path too long", dir);
  PetscCall(PetscStrncpy(m->rundir, dir, sizeof(m->rundir)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelSetUp(UmbModel m)
{
  PetscFunctionBegin;
  if (m->setup) PetscFunctionReturn(PETSC_SUCCESS);
  if (!m->type[0]) PetscCall(UmbModelSetType(m, UMBMODELFASTSLOW));
  PetscCall((*m->ops.setup)(m));
  PetscCheck(m->n >= 1 && m->mobility, m->comm, PETSC_ERR_PLIB, "model %s did not set its dimension", m->type);
  for (PetscInt i = 0; i < m->n; i++) PetscCheck(m->mobility[i] > 0 && PetscIsNormalReal(m->mobility[i]), m->comm, PETSC_ERR_USER_INPUT, "mobility of coordinate %" PetscInt_FMT " must be positive, got %.6g", i, (double)m->mobility[i]);
  m->setup = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelView(UmbModel m, PetscViewer v)
{
  PetscFunctionBegin;
  PetscCall(UmbViewerPrintf(v, "model %s: n = %" PetscInt_FMT ", beta = %g\n", m->type, m->n, (double)m->beta));
  if (m->ops.view) {
    PetscCall(PetscViewerASCIIPushTab(v));
    PetscCall((*m->ops.view)(m, v));
    PetscCall(PetscViewerASCIIPopTab(v));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelDestroy(UmbModel *mp)
{
  UmbModel m = *mp;

  PetscFunctionBegin;
  if (!m) PetscFunctionReturn(PETSC_SUCCESS);
  if (m->ops.destroy) PetscCall((*m->ops.destroy)(m));
  for (PetscInt i = 0; m->coord_names && i < m->n; i++) PetscCall(PetscFree(m->coord_names[i]));
  PetscCall(PetscFree(m->coord_names));
  PetscCall(PetscFree(m->mobility));
  PetscCall(PetscFree(m->reference));
  PetscCall(PetscFree(m->vthermal));
  for (PetscInt i = 0; i < m->natoms; i++) {
    PetscCall(PetscFree(m->atom_names[i]));
    PetscCall(PetscFree(m->atom_elements[i]));
  }
  PetscCall(PetscFree2(m->atom_names, m->atom_elements));
  PetscCall(PetscFree2(m->atom_mass, m->atom_type));
  PetscCall(PetscFree(*mp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

#define UmbModelCheckSetUp(m) PetscCheck((m)->setup, (m)->comm, PETSC_ERR_ORDER, "call UmbModelSetUp() first")

PetscErrorCode UmbModelGetType(UmbModel m, UmbModelType *type)
{
  PetscFunctionBegin;
  *type = m->type;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetComm(UmbModel m, MPI_Comm *comm)
{
  PetscFunctionBegin;
  *comm = m->comm;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetDimension(UmbModel m, PetscInt *n)
{
  PetscFunctionBegin;
  UmbModelCheckSetUp(m);
  *n = m->n;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetBeta(UmbModel m, PetscReal *beta)
{
  PetscFunctionBegin;
  *beta = m->beta;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetMobility(UmbModel m, const PetscReal **M)
{
  PetscFunctionBegin;
  UmbModelCheckSetUp(m);
  *M = m->mobility;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetReferenceState(UmbModel m, PetscReal x0[])
{
  PetscFunctionBegin;
  UmbModelCheckSetUp(m);
  PetscCall(PetscArraycpy(x0, m->reference, m->n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetDomainBound(UmbModel m, PetscReal *bound)
{
  PetscFunctionBegin;
  *bound = m->bound;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetCoordinateName(UmbModel m, PetscInt i, const char **name)
{
  PetscFunctionBegin;
  UmbModelCheckSetUp(m);
  PetscCheck(i >= 0 && i < m->n, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "coordinate %" PetscInt_FMT " outside 0..%" PetscInt_FMT, i, m->n - 1);
  *name = m->coord_names[i];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelEnergyGradient(UmbModel m, PetscInt nw, const PetscReal x[], PetscReal U[], PetscReal g[])
{
  PetscFunctionBegin;
  PetscCheck(m->ops.energygradient, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "model %s has no potential energy (samples imported from another program): this stage needs one (sampling, the mean force of closures, exploration); docs/import.md lists what runs on imported data", m->type);
  PetscCall((*m->ops.energygradient)(m, nw, x, U, g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelHasPotential(UmbModel m, PetscBool *has)
{
  PetscFunctionBegin;
  *has = (PetscBool)(m->ops.energygradient != NULL);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetNativeCVDimension(UmbModel m, PetscInt *d)
{
  PetscFunctionBegin;
  UmbModelCheckSetUp(m);
  *d = m->native_d;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetNativeCVPeriod(UmbModel m, PetscReal period[])
{
  PetscFunctionBegin;
  for (PetscInt a = 0; a < m->native_d; a++) period[a] = m->native_period[a];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelNativeCV(UmbModel m, PetscInt nw, const PetscReal x[], PetscReal z[], PetscReal J[])
{
  PetscFunctionBegin;
  PetscCheck(m->native_d > 0 && m->ops.nativecv, m->comm, PETSC_ERR_USER_INPUT, "model %s has no native collective variable", m->type);
  PetscCall((*m->ops.nativecv)(m, nw, x, z, J));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetAtoms(UmbModel m, PetscInt *natoms, const char *const **names, const PetscReal **mass, const PetscInt **type, const char *const **elements)
{
  PetscFunctionBegin;
  UmbModelCheckSetUp(m);
  *natoms = m->natoms;
  if (names) *names = (const char *const *)m->atom_names;
  if (mass) *mass = m->atom_mass;
  if (type) *type = m->atom_type;
  if (elements) *elements = (const char *const *)m->atom_elements;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelCanonicalFrame(UmbModel m, PetscInt nw, PetscReal x[])
{
  PetscFunctionBegin;
  if (m->ops.canonical) PetscCall((*m->ops.canonical)(m, nw, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelHasDynamics(UmbModel m, PetscBool *has)
{
  PetscFunctionBegin;
  *has = (PetscBool)(m->ops.advance != NULL);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelAdvance(UmbModel m, UmbDynamics *dyn, PetscReal x[], PetscReal v[])
{
  PetscFunctionBegin;
  UmbModelCheckSetUp(m);
  PetscCheck(m->ops.advance, m->comm, PETSC_ERR_USER_INPUT, "model %s has no dynamics of its own", m->type);
  PetscCall((*m->ops.advance)(m, dyn, x, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetThermalVelocity(UmbModel m, const PetscReal **sigma)
{
  PetscFunctionBegin;
  UmbModelCheckSetUp(m);
  PetscCheck(m->vthermal, m->comm, PETSC_ERR_USER_INPUT, "model %s has no velocities", m->type);
  *sigma = m->vthermal;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetTemperature(UmbModel m, PetscReal *T)
{
  PetscFunctionBegin;
  *T = m->temperature;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelSetEngineComm(UmbModel m, MPI_Comm comm)
{
  PetscMPIInt size;

  PetscFunctionBegin;
  UmbModelCheckSetUp(m);
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (m->ops.setenginecomm) PetscCall((*m->ops.setenginecomm)(m, comm));
  else PetscCheck(size == 1, m->comm, PETSC_ERR_USER_INPUT, "model %s evaluates a state on one rank: only models run by an engine (-model lammps) share a window among %d ranks", m->type, size);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelEngineServe(UmbModel m)
{
  PetscFunctionBegin;
  if (m->ops.serve) PetscCall((*m->ops.serve)(m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelEngineRelease(UmbModel m)
{
  PetscFunctionBegin;
  if (m->ops.release) PetscCall((*m->ops.release)(m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelGetEnergyUnit(UmbModel m, const char **unit)
{
  PetscFunctionBegin;
  *unit = m->energy_unit;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* UmbCV: the type table, the common life cycle and accessors; each type fills the ops table
   (cv_coord.c, cv_linear.c, cv_native.c, cv_plugin.c, cv_dihedral.c, cv_distance.c here, the
   last two with cv_atoms.c; dmap in src/dmap/cv_dmap.c). */
#include <umbra/private/cvimpl.h>
#include <umbra/private/modelimpl.h>

#define UMB_CV_MAX_TYPES 16

/* Registration order is the order -cv lists the types in */
static char        cv_type_names[UMB_CV_MAX_TYPES][32];
static const char *cv_types[UMB_CV_MAX_TYPES];
static PetscErrorCode (*cv_creates[UMB_CV_MAX_TYPES])(UmbCV);
static PetscInt  cv_ntypes;
static PetscBool cv_registered;

static PetscErrorCode Add(const char name[], PetscErrorCode (*create)(UmbCV))
{
  PetscInt i = 0;

  PetscFunctionBegin;
  PetscCheck(strlen(name) < sizeof(cv_type_names[0]), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "CV type name '%s' is longer than %d characters", name, (int)sizeof(cv_type_names[0]) - 1);
  while (i < cv_ntypes && strcmp(cv_types[i], name)) i++;
  PetscCheck(i < UMB_CV_MAX_TYPES, PETSC_COMM_SELF, PETSC_ERR_SUP, "at most %d CV types can be registered", UMB_CV_MAX_TYPES);
  PetscCall(PetscStrncpy(cv_type_names[i], name, sizeof(cv_type_names[i])));
  cv_types[i]   = cv_type_names[i];
  cv_creates[i] = create;
  if (i == cv_ntypes) cv_ntypes++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVRegisterAll(void)
{
  PetscFunctionBegin;
  if (cv_registered) PetscFunctionReturn(PETSC_SUCCESS);
  cv_registered = PETSC_TRUE;
  PetscCall(Add(UMBCVCOORD, UmbCVCreate_Coord));
  PetscCall(Add(UMBCVLINEAR, UmbCVCreate_Linear));
  PetscCall(Add(UMBCVNATIVE, UmbCVCreate_Native));
  PetscCall(Add(UMBCVPLUGIN, UmbCVCreate_Plugin));
  PetscCall(Add(UMBCVDIHEDRAL, UmbCVCreate_Dihedral));
  PetscCall(Add(UMBCVDISTANCE, UmbCVCreate_Distance));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVRegister(const char name[], PetscErrorCode (*create)(UmbCV))
{
  PetscFunctionBegin;
  PetscCall(UmbCVRegisterAll());
  PetscCall(Add(name, create));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVCreate(UmbModel model, UmbCV *cvp)
{
  UmbCV cv;

  PetscFunctionBegin;
  PetscCall(UmbCVRegisterAll());
  PetscCall(PetscNew(&cv));
  cv->comm  = model->comm;
  cv->model = model;
  cv->d     = 1;
  *cvp      = cv;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVSetType(UmbCV cv, UmbCVType type)
{
  PetscErrorCode (*create)(UmbCV) = NULL;
  PetscBool match;
  char      known[UMB_CV_MAX_TYPES * 34] = "";

  PetscFunctionBegin;
  PetscCall(PetscStrcmp(cv->type, type, &match));
  if (match) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(!cv->setup, cv->comm, PETSC_ERR_ORDER, "cannot change the CV type after set-up");
  for (PetscInt i = 0; i < cv_ntypes; i++) {
    if (!strcmp(cv_types[i], type)) create = cv_creates[i];
    PetscCall(UmbStrlcat(known, i ? ", " : "", sizeof(known)));
    PetscCall(UmbStrlcat(known, cv_types[i], sizeof(known)));
  }
  PetscCheck(create, cv->comm, PETSC_ERR_USER_INPUT, "unknown CV '%s': choose %s", type, known);
  if (cv->ops.destroy) PetscCall((*cv->ops.destroy)(cv));
  PetscCall(PetscMemzero(&cv->ops, sizeof(cv->ops)));
  cv->data      = NULL;
  cv->d         = 1;
  cv->period[0] = cv->period[1] = 0;
  PetscCall(PetscStrncpy(cv->type, type, sizeof(cv->type)));
  PetscCall((*create)(cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVSetOptionsPrefix(UmbCV cv, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(PetscFree(cv->prefix));
  if (prefix && prefix[0]) PetscCall(PetscStrallocpy(prefix, &cv->prefix));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVSetRunDirectory(UmbCV cv, const char dir[])
{
  PetscFunctionBegin;
  PetscCheck(strlen(dir) < sizeof(cv->rundir), cv->comm, PETSC_ERR_ARG_SIZ, "run directory %s: path too long", dir);
  PetscCall(PetscStrncpy(cv->rundir, dir, sizeof(cv->rundir)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The model's dimension and native CV decide the default type and check the options */
PetscErrorCode UmbCVSetFromOptions(UmbCV cv)
{
  UmbModel       m = cv->model;
  const char    *def;
  PetscInt       which = 0;
  PetscErrorCode ierr  = PETSC_SUCCESS;

  PetscFunctionBegin;
  PetscCheck(m->setup, cv->comm, PETSC_ERR_ORDER, "call UmbModelSetUp() before UmbCVSetFromOptions()");
  cv->n = m->n;
  def   = m->native_d > 0 ? (!strcmp(m->type, UMBMODELPLUGIN) ? UMBCVPLUGIN : UMBCVNATIVE) : UMBCVCOORD;
  if (cv->type[0]) def = cv->type;
  for (PetscInt i = 0; i < cv_ntypes; i++)
    if (!strcmp(cv_types[i], def)) which = i;
  PetscOptionsBegin(cv->comm, cv->prefix, "Collective variable options", "UmbCV");
  PetscCall(PetscOptionsEList("-cv", "Collective variable", "UmbCVSetFromOptions", cv_types, cv_ntypes, cv_types[which], &which, NULL));
  PetscCall(UmbCVSetType(cv, cv_types[which]));
  /* a type that refuses its options still closes the options block (PETSc frees it there) */
  if (cv->ops.setfromoptions) ierr = (*cv->ops.setfromoptions)(cv, PetscOptionsObject);
  PetscOptionsEnd();
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVSetUp(UmbCV cv)
{
  PetscFunctionBegin;
  if (cv->setup) PetscFunctionReturn(PETSC_SUCCESS);
  if (!cv->type[0]) PetscCall(UmbCVSetFromOptions(cv));
  if (cv->ops.setup) PetscCall((*cv->ops.setup)(cv));
  for (PetscInt a = 0; a < cv->d; a++)
    if (!cv->names[a][0]) snprintf(cv->names[a], sizeof(cv->names[a]), "%s%s", cv->type, cv->d > 1 ? (a ? "2" : "1") : "");
  cv->setup = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVView(UmbCV cv, PetscViewer v)
{
  PetscFunctionBegin;
  PetscCall(UmbViewerPrintf(v, "CV %s: d = %" PetscInt_FMT " (%s%s%s)\n", cv->type, cv->d, cv->names[0], cv->d > 1 ? ", " : "", cv->d > 1 ? cv->names[1] : ""));
  if (cv->ops.view) {
    PetscCall(PetscViewerASCIIPushTab(v));
    PetscCall((*cv->ops.view)(cv, v));
    PetscCall(PetscViewerASCIIPopTab(v));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVDestroy(UmbCV *cvp)
{
  PetscFunctionBegin;
  if (!*cvp) PetscFunctionReturn(PETSC_SUCCESS);
  if ((*cvp)->ops.destroy) PetscCall((*(*cvp)->ops.destroy)(*cvp));
  PetscCall(PetscFree((*cvp)->prefix));
  PetscCall(PetscFree(*cvp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetType(UmbCV cv, UmbCVType *type)
{
  PetscFunctionBegin;
  *type = cv->type;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetDimension(UmbCV cv, PetscInt *d)
{
  PetscFunctionBegin;
  *d = cv->d;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetModel(UmbCV cv, UmbModel *m)
{
  PetscFunctionBegin;
  *m = cv->model;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetPeriod(UmbCV cv, PetscReal period[])
{
  PetscFunctionBegin;
  for (PetscInt a = 0; a < cv->d; a++) period[a] = cv->period[a];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetCoordinates(UmbCV cv, PetscBool *is, PetscInt idx[])
{
  PetscFunctionBegin;
  *is = PETSC_FALSE;
  if (cv->ops.getcoordinates) PetscCall((*cv->ops.getcoordinates)(cv, is, idx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetLinear(UmbCV cv, PetscBool *is, const PetscReal **W)
{
  PetscFunctionBegin;
  *is = PETSC_FALSE;
  if (W) *W = NULL;
  if (cv->ops.getlinear) {
    const PetscReal *w;
    PetscCall((*cv->ops.getlinear)(cv, &w));
    *is = PETSC_TRUE;
    if (W) *W = w;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetDihedrals(UmbCV cv, PetscBool *is, const PetscInt **atoms, PetscReal *scale)
{
  PetscFunctionBegin;
  *is = PETSC_FALSE;
  if (atoms) *atoms = NULL;
  if (scale) *scale = 1;
  if (cv->ops.getdihedrals) {
    const PetscInt *at;
    PetscReal       s;
    PetscCall((*cv->ops.getdihedrals)(cv, &at, &s));
    *is = PETSC_TRUE;
    if (atoms) *atoms = at;
    if (scale) *scale = s;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVHasFlatLevelSets(UmbCV cv, PetscBool *flat)
{
  PetscBool coord, linear;

  PetscFunctionBegin;
  PetscCall(UmbCVGetCoordinates(cv, &coord, NULL));
  PetscCall(UmbCVGetLinear(cv, &linear, NULL));
  *flat = (PetscBool)(coord || linear);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetName(UmbCV cv, PetscInt a, const char **name)
{
  PetscFunctionBegin;
  PetscCheck(cv->setup, cv->comm, PETSC_ERR_ORDER, "call UmbCVSetUp() first");
  *name = cv->names[a];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVEvaluate(UmbCV cv, PetscInt nw, const PetscReal X[], PetscReal z[], PetscReal J[])
{
  PetscFunctionBegin;
  PetscCheck(cv->ops.evaluate, PETSC_COMM_SELF, PETSC_ERR_ORDER, "call UmbCVSetFromOptions() or UmbCVSetType() first");
  PetscCall((*cv->ops.evaluate)(cv, nw, X, z, J));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscReal UmbCVDifference(UmbCV cv, PetscInt a, PetscReal za, PetscReal zb)
{
  return UmbMinimumImage(za - zb, cv->period[a]);
}

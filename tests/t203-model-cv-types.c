/* UmbCV's type table: a type registered with UmbCVRegister is offered to -cv and used through
   its ops (options, set-up, evaluation, destroy); UmbCVSetType before SetFromOptions makes the
   default; the options prefix renames every CV option (-inner_cv, -inner_cv_index) and leaves
   the unprefixed ones alone; the default type is the model's native CV (fastslow: native, named
   x) or coord 0 (mullerbrown), as before the table.
   Would catch: a registry that loses a type, ops not called or called on the wrong
   type's data, a prefix ignored by a type's options, a changed default type or name. */
// TEST: nsize=1
#include "tap.h"
#include <umbra/private/cvimpl.h>

typedef struct {
  PetscReal scale;
  PetscBool setup;
} Scaled;

static PetscErrorCode SetFromOptions_Scaled(UmbCV cv, PetscOptionItems *PetscOptionsObject)
{
  Scaled *s = (Scaled *)cv->data;

  PetscFunctionBegin;
  PetscCall(PetscOptionsReal("-cv_scale", "Factor of the scaled test CV", "UmbCVSetFromOptions", s->scale, &s->scale, NULL));
  cv->d = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUp_Scaled(UmbCV cv)
{
  PetscFunctionBegin;
  ((Scaled *)cv->data)->setup = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Evaluate_Scaled(UmbCV cv, PetscInt nw, const PetscReal *X, PetscReal *z, PetscReal *J)
{
  Scaled *s = (Scaled *)cv->data;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < nw; k++) z[k] = s->scale * X[k * cv->n];
  if (J) {
    PetscCall(PetscArrayzero(J, nw * cv->n));
    for (PetscInt k = 0; k < nw; k++) J[k * cv->n] = s->scale;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Scaled(UmbCV cv)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(cv->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Create_Scaled(UmbCV cv)
{
  Scaled *s;

  PetscFunctionBegin;
  PetscCall(PetscNew(&s));
  s->scale               = 1;
  cv->data               = s;
  cv->ops.setfromoptions = SetFromOptions_Scaled;
  cv->ops.setup          = SetUp_Scaled;
  cv->ops.evaluate       = Evaluate_Scaled;
  cv->ops.destroy        = Destroy_Scaled;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A CV of a fresh model of the given type from the options kv (NULL-terminated pairs) */
static PetscErrorCode MakeCV(const char *model, const char *prefix, UmbCVType type, const char *const kv[], UmbModel *m, UmbCV *cv)
{
  PetscFunctionBegin;
  PetscCall(PetscOptionsClear(NULL));
  for (int i = 0; kv[i]; i += 2) PetscCall(PetscOptionsSetValue(NULL, kv[i], kv[i + 1]));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, m));
  PetscCall(UmbModelSetType(*m, model));
  PetscCall(UmbModelSetFromOptions(*m));
  PetscCall(UmbModelSetUp(*m));
  PetscCall(UmbCVCreate(*m, cv));
  if (prefix) PetscCall(UmbCVSetOptionsPrefix(*cv, prefix));
  if (type) PetscCall(UmbCVSetType(*cv, type));
  PetscCall(UmbCVSetFromOptions(*cv));
  PetscCall(UmbCVSetUp(*cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Free(UmbModel *m, UmbCV *cv)
{
  PetscFunctionBegin;
  PetscCall(UmbCVDestroy(cv));
  PetscCall(UmbModelDestroy(m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Run(void)
{
  UmbModel       m;
  UmbCV          cv;
  UmbCVType      type;
  const char    *name, *cname;
  PetscInt       d, idx[2];
  PetscBool      is;
  PetscReal      x[16] = {0}, z[2], J[32];

  PetscFunctionBegin;
  PetscCall(UmbCVRegister("scaled", Create_Scaled));

  { /* a registered type, chosen by -cv, with its own option */
    const char *kv[] = {"-cv", "scaled", "-cv_scale", "2.5", NULL};
    PetscCall(MakeCV(UMBMODELMULLERBROWN, NULL, NULL, kv, &m, &cv));
    PetscCall(UmbCVGetType(cv, &type));
    PetscCall(UmbCVGetName(cv, 0, &name));
    PetscCall(UmbCVGetCoordinates(cv, &is, NULL));
    UMB_CHECK(!strcmp(type, "scaled"), "-cv scaled gave type %s", type);
    UMB_CHECK(((Scaled *)cv->data)->setup, "the type's setup was not called");
    UMB_CHECK(!strcmp(name, "scaled"), "unnamed component called %s, not scaled", name);
    UMB_CHECK(!is, "a scaled CV reports coordinates");
    x[0] = 3;
    PetscCall(UmbCVEvaluate(cv, 1, x, z, J));
    UMB_CHECK_CLOSE(z[0], 7.5, 0, 0, "scaled z");
    UMB_CHECK_CLOSE(J[0], 2.5, 0, 0, "scaled J");
    PetscCall(Free(&m, &cv));
  }
  { /* SetType first: the default -cv becomes it; re-registration replaces in place */
    const char *kv[] = {NULL};
    PetscCall(UmbCVRegister(UMBCVLINEAR, UmbCVCreate_Linear));
    PetscCall(MakeCV(UMBMODELFASTSLOW, NULL, "scaled", kv, &m, &cv));
    PetscCall(UmbCVGetType(cv, &type));
    UMB_CHECK(!strcmp(type, "scaled"), "UmbCVSetType(scaled) then no -cv gave %s", type);
    PetscCall(Free(&m, &cv));
  }
  { /* the prefix: -inner_cv coord -inner_cv_index 1; the unprefixed -cv is not the CV's */
    const char *kv[] = {"-inner_cv", "coord", "-inner_cv_index", "1", "-cv", "scaled", NULL};
    PetscCall(MakeCV(UMBMODELMULLERBROWN, "inner_", NULL, kv, &m, &cv));
    PetscCall(UmbCVGetType(cv, &type));
    PetscCall(UmbCVGetCoordinates(cv, &is, idx));
    PetscCall(UmbCVGetName(cv, 0, &name));
    PetscCall(UmbModelGetCoordinateName(m, 1, &cname));
    UMB_CHECK(!strcmp(type, UMBCVCOORD) && is && idx[0] == 1, "-inner_cv coord -inner_cv_index 1 gave %s, coordinates %d, index %d", type, (int)is, (int)idx[0]);
    UMB_CHECK(!strcmp(name, cname), "coord component named %s, not %s", name, cname);
    PetscCall(Free(&m, &cv));
  }
  { /* defaults: fastslow's native x, mullerbrown's first coordinate */
    const char *kv[] = {NULL};
    PetscCall(MakeCV(UMBMODELFASTSLOW, NULL, NULL, kv, &m, &cv));
    PetscCall(UmbCVGetType(cv, &type));
    PetscCall(UmbCVGetName(cv, 0, &name));
    PetscCall(UmbCVGetCoordinates(cv, &is, idx));
    UMB_CHECK(!strcmp(type, UMBCVNATIVE) && !strcmp(name, "x") && is && idx[0] == 0, "fastslow's default CV: %s named %s, coordinates %d", type, name, (int)is);
    PetscCall(Free(&m, &cv));
    PetscCall(MakeCV(UMBMODELMULLERBROWN, NULL, NULL, kv, &m, &cv));
    PetscCall(UmbCVGetType(cv, &type));
    PetscCall(UmbCVGetDimension(cv, &d));
    PetscCall(UmbCVGetCoordinates(cv, &is, idx));
    UMB_CHECK(!strcmp(type, UMBCVCOORD) && d == 1 && is && idx[0] == 0, "mullerbrown's default CV: %s, d = %d", type, (int)d);
    PetscCall(Free(&m, &cv));
  }
  PetscCall(PetscOptionsClear(NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  ierr = Run();
  return UmbTestFinalize(ierr);
}

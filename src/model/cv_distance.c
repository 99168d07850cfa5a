/* distance: |r_a - r_b| of two atoms, one or two components (-cv_atoms a,b[,c,d], 1-based ids; a
   state holds atom i at x[3 (i - 1) + 0..2]), in the model's length unit, not periodic.
   Gradient: (r_a - r_b)/|r_a - r_b| on atom a, its negative on atom b. Where the two atoms
   coincide the gradient is undefined and the evaluation stops with PETSC_ERR_FP naming them. */
#include <umbra/private/cvimpl.h>
#include <umbra/private/modelimpl.h>

typedef struct {
  PetscInt atoms[4]; /* 0-based atom ids, 2 per component */
  char     names[2][80];
} UmbCV_Distance;

static PetscErrorCode SetFromOptions_Distance(UmbCV cv, PetscOptionItems *PetscOptionsObject)
{
  UmbCV_Distance *ds = (UmbCV_Distance *)cv->data;

  PetscFunctionBegin;
  PetscCall(UmbCVOptionsAtoms(cv, PetscOptionsObject, 2, ds->atoms));
  PetscCall(UmbCVOptionsNames(cv, PetscOptionsObject, 2, ds->atoms, ds->names));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUp_Distance(UmbCV cv)
{
  UmbCV_Distance *ds = (UmbCV_Distance *)cv->data;

  PetscFunctionBegin;
  for (PetscInt a = 0; a < cv->d; a++) PetscCall(PetscStrncpy(cv->names[a], ds->names[a], sizeof(cv->names[a])));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Evaluate_Distance(UmbCV cv, PetscInt nw, const PetscReal *X, PetscReal *z, PetscReal *J)
{
  UmbCV_Distance *ds = (UmbCV_Distance *)cv->data;
  const PetscInt  n = cv->n, d = cv->d;

  PetscFunctionBegin;
  if (J) PetscCall(PetscArrayzero(J, nw * d * n));
  for (PetscInt k = 0; k < nw; k++)
    for (PetscInt a = 0; a < d; a++) {
      const PetscInt   ia = ds->atoms[2 * a], ib = ds->atoms[2 * a + 1];
      const PetscReal *ra = X + k * n + 3 * ia, *rb = X + k * n + 3 * ib;
      PetscReal        u[3], r;

      for (PetscInt c = 0; c < 3; c++) u[c] = ra[c] - rb[c];
      r = PetscSqrtReal(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
      PetscCheck(r > 0, PETSC_COMM_SELF, PETSC_ERR_FP, "-cv distance: atoms %" PetscInt_FMT " and %" PetscInt_FMT " of %s coincide in state %" PetscInt_FMT ": the distance has no gradient", ia + 1, ib + 1, ds->names[a], k);
      z[k * d + a] = r;
      if (J) {
        PetscReal *Jr = J + (k * d + a) * n;
        for (PetscInt c = 0; c < 3; c++) {
          Jr[3 * ia + c] = u[c] / r;
          Jr[3 * ib + c] = -u[c] / r;
        }
      }
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode View_Distance(UmbCV cv, PetscViewer v)
{
  UmbCV_Distance *ds = (UmbCV_Distance *)cv->data;

  PetscFunctionBegin;
  for (PetscInt a = 0; a < cv->d; a++) PetscCall(UmbViewerPrintf(v, "%s: distance of atoms %" PetscInt_FMT " and %" PetscInt_FMT "\n", ds->names[a], ds->atoms[2 * a] + 1, ds->atoms[2 * a + 1] + 1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Distance(UmbCV cv)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(cv->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVCreate_Distance(UmbCV cv)
{
  UmbCV_Distance *ds;

  PetscFunctionBegin;
  PetscCall(PetscNew(&ds));
  cv->data               = ds;
  cv->ops.setfromoptions = SetFromOptions_Distance;
  cv->ops.setup          = SetUp_Distance;
  cv->ops.evaluate       = Evaluate_Distance;
  cv->ops.view           = View_Distance;
  cv->ops.destroy        = Destroy_Distance;
  PetscFunctionReturn(PETSC_SUCCESS);
}

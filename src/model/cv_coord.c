/* coord: z_a = x_{i_a}, the coordinates named by -cv_index (one or two, 0-based). */
#include <umbra/private/cvimpl.h>
#include <umbra/private/modelimpl.h>

typedef struct {
  PetscInt index[2];
} UmbCV_Coord;

static PetscErrorCode SetFromOptions_Coord(UmbCV cv, PetscOptionItems *PetscOptionsObject)
{
  UmbCV_Coord *c = (UmbCV_Coord *)cv->data;
  UmbModel     m = cv->model;
  PetscInt     nidx = 3, idx[3] = {0, 0, 0}; /* one slot more than allowed: a third index is seen, not dropped */
  PetscBool    set_idx;

  PetscFunctionBegin;
  PetscCall(PetscOptionsIntArray("-cv_index", "Coordinate index (0-based) of each CV component", "UmbCVSetFromOptions", idx, &nidx, &set_idx));
  if (!set_idx) nidx = 1;
  PetscCheck(nidx <= 2, cv->comm, PETSC_ERR_USER_INPUT, "-cv_index takes one or two indices, got more than two");
  PetscCheck(nidx >= 1, cv->comm, PETSC_ERR_USER_INPUT, "-cv_index takes one or two indices, got %" PetscInt_FMT, nidx);
  cv->d = nidx;
  for (PetscInt a = 0; a < cv->d; a++) {
    PetscCheck(idx[a] >= 0 && idx[a] < m->n, cv->comm, PETSC_ERR_USER_INPUT, "-cv_index %" PetscInt_FMT " is not a coordinate of model %s, which has %" PetscInt_FMT " (0..%" PetscInt_FMT ")", idx[a], m->type, m->n, m->n - 1);
    c->index[a] = idx[a];
  }
  PetscCheck(cv->d == 1 || idx[0] != idx[1], cv->comm, PETSC_ERR_USER_INPUT, "-cv_index lists coordinate %" PetscInt_FMT " twice", idx[0]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* each component is named after its coordinate */
static PetscErrorCode SetUp_Coord(UmbCV cv)
{
  UmbCV_Coord *c = (UmbCV_Coord *)cv->data;

  PetscFunctionBegin;
  for (PetscInt a = 0; a < cv->d; a++) snprintf(cv->names[a], sizeof(cv->names[a]), "%s", cv->model->coord_names[c->index[a]]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Evaluate_Coord(UmbCV cv, PetscInt nw, const PetscReal *X, PetscReal *z, PetscReal *J)
{
  UmbCV_Coord   *c = (UmbCV_Coord *)cv->data;
  const PetscInt n = cv->n, d = cv->d;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < nw; k++)
    for (PetscInt a = 0; a < d; a++) z[k * d + a] = X[k * n + c->index[a]];
  if (J) {
    PetscCall(PetscArrayzero(J, nw * d * n));
    for (PetscInt k = 0; k < nw; k++)
      for (PetscInt a = 0; a < d; a++) J[(k * d + a) * n + c->index[a]] = 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetCoordinates_Coord(UmbCV cv, PetscBool *is, PetscInt *idx)
{
  UmbCV_Coord *c = (UmbCV_Coord *)cv->data;

  PetscFunctionBegin;
  *is = PETSC_TRUE;
  if (idx)
    for (PetscInt a = 0; a < cv->d; a++) idx[a] = c->index[a];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Coord(UmbCV cv)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(cv->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVCreate_Coord(UmbCV cv)
{
  UmbCV_Coord *c;

  PetscFunctionBegin;
  PetscCall(PetscNew(&c));
  cv->data               = c;
  cv->ops.setfromoptions = SetFromOptions_Coord;
  cv->ops.setup          = SetUp_Coord;
  cv->ops.evaluate       = Evaluate_Coord;
  cv->ops.getcoordinates = GetCoordinates_Coord;
  cv->ops.destroy        = Destroy_Coord;
  PetscFunctionReturn(PETSC_SUCCESS);
}

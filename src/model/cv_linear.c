/* linear: z_a = w_a . x, the rows of -cv_weights (n values for a 1-D CV, 2n for a 2-D one). */
#include <umbra/private/cvimpl.h>
#include <umbra/private/modelimpl.h>

typedef struct {
  PetscReal *weights; /* d x n */
} UmbCV_Linear;

static PetscErrorCode SetFromOptions_Linear(UmbCV cv, PetscOptionItems *PetscOptionsObject)
{
  UmbCV_Linear *l = (UmbCV_Linear *)cv->data;
  UmbModel      m = cv->model;
  PetscInt      nw;
  PetscBool     set_w;

  PetscFunctionBegin;
  PetscCall(PetscFree(l->weights));
  PetscCall(PetscCalloc1(2 * m->n, &l->weights));
  nw = 2 * m->n;
  PetscCall(PetscOptionsRealArray("-cv_weights", "Weights of the linear CV: n values (1-D) or 2n values (2-D, row after row)", "UmbCVSetFromOptions", l->weights, &nw, &set_w));
  PetscCheck(set_w, cv->comm, PETSC_ERR_USER_INPUT, "-cv linear needs -cv_weights with %" PetscInt_FMT " values (or %" PetscInt_FMT " for a 2-D CV)", m->n, 2 * m->n);
  PetscCheck(nw == m->n || nw == 2 * m->n, cv->comm, PETSC_ERR_USER_INPUT, "-cv_weights needs %" PetscInt_FMT " values (or %" PetscInt_FMT " for a 2-D CV) for model %s, got %" PetscInt_FMT, m->n, 2 * m->n, m->type, nw);
  cv->d = nw / m->n;
  for (PetscInt a = 0; a < cv->d; a++) {
    PetscReal norm = 0;
    for (PetscInt i = 0; i < m->n; i++) norm += l->weights[a * m->n + i] * l->weights[a * m->n + i];
    PetscCheck(norm > 0, cv->comm, PETSC_ERR_USER_INPUT, "-cv_weights: component %" PetscInt_FMT " has all weights zero", a + 1);
  }
  if (cv->d == 2) { /* Cauchy-Schwarz: |w1 . w2| = |w1| |w2| only for parallel rows */
    const PetscReal *w1 = l->weights, *w2 = l->weights + m->n;
    PetscReal        n11 = 0, n22 = 0, n12 = 0;
    for (PetscInt i = 0; i < m->n; i++) {
      n11 += w1[i] * w1[i];
      n22 += w2[i] * w2[i];
      n12 += w1[i] * w2[i];
    }
    PetscCheck(n11 * n22 - n12 * n12 > 1e-12 * n11 * n22, cv->comm, PETSC_ERR_USER_INPUT, "-cv_weights: the two components are parallel, so they define one coordinate, not two: give a 1-D CV or independent rows");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Evaluate_Linear(UmbCV cv, PetscInt nw, const PetscReal *X, PetscReal *z, PetscReal *J)
{
  UmbCV_Linear  *l = (UmbCV_Linear *)cv->data;
  const PetscInt n = cv->n, d = cv->d;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < nw; k++)
    for (PetscInt a = 0; a < d; a++) {
      PetscReal s = 0;
      for (PetscInt i = 0; i < n; i++) s += l->weights[a * n + i] * X[k * n + i];
      z[k * d + a] = s;
      if (J) PetscCall(PetscArraycpy(J + (k * d + a) * n, l->weights + a * n, n));
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetLinear_Linear(UmbCV cv, const PetscReal **W)
{
  PetscFunctionBegin;
  *W = ((UmbCV_Linear *)cv->data)->weights;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Linear(UmbCV cv)
{
  UmbCV_Linear *l = (UmbCV_Linear *)cv->data;

  PetscFunctionBegin;
  PetscCall(PetscFree(l->weights));
  PetscCall(PetscFree(cv->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVCreate_Linear(UmbCV cv)
{
  UmbCV_Linear *l;

  PetscFunctionBegin;
  PetscCall(PetscNew(&l));
  cv->data               = l;
  cv->ops.setfromoptions = SetFromOptions_Linear;
  cv->ops.evaluate       = Evaluate_Linear;
  cv->ops.getlinear      = GetLinear_Linear;
  cv->ops.destroy        = Destroy_Linear;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Adam with bias correction, in PyTorch's operation order (torch.optim.Adam, single tensor). */
#include <umbra/private/nnimpl.h>

PetscErrorCode UmbAdamCreate(PetscInt n, PetscReal lr, PetscReal beta1, PetscReal beta2, PetscReal eps, UmbAdam *adam)
{
  UmbAdam a;

  PetscFunctionBegin;
  PetscCheck(lr > 0 && beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Adam needs lr > 0, 0 <= beta < 1, eps > 0");
  PetscCall(PetscNew(&a));
  a->n     = n;
  a->lr    = lr;
  a->beta1 = beta1;
  a->beta2 = beta2;
  a->eps   = eps;
  PetscCall(PetscCalloc2(n, &a->m, n, &a->v));
  *adam = a;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbAdamStep(UmbAdam a, PetscReal theta[], const PetscReal g[])
{
  const PetscReal b1 = a->beta1, b2 = a->beta2;
  PetscReal       bc1, bc2s, step;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.nn_adam, 0, 0, 0, 0));
  a->t++;
  bc1  = 1 - pow(b1, (double)a->t);
  bc2s = PetscSqrtReal(1 - pow(b2, (double)a->t));
  step = a->lr / bc1;
  for (PetscInt i = 0; i < a->n; i++) {
    const PetscReal m = a->m[i] * b1 + (1 - b1) * g[i];
    const PetscReal v = a->v[i] * b2 + (1 - b2) * g[i] * g[i];
    a->m[i]           = m;
    a->v[i]           = v;
    theta[i]          = theta[i] + (-step) * m / (PetscSqrtReal(v) / bc2s + a->eps);
  }
  PetscCall(PetscLogEventEnd(UMB_EVENT.nn_adam, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbAdamGetState(UmbAdam a, PetscInt *n, PetscInt64 *t, PetscReal **m, PetscReal **v)
{
  PetscFunctionBegin;
  if (n) *n = a->n;
  if (t) *t = a->t;
  if (m) *m = a->m;
  if (v) *v = a->v;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbAdamSetStep(UmbAdam a, PetscInt64 t)
{
  PetscFunctionBegin;
  a->t = t;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbAdamSetLearningRate(UmbAdam a, PetscReal lr)
{
  PetscFunctionBegin;
  a->lr = lr;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbAdamDestroy(UmbAdam *a)
{
  PetscFunctionBegin;
  if (!*a) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree2((*a)->m, (*a)->v));
  PetscCall(PetscFree(*a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* GAN losses on network outputs, in numerically stable forms, with their gradients. */
#include <umbra/nn.h>

/* softplus(y) = log(1 + e^y) = max(y, 0) + log1p(e^-|y|): no overflow for any y */
PetscReal UmbNNSoftplus(PetscReal y) { return (y > 0 ? y : 0) + log1p(exp(-PetscAbsReal(y))); }

PetscReal UmbNNSigmoid(PetscReal y)
{
  if (y >= 0) return 1 / (1 + exp(-y));
  {
    const PetscReal e = exp(y);
    return e / (1 + e);
  }
}

PetscErrorCode UmbNNLossLinear(PetscInt n, const PetscReal y[], PetscReal sign, PetscReal scale, PetscReal *loss, PetscReal dy[])
{
  PetscReal s = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) {
    s += y[i];
    if (dy) dy[i] = sign * scale;
  }
  *loss += sign * scale * s;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbNNLossSoftplus(PetscInt n, const PetscReal y[], PetscReal sign, PetscReal scale, PetscReal *loss, PetscReal dy[])
{
  PetscReal s = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) {
    s += UmbNNSoftplus(sign * y[i]);
    if (dy) dy[i] = scale * sign * UmbNNSigmoid(sign * y[i]);
  }
  *loss += scale * s;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbNNLossGradPenalty(PetscInt nr, PetscInt ncol, PetscInt ld, const PetscReal G[], PetscReal lambda, PetscReal scale, PetscReal *loss, PetscReal Gbar[])
{
  PetscReal s = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < nr; i++) {
    const PetscReal *g = G + i * ld;
    PetscReal       *gb = Gbar ? Gbar + i * ld : NULL, nrm = 0, f;
    for (PetscInt j = 0; j < ncol; j++) nrm += g[j] * g[j];
    nrm = PetscSqrtReal(nrm);
    s += (nrm - 1) * (nrm - 1);
    if (!gb) continue;
    f = nrm > 0 ? scale * lambda * 2 * (nrm - 1) / nrm : 0; /* the norm's subgradient 0 at g = 0 */
    for (PetscInt j = 0; j < ncol; j++) gb[j] = f * g[j];
    for (PetscInt j = ncol; j < ld; j++) gb[j] = 0;
  }
  *loss += scale * lambda * s;
  PetscFunctionReturn(PETSC_SUCCESS);
}

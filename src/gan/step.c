/* The losses of one chunk of rows and their gradients: the critic step (real, fake and
   interpolated rows in ONE batched forward/backward of the critic, the gradient penalty by
   double backpropagation on the interpolated rows) and the generator step (through the critic's
   input gradient). Not collective: the caller reduces the gradients. */
#include <umbra/private/ganimpl.h>
#include <umbra/private/nnimpl.h>

/* rows [xa | zf] of the critic input (nind = ng + dz columns) */
static void CriticRows(UmbGan gan, PetscInt b, const PetscReal *xa, PetscInt ldx, const PetscReal *zf, PetscInt ldz, PetscReal *X)
{
  const PetscInt nind = gan->ng + gan->dz;
  for (PetscInt i = 0; i < b; i++) {
    memcpy(X + i * nind, xa + i * ldx, (size_t)gan->ng * sizeof(PetscReal));
    memcpy(X + i * nind + gan->ng, zf + i * ldz, (size_t)gan->dz * sizeof(PetscReal));
  }
}

PetscErrorCode UmbGanCriticChunk(UmbGan gan, PetscInt b, const PetscReal xr[], PetscInt ldx, const PetscReal zf[], PetscInt ldz, const PetscReal eta[], const PetscReal eps[], PetscReal scale, PetscReal loss[])
{
  const PetscInt   nind = gan->ng + gan->dz, ng = gan->ng;
  const PetscBool  gp   = (PetscBool)(gan->gp_lambda > 0);
  const PetscInt   rows = (gp ? 3 : 2) * b;
  const PetscReal *Y;
  PetscReal       *X, *dY;

  PetscFunctionBegin;
  PetscCall(UmbGanReserve(gan, b));
  X  = gan->Xd;
  dY = gan->dY;
  PetscCall(UmbGanGeneratorForward(gan, gan->G, b, zf, ldz, eta, gan->xf));
  CriticRows(gan, b, xr, ldx, zf, ldz, X);
  CriticRows(gan, b, gan->xf, ng, zf, ldz, X + b * nind);
  if (gp) {
    PetscReal *Xi = X + 2 * b * nind;
    for (PetscInt i = 0; i < b; i++) {
      const PetscReal e = eps[i];
      for (PetscInt j = 0; j < ng; j++) Xi[i * nind + j] = e * xr[i * ldx + j] + (1 - e) * gan->xf[i * ng + j];
      memcpy(Xi + i * nind + ng, zf + i * ldz, (size_t)gan->dz * sizeof(PetscReal));
    }
  }
  PetscCall(UmbMLPForward(gan->D, rows, X, NULL));
  PetscCall(UmbMLPGetOutput(gan->D, &Y));
  if (gan->loss == UMB_GAN_WGANGP) {
    PetscCall(UmbNNLossLinear(b, Y, 1.0, scale, &loss[0], NULL)); /* reported: sum D(real) */
    for (PetscInt i = 0; i < b; i++) dY[i] = -scale;                /* E[D(fake)] - E[D(real)] */
    PetscCall(UmbNNLossLinear(b, Y + b, 1.0, scale, &loss[1], dY + b));
  } else {
    PetscCall(UmbNNLossSoftplus(b, Y, -1.0, scale, &loss[0], dY));         /* -log sigmoid(D(real)) */
    PetscCall(UmbNNLossSoftplus(b, Y + b, 1.0, scale, &loss[1], dY + b)); /* -log(1 - sigmoid(D(fake))) */
  }
  if (gp) {
    PetscReal *ones = dY + 2 * b;
    for (PetscInt i = 0; i < b; i++) ones[i] = 1;
    PetscCall(UmbMLPInputGradient(gan->D, 2 * b, b, ones, gan->Gin));
    PetscCall(UmbNNLossGradPenalty(b, ng, nind, gan->Gin, gan->gp_lambda, scale, &loss[2], gan->Gbar));
    PetscCall(UmbMLPInputGradientAdjoint(gan->D, gan->Gbar));
    for (PetscInt i = 0; i < b; i++) ones[i] = 0; /* D(xhat) itself is not part of the loss */
  }
  /* interpolated rows have no loss of their own: with a piecewise-linear activation they carry no
     adjoint through the forward pass either, and the backward pass can skip them */
  PetscCall(UmbMLPBackward(gan->D, UmbMLPInjects(gan->D) ? rows : 2 * b, dY, NULL, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanGeneratorChunk(UmbGan gan, PetscInt b, const PetscReal zf[], PetscInt ldz, const PetscReal zraw[], PetscInt ldr, const PetscReal eta[], PetscReal scale, PetscReal loss[])
{
  const PetscInt   nind = gan->ng + gan->dz, ng = gan->ng;
  const PetscReal *Y;
  PetscReal       *dY;

  PetscFunctionBegin;
  PetscCall(UmbGanReserve(gan, b));
  dY = gan->dY;
  PetscCall(UmbGanGeneratorForward(gan, gan->G, b, zf, ldz, eta, gan->xf));
  CriticRows(gan, b, gan->xf, ng, zf, ldz, gan->Xd);
  PetscCall(UmbMLPForward(gan->D, b, gan->Xd, NULL));
  PetscCall(UmbMLPGetOutput(gan->D, &Y));
  if (gan->loss == UMB_GAN_WGANGP) PetscCall(UmbNNLossLinear(b, Y, -1.0, scale, &loss[0], dY)); /* -E[D(G)] */
  else PetscCall(UmbNNLossSoftplus(b, Y, -1.0, scale, &loss[0], dY));                         /* -E[log sigmoid(D(G))] */
  PetscCall(UmbMLPBackward(gan->D, b, dY, gan->dXd, PETSC_FALSE));
  for (PetscInt i = 0; i < b; i++) memcpy(gan->dxf + i * ng, gan->dXd + i * nind, (size_t)ng * sizeof(PetscReal));
  if (gan->cons_lambda > 0 && !gan->coord) {
    /* lambda |xi(x) - z|^2 with x = xmean + xsd * xf: d/dxf_j = 2 lambda (xi - z) . J[:, gidx_j] xsd_j */
    const PetscInt n = gan->n, d = gan->d;
    PetscReal     *x = gan->zc, *J = gan->Jc, *zc = gan->Jc + (size_t)b * d * n, s = 0;
    UmbGanAssemble(gan, b, gan->xf, NULL, x);
    PetscCall(UmbCVEvaluate(gan->cv, b, x, zc, J));
    for (PetscInt i = 0; i < b; i++)
      for (PetscInt a = 0; a < d; a++) {
        const PetscReal diff = UmbCVDifference(gan->cv, a, zc[i * d + a], zraw[i * ldr + a]);
        s += diff * diff;
        for (PetscInt j = 0; j < ng; j++) gan->dxf[i * ng + j] += 2 * scale * gan->cons_lambda * diff * J[(i * d + a) * n + gan->gidx[j]] * gan->xsd[j];
      }
    loss[1] += scale * gan->cons_lambda * s;
  }
  PetscCall(UmbMLPBackward(gan->G, b, gan->dxf, NULL, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

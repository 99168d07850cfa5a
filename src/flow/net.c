/* The coupling layers of UmbFlow: masks, conditioners, the forward pass with its log-Jacobian,
   the inverse, and the backward pass of the negative log-likelihood. Layer l maps v to v' with
   v'_A = v_A and v'_j = s(v_j; theta_j) for j in B, theta = conditioner_l(v_A, zf). */
#include <umbra/private/flowimpl.h>

#define NRAW(flow) (3 * (flow)->spline.K - 1)

static PetscErrorCode FreeWork(UmbFlow flow)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(flow->V));
  PetscCall(PetscFree(flow->Xc));
  PetscCall(PetscFree(flow->G));
  PetscCall(PetscFree(flow->Gn));
  PetscCall(PetscFree(flow->dTheta));
  PetscCall(PetscFree(flow->dXc));
  PetscCall(PetscFree(flow->ld));
  PetscCall(PetscFree(flow->nll));
  PetscCall(PetscFree(flow->au));
  PetscCall(PetscFree(flow->ald));
  flow->cap = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowReserve(UmbFlow flow, PetscInt rows)
{
  const PetscInt ng = flow->ng;

  PetscFunctionBegin;
  if (rows <= flow->cap) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(FreeWork(flow));
  PetscCall(PetscMalloc1((size_t)(flow->ncoupling + 1) * rows * ng, &flow->V));
  PetscCall(PetscMalloc1((size_t)rows * (ng + flow->dz), &flow->Xc));
  PetscCall(PetscMalloc1((size_t)rows * ng, &flow->G));
  PetscCall(PetscMalloc1((size_t)rows * ng, &flow->Gn));
  PetscCall(PetscMalloc1((size_t)rows * ng * NRAW(flow), &flow->dTheta));
  PetscCall(PetscMalloc1((size_t)rows * (ng + flow->dz), &flow->dXc));
  PetscCall(PetscMalloc1(rows, &flow->ld));
  PetscCall(PetscMalloc1(rows, &flow->nll));
  PetscCall(PetscMalloc1((size_t)rows * ng, &flow->au));
  PetscCall(PetscMalloc1(rows, &flow->ald));
  flow->cap = rows;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode DestroyNetworks(UmbFlow flow)
{
  PetscFunctionBegin;
  for (PetscInt l = 0; l < UMB_FLOW_MAX_COUPLINGS; l++) {
    PetscCall(UmbMLPDestroy(&flow->net[l]));
    PetscCall(UmbAdamDestroy(&flow->adam[l]));
    PetscCall(PetscFree(flow->Aidx[l]));
    PetscCall(PetscFree(flow->Bidx[l]));
  }
  PetscCall(FreeWork(flow));
  flow->have_networks = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowDestroyNetworks(UmbFlow flow)
{
  PetscFunctionBegin;
  PetscCall(DestroyNetworks(flow));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Conditioners start as the identity map: their last layer is zero, so every spline is the
   identity (equal bins, unit derivatives) and the flow starts at the standard normal */
PetscErrorCode UmbFlowBuildNetworks(UmbFlow flow)
{
  PetscInt w[UMB_FLOW_MAX_LAYERS + 2];

  PetscFunctionBegin;
  PetscCall(DestroyNetworks(flow));
  flow->nparams = 0;
  for (PetscInt l = 0; l < flow->ncoupling; l++) {
    PetscInt   np, oW, ob, nin;
    PetscReal *theta;
    PetscCall(PetscMalloc1(flow->ng, &flow->Aidx[l]));
    PetscCall(PetscMalloc1(flow->ng, &flow->Bidx[l]));
    flow->nA[l] = flow->nB[l] = 0;
    for (PetscInt j = 0; j < flow->ng; j++) {
      if (flow->ng == 1 || (j + l) % 2 == 0) flow->Bidx[l][flow->nB[l]++] = j;
      else flow->Aidx[l][flow->nA[l]++] = j;
    }
    w[0] = flow->nA[l] + flow->dz;
    for (PetscInt k = 0; k < flow->nhidden; k++) w[k + 1] = flow->hidden[k];
    w[flow->nhidden + 1] = flow->nB[l] * NRAW(flow);
    PetscCall(UmbMLPCreate(flow->nhidden + 1, w, flow->act, flow->slope, &flow->net[l]));
    PetscCall(UmbMLPInitialize(flow->net[l], (uint64_t)flow->seed, UMB_FLOW_INIT + (uint64_t)l));
    PetscCall(UmbMLPGetParameters(flow->net[l], &theta, NULL));
    PetscCall(UmbMLPGetSizes(flow->net[l], &nin, NULL, &np));
    PetscCall(UmbMLPGetLayerOffsets(flow->net[l], flow->nhidden + 1, &oW, &ob));
    for (PetscInt i = oW; i < np; i++) theta[i] = 0;
    PetscCall(UmbAdamCreate(np, flow->lr, flow->beta1, flow->beta2, 1e-8, &flow->adam[l]));
    flow->poff[l] = flow->nparams;
    flow->nparams += np;
  }
  flow->poff[flow->ncoupling] = flow->nparams;
  flow->have_networks         = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowSetTraining(UmbFlow flow, PetscBool training)
{
  PetscFunctionBegin;
  for (PetscInt l = 0; l < flow->ncoupling; l++) PetscCall(UmbMLPSetTraining(flow->net[l], training));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* conditioner inputs of layer l for b rows of v: [v_A | zf] */
static void ConditionerInput(UmbFlow flow, PetscInt l, PetscInt b, const PetscReal v[], const PetscReal zf[], PetscInt ldz, PetscReal Xc[])
{
  const PetscInt nin = flow->nA[l] + flow->dz;
  for (PetscInt i = 0; i < b; i++) {
    for (PetscInt a = 0; a < flow->nA[l]; a++) Xc[i * nin + a] = v[i * flow->ng + flow->Aidx[l][a]];
    for (PetscInt k = 0; k < flow->dz; k++) Xc[i * nin + flow->nA[l] + k] = zf[i * ldz + k];
  }
}

PetscErrorCode UmbFlowForwardRows(UmbFlow flow, PetscInt b, const PetscReal y[], PetscInt ldy, const PetscReal zf[], PetscInt ldz, PetscReal u[], PetscReal logdet[])
{
  const PetscInt ng = flow->ng, nr = NRAW(flow);

  PetscFunctionBegin;
  PetscCall(UmbFlowReserve(flow, b));
  PetscCall(PetscLogEventBegin(UMB_EVENT.flow_forward, 0, 0, 0, 0));
  for (PetscInt i = 0; i < b; i++) {
    PetscCall(PetscArraycpy(flow->V + i * ng, y + i * ldy, ng));
    logdet[i] = 0;
  }
  for (PetscInt l = 0; l < flow->ncoupling; l++) {
    const PetscReal *v = flow->V + (size_t)l * flow->cap * ng, *theta;
    PetscReal       *vn = flow->V + (size_t)(l + 1) * flow->cap * ng;
    ConditionerInput(flow, l, b, v, zf, ldz, flow->Xc);
    PetscCall(UmbMLPForward(flow->net[l], b, flow->Xc, NULL));
    PetscCall(UmbMLPGetOutput(flow->net[l], &theta));
    PetscCall(PetscArraycpy(vn, v, b * ng));
    for (PetscInt i = 0; i < b; i++)
      for (PetscInt jb = 0; jb < flow->nB[l]; jb++) {
        const PetscInt j = flow->Bidx[l][jb];
        PetscReal      ldj;
        UmbFlowSplineForward(&flow->spline, theta + (i * flow->nB[l] + jb) * nr, v[i * ng + j], &vn[i * ng + j], &ldj);
        logdet[i] += ldj;
      }
  }
  if (u) PetscCall(PetscArraycpy(u, flow->V + (size_t)flow->ncoupling * flow->cap * ng, b * ng));
  PetscCall(PetscLogEventEnd(UMB_EVENT.flow_forward, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowInverseRows(UmbFlow flow, PetscInt b, const PetscReal u[], const PetscReal zf[], PetscInt ldz, PetscReal y[], PetscReal logdet[])
{
  const PetscInt ng = flow->ng, nr = NRAW(flow);
  PetscReal     *v;

  PetscFunctionBegin;
  PetscCall(UmbFlowReserve(flow, b));
  v = flow->G;
  PetscCall(PetscArraycpy(v, u, b * ng));
  for (PetscInt i = 0; i < b; i++) logdet[i] = 0;
  for (PetscInt l = flow->ncoupling - 1; l >= 0; l--) { /* v_A is the same before and after layer l */
    const PetscReal *theta;
    ConditionerInput(flow, l, b, v, zf, ldz, flow->Xc);
    PetscCall(UmbMLPForward(flow->net[l], b, flow->Xc, NULL));
    PetscCall(UmbMLPGetOutput(flow->net[l], &theta));
    for (PetscInt i = 0; i < b; i++)
      for (PetscInt jb = 0; jb < flow->nB[l]; jb++) {
        const PetscInt j = flow->Bidx[l][jb];
        PetscReal      ldj;
        UmbFlowSplineInverse(&flow->spline, theta + (i * flow->nB[l] + jb) * nr, v[i * ng + j], &v[i * ng + j], &ldj);
        logdet[i] += ldj;
      }
  }
  PetscCall(PetscArraycpy(y, v, b * ng));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowBackwardRows(UmbFlow flow, PetscInt b, const PetscReal au[], const PetscReal ald[], PetscReal dy[])
{
  const PetscInt ng = flow->ng, nr = NRAW(flow);

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.flow_backward, 0, 0, 0, 0));
  PetscCall(PetscArraycpy(flow->G, au, b * ng));
  for (PetscInt l = flow->ncoupling - 1; l >= 0; l--) {
    const PetscReal *v = flow->V + (size_t)l * flow->cap * ng, *theta;
    const PetscInt   nin = flow->nA[l] + flow->dz, nout = flow->nB[l] * nr;
    PetscCall(UmbMLPGetOutput(flow->net[l], &theta));
    PetscCall(PetscArraycpy(flow->Gn, flow->G, b * ng));
    PetscCall(PetscArrayzero(flow->dTheta, b * nout));
    for (PetscInt i = 0; i < b; i++)
      for (PetscInt jb = 0; jb < flow->nB[l]; jb++) {
        const PetscInt j = flow->Bidx[l][jb], o = (i * flow->nB[l] + jb) * nr;
        flow->Gn[i * ng + j] = UmbFlowSplineBackward(&flow->spline, theta + o, v[i * ng + j], flow->G[i * ng + j], ald[i], flow->dTheta + o);
      }
    PetscCall(UmbMLPBackward(flow->net[l], b, flow->dTheta, flow->nA[l] ? flow->dXc : NULL, PETSC_TRUE));
    for (PetscInt i = 0; i < b; i++)
      for (PetscInt a = 0; a < flow->nA[l]; a++) flow->Gn[i * ng + flow->Aidx[l][a]] += flow->dXc[i * nin + a];
    PetscCall(PetscArraycpy(flow->G, flow->Gn, b * ng));
  }
  if (dy) PetscCall(PetscArraycpy(dy, flow->G, b * ng));
  PetscCall(PetscLogEventEnd(UMB_EVENT.flow_backward, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowNLLRows(UmbFlow flow, PetscInt b, const PetscReal y[], PetscInt ldy, const PetscReal zf[], PetscInt ldz, PetscReal nll[])
{
  const PetscInt  ng = flow->ng;
  const PetscReal c  = 0.5 * (PetscReal)ng * PetscLogReal(2 * PETSC_PI);
  const PetscReal *u;

  PetscFunctionBegin;
  PetscCall(UmbFlowReserve(flow, b));
  PetscCall(UmbFlowForwardRows(flow, b, y, ldy, zf, ldz, NULL, flow->ld));
  u = flow->V + (size_t)flow->ncoupling * flow->cap * ng;
  for (PetscInt i = 0; i < b; i++) {
    PetscReal r2 = 0;
    for (PetscInt j = 0; j < ng; j++) r2 += u[i * ng + j] * u[i * ng + j];
    nll[i] = 0.5 * r2 + c - flow->ld[i];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowLossRows(UmbFlow flow, PetscInt b, const PetscReal y[], PetscInt ldy, const PetscReal zf[], PetscInt ldz, PetscReal scale, PetscReal *loss)
{
  const PetscInt   ng = flow->ng;
  const PetscReal *u;
  PetscReal        sum = 0;

  PetscFunctionBegin;
  PetscCall(UmbFlowReserve(flow, b));
  PetscCall(UmbFlowNLLRows(flow, b, y, ldy, zf, ldz, flow->nll));
  u = flow->V + (size_t)flow->ncoupling * flow->cap * ng;
  for (PetscInt i = 0; i < b; i++) { /* adjoints of u (scale u) and of the log-Jacobian (-scale) */
    for (PetscInt j = 0; j < ng; j++) flow->au[i * ng + j] = scale * u[i * ng + j];
    sum += flow->nll[i];
    flow->ald[i] = -scale;
  }
  *loss += scale * sum;
  PetscCall(UmbFlowBackwardRows(flow, b, flow->au, flow->ald, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CopyParameters(UmbFlow flow, PetscReal flat[], PetscBool out, PetscBool grad)
{
  PetscFunctionBegin;
  for (PetscInt l = 0; l < flow->ncoupling; l++) {
    PetscReal *theta, *g;
    PetscInt   np = flow->poff[l + 1] - flow->poff[l];
    PetscCall(UmbMLPGetParameters(flow->net[l], &theta, &g));
    if (grad) PetscCall(PetscArraycpy(flat + flow->poff[l], g, np));
    else if (out) PetscCall(PetscArraycpy(flat + flow->poff[l], theta, np));
    else PetscCall(PetscArraycpy(theta, flat + flow->poff[l], np));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowGetParameters(UmbFlow flow, PetscReal theta[])
{
  PetscFunctionBegin;
  PetscCall(CopyParameters(flow, theta, PETSC_TRUE, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowSetParameters(UmbFlow flow, const PetscReal theta[])
{
  PetscFunctionBegin;
  PetscCall(CopyParameters(flow, (PetscReal *)theta, PETSC_FALSE, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowGetGradient(UmbFlow flow, PetscReal grad[])
{
  PetscFunctionBegin;
  PetscCall(CopyParameters(flow, grad, PETSC_TRUE, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowZeroGradients(UmbFlow flow)
{
  PetscFunctionBegin;
  for (PetscInt l = 0; l < flow->ncoupling; l++) PetscCall(UmbMLPZeroGradients(flow->net[l]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

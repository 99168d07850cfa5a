/* Multilayer perceptrons on CBLAS: forward, backward, input gradient and its reverse (double
   backpropagation). Batched: every pass over a layer is one or two dgemm calls on all rows plus
   elementwise loops; no per-sample loops around BLAS.

   Notation for layer l (l = 1..L): a_l = h_{l-1} W_l^T + b_l, h_l = act(a_l), h_0 = x.
   Backward (adjoint G of h_l given): e_l = G * act'(a_l) (+ injected adjoints of a_l),
     dW_l += e_l^T h_{l-1}, db_l += column sums of e_l, adjoint of h_{l-1} = e_l W_l.
   Input gradient (delta_L = dY): e_l = delta_l * act'(a_l), delta_{l-1} = e_l W_l, G = delta_0.
   Its reverse, for an adjoint Gbar = dP/dG (= adjoint of delta_0), l = 1..L:
     ebar_l = deltabar_{l-1} W_l^T, dW_l += e_l^T deltabar_{l-1},
     abar_l = ebar_l * delta_l * act''(a_l)   (injected into the next Backward),
     deltabar_l = ebar_l * act'(a_l). */
#include <umbra/private/nnimpl.h>
#include <umbra/rng.h>
#include <cblas.h>

const char *const UmbActivations[] = {"identity", "leakyrelu", "tanh", "silu", "UmbActivation", "UMB_ACT_", NULL};

PetscErrorCode UmbMLPCreate(PetscInt nlayers, const PetscInt widths[], UmbActivation act, PetscReal slope, UmbMLP *mlp)
{
  UmbMLP   m;
  PetscInt off = 0;

  PetscFunctionBegin;
  PetscCheck(nlayers >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "a network needs at least one layer, got %" PetscInt_FMT, nlayers);
  for (PetscInt l = 0; l <= nlayers; l++) PetscCheck(widths[l] >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "layer width %" PetscInt_FMT " is %" PetscInt_FMT "; widths must be positive", l, widths[l]);
  PetscCall(PetscNew(&m));
  m->nlayers  = nlayers;
  m->act      = act;
  m->slope    = slope;
  m->training = PETSC_TRUE;
  PetscCall(PetscMalloc1(nlayers + 1, &m->widths));
  PetscCall(PetscArraycpy(m->widths, widths, nlayers + 1));
  for (PetscInt l = 0; l <= nlayers; l++) m->maxw = PetscMax(m->maxw, widths[l]);
  for (PetscInt l = 1; l <= nlayers; l++) m->nparams += widths[l] * widths[l - 1] + widths[l];
  PetscCall(PetscCalloc2(m->nparams, &m->theta, m->nparams, &m->grad));
  PetscCall(PetscCalloc1(nlayers, &m->layers));
  for (PetscInt l = 0; l < nlayers; l++) {
    UmbLayer *L = &m->layers[l];
    L->nin      = widths[l];
    L->nout     = widths[l + 1];
    L->act      = l + 1 < nlayers ? act : UMB_ACT_IDENTITY;
    L->W        = m->theta + off;
    L->dW       = m->grad + off;
    off += L->nin * L->nout;
    L->b  = m->theta + off;
    L->db = m->grad + off;
    off += L->nout;
  }
  *mlp = m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FreeWork(UmbMLP m)
{
  PetscFunctionBegin;
  for (PetscInt l = 0; l < m->nlayers; l++) {
    UmbLayer *L = &m->layers[l];
    if (L->H != L->A) PetscCall(PetscFree(L->H));
    PetscCall(PetscFree(L->A));
    PetscCall(PetscFree(L->S1));
    PetscCall(PetscFree(L->Dl));
    PetscCall(PetscFree(L->E));
    PetscCall(PetscFree(L->Abar));
    L->H = NULL;
  }
  PetscCall(PetscFree(m->X));
  PetscCall(PetscFree(m->work1));
  PetscCall(PetscFree(m->work2));
  m->cap = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPDestroy(UmbMLP *mlp)
{
  PetscFunctionBegin;
  if (!*mlp) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(FreeWork(*mlp));
  PetscCall(PetscFree2((*mlp)->theta, (*mlp)->grad));
  PetscCall(PetscFree((*mlp)->layers));
  PetscCall(PetscFree((*mlp)->widths));
  PetscCall(PetscFree(*mlp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPGetSizes(UmbMLP m, PetscInt *nin, PetscInt *nout, PetscInt *nparams)
{
  PetscFunctionBegin;
  if (nin) *nin = m->widths[0];
  if (nout) *nout = m->widths[m->nlayers];
  if (nparams) *nparams = m->nparams;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPGetLayers(UmbMLP m, PetscInt *nlayers, const PetscInt **widths, UmbActivation *act, PetscReal *slope)
{
  PetscFunctionBegin;
  if (nlayers) *nlayers = m->nlayers;
  if (widths) *widths = m->widths;
  if (act) *act = m->act;
  if (slope) *slope = m->slope;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPGetParameters(UmbMLP m, PetscReal **theta, PetscReal **grad)
{
  PetscFunctionBegin;
  if (theta) *theta = m->theta;
  if (grad) *grad = m->grad;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPGetLayerOffsets(UmbMLP m, PetscInt l, PetscInt *offW, PetscInt *offb)
{
  PetscFunctionBegin;
  PetscCheck(l >= 1 && l <= m->nlayers, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "layer %" PetscInt_FMT " not in 1..%" PetscInt_FMT, l, m->nlayers);
  if (offW) *offW = (PetscInt)(m->layers[l - 1].W - m->theta);
  if (offb) *offb = (PetscInt)(m->layers[l - 1].b - m->theta);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPInitialize(UmbMLP m, uint64_t seed, uint64_t id)
{
  UmbStream s;
  PetscInt  k = 0;

  PetscFunctionBegin;
  UmbStreamInit(&s, seed, UMB_STREAM_NN_INIT, id);
  for (PetscInt l = 0; l < m->nlayers; l++) {
    UmbLayer       *L     = &m->layers[l];
    const PetscReal bound = 1.0 / PetscSqrtReal((PetscReal)L->nin);
    const PetscInt  nw    = L->nin * L->nout;
    for (PetscInt i = 0; i < nw + L->nout; i++, k++) {
      double u[4];
      UmbStreamUniform4(&s, (uint64_t)k / 4, 0, 0, u);
      PetscReal *dst = i < nw ? &L->W[i] : &L->b[i - nw];
      *dst           = bound * (2 * u[k % 4] - 1);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPSetTraining(UmbMLP m, PetscBool training)
{
  PetscFunctionBegin;
  if (training && !m->training) PetscCall(FreeWork(m)); /* derivative buffers are allocated on demand */
  m->training = training;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPSetBatchCapacity(UmbMLP m, PetscInt cap)
{
  PetscFunctionBegin;
  if (cap <= m->cap) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(FreeWork(m));
  for (PetscInt l = 0; l < m->nlayers; l++) {
    UmbLayer      *L = &m->layers[l];
    const PetscInt sz = cap * L->nout;
    PetscCall(PetscMalloc1(sz, &L->A));
    if (L->act == UMB_ACT_IDENTITY) L->H = L->A;
    else PetscCall(PetscMalloc1(sz, &L->H));
    if (m->training) {
      if (L->act != UMB_ACT_IDENTITY) PetscCall(PetscMalloc1(sz, &L->S1));
      PetscCall(PetscMalloc1(sz, &L->Dl));
      PetscCall(PetscMalloc1(sz, &L->E));
      PetscCall(PetscMalloc1(sz, &L->Abar));
    }
  }
  PetscCall(PetscMalloc1(cap * m->widths[0], &m->X));
  PetscCall(PetscMalloc1(cap * m->maxw, &m->work1));
  PetscCall(PetscMalloc1(cap * m->maxw, &m->work2));
  m->cap = cap;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPZeroGradients(UmbMLP m)
{
  PetscFunctionBegin;
  PetscCall(PetscArrayzero(m->grad, m->nparams));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* h = act(a) and, when S1 is given, act'(a), for n values */
static void Activate(UmbActivation act, PetscReal slope, size_t n, const PetscReal *restrict a, PetscReal *restrict h, PetscReal *restrict s1)
{
  switch (act) {
  case UMB_ACT_IDENTITY:
    break;
  case UMB_ACT_LEAKYRELU:
    for (size_t i = 0; i < n; i++) h[i] = a[i] > 0 ? a[i] : slope * a[i];
    if (s1)
      for (size_t i = 0; i < n; i++) s1[i] = a[i] > 0 ? 1.0 : slope;
    break;
  case UMB_ACT_TANH:
    for (size_t i = 0; i < n; i++) h[i] = tanh(a[i]);
    if (s1)
      for (size_t i = 0; i < n; i++) s1[i] = 1 - h[i] * h[i];
    break;
  case UMB_ACT_SILU:
    for (size_t i = 0; i < n; i++) {
      const PetscReal s = 1 / (1 + exp(-a[i]));
      h[i]              = a[i] * s;
      if (s1) s1[i] = s * (1 + a[i] * (1 - s));
    }
    break;
  }
}

/* act''(a) for row values a (h = act(a)) */
static inline PetscReal Second(UmbActivation act, PetscReal a, PetscReal h)
{
  switch (act) {
  case UMB_ACT_TANH:
    return -2 * h * (1 - h * h);
  case UMB_ACT_SILU: {
    const PetscReal s = 1 / (1 + exp(-a));
    return s * (1 - s) * (2 + a * (1 - 2 * s));
  }
  default:
    return 0;
  }
}

PetscErrorCode UmbMLPForward(UmbMLP m, PetscInt B, const PetscReal X[], PetscReal Y[])
{
  const PetscReal *Hprev;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.nn_forward, 0, 0, 0, 0));
  PetscCall(UmbMLPSetBatchCapacity(m, B));
  m->B        = B;
  m->ig_nr    = 0;
  m->ig_done  = PETSC_FALSE;
  m->injected = PETSC_FALSE;
  PetscCall(PetscArraycpy(m->X, X, B * m->widths[0]));
  Hprev = m->X;
  for (PetscInt l = 0; l < m->nlayers; l++) {
    UmbLayer      *L = &m->layers[l];
    const PetscInt no = L->nout, ni = L->nin;
    for (PetscInt r = 0; r < B; r++) PetscCall(PetscArraycpy(L->A + r * no, L->b, no));
    if (B > 0) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)no, (int)ni, 1.0, Hprev, (int)ni, L->W, (int)ni, 1.0, L->A, (int)no);
    Activate(L->act, m->slope, (size_t)B * no, L->A, L->H, m->training ? L->S1 : NULL);
    Hprev = L->H;
  }
  if (Y) PetscCall(PetscArraycpy(Y, Hprev, B * m->widths[m->nlayers]));
  PetscCall(PetscLogEventEnd(UMB_EVENT.nn_forward, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPGetOutput(UmbMLP m, const PetscReal **Y)
{
  PetscFunctionBegin;
  *Y = m->layers[m->nlayers - 1].H;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* column sums of E (B x n) added to db, row after row (a fixed order) */
static void AddColumnSums(PetscInt B, PetscInt n, const PetscReal *restrict E, PetscReal *restrict db)
{
  for (PetscInt r = 0; r < B; r++) {
    const PetscReal *e = E + r * n;
    for (PetscInt j = 0; j < n; j++) db[j] += e[j];
  }
}

PetscBool UmbMLPInjects(UmbMLP m)
{
  for (PetscInt l = 0; l + 1 < m->nlayers; l++)
    if (m->layers[l].act == UMB_ACT_TANH || m->layers[l].act == UMB_ACT_SILU) return PETSC_TRUE;
  return PETSC_FALSE;
}

PetscErrorCode UmbMLPBackward(UmbMLP m, PetscInt B, const PetscReal dY[], PetscReal dX[], PetscBool param_grads)
{
  PetscReal *G = m->work1, *Gnext = m->work2;

  PetscFunctionBegin;
  PetscCheck(m->training, PETSC_COMM_SELF, PETSC_ERR_ORDER, "UmbMLPBackward needs training mode");
  PetscCheck(B <= m->B, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Backward on %" PetscInt_FMT " rows after a Forward on %" PetscInt_FMT, B, m->B);
  PetscCheck(!m->injected || m->ig_r0 + m->ig_nr <= B || !UmbMLPInjects(m), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Backward on %" PetscInt_FMT " rows would drop the adjoints injected in rows %" PetscInt_FMT "..%" PetscInt_FMT, B, m->ig_r0, m->ig_r0 + m->ig_nr);
  PetscCall(PetscLogEventBegin(UMB_EVENT.nn_backward, 0, 0, 0, 0));
  PetscCall(PetscArraycpy(G, dY, B * m->widths[m->nlayers]));
  for (PetscInt l = m->nlayers - 1; l >= 0; l--) {
    UmbLayer        *L = &m->layers[l];
    const PetscInt   no = L->nout, ni = L->nin;
    const PetscReal *Hprev = l ? m->layers[l - 1].H : m->X;
    /* G becomes the adjoint of a_l */
    if (L->S1) {
      const size_t n = (size_t)B * no;
      for (size_t i = 0; i < n; i++) G[i] *= L->S1[i];
    }
    if (m->injected && L->act != UMB_ACT_IDENTITY && L->act != UMB_ACT_LEAKYRELU) {
      const size_t n = (size_t)m->ig_nr * no, o = (size_t)m->ig_r0 * no;
      for (size_t i = 0; i < n; i++) G[o + i] += L->Abar[o + i];
    }
    if (param_grads && B > 0) {
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)no, (int)ni, (int)B, 1.0, G, (int)no, Hprev, (int)ni, 1.0, L->dW, (int)ni);
      AddColumnSums(B, no, G, L->db);
    }
    if (l > 0 || dX) {
      PetscReal *out = l > 0 ? Gnext : dX;
      if (B > 0) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)ni, (int)no, 1.0, G, (int)no, L->W, (int)ni, 0.0, out, (int)ni);
      if (l > 0) {
        PetscReal *t = G;
        G            = Gnext;
        Gnext        = t;
      }
    }
  }
  m->injected = PETSC_FALSE;
  m->ig_done  = PETSC_FALSE;
  m->ig_nr    = 0;
  PetscCall(PetscLogEventEnd(UMB_EVENT.nn_backward, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPInputGradient(UmbMLP m, PetscInt r0, PetscInt nr, const PetscReal dY[], PetscReal G[])
{
  PetscFunctionBegin;
  PetscCheck(m->training, PETSC_COMM_SELF, PETSC_ERR_ORDER, "UmbMLPInputGradient needs training mode");
  PetscCheck(r0 >= 0 && nr >= 0 && r0 + nr <= m->B, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "rows %" PetscInt_FMT "..%" PetscInt_FMT " outside the last Forward's %" PetscInt_FMT, r0, r0 + nr, m->B);
  PetscCall(PetscLogEventBegin(UMB_EVENT.nn_dblback, 0, 0, 0, 0));
  {
    UmbLayer *Lt = &m->layers[m->nlayers - 1];
    PetscCall(PetscArraycpy(Lt->Dl + r0 * Lt->nout, dY, nr * Lt->nout));
  }
  for (PetscInt l = m->nlayers - 1; l >= 0; l--) {
    UmbLayer       *L = &m->layers[l];
    const PetscInt  no = L->nout, ni = L->nin;
    const size_t    n = (size_t)nr * no, o = (size_t)r0 * no;
    const PetscReal *D = L->Dl + o;
    PetscReal      *E = L->E + o;
    PetscReal      *out = l > 0 ? m->layers[l - 1].Dl + (size_t)r0 * ni : G;
    if (L->S1)
      for (size_t i = 0; i < n; i++) E[i] = D[i] * L->S1[o + i];
    else PetscCall(PetscArraycpy(E, D, n));
    if (nr > 0) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nr, (int)ni, (int)no, 1.0, E, (int)no, L->W, (int)ni, 0.0, out, (int)ni);
  }
  m->ig_r0    = r0;
  m->ig_nr    = nr;
  m->ig_done  = PETSC_TRUE;
  m->injected = PETSC_FALSE;
  PetscCall(PetscLogEventEnd(UMB_EVENT.nn_dblback, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMLPInputGradientAdjoint(UmbMLP m, const PetscReal Gbar[])
{
  const PetscInt nr = m->ig_nr, r0 = m->ig_r0;
  PetscReal     *Dbar = m->work1, *Ebar = m->work2;

  PetscFunctionBegin;
  PetscCheck(m->ig_done, PETSC_COMM_SELF, PETSC_ERR_ORDER, "call UmbMLPInputGradient after the Forward first");
  PetscCall(PetscLogEventBegin(UMB_EVENT.nn_dblback, 0, 0, 0, 0));
  PetscCall(PetscArraycpy(Dbar, Gbar, nr * m->widths[0]));
  for (PetscInt l = 0; l < m->nlayers && nr > 0; l++) {
    UmbLayer      *L = &m->layers[l];
    const PetscInt no = L->nout, ni = L->nin;
    const size_t   n = (size_t)nr * no, o = (size_t)r0 * no;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nr, (int)no, (int)ni, 1.0, Dbar, (int)ni, L->W, (int)ni, 0.0, Ebar, (int)no);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)no, (int)ni, (int)nr, 1.0, L->E + o, (int)no, Dbar, (int)ni, 1.0, L->dW, (int)ni);
    if (l + 1 == m->nlayers) break; /* the output layer is linear: no abar, and deltabar_L is not needed */
    if (L->act == UMB_ACT_TANH || L->act == UMB_ACT_SILU)
      for (size_t i = 0; i < n; i++) L->Abar[o + i] = Ebar[i] * L->Dl[o + i] * Second(L->act, L->A[o + i], L->H[o + i]);
    if (L->S1)
      for (size_t i = 0; i < n; i++) Ebar[i] *= L->S1[o + i];
    {
      PetscReal *t = Dbar;
      Dbar         = Ebar;
      Ebar         = t;
    }
  }
  m->injected = PETSC_TRUE;
  m->ig_done  = PETSC_FALSE;
  PetscCall(PetscLogEventEnd(UMB_EVENT.nn_dblback, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

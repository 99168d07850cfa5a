/* UmbExact: exact references of the built-in models. This file holds what is common to all
   of them: availability, the grid (-exact_grid), the life cycle, and the collective writer of
   exact.csv. The formulas and quadratures live in exact_fastslow.c, exact_mullerbrown.c and
   exact_ring.c; docs/models.md ("Exact references") documents them. */
#include <umbra/private/exactimpl.h>
#include <umbra/io.h>

#define UMB_EXACT_MAX_POINTS 10000000 /* largest grid (all components together) */

PetscErrorCode UmbExactDescribeCV(UmbCV cv, char buf[], size_t len)
{
  UmbCVType   type;
  PetscInt    d;
  const char *n0, *n1 = NULL;

  PetscFunctionBegin;
  PetscCall(UmbCVGetType(cv, &type));
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbCVGetName(cv, 0, &n0));
  if (d > 1) PetscCall(UmbCVGetName(cv, 1, &n1));
  if (!strcmp(type, UMBCVLINEAR)) {
    UmbModel   model;
    PetscInt   n;
    PetscReal *x, *z, *J;
    size_t     used;

    /* the weights are the Jacobian of the linear CV (at any state) */
    PetscCall(UmbCVGetModel(cv, &model));
    PetscCall(UmbModelGetDimension(model, &n));
    PetscCall(PetscCalloc3(n, &x, d, &z, d * n, &J));
    PetscCall(UmbCVEvaluate(cv, 1, x, z, J));
    used = (size_t)snprintf(buf, len, "linear (w =");
    for (PetscInt k = 0; k < d * n && used < len; k++) used += (size_t)snprintf(buf + used, len - used, "%s%g", k ? (k % n ? ", " : "; ") : " ", (double)J[k]);
    if (used < len) snprintf(buf + used, len - used, ")");
    PetscCall(PetscFree3(x, z, J));
  } else if (d > 1) snprintf(buf, len, "%s (%s, %s)", type, n0, n1);
  else if (!strcmp(n0, type)) snprintf(buf, len, "%s", type);
  else snprintf(buf, len, "%s %s", type, n0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactAvailable(UmbCV cv, PetscBool *has, char why[], size_t len)
{
  UmbModel     model;
  UmbModelType mtype;
  char         cvdesc[256];

  PetscFunctionBegin;
  PetscCall(UmbCVGetModel(cv, &model));
  PetscCall(UmbModelGetType(model, &mtype));
  PetscCall(UmbExactDescribeCV(cv, cvdesc, sizeof(cvdesc)));
  *has = PETSC_FALSE;
  if (!strcmp(mtype, UMBMODELFASTSLOW)) PetscCall(UmbExactAvailable_FastSlow(cv, has, why, len));
  else if (!strcmp(mtype, UMBMODELMULLERBROWN)) PetscCall(UmbExactAvailable_MullerBrown(cv, has, why, len));
  else if (!strcmp(mtype, UMBMODELRING)) PetscCall(UmbExactAvailable_Ring(cv, has, why, len));
  else snprintf(why, len, "model %s with CV %s: exact references exist only for the built-in models fastslow, mullerbrown and ring", mtype, cvdesc);
  if (*has && len) why[0] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactCreate(UmbCV cv, UmbExact *out)
{
  UmbExact     e;
  UmbModelType mtype;
  PetscReal    period[2] = {0, 0};
  char         cvdesc[256];

  PetscFunctionBegin;
  PetscCall(PetscNew(&e));
  e->cv = cv;
  PetscCall(UmbCVGetModel(cv, &e->model));
  PetscCall(UmbModelGetComm(e->model, &e->comm));
  PetscCall(UmbModelGetType(e->model, &mtype));
  PetscCall(UmbModelGetBeta(e->model, &e->beta));
  PetscCall(UmbCVGetDimension(cv, &e->d));
  PetscCall(UmbCVGetPeriod(cv, period));
  PetscCall(UmbExactDescribeCV(cv, cvdesc, sizeof(cvdesc)));
  snprintf(e->what, sizeof(e->what), "model %s with CV %s", mtype, cvdesc);
  PetscCall(UmbExactAvailable(cv, &e->has, e->why, sizeof(e->why)));
  for (PetscInt a = 0; a < e->d; a++) { /* default grid; UmbExactSetGrid normally replaces it */
    e->lo[a]   = period[a] > 0 ? -period[a] / 2 : -1.5;
    e->hi[a]   = period[a] > 0 ? period[a] / 2 : 1.5;
    e->npts[a] = e->d > 1 ? 101 : 201;
  }
  *out = e;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Checks one component of a grid; what names the source of the values (an option or a call) */
static PetscErrorCode CheckGrid(UmbExact e, const char what[], PetscInt a, PetscReal lo, PetscReal hi, PetscReal n)
{
  char msg[512];

  PetscFunctionBegin;
  if (!(PetscIsNormalReal(lo) || lo == 0) || !(PetscIsNormalReal(hi) || hi == 0) || !(lo < hi)) {
    snprintf(msg, sizeof(msg), "%s: lo must be below hi (both finite), got lo%s = %g, hi%s = %g", what, a ? "2" : "", (double)lo, a ? "2" : "", (double)hi);
    SETERRQ(e->comm, PETSC_ERR_USER_INPUT, "%s", msg);
  }
  if (!(n >= 2 && n <= UMB_EXACT_MAX_POINTS && n == PetscFloorReal(n))) {
    snprintf(msg, sizeof(msg), "%s: the number of points n%s must be an integer from 2 to %d, got %g", what, a ? "2" : "", UMB_EXACT_MAX_POINTS, (double)n);
    SETERRQ(e->comm, PETSC_ERR_USER_INPUT, "%s", msg);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckGridSize(UmbExact e, const char what[], const PetscInt npts[])
{
  PetscFunctionBegin;
  if (e->d > 1) PetscCheck((double)npts[0] * (double)npts[1] <= UMB_EXACT_MAX_POINTS, e->comm, PETSC_ERR_USER_INPUT, "%s: %" PetscInt_FMT " x %" PetscInt_FMT " points are more than the %d a grid may have", what, npts[0], npts[1], UMB_EXACT_MAX_POINTS);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactSetGrid(UmbExact e, const PetscReal range[], const PetscInt npts[])
{
  PetscFunctionBegin;
  for (PetscInt a = 0; a < e->d; a++) PetscCall(CheckGrid(e, "UmbExactSetGrid", a, range[2 * a], range[2 * a + 1], (PetscReal)npts[a]));
  PetscCall(CheckGridSize(e, "UmbExactSetGrid", npts));
  for (PetscInt a = 0; a < e->d; a++) {
    e->lo[a]   = range[2 * a];
    e->hi[a]   = range[2 * a + 1];
    e->npts[a] = npts[a];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Never fails for lack of an exact reference: every command reads every option */
PetscErrorCode UmbExactSetFromOptions(UmbExact e)
{
  PetscReal g[7]; /* one more than a 2-D grid needs, so that too many values are noticed */
  PetscInt  ng = 7, npts[2] = {0, 0};
  PetscBool set;

  PetscFunctionBegin;
  for (PetscInt a = 0; a < e->d; a++) {
    g[3 * a]     = e->lo[a];
    g[3 * a + 1] = e->hi[a];
    g[3 * a + 2] = (PetscReal)e->npts[a];
  }
  PetscOptionsBegin(e->comm, NULL, "Exact reference options", "UmbExact");
  PetscCall(PetscOptionsRealArray("-exact_grid", "Grid of the exact reference: lo,hi,n per CV component", "UmbExactSetFromOptions", g, &ng, &set));
  PetscOptionsEnd();
  if (set) {
    PetscCheck(ng == 3 * e->d, e->comm, PETSC_ERR_USER_INPUT, "-exact_grid needs %" PetscInt_FMT " values (%s) for this %" PetscInt_FMT "-D CV, got %" PetscInt_FMT, 3 * e->d, e->d > 1 ? "lo,hi,n,lo2,hi2,n2" : "lo,hi,n", e->d, ng);
    for (PetscInt a = 0; a < e->d; a++) PetscCall(CheckGrid(e, "-exact_grid", a, g[3 * a], g[3 * a + 1], g[3 * a + 2]));
    for (PetscInt a = 0; a < e->d; a++) npts[a] = (PetscInt)g[3 * a + 2];
    PetscCall(CheckGridSize(e, "-exact_grid", npts));
    for (PetscInt a = 0; a < e->d; a++) {
      e->lo[a]   = g[3 * a];
      e->hi[a]   = g[3 * a + 1];
      e->npts[a] = npts[a];
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactSetUp(UmbExact e)
{
  UmbModelType mtype;

  PetscFunctionBegin;
  if (e->setup) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(e->has, e->comm, PETSC_ERR_USER_INPUT, "no exact reference for %s", e->why);
  PetscCall(UmbModelGetBeta(e->model, &e->beta));
  e->ws_limit = UMB_EXACT_WS_LIMIT;
  e->ws       = gsl_integration_workspace_alloc(e->ws_limit);
  PetscCheck(e->ws, PETSC_COMM_SELF, PETSC_ERR_MEM, "cannot allocate a GSL integration workspace");
  PetscCall(UmbModelGetType(e->model, &mtype));
  if (!strcmp(mtype, UMBMODELFASTSLOW)) PetscCall(UmbExactSetUp_FastSlow(e));
  else if (!strcmp(mtype, UMBMODELMULLERBROWN)) PetscCall(UmbExactSetUp_MullerBrown(e));
  else if (!strcmp(mtype, UMBMODELRING)) PetscCall(UmbExactSetUp_Ring(e));
  else SETERRQ(e->comm, PETSC_ERR_PLIB, "no exact set-up for model %s", mtype);
  PetscCheck(e->ops.evaluate, e->comm, PETSC_ERR_PLIB, "exact reference of %s has no evaluator", e->what);
  e->setup = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactDestroy(UmbExact *ep)
{
  UmbExact e = *ep;

  PetscFunctionBegin;
  if (!e) PetscFunctionReturn(PETSC_SUCCESS);
  if (e->ops.destroy) PetscCall((*e->ops.destroy)(e));
  if (e->ws) gsl_integration_workspace_free(e->ws);
  for (PetscInt i = 0; i < e->nobs; i++) PetscCall(PetscFree(e->obs[i]));
  PetscCall(PetscFree(e->obs));
  PetscCall(PetscFree(*ep));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactSetObservableCount(UmbExact e, PetscInt nobs)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < e->nobs; i++) PetscCall(PetscFree(e->obs[i]));
  PetscCall(PetscFree(e->obs));
  e->nobs = nobs;
  if (nobs) PetscCall(PetscCalloc1(nobs, &e->obs));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactSetObservableName(UmbExact e, PetscInt i, const char name[])
{
  PetscFunctionBegin;
  PetscCheck(i >= 0 && i < e->nobs, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "observable %" PetscInt_FMT " outside 0..%" PetscInt_FMT, i, e->nobs - 1);
  PetscCall(PetscFree(e->obs[i]));
  PetscCall(PetscStrallocpy(name, &e->obs[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactGetObservables(UmbExact e, PetscInt *nobs, const char *const **names)
{
  PetscFunctionBegin;
  PetscCheck(e->setup, PETSC_COMM_SELF, PETSC_ERR_ORDER, "call UmbExactSetUp() first");
  if (nobs) *nobs = e->nobs;
  if (names) *names = (const char *const *)e->obs;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactEvaluate(UmbExact e, const PetscReal z[], PetscReal *F, PetscReal obs[])
{
  PetscFunctionBegin;
  PetscCheck(e->setup, PETSC_COMM_SELF, PETSC_ERR_ORDER, "call UmbExactSetUp() first");
  PetscCall((*e->ops.evaluate)(e, z, F, obs));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Grid point k (the first component varies slowest): z[a] = ((n - 1 - i) lo + i hi)/(n - 1), exact at both ends */
static void GridPoint(UmbExact e, PetscInt k, PetscReal z[])
{
  PetscInt i[2];

  if (e->d > 1) {
    i[0] = k / e->npts[1];
    i[1] = k % e->npts[1];
  } else i[0] = k;
  for (PetscInt a = 0; a < e->d; a++) z[a] = ((PetscReal)(e->npts[a] - 1 - i[a]) * e->lo[a] + (PetscReal)i[a] * e->hi[a]) / (PetscReal)(e->npts[a] - 1);
}

/* Records the first error raised while this handler is pushed, instead of the umbra handler:
   a failure on one rank is then reported by every rank with the same message. */
typedef struct {
  PetscErrorCode code;
  char           message[1024];
} CaughtError;

static PetscErrorCode CatchError(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  CaughtError *c = (CaughtError *)ctx;
  if (p == PETSC_ERROR_INITIAL && !c->code) {
    c->code = n;
    if (mess && mess[0] && strcmp(mess, " ")) snprintf(c->message, sizeof(c->message), "%s", mess);
    else snprintf(c->message, sizeof(c->message), "error %d in %s()", (int)n, fun ? fun : "?");
  }
  return n;
}

PetscErrorCode UmbExactWriteCsv(UmbExact e, const char path[])
{
  PetscMPIInt  rank, size, *counts = NULL, *displs = NULL, cnt, fail_rank, first;
  PetscInt     N, klo, khi, stride;
  PetscReal   *loc, *all = NULL, z[2];
  CaughtError  caught = {0, ""};
  UmbCsv       csv;
  char        *line = NULL, *header;
  size_t       hlen, llen;

  PetscFunctionBegin;
  PetscCall(UmbExactSetUp(e));
  PetscCallMPI(MPI_Comm_rank(e->comm, &rank));
  PetscCallMPI(MPI_Comm_size(e->comm, &size));
  N      = e->npts[0] * (e->d > 1 ? e->npts[1] : 1);
  stride = 1 + e->nobs;
  UmbLayoutRange(N, size, rank, &klo, &khi);
  PetscCall(PetscMalloc1(PetscMax(1, (khi - klo) * stride), &loc));

  /* evaluation of this rank's points; an error is caught and shared below */
  PetscCall(PetscLogEventBegin(UMB_EVENT.exact_quad, 0, 0, 0, 0));
  PetscCall(PetscPushErrorHandler(CatchError, &caught));
  for (PetscInt k = klo; k < khi && !caught.code; k++) {
    PetscErrorCode ierr;
    GridPoint(e, k, z);
    ierr = UmbExactEvaluate(e, z, &loc[(k - klo) * stride], e->nobs ? &loc[(k - klo) * stride + 1] : NULL); /* not PetscCall: caught */
    if (!ierr && PetscIsInfOrNanReal(loc[(k - klo) * stride])) {
      caught.code = PETSC_ERR_FP;
      snprintf(caught.message, sizeof(caught.message), "beta F is not finite (%g)", (double)loc[(k - klo) * stride]);
    }
    if (ierr || caught.code) {
      char msg[sizeof(caught.message)];
      if (!caught.code) caught.code = ierr;
      if (e->d > 1) snprintf(msg, sizeof(msg), "exact reference of %s failed at z = (%g, %g): %.500s", e->what, (double)z[0], (double)z[1], caught.message);
      else snprintf(msg, sizeof(msg), "exact reference of %s failed at z = %g: %.500s", e->what, (double)z[0], caught.message);
      memcpy(caught.message, msg, sizeof(msg));
    }
  }
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscLogEventEnd(UMB_EVENT.exact_quad, 0, 0, 0, 0));

  /* every rank stops with the message of the lowest failed rank */
  first = caught.code ? rank : size;
  PetscCallMPI(MPI_Allreduce(&first, &fail_rank, 1, MPI_INT, MPI_MIN, e->comm));
  if (fail_rank < size) {
    int code = (int)caught.code;
    PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, fail_rank, e->comm));
    PetscCallMPI(MPI_Bcast(caught.message, sizeof(caught.message), MPI_CHAR, fail_rank, e->comm));
    PetscCall(PetscFree(loc));
    SETERRQ(e->comm, (PetscErrorCode)code, "%s", caught.message);
  }

  /* gather to rank 0 in grid order: the same numbers at any rank count */
  PetscCall(PetscMPIIntCast((khi - klo) * stride, &cnt));
  if (!rank) {
    PetscCall(PetscMalloc3(N * stride, &all, size, &counts, size, &displs));
    for (PetscMPIInt r = 0; r < size; r++) {
      PetscInt lo, hi;
      UmbLayoutRange(N, size, r, &lo, &hi);
      PetscCall(PetscMPIIntCast((hi - lo) * stride, &counts[r]));
      PetscCall(PetscMPIIntCast(lo * stride, &displs[r]));
    }
  }
  PetscCallMPI(MPI_Gatherv(loc, cnt, MPIU_REAL, all, counts, displs, MPIU_REAL, 0, e->comm));
  PetscCall(PetscFree(loc));

  /* header z[,z2],F,<observables> */
  hlen = 16;
  for (PetscInt i = 0; i < e->nobs; i++) hlen += strlen(e->obs[i]) + 1;
  PetscCall(PetscMalloc1(hlen, &header));
  snprintf(header, hlen, "%s", e->d > 1 ? "z,z2,F" : "z,F");
  for (PetscInt i = 0; i < e->nobs; i++) {
    PetscCall(UmbStrlcat(header, ",", hlen));
    PetscCall(UmbStrlcat(header, e->obs[i], hlen));
  }
  PetscCall(UmbCsvCreate(e->comm, path, header, &csv));
  PetscCall(PetscFree(header));
  if (!rank) {
    PetscReal Fmin = PETSC_MAX_REAL;
    PetscInt  kmin = 0;
    for (PetscInt k = 0; k < N; k++)
      if (all[k * stride] < Fmin) {
        Fmin = all[k * stride];
        kmin = k;
      }
    llen = (size_t)(stride + 2) * 32;
    PetscCall(PetscMalloc1(llen, &line));
    for (PetscInt k = 0; k < N; k++) {
      size_t used;
      GridPoint(e, k, z);
      used = (size_t)snprintf(line, llen, "%.15g", (double)z[0]);
      if (e->d > 1) used += (size_t)snprintf(line + used, llen - used, ",%.15g", (double)z[1]);
      used += (size_t)snprintf(line + used, llen - used, ",%.15g", (double)(all[k * stride] - Fmin));
      for (PetscInt i = 0; i < e->nobs; i++) used += (size_t)snprintf(line + used, llen - used, ",%.15g", (double)all[k * stride + 1 + i]);
      PetscCall(UmbCsvRow(csv, "%s", line));
    }
    GridPoint(e, kmin, z);
    if (e->d > 1) PetscCall(UmbLog(PETSC_COMM_SELF, "exact: %s, %" PetscInt_FMT " x %" PetscInt_FMT " points on [%g, %g] x [%g, %g], F minimal at (%g, %g)", e->what, e->npts[0], e->npts[1], (double)e->lo[0], (double)e->hi[0], (double)e->lo[1], (double)e->hi[1], (double)z[0], (double)z[1]));
    else PetscCall(UmbLog(PETSC_COMM_SELF, "exact: %s, %" PetscInt_FMT " points on [%g, %g], F minimal at %g", e->what, e->npts[0], (double)e->lo[0], (double)e->hi[0], (double)z[0]));
    PetscCall(PetscFree(line));
    PetscCall(PetscFree3(all, counts, displs));
  }
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

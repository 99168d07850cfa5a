/* The conditional normalizing flow against an independent PyTorch implementation of the same
   model (tests/t523-flow-torch.py, float64, its own spline code written from docs/flow.md), to
   round-off. Flows are built without training (random non-zero parameters in every layer, so
   every spline bends) for 1-, 2- and 3-D generated coordinates, tanh, SiLU and leaky ReLU
   conditioners, and a 2-D CV with one periodic component. umbra writes the architecture, the
   flat parameters, the standardisation, the CV values z and a batch of standardised y, full
   states x and base noise e to torch_flow_in.h5; the peer computes the conditioning features,
   u = T(y; z), the log-Jacobian, the batch's mean NLL, its gradient in every parameter and in y
   (autograd), the inverse y = T^-1(e; z) with its log-Jacobian, log q(x | z) and the pushed-
   forward states, and writes them to torch_flow_out.h5, which this test compares.

   Tolerances. Both sides evaluate the same formulas in double precision in different operation
   orders (BLAS GEMM vs torch's matmul, softmax and cumulative sums, log of a product vs sum of
   logs), so values differ by a few ulp times the conditioning of the stack: with 3-4 layers of
   O(1) slopes that is ~1e-14 relative; the bound 1e-12 |ref| + 1e-13 max |ref| leaves room for
   a steep spline (slopes down to the 1e-3 minimum amplify input errors by up to 1e3). Gradients
   are sums over the batch of terms of both signs, passed back through every layer: cancellation
   loses up to ~3 more digits on single components, hence 1e-10 |ref| + 1e-12 max |ref|.
   Measured: at most 9e-14 for values, 4.4e-13 for gradients (the notes print both).
   Any difference of definition changes values at 1e-3 or more and fails; checked by breaking
   umbra on purpose: the log-Jacobian's sign in the spline or in the NLL, the bins' minimum
   (1 - K min -> 1 - min in the softmax, or a minimum height of 2e-3), the softplus shift that
   makes raw 0 the unit slope, the coupling masks' parity, and one dropped term of the spline's
   backward pass each fail 7 to 40 checks.
   Skips (exit 77) only if /usr/bin/python3 cannot import torch and h5py. */
// TEST: nsize=1
#include "tap.h"
#include <umbra/private/flowimpl.h>
#include <umbra/private/generatorcommon.h>
#include <sys/wait.h>

#define NB 16 /* rows per batch */

typedef struct {
  const char   *name, *opts;
  UmbActivation act;
  PetscInt      ncoupling, fourier;
  PetscReal     period2;   /* > 0: the second CV component is periodic with this period */
  PetscInt      harmonics; /* of the periodic component */
  uint64_t      seed;
} Spec;

typedef struct {
  UmbModel  model;
  UmbCV     cv;
  UmbFlow   flow;
  PetscReal y[NB * 3], z[NB * 2], x[NB * 4], e[NB * 3];
} Case;

static PetscReal worst_value = 0, worst_grad = 0;

static PetscReal Uniform(UmbStream *s, uint64_t i, uint64_t j)
{
  double u[4];
  UmbStreamUniform4(s, i, j, 0, u);
  return (PetscReal)u[0];
}

static PetscErrorCode WriteVec(UmbH5 h5, const char *g, const char *name, PetscInt n, const PetscReal *v)
{
  char    path[256];
  hsize_t dims[1] = {(hsize_t)n};

  PetscFunctionBegin;
  snprintf(path, sizeof(path), "%s/%s", g, name);
  PetscCall(UmbH5WriteSmall(h5, path, H5T_NATIVE_DOUBLE, 1, dims, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadVec(UmbH5 h5, const char *g, const char *name, PetscInt n, PetscReal *v)
{
  char    path[256];
  int     rank;
  hsize_t dims[3];

  PetscFunctionBegin;
  snprintf(path, sizeof(path), "%s/%s", g, name);
  PetscCall(UmbH5GetShape(h5, path, &rank, dims));
  PetscCheck(rank == 1 && dims[0] == (hsize_t)n, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s in the peer's output: expected %d values", path, (int)n);
  PetscCall(UmbH5ReadSmall(h5, path, H5T_NATIVE_DOUBLE, (size_t)n, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The flow of a spec (as t521's MakeFlow): architecture, standardisation, random parameters;
   the batch: z inside the trained range, y across the spline interval and into both tails */
static PetscErrorCode Setup(const Spec *sp, Case *c)
{
  UmbFlow    flow;
  PetscReal *theta;
  UmbStream  s;

  PetscFunctionBegin;
  PetscCall(PetscOptionsClearValue(NULL, "-cv_index"));
  PetscCall(PetscOptionsInsertString(NULL, sp->opts));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, &c->model));
  PetscCall(UmbModelSetFromOptions(c->model));
  PetscCall(UmbModelSetUp(c->model));
  PetscCall(UmbCVCreate(c->model, &c->cv));
  PetscCall(UmbCVSetFromOptions(c->cv));
  PetscCall(UmbCVSetUp(c->cv));
  PetscCall(UmbFlowCreate(c->cv, &c->flow));
  flow = c->flow;
  PetscCheck(flow->ng <= 3 && flow->n <= 4 && flow->d <= 2, PETSC_COMM_SELF, PETSC_ERR_PLIB, "case %s is larger than the test's buffers", sp->name);
  if (sp->period2 > 0) flow->period[1] = sp->period2; /* no coordinate CV is periodic: exercise the features' periodic branch */
  flow->fourier   = sp->fourier;
  flow->harmonics = sp->harmonics;
  flow->dz        = UmbFeatureDim(flow->d, flow->period, flow->fourier, flow->harmonics);
  flow->ncoupling    = sp->ncoupling;
  flow->nhidden      = 2;
  flow->hidden[0]    = 11;
  flow->hidden[1]    = 9;
  flow->act          = sp->act;
  flow->spline.K     = 6;
  flow->spline.bound = 3;
  flow->seed         = (PetscInt64)sp->seed;
  PetscCall(UmbFlowBuildNetworks(flow));
  PetscCall(PetscMalloc1(flow->ng, &flow->ymean));
  PetscCall(PetscMalloc1(flow->ng, &flow->ysd));
  for (PetscInt j = 0; j < flow->ng; j++) {
    flow->ymean[j] = 0.3 * j - 0.2;
    flow->ysd[j]   = 0.8 + 0.1 * j;
  }
  for (PetscInt a = 0; a < flow->d; a++) {
    flow->zmean[a] = 0.1 - 0.2 * a;
    flow->zsd[a]   = 0.9 + 0.2 * a;
    flow->zlo[a]   = -1.5;
    flow->zhi[a]   = 1.5 + a;
  }
  PetscCall(PetscMalloc1(flow->nparams, &theta));
  UmbStreamInit(&s, sp->seed, UMB_STREAM_TEST, 2);
  for (PetscInt i = 0; i < flow->nparams; i++) theta[i] = 0.8 * (2 * Uniform(&s, (uint64_t)i, 0) - 1);
  PetscCall(UmbFlowSetParameters(flow, theta));
  PetscCall(PetscFree(theta));
  UmbStreamInit(&s, sp->seed, UMB_STREAM_TEST, 3);
  for (PetscInt i = 0; i < NB; i++) {
    for (PetscInt a = 0; a < flow->d; a++) c->z[i * flow->d + a] = -1.4 + (2.8 + a) * Uniform(&s, (uint64_t)i, 100 + (uint64_t)a);
    for (PetscInt j = 0; j < flow->ng; j++) c->y[i * flow->ng + j] = -3.4 + 6.8 * Uniform(&s, (uint64_t)i, (uint64_t)j);
  }
  UmbStreamGaussian(&s, 1, 0, (int)(NB * flow->ng), c->e);
  c->y[0] = 3.7; /* in the upper tail of the first layer */
  c->y[flow->ng] = -3.2;
  c->e[0] = 3.5; /* the inverse through a tail */
  for (PetscInt i = 0; i < NB; i++) {
    for (PetscInt j = 0; j < flow->ng; j++) c->x[i * flow->n + flow->space.idx[j]] = flow->ymean[j] + flow->ysd[j] * c->y[i * flow->ng + j];
    for (PetscInt a = 0; a < flow->d; a++) c->x[i * flow->n + flow->space.cvidx[a]] = c->z[i * flow->d + a];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteInput(const Spec *sp, Case *c, UmbH5 h5)
{
  UmbFlow         flow = c->flow;
  const PetscReal mins[3] = {flow->spline.min_width, flow->spline.min_height, flow->spline.min_derivative};
  char            layers[64], g[64];
  PetscReal      *theta;

  PetscFunctionBegin;
  snprintf(g, sizeof(g), "/%s", sp->name);
  snprintf(layers, sizeof(layers), "%d,%d", (int)flow->hidden[0], (int)flow->hidden[1]);
  PetscCall(UmbH5WriteAttrString(h5, g, "layers", layers));
  PetscCall(UmbH5WriteAttrString(h5, g, "activation", UmbActivations[flow->act]));
  PetscCall(UmbH5WriteAttrReals(h5, g, "leaky_slope", 1, &flow->slope));
  PetscCall(UmbH5WriteAttrInt(h5, g, "couplings", flow->ncoupling));
  PetscCall(UmbH5WriteAttrInt(h5, g, "bins", flow->spline.K));
  PetscCall(UmbH5WriteAttrReals(h5, g, "bound", 1, &flow->spline.bound));
  PetscCall(UmbH5WriteAttrReals(h5, g, "minimums", 3, mins));
  PetscCall(UmbH5WriteAttrInt(h5, g, "fourier", flow->fourier));
  PetscCall(UmbH5WriteAttrInt(h5, g, "harmonics", flow->harmonics));
  PetscCall(UmbH5WriteAttrInt(h5, g, "n", flow->n));
  PetscCall(UmbH5WriteAttrInt(h5, g, "ng", flow->ng));
  PetscCall(UmbH5WriteAttrInt(h5, g, "d", flow->d));
  PetscCall(UmbH5WriteAttrInt(h5, g, "dz", flow->dz));
  PetscCall(UmbH5WriteAttrInt(h5, g, "batch", NB));
  PetscCall(UmbH5WriteAttrReals(h5, g, "period", flow->d, flow->period));
  PetscCall(UmbH5WriteAttrReals(h5, g, "z_mean", flow->d, flow->zmean));
  PetscCall(UmbH5WriteAttrReals(h5, g, "z_sd", flow->d, flow->zsd));
  PetscCall(UmbH5WriteAttrReals(h5, g, "z_lo", flow->d, flow->zlo));
  PetscCall(UmbH5WriteAttrReals(h5, g, "z_hi", flow->d, flow->zhi));
  { /* which coordinates of x are generated and which are the CV */
    PetscReal gi[3], ci[2];
    for (PetscInt j = 0; j < flow->ng; j++) gi[j] = (PetscReal)flow->space.idx[j];
    for (PetscInt a = 0; a < flow->d; a++) ci[a] = (PetscReal)flow->space.cvidx[a];
    PetscCall(UmbH5WriteAttrReals(h5, g, "generated_index", flow->ng, gi));
    PetscCall(UmbH5WriteAttrReals(h5, g, "cv_index", flow->d, ci));
  }
  PetscCall(PetscMalloc1(flow->nparams, &theta));
  PetscCall(UmbFlowGetParameters(flow, theta));
  PetscCall(WriteVec(h5, g, "theta", flow->nparams, theta));
  PetscCall(PetscFree(theta));
  PetscCall(WriteVec(h5, g, "y_mean", flow->ng, flow->ymean));
  PetscCall(WriteVec(h5, g, "y_sd", flow->ng, flow->ysd));
  PetscCall(WriteVec(h5, g, "y", NB * flow->ng, c->y));
  PetscCall(WriteVec(h5, g, "z", NB * flow->d, c->z));
  PetscCall(WriteVec(h5, g, "x", NB * flow->n, c->x));
  PetscCall(WriteVec(h5, g, "e", NB * flow->ng, c->e));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* |a - b| <= rtol |b| + atol max |b| for every entry; notes the largest relative difference */
static PetscErrorCode Compare(const char *cname, const char *what, PetscInt n, const PetscReal a[], const PetscReal b[], PetscReal rtol, PetscReal atol, PetscReal *worst)
{
  PetscReal scale = 0, maxrel = 0;
  PetscInt  bad = 0, first = -1;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) scale = PetscMax(scale, PetscAbsReal(b[i]));
  for (PetscInt i = 0; i < n; i++) {
    const PetscReal err = PetscAbsReal(a[i] - b[i]);
    if (!(err <= rtol * PetscAbsReal(b[i]) + atol * scale)) {
      if (first < 0) first = i;
      bad++;
    }
    maxrel = PetscMax(maxrel, err / (PetscAbsReal(b[i]) + atol / rtol * scale + PETSC_SMALL * PETSC_SMALL));
  }
  *worst = PetscMax(*worst, maxrel);
  UMB_NOTE("%s %s: %d values, max relative difference %.3g%s", cname, what, (int)n, (double)maxrel, bad ? " MISMATCH" : "");
  UMB_CHECK(!bad, "%s %s: %d of %d values differ beyond %.0e relative, first [%d]: umbra %.17g, torch %.17g", cname, what, (int)bad, (int)n, (double)rtol, (int)first, first >= 0 ? (double)a[first] : 0.0, first >= 0 ? (double)b[first] : 0.0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Check(const Spec *sp, Case *c, UmbH5 out)
{
  UmbFlow         flow = c->flow;
  const PetscInt  ng = flow->ng, np = flow->nparams;
  const PetscReal RV = 1e-12, AV = 1e-13, RG = 1e-10, AG = 1e-12;
  PetscReal      *zf, *u, *ld, *dy, *au, *ald, *grad, *yi, *ldi, *logq, *xg, *logqg, *ref, L = 0;
  char            g[64];

  PetscFunctionBegin;
  snprintf(g, sizeof(g), "/%s", sp->name);
  PetscCall(PetscMalloc6(NB * flow->dz, &zf, NB * ng, &u, NB, &ld, NB * ng, &dy, NB * ng, &au, NB, &ald));
  PetscCall(PetscMalloc6(np, &grad, NB * ng, &yi, NB, &ldi, NB, &logq, NB * flow->n, &xg, NB, &logqg));
  PetscCall(PetscMalloc1(PetscMax(np, NB * flow->n) + NB * flow->dz, &ref));
  UmbFlowFeatures(flow, NB, c->z, zf);
  PetscCall(ReadVec(out, g, "zf", NB * flow->dz, ref));
  PetscCall(Compare(sp->name, "features", NB * flow->dz, zf, ref, RV, AV, &worst_value));
  /* d(mean NLL)/dy through the backward pass of the forward rows */
  PetscCall(UmbFlowSetTraining(flow, PETSC_TRUE));
  PetscCall(UmbFlowZeroGradients(flow));
  PetscCall(UmbFlowForwardRows(flow, NB, c->y, ng, zf, flow->dz, u, ld));
  for (PetscInt i = 0; i < NB; i++) {
    for (PetscInt j = 0; j < ng; j++) au[i * ng + j] = u[i * ng + j] / NB;
    ald[i] = -1.0 / NB;
  }
  PetscCall(UmbFlowBackwardRows(flow, NB, au, ald, dy));
  PetscCall(ReadVec(out, g, "u", NB * ng, ref));
  PetscCall(Compare(sp->name, "u = T(y; z)", NB * ng, u, ref, RV, AV, &worst_value));
  PetscCall(ReadVec(out, g, "logdet", NB, ref));
  PetscCall(Compare(sp->name, "log-Jacobian", NB, ld, ref, RV, AV, &worst_value));
  PetscCall(ReadVec(out, g, "dnll_dy", NB * ng, ref));
  PetscCall(Compare(sp->name, "d NLL / dy", NB * ng, dy, ref, RG, AG, &worst_grad));
  /* the training loss: mean NLL of the batch and its gradient */
  PetscCall(UmbFlowZeroGradients(flow));
  PetscCall(UmbFlowLossRows(flow, NB, c->y, ng, zf, flow->dz, 1.0 / NB, &L));
  PetscCall(UmbFlowGetGradient(flow, grad));
  PetscCall(ReadVec(out, g, "nll", 1, ref));
  PetscCall(Compare(sp->name, "mean NLL", 1, &L, ref, RV, AV, &worst_value));
  PetscCall(ReadVec(out, g, "grad", np, ref));
  PetscCall(Compare(sp->name, "NLL gradient", np, grad, ref, RG, AG, &worst_grad));
  PetscCall(UmbFlowSetTraining(flow, PETSC_FALSE));
  /* the inverse and the densities in original units */
  PetscCall(UmbFlowInverseRows(flow, NB, c->e, zf, flow->dz, yi, ldi));
  PetscCall(ReadVec(out, g, "y_inverse", NB * ng, ref));
  PetscCall(Compare(sp->name, "y = T^-1(e; z)", NB * ng, yi, ref, RV, AV, &worst_value));
  PetscCall(ReadVec(out, g, "logdet_inverse", NB, ref));
  PetscCall(Compare(sp->name, "log-Jacobian at T^-1(e; z)", NB, ldi, ref, RV, AV, &worst_value));
  PetscCall(UmbFlowLogDensity(flow, NB, c->z, c->x, logq, NULL));
  PetscCall(ReadVec(out, g, "logq", NB, ref));
  PetscCall(Compare(sp->name, "log q(x | z)", NB, logq, ref, RV, AV, &worst_value));
  PetscCall(UmbFlowPushForward(flow, NB, c->z, c->e, xg, logqg));
  PetscCall(ReadVec(out, g, "x_push", NB * flow->n, ref));
  PetscCall(Compare(sp->name, "pushed-forward states", NB * flow->n, xg, ref, RV, AV, &worst_value));
  PetscCall(ReadVec(out, g, "logq_push", NB, ref));
  PetscCall(Compare(sp->name, "log q of the pushed-forward states", NB, logqg, ref, RV, AV, &worst_value));
  UMB_NOTE("%s: %d parameters, mean NLL %.10g", sp->name, (int)np, (double)L);
  PetscCall(PetscFree6(zf, u, ld, dy, au, ald));
  PetscCall(PetscFree6(grad, yi, ldi, logq, xg, logqg));
  PetscCall(PetscFree(ref));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Teardown(Case *c)
{
  PetscFunctionBegin;
  PetscCall(UmbFlowDestroy(&c->flow));
  PetscCall(UmbCVDestroy(&c->cv));
  PetscCall(UmbModelDestroy(&c->model));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  static const Spec specs[] = {
    {"y1_tanh", "-model fastslow -fastslow_m 1 -cv coord -cv_index 0", UMB_ACT_TANH, 3, 3, 0, 1, 1},
    {"y2_silu", "-model fastslow -fastslow_m 2 -cv coord -cv_index 0", UMB_ACT_SILU, 4, 3, 0, 1, 2},
    {"y3_leakyrelu", "-model fastslow -fastslow_m 3 -cv coord -cv_index 0", UMB_ACT_LEAKYRELU, 4, 3, 0, 1, 3},
    {"y2_z2_tanh", "-model fastslow -fastslow_m 3 -cv coord -cv_index 2,0", UMB_ACT_TANH, 3, 2, 2.5, 3, 4},
  };
  const PetscInt nspec = (PetscInt)(sizeof(specs) / sizeof(specs[0]));
  Case           cases[4];
  PetscErrorCode ierr;
  UmbH5          h5;
  int            rc = 0;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(UmbH5Create(PETSC_COMM_WORLD, "torch_flow_in.h5", "test", &h5));
  for (PetscInt k = 0; k < nspec; k++) {
    PetscCall(Setup(&specs[k], &cases[k]));
    PetscCall(WriteInput(&specs[k], &cases[k], h5));
  }
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));
  {
    const char *src = getenv("SRCDIR"), *py = getenv("PYTHON");
    char        cmd[PETSC_MAX_PATH_LEN * 2];
    int         st;
    snprintf(cmd, sizeof(cmd), "%s %s/tests/t523-flow-torch.py torch_flow_in.h5 torch_flow_out.h5", py && py[0] ? py : "/usr/bin/python3", src && src[0] ? src : ".");
    fflush(stdout);
    st = system(cmd);
    rc = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : 1;
    UMB_CHECK(rc == 0 || rc == 77, "%s failed (exit %d)", cmd, rc);
  }
  if (rc == 0) {
    PetscCall(UmbH5Open(PETSC_COMM_WORLD, "torch_flow_out.h5", "test", &h5));
    for (PetscInt k = 0; k < nspec; k++) PetscCall(Check(&specs[k], &cases[k], h5));
    PetscCall(UmbH5Close(&h5, PETSC_FALSE));
    UMB_NOTE("largest relative difference to torch: values %.3g (bound 1e-12), gradients %.3g (bound 1e-10)", (double)worst_value, (double)worst_grad);
  }
  for (PetscInt k = 0; k < nspec; k++) PetscCall(Teardown(&cases[k]));
  ierr = UmbTestFinalize(0);
  return ierr ? ierr : (rc == 77 ? 77 : 0);
}

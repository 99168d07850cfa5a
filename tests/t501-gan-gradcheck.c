/* Whole-GAN gradient checks against central finite differences, through both networks:
   the critic loss of one chunk (UmbGanCriticChunk: generator forward, critic on real, fake and
   interpolated rows in one batch, gradient penalty by double backpropagation, the backward pass
   that skips the interpolated rows for piecewise-linear activations) in the critic's parameters,
   and the generator loss (UmbGanGeneratorChunk: through the critic's input gradient, plus the
   consistency penalty lambda |xi(G) - z|^2 of a non-coordinate CV) in the generator's
   parameters; for wgan-gp and ns (with a penalty), leaky ReLU, tanh and SiLU, a coordinate CV
   (fastslow x), a linear CV, and a periodic CV (the ring's angle: conditioning features
   cos, sin; consistency on the minimum image). Tolerance as in t401: |fd - g| <= 1e-6 (|fd| + |g|) + 1e-9
   (truncation ~1e-10, round-off ~1e-11 relative here); a dropped term (the penalty's adjoint,
   the consistency term, a skipped row that carried an adjoint) gives errors of order one. */
// TEST: nsize=1
#include "tap.h"
#include <umbra/private/ganimpl.h>

static PetscReal worst = 0;
static PetscInt  nchecked = 0;
static char      worst_what[512];

static void Compare(PetscReal fd, PetscReal g, const char *what, PetscInt i)
{
  const PetscReal err = PetscAbsReal(fd - g), tol = 1e-6 * (PetscAbsReal(fd) + PetscAbsReal(g)) + 1e-9;
  UMB_CHECK(err <= tol, "%s[%d]: finite difference %.12g, analytic %.12g", what, (int)i, (double)fd, (double)g);
  if (PetscAbsReal(fd) + PetscAbsReal(g) > 1e-4 && err / (PetscAbsReal(fd) + PetscAbsReal(g)) > worst) {
    worst = err / (PetscAbsReal(fd) + PetscAbsReal(g));
    snprintf(worst_what, sizeof(worst_what), "%s[%d]: fd %.10g, analytic %.10g", what, (int)i, (double)fd, (double)g);
  }
  nchecked++;
}

typedef struct {
  PetscInt   b;
  PetscReal *xr, *zf, *zr, *eta, *eps;
} Batch;

static PetscErrorCode CriticLoss(UmbGan gan, Batch *bt, PetscReal *L)
{
  PetscReal l[3] = {0, 0, 0};

  PetscFunctionBegin;
  PetscCall(UmbMLPZeroGradients(gan->D));
  PetscCall(UmbGanCriticChunk(gan, bt->b, bt->xr, gan->ng, bt->zf, gan->dz, bt->eta, bt->eps, 1.0 / bt->b, l));
  *L = gan->loss == UMB_GAN_WGANGP ? l[1] - l[0] + l[2] : l[0] + l[1] + l[2];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GeneratorLoss(UmbGan gan, Batch *bt, PetscReal *L)
{
  PetscReal l[2] = {0, 0};

  PetscFunctionBegin;
  PetscCall(UmbMLPZeroGradients(gan->G));
  PetscCall(UmbGanGeneratorChunk(gan, bt->b, bt->zf, gan->dz, bt->zr, gan->d, bt->eta, 1.0 / bt->b, l));
  *L = l[0] + l[1];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckNet(UmbGan gan, Batch *bt, PetscBool critic, const char *label)
{
  UmbMLP          net = critic ? gan->D : gan->G;
  PetscReal      *theta, *grad, *g, L1, L2, L;
  PetscInt        np;
  const PetscReal h = 1e-5;
  char            what[256];

  PetscFunctionBegin;
  PetscCall(UmbMLPGetParameters(net, &theta, &grad));
  PetscCall(UmbMLPGetSizes(net, NULL, NULL, &np));
  PetscCall(PetscMalloc1(np, &g));
  if (critic) PetscCall(CriticLoss(gan, bt, &L));
  else PetscCall(GeneratorLoss(gan, bt, &L));
  PetscCall(PetscArraycpy(g, grad, np));
  snprintf(what, sizeof(what), "%s %s", label, critic ? "critic" : "generator");
  for (PetscInt i = 0; i < np; i++) {
    const PetscReal t = theta[i];
    theta[i]          = t + h;
    if (critic) PetscCall(CriticLoss(gan, bt, &L1));
    else PetscCall(GeneratorLoss(gan, bt, &L1));
    theta[i] = t - h;
    if (critic) PetscCall(CriticLoss(gan, bt, &L2));
    else PetscCall(GeneratorLoss(gan, bt, &L2));
    theta[i] = t;
    Compare((L1 - L2) / (2 * h), g[i], what, i);
  }
  PetscCall(PetscFree(g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunCase(UmbCV cv, UmbActivation act, UmbGanLoss loss, PetscReal cons, uint64_t seed)
{
  UmbGan    gan;
  Batch     bt;
  UmbStream s;
  char      label[128];

  PetscFunctionBegin;
  PetscCall(UmbGanCreate(cv, &gan));
  gan->act         = act;
  gan->loss        = loss;
  gan->gp_lambda   = 3.0;
  gan->cons_lambda = cons;
  gan->nhidden     = 2;
  gan->hidden[0]   = 6;
  gan->hidden[1]   = 5;
  gan->latent      = 2;
  gan->ema         = 0;
  gan->seed        = (PetscInt64)seed;
  PetscCall(UmbGanBuildNetworks(gan));
  for (int which = 0; which < 2; which++) {
    PetscReal *theta;
    PetscInt   np;
    PetscCall(UmbMLPGetParameters(which ? gan->D : gan->G, &theta, NULL));
    PetscCall(UmbMLPGetSizes(which ? gan->D : gan->G, NULL, NULL, &np));
    for (PetscInt i = 0; i < np; i++) theta[i] *= 2.0;
  }
  PetscCall(PetscMalloc1(gan->ng, &gan->xmean));
  PetscCall(PetscMalloc1(gan->ng, &gan->xsd));
  for (PetscInt j = 0; j < gan->ng; j++) {
    gan->xmean[j] = 0.1 * (j + 1);
    gan->xsd[j]   = 0.5 + 0.25 * j;
  }
  bt.b = 5;
  PetscCall(PetscMalloc5(bt.b * gan->ng, &bt.xr, bt.b * gan->dz, &bt.zf, bt.b * gan->d, &bt.zr, bt.b * gan->latent, &bt.eta, bt.b, &bt.eps));
  UmbStreamInit(&s, seed, UMB_STREAM_TEST, 9);
  UmbStreamGaussian(&s, 0, 0, (int)(bt.b * gan->ng), bt.xr);
  UmbStreamGaussian(&s, 1, 0, (int)(bt.b * gan->d), bt.zr);
  UmbStreamGaussian(&s, 2, 0, (int)(bt.b * gan->latent), bt.eta);
  for (PetscInt i = 0; i < bt.b; i++) {
    double u[4];
    UmbStreamUniform4(&s, 3, (uint64_t)i, 0, u);
    bt.eps[i] = u[0];
  }
  UmbGanFeatures(gan, bt.b, bt.zr, bt.zf);
  snprintf(label, sizeof(label), "%s %s %s%s", gan->coord ? "coord CV" : gan->period[0] > 0 ? "periodic CV" : "linear CV", UmbGanLosses[loss], UmbActivations[act], cons > 0 ? " consistency" : "");
  PetscCall(CheckNet(gan, &bt, PETSC_TRUE, label));
  PetscCall(CheckNet(gan, &bt, PETSC_FALSE, label));
  PetscCall(PetscFree5(bt.xr, bt.zf, bt.zr, bt.eta, bt.eps));
  PetscCall(UmbGanDestroy(&gan));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode MakeCV(const char *cvopts, UmbModel *model, UmbCV *cv)
{
  PetscFunctionBegin;
  PetscCall(PetscOptionsClearValue(NULL, "-cv"));
  PetscCall(PetscOptionsClearValue(NULL, "-cv_weights"));
  PetscCall(PetscOptionsInsertString(NULL, cvopts));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, model));
  PetscCall(UmbModelSetFromOptions(*model));
  PetscCall(UmbModelSetUp(*model));
  PetscCall(UmbCVCreate(*model, cv));
  PetscCall(UmbCVSetFromOptions(*cv));
  PetscCall(UmbCVSetUp(*cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode      ierr;
  UmbModel            model;
  UmbCV               cv;
  const UmbActivation acts[3] = {UMB_ACT_LEAKYRELU, UMB_ACT_TANH, UMB_ACT_SILU};

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(MakeCV("-model fastslow -fastslow_m 2 -cv native", &model, &cv));
  for (int a = 0; a < 3; a++) {
    PetscCall(RunCase(cv, acts[a], UMB_GAN_WGANGP, 0, 1 + a));
    PetscCall(RunCase(cv, acts[a], UMB_GAN_NS, 0, 4 + a));
  }
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscCall(MakeCV("-model fastslow -fastslow_m 2 -cv linear -cv_weights 0.8,0.3,-0.5", &model, &cv));
  for (int a = 0; a < 3; a++) PetscCall(RunCase(cv, acts[a], UMB_GAN_WGANGP, 0.7, 7 + a));
  PetscCall(RunCase(cv, UMB_ACT_TANH, UMB_GAN_NS, 0.7, 10));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  /* periodic CV (ring angle, fed as cos, sin) with the consistency penalty on the minimum image */
  PetscCall(MakeCV("-model ring -ring_n 4 -cv native", &model, &cv));
  PetscCall(RunCase(cv, UMB_ACT_TANH, UMB_GAN_WGANGP, 0.7, 11));
  PetscCall(RunCase(cv, UMB_ACT_LEAKYRELU, UMB_GAN_WGANGP, 0.7, 12));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  UMB_NOTE("%d derivatives checked, largest relative error %.2e (tolerance 1e-6) at %s", (int)nchecked, (double)worst, worst_what);
  PetscFunctionReturn(UmbTestFinalize(0));
}

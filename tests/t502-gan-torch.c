/* Cross-check against PyTorch (float64): umbra computes, for fixed weights and one batch
   (real states, conditioning features, latent noise, interpolation weights), the critic loss
   with its gradient penalty and the generator loss (with the consistency penalty for a linear
   CV), their gradients, and one Adam step of each network; it writes all inputs and results to
   torch_case.h5. tests/t502-gan-torch.py rebuilds the networks in torch from the exported
   parameters, computes the same losses with autograd (create_graph=True for the penalty),
   torch.optim.Adam's step, and compares every value to 1e-9 relative (|a - b| <= 1e-9 |b| +
   1e-12 max|b|). Cases: coordinate CV with wgan-gp and leaky ReLU; linear CV with wgan-gp, tanh
   and the consistency penalty; ns with a gradient penalty and SiLU. Catches any difference in
   the definition of a loss (means vs sums, where lambda and the 1/B sit, the sign convention),
   in the layer layout (W row-major [out][in], the order of W and b in the flat buffer), in the
   activations and their second derivatives, and in Adam's bias corrections.
   Skips (exit 77) only if /usr/bin/python3 cannot import torch and h5py. */
// TEST: nsize=1
#include "tap.h"
#include <umbra/private/ganimpl.h>
#include <sys/wait.h>

static PetscErrorCode WriteVec(UmbH5 h5, const char *g, const char *name, PetscInt n, const PetscReal *v)
{
  char    path[256];
  hsize_t dims[1] = {(hsize_t)n};

  PetscFunctionBegin;
  snprintf(path, sizeof(path), "%s/%s", g, name);
  PetscCall(UmbH5WriteSmall(h5, path, H5T_NATIVE_DOUBLE, 1, dims, v));
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

static PetscErrorCode Case(UmbH5 h5, const char *g, const char *cvopts, const PetscReal *weights, UmbActivation act, UmbGanLoss loss, PetscReal gp, PetscReal cons, uint64_t seed)
{
  UmbModel   model;
  UmbCV      cv;
  UmbGan     gan;
  UmbStream  s;
  const PetscInt b = 8;
  PetscReal *xr, *zf, *zr, *eta, *eps, ld[3] = {0, 0, 0}, lg[2] = {0, 0}, *theta, *grad, *t2;
  PetscInt   npG, npD;
  char       layers[64];

  PetscFunctionBegin;
  PetscCall(MakeCV(cvopts, &model, &cv));
  PetscCall(UmbGanCreate(cv, &gan));
  gan->act         = act;
  gan->loss        = loss;
  gan->gp_lambda   = gp;
  gan->cons_lambda = cons;
  gan->nhidden     = 2;
  gan->hidden[0]   = 16;
  gan->hidden[1]   = 12;
  gan->latent      = 3;
  gan->ema         = 0;
  gan->seed        = (PetscInt64)seed;
  gan->lr_g        = 1e-3;
  gan->lr_d        = 3e-3;
  PetscCall(UmbGanBuildNetworks(gan));
  PetscCall(UmbMLPGetSizes(gan->G, NULL, NULL, &npG));
  PetscCall(UmbMLPGetSizes(gan->D, NULL, NULL, &npD));
  PetscCall(PetscMalloc1(gan->ng, &gan->xmean));
  PetscCall(PetscMalloc1(gan->ng, &gan->xsd));
  for (PetscInt j = 0; j < gan->ng; j++) {
    gan->xmean[j] = 0.2 * j - 0.1;
    gan->xsd[j]   = 0.6 + 0.3 * j;
  }
  PetscCall(PetscMalloc5(b * gan->ng, &xr, b * gan->dz, &zf, b * gan->d, &zr, b * gan->latent, &eta, b, &eps));
  UmbStreamInit(&s, seed, UMB_STREAM_TEST, 5);
  UmbStreamGaussian(&s, 0, 0, (int)(b * gan->ng), xr);
  UmbStreamGaussian(&s, 1, 0, (int)(b * gan->d), zr);
  UmbStreamGaussian(&s, 2, 0, (int)(b * gan->latent), eta);
  for (PetscInt i = 0; i < b; i++) {
    double u[4];
    UmbStreamUniform4(&s, 3, (uint64_t)i, 0, u);
    eps[i] = u[0];
  }
  UmbGanFeatures(gan, b, zr, zf);
  /* inputs */
  snprintf(layers, sizeof(layers), "%d,%d", (int)gan->hidden[0], (int)gan->hidden[1]);
  PetscCall(UmbH5WriteAttrString(h5, g, "layers", layers));
  PetscCall(UmbH5WriteAttrString(h5, g, "activation", UmbActivations[act]));
  PetscCall(UmbH5WriteAttrString(h5, g, "loss", UmbGanLosses[loss]));
  PetscCall(UmbH5WriteAttrReals(h5, g, "leaky_slope", 1, &gan->slope));
  PetscCall(UmbH5WriteAttrReals(h5, g, "gp_lambda", 1, &gp));
  PetscCall(UmbH5WriteAttrReals(h5, g, "consistency_lambda", 1, &cons));
  PetscCall(UmbH5WriteAttrInt(h5, g, "ng", gan->ng));
  PetscCall(UmbH5WriteAttrInt(h5, g, "dz", gan->dz));
  PetscCall(UmbH5WriteAttrInt(h5, g, "d", gan->d));
  PetscCall(UmbH5WriteAttrInt(h5, g, "latent", gan->latent));
  PetscCall(UmbH5WriteAttrInt(h5, g, "batch", b));
  {
    PetscReal lr[2] = {gan->lr_g, gan->lr_d}, betas[2] = {gan->beta1, gan->beta2};
    PetscCall(UmbH5WriteAttrReals(h5, g, "lr", 2, lr));
    PetscCall(UmbH5WriteAttrReals(h5, g, "adam_betas", 2, betas));
  }
  if (weights) PetscCall(WriteVec(h5, g, "cv_weights", gan->n, weights));
  PetscCall(UmbMLPGetParameters(gan->G, &theta, NULL));
  PetscCall(WriteVec(h5, g, "theta_g", npG, theta));
  PetscCall(UmbMLPGetParameters(gan->D, &theta, NULL));
  PetscCall(WriteVec(h5, g, "theta_d", npD, theta));
  PetscCall(WriteVec(h5, g, "xr", b * gan->ng, xr));
  PetscCall(WriteVec(h5, g, "zf", b * gan->dz, zf));
  PetscCall(WriteVec(h5, g, "zr", b * gan->d, zr));
  PetscCall(WriteVec(h5, g, "eta", b * gan->latent, eta));
  PetscCall(WriteVec(h5, g, "eps", b, eps));
  PetscCall(WriteVec(h5, g, "x_mean", gan->ng, gan->xmean));
  PetscCall(WriteVec(h5, g, "x_sd", gan->ng, gan->xsd));
  /* critic: loss, gradient, one Adam step */
  PetscCall(UmbMLPZeroGradients(gan->D));
  PetscCall(UmbGanCriticChunk(gan, b, xr, gan->ng, zf, gan->dz, eta, eps, 1.0 / b, ld));
  {
    PetscReal L = loss == UMB_GAN_WGANGP ? ld[1] - ld[0] + ld[2] : ld[0] + ld[1] + ld[2];
    PetscCall(UmbH5WriteAttrReals(h5, g, "loss_d", 1, &L));
    PetscCall(UmbH5WriteAttrReals(h5, g, "penalty", 1, &ld[2]));
  }
  PetscCall(UmbMLPGetParameters(gan->D, &theta, &grad));
  PetscCall(WriteVec(h5, g, "grad_d", npD, grad));
  PetscCall(PetscMalloc1(npD, &t2));
  PetscCall(PetscArraycpy(t2, theta, npD));
  PetscCall(UmbAdamStep(gan->adam_d, t2, grad));
  PetscCall(WriteVec(h5, g, "theta_d_adam", npD, t2));
  PetscCall(PetscFree(t2));
  /* generator */
  PetscCall(UmbMLPZeroGradients(gan->G));
  PetscCall(UmbGanGeneratorChunk(gan, b, zf, gan->dz, zr, gan->d, eta, 1.0 / b, lg));
  {
    PetscReal L = lg[0] + lg[1];
    PetscCall(UmbH5WriteAttrReals(h5, g, "loss_g", 1, &L));
    PetscCall(UmbH5WriteAttrReals(h5, g, "consistency", 1, &lg[1]));
  }
  PetscCall(UmbMLPGetParameters(gan->G, &theta, &grad));
  PetscCall(WriteVec(h5, g, "grad_g", npG, grad));
  PetscCall(PetscMalloc1(npG, &t2));
  PetscCall(PetscArraycpy(t2, theta, npG));
  PetscCall(UmbAdamStep(gan->adam_g, t2, grad));
  PetscCall(WriteVec(h5, g, "theta_g_adam", npG, t2));
  PetscCall(PetscFree(t2));
  UMB_NOTE("%s: %s %s%s: critic loss %.6g (penalty %.4g), generator loss %.6g (consistency %.4g)", g, UmbGanLosses[loss], UmbActivations[act], cons > 0 ? " consistency" : "", (double)(loss == UMB_GAN_WGANGP ? ld[1] - ld[0] + ld[2] : ld[0] + ld[1] + ld[2]), (double)ld[2], (double)(lg[0] + lg[1]), (double)lg[1]);
  PetscCall(PetscFree5(xr, zf, zr, eta, eps));
  PetscCall(UmbGanDestroy(&gan));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode  ierr;
  UmbH5           h5;
  const PetscReal w[3] = {0.8, 0.3, -0.5};
  int             rc = 0;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(UmbH5Create(PETSC_COMM_WORLD, "torch_case.h5", "test", &h5));
  PetscCall(Case(h5, "/case1", "-model fastslow -fastslow_m 2 -cv native", NULL, UMB_ACT_LEAKYRELU, UMB_GAN_WGANGP, 10.0, 0, 1));
  PetscCall(Case(h5, "/case2", "-model fastslow -fastslow_m 2 -cv linear -cv_weights 0.8,0.3,-0.5", w, UMB_ACT_TANH, UMB_GAN_WGANGP, 10.0, 2.5, 2));
  PetscCall(Case(h5, "/case3", "-model fastslow -fastslow_m 2 -cv native", NULL, UMB_ACT_SILU, UMB_GAN_NS, 1.5, 0, 3));
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));
  {
    const char *src = getenv("SRCDIR"), *py = getenv("PYTHON");
    char        cmd[PETSC_MAX_PATH_LEN * 2];
    int         st;
    snprintf(cmd, sizeof(cmd), "%s %s/tests/t502-gan-torch.py torch_case.h5", py && py[0] ? py : "/usr/bin/python3", src && src[0] ? src : ".");
    fflush(stdout);
    st = system(cmd);
    rc = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : 1;
    UMB_CHECK(rc == 0 || rc == 77, "%s failed (exit %d)", cmd, rc);
  }
  ierr = UmbTestFinalize(0);
  return ierr ? ierr : (rc == 77 ? 77 : 0);
}

/* UmbGan: options, networks, standardisation, generation, and the gan.h5 file. */
#include <umbra/private/ganimpl.h>
#include <umbra/private/generatorcommon.h>

const char *const UmbGanLosses[] = {"wgan-gp", "ns", "UmbGanLoss", "UMB_GAN_", NULL};

PetscErrorCode UmbGanCreate(UmbCV cv, UmbGan *ganp)
{
  UmbGan    gan;
  UmbCVType type;
  PetscBool is;

  PetscFunctionBegin;
  PetscCall(PetscNew(&gan));
  PetscCall(UmbCVSetUp(cv));
  gan->cv = cv;
  PetscCall(UmbCVGetModel(cv, &gan->model));
  PetscCall(UmbModelGetComm(gan->model, &gan->comm));
  PetscCallMPI(MPI_Comm_rank(gan->comm, &gan->rank));
  PetscCallMPI(MPI_Comm_size(gan->comm, &gan->size));
  PetscCall(UmbModelGetDimension(gan->model, &gan->n));
  PetscCall(UmbCVGetDimension(cv, &gan->d));
  PetscCall(UmbCVGetPeriod(cv, gan->period));
  PetscCall(UmbCVGetCoordinates(cv, &is, gan->cvidx));
  gan->coord = is;
  {
    UmbModelType mt;
    PetscCall(UmbModelGetType(gan->model, &mt));
    PetscCall(PetscStrncpy(gan->modeltype, mt, sizeof(gan->modeltype)));
    PetscCall(UmbCVGetType(cv, &type));
    PetscCall(PetscStrncpy(gan->cvtype, type, sizeof(gan->cvtype)));
  }
  PetscCall(UmbGenSpaceCreate(cv, PETSC_FALSE, &gan->space));
  gan->ng   = gan->space.ng;
  gan->gidx = gan->space.idx;
  gan->fourier = 3;
  gan->dz = UmbFeatureDim(gan->d, gan->period, gan->fourier, 1);
  /* defaults */
  gan->nhidden      = 2;
  gan->hidden[0]    = 128;
  gan->hidden[1]    = 128;
  gan->act          = UMB_ACT_LEAKYRELU;
  gan->slope        = 0.2;
  gan->loss         = UMB_GAN_WGANGP;
  gan->latent       = PetscMax(gan->ng, 1);
  gan->lr_g         = 2e-4;
  gan->lr_d         = 2e-4;
  gan->beta1        = 0.5;
  gan->beta2        = 0.9;
  gan->gp_lambda    = 10;
  gan->cons_lambda  = 0;
  gan->val_frac     = 0.1;
  gan->ema          = 0.999;
  gan->lr_final     = 0.1;
  gan->batch        = 256;
  gan->critic_steps = 5;
  gan->epochs       = 20;
  gan->microbatch   = 32;
  gan->val_bins     = 10;
  gan->ckpt_interval  = 1000;
  gan->loss_limit     = 1e6;
  gan->stop_step      = 0;
  gan->drift_interval = 100;
  gan->seed           = 42;
  gan->reduce         = UMB_REDUCE_MPI;
  gan->calibrate      = gan->coord;
  gan->cal_nint[0]    = gan->cal_nint[1] = gan->d == 1 ? 48 : 8;
  gan->cal_draws      = 4;
  for (PetscInt a = 0; a < 2; a++) {
    gan->zmean[a] = 0;
    gan->zsd[a]   = 1;
    gan->zlo[a]   = -1;
    gan->zhi[a]   = 1;
  }
  *ganp = gan;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanSetFromOptions(UmbGan gan)
{
  const MPI_Comm comm = gan->comm;
  PetscInt       nh = UMB_GAN_MAX_LAYERS, nb = 2, act = (PetscInt)gan->act, loss = (PetscInt)gan->loss, red = (PetscInt)gan->reduce;
  PetscReal      lr = 0, betas[2] = {gan->beta1, gan->beta2};
  PetscBool      set, set_g, set_d, set_lr, set_gp;
  PetscInt       nint = 2;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, UmbOptionsPrefix(gan->prefix), "Conditional GAN options (umbra train -generator gan)", "UmbGan");
  PetscCall(PetscOptionsIntArray("-gan_layers", "Hidden layer widths of generator and critic", "UmbGanSetFromOptions", gan->hidden, &nh, &set));
  if (set) {
    PetscCheck(nh >= 1, comm, PETSC_ERR_USER_INPUT, "-gan_layers needs at least one width (e.g. 128,128)");
    gan->nhidden = nh;
    for (PetscInt l = 0; l < nh; l++) PetscCheck(gan->hidden[l] >= 1, comm, PETSC_ERR_USER_INPUT, "-gan_layers: width %" PetscInt_FMT " of hidden layer %" PetscInt_FMT " must be positive", gan->hidden[l], l + 1);
  }
  PetscCall(PetscOptionsEList("-gan_activation", "Activation of the hidden layers", "UmbGanSetFromOptions", UmbActivations, 4, UmbActivations[act], &act, NULL));
  gan->act = (UmbActivation)act;
  PetscCall(PetscOptionsReal("-gan_leaky_slope", "Negative slope of leaky ReLU", "UmbGanSetFromOptions", gan->slope, &gan->slope, NULL));
  PetscCheck(gan->slope >= 0 && gan->slope < 1, comm, PETSC_ERR_USER_INPUT, "-gan_leaky_slope must be in [0, 1), got %.6g", (double)gan->slope);
  PetscCall(PetscOptionsInt("-gan_latent", "Latent dimension of the generator", "UmbGanSetFromOptions", gan->latent, &gan->latent, &gan->latent_set));
  PetscCheck(gan->latent >= 1, comm, PETSC_ERR_USER_INPUT, "-gan_latent must be positive, got %" PetscInt_FMT, gan->latent);
  PetscCall(PetscOptionsInt("-gan_fourier", "Sine/cosine features of each non-periodic CV component at K doubling frequencies over the trained range", "UmbGanSetFromOptions", gan->fourier, &gan->fourier, NULL));
  PetscCheck(gan->fourier >= 0 && gan->fourier <= 16, comm, PETSC_ERR_USER_INPUT, "-gan_fourier must be in 0..16, got %" PetscInt_FMT, gan->fourier);
  gan->dz = UmbFeatureDim(gan->d, gan->period, gan->fourier, 1);
  PetscCall(PetscOptionsEList("-gan_loss", "Loss: wgan-gp or ns (non-saturating)", "UmbGanSetFromOptions", UmbGanLosses, 2, UmbGanLosses[loss], &loss, NULL));
  gan->loss = (UmbGanLoss)loss;
  PetscCall(PetscOptionsReal("-gan_lr", "Learning rate of both networks (Adam)", "UmbGanSetFromOptions", gan->lr_g, &lr, &set_lr));
  if (set_lr) {
    PetscCheck(lr > 0 && PetscIsNormalReal(lr), comm, PETSC_ERR_USER_INPUT, "-gan_lr must be positive, got %.6g", (double)lr);
    gan->lr_g = gan->lr_d = lr;
  }
  PetscCall(PetscOptionsReal("-gan_lr_g", "Learning rate of the generator", "UmbGanSetFromOptions", gan->lr_g, &gan->lr_g, &set_g));
  PetscCheck(gan->lr_g > 0 && PetscIsNormalReal(gan->lr_g), comm, PETSC_ERR_USER_INPUT, "-gan_lr_g must be positive, got %.6g", (double)gan->lr_g);
  PetscCall(PetscOptionsReal("-gan_lr_d", "Learning rate of the critic", "UmbGanSetFromOptions", gan->lr_d, &gan->lr_d, &set_d));
  PetscCheck(gan->lr_d > 0 && PetscIsNormalReal(gan->lr_d), comm, PETSC_ERR_USER_INPUT, "-gan_lr_d must be positive, got %.6g", (double)gan->lr_d);
  PetscCall(PetscOptionsReal("-gan_lr_final", "The generator's learning rate is constant for the first half of the training, then decays linearly to this fraction", "UmbGanSetFromOptions", gan->lr_final, &gan->lr_final, NULL));
  PetscCheck(gan->lr_final > 0 && gan->lr_final <= 1, comm, PETSC_ERR_USER_INPUT, "-gan_lr_final must be in (0, 1], got %.6g", (double)gan->lr_final);
  PetscCall(PetscOptionsRealArray("-gan_adam_betas", "Adam's beta1,beta2", "UmbGanSetFromOptions", betas, &nb, &set));
  PetscCheck(!set || nb == 2, comm, PETSC_ERR_USER_INPUT, "-gan_adam_betas needs two values beta1,beta2, got %" PetscInt_FMT, nb);
  PetscCheck(betas[0] >= 0 && betas[0] < 1 && betas[1] >= 0 && betas[1] < 1, comm, PETSC_ERR_USER_INPUT, "-gan_adam_betas must be in [0, 1), got %.6g,%.6g", (double)betas[0], (double)betas[1]);
  gan->beta1 = betas[0];
  gan->beta2 = betas[1];
  PetscCall(PetscOptionsInt("-gan_batch", "Global mini-batch size (samples per critic step, over all ranks)", "UmbGanSetFromOptions", gan->batch, &gan->batch, NULL));
  PetscCheck(gan->batch >= 1, comm, PETSC_ERR_USER_INPUT, "-gan_batch must be positive, got %" PetscInt_FMT, gan->batch);
  PetscCall(PetscOptionsInt("-gan_critic_steps", "Critic steps per generator step", "UmbGanSetFromOptions", gan->critic_steps, &gan->critic_steps, NULL));
  PetscCheck(gan->critic_steps >= 1, comm, PETSC_ERR_USER_INPUT, "-gan_critic_steps must be positive, got %" PetscInt_FMT, gan->critic_steps);
  PetscCall(PetscOptionsInt("-gan_epochs", "Training epochs (passes over the training samples)", "UmbGanSetFromOptions", gan->epochs, &gan->epochs, NULL));
  PetscCheck(gan->epochs >= 1, comm, PETSC_ERR_USER_INPUT, "-gan_epochs must be positive, got %" PetscInt_FMT, gan->epochs);
  if (gan->loss == UMB_GAN_NS) gan->gp_lambda = 0;
  PetscCall(PetscOptionsReal("-gan_gp_lambda", "Weight of the gradient penalty", "UmbGanSetFromOptions", gan->gp_lambda, &gan->gp_lambda, &set_gp));
  PetscCheck(gan->gp_lambda >= 0 && !PetscIsInfOrNanReal(gan->gp_lambda), comm, PETSC_ERR_USER_INPUT, "-gan_gp_lambda must be non-negative, got %.6g", (double)gan->gp_lambda);
  if (!gan->coord) { /* restriction is exact for coordinate CVs: the option does not apply */
    PetscCall(PetscOptionsReal("-gan_consistency_lambda", "Weight of the consistency penalty |xi(G) - z|^2 (0: off)", "UmbGanSetFromOptions", gan->cons_lambda, &gan->cons_lambda, NULL));
    PetscCheck(gan->cons_lambda >= 0 && !PetscIsInfOrNanReal(gan->cons_lambda), comm, PETSC_ERR_USER_INPUT, "-gan_consistency_lambda must be non-negative, got %.6g", (double)gan->cons_lambda);
  }
  PetscCall(PetscOptionsReal("-gan_ema", "Decay of the running average of the generator's parameters used for lifting (0: the last parameters)", "UmbGanSetFromOptions", gan->ema, &gan->ema, NULL));
  PetscCheck(gan->ema >= 0 && gan->ema < 1, comm, PETSC_ERR_USER_INPUT, "-gan_ema must be in [0, 1), got %.6g", (double)gan->ema);
  PetscCall(PetscOptionsReal("-gan_validation", "Fraction of the samples held out for validation", "UmbGanSetFromOptions", gan->val_frac, &gan->val_frac, NULL));
  PetscCheck(gan->val_frac >= 0 && gan->val_frac <= 0.5, comm, PETSC_ERR_USER_INPUT, "-gan_validation must be in [0, 0.5], got %.6g", (double)gan->val_frac);
  PetscCall(PetscOptionsInt("-gan_validation_bins", "CV bins of the held-out quality measure (per component)", "UmbGanSetFromOptions", gan->val_bins, &gan->val_bins, NULL));
  PetscCheck(gan->val_bins >= 1, comm, PETSC_ERR_USER_INPUT, "-gan_validation_bins must be positive, got %" PetscInt_FMT, gan->val_bins);
  PetscCall(PetscOptionsEList("-gan_reduce_mode", "Gradient reduction: mpi or exact (bitwise independent of the rank count)", "UmbGanSetFromOptions", UmbReduceModes, 2, UmbReduceModes[red], &red, NULL));
  gan->reduce = (UmbReduceMode)red;
  if (gan->reduce == UMB_REDUCE_EXACT) {
    PetscCall(PetscOptionsInt("-gan_microbatch", "exact mode: rows per micro-batch", "UmbGanSetFromOptions", gan->microbatch, &gan->microbatch, NULL));
    PetscCheck(gan->microbatch >= 1, comm, PETSC_ERR_USER_INPUT, "-gan_microbatch must be positive, got %" PetscInt_FMT, gan->microbatch);
  }
  PetscCall(PetscOptionsReal("-gan_loss_limit", "Stop as diverged when a critic or generator loss exceeds this in size (0: only NaN or infinity)", "UmbGanSetFromOptions", gan->loss_limit, &gan->loss_limit, NULL));
  PetscCheck(gan->loss_limit >= 0 && !PetscIsInfOrNanReal(gan->loss_limit), comm, PETSC_ERR_USER_INPUT, "-gan_loss_limit must be non-negative (0 = no limit), got %.6g", (double)gan->loss_limit);
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-gan_checkpoint_interval", "Generator steps between training checkpoints (0: none)", gan->ckpt_interval, &gan->ckpt_interval, NULL));
  PetscCheck(gan->ckpt_interval >= 0, comm, PETSC_ERR_USER_INPUT, "-gan_checkpoint_interval must be non-negative (0 = no checkpoints), got %" PetscInt64_FMT, gan->ckpt_interval);
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-gan_stop_step", "Checkpoint and stop (exit code 3) after this generator step (0: run to the end)", gan->stop_step, &gan->stop_step, NULL));
  PetscCheck(gan->stop_step >= 0, comm, PETSC_ERR_USER_INPUT, "-gan_stop_step must be non-negative, got %" PetscInt64_FMT, gan->stop_step);
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-gan_drift_interval", "Generator steps between checks that all ranks hold the same parameters", gan->drift_interval, &gan->drift_interval, NULL));
  PetscCheck(gan->drift_interval >= 1, comm, PETSC_ERR_USER_INPUT, "-gan_drift_interval must be positive, got %" PetscInt64_FMT, gan->drift_interval);
  PetscCall(PetscOptionsBool("-gan_calibrate", "Lift with the conditional mean and variance of the training data (coordinate CVs)", "UmbGanSetFromOptions", gan->calibrate, &gan->calibrate, &set));
  PetscCheck(!(set && gan->calibrate && !gan->coord), comm, PETSC_ERR_USER_INPUT, "-gan_calibrate needs a CV that is a set of coordinates (-cv coord): with %s the calibration would move the lifted states off their CV value", gan->cvtype);
  PetscCall(PetscOptionsIntArray("-gan_calibrate_intervals", "Spline intervals per CV component of the calibration", "UmbGanSetFromOptions", gan->cal_nint, &nint, &set));
  if (set) {
    PetscCheck(nint == 1 || nint == gan->d, comm, PETSC_ERR_USER_INPUT, "-gan_calibrate_intervals needs %s, got %" PetscInt_FMT " values", gan->d == 1 ? "one value for a 1-D CV" : "1 or 2 values for a 2-D CV", nint);
    if (nint == 1) gan->cal_nint[1] = gan->cal_nint[0];
    for (PetscInt a = 0; a < gan->d; a++) PetscCheck(gan->cal_nint[a] >= 4 && gan->cal_nint[a] <= 1000, comm, PETSC_ERR_USER_INPUT, "-gan_calibrate_intervals must be in 4..1000, got %" PetscInt_FMT, gan->cal_nint[a]);
  }
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-gan_calibrate_draws", "Generated states per training row that measure the generator's conditional moments", gan->cal_draws, &gan->cal_draws, NULL));
  PetscCheck(gan->cal_draws >= 1 && gan->cal_draws <= 1000000, comm, PETSC_ERR_USER_INPUT, "-gan_calibrate_draws must be in 1..1000000, got %" PetscInt64_FMT, gan->cal_draws);

  PetscOptionsEnd();
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanGetGenerated(UmbGan gan, PetscInt *ng)
{
  PetscFunctionBegin;
  *ng = gan->ng;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Checked by train and lift, not by SetFromOptions: other commands on such a CV are fine */
PetscErrorCode UmbGanCheckGenerates(UmbGan gan)
{
  PetscFunctionBegin;
  PetscCheck(gan->ng > 0, gan->comm, PETSC_ERR_USER_INPUT, "the CV is all %" PetscInt_FMT " coordinates of model %s: a conditional GAN has nothing left to generate", gan->n, gan->modeltype);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanView(UmbGan gan, PetscViewer v)
{
  char layers[256] = "";

  PetscFunctionBegin;
  for (PetscInt l = 0; l < gan->nhidden; l++) {
    size_t len = strlen(layers);
    snprintf(layers + len, sizeof(layers) - len, "%s%d", l ? "," : "", (int)gan->hidden[l]);
  }
  PetscCall(UmbViewerPrintf(v, "conditional GAN: %s loss, hidden layers %s (%s), latent %d, %d conditioning features; generates %d of %d coordinates%s\n", UmbGanLosses[gan->loss], layers, UmbActivations[gan->act], (int)gan->latent, (int)gan->dz, (int)gan->ng, (int)gan->n, gan->coord ? " (coordinate CV: exact restriction)" : ""));
  PetscCall(UmbViewerPrintf(v, "  batch %d, %d critic steps per generator step, %d epochs, lr %g (G, decaying to %g of it) %g (D), Adam betas %g,%g, gp lambda %g%s, average decay %g, reduction %s on %d rank%s\n", (int)gan->batch, (int)gan->critic_steps, (int)gan->epochs, (double)gan->lr_g, (double)gan->lr_final, (double)gan->lr_d, (double)gan->beta1, (double)gan->beta2, (double)gan->gp_lambda, gan->cons_lambda > 0 ? ", consistency penalty" : "", (double)gan->ema, UmbReduceModes[gan->reduce], (int)gan->size, gan->size > 1 ? "s" : ""));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The row buffers of UmbGanReserve */
static PetscErrorCode FreeWorkBuffers(UmbGan gan)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(gan->Xg));
  PetscCall(PetscFree(gan->xf));
  PetscCall(PetscFree(gan->Xd));
  PetscCall(PetscFree(gan->dY));
  PetscCall(PetscFree(gan->Gin));
  PetscCall(PetscFree(gan->Gbar));
  PetscCall(PetscFree(gan->dXd));
  PetscCall(PetscFree(gan->dxf));
  PetscCall(PetscFree(gan->eta));
  PetscCall(PetscFree(gan->eps));
  PetscCall(PetscFree(gan->zc));
  PetscCall(PetscFree(gan->Jc));
  gan->cap = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanDestroy(UmbGan *ganp)
{
  UmbGan gan = *ganp;

  PetscFunctionBegin;
  if (!gan) PetscFunctionReturn(PETSC_SUCCESS);
  if (gan->Gl != gan->G) PetscCall(UmbMLPDestroy(&gan->Gl));
  PetscCall(UmbMLPDestroy(&gan->G));
  PetscCall(UmbMLPDestroy(&gan->D));
  PetscCall(UmbAdamDestroy(&gan->adam_g));
  PetscCall(UmbAdamDestroy(&gan->adam_d));
  PetscCall(FreeWorkBuffers(gan));
  PetscCall(PetscFree(gan->xmean));
  PetscCall(PetscFree(gan->xsd));
  PetscCall(UmbGenSpaceDestroy(&gan->space));
  PetscCall(UmbGanCalibrationFree(gan));
  PetscCall(PetscFree(*ganp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanBuildNetworks(UmbGan gan)
{
  PetscInt w[UMB_GAN_MAX_LAYERS + 2], np;

  PetscFunctionBegin;
  if (gan->Gl != gan->G) PetscCall(UmbMLPDestroy(&gan->Gl));
  gan->Gl = NULL;
  PetscCall(UmbMLPDestroy(&gan->G));
  PetscCall(UmbMLPDestroy(&gan->D));
  PetscCall(UmbAdamDestroy(&gan->adam_g));
  PetscCall(UmbAdamDestroy(&gan->adam_d));
  w[0] = gan->latent + gan->dz;
  for (PetscInt l = 0; l < gan->nhidden; l++) w[l + 1] = gan->hidden[l];
  w[gan->nhidden + 1] = gan->ng;
  PetscCall(UmbMLPCreate(gan->nhidden + 1, w, gan->act, gan->slope, &gan->G));
  w[0]                = gan->ng + gan->dz;
  w[gan->nhidden + 1] = 1;
  PetscCall(UmbMLPCreate(gan->nhidden + 1, w, gan->act, gan->slope, &gan->D));
  PetscCall(UmbMLPInitialize(gan->G, (uint64_t)gan->seed, UMB_GAN_INIT_G));
  PetscCall(UmbMLPInitialize(gan->D, (uint64_t)gan->seed, UMB_GAN_INIT_D));
  w[0]                = gan->latent + gan->dz;
  w[gan->nhidden + 1] = gan->ng;
  if (gan->ema > 0) { /* the lifting generator: running average of G's parameters, starting at G's */
    PetscReal *a, *t;
    PetscCall(UmbMLPCreate(gan->nhidden + 1, w, gan->act, gan->slope, &gan->Gl));
    PetscCall(UmbMLPSetTraining(gan->Gl, PETSC_FALSE));
    PetscCall(UmbMLPGetParameters(gan->Gl, &a, NULL));
    PetscCall(UmbMLPGetParameters(gan->G, &t, NULL));
    PetscCall(UmbMLPGetSizes(gan->G, NULL, NULL, &np));
    PetscCall(PetscArraycpy(a, t, np));
  } else gan->Gl = gan->G;
  PetscCall(UmbMLPGetSizes(gan->G, NULL, NULL, &np));
  PetscCall(UmbAdamCreate(np, gan->lr_g, gan->beta1, gan->beta2, 1e-8, &gan->adam_g));
  PetscCall(UmbMLPGetSizes(gan->D, NULL, NULL, &np));
  PetscCall(UmbAdamCreate(np, gan->lr_d, gan->beta1, gan->beta2, 1e-8, &gan->adam_d));
  gan->have_networks = PETSC_TRUE;
  gan->cap           = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanReserve(UmbGan gan, PetscInt rows)
{
  const PetscInt nind = gan->ng + gan->dz, ning = gan->latent + gan->dz;

  PetscFunctionBegin;
  if (rows <= gan->cap) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(FreeWorkBuffers(gan));
  PetscCall(PetscMalloc1(rows * ning, &gan->Xg));
  PetscCall(PetscMalloc1(rows * gan->ng, &gan->xf));
  PetscCall(PetscMalloc1(3 * rows * nind, &gan->Xd));
  PetscCall(PetscMalloc1(3 * rows, &gan->dY));
  PetscCall(PetscMalloc1(rows * nind, &gan->Gin));
  PetscCall(PetscMalloc1(rows * nind, &gan->Gbar));
  PetscCall(PetscMalloc1(rows * nind, &gan->dXd));
  PetscCall(PetscMalloc1(rows * gan->ng, &gan->dxf));
  PetscCall(PetscMalloc1(rows * gan->latent, &gan->eta));
  PetscCall(PetscMalloc1(rows, &gan->eps));
  PetscCall(PetscMalloc1(rows * gan->n, &gan->zc)); /* full states for the CV, then z */
  PetscCall(PetscMalloc1(rows * gan->d * (gan->n + 1), &gan->Jc));
  gan->cap = rows;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void UmbGanLatent(UmbGan gan, uint64_t id, uint64_t c0, PetscInt b, const PetscInt64 rows[], PetscReal eta[])
{
  UmbStream s;

  UmbStreamInit(&s, (uint64_t)gan->seed, UMB_STREAM_LATENT, id);
  for (PetscInt i = 0; i < b; i++) UmbStreamGaussian(&s, c0, (uint64_t)rows[i], (int)gan->latent, eta + i * gan->latent);
}

void UmbGanAssemble(UmbGan gan, PetscInt b, const PetscReal xf[], const PetscReal z[], PetscReal x[])
{
  for (PetscInt i = 0; i < b; i++) {
    PetscReal *xi = x + i * gan->n;
    for (PetscInt j = 0; j < gan->ng; j++) xi[gan->gidx[j]] = gan->xmean[j] + gan->xsd[j] * xf[i * gan->ng + j];
    if (gan->coord)
      for (PetscInt a = 0; a < gan->d; a++) xi[gan->cvidx[a]] = z[i * gan->d + a];
  }
}

PetscErrorCode UmbGanGeneratorForward(UmbGan gan, UmbMLP net, PetscInt b, const PetscReal zf[], PetscInt ldz, const PetscReal eta[], PetscReal xf[])
{
  const PetscInt ning = gan->latent + gan->dz;

  PetscFunctionBegin;
  PetscCall(UmbGanReserve(gan, b));
  for (PetscInt i = 0; i < b; i++) {
    PetscCall(PetscArraycpy(gan->Xg + i * ning, eta + i * gan->latent, gan->latent));
    PetscCall(PetscArraycpy(gan->Xg + i * ning + gan->latent, zf + i * ldz, gan->dz));
  }
  PetscCall(UmbMLPForward(net, b, gan->Xg, xf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanLiftBlock(UmbGan gan, PetscInt b, const PetscReal z[], const PetscReal eta[], PetscInt nrep, PetscInt64 stride, PetscReal work[], PetscReal x[])
{
  PetscReal *zf = work, *xf = work + UMB_GAN_BLOCK * gan->dz, *xr = xf + UMB_GAN_BLOCK * gan->ng;

  PetscFunctionBegin;
  UmbGanFeatures(gan, b, z, zf);
  PetscCall(UmbGanGeneratorForward(gan, gan->Gl, b, zf, gan->dz, eta, xf));
  for (PetscInt r = 0; r <= nrep; r++) { /* the same draws under each replicate; the last in place */
    PetscReal *y = r < nrep ? xr : xf;
    if (r < nrep) PetscCall(PetscArraycpy(xr, xf, b * gan->ng));
    UmbGanCalibrateApply(gan, r - 1, b, z, y);
    UmbGanAssemble(gan, b, y, z, x + r * stride * gan->n);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanGenerateReplicates(UmbGan gan, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscInt nrep, PetscReal x[])
{
  PetscReal *eta, *work;
  PetscInt   i0 = 0, have;

  PetscFunctionBegin;
  PetscCheck(gan->have_networks && gan->xmean, PETSC_COMM_SELF, PETSC_ERR_ORDER, "UmbGanGenerate needs trained or loaded networks (UmbGanTrain or UmbGanLoad)");
  PetscCall(UmbGanGetCalibrationReplicates(gan, &have));
  PetscCheck(nrep >= 0 && nrep <= have, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "%" PetscInt_FMT " replicates asked for, the calibration has %" PetscInt_FMT, nrep, have);
  PetscCall(PetscMalloc2(UMB_GAN_BLOCK * gan->latent, &eta, UMB_GAN_LIFT_WORK(gan), &work));
  while (i0 < m) { /* blocks end where index crosses a multiple of UMB_GAN_BLOCK */
    PetscInt b = 1;
    while (i0 + b < m && b < UMB_GAN_BLOCK && index[i0 + b] == index[i0 + b - 1] + 1 && index[i0 + b] % UMB_GAN_BLOCK) b++;
    UmbGanLatent(gan, UMB_GAN_RNG_LIFT, 0, b, index + i0, eta);
    PetscCall(UmbGanLiftBlock(gan, b, z + i0 * gan->d, eta, nrep, m, work, x + i0 * gan->n));
    i0 += b;
  }
  PetscCall(PetscFree2(eta, work));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanGenerate(UmbGan gan, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscReal x[])
{
  PetscFunctionBegin;
  PetscCall(UmbGanGenerateReplicates(gan, m, z, index, 0, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanGetCalibrationReplicates(UmbGan gan, PetscInt *nrep)
{
  PetscFunctionBegin;
  *nrep = gan->cal_K && gan->calibrate ? gan->cal_nrep : 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanGetRange(UmbGan gan, PetscReal range[])
{
  PetscFunctionBegin;
  PetscCheck(gan->have_networks && gan->xmean, gan->comm, PETSC_ERR_ORDER, "the GAN has no trained networks yet");
  for (PetscInt a = 0; a < gan->d; a++) {
    range[2 * a]     = gan->zlo[a];
    range[2 * a + 1] = gan->zhi[a];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* gan.h5 ------------------------------------------------------------------------------ */

static void FormatLayers(UmbGan gan, char *buf, size_t len)
{
  buf[0] = 0;
  for (PetscInt l = 0; l < gan->nhidden; l++) {
    size_t k = strlen(buf);
    snprintf(buf + k, len - k, "%s%d", l ? "," : "", (int)gan->hidden[l]);
  }
}

PetscErrorCode UmbGanWriteAttributes(UmbGan gan, UmbH5 h5, const char g[])
{
  char      layers[256];
  PetscReal v[2];

  PetscFunctionBegin;
  FormatLayers(gan, layers, sizeof(layers));
  PetscCall(UmbGeneratorWriteProblem(gan->cv, &gan->space, h5, g));
  PetscCall(UmbH5WriteAttrString(h5, g, "layers", layers));
  PetscCall(UmbH5WriteAttrString(h5, g, "activation", UmbActivations[gan->act]));
  PetscCall(UmbH5WriteAttrReals(h5, g, "leaky_slope", 1, &gan->slope));
  PetscCall(UmbH5WriteAttrInt(h5, g, "latent", gan->latent));
  PetscCall(UmbH5WriteAttrInt(h5, g, "fourier", gan->fourier));
  PetscCall(UmbH5WriteAttrString(h5, g, "loss", UmbGanLosses[gan->loss]));
  PetscCall(UmbH5WriteAttrInt(h5, g, "batch", gan->batch));
  PetscCall(UmbH5WriteAttrInt(h5, g, "critic_steps", gan->critic_steps));
  PetscCall(UmbH5WriteAttrInt(h5, g, "seed", gan->seed));
  v[0] = gan->lr_g;
  v[1] = gan->lr_d;
  PetscCall(UmbH5WriteAttrReals(h5, g, "lr", 2, v));
  v[0] = gan->beta1;
  v[1] = gan->beta2;
  PetscCall(UmbH5WriteAttrReals(h5, g, "adam_betas", 2, v));
  PetscCall(UmbH5WriteAttrReals(h5, g, "gp_lambda", 1, &gan->gp_lambda));
  PetscCall(UmbH5WriteAttrReals(h5, g, "consistency_lambda", 1, &gan->cons_lambda));
  PetscCall(UmbH5WriteAttrReals(h5, g, "validation", 1, &gan->val_frac));
  PetscCall(UmbH5WriteAttrReals(h5, g, "ema", 1, &gan->ema));
  PetscCall(UmbH5WriteAttrReals(h5, g, "lr_final", 1, &gan->lr_final));
  PetscCall(UmbH5WriteAttrString(h5, g, "reduce_mode", UmbReduceModes[gan->reduce]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanWrite(UmbGan gan, const char path[])
{
  UmbH5     h5;
  hsize_t   dims[1];
  PetscInt  np;
  PetscReal *theta;

  PetscFunctionBegin;
  PetscCall(UmbH5Create(gan->comm, path, "gan", &h5));
  PetscCall(UmbGanWriteAttributes(gan, h5, "/gan"));
  PetscCall(UmbH5WriteAttrInt(h5, "/gan", "epochs", gan->trained_epochs));
  PetscCall(UmbH5WriteAttrInt(h5, "/gan", "steps", gan->trained_steps));
  PetscCall(UmbH5WriteAttrReals(h5, "/gan", "z_min", gan->d, gan->zlo));
  PetscCall(UmbH5WriteAttrReals(h5, "/gan", "z_max", gan->d, gan->zhi));
  PetscCall(UmbMLPGetParameters(gan->Gl, &theta, NULL));
  PetscCall(UmbMLPGetSizes(gan->Gl, NULL, NULL, &np));
  dims[0] = (hsize_t)np;
  PetscCall(UmbH5WriteSmall(h5, "/gan/generator/theta", H5T_NATIVE_DOUBLE, 1, dims, theta));
  PetscCall(UmbMLPGetParameters(gan->D, &theta, NULL));
  PetscCall(UmbMLPGetSizes(gan->D, NULL, NULL, &np));
  dims[0] = (hsize_t)np;
  PetscCall(UmbH5WriteSmall(h5, "/gan/critic/theta", H5T_NATIVE_DOUBLE, 1, dims, theta));
  dims[0] = (hsize_t)gan->ng;
  PetscCall(UmbH5WriteSmall(h5, "/gan/standardization/x_mean", H5T_NATIVE_DOUBLE, 1, dims, gan->xmean));
  PetscCall(UmbH5WriteSmall(h5, "/gan/standardization/x_sd", H5T_NATIVE_DOUBLE, 1, dims, gan->xsd));
  dims[0] = (hsize_t)gan->d;
  PetscCall(UmbH5WriteSmall(h5, "/gan/standardization/z_mean", H5T_NATIVE_DOUBLE, 1, dims, gan->zmean));
  PetscCall(UmbH5WriteSmall(h5, "/gan/standardization/z_sd", H5T_NATIVE_DOUBLE, 1, dims, gan->zsd));
  PetscCall(UmbGanWriteCalibration(gan, h5));
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Architecture from the attributes of group g, checked against the current model and CV */
static PetscErrorCode ReadArchitecture(UmbGan gan, UmbH5 h5, const char path[], const char g[])
{
  const MPI_Comm comm = gan->comm;
  char           buf[256], *save = NULL, *tok;
  PetscInt64     v;
  PetscReal      r[2];

  PetscFunctionBegin;
  PetscCall(UmbGeneratorCheckProblem(gan->cv, &gan->space, h5, path, g));
  PetscCall(UmbH5ReadAttrString(h5, g, "layers", buf, sizeof(buf)));
  gan->nhidden = 0;
  for (tok = strtok_r(buf, ",", &save); tok && gan->nhidden < UMB_GAN_MAX_LAYERS; tok = strtok_r(NULL, ",", &save)) {
    long w = strtol(tok, NULL, 10);
    PetscCheck(w >= 1 && w <= PETSC_MAX_INT, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad layers attribute (width %s)", path, tok);
    gan->hidden[gan->nhidden++] = (PetscInt)w;
  }
  PetscCheck(gan->nhidden >= 1, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad layers attribute", path);
  PetscCall(UmbH5ReadAttrString(h5, g, "activation", buf, sizeof(buf)));
  gan->act = UMB_ACT_IDENTITY;
  for (int a = 0; a < 4; a++)
    if (!strcmp(buf, UmbActivations[a])) gan->act = (UmbActivation)a;
  PetscCall(UmbH5ReadAttrReals(h5, g, "leaky_slope", 1, &gan->slope));
  PetscCall(UmbH5ReadAttrInt(h5, g, "latent", &v));
  PetscCheck(v >= 1 && v <= PETSC_MAX_INT, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad latent attribute %lld", path, (long long)v);
  gan->latent = (PetscInt)v;
  PetscCall(UmbH5ReadAttrInt(h5, g, "fourier", &v));
  PetscCheck(v >= 0 && v <= 16, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad fourier attribute %lld (0..16)", path, (long long)v);
  gan->fourier = (PetscInt)v;
  gan->dz = UmbFeatureDim(gan->d, gan->period, gan->fourier, 1);
  PetscCall(UmbH5ReadAttrString(h5, g, "loss", buf, sizeof(buf)));
  gan->loss = strcmp(buf, "ns") ? UMB_GAN_WGANGP : UMB_GAN_NS;
  PetscCall(UmbH5ReadAttrInt(h5, g, "seed", &v));
  gan->seed = v;
  PetscCall(UmbH5ReadAttrReals(h5, g, "lr", 2, r));
  gan->lr_g = r[0];
  gan->lr_d = r[1];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Refuses a gan.h5 whose network's parameter vector (dataset name) is not as long as the layers
   from nin to nout inputs need, before a network is built: damaged widths may ask for any size.
   Counted in double, exact below 2^53, where int arithmetic would overflow. */
static PetscErrorCode CheckParameterCount(UmbGan gan, UmbH5 h5, const char path[], const char name[], PetscReal nin, PetscReal nout)
{
  PetscReal need = 0, prev = nin;
  int       r;
  hsize_t   dims[3];

  PetscFunctionBegin;
  for (PetscInt l = 0; l <= gan->nhidden; l++) {
    const PetscReal w = l < gan->nhidden ? gan->hidden[l] : nout;
    need += w * prev + w;
    prev = w;
  }
  PetscCall(UmbH5GetShape(h5, name, &r, dims));
  PetscCheck(r == 1 && (PetscReal)dims[0] == need && need <= PETSC_MAX_INT, gan->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %s has %llu parameters, its architecture needs %.0f (corrupt file?)", path, name, (unsigned long long)dims[0], (double)need);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* a damaged file must not lift NaN configurations without a word */
PetscErrorCode UmbGanReadFiniteReals(UmbGan gan, UmbH5 h5, const char path[], const char name[], PetscInt n, PetscReal v[])
{
  PetscFunctionBegin;
  PetscCall(UmbH5ReadSmall(h5, name, H5T_NATIVE_DOUBLE, (size_t)n, v));
  for (PetscInt i = 0; i < n; i++) PetscCheck(PetscIsNormalReal(v[i]) || v[i] == 0, gan->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %s[%" PetscInt_FMT "] is not a finite number: the file is damaged; train again (`umbra train`)", path, name, i);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanLoad(UmbGan gan, const char path[])
{
  UmbH5      h5;
  PetscBool  exists;
  PetscInt   np;
  PetscReal *theta;
  PetscInt64 lift_seed = gan->seed;

  PetscFunctionBegin;
  PetscCall(PetscTestFile(path, 'r', &exists));
  PetscCheck(exists, gan->comm, PETSC_ERR_USER_INPUT, "cannot read %s: no such file; `umbra train` (or `umbra run`) writes it", path);
  PetscCall(UmbH5Open(gan->comm, path, "gan", &h5));
  PetscCall(ReadArchitecture(gan, h5, path, "/gan"));
  gan->seed = lift_seed; /* latent noise of lifting: this run's -seed */
  gan->ema  = 0;         /* the file's generator is already the averaged one */
  PetscCall(CheckParameterCount(gan, h5, path, "/gan/generator/theta", (PetscReal)gan->latent + gan->dz, gan->ng));
  PetscCall(CheckParameterCount(gan, h5, path, "/gan/critic/theta", (PetscReal)gan->ng + gan->dz, 1));
  PetscCall(UmbGanBuildNetworks(gan));
  PetscCall(UmbH5ReadAttrInt(h5, "/gan", "epochs", &gan->trained_epochs));
  PetscCall(UmbH5ReadAttrInt(h5, "/gan", "steps", &gan->trained_steps));
  PetscCall(UmbH5ReadAttrReals(h5, "/gan", "z_min", gan->d, gan->zlo));
  PetscCall(UmbH5ReadAttrReals(h5, "/gan", "z_max", gan->d, gan->zhi));
  PetscCall(UmbMLPGetParameters(gan->G, &theta, NULL));
  PetscCall(UmbMLPGetSizes(gan->G, NULL, NULL, &np));
  PetscCall(UmbGanReadFiniteReals(gan, h5, path, "/gan/generator/theta", np, theta));
  PetscCall(UmbMLPGetParameters(gan->D, &theta, NULL));
  PetscCall(UmbMLPGetSizes(gan->D, NULL, NULL, &np));
  PetscCall(UmbGanReadFiniteReals(gan, h5, path, "/gan/critic/theta", np, theta));
  PetscCall(PetscFree(gan->xmean));
  PetscCall(PetscFree(gan->xsd));
  PetscCall(PetscMalloc1(gan->ng, &gan->xmean));
  PetscCall(PetscMalloc1(gan->ng, &gan->xsd));
  PetscCall(UmbGanReadFiniteReals(gan, h5, path, "/gan/standardization/x_mean", gan->ng, gan->xmean));
  PetscCall(UmbGanReadFiniteReals(gan, h5, path, "/gan/standardization/x_sd", gan->ng, gan->xsd));
  PetscCall(UmbGanReadFiniteReals(gan, h5, path, "/gan/standardization/z_mean", gan->d, gan->zmean));
  PetscCall(UmbGanReadFiniteReals(gan, h5, path, "/gan/standardization/z_sd", gan->d, gan->zsd));
  PetscCall(UmbGanReadCalibration(gan, h5, path));
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  PetscCall(UmbMLPSetTraining(gan->G, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanSetRestart(UmbGan gan, PetscBool restart)
{
  PetscFunctionBegin;
  gan->restart = restart;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanSetSeed(UmbGan gan, PetscInt64 seed)
{
  PetscFunctionBegin;
  PetscCheck(seed >= 0, gan->comm, PETSC_ERR_ARG_OUTOFRANGE, "the seed must be non-negative, got %" PetscInt64_FMT, seed);
  gan->seed = seed;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanSetOptionsPrefix(UmbGan gan, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(UmbOptionsPrefixCopy(gan->comm, prefix, gan->prefix));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void UmbGanFeatures(UmbGan gan, PetscInt m, const PetscReal z[], PetscReal zf[])
{
  const UmbFeatureMap fm = {gan->d, gan->fourier, 1, gan->period, gan->zmean, gan->zsd, gan->zlo, gan->zhi};
  UmbFeatures(&fm, m, z, zf);
}

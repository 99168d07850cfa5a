/* UmbFlow: options, standardisation and features, generation and density, and flow.h5. */
#include <umbra/private/flowimpl.h>
#include <umbra/private/generatorcommon.h>

PetscErrorCode UmbFlowCreate(UmbCV cv, UmbFlow *flowp)
{
  UmbFlow   flow;
  UmbCVType type;

  PetscFunctionBegin;
  PetscCall(PetscNew(&flow));
  PetscCall(UmbCVSetUp(cv));
  flow->cv = cv;
  PetscCall(UmbCVGetModel(cv, &flow->model));
  PetscCall(UmbModelGetComm(flow->model, &flow->comm));
  PetscCallMPI(MPI_Comm_rank(flow->comm, &flow->rank));
  PetscCallMPI(MPI_Comm_size(flow->comm, &flow->size));
  PetscCall(UmbModelGetDimension(flow->model, &flow->n));
  PetscCall(UmbCVGetDimension(cv, &flow->d));
  PetscCall(UmbCVGetPeriod(cv, flow->period));
  {
    UmbModelType mt;
    PetscCall(UmbModelGetType(flow->model, &mt));
    PetscCall(PetscStrncpy(flow->modeltype, mt, sizeof(flow->modeltype)));
    PetscCall(UmbCVGetType(cv, &type));
    PetscCall(PetscStrncpy(flow->cvtype, type, sizeof(flow->cvtype)));
  }
  PetscCall(UmbGenSpaceCreate(cv, PETSC_TRUE, &flow->space));
  flow->ng = flow->space.ng;
  flow->fourier = 3;
  flow->harmonics = 4;
  flow->dz = UmbFeatureDim(flow->d, flow->period, flow->fourier, flow->harmonics);
  flow->ncoupling              = 4;
  flow->nhidden                = 2;
  flow->hidden[0]              = 64;
  flow->hidden[1]              = 64;
  flow->act                    = UMB_ACT_TANH;
  flow->slope                  = 0.2;
  flow->spline.K               = 8;
  flow->spline.bound           = 5;
  flow->spline.min_width       = 1e-3;
  flow->spline.min_height      = 1e-3;
  flow->spline.min_derivative  = 1e-3;
  flow->lr                     = 2e-3;
  flow->lr_final               = 0.1;
  flow->beta1                  = 0.9;
  flow->beta2                  = 0.999;
  flow->val_frac               = 0.1;
  flow->loss_limit             = 1e6;
  flow->batch                  = 256;
  flow->epochs                 = 20;
  flow->microbatch             = 32;
  flow->ckpt_interval          = 1000;
  flow->drift_interval         = 100;
  flow->seed                   = 42;
  flow->reduce                 = UMB_REDUCE_MPI;
  for (PetscInt a = 0; a < 2; a++) {
    flow->zmean[a] = 0;
    flow->zsd[a]   = 1;
    flow->zlo[a]   = -1;
    flow->zhi[a]   = 1;
  }
  *flowp = flow;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowSetFromOptions(UmbFlow flow)
{
  const MPI_Comm comm = flow->comm;
  /* one slot more than allowed, so that a value too many is seen rather than dropped */
  PetscInt       nh = UMB_FLOW_MAX_LAYERS + 1, nb = 3, act = (PetscInt)flow->act, red = (PetscInt)flow->reduce, hidden[UMB_FLOW_MAX_LAYERS + 1];
  PetscReal      betas[3] = {flow->beta1, flow->beta2, 0};
  PetscBool      set;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, UmbOptionsPrefix(flow->prefix), "Conditional normalizing flow options (umbra train -generator flow)", "UmbFlow");
  PetscCall(PetscOptionsInt("-flow_couplings", "Coupling layers", "UmbFlowSetFromOptions", flow->ncoupling, &flow->ncoupling, NULL));
  PetscCheck(flow->ncoupling >= 1 && flow->ncoupling <= UMB_FLOW_MAX_COUPLINGS, comm, PETSC_ERR_USER_INPUT, "-flow_couplings must be in 1..%d, got %" PetscInt_FMT, UMB_FLOW_MAX_COUPLINGS, flow->ncoupling);
  PetscCall(PetscArraycpy(hidden, flow->hidden, flow->nhidden));
  PetscCall(PetscOptionsIntArray("-flow_layers", "Hidden layer widths of each coupling layer's conditioner", "UmbFlowSetFromOptions", hidden, &nh, &set));
  if (set) {
    PetscCheck(nh >= 1, comm, PETSC_ERR_USER_INPUT, "-flow_layers needs at least one width (e.g. 64,64)");
    PetscCheck(nh <= UMB_FLOW_MAX_LAYERS, comm, PETSC_ERR_USER_INPUT, "-flow_layers takes at most %d hidden layers, got more", UMB_FLOW_MAX_LAYERS);
    for (PetscInt l = 0; l < nh; l++) PetscCheck(hidden[l] >= 1, comm, PETSC_ERR_USER_INPUT, "-flow_layers: width %" PetscInt_FMT " of hidden layer %" PetscInt_FMT " must be positive", hidden[l], l + 1);
    flow->nhidden = nh;
    PetscCall(PetscArraycpy(flow->hidden, hidden, nh));
  }
  PetscCall(PetscOptionsEList("-flow_activation", "Activation of the conditioners' hidden layers", "UmbFlowSetFromOptions", UmbActivations, 4, UmbActivations[act], &act, NULL));
  flow->act = (UmbActivation)act;
  PetscCall(PetscOptionsInt("-flow_bins", "Bins of each rational-quadratic spline", "UmbFlowSetFromOptions", flow->spline.K, &flow->spline.K, NULL));
  PetscCheck(flow->spline.K >= 2 && flow->spline.K <= UMB_FLOW_MAX_BINS, comm, PETSC_ERR_USER_INPUT, "-flow_bins must be in 2..%d, got %" PetscInt_FMT, UMB_FLOW_MAX_BINS, flow->spline.K);
  PetscCall(PetscOptionsReal("-flow_bound", "The splines act on [-B, B] in standardised units (identity outside)", "UmbFlowSetFromOptions", flow->spline.bound, &flow->spline.bound, NULL));
  PetscCheck(flow->spline.bound > 0 && flow->spline.bound <= 100, comm, PETSC_ERR_USER_INPUT, "-flow_bound must be in (0, 100], got %.6g", (double)flow->spline.bound);
  PetscCall(PetscOptionsInt("-flow_fourier", "Sine/cosine features of each non-periodic CV component at K doubling frequencies over the trained range", "UmbFlowSetFromOptions", flow->fourier, &flow->fourier, NULL));
  PetscCheck(flow->fourier >= 0 && flow->fourier <= 16, comm, PETSC_ERR_USER_INPUT, "-flow_fourier must be in 0..16, got %" PetscInt_FMT, flow->fourier);
  PetscCall(PetscOptionsInt("-flow_harmonics", "Cosine/sine pairs of each periodic CV component at harmonics 1..H", "UmbFlowSetFromOptions", flow->harmonics, &flow->harmonics, NULL));
  PetscCheck(flow->harmonics >= 1 && flow->harmonics <= 16, comm, PETSC_ERR_USER_INPUT, "-flow_harmonics must be in 1..16, got %" PetscInt_FMT, flow->harmonics);
  flow->dz = UmbFeatureDim(flow->d, flow->period, flow->fourier, flow->harmonics);
  PetscCall(PetscOptionsReal("-flow_lr", "Learning rate (Adam)", "UmbFlowSetFromOptions", flow->lr, &flow->lr, NULL));
  PetscCheck(flow->lr > 0 && PetscIsNormalReal(flow->lr), comm, PETSC_ERR_USER_INPUT, "-flow_lr must be positive, got %.6g", (double)flow->lr);
  PetscCall(PetscOptionsReal("-flow_lr_final", "The learning rate is constant for the first half of the training, then decays linearly to this fraction", "UmbFlowSetFromOptions", flow->lr_final, &flow->lr_final, NULL));
  PetscCheck(flow->lr_final > 0 && flow->lr_final <= 1, comm, PETSC_ERR_USER_INPUT, "-flow_lr_final must be in (0, 1], got %.6g", (double)flow->lr_final);
  PetscCall(PetscOptionsRealArray("-flow_adam_betas", "Adam's beta1,beta2", "UmbFlowSetFromOptions", betas, &nb, &set));
  PetscCheck(!set || nb == 2, comm, PETSC_ERR_USER_INPUT, "-flow_adam_betas needs two values beta1,beta2, got %s%" PetscInt_FMT, nb > 2 ? "more than " : "", nb > 2 ? (PetscInt)2 : nb);
  PetscCheck(betas[0] >= 0 && betas[0] < 1 && betas[1] >= 0 && betas[1] < 1, comm, PETSC_ERR_USER_INPUT, "-flow_adam_betas must be in [0, 1), got %.6g,%.6g", (double)betas[0], (double)betas[1]);
  flow->beta1 = betas[0];
  flow->beta2 = betas[1];
  PetscCall(PetscOptionsInt("-flow_batch", "Global mini-batch size (samples per step, over all ranks)", "UmbFlowSetFromOptions", flow->batch, &flow->batch, NULL));
  PetscCheck(flow->batch >= 1, comm, PETSC_ERR_USER_INPUT, "-flow_batch must be positive, got %" PetscInt_FMT, flow->batch);
  PetscCall(PetscOptionsInt("-flow_epochs", "Training epochs (passes over the training samples)", "UmbFlowSetFromOptions", flow->epochs, &flow->epochs, NULL));
  PetscCheck(flow->epochs >= 1, comm, PETSC_ERR_USER_INPUT, "-flow_epochs must be positive, got %" PetscInt_FMT, flow->epochs);
  PetscCall(PetscOptionsReal("-flow_validation", "Fraction of the samples held out for validation", "UmbFlowSetFromOptions", flow->val_frac, &flow->val_frac, NULL));
  PetscCheck(flow->val_frac >= 0 && flow->val_frac <= 0.5, comm, PETSC_ERR_USER_INPUT, "-flow_validation must be in [0, 0.5], got %.6g", (double)flow->val_frac);
  PetscCall(PetscOptionsEList("-flow_reduce_mode", "Gradient reduction: mpi or exact (bitwise independent of the rank count)", "UmbFlowSetFromOptions", UmbReduceModes, 2, UmbReduceModes[red], &red, NULL));
  flow->reduce = (UmbReduceMode)red;
  if (flow->reduce == UMB_REDUCE_EXACT) {
    PetscCall(PetscOptionsInt("-flow_microbatch", "exact mode: rows per micro-batch", "UmbFlowSetFromOptions", flow->microbatch, &flow->microbatch, NULL));
    PetscCheck(flow->microbatch >= 1, comm, PETSC_ERR_USER_INPUT, "-flow_microbatch must be positive, got %" PetscInt_FMT, flow->microbatch);
  }
  PetscCall(PetscOptionsReal("-flow_loss_limit", "Stop as diverged when the loss exceeds this in size (0: only NaN or infinity)", "UmbFlowSetFromOptions", flow->loss_limit, &flow->loss_limit, NULL));
  PetscCheck(flow->loss_limit >= 0 && !PetscIsInfOrNanReal(flow->loss_limit), comm, PETSC_ERR_USER_INPUT, "-flow_loss_limit must be non-negative (0 = no limit), got %.6g", (double)flow->loss_limit);
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-flow_checkpoint_interval", "Steps between training checkpoints (0: none)", flow->ckpt_interval, &flow->ckpt_interval, NULL));
  PetscCheck(flow->ckpt_interval >= 0, comm, PETSC_ERR_USER_INPUT, "-flow_checkpoint_interval must be non-negative (0 = no checkpoints), got %" PetscInt64_FMT, flow->ckpt_interval);
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-flow_stop_step", "Checkpoint and stop (exit code 3) after this step (0: run to the end)", flow->stop_step, &flow->stop_step, NULL));
  PetscCheck(flow->stop_step >= 0, comm, PETSC_ERR_USER_INPUT, "-flow_stop_step must be non-negative, got %" PetscInt64_FMT, flow->stop_step);
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-flow_drift_interval", "Steps between checks that all ranks hold the same parameters", flow->drift_interval, &flow->drift_interval, NULL));
  PetscCheck(flow->drift_interval >= 1, comm, PETSC_ERR_USER_INPUT, "-flow_drift_interval must be positive, got %" PetscInt64_FMT, flow->drift_interval);
  PetscOptionsEnd();
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowSetOptionsPrefix(UmbFlow flow, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(UmbOptionsPrefixCopy(flow->comm, prefix, flow->prefix));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowSetRestart(UmbFlow flow, PetscBool restart)
{
  PetscFunctionBegin;
  flow->restart = restart;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowSetSeed(UmbFlow flow, PetscInt64 seed)
{
  PetscFunctionBegin;
  PetscCheck(seed >= 0, flow->comm, PETSC_ERR_ARG_OUTOFRANGE, "the seed must be non-negative, got %" PetscInt64_FMT, seed);
  flow->seed = seed;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void FormatLayers(UmbFlow flow, char *buf, size_t len)
{
  buf[0] = 0;
  for (PetscInt l = 0; l < flow->nhidden; l++) {
    size_t k = strlen(buf);
    snprintf(buf + k, len - k, "%s%d", l ? "," : "", (int)flow->hidden[l]);
  }
}

PetscErrorCode UmbFlowView(UmbFlow flow, PetscViewer v)
{
  char layers[256];

  PetscFunctionBegin;
  FormatLayers(flow, layers, sizeof(layers));
  PetscCall(UmbViewerPrintf(v, "conditional normalizing flow: %d rational-quadratic coupling layers (%d bins on [-%g, %g]), conditioners %s (%s), %d conditioning features; models %d of %d coordinates\n", (int)flow->ncoupling, (int)flow->spline.K, (double)flow->spline.bound, (double)flow->spline.bound, layers, UmbActivations[flow->act], (int)flow->dz, (int)flow->ng, (int)flow->n));
  PetscCall(UmbViewerPrintf(v, "  batch %d, %d epochs, lr %g decaying to %g of it, Adam betas %g,%g, reduction %s on %d rank%s\n", (int)flow->batch, (int)flow->epochs, (double)flow->lr, (double)flow->lr_final, (double)flow->beta1, (double)flow->beta2, UmbReduceModes[flow->reduce], (int)flow->size, flow->size > 1 ? "s" : ""));
  if (flow->ymean) {
    PetscCall(UmbViewerPrintf(v, "  %d parameters; trained %lld steps (%lld epochs): NLL per sample %.6g (training), %.6g (held out), in standardised units\n", (int)flow->nparams, (long long)flow->trained_steps, (long long)flow->trained_epochs, (double)flow->train_nll, (double)flow->valid_nll));
    if (flow->space.Q) PetscCall(UmbViewerPrintf(v, "  generated: the %d coordinates of an orthonormal basis of the null space of the linear CV's weights\n", (int)flow->ng));
    if (flow->space.zm) PetscCall(UmbViewerPrintf(v, "  generated: %d internal coordinates of the %d atoms (bond lengths in the model's unit, angles and dihedrals in radians)\n", (int)flow->ng, (int)flow->space.zm->natoms));
    for (PetscInt j = 0; j < flow->ng; j++) {
      const char *name = NULL;
      char        buf[64];
      if (flow->space.zm) {
        UmbZMatrixName(flow->space.zm, j, buf, sizeof(buf));
        name = buf;
      } else if (flow->space.Q) {
        PetscCall(PetscSNPrintf(buf, sizeof(buf), "u%d", (int)(j + 1)));
        name = buf;
      } else PetscCall(UmbModelGetCoordinateName(flow->model, flow->space.idx[j], &name));
      PetscCall(UmbViewerPrintf(v, "  %s: mean %.6g, sd %.6g\n", name, (double)flow->ymean[j], (double)flow->ysd[j]));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowDestroy(UmbFlow *flowp)
{
  UmbFlow flow = *flowp;

  PetscFunctionBegin;
  if (!flow) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbFlowDestroyNetworks(flow));
  PetscCall(PetscFree(flow->ymean));
  PetscCall(PetscFree(flow->ysd));
  PetscCall(UmbGenSpaceDestroy(&flow->space));
  PetscCall(PetscFree(*flowp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowGetGenerated(UmbFlow flow, PetscInt *ng)
{
  PetscFunctionBegin;
  *ng = flow->ng;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowCheckGenerates(UmbFlow flow)
{
  PetscBool flat;

  PetscFunctionBegin;
  PetscCall(UmbCVHasFlatLevelSets(flow->cv, &flat));
  PetscCheck(flat || flow->space.zm, flow->comm, PETSC_ERR_USER_INPUT, "the flow models the coordinates outside a coordinate CV (-cv coord), the null space of a linear CV (-cv linear) or the internal coordinates of a molecule around dihedral CVs (-cv dihedral)%s%s; with CV %s use -generator gan", flow->space.why[0] ? ", but " : "", flow->space.why, flow->cvtype);
  PetscCheck(flow->ng > 0, flow->comm, PETSC_ERR_USER_INPUT, "the CV is all %" PetscInt_FMT " coordinates of model %s: a conditional flow has nothing left to generate", flow->n, flow->modeltype);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowIsTrained(UmbFlow flow, PetscBool *trained)
{
  PetscFunctionBegin;
  *trained = (PetscBool)(flow->have_networks && flow->ymean);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowGetRange(UmbFlow flow, PetscReal range[])
{
  PetscFunctionBegin;
  PetscCheck(flow->have_networks && flow->ymean, flow->comm, PETSC_ERR_ORDER, "the flow is not trained yet");
  for (PetscInt a = 0; a < flow->d; a++) {
    range[2 * a]     = flow->zlo[a];
    range[2 * a + 1] = flow->zhi[a];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* sum of log ysd: the Jacobian of the standardisation */
static PetscReal LogScale(UmbFlow flow)
{
  PetscReal s = 0;
  for (PetscInt j = 0; j < flow->ng; j++) s += PetscLogReal(flow->ysd[j]);
  return s;
}

/* log of the volume element of y on the level set: internal coordinates have one (so that q is
   a density of the states, exp(-beta U) / q an importance weight); the other spaces do not */
static PetscReal LogVolume(UmbFlow flow, const PetscReal y[])
{
  return flow->space.zm ? UmbZMatrixLogVolume(flow->space.zm, y) : 0;
}

#define UmbFlowCheckTrained(flow) PetscCheck((flow)->have_networks && (flow)->ymean, PETSC_COMM_SELF, PETSC_ERR_ORDER, "the flow needs trained or loaded networks (UmbFlowTrain or UmbFlowLoad)")

/* rows in blocks of at most UMB_FLOW_BLOCK: inference in the same blocks whatever the caller's
   m, so a row's value does not depend on how many rows a call holds */
PetscErrorCode UmbFlowPushForward(UmbFlow flow, PetscInt m, const PetscReal z[], const PetscReal noise[], PetscReal x[], PetscReal logq[])
{
  const PetscInt  ng = flow->ng;
  const PetscReal c  = 0.5 * (PetscReal)ng * PetscLogReal(2 * PETSC_PI), ls = LogScale(flow);
  PetscReal      *zf, *y, *ld;

  PetscFunctionBegin;
  UmbFlowCheckTrained(flow);
  PetscCall(PetscMalloc3(UMB_FLOW_BLOCK * flow->dz, &zf, UMB_FLOW_BLOCK * ng, &y, UMB_FLOW_BLOCK, &ld));
  for (PetscInt i0 = 0; i0 < m; i0 += UMB_FLOW_BLOCK) {
    const PetscInt b = PetscMin(UMB_FLOW_BLOCK, m - i0);
    UmbFlowFeatures(flow, b, z + i0 * flow->d, zf);
    PetscCall(UmbFlowInverseRows(flow, b, noise + i0 * ng, zf, flow->dz, y, ld));
    for (PetscInt i = 0; i < b; i++) {
      PetscReal *yi = y + i * ng, r2 = 0;
      for (PetscInt j = 0; j < ng; j++) {
        const PetscReal e = noise[(i0 + i) * ng + j];
        yi[j]             = flow->ymean[j] + flow->ysd[j] * yi[j];
        r2 += e * e;
      }
      UmbGenSpaceEmbed(&flow->space, z + (i0 + i) * flow->d, yi, x + (i0 + i) * flow->n);
      if (logq) logq[i0 + i] = -0.5 * r2 - c + ld[i] - ls - LogVolume(flow, yi);
    }
    /* internal coordinates leave the molecule in their own frame: move it into the samples' */
    if (flow->space.zm) PetscCall(UmbModelCanonicalFrame(flow->model, b, x + i0 * flow->n));
  }
  PetscCall(PetscFree3(zf, y, ld));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowLogDensity(UmbFlow flow, PetscInt m, const PetscReal z[], const PetscReal x[], PetscReal logq[], PetscReal noise[])
{
  const PetscInt  ng = flow->ng;
  const PetscReal c  = 0.5 * (PetscReal)ng * PetscLogReal(2 * PETSC_PI), ls = LogScale(flow);
  PetscReal      *zf, *y, *u, *ld;

  PetscFunctionBegin;
  UmbFlowCheckTrained(flow);
  PetscCall(PetscMalloc4(UMB_FLOW_BLOCK * flow->dz, &zf, UMB_FLOW_BLOCK * ng, &y, UMB_FLOW_BLOCK * ng, &u, UMB_FLOW_BLOCK, &ld));
  for (PetscInt i0 = 0; i0 < m; i0 += UMB_FLOW_BLOCK) {
    const PetscInt b = PetscMin(UMB_FLOW_BLOCK, m - i0);
    UmbFlowFeatures(flow, b, z + i0 * flow->d, zf);
    for (PetscInt i = 0; i < b; i++) {
      UmbGenSpaceProject(&flow->space, x + (i0 + i) * flow->n, y + i * ng);
      logq[i0 + i] = -LogVolume(flow, y + i * ng);
      for (PetscInt j = 0; j < ng; j++) y[i * ng + j] = (y[i * ng + j] - flow->ymean[j]) / flow->ysd[j];
    }
    PetscCall(UmbFlowForwardRows(flow, b, y, ng, zf, flow->dz, u, ld));
    for (PetscInt i = 0; i < b; i++) {
      PetscReal r2 = 0;
      for (PetscInt j = 0; j < ng; j++) r2 += u[i * ng + j] * u[i * ng + j];
      logq[i0 + i] += -0.5 * r2 - c + ld[i] - ls;
    }
    if (noise) PetscCall(PetscArraycpy(noise + i0 * ng, u, b * ng));
  }
  PetscCall(PetscFree4(zf, y, u, ld));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* noise of rows keyed by (seed, LATENT, id) at counter (c0, row), in aligned blocks */
static PetscErrorCode GenerateKeyed(UmbFlow flow, uint64_t domain, uint64_t id, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscReal x[])
{
  PetscReal *eta;
  UmbStream  s;
  PetscInt   i0 = 0;

  PetscFunctionBegin;
  UmbFlowCheckTrained(flow);
  PetscCall(PetscMalloc1(UMB_FLOW_BLOCK * flow->ng, &eta));
  UmbStreamInit(&s, (uint64_t)flow->seed, domain, id);
  while (i0 < m) {
    PetscInt b = 1;
    while (i0 + b < m && b < UMB_FLOW_BLOCK && index[i0 + b] == index[i0 + b - 1] + 1 && index[i0 + b] % UMB_FLOW_BLOCK) b++;
    for (PetscInt i = 0; i < b; i++) UmbStreamGaussian(&s, 0, (uint64_t)index[i0 + i], (int)flow->ng, eta + i * flow->ng);
    PetscCall(UmbFlowPushForward(flow, b, z + i0 * flow->d, eta, x + i0 * flow->n, NULL));
    i0 += b;
  }
  PetscCall(PetscFree(eta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowGenerate(UmbFlow flow, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscReal x[])
{
  PetscFunctionBegin;
  PetscCall(GenerateKeyed(flow, UMB_STREAM_LATENT, UMB_FLOW_RNG_LIFT, m, z, index, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowGenerateSeeds(UmbFlow flow, uint64_t id, PetscInt m, const PetscReal z[], PetscReal x[])
{
  PetscInt64 *index;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(m, &index));
  for (PetscInt i = 0; i < m; i++) index[i] = i;
  PetscCall(GenerateKeyed(flow, UMB_STREAM_COUPLING, id, m, z, index, x));
  PetscCall(PetscFree(index));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void UmbFlowFeatures(UmbFlow flow, PetscInt m, const PetscReal z[], PetscReal zf[])
{
  const UmbFeatureMap fm = {flow->d, flow->fourier, flow->harmonics, flow->period, flow->zmean, flow->zsd, flow->zlo, flow->zhi};
  UmbFeatures(&fm, m, z, zf);
}

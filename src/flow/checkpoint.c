/* Training checkpoints of the flow: <dir>/ckpt/train.h5 holds the parameters, Adam's moments and
   step (one flat vector each, conditioner after conditioner), the step, the epoch's running sums
   and the history; batches follow from counters. Written and read through UmbCheckpoint (the
   previous one is kept until the new one is in place). */
#include <umbra/private/flowtrain.h>

/* The options and data sizes that define the training trajectory, compared on restart */
static PetscErrorCode Record(UmbFlow flow, FlowTrain *ft, UmbOptionRecord *rec)
{
  char      layers[256] = "";
  PetscReal betas[2]    = {flow->beta1, flow->beta2};

  PetscFunctionBegin;
  PetscCall(PetscMemzero(rec, sizeof(*rec)));
  for (PetscInt l = 0; l < flow->nhidden; l++) {
    size_t k = strlen(layers);
    snprintf(layers + k, sizeof(layers) - k, "%s%d", l ? "," : "", (int)flow->hidden[l]);
  }
  PetscCall(UmbOptionRecordAdd(rec, "-flow_couplings", "%" PetscInt_FMT, flow->ncoupling));
  PetscCall(UmbOptionRecordAdd(rec, "-flow_layers", "%s", layers));
  PetscCall(UmbOptionRecordAdd(rec, "-flow_activation", "%s", UmbActivations[flow->act]));
  PetscCall(UmbOptionRecordAdd(rec, "-flow_bins", "%" PetscInt_FMT, flow->spline.K));
  PetscCall(UmbOptionRecordAddReals(rec, "-flow_bound", 1, &flow->spline.bound));
  PetscCall(UmbOptionRecordAdd(rec, "-flow_fourier", "%" PetscInt_FMT, flow->fourier));
  PetscCall(UmbOptionRecordAdd(rec, "-flow_harmonics", "%" PetscInt_FMT, flow->harmonics));
  PetscCall(UmbOptionRecordAdd(rec, "-flow_batch", "%" PetscInt_FMT, flow->batch));
  PetscCall(UmbOptionRecordAdd(rec, "-flow_epochs", "%" PetscInt_FMT, flow->epochs));
  PetscCall(UmbOptionRecordAddReals(rec, "-flow_lr", 1, &flow->lr));
  PetscCall(UmbOptionRecordAddReals(rec, "-flow_lr_final", 1, &flow->lr_final));
  PetscCall(UmbOptionRecordAddReals(rec, "-flow_adam_betas", 2, betas));
  PetscCall(UmbOptionRecordAddReals(rec, "-flow_validation", 1, &flow->val_frac));
  PetscCall(UmbOptionRecordAdd(rec, "-flow_reduce_mode", "%s", UmbReduceModes[flow->reduce]));
  PetscCall(UmbOptionRecordAdd(rec, "-seed", "%" PetscInt64_FMT, flow->seed));
  PetscCall(UmbOptionRecordAdd(rec, "model dimension n", "%" PetscInt_FMT, flow->n));
  PetscCall(UmbOptionRecordAdd(rec, "the number of samples in samples.h5", "%lld", (long long)ft->set.N));
  PetscCall(UmbOptionRecordAdd(rec, "the number of training samples", "%lld", (long long)ft->set.T));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* which = 0: parameters, 1: Adam's m, 2: Adam's v; flat over the conditioners */
static PetscErrorCode Gather(UmbFlow flow, int which, PetscReal flat[], PetscBool out)
{
  PetscFunctionBegin;
  for (PetscInt l = 0; l < flow->ncoupling; l++) {
    PetscReal *theta, *m, *v, *src;
    PetscInt   np;
    PetscCall(UmbMLPGetParameters(flow->net[l], &theta, NULL));
    PetscCall(UmbAdamGetState(flow->adam[l], &np, NULL, &m, &v));
    src = which == 0 ? theta : which == 1 ? m : v;
    if (out) PetscCall(PetscArraycpy(flat + flow->poff[l], src, np));
    else PetscCall(PetscArraycpy(src, flat + flow->poff[l], np));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static const char *const state_names[3] = {"/flow_state/theta", "/flow_state/adam_m", "/flow_state/adam_v"};

PetscErrorCode UmbFlowWriteCheckpoint(UmbFlow flow, FlowTrain *ft, PetscInt64 step, PetscReal elapsed)
{
  UmbOptionRecord rec;
  UmbH5           h5;
  hsize_t         dims[1];
  PetscReal      *flat;
  PetscInt64      t;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.flow_ckpt, 0, 0, 0, 0));
  PetscCall(Record(flow, ft, &rec));
  PetscCall(UmbCheckpointCreate(flow->comm, ft->dir, "train", &rec, &h5));
  PetscCall(UmbFlowWriteAttributes(flow, h5, "/flow"));
  PetscCall(UmbH5WriteAttrInt(h5, "/state", "step", step));
  PetscCall(UmbH5WriteAttrInt(h5, "/state", "epochs_done", ft->nhist));
  PetscCall(UmbH5WriteAttrReals(h5, "/state", "elapsed", 1, &elapsed));
  PetscCall(UmbAdamGetState(flow->adam[0], NULL, &t, NULL, NULL));
  PetscCall(UmbH5WriteAttrInt(h5, "/state", "adam_t", t));
  PetscCall(PetscMalloc1(flow->nparams, &flat));
  dims[0] = (hsize_t)flow->nparams;
  for (int w = 0; w < 3; w++) {
    PetscCall(Gather(flow, w, flat, PETSC_TRUE));
    PetscCall(UmbH5WriteSmall(h5, state_names[w], H5T_NATIVE_DOUBLE, 1, dims, flat));
  }
  PetscCall(PetscFree(flat));
  dims[0] = (hsize_t)flow->ng;
  PetscCall(UmbH5WriteSmall(h5, "/standardization/y_mean", H5T_NATIVE_DOUBLE, 1, dims, flow->ymean));
  PetscCall(UmbH5WriteSmall(h5, "/standardization/y_sd", H5T_NATIVE_DOUBLE, 1, dims, flow->ysd));
  dims[0] = UMB_FLOW_NACC;
  PetscCall(UmbH5WriteSmall(h5, "/state/epoch_sums", H5T_NATIVE_DOUBLE, 1, dims, ft->acc));
  dims[0] = (hsize_t)PetscMax(1, ft->nhist * UMB_FLOW_NCOL);
  PetscCall(UmbH5WriteSmall(h5, "/state/history", H5T_NATIVE_DOUBLE, 1, dims, ft->hist));
  PetscCall(UmbCheckpointCommit(&h5));
  PetscCall(PetscLogEventEnd(UMB_EVENT.flow_ckpt, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowReadCheckpoint(UmbFlow flow, FlowTrain *ft, PetscInt64 *step, PetscReal *elapsed)
{
  static const char *const required[] = {"/state/epoch_sums", "/state/history", "/flow_state/theta", "/flow_state/adam_m", "/flow_state/adam_v", "/standardization/y_mean", NULL};
  UmbOptionRecord          rec;
  UmbH5                    h5;
  PetscReal               *flat, *ym, *ys;
  const char              *path;
  PetscInt64               ne, t;
  int                      r;
  hsize_t                  dims[3];

  PetscFunctionBegin;
  *step    = 0;
  *elapsed = 0;
  PetscCall(Record(flow, ft, &rec));
  PetscCall(UmbCheckpointOpen(flow->comm, ft->dir, "train", &rec, required, "umbra train -generator flow with -flow_checkpoint_interval, -flow_stop_step or a signal", &h5));
  PetscCall(UmbH5GetPath(h5, &path));
  PetscCall(UmbH5ReadAttrInt(h5, "/state", "step", step));
  PetscCall(UmbH5ReadAttrInt(h5, "/state", "epochs_done", &ne));
  PetscCall(UmbH5ReadAttrReals(h5, "/state", "elapsed", 1, elapsed));
  PetscCall(UmbH5ReadAttrInt(h5, "/state", "adam_t", &t));
  PetscCall(PetscMalloc1(flow->nparams, &flat));
  for (int w = 0; w < 3; w++) {
    PetscCall(UmbH5GetShape(h5, state_names[w], &r, dims));
    PetscCheck(r == 1 && dims[0] == (hsize_t)flow->nparams, flow->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %s has %llu values, expected %" PetscInt_FMT, path, state_names[w], (unsigned long long)dims[0], flow->nparams);
    PetscCall(UmbH5ReadSmall(h5, state_names[w], H5T_NATIVE_DOUBLE, (size_t)flow->nparams, flat));
    PetscCall(Gather(flow, w, flat, PETSC_FALSE));
  }
  PetscCall(PetscFree(flat));
  for (PetscInt l = 0; l < flow->ncoupling; l++) PetscCall(UmbAdamSetStep(flow->adam[l], t));
  PetscCall(PetscMalloc2(flow->ng, &ym, flow->ng, &ys));
  PetscCall(UmbH5ReadSmall(h5, "/standardization/y_mean", H5T_NATIVE_DOUBLE, (size_t)flow->ng, ym));
  PetscCall(UmbH5ReadSmall(h5, "/standardization/y_sd", H5T_NATIVE_DOUBLE, (size_t)flow->ng, ys));
  for (PetscInt j = 0; j < flow->ng; j++) PetscCheck(ym[j] == flow->ymean[j] && ys[j] == flow->ysd[j], flow->comm, PETSC_ERR_USER_INPUT, "cannot restart from %s: samples.h5 changed since the checkpoint was written", path);
  PetscCall(PetscFree2(ym, ys));
  PetscCall(UmbH5ReadSmall(h5, "/state/epoch_sums", H5T_NATIVE_DOUBLE, UMB_FLOW_NACC, ft->acc));
  if (ne > ft->maxhist) {
    PetscCall(PetscFree(ft->hist));
    ft->maxhist = (PetscInt)ne;
    PetscCall(PetscMalloc1(ft->maxhist * UMB_FLOW_NCOL + 1, &ft->hist));
  }
  PetscCall(UmbH5ReadSmall(h5, "/state/history", H5T_NATIVE_DOUBLE, (size_t)PetscMax(1, ne * UMB_FLOW_NCOL), ft->hist));
  ft->nhist = (PetscInt)ne;
  PetscCall(UmbLog(flow->comm, "train: restarting from %s at step %lld (epoch %lld)", path, (long long)*step, (long long)(ne + 1)));
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

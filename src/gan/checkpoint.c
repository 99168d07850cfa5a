/* Training checkpoints of the conditional GAN: <dir>/ckpt/train.h5 holds both networks, Adam's
   moments, the generator's running average, the generator step and the running sums of the
   current epoch; batches and noise follow from counters. The previous checkpoint is kept as
   train.prev.h5 until the new one is in place, and a restart falls back to it. */
#include <umbra/private/gantrain.h>

/* The options and data sizes that define the training trajectory, compared on restart */
static PetscErrorCode Record(UmbGan gan, TrainData *td, UmbOptionRecord *rec)
{
  char      layers[256] = "";
  PetscReal betas[2]    = {gan->beta1, gan->beta2};

  PetscFunctionBegin;
  PetscCall(PetscMemzero(rec, sizeof(*rec)));
  for (PetscInt l = 0; l < gan->nhidden; l++) {
    size_t k = strlen(layers);
    snprintf(layers + k, sizeof(layers) - k, "%s%d", l ? "," : "", (int)gan->hidden[l]);
  }
  PetscCall(UmbOptionRecordAdd(rec, "-gan_layers", "%s", layers));
  PetscCall(UmbOptionRecordAdd(rec, "-gan_activation", "%s", UmbActivations[gan->act]));
  PetscCall(UmbOptionRecordAddReals(rec, "-gan_leaky_slope", 1, &gan->slope));
  PetscCall(UmbOptionRecordAdd(rec, "-gan_loss", "%s", UmbGanLosses[gan->loss]));
  PetscCall(UmbOptionRecordAdd(rec, "-gan_latent", "%" PetscInt_FMT, gan->latent));
  PetscCall(UmbOptionRecordAdd(rec, "-gan_fourier", "%" PetscInt_FMT, gan->fourier));
  PetscCall(UmbOptionRecordAdd(rec, "-gan_batch", "%" PetscInt_FMT, gan->batch));
  PetscCall(UmbOptionRecordAdd(rec, "-gan_critic_steps", "%" PetscInt_FMT, gan->critic_steps));
  PetscCall(UmbOptionRecordAddReals(rec, "-gan_lr_g", 1, &gan->lr_g));
  PetscCall(UmbOptionRecordAddReals(rec, "-gan_lr_d", 1, &gan->lr_d));
  PetscCall(UmbOptionRecordAddReals(rec, "-gan_lr_final", 1, &gan->lr_final));
  PetscCall(UmbOptionRecordAddReals(rec, "-gan_adam_betas", 2, betas));
  PetscCall(UmbOptionRecordAddReals(rec, "-gan_gp_lambda", 1, &gan->gp_lambda));
  PetscCall(UmbOptionRecordAddReals(rec, "-gan_consistency_lambda", 1, &gan->cons_lambda));
  PetscCall(UmbOptionRecordAddReals(rec, "-gan_ema", 1, &gan->ema));
  PetscCall(UmbOptionRecordAddReals(rec, "-gan_validation", 1, &gan->val_frac));
  PetscCall(UmbOptionRecordAdd(rec, "-seed", "%" PetscInt64_FMT, gan->seed));
  PetscCall(UmbOptionRecordAdd(rec, "model dimension n", "%" PetscInt_FMT, gan->n));
  PetscCall(UmbOptionRecordAdd(rec, "the number of samples in samples.h5", "%lld", (long long)td->set.N));
  PetscCall(UmbOptionRecordAdd(rec, "the number of training samples", "%lld", (long long)td->set.T));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteNetState(UmbH5 h5, const char g[], UmbMLP net, UmbAdam adam)
{
  char       name[128];
  PetscReal *theta, *m, *v;
  PetscInt   np;
  PetscInt64 t;
  hsize_t    dims[1];

  PetscFunctionBegin;
  PetscCall(UmbMLPGetParameters(net, &theta, NULL));
  PetscCall(UmbAdamGetState(adam, &np, &t, &m, &v));
  dims[0] = (hsize_t)np;
  snprintf(name, sizeof(name), "%s/theta", g);
  PetscCall(UmbH5WriteSmall(h5, name, H5T_NATIVE_DOUBLE, 1, dims, theta));
  snprintf(name, sizeof(name), "%s/adam_m", g);
  PetscCall(UmbH5WriteSmall(h5, name, H5T_NATIVE_DOUBLE, 1, dims, m));
  snprintf(name, sizeof(name), "%s/adam_v", g);
  PetscCall(UmbH5WriteSmall(h5, name, H5T_NATIVE_DOUBLE, 1, dims, v));
  PetscCall(UmbH5WriteAttrInt(h5, g, "adam_t", t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadNetState(UmbH5 h5, const char path[], const char g[], UmbMLP net, UmbAdam adam)
{
  char       name[128];
  PetscReal *theta, *m, *v;
  PetscInt   np;
  PetscInt64 t;
  int        r;
  hsize_t    dims[3];

  PetscFunctionBegin;
  PetscCall(UmbMLPGetParameters(net, &theta, NULL));
  PetscCall(UmbAdamGetState(adam, &np, NULL, &m, &v));
  snprintf(name, sizeof(name), "%s/theta", g);
  PetscCall(UmbH5GetShape(h5, name, &r, dims));
  PetscCheck(r == 1 && dims[0] == (hsize_t)np, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s has %llu parameters, expected %" PetscInt_FMT, path, name, (unsigned long long)dims[0], np);
  PetscCall(UmbH5ReadSmall(h5, name, H5T_NATIVE_DOUBLE, (size_t)np, theta));
  snprintf(name, sizeof(name), "%s/adam_m", g);
  PetscCall(UmbH5ReadSmall(h5, name, H5T_NATIVE_DOUBLE, (size_t)np, m));
  snprintf(name, sizeof(name), "%s/adam_v", g);
  PetscCall(UmbH5ReadSmall(h5, name, H5T_NATIVE_DOUBLE, (size_t)np, v));
  PetscCall(UmbH5ReadAttrInt(h5, g, "adam_t", &t));
  PetscCall(UmbAdamSetStep(adam, t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanWriteCheckpoint(UmbGan gan, TrainData *td, const char dir[], PetscInt64 step, PetscReal elapsed)
{
  UmbOptionRecord rec;
  UmbH5           h5;
  hsize_t         dims[1];

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.gan_ckpt, 0, 0, 0, 0));
  PetscCall(Record(gan, td, &rec));
  PetscCall(UmbCheckpointCreate(gan->comm, dir, "train", &rec, &h5));
  PetscCall(UmbGanWriteAttributes(gan, h5, "/gan"));
  PetscCall(UmbH5WriteAttrInt(h5, "/state", "step", step));
  PetscCall(UmbH5WriteAttrInt(h5, "/state", "samples", td->set.N));
  PetscCall(UmbH5WriteAttrInt(h5, "/state", "training_samples", td->set.T));
  PetscCall(UmbH5WriteAttrInt(h5, "/state", "epochs_done", td->nhist));
  PetscCall(UmbH5WriteAttrReals(h5, "/state", "elapsed", 1, &elapsed));
  PetscCall(UmbH5WriteAttrReals(h5, "/state", "swd_floor", 1, &td->floor));
  PetscCall(WriteNetState(h5, "/generator", gan->G, gan->adam_g));
  if (gan->Gl != gan->G) {
    PetscReal *avg;
    dims[0] = (hsize_t)td->npG;
    PetscCall(UmbMLPGetParameters(gan->Gl, &avg, NULL));
    PetscCall(UmbH5WriteSmall(h5, "/generator/average", H5T_NATIVE_DOUBLE, 1, dims, avg));
  }
  PetscCall(WriteNetState(h5, "/critic", gan->D, gan->adam_d));
  dims[0] = (hsize_t)gan->ng;
  PetscCall(UmbH5WriteSmall(h5, "/standardization/x_mean", H5T_NATIVE_DOUBLE, 1, dims, gan->xmean));
  PetscCall(UmbH5WriteSmall(h5, "/standardization/x_sd", H5T_NATIVE_DOUBLE, 1, dims, gan->xsd));
  dims[0] = UMB_GAN_NACC;
  PetscCall(UmbH5WriteSmall(h5, "/state/epoch_sums", H5T_NATIVE_DOUBLE, 1, dims, td->acc));
  dims[0] = (hsize_t)PetscMax(1, td->nhist * UMB_GAN_NCOL);
  PetscCall(UmbH5WriteSmall(h5, "/state/history", H5T_NATIVE_DOUBLE, 1, dims, td->hist));
  PetscCall(UmbCheckpointCommit(&h5));
  PetscCall(PetscLogEventEnd(UMB_EVENT.gan_ckpt, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanReadCheckpoint(UmbGan gan, TrainData *td, const char dir[], PetscInt64 *step, PetscReal *elapsed)
{
  static const char *const required[] = {"/state/epoch_sums", "/state/history", "/generator/theta", "/critic/theta", "/standardization/x_mean", NULL};
  UmbOptionRecord          rec;
  UmbH5                    h5;
  PetscReal               *xm, *xs;
  const char              *path;
  PetscInt64               ne;

  PetscFunctionBegin;
  *step    = 0;
  *elapsed = 0;
  PetscCall(Record(gan, td, &rec));
  PetscCall(UmbCheckpointOpen(gan->comm, dir, "train", &rec, required, "umbra train with -gan_checkpoint_interval, -gan_stop_step or a signal", &h5));
  PetscCall(UmbH5GetPath(h5, &path));
  PetscCall(UmbH5ReadAttrInt(h5, "/state", "step", step));
  PetscCall(UmbH5ReadAttrInt(h5, "/state", "epochs_done", &ne));
  PetscCall(UmbH5ReadAttrReals(h5, "/state", "elapsed", 1, elapsed));
  PetscCall(UmbH5ReadAttrReals(h5, "/state", "swd_floor", 1, &td->floor));
  PetscCall(ReadNetState(h5, path, "/generator", gan->G, gan->adam_g));
  {
    PetscBool has;
    PetscCall(UmbH5HasObject(h5, "/generator/average", &has)); /* present exactly with -gan_ema > 0, recorded */
    if (has) {
      PetscReal *avg;
      PetscCall(UmbMLPGetParameters(gan->Gl, &avg, NULL));
      PetscCall(UmbH5ReadSmall(h5, "/generator/average", H5T_NATIVE_DOUBLE, (size_t)td->npG, avg));
    }
  }
  PetscCall(ReadNetState(h5, path, "/critic", gan->D, gan->adam_d));
  PetscCall(PetscMalloc2(gan->ng, &xm, gan->ng, &xs));
  PetscCall(UmbH5ReadSmall(h5, "/standardization/x_mean", H5T_NATIVE_DOUBLE, (size_t)gan->ng, xm));
  PetscCall(UmbH5ReadSmall(h5, "/standardization/x_sd", H5T_NATIVE_DOUBLE, (size_t)gan->ng, xs));
  for (PetscInt j = 0; j < gan->ng; j++) PetscCheck(xm[j] == gan->xmean[j] && xs[j] == gan->xsd[j], gan->comm, PETSC_ERR_USER_INPUT, "cannot restart from %s: samples.h5 changed since the checkpoint was written", path);
  PetscCall(PetscFree2(xm, xs));
  PetscCall(UmbH5ReadSmall(h5, "/state/epoch_sums", H5T_NATIVE_DOUBLE, UMB_GAN_NACC, td->acc));
  if (ne > td->maxhist) {
    PetscCall(PetscFree(td->hist));
    td->maxhist = (PetscInt)ne;
    PetscCall(PetscMalloc1(td->maxhist * UMB_GAN_NCOL + 1, &td->hist));
  }
  PetscCall(UmbH5ReadSmall(h5, "/state/history", H5T_NATIVE_DOUBLE, (size_t)PetscMax(1, ne * UMB_GAN_NCOL), td->hist));
  td->nhist = (PetscInt)ne;
  PetscCall(UmbLog(gan->comm, "train: restarting from %s at generator step %lld (epoch %lld)", path, (long long)*step, (long long)(ne + 1)));
  PetscCall(UmbH5Close(&h5, PETSC_FALSE)); /* frees path */
  PetscFunctionReturn(PETSC_SUCCESS);
}

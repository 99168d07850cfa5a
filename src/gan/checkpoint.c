/* Training checkpoints of the conditional GAN: <dir>/ckpt/train.h5 holds both networks, Adam's
   moments, the generator's running average, the generator step and the running sums of the
   current epoch; batches and noise follow from counters. The previous checkpoint is kept as
   train.prev.h5 until the new one is in place, and a restart falls back to it. */
#include <umbra/private/gantrain.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

static PetscErrorCode CheckpointPaths(const char dir[], char ckdir[], char cur[], char prev[])
{
  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "ckpt", ckdir, PETSC_MAX_PATH_LEN));
  PetscCall(UmbPathJoin(ckdir, "train.h5", cur, PETSC_MAX_PATH_LEN));
  PetscCall(UmbPathJoin(ckdir, "train.prev.h5", prev, PETSC_MAX_PATH_LEN));
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
  char    ckdir[PETSC_MAX_PATH_LEN], cur[PETSC_MAX_PATH_LEN], prev[PETSC_MAX_PATH_LEN];
  UmbH5   h5;
  hsize_t dims[1];
  int     err = 0;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.gan_ckpt, 0, 0, 0, 0));
  PetscCall(CheckpointPaths(dir, ckdir, cur, prev));
  if (!gan->rank && mkdir(ckdir, 0777) && errno != EEXIST) err = errno;
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, gan->comm));
  PetscCheck(!err, gan->comm, PETSC_ERR_FILE_WRITE, "cannot create directory %s: %s", ckdir, strerror(err));
  PetscCall(UmbH5Create(gan->comm, cur, "gan-checkpoint", &h5));
  PetscCall(UmbGanWriteAttributes(gan, h5, "/gan"));
  PetscCall(UmbH5WriteAttrInt(h5, "/state", "step", step));
  PetscCall(UmbH5WriteAttrInt(h5, "/state", "samples", td->N));
  PetscCall(UmbH5WriteAttrInt(h5, "/state", "training_samples", td->T));
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
  if (!gan->rank) { /* keep the previous checkpoint until the new one is in place */
    if (access(cur, F_OK) == 0 && rename(cur, prev)) err = errno;
  }
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, gan->comm));
  PetscCheck(!err, gan->comm, PETSC_ERR_FILE_WRITE, "cannot rename %s to %s: %s", cur, prev, strerror(err));
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));
  PetscCall(PetscLogEventEnd(UMB_EVENT.gan_ckpt, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Compares an attribute of the checkpoint with the current value: the options that define
   the networks and the batches must not change across a restart */
static PetscErrorCode CheckSame(UmbGan gan, UmbH5 h5, const char path[], const char attr[], const char option[], const char now[])
{
  char was[256];

  PetscFunctionBegin;
  PetscCall(UmbH5ReadAttrString(h5, "/gan", attr, was, sizeof(was)));
  PetscCheck(!strcmp(was, now), gan->comm, PETSC_ERR_USER_INPUT, "cannot restart from %s: it was written with %s %s, this run has %s %s; restart with the options of the interrupted run", path, option, was, option, now);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckSameInt(UmbGan gan, UmbH5 h5, const char path[], const char obj[], const char attr[], const char option[], PetscInt64 now)
{
  PetscInt64 was;

  PetscFunctionBegin;
  PetscCall(UmbH5ReadAttrInt(h5, obj, attr, &was));
  PetscCheck(was == now, gan->comm, PETSC_ERR_USER_INPUT, "cannot restart from %s: it was written with %s %lld, this run has %lld; restart with the options (and samples) of the interrupted run", path, option, (long long)was, (long long)now);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanReadCheckpoint(UmbGan gan, TrainData *td, const char dir[], PetscInt64 *step, PetscReal *elapsed)
{
  char      ckdir[PETSC_MAX_PATH_LEN], cur[PETSC_MAX_PATH_LEN], prev[PETSC_MAX_PATH_LEN], layers[256] = "";
  PetscBool has_cur, has_prev;
  UmbH5     h5;
  PetscReal *xm, *xs;
  const char *path;
  PetscInt64 ne;

  PetscFunctionBegin;
  *step    = 0;
  *elapsed = 0;
  PetscCall(CheckpointPaths(dir, ckdir, cur, prev));
  PetscCall(PetscTestFile(cur, 'r', &has_cur));
  PetscCall(PetscTestFile(prev, 'r', &has_prev));
  if (!has_cur && !has_prev) {
    PetscCall(UmbLogWarning(gan->comm, "-restart: no checkpoint %s; training from the start", cur));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (!has_cur) PetscCall(UmbLogWarning(gan->comm, "-restart: %s is missing (interrupted while writing?); using %s", cur, prev));
  path = has_cur ? cur : prev;
  PetscCall(UmbH5Open(gan->comm, path, "gan-checkpoint", &h5));
  for (PetscInt l = 0; l < gan->nhidden; l++) {
    size_t k = strlen(layers);
    snprintf(layers + k, sizeof(layers) - k, "%s%d", l ? "," : "", (int)gan->hidden[l]);
  }
  PetscCall(CheckSame(gan, h5, path, "layers", "-gan_layers", layers));
  PetscCall(CheckSame(gan, h5, path, "activation", "-gan_activation", UmbActivations[gan->act]));
  PetscCall(CheckSame(gan, h5, path, "loss", "-gan_loss", UmbGanLosses[gan->loss]));
  PetscCall(CheckSameInt(gan, h5, path, "/gan", "latent", "-gan_latent", gan->latent));
  PetscCall(CheckSameInt(gan, h5, path, "/gan", "fourier", "-gan_fourier", gan->fourier));
  PetscCall(CheckSameInt(gan, h5, path, "/gan", "batch", "-gan_batch", gan->batch));
  PetscCall(CheckSameInt(gan, h5, path, "/gan", "critic_steps", "-gan_critic_steps", gan->critic_steps));
  PetscCall(CheckSameInt(gan, h5, path, "/gan", "seed", "-seed", gan->seed));
  PetscCall(CheckSameInt(gan, h5, path, "/gan", "n", "model dimension n", gan->n));
  PetscCall(CheckSameInt(gan, h5, path, "/state", "samples", "samples in samples.h5", td->N));
  PetscCall(CheckSameInt(gan, h5, path, "/state", "training_samples", "training samples (-gan_validation)", td->T));
  PetscCall(UmbH5ReadAttrInt(h5, "/state", "step", step));
  PetscCall(UmbH5ReadAttrInt(h5, "/state", "epochs_done", &ne));
  PetscCall(UmbH5ReadAttrReals(h5, "/state", "elapsed", 1, elapsed));
  PetscCall(UmbH5ReadAttrReals(h5, "/state", "swd_floor", 1, &td->floor));
  PetscCall(ReadNetState(h5, path, "/generator", gan->G, gan->adam_g));
  {
    PetscBool has;
    PetscCall(UmbH5HasObject(h5, "/generator/average", &has));
    PetscCheck(has == (PetscBool)(gan->Gl != gan->G), gan->comm, PETSC_ERR_USER_INPUT, "cannot restart from %s: it was written %s -gan_ema, this run has -gan_ema %.6g", path, has ? "with" : "without", (double)gan->ema);
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
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  PetscCall(UmbLog(gan->comm, "train: restarting from %s at generator step %lld (epoch %lld)", path, (long long)*step, (long long)(ne + 1)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Data-parallel training of the conditional GAN.

   Data: rows of samples.h5 are sharded over the ranks in blocks of global row index; a row is
   held out for validation when a Philox draw keyed by (seed, row) falls below -gan_validation.
   Epoch e visits the T training rows in the order of a Fisher-Yates permutation keyed by
   (seed, e): critic batch j holds the rows at positions [jB, (j+1)B). Position q of every batch
   belongs to a fixed rank (blocks of positions; whole micro-batches in exact mode), and one
   MPI_Alltoallv per epoch moves each row to the rank of its position. So the batches, and the
   latent noise (keyed by (seed, critic iteration, global row)), do not depend on the rank count.

   Step: every rank computes the gradient of its part of the global batch, one allreduce per
   network (mpi: doubles; exact: int64 fixed point per micro-batch, bitwise independent of the
   rank count), and every rank applies the same Adam step. A hash of the parameters is compared
   across ranks every -gan_drift_interval steps. Checkpoints hold the parameters, Adam's state,
   the step and the epoch's running sums; everything else is recomputed from counters. */
#include <umbra/private/gantrain.h>
#include <umbra/private/nnimpl.h>
#include <umbra/samplesfile.h>
#include <cblas.h> /* openblas_set_num_threads */

static const char csv_header[] = "epoch,step,loss_d,loss_g,wdist,penalty,consistency,swd,swd_floor,restriction,samples_per_s,time";


static PetscErrorCode TrainDataDestroy(TrainData *td)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(td->Toff));
  PetscCall(PetscFree(td->woff));
  PetscCall(PetscFree(td->train));
  PetscCall(PetscFree(td->valid));
  PetscCall(PetscFree(td->perm));
  PetscCall(PetscFree(td->chunk));
  PetscCall(PetscFree(td->qowner));
  PetscCall(PetscFree(td->ebuf));
  PetscCall(PetscFree(td->vec));
  PetscCall(PetscFree(td->red));
  PetscCall(PetscFree(td->ids));
  PetscCall(PetscFree(td->hist));
  PetscCall(PetscFree(td->proj));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscInt64 RowOwnerStart(PetscInt64 N, PetscMPIInt size, PetscMPIInt r) { return (PetscInt64)((N * (long double)r) / size); }

static PetscBool IsValidation(UmbGan gan, PetscInt64 row)
{
  UmbStream s;
  uint64_t  b[4];
  if (gan->val_frac <= 0) return PETSC_FALSE;
  UmbStreamInit(&s, (uint64_t)gan->seed, UMB_STREAM_SHUFFLE, UMB_GAN_SHUFFLE_SPLIT);
  UmbStreamBits(&s, (uint64_t)row, 0, 0, b);
  return (PetscBool)(UmbU01(b[0]) < gan->val_frac);
}

/* Reads this rank's block of samples.h5, splits training/validation rows, computes the
   standardisation (exact sums: identical for any rank count) and the CV range */
static PetscErrorCode LoadSamples(UmbGan gan, const char dir[], TrainData *td)
{
  const MPI_Comm         comm = gan->comm;
  char                   path[PETSC_MAX_PATH_LEN];
  PetscBool              exists;
  UmbSamplesFile         sf;
  const UmbSamplesTable *t;
  PetscInt64             rows;
  PetscInt               cols;
  PetscReal             *x, *z, *stat, *sum;
  PetscInt64            *counts;
  const PetscInt         ncs = gan->ng + gan->d;
  PetscInt              *seg;
  PetscBool              finite;

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(PetscTestFile(path, 'r', &exists));
  PetscCheck(exists, comm, PETSC_ERR_USER_INPUT, "training needs %s: run `umbra sample` (or `umbra run`) with the same -out first", path);
  PetscCall(UmbSamplesFileOpen(comm, path, &sf));
  PetscCall(UmbSamplesFileGetShape(sf, UMB_SAMPLES_X, &td->N, &cols));
  PetscCheck(cols == gan->n, comm, PETSC_ERR_USER_INPUT, "%s holds states with %llu coordinates, but model %s has n = %" PetscInt_FMT ": use the model options of the sampling run", path, (unsigned long long)cols, gan->modeltype, gan->n);
  PetscCall(UmbSamplesFileGetShape(sf, UMB_SAMPLES_Z, &rows, &cols));
  PetscCheck(cols == gan->d && rows == td->N, comm, PETSC_ERR_USER_INPUT, "%s holds %llu-D CV values, but the current CV is %" PetscInt_FMT "-D: use the CV options of the sampling run", path, (unsigned long long)cols, gan->d);
  PetscCall(UmbSamplesFileGetTable(sf, &t));
  PetscCheck(!strcmp(t->model, gan->modeltype), comm, PETSC_ERR_USER_INPUT, "%s was sampled with model %s, but the current model is %s", path, t->model, gan->modeltype);
  PetscCheck(!strcmp(t->cv, gan->cvtype), comm, PETSC_ERR_USER_INPUT, "%s was sampled along CV %s, but the current CV is %s: the cGAN must be conditioned on the biased CV (docs/gan.md)", path, t->cv, gan->cvtype);
  {
    char names[256] = "";
    for (PetscInt a = 0; a < gan->d; a++) {
      const char *nm;
      PetscCall(UmbCVGetName(gan->cv, a, &nm));
      PetscCall(PetscStrlcat(names, a ? "," : "", sizeof(names)));
      PetscCall(PetscStrlcat(names, nm, sizeof(names)));
    }
    PetscCheck(!strcmp(t->cv_names, names), comm, PETSC_ERR_USER_INPUT, "%s was sampled along CV %s, but the current CV is %s: use the CV options of the sampling run", path, t->cv_names, names);
  }
  /* the window table (rows offset[k] .. offset[k+1]-1 of window k) */
  td->nwin = t->K;
  PetscCall(PetscMalloc1(td->nwin + 1, &td->woff));
  for (PetscInt k = 0; k <= td->nwin; k++) td->woff[k] = t->offset[k];
  td->row0 = RowOwnerStart(td->N, gan->size, gan->rank);
  td->nloc = RowOwnerStart(td->N, gan->size, gan->rank + 1) - td->row0;
  PetscCall(PetscMalloc2(td->nloc * gan->n, &x, td->nloc * gan->d, &z));
  PetscCall(UmbSamplesFileReadRows(sf, UMB_SAMPLES_X, td->row0, td->nloc, x));
  PetscCall(UmbSamplesFileReadRows(sf, UMB_SAMPLES_Z, td->row0, td->nloc, z));
  PetscCall(UmbSamplesFileCheckFinite(sf, UMB_SAMPLES_X, td->nloc, gan->n, x, td->row0, NULL, "sample again (`umbra sample`)"));
  PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE));

  /* split */
  td->tloc = td->vloc = 0;
  for (PetscInt64 i = 0; i < td->nloc; i++) {
    if (IsValidation(gan, td->row0 + i)) td->vloc++;
    else td->tloc++;
  }
  PetscCall(PetscMalloc1(2 * gan->size, &counts));
  {
    PetscInt64 mine[2] = {td->tloc, td->vloc};
    PetscCallMPI(MPI_Allgather(mine, 2, MPIU_INT64, counts, 2, MPIU_INT64, comm));
  }
  PetscCall(PetscMalloc1(gan->size + 1, &td->Toff));
  td->Toff[0] = 0;
  td->V       = 0;
  for (PetscMPIInt p = 0; p < gan->size; p++) {
    td->Toff[p + 1] = td->Toff[p] + counts[2 * p];
    td->V += counts[2 * p + 1];
  }
  td->T = td->Toff[gan->size];
  PetscCall(PetscFree(counts));
  PetscCheck(td->T >= (PetscInt64)gan->batch * gan->critic_steps, comm, PETSC_ERR_USER_INPUT, "%s: %lld training samples (after holding out %.6g%% for validation) are fewer than one generator step needs (-gan_batch %" PetscInt_FMT " x -gan_critic_steps %" PetscInt_FMT "): sample more or reduce them", path, (long long)td->T, (double)(100 * gan->val_frac), gan->batch, gan->critic_steps);

  /* standardisation from the training rows: means, then sums of squared deviations */
  PetscCall(PetscMalloc2(td->tloc * ncs, &stat, ncs, &sum));
  for (PetscInt64 i = 0, k = 0; i < td->nloc; i++) {
    if (IsValidation(gan, td->row0 + i)) continue;
    for (PetscInt j = 0; j < gan->ng; j++) stat[k * ncs + j] = x[i * gan->n + gan->gidx[j]];
    for (PetscInt a = 0; a < gan->d; a++) stat[k * ncs + gan->ng + a] = z[i * gan->d + a];
    k++;
  }
  PetscCall(PetscMalloc1(ncs + 1, &seg));
  for (PetscInt j = 0; j <= ncs; j++) seg[j] = j;
  PetscCall(UmbNNSumExact(comm, (PetscInt)td->tloc, ncs, ncs, seg, stat, td->T, sum, &finite));
  PetscCheck(finite, comm, PETSC_ERR_FILE_UNEXPECTED, "%s holds non-finite values", path);
  PetscCall(PetscFree(gan->xmean));
  PetscCall(PetscFree(gan->xsd));
  PetscCall(PetscMalloc1(gan->ng, &gan->xmean));
  PetscCall(PetscMalloc1(gan->ng, &gan->xsd));
  for (PetscInt j = 0; j < ncs; j++) sum[j] /= (PetscReal)td->T;
  for (PetscInt j = 0; j < gan->ng; j++) gan->xmean[j] = sum[j];
  for (PetscInt a = 0; a < gan->d; a++) gan->zmean[a] = gan->period[a] > 0 ? 0 : sum[gan->ng + a];
  for (PetscInt64 k = 0; k < td->tloc; k++)
    for (PetscInt j = 0; j < ncs; j++) {
      const PetscReal dv = stat[k * ncs + j] - sum[j];
      stat[k * ncs + j]  = dv * dv;
    }
  PetscCall(UmbNNSumExact(comm, (PetscInt)td->tloc, ncs, ncs, seg, stat, td->T, sum, &finite));
  for (PetscInt j = 0; j < ncs; j++) {
    PetscReal sd = td->T > 1 ? PetscSqrtReal(sum[j] / (PetscReal)(td->T - 1)) : 1;
    if (!(sd > 1e-12)) sd = 1;
    if (j < gan->ng) gan->xsd[j] = sd;
    else gan->zsd[j - gan->ng] = gan->period[j - gan->ng] > 0 ? 1 : sd;
  }
  PetscCall(PetscFree2(stat, sum));
  PetscCall(PetscFree(seg));
  /* CV range over all samples */
  for (PetscInt a = 0; a < gan->d; a++) {
    gan->zlo[a] = PETSC_MAX_REAL;
    gan->zhi[a] = -PETSC_MAX_REAL;
    for (PetscInt64 i = 0; i < td->nloc; i++) {
      gan->zlo[a] = PetscMin(gan->zlo[a], z[i * gan->d + a]);
      gan->zhi[a] = PetscMax(gan->zhi[a], z[i * gan->d + a]);
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, gan->zlo, (PetscMPIInt)gan->d, MPIU_REAL, MPI_MIN, comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, gan->zhi, (PetscMPIInt)gan->d, MPIU_REAL, MPI_MAX, comm));

  /* payload rows */
  td->ox  = 0;
  td->oz  = gan->ng;
  td->or  = gan->ng + gan->dz;
  td->oid = td->or + gan->d;
  td->W   = td->oid + 1;
  PetscCall(PetscMalloc1(td->tloc * td->W, &td->train));
  PetscCall(PetscMalloc1(PetscMax(td->vloc, 1) * td->W, &td->valid));
  for (PetscInt64 i = 0, kt = 0, kv = 0; i < td->nloc; i++) {
    const PetscInt64 row = td->row0 + i;
    PetscReal       *p   = IsValidation(gan, row) ? td->valid + (kv++) * td->W : td->train + (kt++) * td->W;
    for (PetscInt j = 0; j < gan->ng; j++) p[td->ox + j] = (x[i * gan->n + gan->gidx[j]] - gan->xmean[j]) / gan->xsd[j];
    UmbGanFeatures(gan, 1, z + i * gan->d, p + td->oz);
    for (PetscInt a = 0; a < gan->d; a++) p[td->or + a] = z[i * gan->d + a];
    p[td->oid] = (PetscReal)row;
  }
  PetscCall(PetscFree2(x, z));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Batch positions of this rank and its chunks (one in mpi mode, micro-batches in exact mode) */
static PetscErrorCode SetUpBatches(UmbGan gan, TrainData *td)
{
  const PetscInt B = gan->batch;

  PetscFunctionBegin;
  td->B = B;
  td->S = td->T / ((PetscInt64)B * gan->critic_steps);
  PetscCall(PetscMalloc1(B, &td->qowner));
  if (gan->reduce == UMB_REDUCE_EXACT) {
    const PetscInt mb = PetscMin(gan->microbatch, B);
    td->U             = (B + mb - 1) / mb;
    for (PetscMPIInt p = 0; p < gan->size; p++) {
      const PetscInt u0 = (PetscInt)(((PetscInt64)td->U * p) / gan->size), u1 = (PetscInt)(((PetscInt64)td->U * (p + 1)) / gan->size);
      for (PetscInt q = PetscMin(B, u0 * mb); q < PetscMin(B, u1 * mb); q++) td->qowner[q] = p;
      if (p == gan->rank) {
        td->qlo    = PetscMin(B, u0 * mb);
        td->qhi    = PetscMin(B, u1 * mb);
        td->nchunk = u1 - u0;
        PetscCall(PetscMalloc1(td->nchunk + 1, &td->chunk));
        for (PetscInt u = u0; u <= u1; u++) td->chunk[u - u0] = PetscMin(B, u * mb) - td->qlo;
      }
    }
  } else {
    td->U = gan->size;
    for (PetscMPIInt p = 0; p < gan->size; p++) {
      const PetscInt q0 = (PetscInt)(((PetscInt64)B * p) / gan->size), q1 = (PetscInt)(((PetscInt64)B * (p + 1)) / gan->size);
      for (PetscInt q = q0; q < q1; q++) td->qowner[q] = p;
      if (p == gan->rank) {
        td->qlo = q0;
        td->qhi = q1;
      }
    }
    td->nchunk = td->qhi > td->qlo ? 1 : 0;
    PetscCall(PetscMalloc1(2, &td->chunk));
    td->chunk[0] = 0;
    td->chunk[1] = td->qhi - td->qlo;
  }
  td->bloc = td->qhi - td->qlo;
  PetscCall(PetscMalloc1(td->S * gan->critic_steps * td->bloc * td->W + 1, &td->ebuf));
  PetscCall(PetscMalloc1(td->T, &td->perm));
  PetscCall(PetscMalloc1(td->bloc + 1, &td->ids));
  td->epoch_loaded = -1;
  /* reduction buffers and segments (each layer's W and b, then each loss entry) */
  PetscCall(UmbMLPGetSizes(gan->G, NULL, NULL, &td->npG));
  PetscCall(UmbMLPGetSizes(gan->D, NULL, NULL, &td->npD));
  for (int which = 0; which < 2; which++) {
    UmbMLP    net   = which ? gan->D : gan->G;
    PetscInt *seg   = which ? td->segD : td->segG, k = 0, nl, np, nloss = which ? UMB_GAN_NLOSS_D : UMB_GAN_NLOSS_G;
    PetscCall(UmbMLPGetLayers(net, &nl, NULL, NULL, NULL));
    PetscCall(UmbMLPGetSizes(net, NULL, NULL, &np));
    for (PetscInt l = 1; l <= nl; l++) {
      PetscInt oW, ob;
      PetscCall(UmbMLPGetLayerOffsets(net, l, &oW, &ob));
      seg[k++] = oW;
      seg[k++] = ob;
    }
    for (PetscInt j = 0; j < nloss; j++) seg[k++] = np + j;
    seg[k] = np + nloss;
    if (which) td->nsegD = k;
    else td->nsegG = k;
  }
  {
    const PetscInt len = PetscMax(td->npG + UMB_GAN_NLOSS_G, td->npD + UMB_GAN_NLOSS_D);
    PetscCall(PetscMalloc1((size_t)PetscMax(td->nchunk, 1) * len, &td->vec));
    PetscCall(PetscMalloc1(len, &td->red));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Fisher-Yates permutation of the T training rows for epoch e (the same on every rank) */
static void Permutation(UmbGan gan, PetscInt64 e, PetscInt64 T, PetscInt64 *perm)
{
  UmbStream s;

  UmbStreamInit(&s, (uint64_t)gan->seed, UMB_STREAM_SHUFFLE, UMB_GAN_SHUFFLE_EPOCH);
  for (PetscInt64 i = 0; i < T; i++) perm[i] = i;
  for (PetscInt64 i = T - 1; i > 0; i--) {
    uint64_t         b[4];
    PetscInt64       j, t;
    UmbStreamBits(&s, (uint64_t)e, (uint64_t)i, 0, b);
    j       = (PetscInt64)(UmbU01(b[0]) * (double)(i + 1));
    j       = PetscMin(j, i);
    t       = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}

static PetscMPIInt TrainOwner(const TrainData *td, PetscMPIInt size, PetscInt64 t)
{
  PetscMPIInt lo = 0, hi = size; /* Toff[lo] <= t < Toff[hi] */
  while (hi - lo > 1) {
    PetscMPIInt mid = (lo + hi) / 2;
    if (td->Toff[mid] <= t) lo = mid;
    else hi = mid;
  }
  return lo;
}

/* Collective: brings the rows of this rank's batch positions of epoch e into ebuf,
   laid out [critic batch j][local position] */
static PetscErrorCode LoadEpoch(UmbGan gan, TrainData *td, PetscInt64 e)
{
  const PetscInt64 J = td->S * gan->critic_steps, used = J * td->B;
  const PetscInt   W = td->W;
  PetscMPIInt     *scount, *rcount, *sdisp, *rdisp, *cur;
  PetscReal       *sbuf, *rbuf;
  PetscInt64       ns = 0, nr = 0;

  PetscFunctionBegin;
  if (td->epoch_loaded == e) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscLogEventBegin(UMB_EVENT.gan_data, 0, 0, 0, 0));
  Permutation(gan, e, td->T, td->perm);
  PetscCall(PetscCalloc5(gan->size, &scount, gan->size, &rcount, gan->size + 1, &sdisp, gan->size + 1, &rdisp, gan->size, &cur));
  for (PetscInt64 p = 0; p < used; p++) {
    const PetscInt64 t = td->perm[p];
    if (t >= td->Toff[gan->rank] && t < td->Toff[gan->rank + 1]) {
      scount[td->qowner[p % td->B]]++;
      ns++;
    }
  }
  for (PetscInt64 j = 0; j < J; j++)
    for (PetscInt q = td->qlo; q < td->qhi; q++) {
      rcount[TrainOwner(td, gan->size, td->perm[j * td->B + q])]++;
      nr++;
    }
  PetscCheck(ns * W < PETSC_MPI_INT_MAX && nr * W < PETSC_MPI_INT_MAX, PETSC_COMM_SELF, PETSC_ERR_SUP, "too many samples per rank for one exchange (%lld rows): use more ranks", (long long)PetscMax(ns, nr));
  for (PetscMPIInt p = 0; p < gan->size; p++) {
    scount[p] *= W;
    rcount[p] *= W;
    sdisp[p + 1] = sdisp[p] + scount[p];
    rdisp[p + 1] = rdisp[p] + rcount[p];
  }
  PetscCall(PetscMalloc2(ns * W + 1, &sbuf, nr * W + 1, &rbuf));
  for (PetscInt64 p = 0; p < used; p++) {
    const PetscInt64 t = td->perm[p];
    if (t >= td->Toff[gan->rank] && t < td->Toff[gan->rank + 1]) {
      const PetscMPIInt dst = td->qowner[p % td->B];
      PetscCall(PetscArraycpy(sbuf + sdisp[dst] + cur[dst], td->train + (t - td->Toff[gan->rank]) * W, W));
      cur[dst] += W;
    }
  }
  PetscCallMPI(MPI_Alltoallv(sbuf, scount, sdisp, MPIU_REAL, rbuf, rcount, rdisp, MPIU_REAL, gan->comm));
  PetscCall(PetscArrayzero(cur, gan->size));
  for (PetscInt64 j = 0; j < J; j++)
    for (PetscInt q = td->qlo; q < td->qhi; q++) {
      const PetscMPIInt src = TrainOwner(td, gan->size, td->perm[j * td->B + q]);
      PetscCall(PetscArraycpy(td->ebuf + (j * td->bloc + (q - td->qlo)) * W, rbuf + rdisp[src] + cur[src], W));
      cur[src] += W;
    }
  PetscCall(PetscFree2(sbuf, rbuf));
  PetscCall(PetscFree5(scount, rcount, sdisp, rdisp, cur));
  td->epoch_loaded = e;
  PetscCall(PetscLogEventEnd(UMB_EVENT.gan_data, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: red = the sum over ranks of the chunk vectors [gradient | losses] */
static PetscErrorCode Reduce(UmbGan gan, TrainData *td, PetscInt len, PetscInt nseg, const PetscInt seg[], PetscBool *finite)
{
  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.gan_allreduce, 0, 0, 0, 0));
  if (gan->reduce == UMB_REDUCE_EXACT) {
    PetscCall(UmbNNSumExact(gan->comm, td->nchunk, len, nseg, seg, td->vec, td->U, td->red, finite));
  } else {
    if (td->nchunk) PetscCall(PetscArraycpy(td->red, td->vec, len));
    else PetscCall(PetscArrayzero(td->red, len));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, td->red, (PetscMPIInt)len, MPIU_REAL, MPI_SUM, gan->comm));
    *finite = PETSC_TRUE;
    for (PetscInt i = 0; i < len; i++)
      if (PetscIsInfOrNanReal(td->red[i])) *finite = PETSC_FALSE;
  }
  PetscCall(PetscLogEventEnd(UMB_EVENT.gan_allreduce, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: stops the training as diverged (exit 1) when on any rank the reduced losses or
   gradients are not finite (finite false) or a loss exceeds -gan_loss_limit in size (net: critic
   or generator; NULL for the parameters themselves). Every rank
   takes the same decision, so none waits in the next reduction. Nothing is written: gan.h5 and
   the last checkpoint keep what they held. */
static PetscErrorCode CheckDiverged(UmbGan gan, TrainData *td, const char net[], PetscBool finite, PetscReal loss, PetscInt64 epoch, PetscInt64 step)
{
  int  bad = !finite || PetscIsInfOrNanReal(loss) || (gan->loss_limit > 0 && PetscAbsReal(loss) > gan->loss_limit);
  char what[128], ckpt[320];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, gan->comm));
  if (!bad) PetscFunctionReturn(PETSC_SUCCESS);
  if (!net) snprintf(what, sizeof(what), "the network parameters became NaN or infinite");
  else if (!finite || PetscIsInfOrNanReal(loss)) snprintf(what, sizeof(what), "the %s loss or gradient became NaN or infinite", net);
  else snprintf(what, sizeof(what), "the %s loss reached %.3g, beyond -gan_loss_limit %.3g", net, (double)loss, (double)gan->loss_limit);
  if (td->ckpt_step >= 0) snprintf(ckpt, sizeof(ckpt), "the last checkpoint, %s/ckpt/train.h5 at generator step %lld, is kept (-restart continues from it with the same options only)", td->dir, (long long)td->ckpt_step);
  else snprintf(ckpt, sizeof(ckpt), "no checkpoint was written before it");
  SETERRQ(gan->comm, PETSC_ERR_NOT_CONVERGED, "training diverged in epoch %lld (generator step %lld): %s; lower the learning rates (-gan_lr, now %.6g for the generator and %.6g for the critic; try -gan_lr %.3g), or steady the critic with more -gan_critic_steps (now %" PetscInt_FMT ") or a larger -gan_gp_lambda (now %.6g); gan.h5 is not written, %s", (long long)(epoch + 1), (long long)(step + 1), what, (double)gan->lr_g, (double)gan->lr_d, (double)(0.1 * PetscMin(gan->lr_g, gan->lr_d)), gan->critic_steps, (double)gan->gp_lambda, ckpt);
}

/* Collective: the parameters about to be written (checkpoint or gan.h5) are finite on every rank */
static PetscErrorCode CheckParameters(UmbGan gan, TrainData *td, PetscInt64 epoch, PetscInt64 step)
{
  UmbMLP    nets[3] = {gan->G, gan->D, gan->Gl};
  PetscBool finite  = PETSC_TRUE;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < 3; k++) {
    PetscReal *theta;
    PetscInt   np;
    PetscCall(UmbMLPGetParameters(nets[k], &theta, NULL));
    PetscCall(UmbMLPGetSizes(nets[k], NULL, NULL, &np));
    for (PetscInt i = 0; i < np; i++)
      if (PetscIsInfOrNanReal(theta[i])) finite = PETSC_FALSE;
  }
  PetscCall(CheckDiverged(gan, td, NULL, finite, 0, epoch, step));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One critic update on critic batch rows (bloc x W) at global critic iteration c */
static PetscErrorCode CriticStep(UmbGan gan, TrainData *td, const PetscReal *rows, PetscInt64 c, PetscInt64 epoch, PetscInt64 step)
{
  const PetscInt  len = td->npD + UMB_GAN_NLOSS_D;
  const PetscReal scale = 1.0 / (PetscReal)td->B;
  PetscReal      *theta, *grad;
  PetscBool       finite;
  UmbStream       se;

  PetscFunctionBegin;
  PetscCall(UmbMLPGetParameters(gan->D, &theta, &grad));
  UmbStreamInit(&se, (uint64_t)gan->seed, UMB_STREAM_LATENT, UMB_GAN_RNG_EPS);
  if (gan->reduce == UMB_REDUCE_MPI) PetscCall(PetscArrayzero(td->vec, len));
  for (PetscInt k = 0; k < td->nchunk; k++) {
    const PetscInt   q0 = td->chunk[k], b = td->chunk[k + 1] - q0;
    const PetscReal *r  = rows + q0 * td->W;
    PetscReal       *v  = td->vec + (gan->reduce == UMB_REDUCE_EXACT ? k * len : 0);
    PetscCall(UmbGanReserve(gan, b));
    for (PetscInt i = 0; i < b; i++) {
      double u[4];
      td->ids[i] = (PetscInt64)r[i * td->W + td->oid];
      UmbStreamUniform4(&se, (uint64_t)c, (uint64_t)td->ids[i], 0, u);
      gan->eps[i] = u[0];
    }
    UmbGanLatent(gan, UMB_GAN_RNG_CRITIC, (uint64_t)c, b, td->ids, gan->eta);
    if (gan->reduce == UMB_REDUCE_EXACT) PetscCall(PetscArrayzero(v, len));
    PetscCall(UmbMLPZeroGradients(gan->D));
    PetscCall(UmbGanCriticChunk(gan, b, r + td->ox, td->W, r + td->oz, td->W, gan->eta, gan->eps, scale, v + td->npD));
    for (PetscInt i = 0; i < td->npD; i++) v[i] += grad[i];
  }
  PetscCall(Reduce(gan, td, len, td->nsegD, td->segD, &finite));
  {
    const PetscReal *l = td->red + td->npD;
    PetscCall(CheckDiverged(gan, td, "critic", finite, gan->loss == UMB_GAN_WGANGP ? l[1] - l[0] + l[2] : l[0] + l[1] + l[2], epoch, step));
  }
  PetscCall(UmbAdamStep(gan->adam_d, theta, td->red));
  {
    const PetscReal *l = td->red + td->npD;
    td->acc[0] += gan->loss == UMB_GAN_WGANGP ? l[1] - l[0] + l[2] : l[0] + l[1] + l[2];
    td->acc[1] += gan->loss == UMB_GAN_WGANGP ? l[0] - l[1] : NAN;
    td->acc[2] += l[2];
    td->acc[3] += 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One generator update on the rows of the last critic batch, at generator step s */
static PetscErrorCode GeneratorStep(UmbGan gan, TrainData *td, const PetscReal *rows, PetscInt64 s, PetscInt64 epoch)
{
  const PetscInt  len = td->npG + UMB_GAN_NLOSS_G;
  const PetscReal scale = 1.0 / (PetscReal)td->B;
  PetscReal      *theta, *grad;
  PetscBool       finite;

  PetscFunctionBegin;
  PetscCall(UmbMLPGetParameters(gan->G, &theta, &grad));
  if (gan->reduce == UMB_REDUCE_MPI) {
    PetscCall(PetscArrayzero(td->vec, len));
    PetscCall(UmbMLPZeroGradients(gan->G));
  }
  for (PetscInt k = 0; k < td->nchunk; k++) {
    const PetscInt   q0 = td->chunk[k], b = td->chunk[k + 1] - q0;
    const PetscReal *r  = rows + q0 * td->W;
    PetscReal       *v  = td->vec + (gan->reduce == UMB_REDUCE_EXACT ? k * len : 0);
    PetscCall(UmbGanReserve(gan, b));
    for (PetscInt i = 0; i < b; i++) td->ids[i] = (PetscInt64)r[i * td->W + td->oid];
    UmbGanLatent(gan, UMB_GAN_RNG_GEN, (uint64_t)s, b, td->ids, gan->eta);
    if (gan->reduce == UMB_REDUCE_EXACT) {
      PetscCall(PetscArrayzero(v, len));
      PetscCall(UmbMLPZeroGradients(gan->G));
    }
    PetscCall(UmbGanGeneratorChunk(gan, b, r + td->oz, td->W, r + td->or, td->W, gan->eta, scale, v + td->npG));
    if (gan->reduce == UMB_REDUCE_EXACT) PetscCall(PetscArraycpy(v, grad, td->npG));
  }
  if (gan->reduce == UMB_REDUCE_MPI) PetscCall(PetscArraycpy(td->vec, grad, td->npG));
  PetscCall(Reduce(gan, td, len, td->nsegG, td->segG, &finite));
  PetscCall(CheckDiverged(gan, td, "generator", finite, td->red[td->npG], epoch, s));
  PetscCall(UmbAdamStep(gan->adam_g, theta, td->red));
  if (gan->Gl != gan->G) {
    PetscReal      *avg;
    const PetscReal b = gan->ema;
    PetscCall(UmbMLPGetParameters(gan->Gl, &avg, NULL));
    for (PetscInt i = 0; i < td->npG; i++) avg[i] = b * avg[i] + (1 - b) * theta[i];
  }
  td->acc[4] += td->red[td->npG];
  td->acc[5] += td->red[td->npG + 1];
  td->acc[6] += 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Mean over projections of W1 between two equal-size samples (columns cr and cf of n rows) */
static PetscReal SlicedW1(PetscInt n, PetscInt nproj, PetscInt ld, const PetscReal *rows, PetscInt cr, PetscInt cf, PetscInt strider, PetscReal *a, PetscReal *b)
{
  PetscReal s = 0;
  for (PetscInt k = 0; k < nproj; k++) {
    PetscReal w = 0;
    for (PetscInt i = 0; i < n; i++) {
      a[i] = rows[i * ld + cr + k];
      b[i] = rows[(i + strider) * ld + cf + k];
    }
    PetscSortReal(n, a);
    PetscSortReal(n, b);
    for (PetscInt i = 0; i < n; i++) w += PetscAbsReal(a[i] - b[i]);
    s += w / n;
  }
  return s / nproj;
}

/* Collective: held-out quality at the end of epoch e. Generated states at the held-out CV
   values against the held-out states, per CV bin: sliced 1-Wasserstein distance in standardised
   coordinates (axes and random directions), weighted by the bin counts; the floor is the same
   measure between two halves of the held-out data, scaled to the full size (/sqrt 2). Also the
   mean restriction error |xi(G) - z| for non-coordinate CVs. */
static PetscErrorCode Validate(UmbGan gan, TrainData *td, PetscInt64 e, PetscReal *swd, PetscReal *restr)
{
  const PetscInt nproj = td->nproj, ncol = 1 + 2 * nproj, ng = gan->ng;
  PetscReal     *loc, *all = NULL, rsum[2] = {0, 0};
  PetscMPIInt   *cnt = NULL, *disp = NULL, mine;
  PetscInt64     nall = 0;

  PetscFunctionBegin;
  *swd   = NAN;
  *restr = gan->coord ? 0 : NAN;
  if (td->V == 0) {
    td->floor = NAN;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscLogEventBegin(UMB_EVENT.gan_valid, 0, 0, 0, 0));
  PetscCall(PetscMalloc1(td->vloc * ncol + 1, &loc));
  PetscCall(PetscMalloc1(UMB_GAN_BLOCK * gan->dz, &td->vzf));
  for (PetscInt64 i0 = 0; i0 < td->vloc; i0 += UMB_GAN_BLOCK) {
    const PetscInt b = (PetscInt)PetscMin(UMB_GAN_BLOCK, td->vloc - i0);
    PetscCall(UmbGanReserve(gan, b));
    {
      PetscInt64 ids[UMB_GAN_BLOCK];
      PetscReal *zf = td->vzf, zr[UMB_GAN_BLOCK * 2];
      for (PetscInt i = 0; i < b; i++) {
        const PetscReal *r = td->valid + (i0 + i) * td->W;
        ids[i]             = (PetscInt64)r[td->oid];
        for (PetscInt a = 0; a < gan->dz; a++) zf[i * gan->dz + a] = r[td->oz + a];
        for (PetscInt a = 0; a < gan->d; a++) zr[i * gan->d + a] = r[td->or + a];
      }
      UmbGanLatent(gan, UMB_GAN_RNG_VALID, (uint64_t)e, b, ids, gan->eta);
      PetscCall(UmbGanGeneratorForward(gan, gan->Gl, b, zf, gan->dz, gan->eta, gan->xf));
      for (PetscInt i = 0; i < b; i++) {
        const PetscReal *r = td->valid + (i0 + i) * td->W;
        PetscReal       *o = loc + (i0 + i) * ncol;
        PetscInt         bin = 0;
        for (PetscInt a = 0; a < gan->d; a++) {
          const PetscReal wdt = (gan->zhi[a] - gan->zlo[a]) / gan->val_bins;
          PetscInt        k   = wdt > 0 ? (PetscInt)((r[td->or + a] - gan->zlo[a]) / wdt) : 0;
          k                   = PetscMax(0, PetscMin(gan->val_bins - 1, k));
          bin                 = bin * gan->val_bins + k;
        }
        o[0] = (PetscReal)bin;
        for (PetscInt k = 0; k < nproj; k++) {
          PetscReal pr = 0, pf = 0;
          for (PetscInt j = 0; j < ng; j++) {
            pr += td->proj[k * ng + j] * r[td->ox + j];
            pf += td->proj[k * ng + j] * gan->xf[i * ng + j];
          }
          o[1 + k]         = pr;
          o[1 + nproj + k] = pf;
        }
      }
      if (!gan->coord) {
        PetscReal *x = gan->zc, *zc = gan->Jc;
        UmbGanAssemble(gan, b, gan->xf, NULL, x);
        PetscCall(UmbCVEvaluate(gan->cv, b, x, zc, NULL));
        for (PetscInt i = 0; i < b; i++) {
          PetscReal s = 0;
          for (PetscInt a = 0; a < gan->d; a++) {
            const PetscReal df = UmbCVDifference(gan->cv, a, zc[i * gan->d + a], zr[i * gan->d + a]);
            s += df * df;
          }
          rsum[0] += PetscSqrtReal(s);
          rsum[1] += 1;
        }
      }
    }
  }
  if (!gan->coord) {
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, rsum, 2, MPIU_REAL, MPI_SUM, gan->comm));
    *restr = rsum[1] > 0 ? rsum[0] / rsum[1] : NAN;
  }
  /* gather to rank 0 (in global row order: ranks hold consecutive blocks) */
  mine = (PetscMPIInt)(td->vloc * ncol);
  if (!gan->rank) PetscCall(PetscMalloc2(gan->size, &cnt, gan->size + 1, &disp));
  PetscCallMPI(MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, gan->comm));
  if (!gan->rank) {
    disp[0] = 0;
    for (PetscMPIInt p = 0; p < gan->size; p++) disp[p + 1] = disp[p] + cnt[p];
    nall = disp[gan->size] / ncol;
    PetscCall(PetscMalloc1(nall * ncol + 1, &all));
  }
  PetscCallMPI(MPI_Gatherv(loc, mine, MPIU_REAL, all, cnt, disp, MPIU_REAL, 0, gan->comm));
  if (!gan->rank) {
    const PetscInt nbins = gan->d > 1 ? gan->val_bins * gan->val_bins : gan->val_bins;
    PetscInt64    *start;
    PetscReal     *sorted, *a, *b, tot = 0, wsum = 0, ftot = 0, fw = 0;
    PetscCall(PetscCalloc1(nbins + 1, &start));
    PetscCall(PetscMalloc3(nall * ncol + 1, &sorted, nall + 1, &a, nall + 1, &b));
    for (PetscInt64 i = 0; i < nall; i++) start[(PetscInt)all[i * ncol] + 1]++;
    for (PetscInt k = 0; k < nbins; k++) start[k + 1] += start[k];
    {
      PetscInt64 *pos;
      PetscCall(PetscMalloc1(nbins, &pos));
      for (PetscInt k = 0; k < nbins; k++) pos[k] = start[k];
      for (PetscInt64 i = 0; i < nall; i++) PetscCall(PetscArraycpy(sorted + (pos[(PetscInt)all[i * ncol]]++) * ncol, all + i * ncol, ncol));
      PetscCall(PetscFree(pos));
    }
    for (PetscInt k = 0; k < nbins; k++) {
      const PetscInt64 nb = start[k + 1] - start[k];
      const PetscReal *rows = sorted + start[k] * ncol;
      if (nb < 40) continue;
      tot += nb * SlicedW1((PetscInt)nb, nproj, ncol, rows, 1, 1 + nproj, 0, a, b);
      wsum += nb;
      if (!(td->floor >= 0)) {
        const PetscInt h = (PetscInt)(nb / 2);
        PetscReal *half;
        PetscCall(PetscMalloc1(2 * h * ncol, &half)); /* even rows, then odd rows: both halves span the bin */
        for (PetscInt i = 0; i < 2 * h; i++) PetscCall(PetscArraycpy(half + ((i % 2) * h + i / 2) * ncol, rows + i * ncol, ncol));
        ftot += nb * SlicedW1(h, nproj, ncol, half, 1, 1, h, a, b) / PETSC_SQRT2;
        PetscCall(PetscFree(half));
        fw += nb;
      }
    }
    *swd = wsum > 0 ? tot / wsum : NAN;
    if (!(td->floor >= 0)) td->floor = fw > 0 ? ftot / fw : NAN;
    PetscCall(PetscFree(start));
    PetscCall(PetscFree3(sorted, a, b));
    PetscCall(PetscFree(all));
    PetscCall(PetscFree2(cnt, disp));
  }
  PetscCallMPI(MPI_Bcast(swd, 1, MPIU_REAL, 0, gan->comm));
  PetscCallMPI(MPI_Bcast(&td->floor, 1, MPIU_REAL, 0, gan->comm));
  PetscCall(PetscFree(loc));
  PetscCall(PetscFree(td->vzf));
  PetscCall(PetscLogEventEnd(UMB_EVENT.gan_valid, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUpProjections(UmbGan gan, TrainData *td)
{
  const PetscInt ng = gan->ng, naxes = ng <= 16 ? ng : 0, nrand = ng <= 16 ? 8 : 24;
  UmbStream      s;

  PetscFunctionBegin;
  td->nproj = naxes + nrand;
  PetscCall(PetscCalloc1(td->nproj * ng, &td->proj));
  for (PetscInt k = 0; k < naxes; k++) td->proj[k * ng + k] = 1;
  UmbStreamInit(&s, (uint64_t)gan->seed, UMB_STREAM_LATENT, UMB_GAN_RNG_PROJ);
  for (PetscInt k = naxes; k < td->nproj; k++) {
    PetscReal *v = td->proj + k * ng, nrm = 0;
    UmbStreamGaussian(&s, (uint64_t)k, 0, (int)ng, v);
    for (PetscInt j = 0; j < ng; j++) nrm += v[j] * v[j];
    nrm = PetscSqrtReal(nrm);
    for (PetscInt j = 0; j < ng; j++) v[j] /= nrm;
  }
  td->floor = -1; /* not yet computed */
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteCsv(UmbGan gan, TrainData *td, const char dir[])
{
  char   path[PETSC_MAX_PATH_LEN];
  UmbCsv csv;

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "train.csv", path, sizeof(path)));
  PetscCall(UmbCsvCreate(gan->comm, path, csv_header, &csv));
  for (PetscInt k = 0; k < td->nhist; k++) {
    const PetscReal *h = td->hist + k * UMB_GAN_NCOL;
    PetscCall(UmbCsvRow(csv, "%lld,%lld,%.10g,%.10g,%.10g,%.10g,%.10g,%.6g,%.6g,%.6g,%.4g,%.4g", (long long)h[0], (long long)h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11]));
  }
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: every rank must hold the same parameters; also agrees on a stop signal */
static PetscErrorCode DriftCheck(UmbGan gan, PetscInt64 step, PetscBool *stop)
{
  PetscReal *tg, *tdd;
  PetscInt   ng, nd;
  uint64_t   buf[3], h;

  PetscFunctionBegin;
  PetscCall(UmbMLPGetParameters(gan->G, &tg, NULL));
  PetscCall(UmbMLPGetParameters(gan->D, &tdd, NULL));
  PetscCall(UmbMLPGetSizes(gan->G, NULL, NULL, &ng));
  PetscCall(UmbMLPGetSizes(gan->D, NULL, NULL, &nd));
  h      = UmbNNHash(ng, tg) ^ (UmbNNHash(nd, tdd) * UINT64_C(0x9e3779b97f4a7c15));
  buf[0] = h;
  buf[1] = ~h;
  buf[2] = (uint64_t)UmbStopSignal(); /* the stop agreement rides on this reduction */
  PetscCall(PetscLogEventBegin(UMB_EVENT.gan_allreduce, 0, 0, 0, 0));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, buf, 3, MPI_UINT64_T, MPI_MAX, gan->comm));
  PetscCall(PetscLogEventEnd(UMB_EVENT.gan_allreduce, 0, 0, 0, 0));
  PetscCheck(buf[0] == ~buf[1], gan->comm, PETSC_ERR_PLIB, "the network parameters differ between ranks after generator step %lld (parameter hashes %016llx and %016llx): a non-deterministic BLAS? Run with OPENBLAS_NUM_THREADS=1", (long long)step, (unsigned long long)buf[0], (unsigned long long)~buf[1]);
  *stop = (PetscBool)(buf[2] != 0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanTrain(UmbGan gan, const char dir[], PetscBool *finished)
{
  TrainData        td;
  PetscInt64       step = 0, total;
  PetscReal        elapsed = 0;
  PetscLogDouble   tlast, tnow;
  UmbProgress      progress;
  PetscBool        stop = PETSC_FALSE;
  char             path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&td, sizeof(td)));
  *finished = PETSC_FALSE;
  PetscCall(UmbGanCheckGenerates(gan));
#if defined(OPENBLAS_VERSION)
  if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
#endif
  PetscCall(LoadSamples(gan, dir, &td));
  PetscCall(UmbGanBuildNetworks(gan));
  PetscCall(UmbMLPSetTraining(gan->G, PETSC_TRUE));
  PetscCall(SetUpBatches(gan, &td));
  PetscCall(SetUpProjections(gan, &td));
  total       = td.S * gan->epochs;
  td.maxhist  = (PetscInt)gan->epochs;
  PetscCall(PetscMalloc1(td.maxhist * UMB_GAN_NCOL + 1, &td.hist));
  td.dir       = dir;
  td.ckpt_step = -1;
  if (gan->restart) {
    PetscCall(UmbGanReadCheckpoint(gan, &td, dir, &step, &elapsed));
    td.ckpt_step = step > 0 ? step : -1;
  }
  if (td.nhist > gan->epochs) td.nhist = (PetscInt)gan->epochs;
  PetscCall(UmbLog(gan->comm, "train: %lld samples (%lld for training, %lld held out), %lld generator steps per epoch (%" PetscInt_FMT " x %" PetscInt_FMT " samples per step), %lld steps in all", (long long)td.N, (long long)td.T, (long long)td.V, (long long)td.S, gan->critic_steps, gan->batch, (long long)total));
  {
    PetscInt npg, npd;
    PetscCall(UmbMLPGetSizes(gan->G, NULL, NULL, &npg));
    PetscCall(UmbMLPGetSizes(gan->D, NULL, NULL, &npd));
    PetscCall(UmbLog(gan->comm, "train: generator %" PetscInt_FMT " parameters, critic %" PetscInt_FMT "; reduction %s over %d rank%s (%" PetscInt_FMT " batch rows on this rank)", npg, npd, UmbReduceModes[gan->reduce], (int)gan->size, gan->size > 1 ? "s" : "", td.bloc));
  }
  PetscCall(UmbStopInstall());

  PetscCall(DriftCheck(gan, step, &stop)); /* same initial parameters everywhere */
  PetscCall(UmbProgressCreate(gan->comm, "train", "steps", (double)total, &progress));
  PetscCall(PetscTime(&tlast));
  while (step < total && !stop) {
    const PetscInt64 e = step / td.S, i = step % td.S;
    const PetscReal *rows = NULL;
    PetscCall(LoadEpoch(gan, &td, e));
    if (gan->lr_final != 1) { /* the generator's: constant, then linear decay over the second half (a function of the step only) */
      const PetscReal f = 1 + (gan->lr_final - 1) * PetscMax(0, 2 * (PetscReal)step / (PetscReal)total - 1);
      PetscCall(UmbAdamSetLearningRate(gan->adam_g, f * gan->lr_g));
    }
    PetscCall(PetscLogEventBegin(UMB_EVENT.gan_step, 0, 0, 0, 0));
    for (PetscInt k = 0; k < gan->critic_steps; k++) {
      const PetscInt64 j = i * gan->critic_steps + k;
      rows               = td.ebuf + j * td.bloc * td.W;
      PetscCall(CriticStep(gan, &td, rows, step * gan->critic_steps + k, e, step));
    }
    PetscCall(GeneratorStep(gan, &td, rows, step, e));
    PetscCall(PetscLogEventEnd(UMB_EVENT.gan_step, 0, 0, 0, 0));
    step++;
    PetscCall(UmbProgressUpdate(progress, (double)step));
    if (step % gan->drift_interval == 0 || step == total) PetscCall(DriftCheck(gan, step, &stop));
    if (step % td.S == 0) { /* end of an epoch: throughput of its steps, then the held-out measure */
      PetscReal *h = td.hist + td.nhist * UMB_GAN_NCOL, swd, restr;
      PetscCall(PetscTime(&tnow));
      td.acc[7] += tnow - tlast;
      elapsed += tnow - tlast;
      h[10] = td.acc[7] > 0 ? td.acc[6] * gan->critic_steps * gan->batch / td.acc[7] : 0;
      PetscCall(Validate(gan, &td, e, &swd, &restr));
      h[0] = (PetscReal)(e + 1);
      h[1] = (PetscReal)step;
      h[2] = td.acc[0] / td.acc[3];
      h[3] = td.acc[4] / td.acc[6];
      h[4] = td.acc[1] / td.acc[3];
      h[5] = td.acc[2] / td.acc[3];
      h[6] = td.acc[5] / td.acc[6];
      h[7] = swd;
      h[8] = td.floor;
      h[9] = restr;
      PetscCall(PetscTime(&tlast));
      elapsed += tlast - tnow;
      h[11] = elapsed;
      td.nhist++;
      {
        char wd[64] = "", rs[64] = "";
        if (gan->loss == UMB_GAN_WGANGP) snprintf(wd, sizeof(wd), " wdist %.4g", h[4]);
        if (!gan->coord) snprintf(rs, sizeof(rs), "  restriction %.3g", h[9]);
        PetscCall(UmbLog(gan->comm, "train: epoch %lld/%" PetscInt_FMT ": loss_d %.4g loss_g %.4g%s penalty %.3g  swd %.4g (floor %.3g)%s  %.3g samples/s", (long long)(e + 1), gan->epochs, h[2], h[3], wd, h[5], h[7], h[8], rs, h[10]));
      }
      PetscCall(WriteCsv(gan, &td, dir));
      PetscCall(PetscArrayzero(td.acc, UMB_GAN_NACC));
    }
    if (step < total && (stop || (gan->ckpt_interval > 0 && step % gan->ckpt_interval == 0) || step == gan->stop_step)) {
      PetscCall(PetscTime(&tnow));
      td.acc[7] += tnow - tlast; /* seconds of this epoch so far: its throughput survives a restart */
      elapsed += tnow - tlast;
      PetscCall(CheckParameters(gan, &td, e, step - 1));
      PetscCall(UmbGanWriteCheckpoint(gan, &td, dir, step, elapsed));
      td.ckpt_step = step;
      PetscCall(PetscTime(&tlast));
      if (stop) PetscCall(UmbLog(gan->comm, "train: signal received: checkpointed after generator step %lld; continue with -restart", (long long)step));
      else if (step == gan->stop_step) {
        PetscCall(UmbLog(gan->comm, "train: stopped after generator step %lld as asked (-gan_stop_step); continue with -restart", (long long)step));
        break;
      }
    }
  }
  PetscCall(UmbStopRemove());
  PetscCall(UmbProgressFinish(progress));
  PetscCall(UmbProgressDestroy(&progress));
  if (step >= total) {
    gan->trained_steps  = step;
    gan->trained_epochs = gan->epochs;
    PetscCall(CheckParameters(gan, &td, gan->epochs - 1, step - 1));
    PetscCall(UmbGanCalibrate(gan, &td));
    PetscCall(UmbPathJoin(dir, "gan.h5", path, sizeof(path)));
    PetscCall(UmbGanWrite(gan, path));
    PetscCall(WriteCsv(gan, &td, dir));
    PetscCall(UmbCheckpointRemove(gan->comm, dir, "train")); /* finished: nothing to continue */
    PetscCall(UmbLog(gan->comm, "train: %lld generator steps in %.1f s; wrote %s and %s/train.csv", (long long)step, (double)elapsed, path, dir));
    *finished = PETSC_TRUE;
  }
  PetscCall(UmbMLPSetTraining(gan->G, PETSC_FALSE));
  PetscCall(TrainDataDestroy(&td));
  PetscFunctionReturn(PETSC_SUCCESS);
}
